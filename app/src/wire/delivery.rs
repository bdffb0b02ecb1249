//! "Deliver to a pod" (`api/delivery/…`): the settings the page starts from, and "Prove it"
//! — the real agent run once with the generated configuration.

use super::k8s::{BindingCheck, PodToken, StepResult};
use super::Secret;
use crate::delivery::{templates::KeyCheck, Plan};
use serde::{Deserialize, Serialize};

/// `GET api/delivery/settings`
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeliverySettings {
    /// Vault's address as pods reach it (`--in-cluster-vault-addr`, else `VAULT_ADDR`), to
    /// prefill the manifests.
    pub vault_addr: String,
    /// The agent "Prove it" runs (`bao` or `vault`); `None` when the server has none.
    #[serde(default)]
    pub agent: Option<String>,
}

/// `POST api/delivery/prove`: run the agent with the configuration generated for `plan`.
/// The plan's `vault_addr` is what pods use; the proof always runs against the Vault the
/// BFF is configured for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProofRequest {
    pub plan: Plan,
}

/// What the proof did, step by step, until one failed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProofReport {
    /// Whether the role binds the service account (nothing is minted otherwise).
    pub binding: BindingCheck,
    /// The cluster's TokenRequest for the pod's token.
    #[serde(default)]
    pub token_request: Option<StepResult>,
    #[serde(default)]
    pub pod_token: Option<PodToken>,
    /// The agent's run, when it was started.
    #[serde(default)]
    pub agent: Option<AgentRun>,
    /// Each template's file, in the plan's order.
    #[serde(default)]
    pub files: Vec<RenderedFile>,
    /// Whether the Vault token the agent obtained was revoked afterwards.
    #[serde(default)]
    pub revoked: Option<bool>,
    /// Whether the object the pod's token was bound to was deleted, so the token died.
    #[serde(default)]
    pub invalidated: Option<bool>,
    /// The configuration the agent ran with (paths of the run's private directory).
    #[serde(default)]
    pub config_hcl: String,
}

impl ProofReport {
    /// Every file rendered and holding every value.
    pub fn proven(&self) -> bool {
        self.agent.as_ref().is_some_and(|a| a.ok)
            && !self.files.is_empty()
            && self
                .files
                .iter()
                .all(|f| f.rendered.is_some() && f.checks.iter().all(|c| c.found))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentRun {
    /// Exited 0 within the time allowed.
    pub ok: bool,
    #[serde(default)]
    pub exit_code: Option<i32>,
    #[serde(default)]
    pub timed_out: bool,
    /// The last lines of the agent's log (tokens removed).
    #[serde(default)]
    pub log: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RenderedFile {
    /// The secret's file name.
    pub name: String,
    /// What the agent wrote, when it wrote it: values the user's own token may read.
    #[serde(default)]
    pub rendered: Option<Secret>,
    /// Each key: whether the file holds the value the user's token reads.
    #[serde(default)]
    pub checks: Vec<KeyCheck>,
}

/// The URLs of these routes, relative to the app's base.
pub mod urls {
    pub const SETTINGS: &str = "api/delivery/settings";
    pub const PROVE: &str = "api/delivery/prove";
}
