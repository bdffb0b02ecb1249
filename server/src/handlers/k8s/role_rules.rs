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
    if let Some(line) = first_anchor_or_alias(text) {
        return Err(format!(
            "Line {line} has a YAML anchor or alias (& or * before a value): Vaultdeck does \
             not read them, since a few of them can stand for millions of rules. Write the \
             rules out, or quote a value that starts with & or *."
        ));
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

/// The line of the first `&anchor` or `*alias`, if any. YAML's parser expands every alias
/// in full, so `[&a [v, v, …], *a, *a, …]` a few KB long becomes billions of strings: such
/// text is refused before it is parsed. An `&` or `*` is an anchor or alias where a value
/// begins: at the start of a line, or after `[ { , : - ?`; not inside quotes, comments, or
/// a block scalar's text (`|`, `>`). Inside a plain value (`a*b`) it is a character.
fn first_anchor_or_alias(text: &str) -> Option<usize> {
    let mut block_scalar_indent: Option<usize> = None;
    let mut quote: Option<char> = None;
    for (number, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        if let Some(outer) = block_scalar_indent {
            if line.trim().is_empty() || indent > outer {
                continue;
            }
            block_scalar_indent = None;
        }
        let mut value_may_begin = quote.is_none();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if let Some(open) = quote {
                match c {
                    '\\' if open == '"' => {
                        chars.next();
                    }
                    '\'' if open == '\'' && chars.peek() == Some(&'\'') => {
                        chars.next();
                    }
                    c if c == open => quote = None,
                    _ => {}
                }
                continue;
            }
            match c {
                ' ' | '\t' => continue,
                '#' => break,
                '&' | '*' if value_may_begin => return Some(number + 1),
                '"' | '\'' if value_may_begin => quote = Some(c),
                '|' | '>' if value_may_begin => {
                    block_scalar_indent = Some(indent);
                    break;
                }
                '[' | '{' | ',' | ':' | '-' | '?' => {
                    value_may_begin = true;
                    continue;
                }
                _ => {}
            }
            value_may_begin = false;
        }
    }
    None
}

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

    #[test]
    fn anchors_and_aliases_are_refused_before_they_expand() {
        let verbs = vec!["v"; 25_000].join(",");
        let aliases = vec!["*a"; 16_000].join(",");
        let bomb =
            format!("rules: [&a {{apiGroups: [''], resources: [p], verbs: [{verbs}]}}, {aliases}]");
        let refused = parse(&bomb).unwrap_err();
        assert!(refused.contains("Line 1 has a YAML anchor"), "{refused}");
        let block = "rules:\n- &rule\n  apiGroups: [\"\"]\n  verbs: [get]\n- *rule\n";
        assert!(parse(block).unwrap_err().contains("Line 2"));
        let json = r#"{"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":*x}]}"#;
        assert!(parse(json).is_err());
    }

    #[test]
    fn stars_and_ampersands_that_are_text_are_read() {
        let text = "# all *verbs* & more\nrules:\n- apiGroups: [\"\"] # *core*\n  resources: [\"*\", '&x', \"a\\\"*\"]\n  resourceNames: [it's, a*b, c&d]\n  verbs: ['*', \"get\"]\n";
        let read = parse(text).unwrap();
        assert_eq!(read.rules[0].resources, ["*", "&x", "a\"*"]);
        assert_eq!(read.rules[0].resource_names, ["it's", "a*b", "c&d"]);
        assert_eq!(read.rules[0].verbs, ["*", "get"]);
        let folded = "note: |\n  *not an alias*\n  &nor an anchor\nrules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [get]\n";
        assert_eq!(parse(folded).unwrap().rules.len(), 1);
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
