//! Who may use the BFF's cluster identity, and for what. Principle 1: the BFF adds custody,
//! not authority. Before any cluster call the user's own Vault token must show:
//!
//! 1. the capability — `read` on `auth/MOUNT/role/` to look, `update` on
//!    `auth/MOUNT/role/*` (every role of the mount) to act;
//! 2. that `auth/MOUNT` is a Kubernetes auth method (an AppRole administrator's `update` on
//!    `auth/approle/role/*` says nothing about the cluster);
//! 3. to act: that the mount's configuration sends tokens to this very API server, host and
//!    CA compared — a user who controls a mount's `kubernetes_host` must not receive, through
//!    Vault's TokenReview, a token Vaultdeck minted with its cluster credentials.

use crate::{
    error::ApiError,
    kube::{Cluster, Kube, MountTarget},
    session::{CurrentSession, SessionEnd},
    state::AppState,
    vault::VaultToken,
};
use serde::Deserialize;

/// What the user wants the cluster for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Looking at namespaces and service accounts.
    Look,
    /// Creating service accounts, or logging in as one for a test.
    Act,
}

/// A user allowed to use the cluster for a mount: their token, the mount, the cluster.
pub struct Granted {
    pub token: VaultToken,
    pub mount: String,
    pub kube: Kube,
}

pub const NO_CLUSTER: &str = "No Kubernetes cluster is configured. Run Vaultdeck in a pod (in-cluster), set KUBECONFIG, or set VAULTDECK_KUBE_API (e.g. http://127.0.0.1:8001 from kubectl proxy).";

/// Checks the user's Vault capability, the mount's type, and for `Act` where the mount
/// sends tokens; then hands out the cluster.
pub async fn authorize(
    state: &AppState,
    session: &CurrentSession,
    mount: &str,
    need: Need,
) -> Result<Granted, ApiError> {
    let active = session
        .0
        .as_ref()
        .ok_or(ApiError::SessionEnded(SessionEnd::Missing))?;
    let token = active.record.token.clone();
    let mount = clean_mount(mount)?;
    require_capability(state, &token, &mount, need).await?;
    require_kubernetes_mount(state, &token, &mount).await?;
    let kube = cluster(state)?;
    if need == Need::Act {
        require_this_cluster(state, &token, &mount, &kube).await?;
    }
    Ok(Granted { token, mount, kube })
}

pub fn clean_mount(mount: &str) -> Result<String, ApiError> {
    let mount = mount.trim().trim_matches('/');
    if mount.is_empty()
        || mount
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(ApiError::BadRequest(
            "a Kubernetes auth mount is required (mount=…)".into(),
        ));
    }
    Ok(mount.to_string())
}

/// `sys/capabilities-self` on the literal path `auth/MOUNT/role/*` matches only rules that
/// cover any role name (`role/*`, `role/+`): `update` on one role is not enough to create
/// service accounts or mint tokens anywhere in the cluster.
async fn require_capability(
    state: &AppState,
    token: &VaultToken,
    mount: &str,
    need: Need,
) -> Result<(), ApiError> {
    let (path, capability, what) = match need {
        Need::Look => (format!("auth/{mount}/role/"), "read", "look at the cluster"),
        Need::Act => (
            format!("auth/{mount}/role/*"),
            "update",
            "act on the cluster",
        ),
    };
    let granted = state.vault.capabilities_self(token, &path).await?;
    if granted.iter().any(|c| c == capability || c == "root") {
        return Ok(());
    }
    Err(ApiError::Forbidden(format!(
        "To {what} through Vaultdeck, your Vault token needs “{capability}” on {path} (it has: {}).",
        granted.join(", ")
    )))
}

/// The mount's type, read with the user's token from `sys/internal/ui/mounts/auth/MOUNT`
/// (any token with access to the mount may read it, unlike `sys/auth`).
async fn require_kubernetes_mount(
    state: &AppState,
    token: &VaultToken,
    mount: &str,
) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    struct MountInfo {
        #[serde(rename = "type", default)]
        kind: String,
    }
    let path = format!("sys/internal/ui/mounts/auth/{mount}");
    let info: MountInfo = state.vault.read(token, &path).await.map_err(|error| {
        ApiError::Forbidden(format!(
            "Vaultdeck could not confirm that auth/{mount} is a Kubernetes auth method: {error}"
        ))
    })?;
    if info.kind != "kubernetes" {
        return Err(ApiError::Forbidden(format!(
            "auth/{mount} is a “{}” auth method, not a Kubernetes one: the cluster pages work \
             only for Kubernetes auth methods.",
            info.kind
        )));
    }
    Ok(())
}

pub fn cluster(state: &AppState) -> Result<Kube, ApiError> {
    match state.cluster.as_ref() {
        Cluster::Configured(kube) => Ok(kube.clone()),
        Cluster::Absent => Err(ApiError::Unavailable(NO_CLUSTER.into())),
        Cluster::Broken(error) => Err(ApiError::Unavailable(format!(
            "The Kubernetes configuration could not be used: {error}"
        ))),
    }
}

/// The mount's `kubernetes_host` and `kubernetes_ca_cert`, read with the user's token, must
/// be this cluster's.
async fn require_this_cluster(
    state: &AppState,
    token: &VaultToken,
    mount: &str,
    kube: &Kube,
) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    struct AuthConfig {
        #[serde(default)]
        kubernetes_host: String,
        #[serde(default)]
        kubernetes_ca_cert: String,
    }
    let path = format!("auth/{mount}/config");
    let config: AuthConfig = state.vault.read(token, &path).await.map_err(|error| {
        ApiError::Forbidden(format!(
            "Vaultdeck acts on the cluster for auth/{mount} only once it has seen that the \
             mount sends tokens to this cluster, and could not read auth/{mount}/config: \
             {error}. Configure the method (“Use this cluster”), and give your token read on \
             auth/{mount}/config."
        ))
    })?;
    let target = MountTarget {
        kubernetes_host: &config.kubernetes_host,
        kubernetes_ca_cert: &config.kubernetes_ca_cert,
    };
    kube.is_target_of(&target).map_err(|why| {
        ApiError::Forbidden(format!(
            "auth/{mount} is not configured for the cluster Vaultdeck uses: {why}. Vaultdeck \
             will not create service accounts or mint service-account tokens for it. Set its \
             host and CA with “Use this cluster”."
        ))
    })
}
