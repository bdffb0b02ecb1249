//! `POST api/tools/role-rules`: checks a Kubernetes secrets engine role's
//! `generated_role_rules` before Vault gets it. Vault only says "failed to parse
//! 'generated_role_rules' as k8s.io/api/rbac/v1/Policy object"; this says where and why, and
//! shows the rules as the cluster will read them. The text is YAML or JSON (JSON is YAML),
//! a document with a `rules:` list of `rbac/v1` PolicyRules, as the engine decodes it.

use crate::{
    error::ApiError,
    session::{CurrentSession, SessionEnd},
};
use axum::Json;
use k8s_openapi::api::rbac::v1 as rbac;
use serde::Deserialize;
use vaultdeck_app::wire::k8s::{PolicyRule, RoleRules, RoleRulesText};
use vaultdeck_yaml::NotCounted;

/// The engine's document: other top-level keys are ignored, as the engine ignores them.
#[derive(Deserialize)]
struct RulesDocument {
    #[serde(default)]
    rules: Option<Vec<rbac::PolicyRule>>,
}

pub async fn check_role_rules(
    session: CurrentSession,
    Json(body): Json<RoleRulesText>,
) -> Result<Json<RoleRules>, ApiError> {
    session
        .0
        .as_ref()
        .ok_or(ApiError::SessionEnded(SessionEnd::Missing))?;
    parse(&body.text).map(Json).map_err(ApiError::BadRequest)
}

/// Longer than any Role's rules plausibly are; the check reads at most this much.
const MOST_RULES_BYTES: usize = 256 * 1024;

fn parse(text: &str) -> Result<RoleRules, String> {
    if text.trim().is_empty() {
        return Err("The rules are empty: write a document with a rules: list.".into());
    }
    if text.len() > MOST_RULES_BYTES {
        return Err(format!(
            "These rules are longer than Vaultdeck checks ({} KiB).",
            MOST_RULES_BYTES / 1024
        ));
    }
    match vaultdeck_yaml::count_values(text, MOST_EXPANDED) {
        Ok(()) => {}
        Err(NotCounted::TooMany) => {
            return Err(format!(
                "These rules stand for more than twice the {} KiB Vaultdeck reads once their \
                 YAML aliases (*name) are expanded: Vaultdeck does not read them. Write the \
                 rules out.",
                MOST_RULES_BYTES / 1024
            ))
        }
        Err(NotCounted::Unreadable(why)) => {
            return Err(format!(
                "These rules do not read as a Kubernetes Policy: {why}"
            ))
        }
    }
    let document: RulesDocument = serde_norway::from_str(text)
        .map_err(|e| format!("These rules do not read as a Kubernetes Policy: {e}"))?;
    let rules: Vec<PolicyRule> = document
        .rules
        .unwrap_or_default()
        .into_iter()
        .map(|rule| PolicyRule {
            verbs: rule.verbs,
            api_groups: rule.api_groups.unwrap_or_default(),
            resources: rule.resources.unwrap_or_default(),
            resource_names: rule.resource_names.unwrap_or_default(),
            non_resource_urls: rule.non_resource_urls.unwrap_or_default(),
        })
        .collect();
    let warnings = warnings_for(&rules);
    Ok(RoleRules { rules, warnings })
}

/// What the longest rules Vaultdeck checks can stand for written out, counted as
/// `vaultdeck_yaml::count_values` counts (at most twice their length); only YAML's aliases
/// (`&a …`, then `*a`) make more.
const MOST_EXPANDED: usize = 2 * MOST_RULES_BYTES + 1;

