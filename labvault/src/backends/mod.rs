//! The engines behind mounts: what an engine provides ([`Backend`]), the registry of them
//! by table and type (from which the plugin catalog is derived), and routing to them.

pub mod cubbyhole;
pub mod identity;
pub mod kubernetes;
pub mod kubernetes_secrets;
pub mod kv;
pub mod token;
pub mod token_params;
pub mod userpass;

use crate::{
    core::{Caller, Ctx, Route, Unsealed},
    leases::{LeaseEntry, Secret},
    mounts::{MountEntry, Table},
    reply::{VaultError, VaultResult},
    tokens::{LoginInfo, TokenEntry},
};
use std::{future::Future, pin::Pin};

/// An engine's answer that may have to wait (on the cluster, say), boxed so that engines
/// of different types can stand in one registry.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An answer that is there at once, from an engine that never waits.
pub fn ready<'a, T: Send + 'a>(value: T) -> Pending<'a, T> {
    Box::pin(std::future::ready(value))
}

/// What the engine of a mount provides, as a Vault logical backend does: the paths it
/// serves and how, and the callbacks the core makes on its behalf.
pub trait Backend: Sync {
    /// The table it mounts in.
    fn table(&self) -> Table;

    /// The type mounts of it have (`kv`, `userpass`), by which it is registered.
    fn kind(&self) -> &'static str;

    /// Whether it can be enabled, and `sys/plugins/catalog` lists it; the core's own
    /// mounts (token, cubbyhole, identity) are neither.
    fn in_catalog(&self) -> bool {
        true
    }

    /// Login endpoints, which need no token.
    fn is_login_path(&self, _rest: &str) -> bool {
        false
    }

    /// Root-protected paths, for which the ACL must grant `sudo` as well.
    fn requires_sudo(&self, _rest: &str) -> bool {
        false
    }

    /// `Some(exists)` for paths where a write is create-or-update for the ACL (Vault's
    /// existence check); `None` where every write is an update.
    fn exists(
        &self,
        _vault: &Unsealed,
        _mount: &MountEntry,
        _rest: &str,
        _caller: &Caller,
    ) -> VaultResult<Option<bool>> {
        Ok(None)
    }

    /// Answers a request for `rest`, the path below the mount.
    fn handle<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        mount: &'a MountEntry,
        rest: &'a str,
    ) -> Pending<'a, VaultResult>;

    /// Takes back a secret it issued under a lease, when the lease is revoked. An engine
    /// that issues none has no such path, and says so as Vault's router does.
    fn revoke<'a>(
        &'a self,
        _vault: &'a Unsealed,
        _mount: &'a MountEntry,
        _secret: &'a Secret,
    ) -> Pending<'a, Result<(), String>> {
        ready(Err("unsupported path".into()))
    }

    /// Undoes what failed requests left half-made; Vault's rollback manager calls it
    /// every minute.
    fn roll_back<'a>(&'a self, _vault: &'a Unsealed, _mount: &'a MountEntry) -> Pending<'a, ()> {
        ready(())
    }

    /// Re-checks a login's subject before its token is renewed, as Vault's renew
    /// callbacks do. Returns the increment to apply, or `None` when the method declines
    /// without an error (Vault's callbacks return no response when the subject is gone).
    fn renew_login(
        &self,
        _ctx: &Ctx<'_>,
        _mount: &MountEntry,
        _login: &LoginInfo,
        increment: u64,
    ) -> VaultResult<Option<u64>> {
        Ok(Some(increment))
    }
}

/// Every engine labvault has. A new one implements [`Backend`] and is added here.
static REGISTRY: &[&dyn Backend] = &[
    &token::TokenAuth,
    &userpass::Userpass,
    &kubernetes::KubernetesAuth,
    &cubbyhole::Cubbyhole,
    &identity::Identity,
    &kv::Kv,
    &kubernetes_secrets::KubernetesSecrets,
];

