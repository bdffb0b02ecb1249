//! The cluster Vaultdeck serves: found in-cluster (in a pod), else from `KUBECONFIG`, else
//! at `VAULTDECK_KUBE_API` (e.g. `kubectl proxy`'s `http://127.0.0.1:8001`). The BFF uses
//! its own credentials here only for what the user's Vault token allows (see handlers::k8s).

use crate::config::Config;
use base64::Engine;
use kube::config::{KubeConfigOptions, Kubeconfig};

#[derive(Clone)]
pub struct Kube {
    pub client: kube::Client,
    /// How it was found: `in-cluster`, `kubeconfig`, `VAULTDECK_KUBE_API`.
    pub source: &'static str,
    /// The API server's URL as the BFF reaches it.
    pub api_url: String,
    /// The cluster's CA certificate(s), PEM, when known.
    pub ca_pem: Option<String>,
}

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
    let ca_pem = kube_config
        .root_cert
        .as_ref()
        .map(|certs| certs.iter().map(|der| pem_of(der)).collect::<String>());
    match kube::Client::try_from(kube_config) {
        Ok(client) => {
            tracing::info!("Kubernetes API at {api_url} ({source})");
            Cluster::Configured(Kube {
                client,
                source,
                api_url,
                ca_pem,
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
    #[test]
    fn der_becomes_pem() {
        let pem = super::pem_of(&[0u8; 100]);
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
    }
}
