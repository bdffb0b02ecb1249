//! Wire types shared by the app and the server: Vault's JSON shapes the app reads, and the
//! BFF's own request and response bodies. Field docs name the Vault field they mirror.

use serde::{Deserialize, Serialize};

/// `GET sys/seal-status` — answered by Vault without the `data` envelope.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SealStatus {
    /// `type`: the seal type, `shamir` for key shares.
    #[serde(rename = "type", default)]
    pub seal_type: String,
    /// `initialized`
    pub initialized: bool,
    /// `sealed`
    pub sealed: bool,
    /// `t`: the number of key shares needed to unseal.
    #[serde(default)]
    pub t: u32,
    /// `n`: the number of key shares made at initialization.
    #[serde(default)]
    pub n: u32,
    /// `progress`: key shares entered so far in this unseal attempt.
    #[serde(default)]
    pub progress: u32,
    /// `nonce`: identifies the current unseal attempt.
    #[serde(default)]
    pub nonce: String,
    /// `version`
    #[serde(default)]
    pub version: String,
    /// `build_date`
    #[serde(default)]
    pub build_date: String,
    /// `migration`
    #[serde(default)]
    pub migration: bool,
    /// `recovery_seal`
    #[serde(default)]
    pub recovery_seal: bool,
    /// `storage_type`
    #[serde(default)]
    pub storage_type: String,
    /// `cluster_name`: present once unsealed.
    #[serde(default)]
    pub cluster_name: Option<String>,
    /// `cluster_id`: present once unsealed.
    #[serde(default)]
    pub cluster_id: Option<String>,
}

/// Vault's (and the BFF's) error body: `{"errors": ["..."]}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub errors: Vec<String>,
}

/// `GET api/health` and `GET api/ready` of the BFF.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Readiness {
    /// `true` when Vault answered `sys/health` (whatever its seal state).
    pub vault_reachable: bool,
    /// The Vault address the BFF talks to.
    pub vault_addr: String,
    /// Why Vault is not reachable, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
