//! Checking a policy as it is typed: what OpenBao would refuse (syntax, unknown keys and
//! capabilities, every other check of [`crate::decode`]), what it would accept but almost
//! certainly not mean (empty capability lists, `deny` mixed with others, a `*` in the
//! middle, a KV v2 path without `data/`, a block without a path), each at its line and
//! column, some with a fix.
//!
//! The errors are exactly the problems [`crate::parse`] would refuse the text for, so the
//! editor's verdict and the parser's always agree.

use crate::capability::Capability;
use crate::decode::{self, PathEntry, Problem, ProblemKind, LEGACY_POLICIES, TOP_LEVEL_KEYS};
use crate::parse::{Position, PATH_BLOCK_KEYS};
use serde::{Deserialize, Serialize};
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    /// Vault rejects the policy.
    Error,
    /// Vault accepts it, but it very likely does not do what was meant.
    Warning,
    /// Worth knowing.
    Note,
}

/// A replacement that fixes a diagnostic: `text[range]` becomes `replacement`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub label: String,
    pub range: Range<usize>,
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub position: Position,
    pub message: String,
    pub fix: Option<Fix>,
}

/// A mount the user can see, for path checks: its request path (`kv/`, `auth/userpass/`),
/// its type and, for KV, its version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountHint {
    pub path: String,
    pub kind: String,
    pub kv_version: Option<u8>,
}

/// One segment of a rule's path, with what it means when it is a wildcard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub text: String,
    pub meaning: Option<String>,
}

/// A `path` block as the editor shows it in its rule list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSummary {
    pub path: String,
    pub position: Position,
    pub capabilities: Vec<String>,
    pub segments: Vec<Segment>,
    /// The mount serving the path, if one is known.
    pub mount: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validation {
    pub diagnostics: Vec<Diagnostic>,
    pub rules: Vec<RuleSummary>,
}

impl Validation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// The subpaths of a KV v2 mount that its API serves.
const KV2_AREAS: &[&str] = &[
    "data/",
    "metadata/",
    "delete/",
    "undelete/",
    "destroy/",
    "subkeys/",
    "config",
];

/// Whether a path inside a KV v2 mount (`rest`, after the mount's own path) goes through
/// one of the areas its API serves — `webapps/app_one` does not; `data/webapps/app_one` does.
pub fn names_a_kv2_area(rest: &str) -> bool {
    KV2_AREAS.iter().any(|area| rest.starts_with(area))
}

pub fn validate(text: &str, mounts: &[MountHint]) -> Validation {
    let reading = decode::read(text);
    let mut checker = Checker {
        text,
        mounts,
        out: Validation::default(),
    };
    for problem in &reading.problems {
        checker.problem(problem);
    }
    for path in &reading.paths {
        checker.path_entry(path);
    }
    checker.note_duplicates();
    checker.out
}

struct Checker<'a> {
    text: &'a str,
    mounts: &'a [MountHint],
    out: Validation,
}

