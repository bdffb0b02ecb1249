//! `GET api/k8s/workloads?mount=…&namespace=…`: the Deployments, StatefulSets and
//! DaemonSets of a namespace with their pod templates' service account and injector
//! annotations, for the Workloads check. The BFF's cluster credentials only read here
//! (get/list on those kinds), and only for a user whose Vault token may read the auth
//! mount's roles — the roles these workloads log in with.

use super::{
    gate::{authorize, MountKind, Need},
    kube_error,
};
use crate::{error::ApiError, k8s_names, session::CurrentSession, state::AppState};
use axum::{
    extract::{Query, State},
    Json,
};
use k8s_openapi::api::{
    apps::v1::{DaemonSet, Deployment, StatefulSet},
    core::v1::PodTemplateSpec,
};
use kube::api::{Api, ListParams};
use serde::Deserialize;
use vaultdeck_app::{
    delivery::injector::PREFIX,
    wire::k8s::{Workload, Workloads},
};

#[derive(Deserialize)]
pub struct WorkloadsQuery {
    /// The Kubernetes auth mount whose roles the workloads are checked against.
    mount: String,
    namespace: String,
}

/// `GET api/k8s/workloads?mount=…&namespace=…`
pub async fn list_workloads(
    State(state): State<AppState>,
    session: CurrentSession,
    Query(q): Query<WorkloadsQuery>,
) -> Result<Json<Workloads>, ApiError> {
    // Checked before the gate: kube-rs puts the namespace into the request path as given.
    let namespace = k8s_names::namespace(q.namespace.trim())?.to_string();
    let granted = authorize(&state, &session, &q.mount, MountKind::Auth, Need::Look).await?;
    let client = granted.kube.client;
    let mut workloads = Vec::new();
    let deployments = Api::<Deployment>::namespaced(client.clone(), &namespace);
    for d in list(deployments).await? {
        let template = d.spec.map(|s| s.template);
        workloads.push(workload("Deployment", d.metadata.name, template));
    }
    let stateful_sets = Api::<StatefulSet>::namespaced(client.clone(), &namespace);
    for s in list(stateful_sets).await? {
        let template = s.spec.map(|s| s.template);
        workloads.push(workload("StatefulSet", s.metadata.name, template));
    }
    let daemon_sets = Api::<DaemonSet>::namespaced(client, &namespace);
    for d in list(daemon_sets).await? {
        let template = d.spec.map(|s| s.template);
        workloads.push(workload("DaemonSet", d.metadata.name, template));
    }
    Ok(Json(Workloads {
        namespace,
        workloads,
    }))
}

async fn list<K>(api: Api<K>) -> Result<Vec<K>, ApiError>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    Ok(api
        .list(&ListParams::default())
        .await
        .map_err(kube_error)?
        .items)
}

/// The workload as the injector sees its pods: only the template's annotations count (the
/// webhook reads the Pod's), and only the injector's own.
fn workload(kind: &str, name: Option<String>, template: Option<PodTemplateSpec>) -> Workload {
    let template = template.unwrap_or_default();
    let annotations = template
        .metadata
        .and_then(|m| m.annotations)
        .unwrap_or_default()
        .into_iter()
        .filter(|(key, _)| key.starts_with(PREFIX))
        .collect();
    let service_account = template
        .spec
        .and_then(|s| s.service_account_name)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".into());
    Workload {
        kind: kind.into(),
        name: name.unwrap_or_default(),
        service_account,
        annotations,
    }
}
