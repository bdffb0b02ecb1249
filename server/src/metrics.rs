//! `GET /metrics` in Prometheus' text format, on a listen address of its own
//! (`--metrics-listen`, off by default): never on the public port, where anyone who can
//! reach the UI could read it.
//!
//! What is counted, and where:
//! - `vaultdeck_http_requests_total{route,method,status}` and
//!   `vaultdeck_http_request_duration_seconds{route}` — every request, by its route
//!   template (never its path: paths name secrets), in the middleware stack;
//! - `vaultdeck_vault_request_duration_seconds{method}` and
//!   `vaultdeck_vault_errors_total{kind}` — calls to Vault, in the one Vault client;
//! - `vaultdeck_kubernetes_errors_total{kind}` — the Kubernetes façade's failures;
//! - `vaultdeck_logins_total{method,outcome}` — logins and their failures;
//! - `vaultdeck_sessions_active` — live sessions, counted in the store at each scrape.

use crate::session::Sessions;
use axum::{
    extract::State,
    http::{header, Method},
    response::IntoResponse,
    routing::get,
    Router,
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::{
    net::SocketAddr,
    sync::{Arc, OnceLock},
    time::Duration,
};

/// Latency buckets, in seconds: from a cached page (1 ms) to the request timeout (30 s).
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's recorder: installed once, whatever number of servers a process starts
/// (tests start many).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may be installed already (a test harness); then ours records
        // nothing and the endpoint says so by being empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Starts recording (call once at start-up, before requests are served).
pub fn start_recording() {
    handle();
}

/// Serves `GET /metrics` on `listen`; returns the bound address.
pub async fn serve(
    listen: SocketAddr,
    sessions: Arc<Sessions>,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        anyhow::anyhow!("cannot listen on {listen} (VAULTDECK_METRICS_LISTEN): {e}")
    })?;
    let addr = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(render))
        .with_state(sessions);
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!("the metrics listener stopped: {error}");
        }
    });
    Ok((addr, task))
}

async fn render(State(sessions): State<Arc<Sessions>>) -> impl IntoResponse {
    if let Ok(active) = sessions.store.count().await {
        metrics::gauge!("vaultdeck_sessions_active").set(active as f64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
}

/// A method as a label: the methods HTTP defines and Vault's `LIST` by name, anything else
/// `other`. A method is any token a client sends, and each label value is a series kept for
/// the life of the process, so made-up methods must not grow the set.
pub fn method_label(method: &Method) -> &'static str {
    const KNOWN: &[&str] = &[
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "LIST", "CONNECT", "TRACE",
    ];
    let name = method.as_str();
    KNOWN
        .iter()
        .find(|known| **known == name)
        .copied()
        .unwrap_or("other")
}

/// One request the BFF answered.
pub fn request_done(route: &str, method: &Method, status: u16, took: Duration) {
    let labels = [
        ("route", route.to_string()),
        ("method", method_label(method).to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!("vaultdeck_http_requests_total", &labels).increment(1);
    metrics::histogram!("vaultdeck_http_request_duration_seconds", "route" => route.to_string())
        .record(took.as_secs_f64());
}

/// One call to Vault that got an answer (whatever its status).
pub fn vault_answered(method: &'static str, took: Duration) {
    metrics::histogram!("vaultdeck_vault_request_duration_seconds", "method" => method)
        .record(took.as_secs_f64());
}

/// A call to Vault that failed: `unreachable`, `timeout`, `server_error` (5xx, its body
/// read; one whose body fails to arrive counts as `unreachable` or `timeout`), `redirect`
/// (a 3xx, which is never followed), or `too_large` (an answer over 64 MiB, not read).
pub fn vault_failed(kind: &'static str) {
    metrics::counter!("vaultdeck_vault_errors_total", "kind" => kind).increment(1);
}

/// A Kubernetes call that failed: `refused` (the API server said no) or `unreachable`.
pub fn kubernetes_failed(kind: &'static str) {
    metrics::counter!("vaultdeck_kubernetes_errors_total", "kind" => kind).increment(1);
}

/// A login attempt: `success` or `failure`.
pub fn login(method: &str, succeeded: bool) {
    let outcome = if succeeded { "success" } else { "failure" };
    metrics::counter!("vaultdeck_logins_total", "method" => method.to_string(), "outcome" => outcome)
        .increment(1);
}
