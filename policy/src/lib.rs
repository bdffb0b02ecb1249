//! Vault ACL policies, shared by `labvault` (which enforces them) and the app (whose editor
//! validates them and whose tester evaluates them in the browser). One implementation, so
//! the tester and the lab server can never disagree.
//!
//! - [`parse`]: policy text (HCL 1, or the JSON form) into [`Policy`], accepting and
//!   refusing exactly what OpenBao 2.7 does, errors with line and column;
//! - [`Acl`]: policies merged and evaluated with Vault's rules: an exact path wins, then the
//!   highest-priority glob (`*` suffix) or wildcard (`+` segment) rule; `deny` beats all.

mod acl;
mod capability;
mod decode;
mod hcl;
pub mod highlight;
mod parse;
mod pattern;
mod validate;

pub use acl::{Acl, Decision, MatchKind};
pub use capability::{Capability, CapabilitySet};
pub use parse::{parse, ParseError, PathRule, Policy, Position};
pub use pattern::{higher_priority, pattern_matches};
/// Vault's `default` policy, as Vault ships it.
pub const DEFAULT_POLICY: &str = include_str!("default_policy.hcl");

pub use validate::{
    names_a_kv2_area, validate, Diagnostic, Fix, MountHint, RuleSummary, Segment, Severity,
    Validation,
};
