//! ACL policies: the list, the editor (create and edit), deleting with the references
//! that would break, and the tester.

pub mod edit;
pub mod list;
pub mod references;
pub mod templates;
pub mod tester;

use crate::{api, wire::UiMounts};
use serde::Deserialize;
use std::collections::BTreeMap;
use vaultdeck_policy::MountHint;

/// The auth methods the user's token can see (path → type). `sys/internal/ui/mounts`
/// answers any token, with the mounts its policies reach; `sys/auth` needs `read` on it.
pub async fn visible_auth_methods() -> Result<BTreeMap<String, String>, api::ApiError> {
    let mounts = api::vault_data::<UiMounts>("sys/internal/ui/mounts").await?;
    Ok(mounts
        .auth
        .into_iter()
        .map(|(path, mount)| (path, mount.kind))
        .collect())
}

/// The mounts the user's token can see, as the editor's path checks want them.
pub async fn mount_hints() -> Vec<MountHint> {
    let Ok(mounts) = api::vault_data::<UiMounts>("sys/internal/ui/mounts").await else {
        return Vec::new();
    };
    let secrets = mounts.secret.iter().map(|(path, m)| MountHint {
        path: path.clone(),
        kind: m.kind.clone(),
        kv_version: m.kv_version(),
    });
    let auths = mounts.auth.iter().map(|(path, m)| MountHint {
        path: format!("auth/{path}"),
        kind: m.kind.clone(),
        kv_version: None,
    });
    secrets.chain(auths).collect()
}

#[derive(Clone, Debug, Deserialize)]
pub struct StoredPolicy {
    pub name: String,
    pub policy: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Keys {
    #[serde(default)]
    pub keys: Vec<String>,
}

pub async fn policy_names() -> Result<Vec<String>, api::ApiError> {
    let url = format!("{}?list=true", api::vault_url("sys/policies/acl")?);
    api::get_json::<crate::wire::Envelope<Keys>>(&url)
        .await
        .map(|e| e.data.keys)
}

pub async fn read_policy(name: &str) -> Result<StoredPolicy, api::ApiError> {
    api::vault_data::<StoredPolicy>(&format!("sys/policies/acl/{name}")).await
}

/// Vault lowercases names; these characters would break the URL or Vault's rules.
pub fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("A name is required.".into());
    }
    if name.eq_ignore_ascii_case("root") {
        return Err("“root” is Vault's built-in policy and cannot be written.".into());
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || "-_.@".contains(c))
    {
        return Err("Use letters, digits and - _ . @ only.".into());
    }
    Ok(name.to_lowercase())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(
            super::check_name(" Webapp-One-Read ").unwrap(),
            "webapp-one-read"
        );
        assert!(super::check_name("root").is_err());
        assert!(super::check_name("a/b").is_err());
        assert!(super::check_name("").is_err());
    }
}
