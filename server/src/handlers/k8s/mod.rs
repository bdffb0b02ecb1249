//! `api/k8s/…`: the Kubernetes façade — the cluster, its namespaces and service accounts,
//! creating a service account, and the test login ("can this pod read it?"). Every call
//! goes through `gate`: the user's own Vault token decides, and the BFF's cluster
//! credentials never do more than it allows.

mod agent_run;
mod gate;
mod prove;
mod role_rules;
mod set_up;
mod test_login;
mod token_abilities;
mod workloads;

pub use prove::{get_delivery_settings, prove_delivery};
pub use role_rules::check_role_rules;
pub use set_up::set_up;
pub use test_login::test_login;
pub use token_abilities::token_abilities;
pub use workloads::list_workloads;

use crate::{
    error::ApiError,
    k8s_names,
    session::{CurrentSession, SessionEnd},
    state::AppState,
};
use axum::{
    extract::{Path, Query, State},
    Json,
};
use gate::{authorize, MountKind, Need, NO_CLUSTER};
use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
use kube::api::{Api, ListParams, ObjectMeta, PostParams};
use serde::Deserialize;
use std::collections::BTreeMap;
use vaultdeck_app::wire::k8s::{
    CertificateFacts, CertificateText, Certificates, ClusterInfo, CreatedServiceAccount,
    Namespaces, NewServiceAccount, ServiceAccounts,
};

#[derive(Deserialize)]
pub struct MountQuery {
    /// The Kubernetes mount the user is working on (its path, e.g. `kubernetes`).
    mount: String,
    /// Whether it is the auth method (the default) or the secrets engine.
    #[serde(default)]
    engine: MountKind,
}

/// The API server's refusal, or why it could not be reached — said to come from Kubernetes.
pub(crate) fn kube_error(error: kube::Error) -> ApiError {
    match error {
        kube::Error::Api(status) => {
            // A missing object is an answer, not a failure of the API server.
            if status.code != 404 {
                crate::metrics::kubernetes_failed("refused");
            }
            ApiError::Kubernetes {
                status: status.code,
                message: status.message,
            }
        }
        other => {
            crate::metrics::kubernetes_failed("unreachable");
            ApiError::Unavailable(format!("The Kubernetes API could not be reached: {other}"))
        }
    }
}

/// `GET api/k8s/cluster?mount=…`: whether a cluster is configured and reachable, its version,
/// and its URL and CA, to prefill the auth method's configuration.
pub async fn get_cluster(
    State(state): State<AppState>,
    session: CurrentSession,
    Query(q): Query<MountQuery>,
) -> Result<Json<ClusterInfo>, ApiError> {
    let kube = match authorize(&state, &session, &q.mount, q.engine, Need::Look).await {
        Ok(granted) => granted.kube,
        Err(ApiError::Unavailable(reason)) => {
            return Ok(Json(ClusterInfo {
                error: Some(reason),
                help: Some(NO_CLUSTER.into()),
                ..ClusterInfo::default()
            }));
        }
        Err(other) => return Err(other),
    };
    let version = kube.client.apiserver_version().await;
    Ok(Json(ClusterInfo {
        configured: true,
        reachable: version.is_ok(),
        version: version.as_ref().ok().map(|v| v.git_version.clone()),
        error: version.err().map(|e| e.to_string()),
        source: Some(kube.source.to_string()),
        api_url: Some(kube.api_url.clone()),
        ca_pem: kube.ca_pem.clone(),
        help: None,
        set_up_allowed: state.config.set_up_service_accounts,
    }))
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
) -> Result<Json<Namespaces>, ApiError> {
    let granted = authorize(&state, &session, &q.mount, q.engine, Need::Look).await?;
    let namespaces = names_in(Api::<Namespace>::all(granted.kube.client)).await?;
    Ok(Json(Namespaces { namespaces }))
}

