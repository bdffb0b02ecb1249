//! The BFF's Kubernetes façade (`api/k8s/…`, `api/tools/certificate`): every body it sends
//! or accepts, and the URLs of its routes.

use super::encode_query_value;
pub use super::MountKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `GET api/k8s/cluster?mount=…`: whether Vaultdeck has a cluster, and how it reaches it
/// (to prefill a Kubernetes mount's configuration).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterInfo {
    pub configured: bool,
    pub reachable: bool,
    /// The API server's `gitVersion`, e.g. `v1.20.2`.
    #[serde(default)]
    pub version: Option<String>,
    /// How it was found: `in-cluster`, `kubeconfig` or `VAULTDECK_KUBE_API`.
    #[serde(default)]
    pub source: Option<String>,
    /// The API server's URL as Vaultdeck reaches it.
    #[serde(default)]
    pub api_url: Option<String>,
    /// The cluster's CA certificate(s), PEM.
    #[serde(default)]
    pub ca_pem: Option<String>,
    /// Why it is not configured or not reachable.
    #[serde(default)]
    pub error: Option<String>,
    /// How to connect a cluster, when none is configured.
    #[serde(default)]
    pub help: Option<String>,
    /// Whether this deployment offers "Set it up in the cluster" (`--set-up-service-accounts`).
    #[serde(default)]
    pub set_up_allowed: bool,
}

/// `GET api/k8s/namespaces?mount=…`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Namespaces {
    pub namespaces: Vec<String>,
}

/// `GET api/k8s/namespaces/{ns}/serviceaccounts?mount=…`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccounts {
    pub namespace: String,
    pub service_accounts: Vec<String>,
}

/// `POST api/k8s/namespaces/{ns}/serviceaccounts?mount=…`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewServiceAccount {
    pub name: String,
    /// Also create a `kubernetes.io/service-account-token` Secret for it, as many labs do.
    #[serde(default)]
    pub legacy_token_secret: bool,
    /// Create the namespace if it does not exist.
    #[serde(default)]
    pub create_namespace: bool,
}

/// What creating a service account made.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CreatedServiceAccount {
    pub namespace: String,
    pub name: String,
    pub created_namespace: bool,
    /// The name of the token Secret made for it, when one was asked for.
    #[serde(default)]
    pub token_secret: Option<String>,
}

/// `POST api/k8s/test-login`: log in to `role` as a pod running as the service account
/// would, and report what the token Vault issues may do on `paths`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestLoginRequest {
    pub mount: String,
    pub role: String,
    pub namespace: String,
    pub service_account: String,
    #[serde(default)]
    pub paths: Vec<String>,
}

/// The answer to a test login: each step Vaultdeck took, in order, until one failed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestLoginReport {
    /// `system:serviceaccount:NS:NAME`
    pub subject: String,
    /// Whether the role binds the service account: Vaultdeck mints tokens only for accounts
    /// a role names, or, under a wildcard, for accounts that exist.
    pub binding: BindingCheck,
    /// The cluster's TokenRequest (absent when the binding check failed).
    #[serde(default)]
    pub token_request: Option<StepResult>,
    /// How the token was made as weak as the check allows.
    #[serde(default)]
    pub pod_token: Option<PodToken>,
    /// The login to the role with that token.
    #[serde(default)]
    pub login: Option<LoginStep>,
    /// The Vault token the login gave.
    #[serde(default)]
    pub token: Option<IssuedToken>,
    /// `{path: [capabilities]}` of that token on each path asked about.
    #[serde(default)]
    pub capabilities: BTreeMap<String, Vec<String>>,
    /// Whether the Vault token was revoked afterwards.
    #[serde(default)]
    pub revoked: Option<bool>,
    /// Whether the object the cluster token was bound to was deleted, so the token died.
    #[serde(default)]
    pub invalidated: Option<bool>,
}

/// Whether a role binds a service account, and if not, why.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BindingCheck {
    pub ok: bool,
    #[serde(default)]
    pub refusal: Option<BindingRefusal>,
    /// The role's `bound_service_account_names`.
    #[serde(default)]
    pub bound_names: Vec<String>,
    /// The role's `bound_service_account_namespaces`.
    #[serde(default)]
    pub bound_namespaces: Vec<String>,
}

/// Why Vaultdeck would not mint a token for the service account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BindingRefusal {
    /// The role does not exist.
    NoRole,
    /// The namespace is not among the role's bound namespaces.
    NamespaceNotBound,
    /// The name is not among the role's bound service account names.
    NameNotBound,
    /// The role binds it only through a wildcard, and no such service account exists.
    AccountMissing,
}

/// One step that either worked or failed with a reason.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    pub ok: bool,
    #[serde(default)]
    pub error: Option<String>,
}

/// The service-account token Vaultdeck asked the cluster for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PodToken {
    /// The audiences it was issued for: the role's audience, or the API server's default.
    pub audiences: Vec<String>,
    /// Its lifetime: the shortest the API server grants.
    pub expiration_seconds: i64,
    /// `Secret NS/NAME`: the object it was bound to, deleted right after the check.
    pub bound_to: String,
}

/// Vault's answer to the login.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoginStep {
    pub ok: bool,
    pub status: u16,
    #[serde(default)]
    pub errors: Vec<String>,
}

