//! `api/k8s/…`: the Kubernetes façade — the cluster, its namespaces and service accounts,
//! creating a service account, and the test login ("can this pod read it?"). Every call
//! first asks Vault, with the user's own token, whether they may act on the Kubernetes
//! auth mount; the BFF's cluster credentials never do more than the user's Vault token allows.

use crate::{
    error::ApiError,
    kube::{Cluster, Kube},
    session::{CurrentSession, SessionEnd},
    state::AppState,
    vault::VaultToken,
};
use axum::{
    extract::{Path, Query, State},
    http::Method,
    Json,
};
use k8s_openapi::api::{
    authentication::v1::{TokenRequest, TokenRequestSpec},
    core::v1::{Namespace, Secret, ServiceAccount},
};
use kube::api::{Api, ListParams, ObjectMeta, PostParams};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Deserialize)]
pub struct MountQuery {
    /// The Kubernetes auth mount the user is working on (its path, e.g. `kubernetes`).
    mount: String,
}

/// What the user's token must allow before the BFF touches the cluster.
enum Need {
    /// Looking at the cluster: `read` on `auth/MOUNT/role/`.
    Read,
    /// Changing it or logging in as one of its service accounts: `update` on
    /// `auth/MOUNT/role/*`, i.e. on every role of the mount. `sys/capabilities-self` on
    /// that literal path matches only rules that cover any role name (`role/*`,
    /// `role/+`), so `update` on one role is not enough to mint tokens for, or create,
    /// service accounts anywhere in the cluster.
    Update,
}

fn clean_mount(mount: &str) -> Result<String, ApiError> {
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

/// Checks the user's Vault capability, then hands out the cluster.
async fn authorize(
    state: &AppState,
    session: &CurrentSession,
    mount: &str,
    need: Need,
) -> Result<(Kube, VaultToken), ApiError> {
    let active = session
        .0
        .as_ref()
        .ok_or(ApiError::SessionEnded(SessionEnd::Missing))?;
    let token = active.record.token.clone();
    let mount = clean_mount(mount)?;
    let (path, capability, what) = match &need {
        Need::Read => (format!("auth/{mount}/role/"), "read", "look at the cluster"),
        Need::Update => (
            format!("auth/{mount}/role/*"),
            "update",
            "act on the cluster",
        ),
    };
    let granted = state.vault.capabilities_self(&token, &path).await?;
    if !granted.iter().any(|c| c == capability || c == "root") {
        return Err(ApiError::Forbidden(format!(
            "To {what} through Vaultdeck, your Vault token needs “{capability}” on {path} (it has: {}).",
            granted.join(", ")
        )));
    }
    match state.cluster.as_ref() {
        Cluster::Configured(kube) => Ok((kube.clone(), token)),
        Cluster::Absent => Err(ApiError::Unavailable(NO_CLUSTER.into())),
        Cluster::Broken(error) => Err(ApiError::Unavailable(format!(
            "The Kubernetes configuration could not be used: {error}"
        ))),
    }
}

const NO_CLUSTER: &str = "No Kubernetes cluster is configured. Run Vaultdeck in a pod (in-cluster), set KUBECONFIG, or set VAULTDECK_KUBE_API (e.g. http://127.0.0.1:8001 from kubectl proxy).";

fn kube_error(error: kube::Error) -> ApiError {
    match error {
        kube::Error::Api(status) => ApiError::Vault {
            status: status.code,
            errors: vec![format!("Kubernetes: {}", status.message)],
        },
        other => ApiError::Unavailable(format!("The Kubernetes API could not be reached: {other}")),
    }
}

/// `GET api/k8s/cluster?mount=…`: whether a cluster is configured and reachable, its version,
/// and its URL and CA, to prefill the auth method's configuration.
pub async fn get_cluster(
    State(state): State<AppState>,
    session: CurrentSession,
    Query(q): Query<MountQuery>,
) -> Result<Json<Value>, ApiError> {
    let kube = match authorize(&state, &session, &q.mount, Need::Read).await {
        Ok((kube, _)) => kube,
        Err(ApiError::Unavailable(reason)) => {
            return Ok(Json(
                json!({ "configured": false, "reachable": false, "error": reason, "help": NO_CLUSTER }),
            ));
        }
        Err(other) => return Err(other),
    };
    let answer = match kube.client.apiserver_version().await {
        Ok(version) => {
            json!({ "configured": true, "reachable": true, "version": version.git_version, "source": kube.source, "api_url": kube.api_url, "ca_pem": kube.ca_pem })
        }
        Err(error) => {
            json!({ "configured": true, "reachable": false, "error": error.to_string(), "source": kube.source, "api_url": kube.api_url, "ca_pem": kube.ca_pem })
        }
    };
    Ok(Json(answer))
}

/// The names of every object an API lists.
async fn names_in<K>(api: Api<K>) -> Result<Vec<String>, ApiError>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    let list = api.list(&ListParams::default()).await.map_err(kube_error)?;
    Ok(list
        .items
        .into_iter()
        .filter_map(|object| object.meta().name.clone())
        .collect())
}