/// The engine of one type in one table (the Kubernetes auth method and the Kubernetes
/// secrets engine share a type name).
fn engine(table: Table, kind: &str) -> Option<&'static dyn Backend> {
    // KV's name before Vault 0.8; mounts made with it keep it as their type.
    let kind = match (table, kind) {
        (Table::Secret, "generic") => "kv",
        _ => kind,
    };
    REGISTRY
        .iter()
        .copied()
        .find(|engine| engine.table() == table && engine.kind() == kind)
}

/// Whether the plugin catalog has this type: mounting any other answers "plugin not found
/// in the catalog".
pub fn in_catalog(table: Table, kind: &str) -> bool {
    engine(table, kind).is_some_and(|engine| engine.in_catalog())
}

/// The catalog's types of one table, sorted as Vault lists them.
pub fn catalog(table: Table) -> Vec<&'static str> {
    let mut kinds: Vec<&str> = REGISTRY
        .iter()
        .filter(|engine| engine.table() == table && engine.in_catalog())
        .map(|engine| engine.kind())
        .collect();
    kinds.sort_unstable();
    kinds
}

pub fn is_login_path(table: Table, mount: &MountEntry, rest: &str) -> bool {
    engine(table, &mount.kind).is_some_and(|engine| engine.is_login_path(rest))
}

pub fn requires_sudo(table: Table, mount: &MountEntry, rest: &str) -> bool {
    engine(table, &mount.kind).is_some_and(|engine| engine.requires_sudo(rest))
}

/// `Some(exists)` where a write is create-or-update for the ACL.
pub fn exists(
    vault: &Unsealed,
    table: Table,
    mount: &MountEntry,
    rest: &str,
    caller: &Caller,
) -> VaultResult<Option<bool>> {
    match engine(table, &mount.kind) {
        Some(engine) => engine.exists(vault, mount, rest, caller),
        None => Ok(None),
    }
}

pub async fn handle(ctx: &Ctx<'_>, table: Table, mount: &MountEntry, rest: &str) -> VaultResult {
    match engine(table, &mount.kind) {
        Some(engine) => engine.handle(ctx, mount, rest).await,
        None => Err(VaultError::unsupported_path()),
    }
}

/// Asks the engine that issued a leased secret to take it back (Vault routes a revoke
/// request to the lease's path). The error is the engine's, or the router's when nothing
/// serves the path any more.
pub async fn revoke_secret(vault: &Unsealed, lease: &LeaseEntry) -> Result<(), String> {
    let route = crate::core::route(vault, &lease.path).map_err(|e| e.errors.join("; "))?;
    let Route::Mount { table, mount, .. } = route else {
        return Err("unsupported path".into());
    };
    match engine(table, &mount.kind) {
        Some(engine) => engine.revoke(vault, &mount, &lease.secret).await,
        None => Err("unsupported path".into()),
    }
}

/// Vault's rollback manager: engines undo what failed requests left half-made.
pub async fn roll_back(vault: &Unsealed) {
    let mounts = vault.mounts.read().clone();
    for table in [Table::Secret, Table::Auth] {
        for mount in mounts.entries(table) {
            if let Some(engine) = engine(table, &mount.kind) {
                engine.roll_back(vault, mount).await;
            }
        }
    }
}

/// The display name of a login token: the mount path with `/` as `-`, then the subject,
/// e.g. `userpass-alice` for `auth/userpass/`.
pub fn login_display_name(mount: &MountEntry, subject: &str) -> String {
    let name = format!("{}{subject}", mount.path.replace('/', "-"));
    name.trim_end_matches('-').to_string()
}

/// Before renewing a login token, the auth method that issued it re-checks its subject
/// (see [`Backend::renew_login`]). Tokens not from a login renew as asked.
pub fn login_renewal(
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
    match engine(Table::Auth, &mount.kind) {
        Some(engine) => engine.renew_login(ctx, &mount, login, increment),
        None => Ok(Some(increment)),
    }
}
