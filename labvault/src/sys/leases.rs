//! `sys/leases/…`: look leases up, list them, renew and revoke them, as Vault's system
//! backend does (vault/logical_system.go `handleLease*`, `handleRevoke*`).

use crate::{
    core::Ctx,
    leases::{self, RevokeError},
    reply::{Reply, VaultError, VaultResult},
    request::{Operation, Params},
};
use serde_json::json;

pub async fn handle(ctx: &Ctx<'_>, rest: &str) -> VaultResult {
    let op = ctx.request.operation;
    let update = matches!(op, Operation::Update | Operation::Create);
    let (head, tail) = rest.split_once('/').unwrap_or((rest, ""));
    match (head, update) {
        ("lookup", _) if rest == "lookup" && update => lookup(ctx),
        ("lookup", _) if rest.starts_with("lookup/") && op == Operation::List => list(ctx, tail),
        ("renew", true) => renew(ctx, tail),
        ("revoke", true) => revoke(ctx, tail).await,
        ("revoke-prefix", true) if !tail.is_empty() => revoke_prefix(ctx, tail, false).await,
        ("revoke-force", true) if !tail.is_empty() => revoke_prefix(ctx, tail, true).await,
        ("lookup" | "renew" | "revoke" | "revoke-prefix" | "revoke-force", _) => {
            Err(VaultError::unsupported_operation())
        }
        ("tidy" | "count", _) | ("", _) => Err(VaultError::left_out(&format!(
            "sys/leases{} is",
            if rest.is_empty() {
                String::new()
            } else {
                format!("/{rest}")
            }
        ))),
        _ => Err(VaultError::unsupported_path()),
    }
}

/// The lease ID from the body, else from the path; Vault's error when there is none.
fn lease_id(ctx: &Ctx<'_>, from_path: &str) -> VaultResult<String> {
    let given = ctx
        .request
        .data
        .string("lease_id")
        .map_err(field_error)?
        .unwrap_or_default();
    let id = if given.is_empty() {
        from_path.to_string()
    } else {
        given
    };
    if id.is_empty() {
        return Err(VaultError::bad_request("lease_id must be specified"));
    }
    Ok(id)
}

fn field_error(error: String) -> VaultError {
    VaultError::bad_request(format!("Field validation failed: {error}"))
}

/// `sync`, true unless given (the field's default in Vault's code; its docs say false).
fn sync(ctx: &Ctx<'_>) -> VaultResult<bool> {
    Ok(ctx
        .request
        .data
        .bool("sync")
        .map_err(field_error)?
        .unwrap_or(true))
}

fn lookup(ctx: &Ctx<'_>) -> VaultResult {
    let id = lease_id(ctx, "")?;
    let entry = leases::load(&ctx.vault.barrier, &id)?
        .ok_or_else(|| VaultError::bad_request("invalid lease"))?;
    Ok(Reply::data(entry.lookup_data()))
}

/// One level below the prefix: sub-prefixes end in `/`, leases are their random suffix.
fn list(ctx: &Ctx<'_>, prefix: &str) -> VaultResult {
    let keys = leases::list(&ctx.vault.barrier, prefix)?;
    if keys.is_empty() {
        return Err(VaultError::not_found());
    }
    Ok(Reply::data(json!({ "keys": keys })))
}

/// labvault's engines issue no renewable secret (the Kubernetes engine's tokens are not
/// renewable in Vault either), so a renewal always ends at one of Vault's refusals.
fn renew(ctx: &Ctx<'_>, from_path: &str) -> VaultResult {
    let id = lease_id(ctx, from_path)?;
    ctx.request
        .data
        .duration("increment")
        .map_err(field_error)?;
    let entry = leases::load(&ctx.vault.barrier, &id)?;
    let refusal = match &entry {
        None => "lease not found",
        Some(entry) => entry.renewal_refusal().unwrap_or("lease is not renewable"),
    };
    Err(VaultError::bad_request(refusal))
}

async fn revoke(ctx: &Ctx<'_>, from_path: &str) -> VaultResult {
    let id = lease_id(ctx, from_path)?;
    if !sync(ctx)? {
        ctx.vault.leases.expire_now(&ctx.vault.barrier, &id)?;
        return Ok(Reply::Bodiless(202));
    }
    leases::revoke(ctx.vault, &id, false)
        .await
        .map_err(revoke_error)?;
    Ok(Reply::NoContent)
}

fn revoke_error(error: RevokeError) -> VaultError {
    match error {
        RevokeError::Engine(text) => VaultError::bad_request(text),
        RevokeError::Storage(error) => error.into(),
    }
}

/// Vault's `revokePrefixCommon`: a prefix without a trailing `/` that is itself a lease ID
/// revokes that lease; otherwise every lease below `prefix/`, one by one.
async fn revoke_prefix(ctx: &Ctx<'_>, prefix: &str, force: bool) -> VaultResult {
    let sync = force || sync(ctx)?;
    let vault = ctx.vault;
    if leases::load(&vault.barrier, prefix)?.is_some() {
        if !sync {
            vault.leases.expire_now(&vault.barrier, prefix)?;
            return Ok(Reply::Bodiless(202));
        }
        leases::revoke(vault, prefix, force)
            .await
            .map_err(|error| {
                let error = revoke_error(error);
                VaultError::bad_request(format!(
                    "failed to revoke {prefix:?}: {}",
                    error.errors.join("; ")
                ))
            })?;
        return Ok(Reply::NoContent);
    }
    revoke_under(
        ctx,
        &format!("{}/", prefix.trim_end_matches('/')),
        sync,
        force,
    )
    .await?;
    Ok(if sync {
        Reply::NoContent
    } else {
        Reply::Bodiless(202)
    })
}

/// Revokes (or with `sync` false, expires) every lease below `prefix`, one by one; the
/// first failure stops it, with Vault's text.
pub async fn revoke_under(ctx: &Ctx<'_>, prefix: &str, sync: bool, force: bool) -> VaultResult<()> {
    let vault = ctx.vault;
    let ids = leases::collect_under(&vault.barrier, prefix)?;
    for (index, id) in ids.iter().enumerate() {
        let outcome = if sync {
            leases::revoke(vault, id, force).await.map_err(revoke_error)
        } else {
            vault
                .leases
                .expire_now(&vault.barrier, id)
                .map_err(VaultError::from)
        };
        outcome.map_err(|error| {
            VaultError::bad_request(format!(
                "failed to revoke {id:?} ({} / {}): {}",
                index + 1,
                ids.len(),
                error.errors.join("; ")
            ))
        })?;
    }
    Ok(())
}
