//! `POST api/k8s/set-up`: "Set it up in the cluster" — the course's dead end, closed. A
//! Kubernetes auth method configured with host and CA only fails every login at TokenReview
//! when Vault runs outside the cluster; the secrets engine can do nothing without a JWT.
//! Both need a service account, a ClusterRoleBinding and a token, pasted into the mount's
//! configuration. Vaultdeck does it with its own cluster identity, so it is offered only when
//! the deployment allows it (`--set-up-service-accounts`, off by default) and the user's
//! Vault token may update the mount's configuration.
//!
//! What the user gains: through Vault, the bound ClusterRole's rights — Vault sends the
//! token wherever the mount's `kubernetes_host` points. The host and CA written here are this
//! cluster's, in the same write as the token; the auth method drops the reviewer JWT when its
//! configuration is written again without one, but the secrets engine merges writes, so a
//! user who may update its configuration can later point it elsewhere and have Vault send the
//! engine's token there. That is why the setting is off by default and the README says so.
//! The token never reaches the browser.

use super::{
    ensure_namespace, gate::authorize, gate::Need, is_managed_by_vaultdeck, kube_error,
    managed_by_vaultdeck, named, MountQuery, MANAGED_BY,
};
use crate::{error::ApiError, k8s_names, session::CurrentSession, state::AppState};
use axum::{
    extract::{Query, State},
    http::Method,
    Json,
};
use k8s_openapi::api::{
    authentication::v1::{TokenRequest, TokenRequestSpec},
    core::v1::ServiceAccount,
    rbac::v1::{ClusterRoleBinding, RoleRef, Subject},
};
use kube::api::{Api, PostParams};
use serde_json::{json, Map, Value};
use vaultdeck_app::wire::{
    k8s::{SetUpReport, SetUpRequest},
    MountKind,
};

/// A year: what Vault's reviewer or engine JWT is asked to live (the API server may cap it;
/// the report says when it ends). Long-lived, as the token Secrets of Vault's docs are, but
/// not forever.
const TOKEN_LIFETIME: i64 = 365 * 24 * 3600;

/// What TokenReview needs, granted by Kubernetes itself.
const REVIEWER_CLUSTER_ROLE: &str = "system:auth-delegator";

pub async fn set_up(
    State(state): State<AppState>,
    session: CurrentSession,
    Query(q): Query<MountQuery>,
    Json(body): Json<SetUpRequest>,
) -> Result<Json<SetUpReport>, ApiError> {
    if !state.config.set_up_service_accounts {
        return Err(ApiError::Forbidden(
            "This Vaultdeck does not set up service accounts (--set-up-service-accounts is off): \
             apply the YAML shown on this page with kubectl instead."
                .into(),
        ));
    }
    let namespace = k8s_names::namespace(body.namespace.trim())?.to_string();
    let account = k8s_names::object_name(body.service_account.trim())?.to_string();
    let granted = authorize(&state, &session, &q.mount, q.engine, Need::SetUp).await?;
    let kube = &granted.kube;
    let ca = kube.ca_pem.clone().ok_or_else(|| {
        ApiError::BadRequest(format!(
            "Vaultdeck reaches the cluster at {} without a CA certificate (through kubectl \
             proxy?), which Vault cannot use: apply the YAML shown on this page instead.",
            kube.api_url
        ))
    })?;
    let cluster_role = match granted.mount.kind {
        MountKind::Auth => REVIEWER_CLUSTER_ROLE.to_string(),
        MountKind::Secrets => state.config.engine_cluster_role.clone(),
    };
    let client = &kube.client;
    let created_namespace = ensure_namespace(client, &namespace).await?;
    let created_service_account = ensure_account(client, &namespace, &account).await?;
    let binding = bind(client, &cluster_role, &namespace, &account).await?;
    let (token, token_expires) = long_lived_token(client, &namespace, &account).await?;
    let config_path = format!("{}/config", granted.mount.api_path());
    let config = match granted.mount.kind {
        MountKind::Auth => {
            let kept = current_config(&state, &granted.token, &config_path).await?;
            auth_config(kept, &kube.api_url, &ca, &token)
        }
        MountKind::Secrets => engine_config(&kube.api_url, &ca, &token),
    };
    write_config(&state, &granted.token, &config_path, &config).await?;
    tracing::info!(%namespace, service_account = %account, %cluster_role, %config_path,
        "set up a service account for a Kubernetes mount");
    Ok(Json(SetUpReport {
        namespace,
        service_account: account,
        created_namespace,
        created_service_account,
        cluster_role_binding: binding,
        cluster_role,
        token_expires,
        config_path,
    }))
}

