//! `POST api/k8s/test-login`: what a pod running as a service account would get from a
//! Kubernetes auth role — a real login with a real service-account token, its policies, and
//! its capabilities on the paths asked about — with the token minted by the BFF's cluster
//! identity made as weak as the check allows:
//!
//! - only for a mount that sends tokens to this cluster (`gate::Need::Act`);
//! - only for a service account the role binds by name, or — under a wildcard — one that
//!   exists in a bound namespace (never `*` expanded to whatever the caller names);
//! - for the role's audience, and then only once the API server has refused it (an
//!   audience the API server accepts makes a cluster credential); for a role without one
//!   only where the operator allows it (`--test-logins-without-audience`);
//! - for the shortest lifetime the API server grants (10 minutes);
//! - bound to a Secret made for this check and deleted right after it, so the token dies
//!   with it (TokenRequest's `boundObjectRef`).

use super::{
    gate::{authorize, Granted, MountKind, Need},
    kube_error,
};
use crate::{
    error::ApiError,
    k8s_names,
    session::CurrentSession,
    state::AppState,
    vault::{VaultClient, VaultToken},
};
use axum::{extract::State, Json};
use k8s_openapi::api::{
    authentication::v1::{BoundObjectReference, TokenRequest, TokenRequestSpec},
    core::v1::{Secret, ServiceAccount},
};
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use vaultdeck_app::wire::k8s::{
    BindingCheck, BindingRefusal, IssuedToken, LoginStep, PodToken, StepResult, TestLoginReport,
    TestLoginRequest,
};

/// The shortest lifetime TokenRequest accepts.
const SHORTEST_LIFETIME: i64 = 600;

/// The role's fields that decide whom it binds (`auth/MOUNT/role/NAME`).
#[derive(Deserialize, Default)]
pub(super) struct Role {
    #[serde(default)]
    bound_service_account_names: Vec<String>,
    #[serde(default)]
    bound_service_account_namespaces: Vec<String>,
    #[serde(default)]
    bound_service_account_namespace_selector: String,
    #[serde(default)]
    audience: String,
}

impl Role {
    /// The audiences a token for this role is minted for: the role's, when it has one
    /// (then the API server itself refuses the token), else the API server's default.
    pub(super) fn audiences(&self) -> Vec<String> {
        Some(self.audience.trim().to_string())
            .filter(|a| !a.is_empty())
            .into_iter()
            .collect()
    }
}

/// Each path is one call to Vault with the issued token, one after another. As many as a
/// delivery plan may hold secrets, whose check asks about each.
const MOST_CHECKED_PATHS: usize = vaultdeck_app::delivery::MOST_SECRETS;

pub async fn test_login(
    State(state): State<AppState>,
    session: CurrentSession,
    Json(body): Json<TestLoginRequest>,
) -> Result<Json<TestLoginReport>, ApiError> {
    if body.paths.len() > MOST_CHECKED_PATHS {
        return Err(ApiError::BadRequest(format!(
            "A check asks about at most {MOST_CHECKED_PATHS} paths."
        )));
    }
    let granted = authorize(&state, &session, &body.mount, MountKind::Auth, Need::Act).await?;
    let namespace = k8s_names::namespace(body.namespace.trim())?.to_string();
    let account = k8s_names::object_name(body.service_account.trim())?.to_string();
    let subject = format!("system:serviceaccount:{namespace}:{account}");
    let role = read_role(&state, &granted, &body.role).await?;
    let binding = check_binding(&granted, role.as_ref(), &namespace, &account).await?;
    let mut report = TestLoginReport {
        subject,
        binding,
        ..TestLoginReport::default()
    };
    let Some(role) = role.filter(|_| report.binding.ok) else {
        return Ok(Json(report));
    };
    if let Some(refused) = refusal_before_minting(&state, &granted, &role).await? {
        report.token_request = Some(refused);
        return Ok(Json(report));
    }
    let anchor = Anchor::create(&granted, &namespace).await?;
    let outcome = log_in_as_pod(&state, &granted, &role, &body, &anchor, &mut report).await;
    report.invalidated = Some(anchor.delete().await);
    outcome?;
    Ok(Json(report))
}

