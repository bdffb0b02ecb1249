//! From the syntax tree to rules, checking what OpenBao checks when a policy is written
//! (internal/vault/policy/policy.go, `ParseACLPolicy` and `parsePaths`), in its order:
//!
//! 1. the top level holds only `name` and `path` keys (`hclutil.CheckHCLKeys`), and `name`
//!    is a string;
//! 2. for each `path` item: its `{{ }}` templates pair up; its value is an object whose
//!    keys are known; its `control_group`s are well formed; its fields decode (see
//!    [`value`]); an `expiration` in the past drops the rule, and nothing after is checked;
//!    `+*` is refused; the legacy `policy` maps to capabilities; capabilities are read in
//!    order and the first `deny` ends the reading (so `["deny", "bogus"]` is accepted,
//!    `["bogus", "deny"]` is not); unless denied, the wrapping TTLs and the response
//!    filter are checked.
//!
//! Unlike OpenBao, which stops at the first problem, every problem is collected, so the
//! editor can show them all; the first one is OpenBao's.

mod templates;
pub(crate) mod units;
pub(crate) mod value;

use crate::capability::{Capability, CapabilitySet};
use crate::hcl::{self, Document, Key, Node};
use crate::parse::{PathRule, Position, PATH_BLOCK_KEYS};
use std::ops::Range;
use units::Scalar;
use value::{entries, field_values, filter, key_text, DecodeError, Entry, Val};

pub(crate) const TOP_LEVEL_KEYS: &[&str] = &["name", "path"];
const CONTROL_GROUP_KEYS: &[&str] = &["ttl", "self_auth_allowed", "factor"];
const FACTOR_KEYS: &[&str] = &["controlled_capabilities", "identity"];

/// The operations a control group factor may name (sdk/logical/request.go).
const OPERATIONS: &[&str] = &[
    "create",
    "read",
    "update",
    "patch",
    "delete",
    "list",
    "scan",
    "help",
    "alias-lookahead",
    "resolve-role",
    "header",
    "revoke",
    "renew",
    "rollback",
];

/// The capabilities OpenBao 2.7 accepts in a policy. Vault's `subscribe` and `recover` are
/// not among them; `scan` is OpenBao's own.
pub(crate) const POLICY_CAPABILITIES: &[Capability] = &[
    Capability::Deny,
    Capability::Create,
    Capability::Read,
    Capability::Update,
    Capability::Delete,
    Capability::List,
    Capability::Sudo,
    Capability::Patch,
    Capability::Scan,
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ProblemKind {
    Syntax,
    Empty,
    UnknownTopLevelKey { key: String },
    UnknownPathKey { key: String, path: String },
    UnknownCapability { name: String, path: String },
    InvalidLegacyPolicy { path: String },
    Other,
}

/// Something that makes OpenBao refuse the policy. `message` is worded as OpenBao words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub message: String,
    pub span: Range<usize>,
    pub kind: ProblemKind,
}

/// A `path` item as written, with what OpenBao makes of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PathEntry {
    /// The `path` key.
    pub keyword: Range<usize>,
    /// The path as written (unquoted) and its span; `None` for `path { … }`, which OpenBao
    /// reads as a rule for the path "path".
    pub label: Option<(String, Range<usize>)>,
    /// Labels after the first, which OpenBao ignores.
    pub extra_labels: Vec<Range<usize>>,
    /// Capability names as written, across every `capabilities` key.
    pub capabilities: Vec<(String, Range<usize>)>,
    /// Whether the block has a `capabilities` or `policy` key at all.
    pub grants_key: bool,
    /// The `capabilities` keys.
    pub capability_keys: Vec<Range<usize>>,
    /// Whether its `expiration` has passed, so OpenBao drops it.
    pub expired: bool,
    /// The rule OpenBao keeps: `None` when the item is refused or expired.
    pub rule: Option<PathRule>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Reading {
    pub paths: Vec<PathEntry>,
    pub problems: Vec<Problem>,
}

