//! KV v1: one unversioned JSON map a path, read back with a lease.

use super::{key_path, list_reply, V1_DATA};
use crate::{
    core::Ctx,
    mounts::MountEntry,
    reply::{Reply, VaultError, VaultResult},
    request::Operation,
    ttl::{parse_duration, SYSTEM_DEFAULT_TTL},
};
use serde_json::{Map, Value};

pub(super) fn handle(ctx: &Ctx<'_>, prefix: &str, mount: &MountEntry, rest: &str) -> VaultResult {
    let barrier = &ctx.vault.barrier;
    let data = &ctx.request.data;
    match ctx.request.operation {
        Operation::List => list_reply(barrier.list(&key_path(prefix, V1_DATA, rest))?),
        Operation::Read => {
            let stored: Map<String, Value> = barrier
                .get_json(&key_path(prefix, V1_DATA, rest))?
                .ok_or_else(VaultError::not_found)?;
            let lease = lease_of(&stored, mount);
            Ok(Reply::Envelope {
                status: 200,
                data: Some(Value::Object(stored)),
                auth: None,
                warnings: vec![],
                lease_duration: lease,
                renewable: false,
            })
        }
        Operation::Create | Operation::Update => {
            if rest.is_empty() {
                return Err(VaultError::bad_request("missing path"));
            }
            if data.is_empty() {
                return Err(VaultError::bad_request("missing data fields"));
            }
            barrier.put_json(&key_path(prefix, V1_DATA, rest), data)?;
            Ok(Reply::NoContent)
        }
        Operation::Delete => {
            barrier.delete(&key_path(prefix, V1_DATA, rest))?;
            Ok(Reply::NoContent)
        }
        Operation::Patch => Err(VaultError::unsupported_operation()),
    }
}

/// KV v1 reads carry a lease: the `ttl` (or legacy `lease`) field, else the mount default.
fn lease_of(stored: &Map<String, Value>, mount: &MountEntry) -> u64 {
    let from_field = ["ttl", "lease"]
        .iter()
        .find_map(|key| match stored.get(*key) {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => parse_duration(s).ok(),
            _ => None,
        });
    from_field.unwrap_or(if mount.config.default_lease_ttl == 0 {
        SYSTEM_DEFAULT_TTL
    } else {
        mount.config.default_lease_ttl
    })
}