/// What parses but will not do what the user meant.
fn warnings_for(rules: &[PolicyRule]) -> Vec<String> {
    if rules.is_empty() {
        return vec!["There are no rules (is the list under a top-level rules: key?): the Role Vault creates would allow nothing.".into()];
    }
    let mut warnings = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let number = index + 1;
        if rule.verbs.is_empty() {
            warnings.push(format!("Rule {number} has no verbs: the cluster refuses such a Role when credentials are generated."));
        }
        if rule.resources.is_empty() && rule.non_resource_urls.is_empty() {
            warnings.push(format!(
                "Rule {number} names no resources (and no nonResourceURLs): it allows nothing."
            ));
        }
        if !rule.resources.is_empty() && rule.api_groups.is_empty() {
            warnings.push(format!("Rule {number} has resources but no apiGroups: the cluster refuses it; use \"\" for the core group (pods, secrets, …)."));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn yaml_and_json_read_alike() {
        let yaml =
            "rules:\n- apiGroups: [\"\"]\n  resources: [\"pods\"]\n  verbs: [\"list\", \"get\"]\n";
        let json = r#"{"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["list","get"]}]}"#;
        let (a, b) = (parse(yaml).unwrap(), parse(json).unwrap());
        assert_eq!(a, b);
        assert_eq!(a.rules[0].verbs, ["list", "get"]);
        assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    }

    #[test]
    fn broken_rules_say_where() {
        let error =
            parse("rules:\n- apiGroups: [\"\"]\n  resources: pods\n  verbs: [list]\n").unwrap_err();
        assert!(error.contains("line 3"), "{error}");
        let no_verbs = parse("rules:\n- apiGroups: [\"\"]\n  resources: [pods]\n").unwrap();
        assert!(
            no_verbs.warnings[0].contains("no verbs"),
            "{:?}",
            no_verbs.warnings
        );
        assert!(parse("   ").is_err());
    }

    /// Each shape of an alias bomb: plain, after a `#` inside a value, after a quote or `>`
    /// inside a word, behind a tag, after a lone carriage return (review, stop 29).
    #[test]
    fn aliases_that_expand_past_the_budget_are_refused() {
        let verbs = vec!["v"; 25_000].join(",");
        let aliases = vec!["*a"; 16_000].join(",");
        let anchored = format!("&a {{apiGroups: [''], resources: [p], verbs: [{verbs}]}}");
        for lead in [
            "",
            "{resources: [a#b], verbs: [get]},",
            "{resources: [a-\"b], verbs: [get]},",
            "{resources: [a->b], verbs: [get]},\n  ",
            "!!str 'x, \"',",
        ] {
            let bomb = format!("rules: [{lead}{anchored}, {aliases}]");
            let refused = parse(&bomb).unwrap_err();
            assert!(refused.contains("YAML aliases"), "{lead}: {refused}");
        }
        let after_cr = format!("# c\rrules: [{anchored}, {aliases}]");
        assert!(parse(&after_cr).is_err());
        // One long string, repeated by aliases: its bytes count each time (review).
        let long = "x".repeat(130_000);
        let repeated = vec!["*a"; 44_000].join(",");
        let strings = format!("rules: [{{verbs: [&a \"{long}\", {repeated}]}}]");
        assert!(parse(&strings).unwrap_err().contains("YAML aliases"));
    }

    #[test]
    fn aliases_within_reason_read_as_written_out() {
        let reused =
            "rules:\n- &pods\n  apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [get]\n- *pods\n";
        let read = parse(reused).unwrap();
        assert_eq!(read.rules.len(), 2);
        assert_eq!(read.rules[0], read.rules[1]);
    }

    #[test]
    fn stars_and_ampersands_that_are_text_are_read() {
        let text = "# all *verbs* & more\nrules:\n- apiGroups: [\"\"] # *core*\n  resources: [\"*\", '&x', \"a\\\"*\"]\n  resourceNames: [it's, a*b, c&d]\n  verbs: ['*', \"get\"]\n";
        let read = parse(text).unwrap();
        assert_eq!(read.rules[0].resources, ["*", "&x", "a\"*"]);
        assert_eq!(read.rules[0].resource_names, ["it's", "a*b", "c&d"]);
        assert_eq!(read.rules[0].verbs, ["*", "get"]);
    }

    #[test]
    fn what_parses_but_allows_nothing_is_pointed_out() {
        let none = parse("kind: Role\n").unwrap();
        assert!(none.warnings[0].contains("no rules"), "{:?}", none.warnings);
        let no_group = parse("rules:\n- resources: [pods]\n  verbs: [list]\n").unwrap();
        assert!(
            no_group.warnings[0].contains("apiGroups"),
            "{:?}",
            no_group.warnings
        );
    }
}
