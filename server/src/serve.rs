//! Accepting connections: axum's router on hyper, with the timer that `axum::serve` does not
//! set. Without it hyper has no header-read timeout, and a client that trickles a request's
//! headers a byte at a time — or opens a connection and sends nothing — holds it open for
//! as long as it likes. With it, a connection must deliver each request's headers within
//! `header_read_timeout`, which also closes kept-alive connections left idle that long
//! (hyper starts the clock when it waits for the next request's head).

use axum::Router;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use std::{future::Future, time::Duration};
use tokio::{net::TcpListener, task::JoinSet};

/// How long in-flight requests may run on after shutdown is asked for.
const DRAIN_FOR: Duration = Duration::from_secs(10);

pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(header_read_timeout)
        .keep_alive_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: the listener itself is fine; wait a moment.
            Err(error) => {
                tracing::warn!("accepting a connection failed: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            // A client that goes away or times out ends its connection; nothing to report.
            let _ = connection.await;
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_FOR, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open {} s after shutdown: cancelling their requests",
            DRAIN_FOR.as_secs()
        );
    }
    // Cancelled here, while the runtime still runs, a request's clean-up on drop (a test
    // login's token) can still start; left to the runtime's own shutdown, it could not.
    connections.shutdown().await;
    Ok(())
}
