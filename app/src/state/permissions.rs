//! What the logged-in token may do, from `sys/internal/ui/resultant-acl`, evaluated in the
//! browser with the same matcher labvault enforces with — so actions the token cannot
//! perform are hidden instead of shown only to fail. Vault still decides.

use crate::{api, state::session::SessionState};
use leptos::prelude::*;
use serde_json::Value;
use std::sync::Arc;
use vaultdeck_policy::{Acl, Capability, CapabilitySet, PathRule, Policy};

#[derive(Clone, Copy)]
pub struct Permissions {
    acl: RwSignal<Option<Arc<Acl>>>,
}

pub fn provide_permissions(session: SessionState) -> Permissions {
    let permissions = Permissions {
        acl: RwSignal::new(None),
    };
    provide_context(permissions);
    Effect::new(move |_| {
        let who = session.info.with(|info| {
            info.as_ref()
                .map(|i| (i.display_name.clone(), i.policies.clone()))
        });
        if who.is_none() {
            permissions.acl.set(None);
            return;
        }
        crate::state::tasks::spawn_owned(async move {
            let answer = api::vault_data::<Value>("sys/internal/ui/resultant-acl").await;
            permissions
                .acl
                .set(answer.ok().map(|data| Arc::new(acl_from_resultant(&data))));
        });
    });
    permissions
}

pub fn use_permissions() -> Permissions {
    expect_context::<Permissions>()
}

/// Rebuilds an ACL from Vault's resultant-ACL report. Vault strips the `*` of a prefix glob
/// but keeps `+` patterns as written, so a `glob_paths` key without `+` gets its `*` back.
pub fn acl_from_resultant(data: &Value) -> Acl {
    if data["root"].as_bool() == Some(true) {
        return Acl::root();
    }
    let mut rules = Vec::new();
    for (table, is_glob) in [("exact_paths", false), ("glob_paths", true)] {
        let Some(paths) = data[table].as_object() else {
            continue;
        };
        for (path, rule) in paths {
            let names: Vec<Capability> = rule["capabilities"]
                .as_array()
                .map(|caps| {
                    caps.iter()
                        .filter_map(|c| c.as_str().and_then(Capability::from_name))
                        .collect()
                })
                .unwrap_or_default();
            let has_plus = path.split('/').any(|s| s == "+");
            let pattern = if is_glob && !has_plus {
                format!("{path}*")
            } else {
                path.clone()
            };
            rules.push(PathRule {
                path: pattern,
                capabilities: CapabilitySet::of(&names),
                position: None,
            });
        }
    }
    Acl::new([&Policy { rules }])
}

impl Permissions {
    /// Whether the ACL is known yet.
    pub fn loaded(self) -> bool {
        self.acl.with(Option::is_some)
    }

    pub fn can(self, path: &str, capability: Capability) -> bool {
        self.can_all(path, &[capability])
    }

    /// Whether one request on `path` would be granted all of `capabilities`.
    pub fn can_all(self, path: &str, capabilities: &[Capability]) -> bool {
        self.acl.with(|acl| {
            acl.as_ref().is_some_and(|acl| {
                let listing = capabilities.contains(&Capability::List);
                let decision = acl.decide(path, listing);
                capabilities.iter().all(|c| decision.allows(*c))
            })
        })
    }

    /// Whether some path under `prefix` would be granted all of `capabilities` — for actions
    /// whose path the user has yet to choose (enabling a mount at a new path).
    pub fn can_somewhere_under(self, prefix: &str, capabilities: &[Capability]) -> bool {
        self.acl.with(|acl| {
            let Some(acl) = acl else { return false };
            if acl.is_root() {
                return true;
            }
            let grants = |set: CapabilitySet| capabilities.iter().all(|c| set.allows(*c));
            acl.exact_rules()
                .any(|(path, set)| path.starts_with(prefix) && grants(set))
                || acl
                    .pattern_rules()
                    .any(|(pattern, set)| pattern_reaches_under(pattern, prefix) && grants(set))
        })
    }
}

/// Whether a glob or `+` pattern can match some path below `prefix`.
fn pattern_reaches_under(pattern: &str, prefix: &str) -> bool {
    let stem = pattern.trim_end_matches('*');
    let literal = match stem.split('/').position(|s| s == "+") {
        Some(index) => stem
            .split('/')
            .take(index)
            .map(|s| format!("{s}/"))
            .collect::<String>(),
        None => stem.to_string(),
    };
    literal.starts_with(prefix) || prefix.starts_with(&literal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rebuilds_globs_and_plus_patterns() {
        let acl = acl_from_resultant(&json!({
            "exact_paths": { "sys/seal": { "capabilities": ["sudo", "update"] } },
            "glob_paths": {
                "kv/data/": { "capabilities": ["read"] },
                "kv/metadata/+/x": { "capabilities": ["list"] }
            },
            "root": false
        }));
        assert!(acl.decide("kv/data/app", false).allows(Capability::Read));
        assert!(acl
            .decide("kv/metadata/a/x", false)
            .allows(Capability::List));
        assert!(!acl
            .decide("kv/metadata/a/y", false)
            .allows(Capability::List));
        assert!(acl.decide("sys/seal", false).allows(Capability::Sudo));
        assert!(acl_from_resultant(&json!({ "root": true })).is_root());
    }

    #[test]
    fn patterns_reaching_under_a_prefix() {
        assert!(pattern_reaches_under("sys/*", "sys/auth/"));
        assert!(pattern_reaches_under("sys/auth/+", "sys/auth/"));
        assert!(pattern_reaches_under("sys/auth/user*", "sys/auth/"));
        assert!(!pattern_reaches_under("sys/mounts/*", "sys/auth/"));
    }
}
