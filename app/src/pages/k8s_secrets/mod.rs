//! The Kubernetes secrets engine: service-account tokens on demand. Its configuration (where
//! the cluster is, with what JWT Vault acts there), its roles in three modes, generating
//! credentials (the token shown once, its claims, its lease, and what it may do in the
//! cluster), and the mount's leases. Vault's own API for the engine (`MOUNT/config`,
//! `MOUNT/roles/…`, `MOUNT/creds/…`, `sys/leases/…`), plus the BFF's cluster façade for what
//! only the cluster knows.

pub mod config;
pub mod creds;
pub mod leases;
pub mod role_form;
pub mod roles;

use crate::{
    api::{self, ApiError, Method},
    components::guard::RequireLogin,
    routes::{AppRoute, EngineView},
    wire::Envelope,
};
use leptos::prelude::*;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `MOUNT/config` as Vault reads it back (never the JWT).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct EngineConfig {
    #[serde(default)]
    pub kubernetes_host: String,
    #[serde(default)]
    pub kubernetes_ca_cert: String,
    #[serde(default)]
    pub disable_local_ca_jwt: bool,
}

/// `MOUNT/roles/NAME`: the engine's role, all 13 fields as Vault returns them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineRole {
    #[serde(default)]
    pub allowed_kubernetes_namespaces: Option<Vec<String>>,
    #[serde(default)]
    pub allowed_kubernetes_namespace_selector: String,
    #[serde(default)]
    pub service_account_name: String,
    #[serde(default)]
    pub kubernetes_role_name: String,
    #[serde(default)]
    pub kubernetes_role_type: String,
    #[serde(default)]
    pub generated_role_rules: String,
    #[serde(default)]
    pub token_default_ttl: u64,
    #[serde(default)]
    pub token_max_ttl: u64,
    #[serde(default)]
    pub token_default_audiences: Option<Vec<String>>,
    #[serde(default)]
    pub name_template: String,
    #[serde(default)]
    pub extra_labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub extra_annotations: Option<BTreeMap<String, String>>,
}

/// How a role gets its service account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleMode {
    /// Tokens of a service account that exists.
    ExistingAccount,
    /// Vault creates a service account and binds an existing Role or ClusterRole to it.
    ExistingRole,
    /// Vault creates the Role from rules too, then the account and the binding.
    GeneratedRules,
}

impl RoleMode {
    pub const ALL: [RoleMode; 3] = [
        RoleMode::ExistingAccount,
        RoleMode::ExistingRole,
        RoleMode::GeneratedRules,
    ];

    pub fn of(role: &EngineRole) -> RoleMode {
        if !role.generated_role_rules.trim().is_empty() {
            RoleMode::GeneratedRules
        } else if !role.kubernetes_role_name.trim().is_empty() {
            RoleMode::ExistingRole
        } else {
            RoleMode::ExistingAccount
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            RoleMode::ExistingAccount => "account",
            RoleMode::ExistingRole => "role",
            RoleMode::GeneratedRules => "rules",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            RoleMode::ExistingAccount => "An existing service account",
            RoleMode::ExistingRole => "An existing Role or ClusterRole",
            RoleMode::GeneratedRules => "Rules of its own",
        }
    }

    /// The mode in one sentence, for the form.
    pub fn explanation(self) -> &'static str {
        match self {
            RoleMode::ExistingAccount => "Vault asks the cluster for tokens of a service account that already exists and has the permissions it needs; nothing is created or deleted.",
            RoleMode::ExistingRole => "For each request Vault creates a service account and binds an existing Role or ClusterRole to it; both go when the lease ends.",
            RoleMode::GeneratedRules => "For each request Vault creates a Role (or ClusterRole) from the rules below, a service account and the binding; all go when the lease ends.",
        }
    }
}

/// The answer to `MOUNT/creds/ROLE`.
#[derive(Clone, Debug, Deserialize)]
pub struct CredsAnswer {
    pub lease_id: String,
    pub lease_duration: u64,
    pub renewable: bool,
    pub data: Creds,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Creds {
    pub service_account_name: String,
    pub service_account_namespace: String,
    pub service_account_token: String,
}

pub async fn read_config(mount: &str) -> Result<Option<EngineConfig>, ApiError> {
    match api::vault_data::<EngineConfig>(&format!("{mount}/config")).await {
        Ok(config) => Ok(Some(config)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct Keys {
    #[serde(default)]
    keys: Vec<String>,
}

/// The names under a LIST path; none when Vault answers 404 (its "empty").
pub async fn list_keys(path: &str) -> Result<Vec<String>, ApiError> {
    let url = format!("{}?list=true", api::vault_url(path)?);
    match api::get_json::<Envelope<Keys>>(&url).await {
        Ok(answer) => Ok(answer.data.keys),
        Err(e) if e.is_not_found() => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

pub async fn read_role(mount: &str, name: &str) -> Result<EngineRole, ApiError> {
    api::vault_data::<EngineRole>(&format!("{mount}/roles/{name}")).await
}

pub async fn write(path: &str, body: &Value) -> Result<Vec<String>, ApiError> {
    api::vault_write(Method::POST, path, Some(body)).await
}

#[component]
pub fn EnginePage(mount: String, view: EngineView) -> impl IntoView {
    let page = move || match view.clone() {
        EngineView::Config => view! { <config::ConfigPage mount=mount.clone() /> }.into_any(),
        EngineView::Roles => view! { <roles::RoleListPage mount=mount.clone() /> }.into_any(),
        EngineView::NewRole => {
            view! { <role_form::RoleFormPage mount=mount.clone() role=None /> }.into_any()
        }
        EngineView::Role(name) => {
            view! { <role_form::RoleFormPage mount=mount.clone() role=Some(name) /> }.into_any()
        }
        EngineView::Creds(name) => {
            view! { <creds::CredsPage mount=mount.clone() role=name /> }.into_any()
        }
        EngineView::Leases => view! { <leases::LeasesPage mount=mount.clone() /> }.into_any(),
    };
    view! { <RequireLogin><section class="card">{page.clone()}</section></RequireLogin> }
}

/// The links every page of the engine shows at its top.
#[component]
pub fn EngineNav(mount: String) -> impl IntoView {
    let link = |view: EngineView| {
        AppRoute::K8sEngine {
            mount: mount.clone(),
            view,
        }
        .link()
    };
    view! {
        <nav class="actions" aria-label="Kubernetes secrets engine" data-testid="engine-nav">
            <A href=link(EngineView::Roles) attr:class="button button-small">"Roles"</A>
            <A href=link(EngineView::Config) attr:class="button button-small">"Configuration"</A>
            <A href=link(EngineView::Leases) attr:class="button button-small">"Leases"</A>
        </nav>
    }
}
