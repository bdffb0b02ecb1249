//! The userpass auth method: users with bcrypt-hashed passwords, and login.

use super::{
    ready,
    token_params::{sanitize_policies, TokenParams},
    Backend, Pending,
};
use crate::{
    core::{Caller, Ctx, Unsealed},
    mounts::{MountEntry, Table},
    reply::{Reply, VaultError, VaultResult},
    request::{Operation, Params},
    tokens::{LoginInfo, NewToken},
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub struct Userpass;

impl Backend for Userpass {
    fn table(&self) -> Table {
        Table::Auth
    }

    fn kind(&self) -> &'static str {
        "userpass"
    }

    fn is_login_path(&self, rest: &str) -> bool {
        rest.starts_with("login/")
    }

    fn exists(
        &self,
        vault: &Unsealed,
        mount: &MountEntry,
        rest: &str,
        _caller: &Caller,
    ) -> VaultResult<Option<bool>> {
        match rest.strip_prefix("users/") {
            Some(name) if !name.is_empty() && !name.contains('/') => {
                let prefix = Table::Auth.data_prefix(&mount.uuid);
                Ok(Some(vault.barrier.get(&user_key(&prefix, name))?.is_some()))
            }
            _ => Ok(None),
        }
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        mount: &'a MountEntry,
        rest: &'a str,
    ) -> Pending<'a, VaultResult> {
        ready(handle(ctx, mount, rest))
    }

    /// A user since deleted declines the renewal; one whose policies changed refuses it.
    fn renew_login(
        &self,
        ctx: &Ctx<'_>,
        mount: &MountEntry,
        login: &LoginInfo,
        increment: u64,
    ) -> VaultResult<Option<u64>> {
        let prefix = Table::Auth.data_prefix(&mount.uuid);
        let Some(user) = load_user(ctx, &prefix, &login.subject)? else {
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
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct User {
    password_hash: String,
    token: TokenParams,
}

impl User {
    fn token_policies(&self) -> Vec<String> {
        self.token.token_policies()
    }
}

/// bcrypt's default cost, as Vault uses.
const BCRYPT_COST: u32 = 10;

fn user_key(prefix: &str, name: &str) -> String {
    format!("{prefix}user/{}", name.to_lowercase())
}

/// Vault's rule for user names (and its `GenericNameRegex` for other names, e.g. roles):
/// word characters, `-` and `.`, not starting or ending with `.` or `-`.
pub(super) fn valid_name(name: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut chars = name.chars();
    match (chars.next(), name.chars().last()) {
        (Some(first), Some(last)) => {
            word(first) && word(last) && name.chars().all(|c| word(c) || c == '-' || c == '.')
        }
        _ => false,
    }
}

fn load_user(ctx: &Ctx<'_>, prefix: &str, name: &str) -> VaultResult<Option<User>> {
    Ok(ctx.vault.barrier.get_json(&user_key(prefix, name))?)
}

fn handle(ctx: &Ctx<'_>, mount: &MountEntry, rest: &str) -> VaultResult {
    let prefix = Table::Auth.data_prefix(&mount.uuid);
    let op = ctx.request.operation;
    let (area, name) = rest.split_once('/').unwrap_or((rest, ""));
    match (area, name) {
        ("login", name)
            if !name.is_empty() && matches!(op, Operation::Create | Operation::Update) =>
        {
            login(ctx, mount, &prefix, name)
        }
        ("users", "") if op == Operation::List => {
            let users = ctx.vault.barrier.list(&format!("{prefix}user/"))?;
            if users.is_empty() {
                return Err(VaultError::not_found());
            }
            Ok(Reply::data(json!({ "keys": users })))
        }
        ("users", name) if !name.is_empty() => {
            if let Some((user, field)) = name.split_once('/') {
                return update_field(ctx, &prefix, user, field);
            }
            match op {
                Operation::Read => {
                    let user = load_user(ctx, &prefix, name)?.ok_or_else(VaultError::not_found)?;
                    Ok(Reply::data(Value::Object(user.token.to_json())))
                }
                Operation::Create | Operation::Update => write_user(ctx, &prefix, name),
                Operation::Delete => {
                    ctx.vault.barrier.delete(&user_key(&prefix, name))?;
                    Ok(Reply::NoContent)
                }
                _ => Err(VaultError::unsupported_operation()),
            }
        }
        _ => Err(VaultError::unsupported_path()),
    }
}

fn hash_password(password: &str) -> VaultResult<String> {
    bcrypt::hash(password, BCRYPT_COST)
        .map_err(|e| VaultError::internal(format!("hashing the password: {e}")))
}

fn write_user(ctx: &Ctx<'_>, prefix: &str, name: &str) -> VaultResult {
    if !valid_name(name) {
        return Err(VaultError::bad_request(format!(
            "invalid username {name:?}"
        )));
    }
    let data = &ctx.request.data;
    let password = data
        .string("password")
        .map_err(VaultError::bad_request)?
        .filter(|p| !p.is_empty());
    let password_hash = data
        .string("password_hash")
        .map_err(VaultError::bad_request)?
        .filter(|p| !p.is_empty());
    if password.is_some() && password_hash.is_some() {
        return Err(VaultError::bad_request(
            "only one of password or password_hash may be provided",
        ));
    }
    let _guard = ctx.vault.writes.lock();
    let existing = load_user(ctx, prefix, name)?;
    let new_hash = match (password, password_hash) {
        (Some(password), _) => Some(hash_password(&password)?),
        (_, Some(hash)) => Some(checked_bcrypt_hash(hash)?),
        _ => None,
    };
    let mut user = match (existing, new_hash) {
        (Some(mut user), hash) => {
            if let Some(hash) = hash {
                user.password_hash = hash;
            }
            user
        }
        (None, Some(hash)) => User {
            password_hash: hash,
            token: TokenParams::default(),
        },
        (None, None) => {
            return Err(VaultError::bad_request(
                "must provide either password or password_hash",
            ))
        }
    };
    user.token.update_from(data)?;
    ctx.vault.barrier.put_json(&user_key(prefix, name), &user)?;
    Ok(Reply::NoContent)
}

/// `users/:name/password` and `users/:name/policies`.
fn update_field(ctx: &Ctx<'_>, prefix: &str, name: &str, field: &str) -> VaultResult {
    if !matches!(ctx.request.operation, Operation::Create | Operation::Update) {
        return Err(VaultError::unsupported_operation());
    }
    let _guard = ctx.vault.writes.lock();
    let mut user = load_user(ctx, prefix, name)?
        .ok_or_else(|| VaultError::internal(crate::reply::multierror("username does not exist")))?;
    let data = &ctx.request.data;
    match field {
        "password" => {
            let password = data
                .string("password")
                .map_err(VaultError::bad_request)?
                .filter(|p| !p.is_empty());
            let hash = data
                .string("password_hash")
                .map_err(VaultError::bad_request)?
                .filter(|p| !p.is_empty());
            user.password_hash = match (password, hash) {
                (Some(_), Some(_)) => {
                    return Err(VaultError::bad_request(
                        "only one of password or password_hash may be provided",
                    ))
                }
                (Some(password), None) => hash_password(&password)?,
                (None, Some(hash)) => checked_bcrypt_hash(hash)?,
                (None, None) => {
                    return Err(VaultError::bad_request(
                        "must provide either password or password_hash",
                    ))
                }
            };
        }
        "policies" => {
            // Unlike a user write, this endpoint parses the list as Vault's ParsePolicies
            // does: trimmed, lowercased, deduplicated and sorted (`default` not added).
            let bad = VaultError::bad_request;
            let legacy = data.strings("policies").map_err(bad)?;
            match (data.strings("token_policies").map_err(bad)?, legacy) {
                (Some(policies), legacy) => {
                    user.token.policies = sanitize_policies(&policies, false);
                    user.token.legacy_policies = legacy.is_some();
                }
                (None, Some(policies)) => {
                    user.token.policies = sanitize_policies(&policies, false);
                    user.token.legacy_policies = true;
                }
                (None, None) => {}
            }
        }
        _ => return Err(VaultError::unsupported_path()),
    }
    ctx.vault.barrier.put_json(&user_key(prefix, name), &user)?;
    Ok(Reply::NoContent)
}

/// A hash to compare against when the user does not exist, so that answering "no such
/// user" takes as long as "wrong password".
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| bcrypt::hash("dummy", BCRYPT_COST).unwrap_or_default())
}

