//! KV v2: routing a request to its handler (in `data` and `metadata`), the answer to
//! paths none serves, and reading and writing the mount's records.

use super::{
    key_path, list_reply,
    secret::{MountSettings, Secret},
    V2_CONFIG, V2_SECRETS,
};
use crate::{
    core::Ctx,
    reply::{Reply, VaultResult},
    request::Operation,
    seal::barrier::Barrier,
};

/// The KV v2 handlers for one request; those for data are in `data`, those for metadata
/// and config in `metadata`.
pub(super) struct V2<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) barrier: &'a Barrier,
    pub(super) prefix: &'a str,
}

impl V2<'_> {
    pub(super) fn handle(&self, rest: &str) -> VaultResult {
        let op = self.ctx.request.operation;
        let (area, path) = rest.split_once('/').unwrap_or((rest, ""));
        match (area, path) {
            ("config", "") => self.config(op),
            ("data", p) if !p.is_empty() && !p.ends_with('/') && op != Operation::List => self.data(op, p),
            ("data", p) if p.len() > 1 && op != Operation::List => self.data_with_trailing_slash(op, p),
            ("metadata", p) if op == Operation::List => list_reply(self.barrier.list(&key_path(self.prefix, V2_SECRETS, p))?),
            ("metadata", p) if !p.is_empty() && !p.ends_with('/') => self.metadata(op, p),
            // Vault's encrypted key storage drops a trailing empty segment: `app/` is `app`.
            ("metadata", p) if p.len() > 1 => self.metadata(op, p.trim_end_matches('/')),
            ("delete" | "undelete" | "destroy", p) if !p.is_empty() && matches!(op, Operation::Create | Operation::Update) => {
                self.change_versions(area, p)
            }
            ("subkeys", p) if !p.is_empty() && op == Operation::Read => self.subkeys(p),
            ("data" | "metadata" | "delete" | "undelete" | "destroy", "") if !rest.ends_with('/') => Ok(invalid_path(
                "Non-listing operations on the root of a K/V v2 mount are not supported.".into(),
            )),
            _ => Ok(invalid_path(format!(
                "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv {}' for this operation.",
                cli_verb(op)
            ))),
        }
    }

    pub(super) fn settings(&self) -> VaultResult<MountSettings> {
        Ok(self
            .barrier
            .get_json(&format!("{}{V2_CONFIG}", self.prefix))?
            .unwrap_or_default())
    }

    pub(super) fn save_settings(&self, settings: &MountSettings) -> VaultResult<()> {
        Ok(self
            .barrier
            .put_json(&format!("{}{V2_CONFIG}", self.prefix), settings)?)
    }

    pub(super) fn load(&self, path: &str) -> VaultResult<Option<Secret>> {
        Ok(self
            .barrier
            .get_json(&key_path(self.prefix, V2_SECRETS, path))?)
    }

    pub(super) fn save(&self, path: &str, secret: &Secret) -> VaultResult<()> {
        Ok(self
            .barrier
            .put_json(&key_path(self.prefix, V2_SECRETS, path), secret)?)
    }

    pub(super) fn remove(&self, path: &str) -> VaultResult<()> {
        Ok(self
            .barrier
            .delete(&key_path(self.prefix, V2_SECRETS, path))?)
    }
}

fn cli_verb(op: Operation) -> &'static str {
    match op {
        Operation::Create | Operation::Update => "put",
        Operation::Patch => "patch",
        Operation::Read => "get",
        Operation::List => "list",
        Operation::Delete => "delete",
    }
}

/// Vault's answer to a path a v2 mount does not serve: 404 with a warning in the body.
fn invalid_path(warning: String) -> Reply {
    Reply::Envelope {
        status: 404,
        data: None,
        auth: None,
        warnings: vec![warning],
        lease_duration: 0,
        renewable: false,
    }
}