/// `GET api/k8s/namespaces/{ns}/serviceaccounts?mount=…`
pub async fn list_service_accounts(
    State(state): State<AppState>,
    session: CurrentSession,
    Path(namespace): Path<String>,
    Query(q): Query<MountQuery>,
) -> Result<Json<ServiceAccounts>, ApiError> {
    let namespace = k8s_names::namespace(&namespace)?.to_string();
    let granted = authorize(&state, &session, &q.mount, q.engine, Need::Look).await?;
    let accounts = Api::<ServiceAccount>::namespaced(granted.kube.client, &namespace);
    let service_accounts = names_in(accounts).await?;
    Ok(Json(ServiceAccounts {
        namespace,
        service_accounts,
    }))
}

/// `POST api/k8s/namespaces/{ns}/serviceaccounts?mount=…`
pub async fn create_service_account(
    State(state): State<AppState>,
    session: CurrentSession,
    Path(namespace): Path<String>,
    Query(q): Query<MountQuery>,
    Json(body): Json<NewServiceAccount>,
) -> Result<Json<CreatedServiceAccount>, ApiError> {
    let namespace = k8s_names::namespace(&namespace)?.to_string();
    let name = k8s_names::object_name(body.name.trim())?.to_string();
    let granted = authorize(&state, &session, &q.mount, q.engine, Need::Act).await?;
    let client = granted.kube.client;
    let created_namespace = body.create_namespace && ensure_namespace(&client, &namespace).await?;
    let account = ServiceAccount {
        metadata: named(&name),
        ..ServiceAccount::default()
    };
    Api::<ServiceAccount>::namespaced(client.clone(), &namespace)
        .create(&PostParams::default(), &account)
        .await
        .map_err(kube_error)?;
    let token_secret = match body.legacy_token_secret {
        true => Some(create_token_secret(&client, &namespace, &name).await?),
        false => None,
    };
    tracing::info!(namespace = %namespace, service_account = %name, "created a service account");
    Ok(Json(CreatedServiceAccount {
        namespace,
        name,
        created_namespace,
        token_secret,
    }))
}

/// Creates the namespace unless it exists; whether it was created.
pub(super) async fn ensure_namespace(
    client: &kube::Client,
    namespace: &str,
) -> Result<bool, ApiError> {
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

/// The label on what Vaultdeck creates in the cluster (Kubernetes' recommended label).
pub(super) const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "vaultdeck");

/// Labels that say Vaultdeck created an object.
pub(super) fn managed_by_vaultdeck() -> BTreeMap<String, String> {
    BTreeMap::from([(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string())])
}

/// Whether an object carries [`MANAGED_BY`].
pub(super) fn is_managed_by_vaultdeck(metadata: &ObjectMeta) -> bool {
    metadata
        .labels
        .as_ref()
        .and_then(|labels| labels.get(MANAGED_BY.0))
        .is_some_and(|value| value == MANAGED_BY.1)
}

pub(super) fn named(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        ..ObjectMeta::default()
    }
}

/// `POST api/tools/certificate`: the subject, issuer and validity of PEM certificates, so
/// the app can show what a pasted CA is without an X.509 parser in the browser.
pub async fn inspect_certificate(
    session: CurrentSession,
    Json(body): Json<CertificateText>,
) -> Result<Json<Certificates>, ApiError> {
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
        certificates.push(CertificateFacts {
            subject: certificate.subject().to_string(),
            issuer: certificate.issuer().to_string(),
            not_before: validity.not_before.to_rfc2822().unwrap_or_default(),
            not_after: validity.not_after.to_rfc2822().unwrap_or_default(),
            expired: !validity.is_valid(),
            is_ca: certificate.is_ca(),
        });
    }
    if certificates.is_empty() {
        return Err(ApiError::BadRequest(
            "no certificate found: paste PEM text (-----BEGIN CERTIFICATE----- …)".into(),
        ));
    }
    Ok(Json(Certificates { certificates }))
}