fn login(ctx: &Ctx<'_>, mount: &MountEntry, prefix: &str, name: &str) -> VaultResult {
    let invalid = || VaultError::bad_request("invalid username or password");
    let password = ctx
        .request
        .data
        .string("password")
        .map_err(VaultError::bad_request)?
        .filter(|p| !p.is_empty())
        .ok_or_else(|| VaultError::bad_request("invalid credentials"))?;
    // The token's path is the request path as sent; the user is found case-insensitively.
    let login_path = format!("auth/{}login/{name}", mount.path);
    let name = name.to_lowercase();
    let user = load_user(ctx, prefix, &name)?;
    let hash = user
        .as_ref()
        .map_or(dummy_hash(), |u| u.password_hash.as_str());
    let matches = bcrypt::verify(&password, hash).unwrap_or(false);
    let Some(user) = user.filter(|_| matches) else {
        return Err(invalid());
    };
    let policies = user.token.token_policies();
    if policies.iter().any(|p| p == "root") {
        return Err(VaultError::bad_request(
            "auth methods cannot create root tokens",
        ));
    }
    let (token, entry) = ctx.vault.tokens().create(NewToken {
        id: None,
        policies: policies.clone(),
        path: login_path,
        meta: BTreeMap::from([("username".to_string(), name.clone())]),
        display_name: super::login_display_name(mount, &name),
        num_uses: user.token.num_uses,
        ttl: user.token.ttl,
        default_ttl: mount.config.default_lease_ttl,
        max_ttl: if user.token.max_ttl > 0 {
            user.token.max_ttl
        } else {
            mount.config.max_lease_ttl
        },
        explicit_max_ttl: user.token.explicit_max_ttl,
        period: user.token.period,
        renewable: true,
        parent_hash: None,
        no_expiry: false,
        login: Some(LoginInfo {
            mount: mount.path.clone(),
            subject: name,
            policies,
        }),
    })?;
    Ok(Reply::auth(entry.auth_block(&token)))
}

