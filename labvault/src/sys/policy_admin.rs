//! `sys/policies/acl/:name` and the legacy `sys/policy/:name`.

use crate::{
    core::Ctx,
    policies::normalize_name,
    reply::{Reply, VaultError, VaultResult},
    request::{Operation, Params},
};
use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use serde_json::json;

/// `sys/policies/acl[/name]`.
pub fn acl(ctx: &Ctx<'_>, name: &str) -> VaultResult {
    match (ctx.request.operation, name.trim_end_matches('/')) {
        (Operation::List, "") => list(ctx, false),
        (_, "") => Err(VaultError::unsupported_operation()),
        (Operation::Read, name) => read(ctx, name, "policy"),
        (Operation::Create | Operation::Update, name) => write(ctx, name, "policy"),
        (Operation::Delete, name) => delete(ctx, name),
        _ => Err(VaultError::unsupported_operation()),
    }
}

/// `sys/policy[/name]`: the same store, older shapes (`keys` and `policies`; `rules`).
pub fn legacy(ctx: &Ctx<'_>, name: &str) -> VaultResult {
    match (ctx.request.operation, name.trim_end_matches('/')) {
        (Operation::Read | Operation::List, "") => list(ctx, true),
        (_, "") => Err(VaultError::unsupported_operation()),
        (Operation::Read, name) => read(ctx, name, "rules"),
        (Operation::Create | Operation::Update, name) => write(ctx, name, "rules"),
        (Operation::Delete, name) => delete(ctx, name),
        _ => Err(VaultError::unsupported_operation()),
    }
}

fn list(ctx: &Ctx<'_>, legacy: bool) -> VaultResult {
    let names = ctx.vault.policies.names(&ctx.vault.barrier)?;
    Ok(Reply::data(if legacy {
        json!({ "keys": names, "policies": names })
    } else {
        json!({ "keys": names })
    }))
}

fn read(ctx: &Ctx<'_>, name: &str, text_key: &str) -> VaultResult {
    let name = normalize_name(name);
    if name == "root" {
        return Ok(Reply::data(json!({ "name": "root", text_key: "" })));
    }
    match ctx.vault.policies.read(&ctx.vault.barrier, &name)? {
        Some(stored) => Ok(Reply::data(
            json!({ "name": stored.name, text_key: stored.policy }),
        )),
        None => Err(VaultError::not_found()),
    }
}

/// The policy text, which Vault also accepts base64-encoded.
fn policy_text(ctx: &Ctx<'_>, legacy_key: &str) -> VaultResult<(String, Option<String>)> {
    let data = &ctx.request.data;
    let (text, warning) = match data.string("policy").map_err(VaultError::bad_request)? {
        Some(text) if !text.is_empty() => (text, None),
        _ if legacy_key == "rules" => {
            match data.string("rules").map_err(VaultError::bad_request)? {
                Some(text) if !text.is_empty() => (
                    text,
                    Some("'rules' is deprecated, please use 'policy' instead".to_string()),
                ),
                _ => {
                    return Err(VaultError::bad_request(
                        "'policy' parameter not supplied or empty",
                    ))
                }
            }
        }
        _ => {
            return Err(VaultError::bad_request(
                "'policy' parameter not supplied or empty",
            ))
        }
    };
    let decoded = BASE64
        .decode(text.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|decoded| vaultdeck_policy::parse(decoded).is_ok());
    Ok((decoded.unwrap_or(text), warning))
}

fn write(ctx: &Ctx<'_>, name: &str, legacy_key: &str) -> VaultResult {
    let (text, mut warning) = policy_text(ctx, legacy_key)?;
    let lowered = normalize_name(name);
    if lowered != name {
        warning = Some(format!("policy name was converted to {lowered}"));
    }
    ctx.vault
        .policies
        .write(&ctx.vault.barrier, &lowered, &text)?;
    Ok(match warning {
        Some(w) => Reply::Envelope {
            status: 200,
            data: None,
            auth: None,
            warnings: vec![w],
            lease_duration: 0,
            renewable: false,
        },
        None => Reply::NoContent,
    })
}

fn delete(ctx: &Ctx<'_>, name: &str) -> VaultResult {
    let name = normalize_name(name);
    if name == "default" {
        return Err(VaultError::bad_request("cannot delete default policy"));
    }
    ctx.vault.policies.delete(&ctx.vault.barrier, &name)?;
    Ok(Reply::NoContent)
}
