//! Cubbyhole: each token's private storage, gone when the token is.

use super::{ready, Backend, Pending};
use crate::{
    core::{Caller, Ctx, Unsealed},
    mounts::{MountEntry, Table},
    reply::{Reply, VaultError, VaultResult},
    request::Operation,
};
use serde_json::{json, Map, Value};

pub struct Cubbyhole;

impl Backend for Cubbyhole {
    fn table(&self) -> Table {
        Table::Secret
    }

    fn kind(&self) -> &'static str {
        "cubbyhole"
    }

    fn in_catalog(&self) -> bool {
        false
    }

    fn exists(
        &self,
        vault: &Unsealed,
        _mount: &MountEntry,
        rest: &str,
        caller: &Caller,
    ) -> VaultResult<Option<bool>> {
        let key = entry_key(&caller.entry.id_hash, rest);
        Ok(Some(vault.barrier.get(&key)?.is_some()))
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        _mount: &'a MountEntry,
        rest: &'a str,
    ) -> Pending<'a, VaultResult> {
        ready(handle(ctx, rest))
    }
}

/// Where a token's cubbyhole lives behind the barrier (cleared by token revocation).
pub fn storage_prefix(token_hash: &str) -> String {
    format!("cubbyhole/{token_hash}/")
}

fn entry_key(token_hash: &str, rest: &str) -> String {
    format!("{}{rest}", storage_prefix(token_hash))
}

fn handle(ctx: &Ctx<'_>, rest: &str) -> VaultResult {
    let caller = ctx.caller()?;
    let key = entry_key(&caller.entry.id_hash, rest);
    let barrier = &ctx.vault.barrier;
    match ctx.request.operation {
        Operation::Read => {
            let stored: Map<String, Value> =
                barrier.get_json(&key)?.ok_or_else(VaultError::not_found)?;
            Ok(Reply::data(Value::Object(stored)))
        }
        Operation::List => {
            let keys = barrier.list(&key)?;
            if keys.is_empty() {
                return Err(VaultError::not_found());
            }
            Ok(Reply::data(json!({ "keys": keys })))
        }
        Operation::Create | Operation::Update => {
            if rest.is_empty() {
                return Err(VaultError::bad_request("missing path"));
            }
            if ctx.request.data.is_empty() {
                return Err(VaultError::internal(crate::reply::multierror(
                    "missing data fields",
                )));
            }
            barrier.put_json(&key, &ctx.request.data)?;
            Ok(Reply::NoContent)
        }
        Operation::Delete => {
            barrier.delete(&key)?;
            Ok(Reply::NoContent)
        }
        Operation::Patch => Err(VaultError::unsupported_operation()),
    }
}
