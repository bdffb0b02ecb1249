//! The cluster Vaultdeck serves: found in-cluster (in a pod), else from `KUBECONFIG`, else
//! at `VAULTDECK_KUBE_API` (e.g. `kubectl proxy`'s `http://127.0.0.1:8001`). The BFF uses
//! its own credentials here only for what the user's Vault token allows (see handlers::k8s).

use crate::config::Config;
use base64::Engine;
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;

#[derive(Clone)]
pub struct Kube {
    pub client: kube::Client,
    /// How it was found: `in-cluster`, `kubeconfig`, `VAULTDECK_KUBE_API`.
    pub source: &'static str,
    /// The API server's URL as the BFF reaches it.
    pub api_url: String,
    /// The cluster's CA certificate(s), PEM, when known.
    pub ca_pem: Option<String>,
    /// The same certificates, DER, for comparing with what a Vault mount trusts.
    pub ca_der: Vec<Vec<u8>>,
    /// Every URL that names this API server: the one used, the in-cluster service names
    /// when running in a pod, and the operator's aliases.
    pub names: Vec<reqwest::Url>,
    /// Objects made for one request that must be deleted again (a test login's Secret).
    pub undeleted: Undeleted,
    /// How the client was made, to make others for the same server with another identity.
    pub config: Box<kube::Config>,
}

/// Where a Kubernetes auth mount's configuration sends TokenReviews, as Vault reads it.
pub struct MountTarget<'a> {
    pub kubernetes_host: &'a str,
    pub kubernetes_ca_cert: &'a str,
}

/// How many objects Vaultdeck made for a request that are still there or being deleted (a
/// failed delete is given up on, and logged): a test login's Secret lives while the check
/// runs, and its token with it. A server that stops waits for none to be left, since a
/// runtime shutting down drops the tasks that would delete them.
#[derive(Clone)]
pub struct Undeleted(Arc<watch::Sender<usize>>);

impl Default for Undeleted {
    fn default() -> Self {
        Undeleted(Arc::new(watch::Sender::new(0)))
    }
}

impl Undeleted {
    pub fn made(&self) {
        self.0.send_modify(|count| *count += 1);
    }

    pub fn gone(&self) {
        self.0.send_modify(|count| {
            debug_assert!(*count > 0, "more objects gone than were made");
            *count = count.saturating_sub(1);
        });
    }

    /// Finishes, after its owner was dropped, the clean-up of one object counted here: on the
    /// runtime, counted until done (a server that stops waits for it); with no runtime (the
    /// process is ending) it cannot run, and `left_behind` is logged.
    pub fn finish_later(
        &self,
        cleanup: impl std::future::Future<Output = ()> + Send + 'static,
        left_behind: &str,
    ) {
        let undeleted = self.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    cleanup.await;
                    undeleted.gone();
                });
            }
            Err(_) => {
                tracing::warn!("{left_behind}");
                undeleted.gone();
            }
        }
    }

    /// Waits, at most `limit`, until none is left; whether none is.
    pub async fn until_none(&self, limit: Duration) -> bool {
        let mut count = self.0.subscribe();
        tokio::time::timeout(limit, count.wait_for(|left| *left == 0))
            .await
            .is_ok_and(|waited| waited.is_ok())
    }
}

impl Kube {
    /// A client for this API server that presents `token` instead of Vaultdeck's own
    /// credentials: what the cluster says to it is what it says to the token's holder.
    pub fn client_as(&self, token: &str) -> Result<kube::Client, String> {
        let mut config = (*self.config).clone();
        config.auth_info = kube::config::AuthInfo {
            token: Some(token.to_string().into()),
            ..Default::default()
        };
        kube::Client::try_from(config).map_err(|e| e.to_string())
    }