impl Checker<'_> {
    fn at(&self, offset: usize) -> Position {
        Position::of_offset(self.text, offset)
    }

    fn push(&mut self, severity: Severity, position: Position, message: String, fix: Option<Fix>) {
        self.out.diagnostics.push(Diagnostic {
            severity,
            position,
            message,
            fix,
        });
    }

    /// One thing OpenBao refuses, worded for the editor and with a fix where one is clear.
    fn problem(&mut self, problem: &Problem) {
        let position = self.at(problem.span.start);
        let (message, fix) = match &problem.kind {
            ProblemKind::Syntax => (format!("syntax error: {}", problem.message), None),
            ProblemKind::Empty => (
                "the policy is empty: OpenBao refuses an empty policy".to_string(),
                None,
            ),
            ProblemKind::UnknownTopLevelKey { key } => self.unknown_key(
                key,
                "a policy holds only path blocks (and a name)",
                TOP_LEVEL_KEYS,
                &problem.span,
            ),
            ProblemKind::UnknownPathKey { key, path } => {
                let context = format!("in path “{path}”");
                self.unknown_key(key, &context, PATH_BLOCK_KEYS, &problem.span)
            }
            ProblemKind::UnknownCapability { name, .. } => {
                unknown_capability(name, &problem.span)
            }
            ProblemKind::InvalidLegacyPolicy { path } => (
                format!(
                    "path “{path}”: the old form “policy = …” takes one of {}; prefer capabilities = […]",
                    LEGACY_POLICIES.join(", ")
                ),
                None,
            ),
            ProblemKind::Other => (problem.message.clone(), None),
        };
        self.push(Severity::Error, position, message, fix);
    }

    /// "unknown key “x” …: did you mean “y”?", with the fix.
    fn unknown_key(
        &self,
        key: &str,
        context: &str,
        known: &[&str],
        span: &Range<usize>,
    ) -> (String, Option<Fix>) {
        let Some(suggestion) = closest(key, known) else {
            return (format!("unknown key “{key}” {context}"), None);
        };
        let quoted = self.text[span.clone()].starts_with('"');
        let replacement = if quoted {
            format!("\"{suggestion}\"")
        } else {
            suggestion.to_string()
        };
        (
            format!("unknown key “{key}” {context}: did you mean “{suggestion}”?"),
            Some(Fix {
                label: format!("Use “{suggestion}”"),
                range: span.clone(),
                replacement,
            }),
        )
    }

    fn path_entry(&mut self, entry: &PathEntry) {
        let keyword_position = self.at(entry.keyword.start);
        let (path, position, label_span) = match &entry.label {
            Some((path, span)) => (path.clone(), self.at(span.start), Some(span.clone())),
            None => {
                self.push(
                    Severity::Warning,
                    keyword_position,
                    "this block names no path, so OpenBao reads it as a rule for the path “path”: write path \"secret/*\" { … }".into(),
                    None,
                );
                ("path".to_string(), keyword_position, None)
            }
        };
        for extra in &entry.extra_labels {
            let at = self.at(extra.start);
            self.push(
                Severity::Warning,
                at,
                format!("path “{path}”: OpenBao ignores a second label"),
                None,
            );
        }
        if entry.expired {
            self.push(
                Severity::Note,
                keyword_position,
                format!("path “{path}” has expired: OpenBao ignores it"),
                None,
            );
        }
        let names: Vec<String> = entry.capabilities.iter().map(|(n, _)| n.clone()).collect();
        self.check_grants(entry, &path, &names, keyword_position);
        self.check_path(&path, position, label_span);
        let mount = self.mount_of(&path).map(|m| m.path.clone());
        self.out.rules.push(RuleSummary {
            segments: segments_of(&path),
            path,
            position,
            capabilities: names,
            mount,
        });
    }

    /// Warnings about what a block grants: nothing at all, or `deny` among others.
    fn check_grants(&mut self, entry: &PathEntry, path: &str, names: &[String], at: Position) {
        if !entry.grants_key {
            self.push(
                Severity::Warning,
                at,
                format!("path “{path}” has no capabilities: it grants nothing"),
                None,
            );
            return;
        }
        let Some(key) = entry.capability_keys.first() else {
            return;
        };
        let key_position = self.at(key.start);
        if names.is_empty() {
            self.push(
                Severity::Warning,
                key_position,
                format!("path “{path}”: an empty capabilities list grants nothing, and as the best match for a path it hides broader rules"),
                None,
            );
        }
        if names.iter().any(|n| n == "deny") && names.len() > 1 {
            self.push(
                Severity::Warning,
                key_position,
                format!("path “{path}”: “deny” overrides everything else here; the other capabilities have no effect"),
                None,
            );
        }
    }

    /// Checks of the path itself; `+*`, which OpenBao refuses, is among the problems.
    fn check_path(&mut self, path: &str, position: Position, span: Option<Range<usize>>) {
        if path.trim_end_matches('*').contains('*') {
            self.push(
                Severity::Warning,
                position,
                format!("path “{path}”: a “*” only works at the end of a path; here it matches a literal “*” (use “+” for one segment)"),
                None,
            );
        }
        if path.starts_with('/') {
            self.push(
                Severity::Note,
                position,
                format!("path “{path}”: Vault ignores the leading “/”"),
                None,
            );
        }
        self.check_mount(path, position, span);
    }

    /// The mount a policy path falls under, by longest prefix of its literal part.
    fn mount_of(&self, path: &str) -> Option<&MountHint> {
        let path = path.trim_start_matches('/');
        self.mounts
            .iter()
            .filter(|m| path.starts_with(&m.path) || format!("{path}/") == m.path)
            .max_by_key(|m| m.path.len())
    }

    fn check_mount(&mut self, path: &str, position: Position, span: Option<Range<usize>>) {
        if self.mounts.is_empty() {
            return;
        }
        let trimmed = path.trim_start_matches('/');
        let builtin = ["sys/", "auth/token/", "cubbyhole/", "identity/"]
            .iter()
            .any(|p| trimmed.starts_with(p));
        let Some(mount) = self.mount_of(trimmed).cloned() else {
            let literal = trimmed.split(['*', '+']).next().unwrap_or("");
            let covers_a_mount = self.mounts.iter().any(|m| m.path.starts_with(literal));
            if !builtin && !covers_a_mount {
                self.push(
                    Severity::Note,
                    position,
                    format!("no mount you can see serves “{trimmed}”"),
                    None,
                );
            }
            return;
        };
        let rest = &trimmed[mount.path.len().min(trimmed.len())..];
        if mount.kv_version != Some(2) || rest.is_empty() || rest.starts_with(['*', '+']) {
            return;
        }
        if names_a_kv2_area(rest) {
            return;
        }
        let suggestion = format!("{}data/{rest}", mount.path);
        let fix = span.map(|range| Fix {
            label: format!("Use “{suggestion}”"),
            range,
            replacement: format!("\"{suggestion}\""),
        });
        self.push(
            Severity::Warning,
            position,
            format!(
                "“{}” is a KV version 2 mount: its secrets are read at “{}data/…”, so “{trimmed}” matches nothing — did you mean “{suggestion}”? (Listing needs “{}metadata/…”.)",
                mount.path, mount.path, mount.path
            ),
            fix,
        );
    }

    fn note_duplicates(&mut self) {
        let rules = self.out.rules.clone();
        for (i, rule) in rules.iter().enumerate() {
            if let Some(first) = rules[..i].iter().find(|r| r.path == rule.path) {
                self.push(
                    Severity::Note,
                    rule.position,
                    format!(
                        "“{}” also appears at line {}; OpenBao combines the two",
                        rule.path, first.position.line
                    ),
                    None,
                );
            }
        }
    }
}

