//! Leases: what Vault's expiration manager does for secrets. A secrets engine answers a
//! secret with a TTL and the data it needs to take the secret back; the core registers a
//! lease for it (`<request path>/<24 base62>`), owned by the caller's token. The lease is
//! revoked — the engine deletes what it made — when it is revoked through `sys/leases`,
//! when it expires, or when its token is revoked (Vault then marks the token's leases
//! expired, and the expiry task revokes them).
//!
//! Leases are kept behind the barrier (`sys/expire/id/<lease ID>`, as Vault keeps them),
//! with an index by token (`sys/expire/token/<token hash>/…`). While unsealed, the due
//! times live in memory too (Vault's "pending" timers), rebuilt from storage at unseal.

use crate::{
    backends,
    core::{Core, Unsealed},
    seal::barrier::Barrier,
    storage::StorageResult,
    tokens::{hash_of, random_base62, TokenEntry},
};
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use tokio::{sync::Notify, task::JoinHandle};

const BY_ID: &str = "sys/expire/id/";
const BY_TOKEN: &str = "sys/expire/token/";

/// Vault's expiration manager gives up on a revocation after this many attempts, and the
/// lease becomes "irrevocable" (it stays, with its error, until revoked by hand).
const MAX_REVOKE_ATTEMPTS: u8 = 6;
/// The first retry waits about this long; each next one twice as long (±50%).
const REVOKE_RETRY_BASE: Duration = Duration::from_secs(10);
/// Vault keeps at most this much of an irrevocable lease's error.
const MAX_REVOKE_ERROR_LENGTH: usize = 240;
/// How often the expiry task looks at the due times when nothing wakes it earlier.
const TICK: Duration = Duration::from_secs(1);
/// How often engines roll back what failed requests left (Vault's `rollbackPeriod`).
const ROLLBACK_PERIOD: Duration = Duration::from_secs(60);

/// What an engine returns with a leased secret (Vault's `logical.Secret`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Secret {
    /// The engine's secret type, e.g. `kube_token`.
    pub kind: String,
    /// Seconds.
    pub ttl: u64,
    /// Seconds; 0 means none beyond the mount's.
    pub max_ttl: u64,
    pub renewable: bool,
    /// What the engine needs to revoke the secret; never shown to clients.
    pub internal: Map<String, Value>,
}

/// A stored lease.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LeaseEntry {
    pub id: String,
    /// The request path that made the secret, as sent (e.g. `k8s/creds/Dev`).
    pub path: String,
    /// The SHA-256 of the token that made it (the token store's key).
    pub token_hash: String,
    pub secret: Secret,
    /// Unix nanoseconds.
    pub issue_time: i64,
    pub expire_time: Option<i64>,
    pub last_renewal: Option<i64>,
    /// Set once the expiry task has given up revoking it.
    #[serde(default)]
    pub revoke_error: String,
}

impl LeaseEntry {
    /// `sys/leases/lookup`'s `data`.
    pub fn lookup_data(&self) -> Value {
        let now = Utc::now();
        let mut data = serde_json::json!({
            "id": self.id,
            "issue_time": go_time(self.issue_time),
            "expire_time": self.expire_time.map(go_time),
            "last_renewal": self.last_renewal.map(go_time),
            // Seconds to expiry from now rounded to the second, truncated: Vault's `ttl()`.
            "ttl": self.expire_time.map_or(0, |at| {
                let rounded = (now.timestamp_nanos_opt().unwrap_or(0) + 500_000_000)
                    / 1_000_000_000
                    * 1_000_000_000;
                (at - rounded) / 1_000_000_000
            }),
            "path": self.path,
            "renewable": self.renewable(),
        });
        if !self.revoke_error.is_empty() {
            data["revoke_error"] = Value::String(self.revoke_error.clone());
        }
        data
    }

    /// Vault's `leaseEntry.renewable()`, without its error.
    pub fn renewable(&self) -> bool {
        self.renewal_refusal().is_none()
    }