    /// Whether a mount configured with `target` sends tokens to this very API server: its
    /// host names this cluster, and the CA it trusts (if it names one) is this cluster's.
    /// `Err` says why not, in words for the user.
    pub fn is_target_of(&self, target: &MountTarget<'_>) -> Result<(), String> {
        let host = target.kubernetes_host.trim();
        if host.is_empty() {
            return Err("its kubernetes_host is not set".into());
        }
        let Ok(url) = reqwest::Url::parse(host) else {
            return Err(format!("its kubernetes_host {host:?} is not a URL"));
        };
        if !host_kept_as_written(host, &url) {
            return Err(format!(
                "its kubernetes_host {host} is not written as a plain scheme://host:port[/path] \
                 (Vault might reach another server than the one it names); write the host plainly"
            ));
        }
        if !self.names.iter().any(|name| same_endpoint(name, &url)) {
            return Err(format!(
                "its kubernetes_host {host} is not the API server Vaultdeck uses ({})",
                self.api_url
            ));
        }
        let trusted = match pem_certificates(target.kubernetes_ca_cert) {
            Ok(trusted) => trusted,
            Err(error) => return Err(format!("its kubernetes_ca_cert cannot be read: {error}")),
        };
        if trusted.iter().any(|der| !self.ca_der.contains(der)) {
            return Err(
                "its kubernetes_ca_cert holds a certificate that is not this cluster's CA".into(),
            );
        }
        Ok(())
    }
}

/// Whether the URL parser kept the host as written. It rewrites some hosts (`127.1`,
/// `2130706433` and `0x7f.0.0.1` all become `127.0.0.1`) that Vault's Go client would look
/// up by name instead, and reads `user@host`, which Go would send on as credentials.
fn host_kept_as_written(written: &str, parsed: &reqwest::Url) -> bool {
    let after_scheme = written.split_once("://").map_or(written, |(_, rest)| rest);
    let authority = after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(_) => authority.split_inclusive(']').next().unwrap_or_default(),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    };
    parsed
        .host_str()
        .is_some_and(|parsed| parsed.eq_ignore_ascii_case(host))
}

/// Scheme, host and port equal (ports defaulted), paths equal without a trailing slash.
fn same_endpoint(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path().trim_end_matches('/') == b.path().trim_end_matches('/')
}

/// The DER of every certificate in a PEM text (none for an empty one).
fn pem_certificates(pem: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut found = Vec::new();
    for block in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
        let block = block.map_err(|e| e.to_string())?;
        found.push(block.contents);
    }
    Ok(found)
}

/// The names a pod reaches its own cluster's API server by, besides the address in its
/// environment: the `kubernetes` service in `default`, which only that server answers.
const IN_CLUSTER_NAMES: &[&str] = &[
    "https://kubernetes.default.svc.cluster.local",
    "https://kubernetes.default.svc",
    "https://kubernetes.default",
    "https://kubernetes",
];

/// Whether and how a cluster is configured.
#[derive(Clone)]
pub enum Cluster {
    Configured(Kube),
    /// Nothing configured: the Kubernetes pages say how to connect one.
    Absent,
    /// Configured, but the configuration could not be used.
    Broken(String),
}

/// Where the pod's service account token is mounted: with `KUBERNETES_SERVICE_HOST`, the
/// sign that Vaultdeck runs in a pod.
const IN_CLUSTER_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

pub async fn connect(config: &Config) -> Cluster {
    let cluster = connect_client(config).await;
    match cluster {
        Cluster::Configured(mut kube) => {
            kube.names.extend(config.kube_host_aliases.iter().cloned());
            Cluster::Configured(kube)
        }
        other => other,
    }
}

async fn connect_client(config: &Config) -> Cluster {
    let in_pod = std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
        && std::path::Path::new(IN_CLUSTER_TOKEN).exists();
    let (source, found) = if in_pod {
        (
            "in-cluster",
            kube::Config::incluster().map_err(|e| e.to_string()),
        )
    } else if let Some(path) = &config.kubeconfig {
        ("kubeconfig", from_kubeconfig(path).await)
    } else if let Some(url) = &config.kube_api {
        let parsed = url.as_str().parse().map(kube::Config::new);
        ("VAULTDECK_KUBE_API", parsed.map_err(|e| format!("{e}")))
    } else {
        return Cluster::Absent;
    };
    let kube_config = match found {
        Ok(kube_config) => kube_config,
        Err(error) => return Cluster::Broken(format!("{source}: {error}")),
    };
    let api_url = kube_config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let ca_der = kube_config.root_cert.clone().unwrap_or_default();
    let ca_pem =
        (!ca_der.is_empty()).then(|| ca_der.iter().map(|der| pem_of(der)).collect::<String>());
    let mut names: Vec<reqwest::Url> = reqwest::Url::parse(&api_url).into_iter().collect();
    if source == "in-cluster" {
        names.extend(
            IN_CLUSTER_NAMES
                .iter()
                .filter_map(|n| reqwest::Url::parse(n).ok()),
        );
    }
    let config = Box::new(kube_config.clone());
    match kube::Client::try_from(kube_config) {
        Ok(client) => {
            tracing::info!("Kubernetes API at {api_url} ({source})");
            Cluster::Configured(Kube {
                client,
                source,
                api_url,
                ca_pem,
                ca_der,
                names,
                config,
                undeleted: Undeleted::default(),
            })
        }
        Err(error) => Cluster::Broken(format!("{source}: {error}")),
    }
}

