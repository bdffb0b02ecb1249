//! A real Kubernetes API server for tests: etcd and kube-apiserver v1.20.2 (and, when asked,
//! kube-controller-manager) on free loopback ports, in a fresh temporary directory with its
//! own CA, serving certificate, service-account key pair and an admin token in
//! `system:masters`.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! let cluster = testcluster::TestCluster::start().await?;
//! let version: serde_json::Value = cluster
//!     .client()?
//!     .get(format!("{}/version", cluster.api_url()))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(version["gitVersion"], "v1.20.2");
//! cluster.stop().await?;
//! # Ok(())
//! # }
//! ```
//!
//! The Kubernetes binaries are built from Debian's source package by `cargo xtask setup`
//! (into `~/.cache/vaultdeck/tools/k8s/bin`, or `$VAULTDECK_TOOLS/k8s/bin`;
//! `VAULTDECK_K8S_BIN` names another directory); etcd is Debian's `/usr/bin/etcd`.
//!
//! The processes are stopped by `stop()` or on drop (SIGTERM, then SIGKILL, by pid), and are
//! also killed by the kernel if the process that started them dies: they are spawned from a
//! thread of their own with `PR_SET_PDEATHSIG`.

use anyhow::{anyhow, bail, Context, Result};
use std::{
    fmt::Write as _,
    fs,
    io::{self, Read},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};
use tempfile::TempDir;

pub mod process;
mod shared;
use process::{last_lines, Processes};
pub use shared::{shared, SharedCluster};

/// The Kubernetes version the binaries are (checked by `cargo xtask setup` when it builds
/// them).
pub const KUBERNETES_VERSION: &str = "v1.20.2";
/// Issuer and default audience of service-account tokens.
pub const SERVICE_ACCOUNT_ISSUER: &str = "https://kubernetes.default.svc";
/// The admin's user name (the token is in the group `system:masters`).
pub const ADMIN_USER: &str = "testcluster-admin";

const ETCD: &str = "/usr/bin/etcd";
const SETUP_HINT: &str = "run `cargo xtask setup` (it installs etcd and builds the Kubernetes \
                          test binaries from Debian's source once)";

/// How to start a cluster.
#[derive(Clone, Debug)]
pub struct Options {
    /// Also run kube-controller-manager (service-account, service-account-token and namespace
    /// controllers), e.g. to have `kubernetes.io/service-account-token` Secrets filled.
    pub controller_manager: bool,
    /// How long the processes may take to become ready.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            controller_manager: false,
            timeout: Duration::from_secs(90),
        }
    }
}

/// A running cluster. Dropping it stops the processes and removes its directory.
pub struct TestCluster {
    // Declared first: dropped (processes stopped) before the directory is removed.
    processes: Processes,
    dir: TempDir,
    api_url: String,
    ca_pem: String,
    admin_token: String,
    kubeconfig: PathBuf,
    started_in: Duration,
}

impl TestCluster {
    /// etcd and kube-apiserver, ready (`/readyz` answers `ok`).
    pub async fn start() -> Result<TestCluster> {
        Self::start_with(Options::default()).await
    }

