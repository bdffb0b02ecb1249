//! The two kinds of template a policy can hold.
//!
//! - Identity templates in path names (`secret/{{identity.entity.id}}/*`). When a policy is
//!   written OpenBao only checks that `{{` and `}}` pair up (sdk/helper/identitytpl,
//!   `PopulateString` with `ValidityCheckOnly`); the names inside are resolved per token.
//! - `list_scan_response_keys_filter_path`, a Go `text/template` given `.path` and `.key`
//!   (internal/helper/template). OpenBao compiles it and runs it with two random keys,
//!   refusing it when both give the same path. Go's template language is not reimplemented
//!   here: actions are checked to be closed and made of fields, string literals, numbers,
//!   pipes and the functions OpenBao offers, and `.key` must be used.

/// Whether a path name's `{{ … }}` pairs are balanced, as OpenBao checks on write.
pub(crate) fn identity_template_balanced(path: &str) -> bool {
    let mut pieces = path.split("{{");
    if pieces.next().is_some_and(|first| first.contains("}}")) {
        return false;
    }
    pieces.all(|piece| piece.matches("}}").count() == 1)
}

/// The functions OpenBao's template helper defines (sdk/helper/template/template.go).
const FUNCTIONS: &[&str] = &[
    "random",
    "truncate",
    "truncate_sha256",
    "uppercase",
    "lowercase",
    "replace",
    "sha256",
    "base64",
    "decode_base64",
    "hex",
    "decode_hex",
    "unix_time",
    "unix_time_millis",
    "timestamp",
    "uuid",
    "glob",
    // Go's own.
    "print",
    "printf",
    "println",
    "len",
    "index",
    "slice",
    "html",
    "js",
    "urlquery",
    "and",
    "or",
    "not",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
];

/// Why a response-filter template would be refused, if it would.
pub(crate) fn filter_template_problem(template: &str) -> Option<String> {
    let mut uses_key = false;
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Some("unable to compile template: unclosed action".to_string());
        };
        let action = after[..close]
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        if !(action.starts_with("/*") && action.ends_with("*/")) {
            if let Some(problem) = action_problem(action) {
                return Some(format!("unable to compile template: {problem}"));
            }
            uses_key |= action
                .split(|c: char| !c.is_alphanumeric() && c != '.' && c != '_')
                .any(|word| word == ".key");
        }
        rest = &after[close + 2..];
    }
    (!uses_key).then(|| {
        "list_scan_response_keys_filter_path resulted in same path for two different keys"
            .to_string()
    })
}

/// What in an action's pipeline Go would refuse, if anything: an unknown function, or
/// arguments given to what is not a function (`{{ true .key }}`, `{{ .path | .key }}`).
fn action_problem(action: &str) -> Option<String> {
    let mut command = Command::default();
    let mut depth = 0usize;
    let mut rest = action;
    while let Some(c) = rest.chars().next() {
        let (taken, operand) = match c {
            ' ' | '\t' => (1, None),
            '(' => {
                // A parenthesised pipeline is one operand of the command around it.
                if depth == 0 {
                    command.push(Operand::Value);
                }
                depth += 1;
                (1, None)
            }
            ')' => {
                depth = depth.saturating_sub(1);
                (1, None)
            }
            '|' if depth == 0 => {
                if let Err(problem) = command.end() {
                    return Some(problem);
                }
                command = Command::piped();
                (1, None)
            }
            '|' => (1, None),
            '"' => match quoted_len(rest) {
                Some(len) => (len, Some(Operand::Value)),
                None => return Some("unterminated quoted string".to_string()),
            },
            '.' | '$' => (word_len(rest, 1), Some(Operand::Value)),
            c if c.is_ascii_digit() || c == '-' => (word_len(rest, 1), Some(Operand::Value)),
            c if c.is_alphabetic() || c == '_' => {
                let len = word_len(rest, 0);
                let word = &rest[..len];
                if FUNCTIONS.contains(&word) {
                    (len, Some(Operand::Function))
                } else if matches!(word, "true" | "false" | "nil") {
                    (len, Some(Operand::Value))
                } else {
                    return Some(format!("function {word:?} not defined"));
                }
            }
            other => return Some(format!("unexpected {other:?} in an action")),
        };
        if let Some(operand) = operand.filter(|_| depth == 0) {
            command.push(operand);
        }
        rest = &rest[taken..];
    }
    command.end().err()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operand {
    Function,
    Value,
}

/// One command of a pipeline: its first operand and how many there are.
#[derive(Default)]
struct Command {
    first: Option<Operand>,
    operands: usize,
    /// Whether the previous command's result is passed in as an argument.
    piped: bool,
}

impl Command {
    fn piped() -> Command {
        Command {
            piped: true,
            ..Command::default()
        }
    }

    fn push(&mut self, operand: Operand) {
        self.first.get_or_insert(operand);
        self.operands += 1;
    }

    /// `Err` with the problem, if the command is one Go refuses.
    fn end(&self) -> Result<(), String> {
        match self.first {
            None => Err("missing value for command".to_string()),
            Some(Operand::Value) if self.operands > 1 || self.piped => {
                Err("can't give argument to non-function".to_string())
            }
            _ => Ok(()),
        }
    }
}

fn word_len(s: &str, skip: usize) -> usize {
    skip + s[skip..]
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(s.len() - skip)
}

/// The length of a leading `"…"` literal, or `None` if it is not closed.
fn quoted_len(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_templates_must_pair_up() {
        assert!(identity_template_balanced(
            "secret/{{identity.entity.id}}/*"
        ));
        assert!(identity_template_balanced("secret/plain"));
        assert!(!identity_template_balanced("secret/{{identity"));
        assert!(!identity_template_balanced("secret/}}"));
        assert!(!identity_template_balanced("a/{{x}}}}"));
    }

    #[test]
    fn filter_templates() {
        assert_eq!(filter_template_problem("{{ .path }}{{ .key }}"), None);
        assert_eq!(
            filter_template_problem(
                r#"{{ .path | replace "test/metadata/" "test/data/" }}{{ .key }}"#
            ),
            None
        );
        assert!(filter_template_problem("{{ .path }}")
            .unwrap()
            .contains("same path"));
        assert!(filter_template_problem("{{ .key ")
            .unwrap()
            .contains("unclosed"));
        assert!(filter_template_problem("{{ nope .key }}")
            .unwrap()
            .contains("not defined"));
        assert!(filter_template_problem("{{ .path }}{{ true .key }}")
            .unwrap()
            .contains("non-function"));
        assert!(filter_template_problem("{{ .path | .key }}")
            .unwrap()
            .contains("non-function"));
        assert_eq!(
            filter_template_problem("{{ (lowercase .path) }}{{ .key | uppercase }}"),
            None
        );
    }
}
