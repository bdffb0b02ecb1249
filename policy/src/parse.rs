//! Policy text into [`Policy`]. Vault accepts HCL and an equivalent JSON form; both are read
//! here. Errors carry the line and column they point at.

use crate::capability::{Capability, CapabilitySet};
use hcl_edit::{
    expr::Expression,
    structure::{Block, Body, Structure},
    Span,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// 1-based line and column (in characters) within the policy text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text`.
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        Position {
            line,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseError {
    pub message: String,
    pub position: Option<Position>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "{} (line {}, column {})", self.message, p.line, p.column),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ParseError {}

/// One `path "…" { … }` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathRule {
    pub path: String,
    pub capabilities: CapabilitySet,
    /// Where the block starts (its `path` keyword), when parsed from HCL.
    pub position: Option<Position>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub rules: Vec<PathRule>,
}

/// Keys Vault accepts inside a `path` block. Only `capabilities` and the legacy `policy`
/// affect what labvault allows; parameter constraints and wrapping TTLs are accepted and
/// not enforced.
pub const PATH_BLOCK_KEYS: &[&str] = &[
    "capabilities",
    "policy",
    "allowed_parameters",
    "denied_parameters",
    "required_parameters",
    "min_wrapping_ttl",
    "max_wrapping_ttl",
    "mfa_methods",
    "control_group",
    "subscribe_event_types",
    "comment",
];

/// Parses a policy's text.
pub fn parse(text: &str) -> Result<Policy, ParseError> {
    if text.trim_start().starts_with('{') {
        return parse_json(text);
    }
    let body = hcl_edit::parser::parse_body(text).map_err(|e| ParseError {
        message: e.message().to_string(),
        position: Some(Position {
            line: e.location().line(),
            column: e.location().column(),
        }),
    })?;
    parse_body(text, &body)
}

fn parse_body(text: &str, body: &Body) -> Result<Policy, ParseError> {
    let mut policy = Policy::default();
    for structure in body.iter() {
        let at = structure_position(text, structure);
        match structure {
            Structure::Block(block) if block.ident.as_str() == "path" => {
                policy.rules.push(parse_path_block(text, block, at)?);
            }
            Structure::Attribute(attribute) if attribute.key.as_str() == "name" => {}
            Structure::Attribute(attribute) => {
                return Err(invalid_key(attribute.key.as_str(), at));
            }
            Structure::Block(block) => return Err(invalid_key(block.ident.as_str(), at)),
        }
    }
    Ok(policy)
}

fn parse_path_block(
    text: &str,
    block: &Block,
    at: Option<Position>,
) -> Result<PathRule, ParseError> {
    let path = match block.labels.as_slice() {
        [label] => label.as_str().to_string(),
        _ => {
            return Err(error_at(
                "a path block needs exactly one label: path \"secret/*\" { … }",
                at,
            ))
        }
    };
    let mut capabilities = CapabilitySet::EMPTY;
    for structure in block.body.iter() {
        let inner_at = structure_position(text, structure);
        let Structure::Attribute(attribute) = structure else {
            return Err(error_at(
                &format!("path {path:?}: unexpected block inside a path block"),
                inner_at,
            ));
        };
        let key = attribute.key.as_str();
        match key {
            "capabilities" => {
                let names = string_list(&attribute.value).ok_or_else(|| {
                    error_at(
                        &format!("path {path:?}: capabilities must be a list of strings"),
                        inner_at,
                    )
                })?;
                capabilities = capabilities.merge(capability_set(&path, &names, inner_at)?);
            }
            "policy" => {
                let Expression::String(value) = &attribute.value else {
                    return Err(error_at(
                        &format!("path {path:?}: policy must be a string"),
                        inner_at,
                    ));
                };
                capabilities = capabilities.merge(legacy_policy(&path, value.as_str(), inner_at)?);
            }
            other if PATH_BLOCK_KEYS.contains(&other) => {}
            other => return Err(invalid_key(other, inner_at)),
        }
    }
    Ok(PathRule {
        path,
        capabilities,
        position: at,
    })
}

fn capability_set(
    path: &str,
    names: &[String],
    at: Option<Position>,
) -> Result<CapabilitySet, ParseError> {
    let mut set = CapabilitySet::EMPTY;
    for name in names {
        let capability = Capability::from_name(name)
            .ok_or_else(|| error_at(&format!("path {path:?}: invalid capability {name:?}"), at))?;
        set.insert(capability);
    }
    // As Vault does: a rule with deny is only deny.
    Ok(set.merge(CapabilitySet::EMPTY))
}

/// The pre-0.9 `policy = "read"` form, still accepted by Vault.
fn legacy_policy(
    path: &str,
    value: &str,
    at: Option<Position>,
) -> Result<CapabilitySet, ParseError> {
    use Capability::*;
    let capabilities: &[Capability] = match value {
        "deny" => &[Deny],
        "read" => &[Read, List],
        "write" => &[Read, List, Create, Update, Delete],
        "sudo" => &[Read, List, Create, Update, Delete, Sudo],
        other => {
            return Err(error_at(
                &format!("path {path:?}: invalid policy {other:?}"),
                at,
            ))
        }
    };
    Ok(CapabilitySet::of(capabilities))
}

fn string_list(expression: &Expression) -> Option<Vec<String>> {
    let Expression::Array(array) = expression else {
        return None;
    };
    array
        .iter()
        .map(|item| match item {
            Expression::String(s) => Some(s.as_str().to_string()),
            _ => None,
        })
        .collect()
}

fn structure_position(text: &str, structure: &Structure) -> Option<Position> {
    let span = match structure {
        Structure::Block(block) => block.ident.span(),
        Structure::Attribute(attribute) => attribute.key.span(),
    };
    span.map(|range| Position::of_offset(text, range.start))
}

fn invalid_key(key: &str, at: Option<Position>) -> ParseError {
    error_at(&format!("invalid key {key:?}"), at)
}

fn error_at(message: &str, position: Option<Position>) -> ParseError {
    ParseError {
        message: message.to_string(),
        position,
    }
}

/// Vault's JSON form: `{"path": {"secret/*": {"capabilities": ["read"]}}}`.
fn parse_json(text: &str) -> Result<Policy, ParseError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct JsonPolicy {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        path: std::collections::BTreeMap<String, JsonPathBlock>,
    }
    #[derive(Deserialize)]
    struct JsonPathBlock {
        #[serde(default)]
        capabilities: Vec<String>,
        #[serde(default)]
        policy: Option<String>,
        #[serde(flatten)]
        other: std::collections::BTreeMap<String, serde_json::Value>,
    }
    let parsed: JsonPolicy = serde_json_from_str(text)?;
    let _ = parsed.name;
    let mut policy = Policy::default();
    for (path, block) in parsed.path {
        if let Some(key) = block
            .other
            .keys()
            .find(|k| !PATH_BLOCK_KEYS.contains(&k.as_str()))
        {
            return Err(invalid_key(key, None));
        }
        let mut capabilities = capability_set(&path, &block.capabilities, None)?;
        if let Some(legacy) = &block.policy {
            capabilities = capabilities.merge(legacy_policy(&path, legacy, None)?);
        }
        policy.rules.push(PathRule {
            path,
            capabilities,
            position: None,
        });
    }
    Ok(policy)
}