/// Reads policy text as OpenBao does when it is written through `sys/policies/acl`.
pub(crate) fn read(text: &str) -> Reading {
    if text.is_empty() {
        // sys/policies/acl refuses an empty policy before parsing it
        // (internal/vault/logical_system.go, handlePoliciesSet).
        return Reading {
            paths: Vec::new(),
            problems: vec![Problem {
                message: "'policy' parameter not supplied or empty".to_string(),
                span: 0..0,
                kind: ProblemKind::Empty,
            }],
        };
    }
    match hcl::parse_document(text) {
        Ok(document) => read_document(text, &document),
        Err(error) => Reading {
            paths: Vec::new(),
            problems: vec![Problem {
                message: error.message,
                span: error.offset..error.offset,
                kind: ProblemKind::Syntax,
            }],
        },
    }
}

fn read_document(text: &str, document: &Document) -> Reading {
    let mut reader = Reader {
        text,
        now: units::now_nanos(),
        reading: Reading::default(),
    };
    let top = entries(&document.items);
    reader.check_top_level_keys(&top);
    for value in field_values(&top, "name") {
        if let Err(error) = value::string(&value) {
            reader.problem(error.span, format!("name: {}", error.message));
        }
    }
    for entry in filter(&top, "path") {
        reader.path(entry);
    }
    reader.reading
}

struct Reader<'t> {
    text: &'t str,
    now: i128,
    reading: Reading,
}

/// The fields of a path block, decoded.
#[derive(Default)]
struct PathFields {
    policy: Option<(String, Range<usize>)>,
    capabilities: Vec<(String, Range<usize>)>,
    expiration: Option<(String, Range<usize>)>,
    min_wrapping_ttl: Option<(Scalar, Range<usize>)>,
    max_wrapping_ttl: Option<(Scalar, Range<usize>)>,
    filter_path: Option<(String, Range<usize>)>,
}

