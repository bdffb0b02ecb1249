//! The engines behind mounts: what labvault implements, and routing a request to it.

pub mod cubbyhole;
pub mod kubernetes;
pub mod kubernetes_secrets;
pub mod kv;
pub mod token;
pub mod token_params;
pub mod userpass;

use crate::{
    core::{Caller, Ctx, Route, Unsealed},
    leases::LeaseEntry,
    mounts::{MountEntry, Table},
    reply::{VaultError, VaultResult},
    request::Request,
    tokens::TokenEntry,
};

/// The plugin catalog: the engine types labvault implements, by table. Mounting any other
/// type answers "plugin not found in the catalog", and `sys/plugins/catalog` lists these.
pub const CATALOG: &[(Table, &str)] = &[
    (Table::Auth, "kubernetes"),
    (Table::Auth, "userpass"),
    (Table::Secret, "kubernetes"),
    (Table::Secret, "kv"),
];

/// Whether labvault has an engine of this type.
pub fn implements(table: Table, kind: &str) -> bool {
    CATALOG.iter().any(|(t, k)| *t == table && *k == kind)
}

/// The types of one table, sorted as Vault lists them.
pub fn catalog_of(table: Table) -> Vec<&'static str> {
    let mut kinds: Vec<&str> = CATALOG
        .iter()
        .filter(|(t, _)| *t == table)
        .map(|(_, k)| *k)
        .collect();
    kinds.sort_unstable();
    kinds
}

/// Login endpoints need no token.
pub fn is_login_path(kind: &str, rest: &str, _request: &Request) -> bool {
    match kind {
        "userpass" => rest.starts_with("login/"),
        "kubernetes" => rest == "login",
        _ => false,
    }
}

pub fn requires_sudo(kind: &str, rest: &str) -> bool {
    kind == "token" && token::requires_sudo(rest)
}

/// `Some(exists)` where a write is create-or-update for the ACL.
pub fn exists(
    vault: &Unsealed,
    table: Table,
    mount: &MountEntry,
    rest: &str,
    _request: &Request,
    caller: &Caller,
) -> VaultResult<Option<bool>> {
    let prefix = table.data_prefix(&mount.uuid);
    let barrier = &vault.barrier;
    Ok(match (table, mount.kind.as_str()) {
        (Table::Secret, "kv") => kv::exists(barrier, &prefix, mount, rest)?,
        (Table::Secret, "cubbyhole") => {
            Some(cubbyhole::exists(&caller.entry.id_hash, barrier, rest)?)
        }
        (Table::Auth, "userpass") => match rest.strip_prefix("users/") {
            Some(name) if !name.is_empty() && !name.contains('/') => Some(
                barrier
                    .get(&format!("{prefix}user/{}", name.to_lowercase()))?
                    .is_some(),
            ),
            _ => None,
        },
        (Table::Auth, "kubernetes") => match kubernetes::role_name(rest) {
            Some(name) => Some(kubernetes::load_role(barrier, &prefix, name)?.is_some()),
            None => None,
        },
        (Table::Secret, "kubernetes") => match kubernetes_secrets::role_name(rest) {
            Some(name) => Some(kubernetes_secrets::load_role(barrier, &prefix, name)?.is_some()),
            None => None,
        },
        _ => None,
    })
}

pub async fn handle(ctx: &Ctx<'_>, table: Table, mount: &MountEntry, rest: &str) -> VaultResult {
    match (table, mount.kind.as_str()) {
        (Table::Secret, "kv") => kv::handle(ctx, &table.data_prefix(&mount.uuid), mount, rest),
        (Table::Secret, "cubbyhole") => cubbyhole::handle(ctx, rest),
        (Table::Auth, "token") => token::handle(ctx, mount, rest).await,
        (Table::Auth, "userpass") => userpass::handle(ctx, mount, rest),
        (Table::Auth, "kubernetes") => kubernetes::handle(ctx, mount, rest).await,
        (Table::Secret, "kubernetes") => kubernetes_secrets::handle(ctx, mount, rest).await,
        // Mounted as in Vault, so that mount listings look the same, but left out.
        (Table::Secret, "identity") => Err(VaultError::left_out("the identity store is")),
        _ => Err(VaultError::unsupported_path()),
    }
}

/// Asks the engine that issued a leased secret to take it back (Vault routes a revoke
/// request to the lease's path). The error is the engine's, or the router's when nothing
/// serves the path any more.
pub async fn revoke_secret(vault: &Unsealed, lease: &LeaseEntry) -> Result<(), String> {
    let route = crate::core::route(vault, &lease.path).map_err(|e| e.errors.join("; "))?;
    match route {
        Route::Mount {
            table: Table::Secret,
            mount,
            ..
        } if mount.kind == "kubernetes" => {
            kubernetes_secrets::revoke(vault, &mount, &lease.secret).await
        }
        _ => Err("unsupported path".into()),
    }
}

/// Vault's rollback manager: engines undo what failed requests left half-made.
pub async fn roll_back(vault: &Unsealed) {
    let mounts: Vec<MountEntry> = vault
        .mounts
        .read()
        .entries(Table::Secret)
        .iter()
        .filter(|m| m.kind == "kubernetes")
        .cloned()
        .collect();
    for mount in mounts {
        kubernetes_secrets::roll_back(vault, &mount).await;
    }
}

/// The display name of a login token: the mount path with `/` as `-`, then the subject,
/// e.g. `userpass-alice` for `auth/userpass/`.
pub fn login_display_name(mount: &MountEntry, subject: &str) -> String {
    let name = format!("{}{subject}", mount.path.replace('/', "-"));
    name.trim_end_matches('-').to_string()
}

/// Before renewing a login token, the auth method re-checks its subject, as Vault's
/// renew callbacks do. Returns the increment to apply, or `None` when the method declines
/// without an error (Vault's callbacks return no response when the subject is gone).
pub async fn login_renewal(
    ctx: &Ctx<'_>,
    entry: &TokenEntry,
    increment: u64,
) -> VaultResult<Option<u64>> {
    let Some(login) = &entry.login else {
        return Ok(Some(increment));
    };
    let mount = ctx
        .vault
        .mounts
        .read()
        .find(Table::Auth, &login.mount)
        .cloned();
    let Some(mount) = mount else {
        return Err(VaultError::bad_request(
            "the auth method that issued this token no longer exists",
        ));
    };
    match mount.kind.as_str() {
        "userpass" => {
            let prefix = Table::Auth.data_prefix(&mount.uuid);
            let Some(user) = userpass::load_user(ctx, &prefix, &login.subject)? else {
                return Ok(None);
            };
            if user.token_policies() != login.policies {
                // A plain error from the renew callback, which Vault's expiration manager
                // prefixes and its core wraps: a 500 in go-multierror's text.
                return Err(VaultError::internal(crate::reply::multierror(
                    "failed to renew entry: policies have changed, not renewing",
                )));
            }
            Ok(Some(increment))
        }
        "kubernetes" => {
            // The plugin re-checks only that the role still exists; changed policies do
            // not stop a renewal (the token keeps the policies it was issued with).
            let prefix = Table::Auth.data_prefix(&mount.uuid);
            if kubernetes::load_role(&ctx.vault.barrier, &prefix, &login.subject)?.is_none() {
                return Err(VaultError::internal(crate::reply::multierror(&format!(
                    "failed to renew entry: role {} does not exist during renewal",
                    login.subject
                ))));
            }
            Ok(Some(increment))
        }
        _ => Ok(Some(increment)),
    }
}
