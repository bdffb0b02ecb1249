//! An ACL: the policies of a token merged, answering "what may this token do on this path?"
//! with Vault's rules.

use crate::{
    capability::{Capability, CapabilitySet},
    parse::Policy,
    pattern::{higher_priority, is_exact, pattern_matches},
};
use std::collections::BTreeMap;

/// How a decision was reached, for explanations in the policy tester.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatchKind {
    /// The `root` policy: everything is allowed.
    Root,
    /// A rule for exactly this path.
    Exact,
    /// A LIST on `p/` matched the exact rule for `p`, as Vault allows.
    ExactWithoutTrailingSlash,
    /// The highest-priority glob or `+` rule matching the path.
    Pattern,
    /// No rule matches: nothing is allowed.
    NoMatch,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub capabilities: CapabilitySet,
    pub kind: MatchKind,
    /// The rule's path as written in the policy, when a rule matched.
    pub rule: Option<String>,
}

impl Decision {
    pub fn allows(&self, capability: Capability) -> bool {
        self.kind == MatchKind::Root || self.capabilities.allows(capability)
    }

    /// The capabilities as `sys/capabilities` reports them: `["root"]`, `["deny"]` when
    /// nothing is granted, else the sorted names.
    pub fn reported(&self) -> Vec<String> {
        if self.kind == MatchKind::Root {
            return vec!["root".into()];
        }
        if self.capabilities.is_empty() || self.capabilities.is_deny() {
            return vec!["deny".into()];
        }
        self.capabilities
            .names()
            .into_iter()
            .map(String::from)
            .collect()
    }
}

#[derive(Clone, Debug, Default)]
pub struct Acl {
    root: bool,
    exact: BTreeMap<String, CapabilitySet>,
    patterns: BTreeMap<String, CapabilitySet>,
}

