//! Servers xtask starts for a moment on loopback — the freshly built Vaultdeck whose pages
//! the size report asks for, the BFF benchmark's OpenBao and Vaultdeck: started with their
//! output in a log file, waited for until they accept connections, stopped when dropped.

use crate::http;
use anyhow::{bail, Context, Result};
use std::{
    fs,
    net::{SocketAddr, TcpListener},
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

/// How long a server may take to accept its first connection.
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Served {
    child: Child,
    pub addr: SocketAddr,
}

impl Served {
    /// Runs `command`, which must listen on `addr`, with stdout and stderr in `log`.
    pub fn start(name: &str, mut command: Command, addr: SocketAddr, log: &Path) -> Result<Served> {
        let log_file = fs::File::create(log)?;
        let child = command
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let mut served = Served { child, addr };
        if !http::wait_until_listening(addr, START_TIMEOUT) || served.child.try_wait()?.is_some() {
            bail!("{name} did not start; see {}", log.display());
        }
        Ok(served)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback address nothing listens on. Bound and released at once: the server binds it
/// a moment later.
pub fn free_loopback_addr() -> Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}