/// Why no token is minted for this role, if none is: a role without an audience, unless
/// the operator allowed it — such a token is one the whole API server accepts, and Vault
/// sends it where the mount's `kubernetes_host` points, which whoever administers the mount
/// can change between Vaultdeck's check of it and Vault's login, and so receive a working
/// credential of any account the role binds; for a role with one, a user who may re-point
/// the mount (who could catch a token Vault accepts elsewhere), or a connection to the API
/// server on which a refusal cannot be seen (see `require_refused_by_the_api_server`).
pub(super) async fn refusal_before_minting(
    state: &AppState,
    granted: &Granted,
    role: &Role,
) -> Result<Option<StepResult>, ApiError> {
    let refused = |why: &str| {
        Some(StepResult {
            ok: false,
            error: Some(why.into()),
        })
    };
    if role.audiences().is_empty() {
        if state.config.test_logins_without_audience {
            return Ok(None);
        }
        return Ok(refused(NO_AUDIENCE));
    }
    // The audience keeps the token from the API server, not from Vault: whoever may
    // re-point the mount could catch it on its way to review, and log in with it to any
    // role, anywhere, that binds the account for this audience.
    if !state.config.test_logins_without_audience {
        if let Some(why) = may_repoint(state, granted).await? {
            return Ok(refused(&why));
        }
    }
    // Through a proxy that adds credentials of its own (`kubectl proxy` behind
    // `--kube-api`) every token looks accepted; a token that cannot be valid says whether
    // the answer means anything on this connection.
    if accepted_by_the_api_server(&granted.kube, "vaultdeck-control-token-never-valid").await? {
        return Ok(refused(UNVERIFIABLE));
    }
    Ok(None)
}

/// Why the user could send the mount's reviews elsewhere, if they could: they may write its
/// configuration, put a mount of their own at its path (disable it and enable another, or
/// move one there). Rights the token does not hold yet (a user who may write the policies
/// that apply to them) are not foreseen.
async fn may_repoint(state: &AppState, granted: &Granted) -> Result<Option<String>, ApiError> {
    let config = format!("{}/config", granted.mount.api_path());
    let enable = format!("sys/auth/{}", granted.mount.path);
    for (path, writes) in [
        (config.as_str(), &["create", "update", "root"][..]),
        (
            enable.as_str(),
            &["create", "update", "delete", "sudo", "root"][..],
        ),
        ("sys/remount", &["update", "sudo", "root"][..]),
    ] {
        let held = state.vault.capabilities_self(&granted.token, path).await?;
        if held.iter().any(|c| writes.contains(&c.as_str())) {
            return Ok(Some(format!(
                "your token may change {path}, so it could send Vault's review of a test \
                 token to a server of its choosing during the check, and use the token at any \
                 Vault role that binds this service account for the same audience. Vaultdeck \
                 makes test tokens for users who administer a mount's roles but not where it \
                 points, and for others only where the operator allows it \
                 (--test-logins-without-audience, or the chart's \
                 rbac.testLoginsWithoutAudience)."
            )));
        }
    }
    Ok(None)
}

const UNVERIFIABLE: &str = "Vaultdeck cannot tell, through its connection to the API server \
    (a proxy that adds its own credentials, such as kubectl proxy), whether the API server \
    refuses a token for the role's audience, so it made none.";

const NO_AUDIENCE: &str = "the role has no audience, so a test token for it would be one the \
    whole cluster accepts, and Vault sends it to the mount's kubernetes_host, which whoever \
    administers the mount can change during the check. Vaultdeck checks roles that have an \
    audience (such as “vault”; pods then log in with a projected token for it), and roles \
    without one only where the operator allows it (--test-logins-without-audience, or the \
    chart's rbac.testLoginsWithoutAudience).";