    /// Why the lease cannot be renewed, in Vault's order and words.
    pub fn renewal_refusal(&self) -> Option<&'static str> {
        let now = now_nanos();
        if !self.revoke_error.is_empty() {
            Some("lease is expired and has failed previous revocation attempts")
        } else if self.expire_time.is_none() {
            Some("lease is not renewable")
        } else if self.expire_time.is_some_and(|at| at < now) {
            Some("lease expired")
        } else if !self.secret.renewable {
            Some("lease is not renewable")
        } else {
            None
        }
    }
}

/// Go's `time.Time` in JSON: RFC 3339 with nanoseconds, trailing zeros dropped.
pub fn go_time(nanos: i64) -> String {
    let time = DateTime::from_timestamp_nanos(nanos);
    let whole = time.format("%Y-%m-%dT%H:%M:%S").to_string();
    let fraction = format!("{:09}", time.timestamp_subsec_nanos());
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{whole}Z")
    } else {
        format!("{whole}.{fraction}Z")
    }
}

pub fn now_nanos() -> i64 {
    Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

fn seconds(seconds: u64) -> i64 {
    (seconds as i64).saturating_mul(1_000_000_000)
}

/// A lease waiting for its expiry, and how often revoking it has failed.
#[derive(Clone, Copy)]
struct Pending {
    at: i64,
    attempts: u8,
}

/// The leases of an unsealed server: storage, and the due times held in memory.
#[derive(Default)]
pub struct Leases {
    pending: Mutex<BTreeMap<String, Pending>>,
    /// Tokens that own leases, by hash, with when they expire: their expiry revokes the
    /// token, and with it (lazily) its leases.
    tokens: Mutex<BTreeMap<String, i64>>,
    /// One revocation at a time: the API and the expiry task never revoke a lease twice.
    pub revoking: tokio::sync::Mutex<()>,
    /// Wakes the expiry task when something became due now.
    wake: Notify,
}

impl Leases {
    /// The leases in storage, with their due times (Vault's restore at unseal).
    pub fn restore(barrier: &Barrier) -> StorageResult<Leases> {
        let leases = Leases::default();
        for id in collect(barrier, BY_ID)? {
            if let Some(entry) = load(barrier, &id)? {
                leases.schedule(&entry);
            }
        }
        for token_hash in barrier.list(BY_TOKEN)? {
            let token_hash = token_hash.trim_end_matches('/');
            if let Some(entry) = barrier.get_json::<TokenEntry>(&token_key(token_hash))? {
                leases.watch_token(&entry);
            }
        }
        Ok(leases)
    }

    /// Registers a lease for `secret`, made at `path` by `token`.
    pub fn register(
        &self,
        barrier: &Barrier,
        path: &str,
        token: &TokenEntry,
        secret: Secret,
    ) -> StorageResult<LeaseEntry> {
        let now = now_nanos();
        let entry = LeaseEntry {
            id: format!("{}/{}", path.trim_end_matches('/'), random_base62(24)),
            path: path.to_string(),
            token_hash: token.id_hash.clone(),
            issue_time: now,
            expire_time: Some(now + seconds(secret.ttl)),
            last_renewal: None,
            revoke_error: String::new(),
            secret,
        };
        barrier.put_json(&format!("{BY_ID}{}", entry.id), &entry)?;
        barrier.put(&index_key(&entry), entry.id.as_bytes())?;
        self.schedule(&entry);
        self.watch_token(token);
        Ok(entry)
    }

    /// Vault's `LazyRevoke`: the lease expires now, and the expiry task revokes it.
    pub fn expire_now(&self, barrier: &Barrier, id: &str) -> StorageResult<()> {
        let Some(mut entry) = load(barrier, id)? else {
            return Ok(());
        };
        entry.expire_time = Some(now_nanos());
        barrier.put_json(&format!("{BY_ID}{id}"), &entry)?;
        self.schedule(&entry);
        self.wake.notify_one();
        Ok(())
    }

    /// A token was revoked: its leases expire now (Vault's `RevokeByToken`).
    pub fn expire_by_token(&self, barrier: &Barrier, token_hash: &str) -> StorageResult<()> {
        self.tokens.lock().remove(token_hash);
        let prefix = format!("{BY_TOKEN}{token_hash}/");
        for key in barrier.list(&prefix)? {
            if let Some(id) = barrier.get(&format!("{prefix}{key}"))? {
                self.expire_now(barrier, &String::from_utf8_lossy(&id))?;
            }
        }
        Ok(())
    }

    /// Removes a revoked lease and its index entry.
    pub fn forget(&self, barrier: &Barrier, entry: &LeaseEntry) -> StorageResult<()> {
        barrier.delete(&format!("{BY_ID}{}", entry.id))?;
        barrier.delete(&index_key(entry))?;
        self.pending.lock().remove(&entry.id);
        Ok(())
    }

    /// After a failed revocation by the expiry task: try again later, with Vault's
    /// exponential backoff, or give up and keep the error on the lease.
    pub fn failed(&self, barrier: &Barrier, id: &str, error: &str) -> StorageResult<()> {
        let attempts = {
            let mut pending = self.pending.lock();
            let Some(waiting) = pending.get_mut(id) else {
                return Ok(());
            };
            waiting.attempts += 1;
            waiting.at = now_nanos() + backoff(waiting.attempts).as_nanos() as i64;
            waiting.attempts
        };
        tracing::error!(lease_id = id, attempts, "failed to revoke lease: {error}");
        if attempts < MAX_REVOKE_ATTEMPTS {
            return Ok(());
        }
        self.pending.lock().remove(id);
        if let Some(mut entry) = load(barrier, id)? {
            let text = format!("out of retries: {error}");
            entry.revoke_error = text.chars().take(MAX_REVOKE_ERROR_LENGTH).collect();
            barrier.put_json(&format!("{BY_ID}{id}"), &entry)?;
        }
        Ok(())
    }

    fn schedule(&self, entry: &LeaseEntry) {
        let (Some(at), true) = (entry.expire_time, entry.revoke_error.is_empty()) else {
            return;
        };
        let mut pending = self.pending.lock();
        let attempts = pending.get(&entry.id).map_or(0, |p| p.attempts);
        pending.insert(entry.id.clone(), Pending { at, attempts });
    }

    fn watch_token(&self, token: &TokenEntry) {
        if let Some(at) = token.expire_time {
            self.tokens
                .lock()
                .insert(token.id_hash.clone(), at.saturating_mul(1_000_000_000));
        }
    }

    /// Leases due for revocation.
    fn due(&self, now: i64) -> Vec<String> {
        let pending = self.pending.lock();
        pending
            .iter()
            .filter(|(_, p)| p.at <= now)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Lease-owning tokens whose expiry has come (or that were renewed since).
    fn tokens_due(&self, now: i64) -> Vec<String> {
        let mut tokens = self.tokens.lock();
        let due: Vec<String> = tokens
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(hash, _)| hash.clone())
            .collect();
        for hash in &due {
            tokens.remove(hash);
        }
        due
    }
}

fn token_key(token_hash: &str) -> String {
    format!("sys/token/id/{token_hash}")
}

fn index_key(entry: &LeaseEntry) -> String {
    format!("{BY_TOKEN}{}/{}", entry.token_hash, hash_of(&entry.id))
}

/// Vault's `revokeExponentialBackoff`: 2^attempt × base, ±50%.
fn backoff(attempt: u8) -> Duration {
    let exp = REVOKE_RETRY_BASE.as_secs_f64() * f64::from(1u32 << attempt.min(16));
    let jitter = rand::random::<f64>();
    Duration::from_secs_f64(exp * (0.5 + jitter))
}

pub fn load(barrier: &Barrier, id: &str) -> StorageResult<Option<LeaseEntry>> {
    if id.is_empty() || id.ends_with('/') {
        return Ok(None);
    }
    barrier.get_json(&format!("{BY_ID}{id}"))
}

/// One level of lease IDs below `prefix` (which is empty or ends in `/`).
pub fn list(barrier: &Barrier, prefix: &str) -> StorageResult<Vec<String>> {
    barrier.list(&format!("{BY_ID}{prefix}"))
}

/// Every lease ID below `prefix` (which is empty or ends in `/`), depth first.
pub fn collect(barrier: &Barrier, prefix: &str) -> StorageResult<Vec<String>> {
    let mut found = Vec::new();
    for child in barrier.list(prefix)? {
        let path = format!("{prefix}{child}");
        if child.ends_with('/') {
            found.extend(collect(barrier, &path)?);
        } else {
            found.push(path.strip_prefix(BY_ID).unwrap_or(&path).to_string());
        }
    }
    Ok(found)
}

/// Every lease ID below a lease prefix (`k8s/creds/`).
pub fn collect_under(barrier: &Barrier, prefix: &str) -> StorageResult<Vec<String>> {
    collect(barrier, &format!("{BY_ID}{prefix}"))
}

/// Revokes a lease now: the engine takes the secret back, then the lease goes. A lease
/// that does not exist is nothing to do. The error is Vault's `revokeEntry` text; with
/// `force` (`revoke-force`) the engine's error is logged and the lease goes all the same.
pub async fn revoke(vault: &Unsealed, id: &str, force: bool) -> Result<(), RevokeError> {
    let _one_at_a_time = vault.leases.revoking.lock().await;
    let Some(entry) = load(&vault.barrier, id)? else {
        return Ok(());
    };
    if let Err(engine) = backends::revoke_secret(vault, &entry).await {
        let text = format!("failed to revoke entry: resp: (*logical.Response)(nil) err: {engine}");
        if !force {
            return Err(RevokeError::Engine(text));
        }
        tracing::warn!(
            lease_id = id,
            "revocation failed, but in force mode so ignoring: {text}"
        );
    }
    vault.leases.forget(&vault.barrier, &entry)?;
    tracing::info!(lease_id = id, "revoked lease");
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    #[error("{0}")]
    Engine(String),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

/// The expiry task: revokes leases whose time has come, and revokes lease-owning tokens
/// that expired (which expires their leases); every minute it also lets the engines roll
/// back what failed requests left. Runs until `stop` fires; does nothing while sealed.
pub fn spawn_expiry(
    core: Arc<Core>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut rolled_back = tokio::time::Instant::now();
        loop {
            let wake = async {
                match core.unsealed() {
                    Some(vault) => {
                        let _ = tokio::time::timeout(TICK, vault.leases.wake.notified()).await;
                    }
                    None => tokio::time::sleep(TICK).await,
                }
            };
            tokio::select! {
                _ = &mut stop => break,
                _ = wake => {}
            }
            tokio::select! {
                _ = &mut stop => break,
                _ = expire_due(&core) => {}
            }
            if rolled_back.elapsed() >= ROLLBACK_PERIOD {
                rolled_back = tokio::time::Instant::now();
                if let Some(vault) = core.unsealed() {
                    tokio::select! {
                        _ = &mut stop => break,
                        _ = backends::roll_back(&vault) => {}
                    }
                }
            }
        }
    })
}

