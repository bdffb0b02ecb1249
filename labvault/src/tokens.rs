//! The token store. Tokens are stored by the SHA-256 of the token, never in clear; an
//! accessor index and a parent→child index make lookup-by-accessor and revoking a token
//! tree possible. Expired tokens are treated as absent and removed when met.

use crate::{
    leases::Leases,
    reply::{AuthBlock, VaultError, VaultResult},
    seal::barrier::Barrier,
    storage::StorageResult,
    ttl::{human_duration, now_unix, rfc3339_of_unix, SYSTEM_DEFAULT_TTL, SYSTEM_MAX_TTL},
};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const BY_ID: &str = "sys/token/id/";
const BY_ACCESSOR: &str = "sys/token/accessor/";
const CHILDREN: &str = "sys/token/parent/";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenEntry {
    /// SHA-256 of the token (hex): the storage key, and the owner key of its cubbyhole.
    pub id_hash: String,
    pub accessor: String,
    pub parent_hash: Option<String>,
    pub policies: Vec<String>,
    /// Where it was created, e.g. `auth/token/create`, `auth/userpass/login/alice`.
    pub path: String,
    pub meta: BTreeMap<String, String>,
    pub display_name: String,
    /// Uses left; 0 means unlimited.
    pub num_uses: u64,
    pub creation_time: i64,
    pub creation_ttl: u64,
    /// The TTL of the latest renewal (at first the creation TTL): what a renewal without
    /// an increment asks for again, as Vault's lease keeps `Auth.TTL`.
    #[serde(default)]
    pub last_ttl: u64,
    /// `None`: never expires (root tokens).
    pub expire_time: Option<i64>,
    /// The latest this token may ever live to, whatever the renewals.
    pub max_expire_time: Option<i64>,
    pub explicit_max_ttl: u64,
    pub period: u64,
    pub renewable: bool,
    pub orphan: bool,
    pub token_type: String,
    /// The auth method's own data for renewals, e.g. the userpass user name.
    #[serde(default)]
    pub login: Option<LoginInfo>,
    /// Set by the last allowed use of a limited-use token: the request that spends it
    /// completes, then the token is revoked. Meanwhile it is no longer found.
    #[serde(default)]
    pub revocation_pending: bool,
}

/// What an auth method needs to re-check on renewal.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginInfo {
    /// The auth mount's path, e.g. `userpass/`.
    pub mount: String,
    pub subject: String,
    pub policies: Vec<String>,
}

/// What to create: the parameters of `auth/token/create` or of a login.
#[derive(Clone, Debug, Default)]
pub struct NewToken {
    /// A custom token ID (root or sudo callers only); otherwise a random one is made.
    pub id: Option<String>,
    pub policies: Vec<String>,
    pub path: String,
    pub meta: BTreeMap<String, String>,
    pub display_name: String,
    pub num_uses: u64,
    /// Requested TTL; 0 means the default.
    pub ttl: u64,
    /// The default and ceiling from the mount's (or system's) settings.
    pub default_ttl: u64,
    pub max_ttl: u64,
    pub explicit_max_ttl: u64,
    pub period: u64,
    pub renewable: bool,
    pub parent_hash: Option<String>,
    pub no_expiry: bool,
    pub login: Option<LoginInfo>,
}

