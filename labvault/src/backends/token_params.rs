//! The `token_*` parameters every auth method's roles and users share (Vault's tokenutil):
//! reading them from a request with their legacy aliases, validating, and showing them.

use crate::{
    reply::{VaultError, VaultResult},
    request::Params,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenParams {
    pub policies: Vec<String>,
    pub ttl: u64,
    pub max_ttl: u64,
    pub explicit_max_ttl: u64,
    pub no_default_policy: bool,
    pub num_uses: u64,
    pub period: u64,
    /// `default`, `service` or `batch`.
    pub token_type: String,
    pub bound_cidrs: Vec<String>,
    /// Whether the legacy names (`policies`, `ttl`, `max_ttl`) were used, to echo them.
    #[serde(default)]
    pub legacy_policies: bool,
}

impl TokenParams {
    /// Applies the parameters present in `data` onto `self` (absent ones keep their value).
    pub fn update_from(&mut self, data: &Map<String, Value>) -> VaultResult<()> {
        let bad = VaultError::bad_request;
        if let Some(policies) = data.strings("token_policies").map_err(bad)? {
            self.policies = policies;
            self.legacy_policies = false;
        } else if let Some(policies) = data.strings("policies").map_err(bad)? {
            self.policies = policies;
            self.legacy_policies = true;
        }
        for (key, legacy, target) in [
            ("token_ttl", Some("ttl"), &mut self.ttl),
            ("token_max_ttl", Some("max_ttl"), &mut self.max_ttl),
            ("token_explicit_max_ttl", None, &mut self.explicit_max_ttl),
            ("token_period", Some("period"), &mut self.period),
        ] {
            let value = match data.duration(key).map_err(bad)? {
                Some(v) => Some(v),
                None => match legacy {
                    Some(legacy) => data.duration(legacy).map_err(bad)?,
                    None => None,
                },
            };
            if let Some(v) = value {
                *target = v;
            }
        }
        if let Some(v) = data.bool("token_no_default_policy").map_err(bad)? {
            self.no_default_policy = v;
        }
        if let Some(v) = data.u64("token_num_uses").map_err(bad)? {
            self.num_uses = v;
        }
        if let Some(v) = data
            .strings("token_bound_cidrs")
            .map_err(bad)?
            .or(data.strings("bound_cidrs").map_err(bad)?)
        {
            self.bound_cidrs = v;
        }
        if let Some(v) = data.string("token_type").map_err(bad)? {
            let v = if v.is_empty() {
                "default".to_string()
            } else {
                v
            };
            if !matches!(v.as_str(), "default" | "service" | "batch") {
                return Err(bad(format!("invalid 'token_type' value {v:?}")));
            }
            self.token_type = v;
        }
        self.validate()
    }

    fn validate(&self) -> VaultResult<()> {
        if self.ttl > 0 && self.max_ttl > 0 && self.ttl > self.max_ttl {
            return Err(VaultError::bad_request(
                "'token_ttl' cannot be greater than 'token_max_ttl'",
            ));
        }
        if self.token_type == "batch" {
            return Err(VaultError::bad_request(
                "batch tokens are not supported by labvault",
            ));
        }
        Ok(())
    }

    /// The fields as reads show them.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut shown = json!({
            "token_bound_cidrs": self.bound_cidrs,
            "token_explicit_max_ttl": self.explicit_max_ttl,
            "token_max_ttl": self.max_ttl,
            "token_no_default_policy": self.no_default_policy,
            "token_num_uses": self.num_uses,
            "token_period": self.period,
            "token_policies": self.policies,
            "token_ttl": self.ttl,
            "token_type": if self.token_type.is_empty() { "default" } else { &self.token_type },
        });
        if self.legacy_policies {
            shown["policies"] = json!(self.policies);
        }
        shown.as_object().cloned().unwrap_or_default()
    }

    /// The token's policies: lowercased, deduplicated, sorted, with `default` unless refused.
    pub fn token_policies(&self) -> Vec<String> {
        sanitize_policies(&self.policies, !self.no_default_policy)
    }
}

/// Vault's `SanitizePolicies`: trimmed, lowercased, deduplicated, sorted; `root` stands alone.
pub fn sanitize_policies(policies: &[String], add_default: bool) -> Vec<String> {
    let mut cleaned: Vec<String> = policies
        .iter()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    if cleaned.iter().any(|p| p == "root") {
        return vec!["root".into()];
    }
    if add_default {
        cleaned.push("default".into());
    }
    cleaned.sort();
    cleaned.dedup();
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_sanitized() {
        let given = vec![" Web ".to_string(), "db".into(), "web".into()];
        assert_eq!(
            sanitize_policies(&given, true),
            vec!["db", "default", "web"]
        );
        assert_eq!(
            sanitize_policies(&["root".into(), "x".into()], true),
            vec!["root"]
        );
    }

    #[test]
    fn params_read_aliases_and_durations() {
        let mut params = TokenParams::default();
        params
            .update_from(
                json!({ "policies": "a,b", "ttl": "1h", "token_max_ttl": 7200 })
                    .as_object()
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(
            (params.policies.clone(), params.ttl, params.max_ttl),
            (vec!["a".to_string(), "b".into()], 3600, 7200)
        );
        assert!(params.legacy_policies);
        let error = params
            .update_from(json!({ "token_ttl": "3h" }).as_object().unwrap())
            .unwrap_err();
        assert_eq!(
            error.errors[0],
            "'token_ttl' cannot be greater than 'token_max_ttl'"
        );
    }
}