/// The role, read with the user's token; `None` when it does not exist.
pub(super) async fn read_role(
    state: &AppState,
    granted: &Granted,
    name: &str,
) -> Result<Option<Role>, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.contains(['/', '\\']) {
        return Err(ApiError::BadRequest("a role name is required".into()));
    }
    let path = format!(
        "{}/role/{}",
        granted.mount.api_path(),
        crate::vault_path::encode_segment(name)
    );
    match state.vault.read::<Role>(&granted.token, &path).await {
        Ok(role) => Ok(Some(role)),
        Err(ApiError::Vault { status: 404, .. }) => Ok(None),
        Err(ApiError::Vault { status: 403, .. }) => Err(ApiError::Forbidden(format!(
            "To check whom the role binds, your Vault token needs read on {path}."
        ))),
        Err(other) => Err(other),
    }
}

/// Whether the role binds the account — by name, or through a wildcard for an account that
/// exists — so that no token is minted for an account a role merely fails to exclude.
pub(super) async fn check_binding(
    granted: &Granted,
    role: Option<&Role>,
    namespace: &str,
    account: &str,
) -> Result<BindingCheck, ApiError> {
    let Some(role) = role else {
        return Ok(refused(BindingRefusal::NoRole, &Role::default()));
    };
    // In Vault's order: the name, then the namespace.
    let names = &role.bound_service_account_names;
    let name_named = names.iter().any(|n| n == account);
    if !name_named && !names.iter().any(|n| glob_matches(n, account)) {
        return Ok(refused(BindingRefusal::NameNotBound, role));
    }
    let namespaces = &role.bound_service_account_namespaces;
    let namespace_named = namespaces.iter().any(|n| n == namespace);
    let namespace_globbed = namespaces.iter().any(|n| glob_matches(n, namespace))
        || !role
            .bound_service_account_namespace_selector
            .trim()
            .is_empty();
    if !namespace_named && !namespace_globbed {
        return Ok(refused(BindingRefusal::NamespaceNotBound, role));
    }
    if !(namespace_named && name_named) && !account_exists(granted, namespace, account).await? {
        return Ok(refused(BindingRefusal::AccountMissing, role));
    }
    Ok(BindingCheck {
        ok: true,
        refusal: None,
        bound_names: names.clone(),
        bound_namespaces: namespaces.clone(),
    })
}

fn refused(refusal: BindingRefusal, role: &Role) -> BindingCheck {
    BindingCheck {
        ok: false,
        refusal: Some(refusal),
        bound_names: role.bound_service_account_names.clone(),
        bound_namespaces: role.bound_service_account_namespaces.clone(),
    }
}

