//! The token auth method (`auth/token/…`): create, look up, renew and revoke tokens.

use super::{token_params::sanitize_policies, Backend, Pending};
use crate::{
    core::{Caller, Ctx},
    mounts::{MountEntry, Table},
    reply::{Reply, VaultError, VaultResult},
    request::{Operation, Params},
    tokens::{NewToken, TokenEntry},
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use vaultdeck_policy::Capability;

pub struct TokenAuth;

impl Backend for TokenAuth {
    fn table(&self) -> Table {
        Table::Auth
    }

    fn kind(&self) -> &'static str {
        "token"
    }

    fn in_catalog(&self) -> bool {
        false
    }

    fn requires_sudo(&self, rest: &str) -> bool {
        rest.starts_with("revoke-orphan") || rest.starts_with("accessors")
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        mount: &'a MountEntry,
        rest: &'a str,
    ) -> Pending<'a, VaultResult> {
        Box::pin(handle(ctx, mount, rest))
    }
}

async fn handle(ctx: &Ctx<'_>, mount: &MountEntry, rest: &str) -> VaultResult {
    let op = ctx.request.operation;
    let update = matches!(op, Operation::Create | Operation::Update);
    match rest {
        "create" | "create-orphan" if update => create(ctx, mount, rest == "create-orphan"),
        "lookup-self" if op == Operation::Read || update => lookup_self(ctx),
        "lookup" if op == Operation::Read || update => lookup(ctx),
        "lookup-accessor" if update => lookup_accessor(ctx),
        "renew-self" if update => {
            let caller = ctx.caller()?;
            renew(ctx, &caller.token, &caller.entry).await
        }
        "renew" if update => {
            let token = required(ctx, "token", "missing token ID")?;
            let entry = ctx
                .vault
                .tokens()
                .lookup(&token)?
                .ok_or_else(|| VaultError::bad_request("token not found"))?;
            renew(ctx, &token, &entry).await
        }
        "renew-accessor" if update => {
            // Vault returns these two refusals as errors, in go-multierror's text.
            let refused = |why: &str| VaultError::bad_request(crate::reply::multierror(why));
            let accessor = required(ctx, "accessor", "missing accessor")
                .map_err(|_| refused("missing accessor"))?;
            let entry = ctx
                .vault
                .tokens()
                .lookup_accessor(&accessor)?
                .ok_or_else(|| refused("invalid accessor"))?;
            // Whoever holds only the accessor does not get the token back.
            renew(ctx, "", &entry).await
        }
        "revoke-self" if update => {
            let caller = ctx.caller()?;
            ctx.vault.tokens().revoke_tree(&caller.entry.id_hash)?;
            Ok(Reply::NoContent)
        }
        "revoke" if update => {
            let token = required(ctx, "token", "missing token ID")?;
            if let Some(entry) = ctx.vault.tokens().lookup(&token)? {
                ctx.vault.tokens().revoke_tree(&entry.id_hash)?;
            }
            Ok(Reply::NoContent)
        }
        "revoke-accessor" if update => {
            let accessor = required(ctx, "accessor", "missing accessor")?;
            // An unknown accessor is nothing left to revoke: Vault answers 200 and warns.
            let Some(entry) = ctx.vault.tokens().lookup_accessor(&accessor)? else {
                return Ok(Reply::Envelope {
                    status: 200,
                    data: None,
                    auth: None,
                    warnings: vec!["No token found with this accessor".into()],
                    lease_duration: 0,
                    renewable: false,
                });
            };
            ctx.vault.tokens().revoke_tree(&entry.id_hash)?;
            Ok(Reply::NoContent)
        }
        "accessors/" if op == Operation::List => list_accessors(ctx),
        roles
            if roles == "roles/" || roles.starts_with("roles/") || roles.starts_with("create/") =>
        {
            Err(VaultError::left_out("token roles are"))
        }
        _ => Err(VaultError::unsupported_path()),
    }
}

fn required(ctx: &Ctx<'_>, key: &str, missing: &str) -> VaultResult<String> {
    ctx.request
        .data
        .string(key)
        .map_err(VaultError::bad_request)?
        .filter(|v| !v.is_empty())
        .ok_or_else(|| VaultError::bad_request(missing))
}

/// Whether the caller may do privileged things (orphans, periods, any policies).
fn is_privileged(ctx: &Ctx<'_>, caller: &Caller, path: &str) -> VaultResult<bool> {
    let acl = ctx.vault.acl(&caller.entry)?;
    Ok(acl.is_root() || acl.decide(path, false).allows(Capability::Sudo))
}