/// `GET api/k8s/namespaces?mount=…`
pub async fn list_namespaces(
    State(state): State<AppState>,
    session: CurrentSession,
    Query(q): Query<MountQuery>,
) -> Result<Json<Value>, ApiError> {
    let (kube, _) = authorize(&state, &session, &q.mount, Need::Read).await?;
    let names = names_in(Api::<Namespace>::all(kube.client)).await?;
    Ok(Json(json!({ "namespaces": names })))
}

/// `GET api/k8s/namespaces/{ns}/serviceaccounts?mount=…`
pub async fn list_service_accounts(
    State(state): State<AppState>,
    session: CurrentSession,
    Path(namespace): Path<String>,
    Query(q): Query<MountQuery>,
) -> Result<Json<Value>, ApiError> {
    let (kube, _) = authorize(&state, &session, &q.mount, Need::Read).await?;
    let names = names_in(Api::<ServiceAccount>::namespaced(kube.client, &namespace)).await?;
    Ok(Json(
        json!({ "namespace": namespace, "service_accounts": names }),
    ))
}

#[derive(Deserialize)]
pub struct NewServiceAccount {
    name: String,
    /// Also create a `kubernetes.io/service-account-token` Secret for it, as many labs do.
    #[serde(default)]
    legacy_token_secret: bool,
    /// Create the namespace if it does not exist.
    #[serde(default)]
    create_namespace: bool,
}

/// `POST api/k8s/namespaces/{ns}/serviceaccounts?mount=…`
pub async fn create_service_account(
    State(state): State<AppState>,
    session: CurrentSession,
    Path(namespace): Path<String>,
    Query(q): Query<MountQuery>,
    Json(body): Json<NewServiceAccount>,
) -> Result<Json<Value>, ApiError> {
    let (kube, _) = authorize(&state, &session, &q.mount, Need::Update).await?;
    let name = body.name.trim().to_string();
    if name.is_empty() {
        return Err(ApiError::BadRequest(
            "a service account name is required".into(),
        ));
    }
    let created_namespace =
        body.create_namespace && ensure_namespace(&kube.client, &namespace).await?;
    let account = ServiceAccount {
        metadata: named(&name),
        ..ServiceAccount::default()
    };
    Api::<ServiceAccount>::namespaced(kube.client.clone(), &namespace)
        .create(&PostParams::default(), &account)
        .await
        .map_err(kube_error)?;
    let token_secret = match body.legacy_token_secret {
        true => Some(create_token_secret(&kube.client, &namespace, &name).await?),
        false => None,
    };
    tracing::info!(namespace = %namespace, service_account = %name, "created a service account");
    Ok(Json(json!({
        "namespace": namespace,
        "name": name,
        "created_namespace": created_namespace,
        "token_secret": token_secret,
    })))
}

/// Creates the namespace unless it exists; whether it was created.
async fn ensure_namespace(client: &kube::Client, namespace: &str) -> Result<bool, ApiError> {
    let namespaces = Api::<Namespace>::all(client.clone());
    if namespaces
        .get_opt(namespace)
        .await
        .map_err(kube_error)?
        .is_some()
    {
        return Ok(false);
    }
    let new = Namespace {
        metadata: named(namespace),
        ..Namespace::default()
    };
    namespaces
        .create(&PostParams::default(), &new)
        .await
        .map_err(kube_error)?;
    Ok(true)
}

/// A long-lived `kubernetes.io/service-account-token` Secret for the account (the cluster
/// fills in its token), as older labs use; its name.
async fn create_token_secret(
    client: &kube::Client,
    namespace: &str,
    account: &str,
) -> Result<String, ApiError> {
    let mut metadata = named(&format!("{account}-token"));
    metadata.annotations = Some(BTreeMap::from([(
        "kubernetes.io/service-account.name".to_string(),
        account.to_string(),
    )]));
    let secret = Secret {
        metadata,
        type_: Some("kubernetes.io/service-account-token".into()),
        ..Secret::default()
    };
    let created = Api::<Secret>::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), &secret)
        .await
        .map_err(kube_error)?;
    Ok(created.metadata.name.unwrap_or_default())
}

fn named(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        ..ObjectMeta::default()
    }
}

#[derive(Deserialize)]
pub struct TestLogin {
    mount: String,
    role: String,
    namespace: String,
    service_account: String,
    /// Secret paths to check the resulting token's capabilities on.
    #[serde(default)]
    paths: Vec<String>,
    /// Request the token for this audience (the role's `audience`, if it has one).
    #[serde(default)]
    audience: Option<String>,
}