/// Vault's glob for bound names and namespaces: `*` matches any run of characters.
fn glob_matches(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return false;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

async fn account_exists(
    granted: &Granted,
    namespace: &str,
    account: &str,
) -> Result<bool, ApiError> {
    let accounts = Api::<ServiceAccount>::namespaced(granted.kube.client.clone(), namespace);
    Ok(accounts
        .get_opt(account)
        .await
        .map_err(kube_error)?
        .is_some())
}

/// The Secret a check's token is bound to: the token is valid only while it exists.
///
/// Dropped without [`Anchor::delete`] — the request timed out or the client went away while
/// the check waited on Vault — it still deletes the Secret, from a task of its own: the
/// token must die with the check, not live out its ten minutes.
pub(super) struct Anchor {
    secrets: Api<Secret>,
    pub(super) name: String,
    uid: String,
    deleted: bool,
    undeleted: crate::kube::Undeleted,
}

impl Anchor {
    pub(super) async fn create(granted: &Granted, namespace: &str) -> Result<Anchor, ApiError> {
        may_check_in(&granted.kube.client, namespace).await?;
        let secrets = Api::<Secret>::namespaced(granted.kube.client.clone(), namespace);
        let secret = Secret {
            metadata: ObjectMeta {
                generate_name: Some("vaultdeck-login-check-".into()),
                labels: Some(super::managed_by_vaultdeck()),
                annotations: Some(BTreeMap::from([(
                    "vaultdeck.io/purpose".to_string(),
                    "A test login's service-account token is bound to this Secret; Vaultdeck \
                     deletes it right after the check, which invalidates the token."
                        .to_string(),
                )])),
                ..ObjectMeta::default()
            },
            ..Secret::default()
        };
        let created = secrets
            .create(&PostParams::default(), &secret)
            .await
            .map_err(kube_error)?;
        granted.kube.undeleted.made();
        Ok(Anchor {
            secrets,
            name: created.metadata.name.unwrap_or_default(),
            uid: created.metadata.uid.unwrap_or_default(),
            deleted: false,
            undeleted: granted.kube.undeleted.clone(),
        })
    }

    fn reference(&self) -> BoundObjectReference {
        BoundObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Secret".into()),
            name: Some(self.name.clone()),
            uid: Some(self.uid.clone()),
        }
    }

    /// Deletes the Secret; whether it is gone.
    pub(super) async fn delete(mut self) -> bool {
        // Marked only once done: dropped mid-call, or failed, the drop tries again.
        let gone = delete_anchor(&self.secrets, &self.name).await;
        if gone {
            self.deleted = true;
            self.undeleted.gone();
        }
        gone
    }
}

impl Drop for Anchor {
    fn drop(&mut self) {
        if self.deleted {
            return;
        }
        let (secrets, name) = (self.secrets.clone(), std::mem::take(&mut self.name));
        let left_behind = format!("a test login's Secret {name} was left behind");
        self.undeleted.finish_later(
            async move {
                delete_anchor(&secrets, &name).await;
            },
            &left_behind,
        );
    }
}

/// What Vaultdeck's own identity must be allowed in `namespace` for a check: mint the
/// account's token, make its Secret and delete it again. Asked before anything is made:
/// where a cluster grants these only in some namespaces (the chart's
/// `rbac.testLoginNamespaces`), a check elsewhere must neither leave a Secret behind nor
/// mint a token whose Secret cannot be deleted.
async fn may_check_in(client: &kube::Client, namespace: &str) -> Result<(), ApiError> {
    for (verb, resource) in [
        ("create", "serviceaccounts/token"),
        ("create", "secrets"),
        ("delete", "secrets"),
    ] {
        if !super::token_abilities::may(client, namespace, verb, resource)
            .await?
            .allowed
        {
            return Err(ApiError::Forbidden(format!(
                "Vaultdeck's own service account may not {verb} {resource} in namespace \
                 {namespace}, which a test login needs there. The Helm chart grants it with \
                 rbac.testLogins, in the namespaces rbac.testLoginNamespaces lists (or in all)."
            )));
        }
    }
    Ok(())
}

async fn delete_anchor(secrets: &Api<Secret>, name: &str) -> bool {
    match secrets.delete(name, &DeleteParams::default()).await {
        Ok(_) => true,
        Err(kube::Error::Api(status)) if status.code == 404 => true,
        Err(error) => {
            tracing::warn!(secret = %name, "deleting a test login's Secret failed: {error}");
            false
        }
    }
}