/// "“reed” is not a capability: did you mean “read”?", with the fix.
fn unknown_capability(name: &str, span: &Range<usize>) -> (String, Option<Fix>) {
    let valid: Vec<&str> = decode::POLICY_CAPABILITIES
        .iter()
        .map(|c| c.as_str())
        .collect();
    if Capability::from_name(name).is_some() {
        let message = format!(
            "“{name}” is a Vault capability that OpenBao does not accept (valid: {})",
            valid.join(", ")
        );
        return (message, None);
    }
    let Some(suggestion) = closest(name, &valid) else {
        let message = format!("“{name}” is not a capability (valid: {})", valid.join(", "));
        return (message, None);
    };
    let fix = Fix {
        label: format!("Use “{suggestion}”"),
        range: span.clone(),
        replacement: format!("\"{suggestion}\""),
    };
    (
        format!("“{name}” is not a capability: did you mean “{suggestion}”?"),
        Some(fix),
    )
}

fn segments_of(path: &str) -> Vec<Segment> {
    let mut segments: Vec<Segment> = path
        .split_inclusive('/')
        .map(|part| {
            let bare = part.trim_end_matches('/');
            let meaning = if bare == "+" {
                Some("“+” stands for exactly one path segment: any name, without slashes".to_string())
            } else if bare.ends_with('*') {
                Some(format!(
                    "“*” at the end matches anything from here on, slashes included: every path starting with “{}”",
                    path.trim_end_matches('*')
                ))
            } else {
                None
            };
            Segment { text: part.to_string(), meaning }
        })
        .collect();
    if segments.is_empty() {
        segments.push(Segment {
            text: path.to_string(),
            meaning: None,
        });
    }
    segments
}