fn serde_json_from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ParseError> {
    serde_json::from_str(text).map_err(|e| ParseError {
        message: format!("invalid JSON policy: {e}"),
        position: Some(Position {
            line: e.line(),
            column: e.column(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_path_blocks() {
        let policy = parse(
            r#"
# webapp-one
path "kv/data/webapps/app_one" {
  capabilities = ["read", "list"]
}
path "sys/seal" { capabilities = ["update", "sudo"] }
"#,
        )
        .unwrap();
        assert_eq!(policy.rules.len(), 2);
        assert_eq!(policy.rules[0].path, "kv/data/webapps/app_one");
        assert_eq!(policy.rules[0].capabilities.names(), vec!["list", "read"]);
        assert_eq!(
            policy.rules[0].position,
            Some(Position { line: 3, column: 1 })
        );
        assert_eq!(policy.rules[1].capabilities.names(), vec!["sudo", "update"]);
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let error = parse("path \"a\" {\n  capabilities = [\"read\"\n}\n").unwrap_err();
        assert_eq!(error.position.map(|p| p.line), Some(3));
    }

    #[test]
    fn unknown_capabilities_and_keys_are_rejected_at_their_line() {
        let error = parse("path \"a\" {\n  capabilities = [\"reed\"]\n}").unwrap_err();
        assert!(
            error.message.contains("invalid capability \"reed\""),
            "{error}"
        );
        assert_eq!(error.position, Some(Position { line: 2, column: 3 }));
        let error = parse("path \"a\" {\n  capabilites = [\"read\"]\n}").unwrap_err();
        assert!(
            error.message.contains("invalid key \"capabilites\""),
            "{error}"
        );
    }

    #[test]
    fn deny_with_others_is_only_deny() {
        let policy = parse(r#"path "a" { capabilities = ["read", "deny"] }"#).unwrap();
        assert_eq!(policy.rules[0].capabilities.names(), vec!["deny"]);
    }

    #[test]
    fn legacy_policy_form() {
        let policy = parse(r#"path "a/*" { policy = "write" }"#).unwrap();
        assert_eq!(
            policy.rules[0].capabilities.names(),
            vec!["create", "delete", "list", "read", "update"]
        );
    }

    #[test]
    fn json_form() {
        let policy = parse(r#"{"path": {"secret/*": {"capabilities": ["read"]}}}"#).unwrap();
        assert_eq!(policy.rules[0].path, "secret/*");
        assert!(parse(r#"{"path": {"a": {"capabilities": ["reed"]}}}"#).is_err());
        assert!(parse(r#"{"path": {"a": {"capabilites": ["read"]}}}"#).is_err());
    }
}
