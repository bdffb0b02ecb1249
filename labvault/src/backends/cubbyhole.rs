//! Cubbyhole: each token's private storage, gone when the token is.

use crate::{
    core::Ctx,
    reply::{Reply, VaultError, VaultResult},
    request::Operation,
};
use serde_json::{json, Map, Value};

/// Where a token's cubbyhole lives behind the barrier (cleared by token revocation).
pub fn storage_prefix(token_hash: &str) -> String {
    format!("cubbyhole/{token_hash}/")
}

pub fn exists(
    ctx_token_hash: &str,
    barrier: &crate::seal::barrier::Barrier,
    rest: &str,
) -> crate::storage::StorageResult<bool> {
    Ok(barrier
        .get(&format!("{}{rest}", storage_prefix(ctx_token_hash)))?
        .is_some())
}

pub fn handle(ctx: &Ctx<'_>, rest: &str) -> VaultResult {
    let caller = ctx.caller()?;
    let key = format!("{}{rest}", storage_prefix(&caller.entry.id_hash));
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