/// The candidate within edit distance 2 of `word`, if there is a closest one.
fn closest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv2() -> Vec<MountHint> {
        vec![
            MountHint {
                path: "kv/".into(),
                kind: "kv".into(),
                kv_version: Some(2),
            },
            MountHint {
                path: "old/".into(),
                kind: "kv".into(),
                kv_version: Some(1),
            },
            MountHint {
                path: "auth/kubernetes/".into(),
                kind: "kubernetes".into(),
                kv_version: None,
            },
        ]
    }

    fn messages(v: &Validation) -> Vec<String> {
        v.diagnostics
            .iter()
            .map(|d| {
                format!(
                    "{}:{} {:?} {}",
                    d.position.line, d.position.column, d.severity, d.message
                )
            })
            .collect()
    }

    #[test]
    fn a_clean_policy_has_no_diagnostics() {
        let v = validate(
            "path \"kv/data/webapps/app_one\" {\n  capabilities = [\"read\"]\n}\n",
            &kv2(),
        );
        assert!(v.diagnostics.is_empty(), "{:?}", messages(&v));
        assert_eq!(v.rules[0].capabilities, vec!["read"]);
        assert_eq!(v.rules[0].mount.as_deref(), Some("kv/"));
    }

    #[test]
    fn syntax_errors_point_at_the_line() {
        let v = validate("path \"a\" {\n  capabilities = [\"read\"\n}\n", &[]);
        assert!(v.has_errors());
        assert_eq!(v.diagnostics[0].position.line, 3);
        assert!(v.diagnostics[0].message.starts_with("syntax error"));
    }

    #[test]
    fn unknown_capabilities_get_a_suggestion_and_a_fix() {
        let text = "path \"a\" {\n  capabilities = [\"reed\", \"list\"]\n}";
        let v = validate(text, &[]);
        let d = &v.diagnostics[0];
        assert_eq!(
            (d.severity, d.position.line, d.position.column),
            (Severity::Error, 2, 19)
        );
        assert!(d.message.contains("did you mean “read”"), "{}", d.message);
        let fix = d.fix.as_ref().unwrap();
        let fixed = format!(
            "{}{}{}",
            &text[..fix.range.start],
            fix.replacement,
            &text[fix.range.end..]
        );
        assert!(validate(&fixed, &[]).diagnostics.is_empty(), "{fixed}");
    }

    #[test]
    fn unknown_keys_empty_lists_and_deny_with_others() {
        let text = "path \"a\" {\n  capabilites = [\"read\"]\n}\npath \"b\" {\n  capabilities = []\n}\npath \"c\" {\n  capabilities = [\"deny\", \"read\"]\n}\nfoo = 1\n";
        let v = validate(text, &[]);
        let all = messages(&v);
        assert!(
            all.iter()
                .any(|m| m.starts_with("2:3 Error") && m.contains("did you mean “capabilities”")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|m| m.starts_with("5:3 Warning") && m.contains("empty capabilities list")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|m| m.starts_with("8:3 Warning") && m.contains("overrides everything")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|m| m.starts_with("10:1 Error") && m.contains("unknown key “foo”")),
            "{all:?}"
        );
    }

    #[test]
    fn the_old_policy_form_is_checked() {
        assert!(validate("path \"a\" { policy = \"write\" }", &[])
            .diagnostics
            .is_empty());
        assert!(validate("path \"a\" { policy = \"reed\" }", &[]).has_errors());
    }

    #[test]
    fn a_kv_v2_path_without_data_gets_the_fix() {
        let text = "path \"kv/webapps/app_one\" {\n  capabilities = [\"read\"]\n}\n";
        let v = validate(text, &kv2());
        let d = &v.diagnostics[0];
        assert_eq!(d.severity, Severity::Warning);
        assert!(
            d.message.contains("did you mean “kv/data/webapps/app_one”"),
            "{}",
            d.message
        );
        let fix = d.fix.as_ref().unwrap();
        assert_eq!(fix.label, "Use “kv/data/webapps/app_one”");
        let fixed = format!(
            "{}{}{}",
            &text[..fix.range.start],
            fix.replacement,
            &text[fix.range.end..]
        );
        assert_eq!(
            fixed,
            "path \"kv/data/webapps/app_one\" {\n  capabilities = [\"read\"]\n}\n"
        );
        assert!(validate(&fixed, &kv2()).diagnostics.is_empty());
    }

    #[test]
    fn kv_v2_api_paths_globs_and_v1_mounts_are_fine() {
        for path in [
            "kv/metadata/webapps/*",
            "kv/*",
            "kv/+/webapps",
            "kv/config",
            "old/webapps/app",
            "auth/kubernetes/role/*",
        ] {
            let v = validate(
                &format!("path \"{path}\" {{ capabilities = [\"read\"] }}"),
                &kv2(),
            );
            assert!(v.diagnostics.is_empty(), "{path}: {:?}", messages(&v));
        }
    }

    #[test]
    fn paths_no_mount_serves_get_a_note() {
        let v = validate(
            "path \"nothing/here\" { capabilities = [\"read\"] }",
            &kv2(),
        );
        assert_eq!(v.diagnostics[0].severity, Severity::Note);
        assert!(v.diagnostics[0].message.contains("no mount you can see"));
        let v = validate("path \"sys/mounts\" { capabilities = [\"read\"] }", &kv2());
        assert!(v.diagnostics.is_empty());
    }

    #[test]
    fn a_one_line_policy_and_commas_get_no_diagnostics() {
        for text in [
            "path \"a\" { capabilities = [\"read\"] } path \"b\" { capabilities = [\"list\"] }",
            "path \"a\" { capabilities = [\"read\"], policy = \"read\", },\npath \"b\" {\n  capabilities = [\"list\",]\n}",
            "path \"a\"\n{\n  capabilities = [\"read\"] }\n",
        ] {
            let v = validate(text, &[]);
            assert!(v.diagnostics.is_empty(), "{text}: {:?}", messages(&v));
            assert_eq!(v.rules.len(), if text.contains("\"b\"") { 2 } else { 1 });
        }
    }

    #[test]
    fn a_missing_brace_is_reported_where_it_was_due_naming_the_open_one() {
        let text = "path \"a\" {\n  capabilities = [\"read\"]\n\npath \"b\" {\n  capabilities = [\"list\"]\n}\n";
        let v = validate(text, &[]);
        let all = messages(&v);
        assert_eq!(all.len(), 1, "{all:?}");
        assert!(
            all[0].starts_with("7:1 Error syntax error: expected '}' to close the '{' of line 1"),
            "{all:?}"
        );
    }

    #[test]
    fn the_json_form_gets_the_same_checks_with_positions() {
        let text = "{\n  \"path\": [\n    {\"kv/webapps/app_one\": {\"capabilities\": [\"read\"]}},\n    {\"kv/data/b\": {\"capabilities\": [\"reed\"]}}\n  ]\n}\n";
        let v = validate(text, &kv2());
        let all = messages(&v);
        assert!(
            all.iter()
                .any(|m| m.starts_with("4:37 Error") && m.contains("did you mean “read”")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|m| m.starts_with("3:6 Warning") && m.contains("KV version 2")),
            "{all:?}"
        );
        assert_eq!(v.rules.len(), 2);
    }

    #[test]
    fn forms_openbao_accepts_but_rarely_means_get_warnings_not_errors() {
        let v = validate("path {\n  capabilities = [\"read\"]\n}\n", &[]);
        assert!(!v.has_errors());
        assert!(messages(&v)[0].starts_with("1:1 Warning this block names no path"));
        assert_eq!(v.rules[0].path, "path");
        let v = validate("path \"a\" \"b\" { capabilities = [\"read\"] }", &[]);
        assert!(!v.has_errors());
        assert!(
            messages(&v)[0].starts_with("1:10 Warning"),
            "{:?}",
            messages(&v)
        );
        let v = validate(
            "path \"a\" {\n  capabilities = [\"read\"]\n  expiration = \"2001-01-01T00:00:00Z\"\n}",
            &[],
        );
        assert!(!v.has_errors());
        assert!(messages(&v)[0].contains("has expired"));
    }

    #[test]
    fn vault_only_capabilities_and_keys_are_errors_for_openbao() {
        let v = validate(
            "path \"a\" {\n  capabilities = [\"read\", \"subscribe\"]\n  subscribe_event_types = [\"kv*\"]\n}",
            &[],
        );
        let all = messages(&v);
        assert!(
            all.iter()
                .any(|m| m.starts_with("2:27 Error") && m.contains("Vault capability")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|m| m.starts_with("3:3 Error")
                    && m.contains("unknown key “subscribe_event_types”")),
            "{all:?}"
        );
    }

    #[test]
    fn a_quoted_unknown_key_is_fixed_with_quotes() {
        let text = "path \"a\" {\n  \"capabilites\" = [\"read\"]\n}";
        let v = validate(text, &[]);
        let fix = v.diagnostics[0].fix.as_ref().unwrap();
        assert_eq!(fix.replacement, "\"capabilities\"");
        let fixed = format!(
            "{}{}{}",
            &text[..fix.range.start],
            fix.replacement,
            &text[fix.range.end..]
        );
        assert!(validate(&fixed, &[]).diagnostics.is_empty(), "{fixed}");
    }

    #[test]
    fn an_empty_policy_is_an_error_a_blank_one_is_not() {
        assert!(validate("", &[]).has_errors());
        assert!(!validate("# just a comment\n", &[]).has_errors());
    }

    #[test]
    fn wildcards_are_explained_and_misplaced_globs_flagged() {
        let v = validate(
            "path \"kv/data/+/config*\" { capabilities = [\"read\"] }",
            &kv2(),
        );
        let meanings: Vec<_> = v.rules[0]
            .segments
            .iter()
            .filter_map(|s| s.meaning.clone())
            .collect();
        assert_eq!(meanings.len(), 2, "{meanings:?}");
        let v = validate("path \"kv/*/x\" { capabilities = [\"read\"] }", &kv2());
        assert!(messages(&v)
            .iter()
            .any(|m| m.contains("only works at the end")));
        let v = validate("path \"kv/+*\" { capabilities = [\"read\"] }", &kv2());
        assert!(v.has_errors());
    }
}