impl Reader<'_> {
    fn problem(&mut self, span: Range<usize>, message: String) {
        self.problem_of(span, message, ProblemKind::Other);
    }

    fn problem_of(&mut self, span: Range<usize>, message: String, kind: ProblemKind) {
        self.reading.problems.push(Problem {
            message,
            span,
            kind,
        });
    }

    fn check_top_level_keys(&mut self, top: &[Entry]) {
        for entry in top {
            let Some(key) = entry.keys.first() else {
                continue;
            };
            let name = key_text(key);
            if !TOP_LEVEL_KEYS.contains(&name.as_str()) {
                let line = Position::of_offset(self.text, key.span.start).line;
                self.problem_of(
                    key.span.clone(),
                    format!("invalid key {name:?} on line {line}"),
                    ProblemKind::UnknownTopLevelKey { key: name },
                );
            }
        }
    }

    fn path(&mut self, entry: Entry) {
        let keyword = entry.item.keys[0].span.clone();
        let label = entry
            .keys
            .first()
            .map(|key| (key.value().unwrap_or_default(), key.span.clone()));
        let name = label
            .as_ref()
            .map_or("path".to_string(), |(l, _)| l.clone());
        let mut path = PathEntry {
            keyword: keyword.clone(),
            label: label.clone(),
            extra_labels: entry.keys.iter().skip(1).map(|k| k.span.clone()).collect(),
            capabilities: Vec::new(),
            grants_key: false,
            capability_keys: Vec::new(),
            expired: false,
            rule: None,
        };
        let problems_before = self.reading.problems.len();
        let label_span = label.map_or(keyword.clone(), |(_, span)| span);
        self.check_label(entry.keys.first(), &name, label_span.clone());
        let Node::Object { items, .. } = entry.value else {
            self.problem(
                entry.value.span(),
                format!(
                    "path {name:?}: expected a block {{ … }}, found {}",
                    value::found(&Val::Node(entry.value))
                ),
            );
            self.reading.paths.push(path);
            return;
        };
        let body = entries(items);
        path.grants_key = ["capabilities", "policy"]
            .iter()
            .any(|key| !filter(&body, key).is_empty());
        path.capability_keys = filter(&body, "capabilities")
            .iter()
            .map(|e| e.item.keys[0].span.clone())
            .collect();
        self.check_path_keys(&body, &name);
        for group in filter(&body, "control_group") {
            self.control_group(&name, group);
        }
        let fields = self.decode_fields(&body, &name);
        path.capabilities = fields.capabilities.clone();
        if self.has_expired(&name, &fields) {
            path.expired = true;
            self.reading.paths.push(path);
            return;
        }
        let stored = name.strip_prefix('/').unwrap_or(&name).to_string();
        if stored.contains("+*") {
            self.problem(
                label_span,
                format!("path {stored:?}: invalid use of wildcards ('+*' is forbidden)"),
            );
        }
        let capabilities = self.capabilities(&name, &fields);
        if !capabilities.is_deny() {
            self.check_wrapping_ttls(&name, &fields);
            self.check_filter_path(&name, &fields, capabilities);
        }
        if self.reading.problems.len() == problems_before {
            path.rule = Some(PathRule {
                path: stored,
                capabilities,
                position: Some(Position::of_offset(self.text, keyword.start)),
            });
        }
        self.reading.paths.push(path);
    }

    fn check_label(&mut self, key: Option<&Key>, name: &str, span: Range<usize>) {
        if key.is_some_and(|k| k.value().is_none()) {
            self.problem(
                span.clone(),
                "path: the string cannot be read (invalid escape or code point)".to_string(),
            );
        }
        if !templates::identity_template_balanced(name) {
            self.problem(
                span,
                format!("path {name:?}: failed to validate policy templating: unbalanced templating characters"),
            );
        }
    }

    fn check_path_keys(&mut self, body: &[Entry], path: &str) {
        for entry in body {
            let key = &entry.keys[0];
            let name = key_text(key);
            if !PATH_BLOCK_KEYS.contains(&name.as_str()) {
                let line = Position::of_offset(self.text, key.span.start).line;
                self.problem_of(
                    key.span.clone(),
                    format!("path {path:?}: invalid key {name:?} on line {line}"),
                    ProblemKind::UnknownPathKey {
                        key: name,
                        path: path.to_string(),
                    },
                );
            }
        }
    }

    fn decode_error(&mut self, path: &str, field: &str, error: DecodeError) {
        self.problem(
            error.span,
            format!("path {path:?}: {field}: {}", error.message),
        );
    }

    /// Decodes the fields in the order of OpenBao's `PathRules` struct.
    fn decode_fields(&mut self, body: &[Entry], path: &str) -> PathFields {
        let mut fields = PathFields::default();
        for value in field_values(body, "policy") {
            match value::string(&value) {
                Ok(policy) => fields.policy = Some(policy),
                Err(error) => self.decode_error(path, "policy", error),
            }
        }
        for value in field_values(body, "capabilities") {
            if let Err(error) = value::strings_into(&value, &mut fields.capabilities) {
                self.decode_error(path, "capabilities", error);
            }
        }
        for value in field_values(body, "expiration") {
            match value::string(&value) {
                Ok(expiration) => fields.expiration = Some(expiration),
                Err(error) => self.decode_error(path, "expiration", error),
            }
        }
        fields.min_wrapping_ttl = self.decode_any(body, path, "min_wrapping_ttl");
        fields.max_wrapping_ttl = self.decode_any(body, path, "max_wrapping_ttl");
        for name in ["allowed_parameters", "denied_parameters"] {
            for value in field_values(body, name) {
                if let Err(error) = value::parameter_map(&value) {
                    self.decode_error(path, name, error);
                }
            }
        }
        for name in ["required_parameters", "mfa_methods"] {
            for value in field_values(body, name) {
                if let Err(error) = value::strings_into(&value, &mut Vec::new()) {
                    self.decode_error(path, name, error);
                }
            }
        }
        for value in field_values(body, "pagination_limit") {
            if let Err(error) = value::int(&value) {
                self.decode_error(path, "pagination_limit", error);
            }
        }
        for value in field_values(body, "list_scan_response_keys_filter_path") {
            match value::string(&value) {
                Ok(filter_path) => fields.filter_path = Some(filter_path),
                Err(error) => self.decode_error(path, "list_scan_response_keys_filter_path", error),
            }
        }
        fields
    }

    /// An `interface{}` field: each value decodes as the type of the one before.
    fn decode_any(
        &mut self,
        body: &[Entry],
        path: &str,
        name: &str,
    ) -> Option<(Scalar, Range<usize>)> {
        let mut decoded: Option<(Scalar, Range<usize>)> = None;
        for value in field_values(body, name) {
            let previous = decoded.as_ref().map(|(scalar, _)| scalar);
            match value::any(&value, previous, false) {
                Ok(scalar) => decoded = Some((scalar, value_span(&value))),
                Err(error) => self.decode_error(path, name, error),
            }
        }
        decoded
    }

    /// Whether the path's `expiration` has passed; an unreadable one is a problem.
    fn has_expired(&mut self, path: &str, fields: &PathFields) -> bool {
        let Some((expiration, span)) = &fields.expiration else {
            return false;
        };
        if expiration.is_empty() {
            return false;
        }
        match units::absolute_time_nanos(expiration) {
            Some(at) => self.now > at,
            None => {
                self.problem(
                    span.clone(),
                    format!("path {path:?}: invalid expiration time: could not parse string as date and time"),
                );
                false
            }
        }
    }

    /// The capabilities granted, the legacy `policy` added after the listed ones.
    fn capabilities(&mut self, path: &str, fields: &PathFields) -> CapabilitySet {
        let mut names: Vec<(String, Option<Range<usize>>)> = fields
            .capabilities
            .iter()
            .map(|(name, span)| (name.clone(), Some(span.clone())))
            .collect();
        // An empty `policy` is no policy (`if len(pc.Policy) > 0`).
        if let Some((policy, span)) = fields.policy.as_ref().filter(|(p, _)| !p.is_empty()) {
            match legacy_capabilities(policy) {
                Some(LegacyPolicy::Deny) => names = vec![("deny".to_string(), None)],
                Some(LegacyPolicy::Grants(granted)) => {
                    names.extend(granted.iter().map(|c| (c.as_str().to_string(), None)))
                }
                None => self.problem_of(
                    span.clone(),
                    format!("path {path:?}: invalid policy {policy:?}"),
                    ProblemKind::InvalidLegacyPolicy {
                        path: path.to_string(),
                    },
                ),
            }
        }
        let mut set = CapabilitySet::EMPTY;
        for (name, span) in names {
            match policy_capability(&name) {
                Some(Capability::Deny) => return CapabilitySet::of(&[Capability::Deny]),
                Some(capability) => set.insert(capability),
                None => self.problem_of(
                    span.unwrap_or(0..0),
                    format!("path {path:?}: invalid capability {name:?}"),
                    ProblemKind::UnknownCapability {
                        name,
                        path: path.to_string(),
                    },
                ),
            }
        }
        set
    }

    fn check_wrapping_ttls(&mut self, path: &str, fields: &PathFields) {
        let min = self.duration(path, "min_wrapping_ttl", &fields.min_wrapping_ttl);
        let max = self.duration(path, "max_wrapping_ttl", &fields.max_wrapping_ttl);
        if let (Some(min), Some(max)) = (min, max) {
            if min != 0 && max != 0 && max < min {
                let span = fields
                    .max_wrapping_ttl
                    .as_ref()
                    .map_or(0..0, |(_, s)| s.clone());
                self.problem(
                    span,
                    format!("path {path:?}: max_wrapping_ttl cannot be less than min_wrapping_ttl"),
                );
            }
        }
    }

    fn duration(
        &mut self,
        path: &str,
        name: &str,
        value: &Option<(Scalar, Range<usize>)>,
    ) -> Option<i64> {
        match units::duration_nanos(value.as_ref().map(|(scalar, _)| scalar)) {
            Ok(nanos) => Some(nanos),
            Err(error) => {
                let span = value.as_ref().map_or(0..0, |(_, s)| s.clone());
                self.problem(
                    span,
                    format!("path {path:?}: error parsing {name}: {error}"),
                );
                None
            }
        }
    }

    fn check_filter_path(&mut self, path: &str, fields: &PathFields, granted: CapabilitySet) {
        let Some((template, span)) = &fields.filter_path else {
            return;
        };
        if template.is_empty() {
            return;
        }
        if !granted.contains(Capability::List) {
            self.problem(
                span.clone(),
                format!("path {path:?}: list_scan_response_keys_filter_path needs to be used on a path with the list capability"),
            );
        } else if let Some(problem) = templates::filter_template_problem(template) {
            self.problem(span.clone(), format!("path {path:?}: {problem}"));
        }
    }

    /// A `control_group` block, as OpenBao checks it (internal/vault/policy/policy.go; the
    /// checks on factors are those OpenBao 2.7.2 makes).
    fn control_group(&mut self, path: &str, group: Entry) {
        let Some(members) = self.block_members(path, "control_group", group.value) else {
            return;
        };
        self.check_keys(&members, CONTROL_GROUP_KEYS, path, "control_group");
        let mut ttl: Option<Scalar> = None;
        for value in field_values(&members, "ttl") {
            match value::any(&value, ttl.as_ref(), false) {
                Ok(scalar) => ttl = Some(scalar),
                Err(error) => self.decode_error(path, "control_group", error),
            }
        }
        for value in field_values(&members, "self_auth_allowed") {
            if let Err(error) = value::boolean(&value) {
                self.decode_error(path, "control_group", error);
            }
        }
        let factors: Vec<Factor> = filter(&members, "factor")
            .into_iter()
            .filter_map(|factor| self.factor(path, factor))
            .collect();
        let span = group.value.span();
        if let Err(error) = units::duration_nanos(ttl.as_ref()) {
            self.problem(
                span.clone(),
                format!("path {path:?}: control_group: invalid ttl: {error}"),
            );
        }
        if factors.is_empty() {
            self.problem(
                span,
                format!("path {path:?}: control_group: requires at least one factor but had none"),
            );
        }
        for (index, factor) in factors.iter().enumerate() {
            self.check_factor(path, index, factor);
        }
    }

    fn check_factor(&mut self, path: &str, index: usize, factor: &Factor) {
        for (operation, span) in &factor.controlled {
            if !OPERATIONS.contains(&operation.as_str()) {
                let message = format!("path control_group: Operation(s) not valid: {operation}");
                self.problem(span.clone(), message);
            }
        }
        let missing = [
            (
                factor.controlled.is_empty(),
                "missing controlled capabilities",
            ),
            (factor.approvals <= 0, "missing required approvals"),
            (factor.group_names == 0, "missing approving groups"),
        ];
        for (is_missing, what) in missing {
            if is_missing {
                let message = format!("path {path:?}: control_group factor {index}: {what}");
                self.problem(factor.span.clone(), message);
            }
        }
    }

    /// A `factor "name" { … }` of a control group; `None` when it is not a block.
    fn factor(&mut self, path: &str, factor: Entry) -> Option<Factor> {
        let members = self.block_members(path, "control_group factor", factor.value)?;
        self.check_keys(&members, FACTOR_KEYS, path, "control_group factor");
        let span = factor.item.keys[0].span.clone();
        let mut decoded = Factor {
            span: span.clone(),
            controlled: Vec::new(),
            group_names: 0,
            approvals: 0,
        };
        for value in field_values(&members, "controlled_capabilities") {
            if let Err(error) = value::strings_into(&value, &mut decoded.controlled) {
                self.decode_error(path, "control_group factor", error);
            }
        }
        for value in field_values(&members, "identity") {
            if let Err(error) = identity(&value, &mut decoded) {
                self.decode_error(path, "control_group factor identity", error);
            }
        }
        if factor.keys.is_empty() {
            self.problem(
                span,
                "path control_group factor: require name key".to_string(),
            );
        }
        Some(decoded)
    }

    /// The members of a block whose keys OpenBao checks; anything else is refused there.
    fn block_members<'a>(
        &mut self,
        path: &str,
        what: &str,
        value: &'a Node,
    ) -> Option<Vec<Entry<'a>>> {
        match value {
            Node::Object { items, .. } => Some(entries(items)),
            other => {
                let found = value::found(&Val::Node(other));
                self.problem(
                    other.span(),
                    format!("path {path:?}: {what}: expected a block {{ … }}, found {found}"),
                );
                None
            }
        }
    }

    fn check_keys(&mut self, members: &[Entry], allowed: &[&str], path: &str, what: &str) {
        for entry in members {
            let key = &entry.keys[0];
            let name = key_text(key);
            if !allowed.contains(&name.as_str()) {
                self.problem(
                    key.span.clone(),
                    format!("path {path:?}: {what}: invalid key {name:?}"),
                );
            }
        }
    }
}

