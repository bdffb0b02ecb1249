//! Policy text into [`Policy`], accepting and refusing what OpenBao does: HCL 1 or the JSON
//! form (see [`crate::hcl`]), then OpenBao's checks (see [`crate::decode`]). Errors carry
//! the line and column they point at.

use crate::capability::CapabilitySet;
use crate::decode;
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

/// One `path "…" { … }` block (or JSON `"path"` member) as OpenBao keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathRule {
    /// The path, without a leading `/`; a glob keeps its `*`.
    pub path: String,
    pub capabilities: CapabilitySet,
    /// Where the rule starts (its `path` key), when parsed from text.
    pub position: Option<Position>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub rules: Vec<PathRule>,
}

/// Keys OpenBao 2.7 accepts inside a `path` block (internal/vault/policy/policy.go,
/// `parsePaths`). Only `capabilities` and the legacy `policy` affect what labvault allows;
/// the others are checked as OpenBao checks them and not enforced. `pagination_limit`,
/// `expiration` and `list_scan_response_keys_filter_path` are OpenBao's own; Vault's
/// `subscribe_event_types` is not accepted by OpenBao.
pub const PATH_BLOCK_KEYS: &[&str] = &[
    "comment",
    "policy",
    "capabilities",
    "allowed_parameters",
    "denied_parameters",
    "required_parameters",
    "min_wrapping_ttl",
    "max_wrapping_ttl",
    "mfa_methods",
    "pagination_limit",
    "expiration",
    "list_scan_response_keys_filter_path",
    "control_group",
];

/// Parses a policy's text. The rules are those OpenBao keeps: a leading `/` is dropped from
/// paths, and paths whose `expiration` has passed are left out.
pub fn parse(text: &str) -> Result<Policy, ParseError> {
    let reading = decode::read(text);
    match reading.problems.first() {
        Some(problem) => Err(ParseError {
            message: problem.message.clone(),
            position: Some(Position::of_offset(text, problem.span.start)),
        }),
        None => Ok(Policy {
            rules: reading.rules(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> Option<Position> {
        Some(Position { line, column })
    }

    fn error_of(text: &str) -> ParseError {
        parse(text).expect_err(text)
    }

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
        assert_eq!(policy.rules[0].position, at(3, 1));
        assert_eq!(policy.rules[1].capabilities.names(), vec!["sudo", "update"]);
    }

    #[test]
    fn a_missing_closing_brace_points_at_where_it_was_due() {
        let error = error_of("path \"a\" {\n  capabilities = [\"read\"]\n\npath \"b\" {\n}\n");
        // The block of line 1 swallows line 4's `path "b" { }`; the end of the text comes
        // where its `}` was due.
        assert_eq!(error.position, at(6, 1));
        assert!(
            error
                .message
                .contains("expected '}' to close the '{' of line 1"),
            "{error}"
        );
    }

    #[test]
    fn an_unclosed_list_points_at_what_came_instead() {
        let error = error_of("path \"a\" {\n  capabilities = [\"read\"\n}\n");
        assert_eq!(error.position, at(3, 1));
        assert_eq!(
            error.message,
            "expected ',' or ']' after a list element, found '}'"
        );
    }

    #[test]
    fn a_missing_equals_sign_points_at_the_value() {
        let error = error_of("path \"a\" {\n  capabilities [\"read\"]\n}");
        assert_eq!(error.position, at(2, 16));
        assert!(error.message.contains("found '['"), "{error}");
    }

    #[test]
    fn an_unterminated_string_points_at_its_opening_quote() {
        let error = error_of("path \"a\" {\n  capabilities = [\"read]\n}");
        assert_eq!(error.position, at(2, 19));
        assert!(error.message.contains("string not terminated"), "{error}");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let error = error_of("path \"é/ü\" { capabilities = [\"reed\"] }");
        assert_eq!(error.position, at(1, 30));
    }

    #[test]
    fn unknown_capabilities_and_keys_are_refused_where_they_are() {
        let error = error_of("path \"a\" {\n  capabilities = [\"reed\"]\n}");
        assert_eq!(error.message, "path \"a\": invalid capability \"reed\"");
        assert_eq!(error.position, at(2, 19));
        let error = error_of("path \"a\" {\n  capabilites = [\"read\"]\n}");
        assert_eq!(
            error.message,
            "path \"a\": invalid key \"capabilites\" on line 2"
        );
        assert_eq!(error.position, at(2, 3));
        let error = error_of("\n\n  paths \"a\" {}");
        assert_eq!(error.message, "invalid key \"paths\" on line 3");
        assert_eq!(error.position, at(3, 3));
    }

    #[test]
    fn json_errors_have_positions_too() {
        let error = error_of("{\n  \"path\": {\n    \"a\": {\"capabilities\": [\"reed\"]}\n  }\n}");
        assert_eq!(error.position, at(3, 28));
        let error = error_of("{\"path\" {}}");
        assert_eq!(error.position, at(1, 9));
    }

    #[test]
    fn crlf_line_endings_count_as_one() {
        let error = error_of("# x\r\npath \"a\" {\r\n  capabilities = [\"reed\"]\r\n}\r\n");
        assert_eq!(error.position, at(3, 19));
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
        assert_eq!(policy.rules[0].position, at(1, 2));
        assert!(parse(r#"{"path": {"a": {"capabilities": ["reed"]}}}"#).is_err());
        assert!(parse(r#"{"path": {"a": {"capabilites": ["read"]}}}"#).is_err());
    }

    #[test]
    fn a_leading_slash_is_dropped_and_expired_paths_left_out() {
        let policy = parse(
            r#"
path "/secret/a" { capabilities = ["read"] }
path "secret/old" {
  capabilities = ["read"]
  expiration = "2001-01-01T00:00:00Z"
}
path "secret/new" {
  capabilities = ["read"]
  expiration = "2999-01-01T00:00:00Z"
}
"#,
        )
        .unwrap();
        let paths: Vec<&str> = policy.rules.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, vec!["secret/a", "secret/new"]);
    }

    #[test]
    fn the_empty_text_is_refused_but_a_blank_one_is_not() {
        assert_eq!(
            error_of("").message,
            "'policy' parameter not supplied or empty"
        );
        assert_eq!(parse(" \n# nothing\n").unwrap(), Policy::default());
    }

    #[test]
    fn the_default_policy_parses() {
        let policy = parse(crate::DEFAULT_POLICY).unwrap();
        assert!(policy
            .rules
            .iter()
            .any(|r| r.path == "sys/capabilities-self"));
    }
}
