//! Starting labvault: in-process (for vaultdeck and tests) or from the `labvault` binary.

use crate::{
    core::Core,
    request::{Operation, Request},
    storage::{FileStorage, MemoryStorage, Physical},
};
use serde_json::{json, Value};
use std::{net::SocketAddr, path::PathBuf, sync::Arc};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

#[derive(Clone, Debug)]
pub enum Storage {
    Memory,
    Directory(PathBuf),
}

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub storage: Storage,
    /// Like `vault server -dev`: initialize with one key share, unseal, mount `secret/`
    /// as KV v2.
    pub dev: bool,
    /// Like `-dev-root-token-id`: the dev server's root token is this one.
    pub dev_root_token: Option<String>,
}

/// What `--dev` made: the credentials a developer needs.
#[derive(Clone)]
pub struct DevCredentials {
    pub unseal_key: String,
    pub root_token: String,
}

/// A running labvault.
pub struct Server {
    addr: SocketAddr,
    core: Arc<Core>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    /// Revokes leases as they expire (Vault's expiration manager), until the server stops.
    expiry: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    pub dev: Option<DevCredentials>,
}

/// A server dropped without `stop` still stops revoking leases: the expiry task would
/// otherwise keep its core alive.
impl Drop for Server {
    fn drop(&mut self) {
        if let Some((stop, _task)) = self.expiry.take() {
            let _ = stop.send(());
        }
    }
}

pub const LAB_WARNING: &str = "labvault is a lab and test server speaking Vault's API, not a secret store: do not keep real secrets in it";

impl Server {
    pub async fn start(config: ServerConfig) -> anyhow::Result<Server> {
        let (physical, storage_type): (Arc<dyn Physical>, &'static str) = match &config.storage {
            Storage::Memory => (Arc::new(MemoryStorage::new()), "inmem"),
            Storage::Directory(dir) => (Arc::new(FileStorage::open(dir)?), "file"),
        };
        let core = Arc::new(Core::new(physical, storage_type));
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("labvault cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr()?;
        tracing::warn!("{LAB_WARNING}");
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = crate::http::router(core.clone());
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serving.await {
                tracing::error!("labvault stopped: {error}");
            }
        });
        let (stop_expiry, expiry_stopped) = oneshot::channel::<()>();
        let expiry = crate::leases::spawn_expiry(core.clone(), expiry_stopped);
        let mut server = Server {
            addr,
            core,
            shutdown: Some(shutdown),
            task,
            expiry: Some((stop_expiry, expiry)),
            dev: None,
        };
        if config.dev {
            server.dev = Some(server.set_up_dev(config.dev_root_token.as_deref()).await?);
        }
        tracing::info!(
            "labvault listening on http://{addr} ({storage_type} storage, sealed until unsealed)"
        );
        Ok(server)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and waits for in-flight requests.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.task).await;
        if let Some((stop, task)) = self.expiry.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
    }

    async fn call(
        &self,
        operation: Operation,
        path: &str,
        data: Value,
        token: Option<&str>,
    ) -> anyhow::Result<Value> {
        let request = Request {
            operation,
            path: path.into(),
            data: data.as_object().cloned().unwrap_or_default(),
            token: token.map(str::to_string),
        };
        let (result, mount_type) = self.core.handle(request).await;
        match result {
            Ok(reply) => Ok(reply
                .render("dev-setup", &mount_type)
                .1
                .unwrap_or(Value::Null)),
            Err(error) => anyhow::bail!("{path}: {error}"),
        }
    }

    /// Dev mode goes through the same API a client would use.
    async fn set_up_dev(&self, root_token_id: Option<&str>) -> anyhow::Result<DevCredentials> {
        let init = self
            .call(
                Operation::Update,
                "sys/init",
                json!({ "secret_shares": 1, "secret_threshold": 1 }),
                None,
            )
            .await?;
        let unseal_key = init["keys_base64"][0]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut root_token = init["root_token"].as_str().unwrap_or_default().to_string();
        self.call(
            Operation::Update,
            "sys/unseal",
            json!({ "key": unseal_key }),
            None,
        )
        .await?;
        if let Some(wanted) = root_token_id {
            root_token = self.replace_root_token(&root_token, wanted).await?;
        }
        self.call(
            Operation::Update,
            "sys/mounts/secret",
            json!({ "type": "kv", "options": { "version": "2" }, "description": "key/value secret storage" }),
            Some(&root_token),
        )
        .await?;
        Ok(DevCredentials {
            unseal_key,
            root_token,
        })
    }

    /// As Vault's dev mode does with `-dev-root-token-id`: an orphan root token with the
    /// wanted ID, and the generated one revoked.
    async fn replace_root_token(&self, generated: &str, wanted: &str) -> anyhow::Result<String> {
        let created = self
            .call(
                Operation::Update,
                "auth/token/create",
                json!({ "id": wanted, "policies": ["root"], "no_parent": true }),
                Some(generated),
            )
            .await?;
        let token = created["auth"]["client_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.call(
            Operation::Update,
            "auth/token/revoke-self",
            json!({}),
            Some(generated),
        )
        .await?;
        Ok(token)
    }
}