    /// Starts with the given options. Retries twice if a port picked as free was taken
    /// meanwhile.
    pub async fn start_with(options: Options) -> Result<TestCluster> {
        let binaries = Binaries::locate(options.controller_manager)?;
        let mut attempt = 1;
        loop {
            match start_once(&binaries, &options).await {
                Err(error)
                    if attempt < 3 && format!("{error:#}").contains("address already in use") =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// `https://127.0.0.1:PORT`
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// The cluster CA's certificate (PEM); it signed the API server's serving certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A bearer token of a user in `system:masters`.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// A kubeconfig for the admin (usable with kubectl).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// The cluster's directory: PKI, kubeconfig, etcd's data and the processes' logs
    /// (`etcd.log`, `kube-apiserver.log`, `kube-controller-manager.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// How long `start` took until the cluster was ready.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// Process ids by name, e.g. `("kube-apiserver", 1234)`.
    pub fn pids(&self) -> Vec<(&'static str, u32)> {
        self.processes.pids()
    }

    /// The last lines of each process's log.
    pub fn log_tails(&self) -> String {
        self.processes.tails()
    }

    /// An HTTP client that trusts the cluster's CA (and nothing else) and sends the admin
    /// token.
    pub fn client(&self) -> Result<reqwest::Client> {
        let mut headers = reqwest::header::HeaderMap::new();
        let mut value: reqwest::header::HeaderValue =
            format!("Bearer {}", self.admin_token).parse()?;
        value.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, value);
        Ok(client_builder(&self.ca_pem)?
            .default_headers(headers)
            .build()?)
    }

    /// One API call as the admin: the status and the JSON body (a string when not JSON).
    pub async fn admin_call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(u16, serde_json::Value)> {
        let mut request = self.client()?.request(
            reqwest::Method::from_bytes(method.as_bytes())?,
            format!("{}{path}", self.api_url),
        );
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.context("the API server answers")?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        Ok((status, body))
    }

    /// Stops the processes (SIGTERM, then SIGKILL after 10 s) and removes the directory.
    pub async fn stop(self) -> Result<()> {
        let TestCluster {
            mut processes, dir, ..
        } = self;
        tokio::task::spawn_blocking(move || {
            processes.shutdown();
            drop(processes);
            dir.close().context("removing the cluster's directory")
        })
        .await
        .context("stopping the cluster")?
    }
}

/// Where the binaries are.
struct Binaries {
    etcd: PathBuf,
    apiserver: PathBuf,
    controller_manager: PathBuf,
}

impl Binaries {
    fn locate(with_controller_manager: bool) -> Result<Binaries> {
        let dir = k8s_bin_dir();
        let binaries = Binaries {
            etcd: PathBuf::from(ETCD),
            apiserver: dir.join("kube-apiserver"),
            controller_manager: dir.join("kube-controller-manager"),
        };
        let mut needed = vec![&binaries.etcd, &binaries.apiserver];
        if with_controller_manager {
            needed.push(&binaries.controller_manager);
        }
        for path in needed {
            if !path.is_file() {
                bail!("{} is missing: {SETUP_HINT}", path.display());
            }
        }
        Ok(binaries)
    }
}

/// `$VAULTDECK_K8S_BIN`, else `$VAULTDECK_TOOLS/k8s/bin`, else
/// `~/.cache/vaultdeck/tools/k8s/bin` (where `cargo xtask setup` puts them).
pub fn k8s_bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VAULTDECK_K8S_BIN") {
        return PathBuf::from(dir);
    }
    let tools = match std::env::var_os("VAULTDECK_TOOLS") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp"))
            .join(".cache/vaultdeck/tools"),
    };
    tools.join("k8s/bin")
}