pub fn hash_of(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn random_base62(length: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    (0..length)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

impl TokenEntry {
    pub fn is_expired(&self, now: i64) -> bool {
        self.expire_time.is_some_and(|at| at <= now)
    }

    /// Seconds left; 0 for tokens that never expire.
    pub fn ttl_left(&self, now: i64) -> u64 {
        self.expire_time.map_or(0, |at| (at - now).max(0) as u64)
    }

    pub fn is_root(&self) -> bool {
        self.policies.iter().any(|p| p == "root")
    }

    /// The `auth` block of a response that created this token.
    pub fn auth_block(&self, token: &str) -> AuthBlock {
        let now = now_unix();
        let metadata = (!self.meta.is_empty()).then(|| {
            self.meta
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect::<Map<_, _>>()
        });
        AuthBlock {
            client_token: token.to_string(),
            accessor: self.accessor.clone(),
            policies: self.policies.clone(),
            token_policies: self.policies.clone(),
            identity_policies: None,
            metadata,
            lease_duration: self.ttl_left(now),
            renewable: self.renewable,
            entity_id: String::new(),
            token_type: self.token_type.clone(),
            orphan: self.orphan,
            mfa_requirement: None,
            num_uses: self.num_uses,
        }
    }

    /// Vault's count of uses left, where -1 (`tokenRevocationPending`) marks a token whose
    /// last use is under way: it is revoked once that request completes.
    pub fn num_uses_shown(&self) -> i64 {
        if self.revocation_pending {
            -1
        } else {
            self.num_uses as i64
        }
    }

    /// The `data` of `lookup`, `lookup-self` and (with `id` empty) `lookup-accessor`.
    pub fn lookup_data(&self, id: &str) -> Value {
        let now = now_unix();
        json!({
            "accessor": self.accessor,
            "creation_time": self.creation_time,
            "creation_ttl": self.creation_ttl,
            "display_name": self.display_name,
            "entity_id": "",
            "expire_time": self.expire_time.map(rfc3339_of_unix),
            "explicit_max_ttl": self.explicit_max_ttl,
            "id": id,
            "issue_time": rfc3339_of_unix(self.creation_time),
            "meta": if self.meta.is_empty() { Value::Null } else { json!(self.meta) },
            "num_uses": self.num_uses_shown(),
            "orphan": self.orphan,
            "path": self.path,
            "policies": self.policies,
            "renewable": self.renewable,
            "ttl": self.ttl_left(now),
            "type": self.token_type,
        })
    }
}

/// The token store's operations over the barrier.
pub struct TokenStore<'a> {
    pub barrier: &'a Barrier,
    /// A revoked token's leases expire with it.
    pub leases: &'a Leases,
}

impl TokenStore<'_> {
    /// Creates a token and returns it with its entry.
    pub fn create(&self, new: NewToken) -> StorageResult<(String, TokenEntry)> {
        let token = new
            .id
            .clone()
            .unwrap_or_else(|| format!("hvs.{}", random_base62(24)));
        let now = now_unix();
        let (creation_ttl, expire_time, max_expire_time) = if new.no_expiry {
            (0, None, None)
        } else {
            let lifetime = Lifetime::of(&new);
            (
                lifetime.ttl,
                Some(now + lifetime.ttl as i64),
                lifetime.ceiling.map(|c| now + c as i64),
            )
        };
        let entry = TokenEntry {
            id_hash: hash_of(&token),
            accessor: random_base62(24),
            orphan: new.parent_hash.is_none(),
            parent_hash: new.parent_hash,
            policies: new.policies,
            path: new.path,
            meta: new.meta,
            display_name: new.display_name,
            num_uses: new.num_uses,
            creation_time: now,
            creation_ttl,
            last_ttl: creation_ttl,
            expire_time,
            max_expire_time,
            explicit_max_ttl: new.explicit_max_ttl,
            period: new.period,
            renewable: new.renewable && !new.no_expiry,
            token_type: "service".into(),
            login: new.login,
            revocation_pending: false,
        };
        self.save(&entry)?;
        self.barrier.put(
            &format!("{BY_ACCESSOR}{}", hash_of(&entry.accessor)),
            entry.id_hash.as_bytes(),
        )?;
        if let Some(parent) = &entry.parent_hash {
            self.barrier
                .put(&format!("{CHILDREN}{parent}/{}", entry.id_hash), b"")?;
        }
        Ok((token, entry))
    }

    pub fn save(&self, entry: &TokenEntry) -> StorageResult<()> {
        self.barrier
            .put_json(&format!("{BY_ID}{}", entry.id_hash), entry)
    }

    /// The live entry for a token; expired tokens are revoked on the way.
    pub fn lookup(&self, token: &str) -> StorageResult<Option<TokenEntry>> {
        self.lookup_hash(&hash_of(token))
    }

    pub fn lookup_hash(&self, id_hash: &str) -> StorageResult<Option<TokenEntry>> {
        let Some(entry) = self
            .barrier
            .get_json::<TokenEntry>(&format!("{BY_ID}{id_hash}"))?
        else {
            return Ok(None);
        };
        if entry.is_expired(now_unix()) {
            self.revoke_tree(&entry.id_hash)?;
            return Ok(None);
        }
        if entry.revocation_pending {
            return Ok(None);
        }
        Ok(Some(entry))
    }

    /// Like [`TokenStore::lookup`], but a token on its last use is still found, as Vault's
    /// token lookups find a "tainted" one: the request that spends it may look at it.
    pub fn lookup_including_last_use(&self, token: &str) -> StorageResult<Option<TokenEntry>> {
        let key = format!("{BY_ID}{}", hash_of(token));
        match self.barrier.get_json::<TokenEntry>(&key)? {
            Some(entry) if entry.revocation_pending && !entry.is_expired(now_unix()) => {
                Ok(Some(entry))
            }
            _ => self.lookup(token),
        }
    }

    pub fn lookup_accessor(&self, accessor: &str) -> StorageResult<Option<TokenEntry>> {
        let index = self
            .barrier
            .get(&format!("{BY_ACCESSOR}{}", hash_of(accessor)))?;
        match index {
            Some(id_hash) => self.lookup_hash(&String::from_utf8_lossy(&id_hash)),
            None => Ok(None),
        }
    }

    /// Counts one use of a limited-use token, reading it afresh so that two requests
    /// cannot spend the same use. Returns the entry as the request sees it, or `None` if
    /// the token is gone. As in Vault, the count shown afterwards is what is left, and the
    /// last use marks the token for revocation once its request is done.
    pub fn use_once(&self, id_hash: &str) -> StorageResult<Option<TokenEntry>> {
        let Some(mut entry) = self.lookup_hash(id_hash)? else {
            return Ok(None);
        };
        match entry.num_uses {
            0 => return Ok(Some(entry)),
            1 => entry.revocation_pending = true,
            left => entry.num_uses = left - 1,
        }
        self.save(&entry)?;
        Ok(Some(entry))
    }

    /// Revokes a token and all its children, and clears their cubbyholes.
    pub fn revoke_tree(&self, id_hash: &str) -> StorageResult<()> {
        let children_prefix = format!("{CHILDREN}{id_hash}/");
        for child in self.barrier.list(&children_prefix)? {
            self.revoke_tree(&child)?;
            self.barrier.delete(&format!("{children_prefix}{child}"))?;
        }
        if let Some(entry) = self
            .barrier
            .get_json::<TokenEntry>(&format!("{BY_ID}{id_hash}"))?
        {
            self.barrier
                .delete(&format!("{BY_ACCESSOR}{}", hash_of(&entry.accessor)))?;
            if let Some(parent) = &entry.parent_hash {
                self.barrier
                    .delete(&format!("{CHILDREN}{parent}/{id_hash}"))?;
            }
        }
        self.barrier
            .delete_tree(&crate::backends::cubbyhole::storage_prefix(id_hash))?;
        self.leases.expire_by_token(self.barrier, id_hash)?;
        self.barrier.delete(&format!("{BY_ID}{id_hash}"))
    }

    /// All live tokens' accessors (`LIST auth/token/accessors`).
    pub fn accessors(&self) -> StorageResult<Vec<String>> {
        let mut accessors = Vec::new();
        for id_hash in self.barrier.list(BY_ID)? {
            if let Some(entry) = self.lookup_hash(&id_hash)? {
                accessors.push(entry.accessor);
            }
        }
        accessors.sort();
        Ok(accessors)
    }

    /// Revokes every token created under a path prefix (an auth mount being disabled).
    pub fn revoke_by_path_prefix(&self, prefix: &str) -> StorageResult<usize> {
        let mut revoked = 0;
        for id_hash in self.barrier.list(BY_ID)? {
            if let Some(entry) = self
                .barrier
                .get_json::<TokenEntry>(&format!("{BY_ID}{id_hash}"))?
            {
                if entry.path.starts_with(prefix) {
                    self.revoke_tree(&id_hash)?;
                    revoked += 1;
                }
            }
        }
        Ok(revoked)
    }

    /// Extends a token's life by `increment` (or its original TTL), within its ceiling.
    /// Returns the renewed entry and a warning when the ceiling cut the request short.
    pub fn renew(
        &self,
        entry: &TokenEntry,
        increment: u64,
    ) -> VaultResult<(TokenEntry, Option<String>)> {
        if !entry.renewable {
            return Err(VaultError::bad_request("lease is not renewable"));
        }
        let now = now_unix();
        let last_ttl = match entry.last_ttl {
            0 => entry.creation_ttl,
            ttl => ttl,
        };
        let wanted = match (entry.period, increment) {
            (0, 0) => last_ttl,
            (0, increment) => increment,
            (period, _) => period,
        };
        let mut expire = now + wanted as i64;
        let mut warning = None;
        if let Some(ceiling) = entry.max_expire_time {
            if expire > ceiling {
                expire = ceiling;
                warning = Some(capped_warning("TTL", wanted, (ceiling - now).max(0) as u64));
            }
        }
        let renewed = TokenEntry {
            expire_time: Some(expire),
            last_ttl: (expire - now).max(0) as u64,
            ..entry.clone()
        };
        self.save(&renewed)?;
        Ok((renewed, warning))
    }
}