/// Creates the service account, labelled as Vaultdeck's; whether it was created. An account
/// that exists is used only if Vaultdeck created it: the set-up mints a year-long token of
/// it, and any other account (a controller's in `kube-system`, say) is not the user's to
/// have a token of.
async fn ensure_account(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<bool, ApiError> {
    let mut metadata = named(name);
    metadata.labels = Some(managed_by_vaultdeck());
    let account = ServiceAccount {
        metadata,
        ..ServiceAccount::default()
    };
    let accounts = Api::<ServiceAccount>::namespaced(client.clone(), namespace);
    match accounts.create(&PostParams::default(), &account).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let existing = accounts.get(name).await.map_err(kube_error)?;
            if is_managed_by_vaultdeck(&existing.metadata) {
                return Ok(false);
            }
            // Accounts set up before Vaultdeck labelled its own lack the label too; only
            // someone who may label service accounts can vouch for one.
            Err(ApiError::Conflict(format!(
                "The service account {namespace}/{name} exists and was not created by \
                 Vaultdeck, so Vaultdeck will not mint a token of it: name a new account \
                 (Vaultdeck creates it), or apply the YAML shown on this page with kubectl. \
                 If an earlier Vaultdeck created it, a cluster administrator can hand it back: \
                 kubectl label serviceaccount -n {namespace} {name} {}={}",
                MANAGED_BY.0, MANAGED_BY.1
            )))
        }
        Err(other) => Err(kube_error(other)),
    }
}

/// Binds `cluster_role` to the account, under a name made of all three (so an existing
/// binding of that name is this one); the binding's name.
async fn bind(
    client: &kube::Client,
    cluster_role: &str,
    namespace: &str,
    account: &str,
) -> Result<String, ApiError> {
    let name = binding_name(cluster_role, namespace, account);
    let binding = ClusterRoleBinding {
        metadata: named(&name),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: cluster_role.into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: account.into(),
            namespace: Some(namespace.into()),
            ..Subject::default()
        }]),
    };
    let bindings = Api::<ClusterRoleBinding>::all(client.clone());
    match bindings.create(&PostParams::default(), &binding).await {
        Ok(_) => Ok(name),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(name),
        Err(other) => Err(kube_error(other)),
    }
}

/// `vaultdeck-system-auth-delegator-vault-vault-` and 12 hex digits: what it binds, to whom,
/// and a digest of the three. The readable part alone is ambiguous (namespace `a-b` with account
/// `c` reads as namespace `a` with account `b-c`), and an existing binding of this name is
/// taken to be this one: without the digest, the second account would be left unbound.
fn binding_name(cluster_role: &str, namespace: &str, account: &str) -> String {
    use sha2::{Digest, Sha256};
    let role: String = cluster_role
        .chars()
        .map(
            |c| match c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                true => c.to_ascii_lowercase(),
                false => '-',
            },
        )
        .collect();
    // NUL is in none of the three, so no two triples hash the same text.
    let digest = Sha256::digest(format!("{cluster_role}\0{namespace}\0{account}"));
    let suffix = hex::encode(&digest[..6]);
    let mut readable = format!("vaultdeck-{role}-{namespace}-{account}");
    // An object name is at most 253 characters; the readable part is ASCII, so any cut is
    // on a character boundary.
    readable.truncate(MAX_NAME - 1 - suffix.len());
    format!("{readable}-{suffix}")
}

/// The longest name Kubernetes accepts for an object.
const MAX_NAME: usize = 253;

