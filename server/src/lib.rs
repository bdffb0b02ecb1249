#![recursion_limit = "512"]
//! Vaultdeck's backend-for-frontend: serves the app, proxies to Vault and to the Kubernetes
//! API, and keeps every Vault token on the server.

pub mod config;
mod custody;
mod error;
mod handlers;
mod k8s_names;
mod kube;
mod listing_cache;
mod metrics;
mod middleware;
mod prefix;
mod router;
mod serve;
mod session;
mod state;
mod vault;
mod vault_path;

use config::Config;
pub use session::MOST_SESSIONS_PER_TOKEN;
use session::{SessionStore, Sessions};
use state::{AppState, Site};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::{sync::oneshot, task::JoinHandle};
use vault::{VaultClient, VaultSettings};

/// A running Vaultdeck (and the lab server it started, if any).
pub struct Running {
    pub addr: SocketAddr,
    /// Where `GET /metrics` is served, when `--metrics-listen` is set.
    pub metrics_addr: Option<SocketAddr>,
    metrics_task: Option<JoinHandle<()>>,
    pub vault_addr: reqwest::Url,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    lab: Option<labvault::Server>,
}

impl Running {
    /// Stops accepting requests, finishes those in flight, then stops the lab server.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(metrics) = self.metrics_task.take() {
            metrics.abort();
        }
        let served = (&mut self.task).await;
        if let Some(lab) = self.lab.take() {
            lab.stop().await;
        }
        served??;
        Ok(())
    }

    /// Resolves if the server stops on its own (an error); otherwise never.
    pub async fn stopped(&mut self) -> anyhow::Result<()> {
        (&mut self.task).await??;
        Ok(())
    }
}

/// Starts Vaultdeck with `config`: the embedded lab server first when no `VAULT_ADDR`
/// is set, then the BFF.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    // Server rendering spawns on Leptos' executor; tests may have initialised it already.
    let _ = any_spawner::Executor::init_tokio();
    let (vault_addr, lab) = match &config.vault_addr {
        Some(addr) => (addr.clone(), None),
        None => {
            let lab = start_lab(&config).await?;
            (reqwest::Url::parse(&lab.url())?, Some(lab))
        }
    };
    let vault = VaultClient::new(&VaultSettings {
        addr: vault_addr.clone(),
        ca_cert: config.vault_cacert.clone(),
        skip_verify: config.vault_skip_verify,
        namespace: config.vault_namespace.clone().filter(|n| !n.is_empty()),
        timeout: config.request_timeout,
        max_connections: config.vault_max_connections as usize,
    })?;
    let site = Site::locate(config.site_dir.as_ref())?;
    let store = SessionStore::connect(&config.session_store).await?;
    let cluster = kube::connect(&config).await;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| {
            anyhow::anyhow!("cannot listen on {} (VAULTDECK_LISTEN): {e}", config.listen)
        })?;
    let addr = listener.local_addr()?;
    tracing::info!(
        "Vaultdeck listening on http://{addr}{}/ (Vault at {}; sessions in {})",
        config.base_path.prefix(),
        vault::shown_addr(&vault_addr),
        store.kind()
    );
    let state = AppState {
        sessions: Arc::new(Sessions {
            store,
            idle_timeout: config.session_idle_timeout,
        }),
        config: Arc::new(config.clone()),
        vault: Arc::new(vault),
        site: Arc::new(site),
        listings: Arc::new(listing_cache::ListingCache::default()),
        cluster: Arc::new(cluster),
    };
    let undeleted = match state.cluster.as_ref() {
        kube::Cluster::Configured(cluster) => Some(cluster.undeleted.clone()),
        _ => None,
    };
    metrics::start_recording();
    let (metrics_addr, metrics_task) = match config.metrics_listen {
        Some(listen) => {
            let (addr, task) = metrics::serve(listen, state.sessions.clone()).await?;
            tracing::info!("metrics at http://{addr}/metrics");
            (Some(addr), Some(task))
        }
        None => (None, None),
    };
    let app = middleware::apply(
        router::routes(state),
        middleware::Limits {
            request_timeout: config.request_timeout + Duration::from_secs(5),
            max_body_bytes: config.max_body_bytes,
            allowed_hosts: middleware::AllowedHosts::new(&config.allowed_hosts),
        },
    );
    let (shutdown, stopped) = oneshot::channel::<()>();
    let header_read_timeout = config.header_read_timeout;
    let task = tokio::spawn(async move {
        let served = serve::serve(listener, app, header_read_timeout, async {
            let _ = stopped.await;
        })
        .await;
        if let Some(undeleted) = undeleted {
            if !undeleted.until_none(Duration::from_secs(5)).await {
                tracing::warn!(
                    "test logins' Secrets were still being deleted when the server stopped"
                );
            }
        }
        served
    });
    Ok(Running {
        addr,
        metrics_addr,
        metrics_task,
        vault_addr,
        shutdown: Some(shutdown),
        task,
        lab,
    })
}

async fn start_lab(config: &Config) -> anyhow::Result<labvault::Server> {
    let data_dir = config.lab_data_dir();
    let lab = labvault::Server::start(labvault::ServerConfig {
        listen: "127.0.0.1:0".parse().expect("a loopback address"),
        storage: labvault::Storage::Directory(data_dir.clone()),
        dev: false,
        dev_root_token: None,
    })
    .await?;
    tracing::info!(
        "VAULT_ADDR is not set: started the embedded lab server at {} with its data in {} \
         (it starts sealed; initialize or unseal it in the browser)",
        lab.url(),
        data_dir.display()
    );
    Ok(lab)
}