async fn expire_due(core: &Core) {
    let Some(vault) = core.unsealed() else {
        return;
    };
    let now = now_nanos();
    for token_hash in vault.leases.tokens_due(now) {
        // Looking an expired token up revokes it, and its leases expire with it; a token
        // renewed meanwhile is watched again at its new expiry.
        match vault.tokens().lookup_hash(&token_hash) {
            Ok(Some(entry)) => vault.leases.watch_token(&entry),
            Ok(None) => {}
            Err(error) => tracing::error!("expiring a token that owns leases: {error}"),
        }
    }
    for id in vault.leases.due(now_nanos()) {
        let outcome = match revoke(&vault, &id, false).await {
            Ok(()) => Ok(()),
            Err(RevokeError::Engine(text)) => vault.leases.failed(&vault.barrier, &id, &text),
            Err(RevokeError::Storage(error)) => Err(error),
        };
        if let Err(error) = outcome {
            tracing::error!(lease_id = id, "expiring a lease: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_go_writes_them() {
        assert_eq!(go_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(go_time(1_500_000_000), "1970-01-01T00:00:01.5Z");
        assert_eq!(go_time(1_000_000_123), "1970-01-01T00:00:01.000000123Z");
    }

    #[test]
    fn retries_back_off_exponentially() {
        for attempt in 1..=5u8 {
            let base = 10.0 * f64::from(1u32 << attempt);
            let wait = backoff(attempt).as_secs_f64();
            assert!(
                (base * 0.5..=base * 1.5).contains(&wait),
                "{attempt}: {wait}"
            );
        }
    }
}
