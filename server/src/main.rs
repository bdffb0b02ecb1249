//! `vaultdeck`: the backend-for-frontend. Serves the app, proxies to Vault, holds tokens.

use vaultdeck::config::{Config, LogFormat};

#[tokio::main]
async fn main() {
    let config = Config::from_env_and_args();
    init_tracing(config.log_format);
    if let Err(error) = run(config).await {
        tracing::error!("{error:#}");
        eprintln!("vaultdeck: {error:#}");
        std::process::exit(1);
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    let mut running = vaultdeck::start(config).await?;
    tokio::select! {
        result = running.stopped() => result?,
        _ = shutdown_signal() => {
            tracing::info!("shutting down: finishing in-flight requests");
            running.stop().await?;
        }
    }
    tracing::info!("Vaultdeck stopped");
    Ok(())
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour_on_stdout());
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Colour codes only for a person at a terminal: piped to a file, a container runtime or
/// `kubectl logs`, they are noise around every field. `NO_COLOR` turns them off anywhere.
fn colour_on_stdout() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