/// A pre-hashed password as OpenBao's userpass accepts it (path_user_password.go): a bcrypt
/// hash whose cost is between 5 (htpasswd's default) and 12 (a guard against slow logins).
fn checked_bcrypt_hash(hash: String) -> VaultResult<String> {
    const MIN_COST: u32 = 5;
    const MAX_COST: u32 = 12;
    let cost = bcrypt_cost(&hash)
        .ok_or_else(|| VaultError::bad_request("password_hash is not a valid bcrypt hash"))?;
    if cost < MIN_COST {
        return Err(VaultError::bad_request(format!(
            "bcrypt cost of {cost} is too low, want {MIN_COST} at minimum"
        )));
    }
    if cost > MAX_COST {
        return Err(VaultError::bad_request(format!(
            "bcrypt cost of {cost} exceeds maximum cost of {MAX_COST}"
        )));
    }
    Ok(hash)
}

/// Go's `bcrypt.Cost`: the cost of a `$2[a|b|y]$NN$…` hash of at least 59 bytes.
fn bcrypt_cost(hash: &str) -> Option<u32> {
    const MIN_HASH_SIZE: usize = 59;
    if hash.len() < MIN_HASH_SIZE {
        return None;
    }
    let rest = hash.strip_prefix("$2")?;
    let rest = rest.strip_prefix(['a', 'b', 'y']).unwrap_or(rest);
    let digits = rest.strip_prefix('$')?.get(..3)?;
    let cost = digits.strip_suffix('$')?;
    cost.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn user_names() {
        for good in ["alice", "a", "web-app.one", "x_y"] {
            assert!(super::valid_name(good), "{good}");
        }
        for bad in ["", "-a", "a.", ".a", "a b", "a/b"] {
            assert!(!super::valid_name(bad), "{bad}");
        }
    }
}
