//! The KV secrets engine, version 1 and version 2, with Vault's paths and semantics.
//!
//! Storage under the mount's prefix: v1 entries at `data/PATH` (the JSON map as written);
//! v2 secrets at `versioned/PATH`, one record holding the key's metadata and its versions;
//! the v2 mount configuration at `config`.

mod data;
mod metadata;
mod secret;
mod v1;
mod v2;

use super::{ready, Backend, Pending};
use crate::{
    core::{Caller, Ctx, Unsealed},
    mounts::{MountEntry, Table},
    reply::{Reply, VaultError, VaultResult},
    seal::barrier::Barrier,
    storage::StorageResult,
};
use secret::{add_version, now, MountSettings, Secret};
use serde_json::{json, Map, Value};
use v2::V2;

const V1_DATA: &str = "data/";
const V2_SECRETS: &str = "versioned/";
const V2_CONFIG: &str = "config";

pub struct Kv;

impl Backend for Kv {
    fn table(&self) -> Table {
        Table::Secret
    }

    fn kind(&self) -> &'static str {
        "kv"
    }

    /// v1 tells create from update for every path; v2 for a key's `data/` and `metadata/`.
    fn exists(
        &self,
        vault: &Unsealed,
        mount: &MountEntry,
        rest: &str,
        _caller: &Caller,
    ) -> VaultResult<Option<bool>> {
        let prefix = Table::Secret.data_prefix(&mount.uuid);
        let stored = |area: &str, path: &str| -> VaultResult<bool> {
            Ok(vault.barrier.get(&key_path(&prefix, area, path))?.is_some())
        };
        if mount.kv_version() == 1 {
            return Ok(Some(stored(V1_DATA, rest)?));
        }
        let secret = rest
            .strip_prefix("data/")
            .or_else(|| rest.strip_prefix("metadata/"));
        match secret {
            Some(path) if !path.is_empty() => Ok(Some(stored(V2_SECRETS, path)?)),
            _ => Ok(None),
        }
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        mount: &'a MountEntry,
        rest: &'a str,
    ) -> Pending<'a, VaultResult> {
        let prefix = Table::Secret.data_prefix(&mount.uuid);
        ready(match mount.kv_version() {
            2 => V2 {
                ctx,
                barrier: &ctx.vault.barrier,
                prefix: &prefix,
            }
            .handle(rest),
            _ => v1::handle(ctx, &prefix, mount, rest),
        })
    }
}

fn key_path(prefix: &str, area: &str, path: &str) -> String {
    format!("{prefix}{area}{path}")
}

fn list_reply(keys: Vec<String>) -> VaultResult {
    if keys.is_empty() {
        return Err(VaultError::not_found());
    }
    Ok(Reply::data(json!({ "keys": keys })))
}

/// Turns a v1 mount's entries into v2 secrets, each as version 1 (tuning `version` to 2).
pub fn upgrade_to_v2(barrier: &Barrier, prefix: &str) -> StorageResult<()> {
    fn walk(barrier: &Barrier, prefix: &str, folder: &str) -> StorageResult<()> {
        for child in barrier.list(&key_path(prefix, V1_DATA, folder))? {
            let path = format!("{folder}{child}");
            if child.ends_with('/') {
                walk(barrier, prefix, &path)?;
                continue;
            }
            let Some(data) =
                barrier.get_json::<Map<String, Value>>(&key_path(prefix, V1_DATA, &path))?
            else {
                continue;
            };
            let at = now();
            let mut secret = Secret::new(at);
            add_version(&mut secret, &MountSettings::default(), Some(data), at);
            barrier.put_json(&key_path(prefix, V2_SECRETS, &path), &secret)?;
            barrier.delete(&key_path(prefix, V1_DATA, &path))?;
        }
        Ok(())
    }
    walk(barrier, prefix, "")
}
