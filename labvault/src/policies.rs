//! The ACL policy store: `root` is built in, `default` is written at initialization, the
//! rest are what operators write. Parsed policies are cached until they change.

use crate::{
    reply::{VaultError, VaultResult},
    seal::barrier::Barrier,
    storage::StorageResult,
};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use std::{collections::HashMap, sync::Arc};
use vaultdeck_policy::{Acl, Policy};

const POLICY_PREFIX: &str = "sys/policy/";

pub use vaultdeck_policy::DEFAULT_POLICY;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredPolicy {
    pub name: String,
    pub policy: String,
}

#[derive(Default)]
pub struct PolicyCache {
    parsed: RwLock<HashMap<String, Arc<Policy>>>,
}

/// Policy names are case-insensitive in Vault: stored and compared lowercased.
pub fn normalize_name(name: &str) -> String {
    name.trim().to_lowercase()
}

impl PolicyCache {
    pub fn read(&self, barrier: &Barrier, name: &str) -> StorageResult<Option<StoredPolicy>> {
        barrier.get_json(&format!("{POLICY_PREFIX}{}", normalize_name(name)))
    }

    /// The stored policies' names in order, then `root`, which Vault appends to the list
    /// rather than sorting in.
    pub fn names(&self, barrier: &Barrier) -> StorageResult<Vec<String>> {
        let mut names = barrier.list(POLICY_PREFIX)?;
        names.sort();
        names.push("root".into());
        Ok(names)
    }

    /// Parses and stores a policy; a parse error is a 400 with its position.
    pub fn write(&self, barrier: &Barrier, name: &str, text: &str) -> VaultResult<()> {
        let name = normalize_name(name);
        if name == "root" {
            return Err(VaultError::bad_request("cannot update \"root\" policy"));
        }
        if name.is_empty() {
            return Err(VaultError::bad_request(
                "policy name must be provided in the URL",
            ));
        }
        let parsed = vaultdeck_policy::parse(text)
            .map_err(|e| VaultError::bad_request(format!("failed to parse policy: {e}")))?;
        barrier.put_json(
            &format!("{POLICY_PREFIX}{name}"),
            &StoredPolicy {
                name: name.clone(),
                policy: text.to_string(),
            },
        )?;
        self.parsed
            .write()
            .insert(name, Arc::new(without_templated_paths(parsed)));
        Ok(())
    }

    pub fn delete(&self, barrier: &Barrier, name: &str) -> VaultResult<()> {
        let name = normalize_name(name);
        if name == "root" || name == "default" {
            return Err(VaultError::bad_request(format!(
                "cannot delete \"{name}\" policy"
            )));
        }
        barrier.delete(&format!("{POLICY_PREFIX}{name}"))?;
        self.parsed.write().remove(&name);
        Ok(())
    }

    /// The ACL of a token holding `names`. Unknown policies grant nothing, as in Vault.
    pub fn acl_for(&self, barrier: &Barrier, names: &[String]) -> StorageResult<Acl> {
        if names.iter().any(|n| n == "root") {
            return Ok(Acl::root());
        }
        let mut policies = Vec::with_capacity(names.len());
        for name in names {
            if let Some(policy) = self.parsed_policy(barrier, name)? {
                policies.push(policy);
            }
        }
        Ok(Acl::new(policies.iter().map(|p| p.as_ref())))
    }

    fn parsed_policy(&self, barrier: &Barrier, name: &str) -> StorageResult<Option<Arc<Policy>>> {
        let name = normalize_name(name);
        if let Some(policy) = self.parsed.read().get(&name) {
            return Ok(Some(policy.clone()));
        }
        let Some(stored) = self.read(barrier, &name)? else {
            return Ok(None);
        };
        match vaultdeck_policy::parse(&stored.policy) {
            Ok(policy) => {
                let policy = Arc::new(without_templated_paths(policy));
                self.parsed.write().insert(name, policy.clone());
                Ok(Some(policy))
            }
            Err(error) => {
                tracing::warn!(
                    "stored policy {name:?} no longer parses ({error}); it grants nothing"
                );
                Ok(None)
            }
        }
    }
}

/// Drops rules whose path is templated (`identity/entity/id/{{identity.entity.id}}`).
/// Vault fills templates from the token's identity entity and skips a path it cannot fill;
/// labvault's tokens have no entity, so such paths never apply.
fn without_templated_paths(mut policy: Policy) -> Policy {
    policy.rules.retain(|rule| !rule.path.contains("{{"));
    policy
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_policy_parses() {
        let policy = vaultdeck_policy::parse(super::DEFAULT_POLICY).unwrap();
        assert!(policy.rules.iter().any(|r| r.path == "cubbyhole/*"));
    }
}
