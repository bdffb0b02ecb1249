//! The helpers Vault's UI and CLI use: which mounts a caller may see, a mount's details
//! (for detecting KV versions), and the caller's whole ACL.

use crate::{
    core::Ctx,
    mounts::{MountEntry, Table},
    reply::{Reply, VaultError, VaultResult},
};
use serde_json::{json, Map, Value};
use vaultdeck_policy::{Acl, Capability, CapabilitySet};

/// Whether the ACL grants anything at the mount or below it (Vault's `hasMountAccess`).
fn has_mount_access(acl: &Acl, request_path: &str) -> bool {
    if acl.is_root() {
        return true;
    }
    let grants = |c: CapabilitySet| !c.is_empty() && !c.is_deny();
    grants(acl.decide(request_path, false).capabilities)
        || acl
            .exact_rules()
            .chain(acl.pattern_rules())
            .any(|(path, capabilities)| {
                grants(capabilities) && path.trim_end_matches('*').starts_with(request_path)
            })
}

fn request_path(table: Table, mount: &MountEntry) -> String {
    format!("{}{}", table.request_prefix(), mount.path)
}

/// `GET sys/internal/ui/mounts`: without a token, the mounts marked `unauth`; with one,
/// also every mount the token can do something on.
pub fn list_mounts(ctx: &Ctx<'_>) -> VaultResult {
    let acl = match ctx.caller {
        Some(caller) => Some(ctx.vault.acl(&caller.entry)?),
        None if ctx.request.token.is_some() => return Err(VaultError::invalid_token()),
        None => None,
    };
    let mounts = ctx.vault.mounts.read();
    let mut data = Map::new();
    for (key, table) in [("auth", Table::Auth), ("secret", Table::Secret)] {
        let mut listed = Map::new();
        for mount in mounts.entries(table) {
            let unauth = mount.config.listing_visibility == "unauth";
            let entry = match &acl {
                Some(acl) if has_mount_access(acl, &request_path(table, mount)) => mount.to_json(),
                _ if unauth => {
                    json!({ "type": mount.kind, "description": mount.description, "options": mount.options })
                }
                _ => continue,
            };
            listed.insert(mount.path.clone(), entry);
        }
        data.insert(key.into(), Value::Object(listed));
    }
    Ok(Reply::data(Value::Object(data)))
}

/// `GET sys/internal/ui/mounts/:path`: the mount serving `path`, if the caller has access.
pub fn read_mount(ctx: &Ctx<'_>, path: &str) -> VaultResult {
    let path = path.trim_start_matches('/');
    if path.is_empty() {
        return Err(VaultError::bad_request("path not set"));
    }
    let caller = ctx.caller()?;
    let acl = ctx.vault.acl(&caller.entry)?;
    let denied = || {
        let shown = format!("{}/", path.trim_end_matches('/'));
        VaultError::new(403, format!("preflight capability check returned 403, please ensure client's policies grant access to path \"{shown}\""))
    };
    let mounts = ctx.vault.mounts.read();
    let (table, lookup) = match path.strip_prefix("auth/") {
        Some(rest) => (Table::Auth, rest),
        None => (Table::Secret, path),
    };
    let (mount, _) = mounts.route(table, lookup).ok_or_else(denied)?;
    if !has_mount_access(&acl, &request_path(table, mount)) {
        return Err(denied());
    }
    let mut info = mount.to_json();
    info["path"] = json!(mount.path);
    Ok(Reply::data(info))
}

/// Capabilities in the order Vault's resultant ACL lists them.
fn resultant_names(capabilities: CapabilitySet) -> Vec<&'static str> {
    use Capability::*;
    if capabilities.is_deny() || capabilities.is_empty() {
        return vec!["deny"];
    }
    [
        Create, Delete, List, Read, Sudo, Update, Patch, Subscribe, Recover,
    ]
    .into_iter()
    .filter(|c| capabilities.contains(*c))
    .map(Capability::as_str)
    .collect()
}

/// How Vault names a rule in the resultant ACL: a prefix glob loses its `*` (Vault stores
/// it as a prefix); a `+` pattern stays as written, `*` included.
fn reported_path(pattern: &str) -> String {
    let has_plus = pattern.split('/').any(|s| s == "+");
    match pattern.strip_suffix('*') {
        Some(prefix) if !has_plus => prefix.to_string(),
        _ => pattern.to_string(),
    }
}

/// `GET sys/internal/ui/resultant-acl`.
pub fn resultant_acl(ctx: &Ctx<'_>) -> VaultResult {
    let caller = ctx.caller()?;
    let acl = ctx.vault.acl(&caller.entry)?;
    if acl.is_root() {
        return Ok(Reply::data(json!({ "root": true })));
    }
    let render = |rules: &mut dyn Iterator<Item = (&str, CapabilitySet)>| -> Map<String, Value> {
        rules
            .map(|(path, capabilities)| {
                (
                    reported_path(path),
                    json!({ "capabilities": resultant_names(capabilities) }),
                )
            })
            .collect()
    };
    Ok(Reply::data(json!({
        "exact_paths": render(&mut acl.exact_rules()),
        "glob_paths": render(&mut acl.pattern_rules()),
        "root": false,
    })))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reported_paths() {
        assert_eq!(super::reported_path("kv/data/*"), "kv/data/");
        assert_eq!(super::reported_path("kv/+/x*"), "kv/+/x*");
        assert_eq!(super::reported_path("kv/+/x"), "kv/+/x");
        assert_eq!(super::reported_path("sys/seal"), "sys/seal");
    }
}