async fn start_once(binaries: &Binaries, options: &Options) -> Result<TestCluster> {
    let started = Instant::now();
    let deadline = started + options.timeout;
    let dir = tempfile::Builder::new()
        .prefix("testcluster-")
        .tempdir()
        .context("creating the cluster's temporary directory")?;
    let path = dir.path().to_path_buf();
    let pki = tokio::task::spawn_blocking(move || make_pki(&path)).await??;

    let [etcd_client, etcd_peer, etcd_metrics, api_port, kcm_port] = free_ports()?;
    let api_url = format!("https://127.0.0.1:{api_port}");
    let kubeconfig = dir.path().join("kubeconfig");
    fs::write(
        &kubeconfig,
        kubeconfig_text(&api_url, &pki.ca_crt, &pki.admin_token),
    )?;

    let mut processes = Processes::new(dir.path())?;
    let etcd_url = format!("http://127.0.0.1:{etcd_client}");
    let peer_url = format!("http://127.0.0.1:{etcd_peer}");
    let d = |name: &str| dir.path().join(name).display().to_string();
    processes.spawn(
        "etcd",
        &binaries.etcd,
        &[
            "--name=testcluster".into(),
            format!("--data-dir={}", d("etcd-data")),
            format!("--listen-client-urls={etcd_url}"),
            format!("--advertise-client-urls={etcd_url}"),
            format!("--listen-peer-urls={peer_url}"),
            format!("--initial-advertise-peer-urls={peer_url}"),
            format!("--initial-cluster=testcluster={peer_url}"),
            format!("--listen-metrics-urls=http://127.0.0.1:{etcd_metrics}"),
            "--logger=zap".into(),
            "--log-level=warn".into(),
        ],
    )?;
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let (plain, health_url) = (&plain, &format!("{etcd_url}/health"));
    wait_until(
        &mut processes,
        deadline,
        "etcd /health",
        move || async move {
            let answer = plain.get(health_url).send().await?;
            let body = answer.text().await?;
            if body.contains("\"health\":\"true\"") {
                Ok(())
            } else {
                Err(anyhow!("answered {body}"))
            }
        },
    )
    .await?;

    processes.spawn(
        "kube-apiserver",
        &binaries.apiserver,
        &[
            format!("--etcd-servers={etcd_url}"),
            "--bind-address=127.0.0.1".into(),
            format!("--secure-port={api_port}"),
            "--insecure-port=0".into(),
            "--advertise-address=127.0.0.1".into(),
            // Endpoints may not hold a loopback address.
            "--endpoint-reconciler-type=none".into(),
            "--service-cluster-ip-range=127.100.0.0/24".into(),
            format!("--cert-dir={}", d("apiserver-certs")),
            format!("--tls-cert-file={}", d("server.crt")),
            format!("--tls-private-key-file={}", d("server.key")),
            format!("--client-ca-file={}", d("ca.crt")),
            format!("--token-auth-file={}", d("tokens.csv")),
            "--authorization-mode=RBAC".into(),
            format!("--service-account-issuer={SERVICE_ACCOUNT_ISSUER}"),
            format!("--service-account-signing-key-file={}", d("sa.key")),
            format!("--service-account-key-file={}", d("sa.pub")),
            format!("--api-audiences={SERVICE_ACCOUNT_ISSUER}"),
            "--profiling=false".into(),
        ],
    )?;
    let client = client_builder(&pki.ca_pem)?
        .timeout(Duration::from_secs(5))
        .build()?;
    let (client, readyz_url, token) = (&client, &format!("{api_url}/readyz"), &pki.admin_token);
    wait_until(
        &mut processes,
        deadline,
        "kube-apiserver /readyz",
        move || async move {
            let answer = client.get(readyz_url).bearer_auth(token).send().await?;
            let status = answer.status();
            let body = answer.text().await?;
            if status.is_success() && body.trim() == "ok" {
                Ok(())
            } else {
                Err(anyhow!("answered {status}: {}", last_lines(&body, 5)))
            }
        },
    )
    .await?;

    if options.controller_manager {
        processes.spawn(
            "kube-controller-manager",
            &binaries.controller_manager,
            &[
                format!("--kubeconfig={}", kubeconfig.display()),
                "--bind-address=127.0.0.1".into(),
                format!("--secure-port={kcm_port}"),
                // 1.20 otherwise opens an insecure port on 0.0.0.0.
                "--port=0".into(),
                format!("--cert-dir={}", d("kcm-certs")),
                "--leader-elect=false".into(),
                "--controllers=serviceaccount-token,serviceaccount,namespace".into(),
                format!("--service-account-private-key-file={}", d("sa.key")),
                format!("--root-ca-file={}", d("ca.crt")),
                "--use-service-account-credentials=false".into(),
            ],
        )?;
        // It serves /healthz with a self-signed certificate of its own.
        let insecure = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(5))
            .build()?;
        let (insecure, healthz_url) = (&insecure, &format!("https://127.0.0.1:{kcm_port}/healthz"));
        wait_until(
            &mut processes,
            deadline,
            "kube-controller-manager /healthz",
            move || async move {
                let answer = insecure.get(healthz_url).send().await?;
                let status = answer.status();
                let body = answer.text().await?;
                if status.is_success() && body.trim() == "ok" {
                    Ok(())
                } else {
                    Err(anyhow!("answered {status}: {}", last_lines(&body, 5)))
                }
            },
        )
        .await?;
    }

    Ok(TestCluster {
        processes,
        dir,
        api_url,
        ca_pem: pki.ca_pem,
        admin_token: pki.admin_token,
        kubeconfig,
        started_in: started.elapsed(),
    })
}