/// TokenRequest, login, capabilities, revocation — written into `report` as they go, so
/// that a failure still shows the steps before it.
async fn log_in_as_pod(
    state: &AppState,
    granted: &Granted,
    role: &Role,
    body: &TestLoginRequest,
    anchor: &Anchor,
    report: &mut TestLoginReport,
) -> Result<(), ApiError> {
    let (namespace, account) = (body.namespace.trim(), body.service_account.trim());
    let Some(jwt) = recorded_pod_token(
        granted,
        (namespace, account),
        role.audiences(),
        anchor,
        (&mut report.token_request, &mut report.pod_token),
    )
    .await
    else {
        return Ok(());
    };
    let login_path = format!("{}/login", granted.mount.api_path());
    let login = state
        .vault
        .login(
            &login_path,
            &json!({ "role": body.role.trim(), "jwt": jwt }),
        )
        .await;
    let auth = match login {
        Ok(auth) => auth,
        Err(ApiError::Vault { status, errors }) => {
            report.login = Some(LoginStep {
                ok: false,
                status,
                errors,
            });
            return Ok(());
        }
        Err(other) => return Err(other),
    };
    report.login = Some(LoginStep {
        ok: true,
        status: 200,
        errors: Vec::new(),
    });
    report.token = Some(IssuedToken {
        policies: auth.policies.clone(),
        ttl: auth.lease_duration,
        metadata: auth.metadata.clone().unwrap_or_default(),
    });
    let issued = IssuedByCheck::new(&state.vault, auth.client_token.clone(), granted);
    report.capabilities = capabilities_of(state, issued.token(), &body.paths).await;
    report.revoked = Some(issued.revoke().await);
    Ok(())
}

/// The Vault token a check's login issued: revoked when the check is done, and also when it
/// is cut short (the client went away, the request timed out) and its future dropped.
/// Counted as made until revoked, like the anchor: a server that stops waits for it.
struct IssuedByCheck {
    vault: VaultClient,
    token: Option<VaultToken>,
    undeleted: crate::kube::Undeleted,
}

impl IssuedByCheck {
    fn new(vault: &VaultClient, token: VaultToken, granted: &Granted) -> IssuedByCheck {
        granted.kube.undeleted.made();
        IssuedByCheck {
            vault: vault.clone(),
            token: Some(token),
            undeleted: granted.kube.undeleted.clone(),
        }
    }

    fn token(&self) -> &VaultToken {
        self.token.as_ref().expect("held until revoked")
    }

    /// Whether Vault revoked it. Kept until then: dropped mid-call, or failed, the drop
    /// tries again.
    async fn revoke(mut self) -> bool {
        let revoked = self.vault.revoke_self(self.token()).await.is_ok();
        if revoked {
            self.token = None;
            self.undeleted.gone();
        }
        revoked
    }
}

impl Drop for IssuedByCheck {
    fn drop(&mut self) {
        let Some(token) = self.token.take() else {
            return;
        };
        let vault = self.vault.clone();
        self.undeleted.finish_later(
            async move {
                if let Err(error) = vault.revoke_self(&token).await {
                    tracing::warn!("a test login's Vault token could not be revoked: {error}");
                }
            },
            "a test login's Vault token was left to expire",
        );
    }
}

/// The pod's token (`pod_token`), with the TokenRequest step and what the token is written
/// into a report's two fields, as the test login and the delivery proof both show them.
/// `None` when the cluster refused: the step says why.
pub(super) async fn recorded_pod_token(
    granted: &Granted,
    (namespace, account): (&str, &str),
    audiences: Vec<String>,
    anchor: &Anchor,
    (step, token): (&mut Option<StepResult>, &mut Option<PodToken>),
) -> Option<String> {
    match pod_token(granted, namespace, account, &audiences, anchor).await {
        Ok((jwt, lifetime)) => {
            *step = Some(StepResult {
                ok: true,
                error: None,
            });
            *token = Some(PodToken {
                audiences,
                expiration_seconds: lifetime,
                bound_to: format!("Secret {namespace}/{}", anchor.name),
            });
            Some(jwt)
        }
        Err(error) => {
            *step = Some(StepResult {
                ok: false,
                error: Some(error.to_string()),
            });
            None
        }
    }
}

