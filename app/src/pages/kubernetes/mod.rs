//! The Kubernetes auth method: its configuration, its roles (one by one and in bulk), and
//! "Can this pod read it?". Vault's own API for the method, plus the BFF's cluster façade
//! (`api/k8s/…`) for what only the cluster knows: namespaces, service accounts, tokens.

pub mod bulk;
pub mod cluster;
pub mod config;
pub mod diagnosis;
pub mod jwt;
pub mod overview;
pub mod pod_check;
pub mod rbac_yaml;
pub mod role_form;
pub mod roles;
pub mod set_up;

use crate::routes::K8sView;
use crate::{
    api::{self, ApiError, Method},
    components::guard::RequireLogin,
    wire::Envelope,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[component]
pub fn KubernetesMountPage(mount: String, view: K8sView) -> impl IntoView {
    let page = move || match view.clone() {
        K8sView::Config => view! { <config::ConfigPage mount=mount.clone() /> }.into_any(),
        K8sView::Roles => view! { <roles::RoleListPage mount=mount.clone() /> }.into_any(),
        K8sView::NewRole => {
            view! { <role_form::RoleFormPage mount=mount.clone() role=None /> }.into_any()
        }
        K8sView::Bulk => view! { <bulk::BulkRolesPage mount=mount.clone() /> }.into_any(),
        K8sView::Role(name) => {
            view! { <role_form::RoleFormPage mount=mount.clone() role=Some(name) /> }.into_any()
        }
    };
    view! { <RequireLogin>{page.clone()}</RequireLogin> }
}

/// `auth/MOUNT/config` as Vault reads it back (never the reviewer JWT itself).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct AuthConfig {
    #[serde(default)]
    pub kubernetes_host: String,
    #[serde(default)]
    pub kubernetes_ca_cert: String,
    #[serde(default)]
    pub token_reviewer_jwt_set: bool,
    #[serde(default)]
    pub pem_keys: Vec<String>,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub disable_local_ca_jwt: bool,
    /// Deprecated in Vault but still honoured; sent back unchanged so a save changes
    /// nothing the form does not show.
    #[serde(default = "yes")]
    pub disable_iss_validation: bool,
    #[serde(default)]
    pub use_annotations_as_alias_metadata: bool,
}

fn yes() -> bool {
    true
}

/// `auth/MOUNT/role/NAME` as Vault reads it (the fields the forms use).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct Role {
    #[serde(default)]
    pub bound_service_account_names: Vec<String>,
    #[serde(default)]
    pub bound_service_account_namespaces: Vec<String>,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub alias_name_source: String,
    #[serde(default)]
    pub token_policies: Vec<String>,
    /// The deprecated field Vault still reads back while a role uses it.
    #[serde(default, skip_serializing)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub token_ttl: u64,
    #[serde(default)]
    pub token_max_ttl: u64,
    #[serde(default)]
    pub token_type: String,
}

impl Role {
    /// The policies the role gives, whichever field holds them.
    pub fn all_policies(&self) -> Vec<String> {
        let mut all = self.token_policies.clone();
        for p in &self.policies {
            if !all.contains(p) {
                all.push(p.clone());
            }
        }
        all
    }
}

pub async fn read_config(mount: &str) -> Result<Option<AuthConfig>, ApiError> {
    match api::vault_data::<AuthConfig>(&format!("auth/{mount}/config")).await {
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

/// The mount's role names; none (rather than an error) when Vault answers 404.
pub async fn role_names(mount: &str) -> Result<Vec<String>, ApiError> {
    let url = format!(
        "{}?list=true",
        api::vault_url(&format!("auth/{mount}/role"))?
    );
    match api::get_json::<Envelope<Keys>>(&url).await {
        Ok(answer) => Ok(answer.data.keys),
        Err(e) if e.is_not_found() => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

pub async fn read_role(mount: &str, name: &str) -> Result<Role, ApiError> {
    api::vault_data::<Role>(&format!("auth/{mount}/role/{name}")).await
}

/// Writes a role; Vault's warnings (e.g. no audience) come back for the user to see.
pub async fn write_role(mount: &str, name: &str, body: &Value) -> Result<Vec<String>, ApiError> {
    api::vault_write(
        Method::POST,
        &format!("auth/{mount}/role/{name}"),
        Some(body),
    )
    .await
}

/// Role names as Vault accepts them (its GenericNameRegex: letters, digits, `-`, `_`, `.`,
/// not starting or ending with `-` or `.`). Vault stores them lowercased.
pub fn check_role_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("A role name is required.".into());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err("Use letters, digits and - _ . only.".into());
    }
    if name.starts_with(['-', '.']) || name.ends_with(['-', '.']) {
        return Err("A role name cannot start or end with - or .".into());
    }
    Ok(name.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_follow_vault() {
        assert_eq!(check_role_name(" WebApp-One ").unwrap(), "webapp-one");
        assert!(check_role_name("a/b").is_err());
        assert!(check_role_name("-x").is_err());
        assert!(check_role_name("").is_err());
    }

    #[test]
    fn old_and_new_policy_fields_merge() {
        let role = Role {
            token_policies: vec!["a".into()],
            policies: vec!["a".into(), "b".into()],
            ..Role::default()
        };
        assert_eq!(role.all_policies(), vec!["a", "b"]);
    }
}