async fn from_kubeconfig(path: &std::path::Path) -> Result<kube::Config, String> {
    let file = Kubeconfig::read_from(path).map_err(|e| format!("{}: {e}", path.display()))?;
    kube::Config::from_custom_kubeconfig(file, &KubeConfigOptions::default())
        .await
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn pem_of(der: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kube_at(url: &str, ca: &[u8]) -> Kube {
        let config = kube::Config::new(url.parse().unwrap());
        Kube {
            client: kube::Client::try_from(config.clone()).unwrap(),
            config: Box::new(config),
            source: "kubeconfig",
            api_url: url.into(),
            ca_pem: Some(pem_of(ca)),
            ca_der: vec![ca.to_vec()],
            names: vec![url.parse().unwrap()],
            undeleted: Undeleted::default(),
        }
    }

    #[tokio::test]
    async fn a_mount_counts_as_this_cluster_only_with_its_host_and_ca() {
        let kube = kube_at("https://127.0.0.1:6443", &[1, 2, 3]);
        let ours = pem_of(&[1, 2, 3]);
        let theirs = pem_of(&[9, 9, 9]);
        let target = |host: &'static str, ca: &'static str| MountTarget {
            kubernetes_host: host,
            kubernetes_ca_cert: ca,
        };
        let ours: &'static str = Box::leak(ours.into_boxed_str());
        let both: &'static str = Box::leak(format!("{ours}{theirs}").into_boxed_str());
        assert!(kube
            .is_target_of(&target("https://127.0.0.1:6443", ours))
            .is_ok());
        assert!(kube
            .is_target_of(&target("https://127.0.0.1:6443/", ""))
            .is_ok());
        assert!(kube
            .is_target_of(&target("HTTPS://127.0.0.1:6443", ours))
            .is_ok());
        for (host, ca, why) in [
            ("https://attacker.example:6443", ours, "not the API server"),
            ("https://127.0.0.1:6444", ours, "not the API server"),
            ("http://127.0.0.1:6443", ours, "not the API server"),
            ("", ours, "not set"),
            ("https://127.0.0.1:6443", both, "not this cluster's CA"),
            // A URL parser turns these into 127.0.0.1; Vault's Go client looks the text up
            // by name (through its DNS search path), so they may reach another server.
            ("https://2130706433:6443", ours, "written as"),
            ("https://127.1:6443", ours, "written as"),
            ("https://0x7f.0.0.1:6443", ours, "written as"),
            ("https://someone@127.0.0.1:6443", ours, "written as"),
            ("https://127.0.0.1.:6443", ours, "written as"),
        ] {
            let refused = kube.is_target_of(&target(host, ca)).unwrap_err();
            assert!(refused.contains(why), "{host}: {refused}");
        }
    }

    #[tokio::test]
    async fn a_stopping_server_waits_until_nothing_is_left_undeleted() {
        let undeleted = Undeleted::default();
        assert!(undeleted.until_none(Duration::ZERO).await);
        undeleted.made();
        undeleted.made();
        undeleted.gone();
        assert!(!undeleted.until_none(Duration::from_millis(20)).await);
        let later = undeleted.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            later.gone();
        });
        assert!(undeleted.until_none(Duration::from_secs(5)).await);
    }

    #[test]
    fn der_becomes_pem() {
        let pem = super::pem_of(&[0u8; 100]);
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
    }
}
