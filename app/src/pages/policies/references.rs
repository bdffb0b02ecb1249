//! Who uses a policy: userpass users and Kubernetes or AppRole roles that name it, where
//! the user's token may read them — shown before deleting it.

use crate::api;
use crate::wire::Envelope;
use serde_json::Value;

/// How far to look per mount: enough for labs, bounded for big directories.
const LIMIT: usize = 200;

#[derive(Clone, Debug, PartialEq)]
pub struct Findings {
    /// e.g. `userpass user “alice” (auth/userpass/)`.
    pub references: Vec<String>,
    /// What could not be checked, and why.
    pub unchecked: Vec<String>,
}

/// Where each auth type keeps the entries that name policies.
fn entries_of(kind: &str) -> Option<(&'static str, &'static str)> {
    match kind {
        "userpass" => Some(("users", "userpass user")),
        "kubernetes" => Some(("role", "Kubernetes role")),
        "approle" => Some(("role", "AppRole role")),
        _ => None,
    }
}

fn names_policy(entry: &Value, policy: &str) -> bool {
    ["token_policies", "policies"].iter().any(|key| {
        entry[key]
            .as_array()
            .is_some_and(|list| list.iter().any(|p| p.as_str() == Some(policy)))
    })
}

pub async fn find(policy: &str) -> Findings {
    let mut findings = Findings {
        references: Vec::new(),
        unchecked: Vec::new(),
    };
    let mounts = match super::visible_auth_methods().await {
        Ok(mounts) => mounts,
        Err(error) => {
            findings
                .unchecked
                .push(format!("auth methods: {}", error.message()));
            return findings;
        }
    };
    for (path, kind) in mounts {
        let Some((area, noun)) = entries_of(&kind) else {
            continue;
        };
        let listed = async {
            let list_url = api::vault_url(&format!("auth/{path}{area}"))?;
            api::get_json::<Envelope<super::Keys>>(&format!("{list_url}?list=true")).await
        };
        let names = match listed.await {
            Ok(answer) => answer.data.keys,
            Err(error) if error.is_not_found() => continue,
            Err(error) => {
                findings
                    .unchecked
                    .push(format!("auth/{path}: {}", error.message()));
                continue;
            }
        };
        if names.len() > LIMIT {
            findings.unchecked.push(format!(
                "auth/{path}{area}: only the first {LIMIT} of {} were checked",
                names.len()
            ));
        }
        for name in names.into_iter().take(LIMIT) {
            match api::vault_data::<Value>(&format!("auth/{path}{area}/{name}")).await {
                Ok(entry) if names_policy(&entry, policy) => findings
                    .references
                    .push(format!("{noun} “{name}” (auth/{path})")),
                Ok(_) => {}
                Err(error) => findings
                    .unchecked
                    .push(format!("auth/{path}{area}/{name}: {}", error.message())),
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn either_policy_field_counts() {
        assert!(super::names_policy(
            &json!({ "token_policies": ["a", "b"] }),
            "b"
        ));
        assert!(super::names_policy(&json!({ "policies": ["b"] }), "b"));
        assert!(!super::names_policy(
            &json!({ "token_policies": ["bb"] }),
            "b"
        ));
    }
}