/// `display_name` as Vault forms it: `token-NAME`, anything but `[a-zA-Z0-9-]` made `-`.
fn display_name(given: &str) -> String {
    if given.is_empty() {
        return "token".into();
    }
    let cleaned: String = format!("token-{given}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    cleaned
        .strip_suffix('-')
        .map(str::to_string)
        .unwrap_or(cleaned)
}

/// What Vault warns when a token gets a custom ID.
const CUSTOM_ID_WARNING: &str = "Supplying a custom ID for the token uses the weaker SHA1 hashing instead of the more secure SHA2-256 HMAC for token obfuscation. SHA1 hashed tokens on the wire leads to less secure lookups.";

/// The `id` a root or sudo caller asked for, checked as Vault checks it (an empty one is
/// no request at all).
fn custom_token_id(ctx: &Ctx<'_>, privileged: bool) -> Result<Option<String>, VaultError> {
    let id = ctx
        .request
        .data
        .string("id")
        .map_err(VaultError::bad_request)?
        .filter(|id| !id.is_empty());
    let Some(id) = id else {
        return Ok(None);
    };
    if !privileged {
        return Err(VaultError::bad_request(
            "root or sudo privileges required to specify token id",
        ));
    }
    let refusal = if id.starts_with("s.") {
        Some("custom token ID cannot have the 's.' prefix")
    } else if id.starts_with("hvs.") {
        Some("custom token ID cannot have the 'hvs.' prefix")
    } else if id.contains('.') {
        Some("custom token ID cannot have a '.' in the value")
    } else {
        None
    };
    if let Some(refusal) = refusal {
        return Err(VaultError::bad_request(refusal));
    }
    if ctx.vault.tokens().lookup(&id)?.is_some() {
        return Err(VaultError::bad_request(
            "cannot create a token with a duplicate ID",
        ));
    }
    Ok(Some(id))
}

fn create(ctx: &Ctx<'_>, mount: &MountEntry, orphan_endpoint: bool) -> VaultResult {
    let caller = ctx.caller()?;
    let data = &ctx.request.data;
    let bad = VaultError::bad_request;
    let privileged = is_privileged(ctx, caller, &ctx.request.path)?;
    let parent = &caller.entry;
    let custom_id = custom_token_id(ctx, privileged)?;
    if data
        .string("type")
        .map_err(bad)?
        .is_some_and(|t| t == "batch")
    {
        return Err(VaultError::bad_request(
            "batch tokens are not supported by labvault",
        ));
    }
    if parent.num_uses > 0 {
        return Err(VaultError::bad_request(
            "restricted use token cannot generate child tokens",
        ));
    }
    let no_parent = data.bool("no_parent").map_err(bad)?.unwrap_or(false);
    if no_parent && !privileged && !orphan_endpoint {
        return Err(VaultError::bad_request(
            "root or sudo privileges required to create orphan token",
        ));
    }
    let period = data.duration("period").map_err(bad)?.unwrap_or(0);
    if period > 0 && !privileged {
        return Err(VaultError::bad_request(
            "root or sudo privileges required to create periodic token",
        ));
    }
    let no_default = data
        .bool("no_default_policy")
        .map_err(bad)?
        .unwrap_or(false);
    let mut policies = match data.strings("policies").map_err(bad)? {
        Some(requested) if !requested.is_empty() => {
            // Without root or sudo, a child may hold only policies its parent holds —
            // `default` included, when asked for by name.
            if !privileged {
                let held = sanitize_policies(&parent.policies, false);
                if !sanitize_policies(&requested, false)
                    .iter()
                    .all(|p| held.contains(p))
                {
                    return Err(VaultError::bad_request(
                        "child policies must be subset of parent",
                    ));
                }
            }
            // `default` is added for a privileged caller, else only if the parent has it.
            let add_default =
                !no_default && (privileged || parent.policies.iter().any(|p| p == "default"));
            sanitize_policies(&requested, add_default)
        }
        // No policies: the child inherits the parent's, without adding `default`.
        _ => sanitize_policies(&parent.policies, false),
    };
    // `no_default_policy` removes `default` however it came, as Vault does.
    if no_default {
        policies.retain(|p| p != "default");
    }
    if policies.iter().any(|p| p == "root") && !parent.is_root() {
        return Err(VaultError::bad_request(
            "root tokens may not be created without parent token being root",
        ));
    }
    let mut warnings = Vec::new();
    for name in policies.iter().filter(|p| *p != "root") {
        if ctx.vault.policies.read(&ctx.vault.barrier, name)?.is_none() && name != "default" {
            warnings.push(format!("Policy {name:?} does not exist"));
        }
    }
    let meta: BTreeMap<String, String> = match data.object("meta").map_err(bad)? {
        Some(map) => map
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect(),
        None => BTreeMap::new(),
    };
    let ttl = data.duration("ttl").map_err(bad)?.unwrap_or(0);
    let explicit_max_ttl = data.duration("explicit_max_ttl").map_err(bad)?.unwrap_or(0);
    // A root token with no TTL of any kind never expires; only a parent that never
    // expires may make one. An explicit max TTL still bounds a root token.
    let never_expires =
        policies.iter().any(|p| p == "root") && ttl == 0 && period == 0 && explicit_max_ttl == 0;
    if never_expires && parent.expire_time.is_some() {
        return Err(VaultError::bad_request(
            "expiring root tokens cannot create non-expiring root tokens",
        ));
    }
    let new = NewToken {
        id: custom_id.clone(),
        path: ctx.request.path.clone(),
        meta,
        display_name: display_name(
            &data
                .string("display_name")
                .map_err(bad)?
                .unwrap_or_default(),
        ),
        num_uses: data.u64("num_uses").map_err(bad)?.unwrap_or(0),
        ttl,
        default_ttl: mount.config.default_lease_ttl,
        max_ttl: mount.config.max_lease_ttl,
        explicit_max_ttl,
        period,
        renewable: data.bool("renewable").map_err(bad)?.unwrap_or(true),
        parent_hash: (!no_parent && !orphan_endpoint).then(|| parent.id_hash.clone()),
        no_expiry: never_expires,
        login: None,
        policies,
    };
    let lifetime_warning = (!never_expires)
        .then(|| crate::tokens::Lifetime::of(&new).warning)
        .flatten();
    let (token, entry) = ctx.vault.tokens().create(new)?;
    let mut reply = Reply::auth(entry.auth_block(&token));
    if custom_id.is_some() {
        reply = reply.with_warning(CUSTOM_ID_WARNING.to_string());
    }
    if let Some(warning) = lifetime_warning {
        reply = reply.with_warning(warning);
    }
    for warning in warnings {
        reply = reply.with_warning(warning);
    }
    Ok(reply)
}

/// Looks the caller's token up afresh, as Vault does: the use this request spent shows,
/// and a token on its last use still answers, with `num_uses` -1.
fn lookup_self(ctx: &Ctx<'_>) -> VaultResult {
    lookup_token(ctx, &ctx.caller()?.token)
}

fn lookup(ctx: &Ctx<'_>) -> VaultResult {
    match ctx
        .request
        .data
        .string("token")
        .map_err(VaultError::bad_request)?
        .filter(|t| !t.is_empty())
    {
        Some(token) => lookup_token(ctx, &token),
        None => lookup_self(ctx),
    }
}

fn lookup_token(ctx: &Ctx<'_>, token: &str) -> VaultResult {
    let entry = ctx
        .vault
        .tokens()
        .lookup_including_last_use(token)?
        .ok_or_else(|| VaultError::new(403, "bad token"))?;
    Ok(Reply::data(entry.lookup_data(token)))
}

fn lookup_accessor(ctx: &Ctx<'_>) -> VaultResult {
    let accessor = required(ctx, "accessor", "missing accessor")?;
    let entry = ctx
        .vault
        .tokens()
        .lookup_accessor(&accessor)?
        .ok_or_else(|| VaultError::bad_request("invalid accessor"))?;
    Ok(Reply::data(entry.lookup_data("")))
}

async fn renew(ctx: &Ctx<'_>, token: &str, entry: &TokenEntry) -> VaultResult {
    let increment = ctx
        .request
        .data
        .duration("increment")
        .map_err(VaultError::bad_request)?
        .unwrap_or(0);
    let Some(increment) = super::login_renewal(ctx, entry, increment)? else {
        // The auth method declined without an error (its subject is gone): Vault answers
        // with nothing and leaves the token as it was.
        return Ok(Reply::NoContent);
    };
    let _guard = ctx.vault.writes.lock();
    let (renewed, warning) = ctx.vault.tokens().renew(entry, increment)?;
    let mut reply = Reply::auth(renewed.auth_block(token));
    if let Some(warning) = warning {
        reply = reply.with_warning(warning);
    }
    Ok(reply)
}

fn list_accessors(ctx: &Ctx<'_>) -> VaultResult {
    let accessors = ctx.vault.tokens().accessors()?;
    if accessors.is_empty() {
        return Err(VaultError::not_found());
    }
    Ok(Reply::data(
        json!({ "keys": accessors.into_iter().map(Value::String).collect::<Vec<_>>() }),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn display_names() {
        assert_eq!(super::display_name(""), "token");
        assert_eq!(super::display_name("base_token"), "token-base-token");
        assert_eq!(super::display_name("ci job!"), "token-ci-job");
    }
}