/// A control group factor as decoded.
struct Factor {
    span: Range<usize>,
    controlled: Vec<(String, Range<usize>)>,
    group_names: usize,
    approvals: i64,
}

/// A factor's `identity`, decoded into a struct: an object (its keys are not checked).
fn identity(value: &Val, factor: &mut Factor) -> Result<(), DecodeError> {
    let Val::Members(members) = value else {
        return Err(DecodeError {
            message: format!("expected a block {{ … }}, found {}", value::found(value)),
            span: value_span(value),
        });
    };
    let mut group_names = Vec::new();
    for value in field_values(members, "group_names") {
        value::strings_into(&value, &mut group_names)?;
    }
    factor.group_names += group_names.len();
    for value in field_values(members, "approvals") {
        factor.approvals = value::int(&value)?;
    }
    Ok(())
}

fn value_span(value: &Val) -> Range<usize> {
    match value {
        Val::Node(node) => node.span(),
        Val::Members(members) => members
            .first()
            .map_or(0..0, |m| m.item.keys[0].span.start..m.value.span().end),
        Val::Member(entry) => entry.item.keys[0].span.start..entry.value.span().end,
    }
}

enum LegacyPolicy {
    Deny,
    Grants(&'static [Capability]),
}

/// The pre-0.9 `policy = "…"` values and what they grant.
fn legacy_capabilities(policy: &str) -> Option<LegacyPolicy> {
    use Capability::*;
    Some(match policy {
        "deny" => LegacyPolicy::Deny,
        "read" => LegacyPolicy::Grants(&[Read, List]),
        "write" => LegacyPolicy::Grants(&[Create, Read, Update, Delete, List]),
        "sudo" => LegacyPolicy::Grants(&[Create, Read, Update, Delete, List, Sudo]),
        _ => return None,
    })
}

pub(crate) fn policy_capability(name: &str) -> Option<Capability> {
    POLICY_CAPABILITIES
        .iter()
        .copied()
        .find(|c| c.as_str() == name)
}

/// The legacy values, for messages.
pub(crate) const LEGACY_POLICIES: &[&str] = &["deny", "read", "write", "sudo"];

impl Reading {
    pub(crate) fn rules(&self) -> Vec<PathRule> {
        self.paths.iter().filter_map(|p| p.rule.clone()).collect()
    }
}
