//! `sys/capabilities-self`, `sys/capabilities` and `sys/capabilities-accessor`: what a token
//! may do on given paths, by the same ACL that enforces requests.

use crate::{
    core::Ctx,
    reply::{Reply, VaultError, VaultResult},
    request::{Operation, Params},
    tokens::TokenEntry,
};
use serde_json::{Map, Value};

pub fn handle(ctx: &Ctx<'_>, endpoint: &str) -> VaultResult {
    if !matches!(ctx.request.operation, Operation::Create | Operation::Update) {
        return Err(VaultError::unsupported_operation());
    }
    let data = &ctx.request.data;
    let mut paths = data
        .strings("paths")
        .map_err(VaultError::bad_request)?
        .unwrap_or_default();
    if let Some(path) = data.string("path").map_err(VaultError::bad_request)? {
        paths.push(path);
    }
    if paths.is_empty() {
        return Err(VaultError::bad_request("paths must be supplied"));
    }
    let token = subject(ctx, endpoint)?;
    let acl = ctx.vault.acl(&token)?;
    let mut answer = Map::new();
    for path in &paths {
        let path = path.trim_start_matches('/');
        let reported = acl.capabilities(path).reported();
        answer.insert(path.to_string(), Value::from(reported));
    }
    if paths.len() == 1 {
        let only = answer.values().next().cloned().unwrap_or(Value::Null);
        answer.insert("capabilities".into(), only);
    }
    Ok(Reply::data(Value::Object(answer)))
}

/// The token whose capabilities are asked for.
fn subject(ctx: &Ctx<'_>, endpoint: &str) -> VaultResult<TokenEntry> {
    let data = &ctx.request.data;
    let tokens = ctx.vault.tokens();
    match endpoint {
        "capabilities-self" => Ok(ctx.caller()?.entry.clone()),
        "capabilities" => {
            let token = data
                .string("token")
                .map_err(VaultError::bad_request)?
                .filter(|t| !t.is_empty())
                .ok_or_else(|| VaultError::internal("no token found"))?;
            tokens
                .lookup(&token)?
                .ok_or_else(|| VaultError::bad_request("invalid token"))
        }
        _ => {
            let accessor = data
                .string("accessor")
                .map_err(VaultError::bad_request)?
                .filter(|a| !a.is_empty())
                .ok_or_else(|| VaultError::bad_request("missing accessor"))?;
            tokens
                .lookup_accessor(&accessor)?
                .ok_or_else(|| VaultError::bad_request("invalid accessor"))
        }
    }
}