/// What Vault issued (never the token itself).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub policies: Vec<String>,
    /// Seconds.
    pub ttl: u64,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// `POST api/k8s/token-abilities`: what a service-account token may do in the cluster, asked
/// of the cluster with that token itself (SelfSubjectRulesReview, and a
/// SelfSubjectAccessReview when a verb and resource are given) — never with Vaultdeck's
/// own credentials.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenAbilitiesRequest {
    pub token: super::Secret,
    pub namespace: String,
    /// With `resource`: "may this token VERB RESOURCE in NAMESPACE?"
    #[serde(default)]
    pub verb: Option<String>,
    /// A resource, optionally with its API group: `pods`, `deployments.apps`.
    #[serde(default)]
    pub resource: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenAbilities {
    /// Its rules in the namespace, as the API server lists them.
    pub rules: Vec<ResourceRule>,
    /// The API server could not list everything (its own words).
    #[serde(default)]
    pub incomplete: bool,
    #[serde(default)]
    pub evaluation_error: Option<String>,
    /// The answer to the verb-and-resource question, when one was asked.
    #[serde(default)]
    pub access: Option<AccessAnswer>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceRule {
    pub verbs: Vec<String>,
    #[serde(default)]
    pub api_groups: Vec<String>,
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub resource_names: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessAnswer {
    pub allowed: bool,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST api/k8s/set-up?mount=…[&engine=secrets]`: create the mount's service account in
/// the cluster — the auth method's TokenReview reviewer, bound to `system:auth-delegator`,
/// or the secrets engine's, bound to the deployment's engine ClusterRole — and write its
/// token, with this cluster's host and CA, into the mount's configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SetUpRequest {
    pub namespace: String,
    pub service_account: String,
}

/// What "Set it up" did. The token itself went to Vault only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SetUpReport {
    pub namespace: String,
    pub service_account: String,
    pub created_namespace: bool,
    pub created_service_account: bool,
    /// The ClusterRoleBinding, and the ClusterRole it grants.
    pub cluster_role_binding: String,
    pub cluster_role: String,
    /// When the token written into the configuration expires (RFC 3339).
    pub token_expires: String,
    /// The configuration path written, e.g. `auth/kubernetes/config`.
    pub config_path: String,
}

/// `POST api/tools/role-rules`: a Kubernetes secrets engine role's `generated_role_rules`
/// (YAML or JSON), checked before Vault gets it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleRulesText {
    pub text: String,
}

/// The rules as the cluster will read them, with what looks wrong though it parses.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleRules {
    pub rules: Vec<PolicyRule>,
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One `rbac/v1` PolicyRule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyRule {
    pub verbs: Vec<String>,
    #[serde(default)]
    pub api_groups: Vec<String>,
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub resource_names: Vec<String>,
    #[serde(default)]
    pub non_resource_urls: Vec<String>,
}

/// `GET api/k8s/workloads?mount=…&namespace=…`: the Deployments, StatefulSets and
/// DaemonSets of a namespace, as the injector sees their pod templates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Workloads {
    pub namespace: String,
    pub workloads: Vec<Workload>,
}

/// One workload: `kind` is `Deployment`, `StatefulSet` or `DaemonSet`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    pub kind: String,
    pub name: String,
    /// The pod template's `spec.serviceAccountName` (`default` when unset, as the API
    /// server fills it in for the pods).
    pub service_account: String,
    /// The pod template's `metadata.annotations` named `vault.hashicorp.com/…`, the only
    /// ones the injector reads.
    pub annotations: BTreeMap<String, String>,
}

/// `POST api/tools/certificate`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CertificateText {
    pub pem: String,
}

/// What a certificate in a PEM text says of itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CertificateFacts {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub expired: bool,
    pub is_ca: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Certificates {
    pub certificates: Vec<CertificateFacts>,
}

/// The URLs of the façade's routes, relative to the app's base.
pub mod urls {
    use super::encode_query_value as q;

    use super::MountKind;

    /// `&engine=secrets` for a secrets engine; nothing for an auth method (the default).
    fn engine(kind: MountKind) -> &'static str {
        match kind {
            MountKind::Auth => "",
            MountKind::Secrets => "&engine=secrets",
        }
    }

    pub fn cluster(mount: &str, kind: MountKind) -> String {
        format!("api/k8s/cluster?mount={}{}", q(mount), engine(kind))
    }

    pub fn namespaces(mount: &str, kind: MountKind) -> String {
        format!("api/k8s/namespaces?mount={}{}", q(mount), engine(kind))
    }

    pub fn service_accounts(mount: &str, kind: MountKind, namespace: &str) -> String {
        format!(
            "api/k8s/namespaces/{}/serviceaccounts?mount={}{}",
            q(namespace),
            q(mount),
            engine(kind)
        )
    }

    pub const TEST_LOGIN: &str = "api/k8s/test-login";

    pub fn workloads(mount: &str, namespace: &str) -> String {
        format!(
            "api/k8s/workloads?mount={}&namespace={}",
            q(mount),
            q(namespace)
        )
    }

    pub fn set_up(mount: &str, kind: MountKind) -> String {
        format!("api/k8s/set-up?mount={}{}", q(mount), engine(kind))
    }
    pub const TOKEN_ABILITIES: &str = "api/k8s/token-abilities";
    pub const CERTIFICATE: &str = "api/tools/certificate";
    pub const ROLE_RULES: &str = "api/tools/role-rules";
}
