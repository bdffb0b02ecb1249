//! `sys/capabilities-self`, `sys/capabilities` and `sys/capabilities-accessor`: what a token
//! may do on given paths, by the same ACL that enforces requests.

use crate::{
    core::Ctx,
    reply::{multierror, Reply, VaultError, VaultResult},
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

/// The token whose capabilities are asked for, looked up afresh as Vault's
/// `Core.Capabilities` does: a token on its last use is no longer found. Vault returns
/// these refusals as errors, not responses, so they reach the client in go-multierror's text.
fn subject(ctx: &Ctx<'_>, endpoint: &str) -> VaultResult<TokenEntry> {
    let data = &ctx.request.data;
    let tokens = ctx.vault.tokens();
    let token = match endpoint {
        "capabilities-self" => ctx.caller()?.token.clone(),
        "capabilities" => data
            .string("token")
            .map_err(VaultError::bad_request)?
            .filter(|t| !t.is_empty())
            .ok_or_else(|| VaultError::internal(multierror("no token found")))?,
        _ => {
            let accessor = data
                .string("accessor")
                .map_err(VaultError::bad_request)?
                .filter(|a| !a.is_empty())
                .ok_or_else(|| VaultError::bad_request("missing accessor"))?;
            return tokens
                .lookup_accessor(&accessor)?
                .ok_or_else(|| VaultError::bad_request(multierror("invalid accessor")));
        }
    };
    tokens
        .lookup(&token)?
        .ok_or_else(|| VaultError::bad_request(multierror("invalid token")))
}