/// A token of the service account for `audiences`, as short-lived as allowed, bound to
/// the anchor; and the lifetime the API server granted.
pub(super) async fn pod_token(
    granted: &Granted,
    namespace: &str,
    account: &str,
    audiences: &[String],
    anchor: &Anchor,
) -> Result<(String, i64), ApiError> {
    let request = TokenRequest {
        spec: TokenRequestSpec {
            audiences: audiences.to_vec(),
            expiration_seconds: Some(SHORTEST_LIFETIME),
            bound_object_ref: Some(anchor.reference()),
        },
        ..TokenRequest::default()
    };
    let accounts = Api::<ServiceAccount>::namespaced(granted.kube.client.clone(), namespace);
    let answer = accounts
        .create_subresource::<_, TokenRequest>("token", account, &PostParams::default(), &request)
        .await
        .map_err(kube_error)?;
    let lifetime = answer.spec.expiration_seconds.unwrap_or(SHORTEST_LIFETIME);
    let token = answer.status.map(|s| s.token).unwrap_or_default();
    if !audiences.is_empty() {
        // If this fails, the anchor's deletion kills the token.
        require_refused_by_the_api_server(&granted.kube, &token, audiences).await?;
    }
    Ok((token, lifetime))
}

/// A token for a role's audience goes to Vault, and Vault sends it where the mount's
/// `kubernetes_host` points — which whoever administers the mount may change between
/// Vaultdeck's check and Vault's login. The audience is what makes that harmless: the API
/// server refuses such a token. If it accepts this one (the audience is its own issuer,
/// say), the token is a cluster credential, and it is not sent.
async fn require_refused_by_the_api_server(
    kube: &crate::kube::Kube,
    token: &str,
    audiences: &[String],
) -> Result<(), ApiError> {
    if accepted_by_the_api_server(kube, token).await? {
        return Err(ApiError::Forbidden(format!(
            "the API server accepts tokens for the role's audience ({}), so this token would \
             work against the whole cluster wherever Vault's review sends it; Vaultdeck did \
             not send it. Give the role an audience of its own, such as “vault”.",
            audiences.join(", ")
        )));
    }
    Ok(())
}

/// Whether the API server takes `token` as a credential (`GET /version` with it: 401 when
/// it does not; a bearer token that fails is not let through as anonymous).
async fn accepted_by_the_api_server(
    kube: &crate::kube::Kube,
    token: &str,
) -> Result<bool, ApiError> {
    let client = kube
        .client_as(token)
        .map_err(|e| ApiError::Unavailable(format!("The cluster client failed: {e}")))?;
    match client.apiserver_version().await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 401 => Ok(false),
        // Forbidden: the token was taken, only not allowed this.
        Err(kube::Error::Api(status)) if status.code == 403 => Ok(true),
        Err(other) => Err(ApiError::Unavailable(format!(
            "Vaultdeck could not ask the API server whether it refuses a token for the role's \
             audience, and sent none to Vault: {other}"
        ))),
    }
}

/// `{path: [capabilities]}` of the issued token on each path asked about.
async fn capabilities_of(
    state: &AppState,
    token: &VaultToken,
    paths: &[String],
) -> BTreeMap<String, Vec<String>> {
    let mut capabilities = BTreeMap::new();
    for path in paths
        .iter()
        .map(|p| p.trim().trim_start_matches('/'))
        .filter(|p| !p.is_empty())
    {
        let granted = state
            .vault
            .capabilities_self(token, path)
            .await
            .unwrap_or_else(|e| vec![format!("error: {e}")]);
        capabilities.insert(path.to_string(), granted);
    }
    capabilities
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn globs_match_as_vaults_do() {
        assert!(glob_matches("*", "anything"));
        assert!(glob_matches("webapp-*", "webapp-one"));
        assert!(glob_matches("*-one", "webapp-one"));
        assert!(glob_matches("a*c*e", "abcde"));
        assert!(!glob_matches("webapp-*", "other"));
        assert!(!glob_matches("webapp", "webapp"), "no star: not a glob");
        assert!(!glob_matches("ab*ba", "aba"));
    }
}
