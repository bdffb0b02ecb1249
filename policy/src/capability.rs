//! Capabilities and sets of them. The names cover Vault's and OpenBao's: a policy for
//! OpenBao may use `scan` but not Vault's `subscribe` or `recover` (see `decode`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// One ACL capability, as written in a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    Deny,
    Create,
    Read,
    Update,
    Patch,
    Delete,
    List,
    Sudo,
    Subscribe,
    Recover,
    /// OpenBao's recursive listing.
    Scan,
}

impl Capability {
    pub const ALL: [Capability; 11] = [
        Capability::Deny,
        Capability::Create,
        Capability::Read,
        Capability::Update,
        Capability::Patch,
        Capability::Delete,
        Capability::List,
        Capability::Sudo,
        Capability::Subscribe,
        Capability::Recover,
        Capability::Scan,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Deny => "deny",
            Capability::Create => "create",
            Capability::Read => "read",
            Capability::Update => "update",
            Capability::Patch => "patch",
            Capability::Delete => "delete",
            Capability::List => "list",
            Capability::Sudo => "sudo",
            Capability::Subscribe => "subscribe",
            Capability::Recover => "recover",
            Capability::Scan => "scan",
        }
    }

    pub fn from_name(name: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == name)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of capabilities. Merging follows Vault: `deny` anywhere leaves only `deny`.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CapabilitySet(u16);

impl CapabilitySet {
    pub const EMPTY: CapabilitySet = CapabilitySet(0);

    pub fn of(capabilities: &[Capability]) -> CapabilitySet {
        let mut set = CapabilitySet::EMPTY;
        for c in capabilities {
            set.insert(*c);
        }
        set
    }

    pub fn insert(&mut self, capability: Capability) {
        self.0 |= capability.bit();
    }

    pub fn contains(self, capability: Capability) -> bool {
        self.0 & capability.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_deny(self) -> bool {
        self.contains(Capability::Deny)
    }

    /// Whether these capabilities grant `capability` (never, if `deny` is among them).
    pub fn allows(self, capability: Capability) -> bool {
        !self.is_deny() && self.contains(capability)
    }

    /// The union of two rules on the same path, as Vault merges policies.
    pub fn merge(self, other: CapabilitySet) -> CapabilitySet {
        let union = CapabilitySet(self.0 | other.0);
        if union.is_deny() {
            CapabilitySet::of(&[Capability::Deny])
        } else {
            union
        }
    }

    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }

    /// Names in Vault's order of listing (sorted alphabetically, as Vault's API returns them).
    pub fn names(self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.iter().map(Capability::as_str).collect();
        names.sort_unstable();
        names
    }
}

impl fmt::Debug for CapabilitySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_wins_a_merge() {
        let read = CapabilitySet::of(&[Capability::Read, Capability::List]);
        let deny = CapabilitySet::of(&[Capability::Deny]);
        assert_eq!(read.merge(deny), deny);
        assert!(!read.merge(deny).allows(Capability::Read));
        let write = CapabilitySet::of(&[Capability::Update]);
        assert_eq!(read.merge(write).names(), vec!["list", "read", "update"]);
    }
}