/// `POST api/k8s/test-login`: what a pod running as this service account would get — a
/// short-lived token from the cluster (TokenRequest), a login to the role with it, the
/// policies and capabilities of the Vault token that gives, then that token revoked.
pub async fn test_login(
    State(state): State<AppState>,
    session: CurrentSession,
    Json(body): Json<TestLogin>,
) -> Result<Json<Value>, ApiError> {
    let (kube, _) = authorize(&state, &session, &body.mount, Need::Update).await?;
    let mount = clean_mount(&body.mount)?;
    let subject = format!(
        "system:serviceaccount:{}:{}",
        body.namespace, body.service_account
    );
    let jwt = match pod_token(&kube, &body).await {
        Ok(jwt) => jwt,
        Err(error) => {
            let failed = json!({ "ok": false, "error": error.to_string() });
            return Ok(Json(json!({ "subject": subject, "token_request": failed })));
        }
    };
    let login_body = json!({ "role": body.role, "jwt": jwt });
    let login_path = format!("auth/{mount}/login");
    let login = state
        .vault
        .call_json(Method::POST, &login_path, None, Some(&login_body))
        .await?;
    let mut report = json!({
        "subject": subject,
        "token_request": { "ok": true },
        "login": { "ok": login.status == 200, "status": login.status, "errors": login.errors() },
    });
    let auth = &login.body["auth"];
    if let Some(issued) = auth["client_token"]
        .as_str()
        .filter(|_| login.status == 200)
    {
        report["token"] = json!({
            "policies": auth["policies"],
            "ttl": auth["lease_duration"],
            "metadata": auth["metadata"],
        });
        let issued = VaultToken::new(issued);
        report["capabilities"] = capabilities_of(&state, &issued, &body.paths).await;
        report["revoked"] = json!(revoke(&state, &issued).await);
    }
    Ok(Json(report))
}

/// A 10-minute token of the service account, as the kubelet would mount in its pod
/// (TokenRequest), for the role's audience if it has one.
async fn pod_token(kube: &Kube, body: &TestLogin) -> Result<String, ApiError> {
    let audiences = body.audience.clone().filter(|a| !a.is_empty());
    let request = TokenRequest {
        spec: TokenRequestSpec {
            audiences: audiences.into_iter().collect(),
            expiration_seconds: Some(600),
            ..TokenRequestSpec::default()
        },
        ..TokenRequest::default()
    };
    let accounts = Api::<ServiceAccount>::namespaced(kube.client.clone(), &body.namespace);
    let answer = accounts
        .create_subresource::<_, TokenRequest>(
            "token",
            &body.service_account,
            &PostParams::default(),
            &request,
        )
        .await
        .map_err(kube_error)?;
    Ok(answer.status.map(|s| s.token).unwrap_or_default())
}

/// `{path: [capabilities]}` of the issued token on each path asked about.
async fn capabilities_of(state: &AppState, token: &VaultToken, paths: &[String]) -> Value {
    let mut capabilities = serde_json::Map::new();
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
        capabilities.insert(path.to_string(), json!(granted));
    }
    Value::Object(capabilities)
}

/// Revokes the test token; whether Vault confirmed it.
async fn revoke(state: &AppState, token: &VaultToken) -> bool {
    let answer = state
        .vault
        .call_json(Method::POST, "auth/token/revoke-self", Some(token), None)
        .await;
    matches!(answer, Ok(answer) if answer.status == 204 || answer.status == 200)
}

#[derive(Deserialize)]
pub struct CertificateText {
    pem: String,
}

/// `POST api/tools/certificate`: the subject, issuer and validity of PEM certificates, so
/// the app can show what a pasted CA is without an X.509 parser in the browser.
pub async fn inspect_certificate(
    session: CurrentSession,
    Json(body): Json<CertificateText>,
) -> Result<Json<Value>, ApiError> {
    session
        .0
        .as_ref()
        .ok_or(ApiError::SessionEnded(SessionEnd::Missing))?;
    let mut certificates = Vec::new();
    for pem in x509_parser::pem::Pem::iter_from_buffer(body.pem.as_bytes()) {
        let pem = pem.map_err(|e| ApiError::BadRequest(format!("not PEM: {e}")))?;
        let certificate = pem
            .parse_x509()
            .map_err(|e| ApiError::BadRequest(format!("not an X.509 certificate: {e}")))?;
        let validity = certificate.validity();
        certificates.push(json!({
            "subject": certificate.subject().to_string(),
            "issuer": certificate.issuer().to_string(),
            "not_before": validity.not_before.to_rfc2822().unwrap_or_default(),
            "not_after": validity.not_after.to_rfc2822().unwrap_or_default(),
            "expired": !validity.is_valid(),
            "is_ca": certificate.is_ca(),
        }));
    }
    if certificates.is_empty() {
        return Err(ApiError::BadRequest(
            "no certificate found: paste PEM text (-----BEGIN CERTIFICATE----- …)".into(),
        ));
    }
    Ok(Json(json!({ "certificates": certificates })))
}
