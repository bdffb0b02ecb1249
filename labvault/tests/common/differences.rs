//! The differences between labvault and a real OpenBao that are meant, each with its
//! reason, in one place. A check that meets one of them asks here what to expect; any other
//! difference the conformance suite finds is a labvault bug.
//!
//! labvault follows HashiCorp Vault where OpenBao and Vault differ (principle 3: Vault's
//! docs and source are the reference), and leaves out what a lab does not need, answering
//! it with a clear error.

use testvault::Flavor;

/// Service tokens start `hvs.` in HashiCorp Vault 1.10 and later ("Token prefixes" in
/// Vault's docs), which labvault follows; OpenBao kept the older `s.`.
pub fn service_token_prefix(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::OpenBao => "s.",
        Flavor::Labvault => "hvs.",
    }
}