/// Polls `check` every 100 ms until it succeeds; fails when a process exits or at the
/// deadline, with the last answer and the tails of the logs.
async fn wait_until<F, Fut>(
    processes: &mut Processes,
    deadline: Instant,
    what: &str,
    mut check: F,
) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    loop {
        let last = match check().await {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        if let Some(exited) = processes.first_exited() {
            bail!("{exited} while waiting for {what}\n{}", processes.tails());
        }
        if Instant::now() > deadline {
            bail!(
                "{what} not ready in time; last: {last:#}\n{}",
                processes.tails()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn client_builder(ca_pem: &str) -> Result<reqwest::ClientBuilder> {
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).context("reading the CA")?;
    Ok(reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca))
}

/// Five ports free on 127.0.0.1 right now (all held until all are picked, so they differ).
fn free_ports() -> Result<[u16; 5]> {
    let listeners = (0..5)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<io::Result<Vec<_>>>()
        .context("picking free ports")?;
    let mut ports = [0u16; 5];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener.local_addr()?.port();
    }
    Ok(ports)
}

struct Pki {
    ca_crt: PathBuf,
    ca_pem: String,
    admin_token: String,
}

const OPENSSL_CONFIG: &str = "\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = testcluster-ca
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
";

/// With `openssl`: a CA (P-256), the API server's serving certificate signed by it, an RSA
/// key pair for service-account tokens, and the static token file with the admin.
fn make_pki(dir: &Path) -> Result<Pki> {
    fs::write(dir.join("openssl.cnf"), OPENSSL_CONFIG)?;
    let openssl = |args: &[&str]| -> Result<()> {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running openssl: {SETUP_HINT}"))?;
        if !output.status.success() {
            bail!(
                "`openssl {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    };
    let ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
    openssl(&[&["genpkey"][..], &ec, &["-out", "ca.key"]].concat())?;
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-config",
        "openssl.cnf",
        "-extensions",
        "v3_ca",
        "-key",
        "ca.key",
        "-days",
        "3650",
        "-out",
        "ca.crt",
    ])?;
    openssl(&[&["genpkey"][..], &ec, &["-out", "server.key"]].concat())?;
    openssl(&[
        "req",
        "-new",
        "-config",
        "openssl.cnf",
        "-key",
        "server.key",
        "-subj",
        "/CN=kube-apiserver",
        "-out",
        "server.csr",
    ])?;
    let serial = format!("0x{}", random_hex(16)?);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-set_serial",
        &serial,
        "-days",
        "3650",
        "-extfile",
        "openssl.cnf",
        "-extensions",
        "v3_server",
        "-out",
        "server.crt",
    ])?;
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        "sa.key",
    ])?;
    openssl(&["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"])?;

    let admin_token = random_hex(32)?;
    fs::write(
        dir.join("tokens.csv"),
        format!("{admin_token},{ADMIN_USER},{ADMIN_USER},\"system:masters\"\n"),
    )?;
    let ca_crt = dir.join("ca.crt");
    Ok(Pki {
        ca_pem: fs::read_to_string(&ca_crt)?,
        ca_crt,
        admin_token,
    })
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    fs::File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    Ok(buffer.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

fn kubeconfig_text(api_url: &str, ca_crt: &Path, token: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: testcluster
  cluster:
    server: {api_url}
    certificate-authority: {ca}
users:
- name: {ADMIN_USER}
  user:
    token: {token}
contexts:
- name: testcluster
  context:
    cluster: testcluster
    user: {ADMIN_USER}
current-context: testcluster
",
        ca = ca_crt.display()
    )
}