/// A new token's TTL and ceiling, as the SDK's `CalculateTTL` works them out at creation,
/// with its warning when the asked-for TTL or period is capped.
pub struct Lifetime {
    pub ttl: u64,
    /// The most the token may live, whatever the renewals (`None` for a periodic token
    /// without an explicit max TTL).
    pub ceiling: Option<u64>,
    pub warning: Option<String>,
}

impl Lifetime {
    pub fn of(new: &NewToken) -> Lifetime {
        let max = match new.explicit_max_ttl {
            0 => effective_max(new.max_ttl),
            explicit => explicit.min(effective_max(new.max_ttl)),
        };
        if new.period > 0 {
            let capped = new.period > max;
            return Lifetime {
                ttl: new.period.min(max),
                ceiling: (new.explicit_max_ttl > 0).then_some(max),
                warning: capped.then(|| capped_warning("period", new.period, max)),
            };
        }
        let wanted = match (new.ttl, new.default_ttl) {
            (0, 0) => SYSTEM_DEFAULT_TTL,
            (0, default) => default,
            (ttl, _) => ttl,
        };
        Lifetime {
            ttl: wanted.min(max),
            ceiling: Some(max),
            warning: (wanted > max).then(|| capped_warning("TTL", wanted, max)),
        }
    }
}

/// sdk/framework/lease.go's warning for a `TTL` or `period` cut down to the max TTL.
pub fn capped_warning(what: &str, wanted: u64, max: u64) -> String {
    format!(
        "{what} of \"{}\" exceeded the effective max_ttl of \"{}\"; {what} value is capped accordingly",
        human_duration(wanted),
        human_duration(max)
    )
}

fn effective_max(max_ttl: u64) -> u64 {
    if max_ttl == 0 {
        SYSTEM_MAX_TTL
    } else {
        max_ttl
    }
}
