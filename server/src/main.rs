//! `vaultdeck`: the backend-for-frontend. Serves the app, proxies to Vault, holds tokens.

mod config;
mod error;
mod handlers;
mod middleware;
mod router;
mod state;
mod vault;

use config::{Config, LogFormat};
use state::{AppState, Site};
use std::sync::Arc;
use vault::{VaultClient, VaultSettings};

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
    any_spawner::Executor::init_tokio()?;
    let vault_addr = match &config.vault_addr {
        Some(addr) => addr.clone(),
        // Until the embedded lab server exists, a missing VAULT_ADDR means Vault's default.
        None => reqwest::Url::parse("http://127.0.0.1:8200")?,
    };
    let vault = VaultClient::new(&VaultSettings {
        addr: vault_addr.clone(),
        ca_cert: config.vault_cacert.clone(),
        skip_verify: config.vault_skip_verify,
        namespace: std::env::var("VAULT_NAMESPACE")
            .ok()
            .filter(|n| !n.is_empty()),
        timeout: config.request_timeout,
    })?;
    let site = Site::locate(config.site_dir.as_ref())?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| {
            anyhow::anyhow!("cannot listen on {} (VAULTDECK_LISTEN): {e}", config.listen)
        })?;
    let state = AppState {
        config: Arc::new(config.clone()),
        vault,
        site: Arc::new(site),
    };
    let app = middleware::apply(
        router::routes(state),
        config.request_timeout + std::time::Duration::from_secs(5),
        config.max_body_bytes,
    );
    tracing::info!(
        "Vaultdeck listening on http://{}{}/ (Vault at {})",
        listener.local_addr()?,
        config.base_path.prefix(),
        vault_addr
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("Vaultdeck stopped");
    Ok(())
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Resolves on Ctrl-C or SIGTERM, letting in-flight requests finish.
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
    tracing::info!("shutting down: finishing in-flight requests");
}