impl Acl {
    /// Merges policies: rules on the same path are combined, `deny` winning.
    pub fn new<'a>(policies: impl IntoIterator<Item = &'a Policy>) -> Acl {
        let mut acl = Acl::default();
        for rule in policies.into_iter().flat_map(|p| &p.rules) {
            let table = if is_exact(&rule.path) {
                &mut acl.exact
            } else {
                &mut acl.patterns
            };
            let merged = table.get(&rule.path).map_or(rule.capabilities, |existing| {
                existing.merge(rule.capabilities)
            });
            table.insert(rule.path.clone(), merged);
        }
        acl
    }

    /// The ACL of a token with the `root` policy.
    pub fn root() -> Acl {
        Acl {
            root: true,
            ..Acl::default()
        }
    }

    pub fn is_root(&self) -> bool {
        self.root
    }

    /// What the token may do on `path`. `listing` is true for LIST requests, whose path
    /// ends in `/`: they also match rules written without the slash — an exact rule first,
    /// then `+`/glob rules, before the path with its slash is tried against the patterns
    /// (Vault's `AllowOperation`).
    pub fn decide(&self, path: &str, listing: bool) -> Decision {
        if self.root {
            return Decision {
                capabilities: CapabilitySet::EMPTY,
                kind: MatchKind::Root,
                rule: None,
            };
        }
        if let Some(capabilities) = self.exact.get(path) {
            return Decision {
                capabilities: *capabilities,
                kind: MatchKind::Exact,
                rule: Some(path.to_string()),
            };
        }
        let trimmed = path.strip_suffix('/').filter(|_| listing);
        if let Some(trimmed) = trimmed {
            if let Some(capabilities) = self.exact.get(trimmed) {
                return Decision {
                    capabilities: *capabilities,
                    kind: MatchKind::ExactWithoutTrailingSlash,
                    rule: Some(trimmed.to_string()),
                };
            }
        }
        trimmed
            .and_then(|trimmed| self.best_pattern(trimmed))
            .or_else(|| self.best_pattern(path))
            .unwrap_or(Decision {
                capabilities: CapabilitySet::EMPTY,
                kind: MatchKind::NoMatch,
                rule: None,
            })
    }

    /// What `sys/capabilities(-self)` reports for `path`: Vault evaluates it as a LIST, so
    /// `kv/metadata/app/` is covered by a rule for `kv/metadata/app`.
    pub fn capabilities(&self, path: &str) -> Decision {
        self.decide(path, true)
    }

    /// The highest-priority `+`/glob rule matching `path`, if any.
    fn best_pattern(&self, path: &str) -> Option<Decision> {
        self.patterns
            .iter()
            .filter(|(pattern, _)| pattern_matches(pattern, path))
            .max_by(|(a, _), (b, _)| higher_priority(a, b))
            .map(|(pattern, capabilities)| Decision {
                capabilities: *capabilities,
                kind: MatchKind::Pattern,
                rule: Some(pattern.clone()),
            })
    }

    /// Rules for exact paths, merged across policies (for `sys/internal/ui/resultant-acl`).
    pub fn exact_rules(&self) -> impl Iterator<Item = (&str, CapabilitySet)> {
        self.exact.iter().map(|(p, c)| (p.as_str(), *c))
    }

    /// Glob and `+` rules, merged across policies. Vault reports a glob without its `*`.
    pub fn pattern_rules(&self) -> impl Iterator<Item = (&str, CapabilitySet)> {
        self.patterns.iter().map(|(p, c)| (p.as_str(), *c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn acl(texts: &[&str]) -> Acl {
        let policies: Vec<Policy> = texts.iter().map(|t| parse(t).unwrap()).collect();
        Acl::new(&policies)
    }

    fn can(acl: &Acl, path: &str, capability: Capability) -> bool {
        acl.decide(path, capability == Capability::List)
            .allows(capability)
    }

    #[test]
    fn a_listing_path_is_also_matched_without_its_slash() {
        let acl = acl(&[
            r#"path "kv/metadata/webapps" { capabilities = ["list"] }"#,
            r#"path "kv/metadata/teams/+" { capabilities = ["list"] }"#,
        ]);
        assert!(can(&acl, "kv/metadata/webapps/", Capability::List));
        assert!(can(&acl, "kv/metadata/teams/blue/", Capability::List));
        assert_eq!(
            acl.capabilities("kv/metadata/webapps/").reported(),
            vec!["list"]
        );
        assert_eq!(
            acl.decide("kv/metadata/webapps/", false).reported(),
            vec!["deny"],
            "a read of the path with the slash is not a listing"
        );
    }

    #[test]
    fn the_lab_policy_reads_one_app_and_not_the_other() {
        let acl = acl(&[r#"path "kv/data/webapps/app_one" { capabilities = ["read"] }"#]);
        assert!(can(&acl, "kv/data/webapps/app_one", Capability::Read));
        assert!(!can(&acl, "kv/data/webapps/app_two", Capability::Read));
        assert!(!can(&acl, "kv/webapps/app_one", Capability::Read));
        assert!(!can(&acl, "kv/data/webapps/app_one", Capability::Update));
    }

    #[test]
    fn exact_beats_glob_even_when_the_glob_grants_more() {
        let acl = acl(&[r#"
            path "secret/*" { capabilities = ["create", "read", "update"] }
            path "secret/locked" { capabilities = ["read"] }
        "#]);
        assert!(!can(&acl, "secret/locked", Capability::Update));
        assert!(can(&acl, "secret/other", Capability::Update));
    }

    #[test]
    fn the_longer_glob_wins() {
        let acl = acl(&[r#"
            path "secret/*" { capabilities = ["read"] }
            path "secret/team/*" { capabilities = ["deny"] }
        "#]);
        assert!(!can(&acl, "secret/team/x", Capability::Read));
        assert!(can(&acl, "secret/other/x", Capability::Read));
    }

    #[test]
    fn plus_and_glob_priority_from_vaults_docs() {
        // Vault's docs: "secret/+/bar" vs "secret/foo/*": the first wildcard of the second
        // comes later, so it wins for "secret/foo/bar".
        let acl = acl(&[r#"
            path "secret/+/bar" { capabilities = ["read"] }
            path "secret/foo/*" { capabilities = ["update"] }
        "#]);
        let decision = acl.decide("secret/foo/bar", false);
        assert_eq!(decision.rule.as_deref(), Some("secret/foo/*"));
        assert!(can(&acl, "secret/baz/bar", Capability::Read));
    }

    #[test]
    fn deny_in_any_policy_wins_on_the_same_path() {
        let acl = acl(&[
            r#"path "secret/*" { capabilities = ["read"] }"#,
            r#"path "secret/*" { capabilities = ["deny"] }"#,
        ]);
        assert!(!can(&acl, "secret/x", Capability::Read));
        assert_eq!(acl.decide("secret/x", false).reported(), vec!["deny"]);
    }

    #[test]
    fn capabilities_of_the_same_path_in_two_policies_are_combined() {
        let acl = acl(&[
            r#"path "secret/x" { capabilities = ["read"] }"#,
            r#"path "secret/x" { capabilities = ["update"] }"#,
        ]);
        assert_eq!(
            acl.decide("secret/x", false).reported(),
            vec!["read", "update"]
        );
    }

    #[test]
    fn list_needs_list_and_matches_exact_rules_without_the_slash() {
        let acl = acl(&[r#"
            path "kv/metadata/webapps" { capabilities = ["list"] }
            path "kv/data/*" { capabilities = ["read"] }
        "#]);
        assert!(can(&acl, "kv/metadata/webapps/", Capability::List));
        assert!(!can(&acl, "kv/data/", Capability::List));
    }

    #[test]
    fn root_allows_everything() {
        let decision = Acl::root().decide("sys/seal", false);
        assert!(decision.allows(Capability::Sudo));
        assert_eq!(decision.reported(), vec!["root"]);
    }

    #[test]
    fn no_match_is_reported_as_deny() {
        let acl = acl(&[r#"path "a" { capabilities = ["read"] }"#]);
        assert_eq!(acl.decide("b", false).reported(), vec!["deny"]);
        assert_eq!(acl.decide("b", false).kind, MatchKind::NoMatch);
    }
}

#[cfg(test)]
mod vault_documented_examples {
    //! The matching examples of Vault's policy documentation, as a table.
    use super::*;
    use crate::parse::parse;

    /// (rules, request path, expected winning rule or None for no match)
    const CASES: &[(&[&str], &str, Option<&str>)] = &[
        (&["secret/foo"], "secret/foo", Some("secret/foo")),
        (&["secret/foo"], "secret/foo/bar", None),
        (&["secret/foo*"], "secret/foo", Some("secret/foo*")),
        (&["secret/foo*"], "secret/foobar", Some("secret/foo*")),
        (&["secret/foo*"], "secret/foo/bar", Some("secret/foo*")),
        (
            &["secret/+/teamb"],
            "secret/foo/teamb",
            Some("secret/+/teamb"),
        ),
        (&["secret/+/teamb"], "secret/foo/bar/teamb", None),
        (
            &["secret/+/+/teamb"],
            "secret/foo/bar/teamb",
            Some("secret/+/+/teamb"),
        ),
        (
            &["secret/+/teamb*"],
            "secret/foo/teamb/x",
            Some("secret/+/teamb*"),
        ),
        // "secret/*" vs "secret/+/+/foo/*": same first wildcard, both globs, the second has
        // more + segments, so the documentation gives it lower priority.
        (
            &["secret/*", "secret/+/+/foo/*"],
            "secret/a/b/foo/c",
            Some("secret/*"),
        ),
        // A longer glob wins over a shorter one.
        (
            &["secret/*", "secret/team/*"],
            "secret/team/x",
            Some("secret/team/*"),
        ),
        // An exact path beats any glob.
        (
            &["secret/*", "secret/team/x"],
            "secret/team/x",
            Some("secret/team/x"),
        ),
        // Not ending in * beats ending in * when the first wildcard is at the same place.
        (
            &["secret/+/x", "secret/+/x*"],
            "secret/a/x",
            Some("secret/+/x"),
        ),
        // The later first wildcard wins.
        (
            &["secret/+/b", "secret/a/+"],
            "secret/a/b",
            Some("secret/a/+"),
        ),
    ];

    #[test]
    fn every_documented_case() {
        for (rules, path, expected) in CASES {
            let text: String = rules
                .iter()
                .map(|r| format!("path \"{r}\" {{ capabilities = [\"read\"] }}\n"))
                .collect();
            let acl = Acl::new([&parse(&text).unwrap()]);
            let decision = acl.decide(path, false);
            assert_eq!(
                decision.rule.as_deref(),
                *expected,
                "rules {rules:?} on {path}"
            );
        }
    }
}
