//! Who may use the BFF's cluster identity, and for what. Principle 1: the BFF adds custody,
//! not authority. A call names a Kubernetes mount — an auth method (`auth/MOUNT`) or a
//! secrets engine (`MOUNT`) — and before any cluster call the user's own Vault token must
//! show:
//!
//! 1. the capability — `read` on the mount's roles folder (`auth/MOUNT/role/`,
//!    `MOUNT/roles/`) to look, `update` on every role of it (`…/*`) to act;
//! 2. that the mount is of type `kubernetes` (an AppRole administrator's `update` on
//!    `auth/approle/role/*` says nothing about the cluster);
//! 3. to act: that the mount's configuration points at this very API server, host and CA
//!    compared — a user who controls a mount's `kubernetes_host` must not receive, through
//!    Vault, a token Vaultdeck minted with its cluster credentials.

use crate::{
    error::ApiError,
    kube::{Cluster, Kube, MountTarget},
    session::{CurrentSession, SessionEnd},
    state::AppState,
    vault::VaultToken,
};
use serde::Deserialize;
pub use vaultdeck_app::wire::k8s::MountKind;

/// What the user wants the cluster for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Looking at namespaces and service accounts.
    Look,
    /// Creating service accounts, or logging in as one for a test.
    Act,
    /// Write the mount's configuration with a service account Vaultdeck sets up.
    SetUp,
}

/// A Kubernetes mount a façade call is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubernetesMount {
    pub kind: MountKind,
    /// Its path, without slashes at the ends (`kubernetes`, `team/k8s`).
    pub path: String,
}

impl KubernetesMount {
    /// `auth/kubernetes` or `kubernetes`: the mount's API path.
    pub fn api_path(&self) -> String {
        match self.kind {
            MountKind::Auth => format!("auth/{}", self.path),
            MountKind::Secrets => self.path.clone(),
        }
    }

    /// The folder of its roles: `auth/M/role` (the auth method) or `M/roles` (the engine).
    fn roles(&self) -> String {
        match self.kind {
            MountKind::Auth => format!("auth/{}/role", self.path),
            MountKind::Secrets => format!("{}/roles", self.path),
        }
    }
}

/// A user allowed to use the cluster for a mount: their token, the mount, the cluster.
pub struct Granted {
    pub token: VaultToken,
    pub mount: KubernetesMount,
    pub kube: Kube,
}

pub const NO_CLUSTER: &str = "No Kubernetes cluster is configured. Run Vaultdeck in a pod (in-cluster), set KUBECONFIG, or set VAULTDECK_KUBE_API (e.g. http://127.0.0.1:8001 from kubectl proxy).";

/// Checks the user's Vault capability, the mount's type, and for `Act` where the mount
/// sends tokens; then hands out the cluster.
pub async fn authorize(
    state: &AppState,
    session: &CurrentSession,
    mount: &str,
    kind: MountKind,
    need: Need,
) -> Result<Granted, ApiError> {
    let active = session
        .0
        .as_ref()
        .ok_or(ApiError::SessionEnded(SessionEnd::Missing))?;
    let token = active.record.token.clone();
    let mount = KubernetesMount {
        kind,
        path: clean_mount(mount)?,
    };
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

/// `sys/capabilities-self` on the literal path `…/role/*` matches only rules that
/// cover any role name (`role/*`, `role/+`): `update` on one role is not enough to create
/// service accounts or mint tokens anywhere in the cluster.
async fn require_capability(
    state: &AppState,
    token: &VaultToken,
    mount: &KubernetesMount,
    need: Need,
) -> Result<(), ApiError> {
    let roles = mount.roles();
    let (path, capability, what) = match need {
        Need::Look => (format!("{roles}/"), "read", "look at the cluster"),
        Need::Act => (format!("{roles}/*"), "update", "act on the cluster"),
        Need::SetUp => (
            format!("{}/config", mount.api_path()),
            "update",
            "set up the mount's service account",
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

/// The mount's type, read with the user's token from `sys/internal/ui/mounts/…` (any token
/// with access to the mount may read it, unlike `sys/auth` and `sys/mounts`).
async fn require_kubernetes_mount(
    state: &AppState,
    token: &VaultToken,
    mount: &KubernetesMount,
) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    struct MountInfo {
        #[serde(rename = "type", default)]
        kind: String,
        #[serde(default)]
        path: String,
    }
    let at = mount.api_path();
    let path = format!("sys/internal/ui/mounts/{at}");
    let info: MountInfo = state.vault.read(token, &path).await.map_err(|error| {
        ApiError::Forbidden(format!(
            "Vaultdeck could not confirm that {at} is a Kubernetes mount: {error}"
        ))
    })?;
    // Vault answers for the mount that holds the path: `auth/k8s` asked as a secrets
    // engine, or `k8s/role/x` as a mount, would pass for the mount around them.
    let namespace = state.config.vault_namespace.as_deref();
    if info.path.is_empty() {
        return Err(ApiError::Forbidden(format!(
            "Vault did not say which mount serves {at}, so Vaultdeck cannot confirm that it is \
             a Kubernetes mount."
        )));
    }
    if !names_the_mount(&info.path, &mount.path, namespace) {
        return Err(ApiError::Forbidden(format!(
            "{at} is not a mount: the mount there is {}, and the rest is a path inside it.",
            info.path
        )));
    }
    if info.kind != "kubernetes" {
        return Err(ApiError::Forbidden(format!(
            "{at} is a “{}” mount, not a Kubernetes one: the cluster pages work only for \
             Kubernetes auth methods and secrets engines.",
            info.kind
        )));
    }
    Ok(())
}

/// Whether `sys/internal/ui/mounts` answered with `mount` itself (an auth method's path
/// comes without `auth/`). Vault gives the path relative to the token's namespace, but from
/// the root for a mount in a child namespace (`team/child/kv/` when Vaultdeck is configured
/// for `team`).
pub(super) fn names_the_mount(answered: &str, mount: &str, namespace: Option<&str>) -> bool {
    let answered = answered.trim_end_matches('/');
    let namespace = namespace.unwrap_or_default().trim_matches('/');
    let relative = match answered.strip_prefix(namespace) {
        Some(rest) if !namespace.is_empty() && rest.starts_with('/') => &rest[1..],
        _ => answered,
    };
    answered == mount || relative == mount
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
    mount: &KubernetesMount,
    kube: &Kube,
) -> Result<(), ApiError> {
    let at = mount.api_path();
    #[derive(Deserialize)]
    struct AuthConfig {
        #[serde(default)]
        kubernetes_host: String,
        #[serde(default)]
        kubernetes_ca_cert: String,
    }
    let path = format!("{at}/config");
    let config: AuthConfig = state.vault.read(token, &path).await.map_err(|error| {
        ApiError::Forbidden(format!(
            "Vaultdeck acts on the cluster for {at} only once it has seen that the mount \
             points at this cluster, and could not read {at}/config: {error}. Configure the \
             mount (“Use this cluster”), and give your token read on {at}/config."
        ))
    })?;
    let target = MountTarget {
        kubernetes_host: &config.kubernetes_host,
        kubernetes_ca_cert: &config.kubernetes_ca_cert,
    };
    kube.is_target_of(&target).map_err(|why| {
        ApiError::Forbidden(format!(
            "{at} is not configured for the cluster Vaultdeck uses: {why}. Vaultdeck will not \
             create service accounts or mint service-account tokens for it. Set its host and \
             CA with “Use this cluster”."
        ))
    })
}