/// A token of the account for Vault to keep, and when it expires.
async fn long_lived_token(
    client: &kube::Client,
    namespace: &str,
    account: &str,
) -> Result<(String, String), ApiError> {
    let request = TokenRequest {
        spec: TokenRequestSpec {
            expiration_seconds: Some(TOKEN_LIFETIME),
            ..TokenRequestSpec::default()
        },
        ..TokenRequest::default()
    };
    let accounts = Api::<ServiceAccount>::namespaced(client.clone(), namespace);
    let answer = accounts
        .create_subresource::<_, TokenRequest>("token", account, &PostParams::default(), &request)
        .await
        .map_err(kube_error)?;
    let status = answer
        .status
        .ok_or_else(|| ApiError::Unavailable("the cluster issued no token".into()))?;
    Ok((status.token, status.expiration_timestamp.0.to_string()))
}

/// The auth method's configuration as Vault has it (none yet: empty).
async fn current_config(
    state: &AppState,
    token: &crate::vault::VaultToken,
    path: &str,
) -> Result<Map<String, Value>, ApiError> {
    let answer = state
        .vault
        .call_json(Method::GET, path, Some(token), None)
        .await?;
    if answer.status == 404 {
        return Ok(Map::new());
    }
    let data: Value = answer.success()?.field("data")?;
    Ok(data.as_object().cloned().unwrap_or_default())
}

/// A write of the auth method's configuration replaces it: what it had is sent back, with
/// this cluster and the new reviewer JWT.
fn auth_config(kept: Map<String, Value>, host: &str, ca: &str, jwt: &str) -> Value {
    const KEPT: [&str; 5] = [
        "pem_keys",
        "issuer",
        "disable_iss_validation",
        "disable_local_ca_jwt",
        "use_annotations_as_alias_metadata",
    ];
    let mut config: Map<String, Value> = kept
        .into_iter()
        .filter(|(key, _)| KEPT.contains(&key.as_str()))
        .collect();
    config.insert("kubernetes_host".into(), json!(host));
    config.insert("kubernetes_ca_cert".into(), json!(ca));
    config.insert("token_reviewer_jwt".into(), json!(jwt));
    Value::Object(config)
}

/// The engine merges a write into its configuration.
fn engine_config(host: &str, ca: &str, jwt: &str) -> Value {
    json!({
        "kubernetes_host": host,
        "kubernetes_ca_cert": ca,
        "service_account_jwt": jwt,
    })
}

async fn write_config(
    state: &AppState,
    token: &crate::vault::VaultToken,
    path: &str,
    config: &Value,
) -> Result<(), ApiError> {
    state
        .vault
        .call_json(Method::POST, path, Some(token), Some(config))
        .await?
        .success()
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_auth_configuration_keeps_what_the_page_does_not_set() {
        let kept = json!({
            "issuer": "https://kubernetes.default.svc",
            "disable_iss_validation": true,
            "kubernetes_host": "https://elsewhere:6443",
            "token_reviewer_jwt_set": false,
        });
        let config = auth_config(
            kept.as_object().unwrap().clone(),
            "https://k:6443",
            "CA",
            "jwt",
        );
        assert_eq!(config["issuer"], "https://kubernetes.default.svc");
        assert_eq!(config["disable_iss_validation"], true);
        assert_eq!(config["kubernetes_host"], "https://k:6443");
        assert_eq!(config["token_reviewer_jwt"], "jwt");
        assert!(config.get("token_reviewer_jwt_set").is_none());
    }

    #[test]
    fn binding_names_say_what_they_bind_to_whom() {
        let name = binding_name("system:auth-delegator", "vault", "vault");
        assert!(
            name.starts_with("vaultdeck-system-auth-delegator-vault-vault-"),
            "{name}"
        );
        assert_ne!(
            binding_name("r", "a-b", "c"),
            binding_name("r", "a", "b-c"),
            "namespace a-b with account c is not namespace a with account b-c"
        );
        let longest = binding_name("r", &"n".repeat(63), &"a".repeat(253));
        assert_eq!(longest.len(), MAX_NAME, "{longest}");
        assert_ne!(
            longest,
            binding_name("r", &"n".repeat(63), &"a".repeat(252))
        );
    }
}
