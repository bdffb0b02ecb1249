//! Where session records live: in this process's memory, or in Redis so that several
//! replicas (and restarts) share them, sealed (`sealed`). Records expire in the store on
//! their own.

use super::{sealed, SessionId, SessionRecord};
use crate::config::SessionStoreUrl;
use parking_lot::Mutex;
use redis::AsyncCommands;
use std::{
    collections::{HashMap, VecDeque},
    time::{Duration, Instant},
};

#[derive(Debug, thiserror::Error)]
#[error("session store: {0}")]
pub struct StoreError(String);

/// How long the store keeps a record, and the index of its token's sessions. Every save of
/// a token's sessions sets the index's expiry to now + `index`, which is at least any of
/// their `record`s: so the index outlives each of them, and only moves later.
#[derive(Clone, Copy, Debug)]
pub struct Keep {
    pub record: Duration,
    pub index: Duration,
}

pub enum SessionStore {
    Memory(Mutex<MemorySessions>),
    Redis(redis::aio::ConnectionManager),
}

/// The in-process store: records by storage key, and each token's sessions in the order
/// they began (for the per-token bound).
pub struct MemorySessions {
    records: HashMap<String, (SessionRecord, Instant)>,
    by_token: HashMap<String, VecDeque<String>>,
    next_sweep: Instant,
}

/// Expired records are swept from memory at most this often: sweeping at every save cost
/// a pass over every session, under the lock, per login and per touch.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

impl MemorySessions {
    fn new() -> MemorySessions {
        MemorySessions {
            records: HashMap::new(),
            by_token: HashMap::new(),
            next_sweep: Instant::now() + SWEEP_EVERY,
        }
    }

    fn is_live(&self, key: &str, now: Instant) -> bool {
        self.records
            .get(key)
            .is_some_and(|(_, deadline)| *deadline > now)
    }

    fn sweep_if_due(&mut self, now: Instant) {
        if now < self.next_sweep {
            return;
        }
        self.next_sweep = now + SWEEP_EVERY;
        self.records.retain(|_, (_, deadline)| *deadline > now);
        let records = &self.records;
        self.by_token.retain(|_, keys| {
            keys.retain(|key| records.contains_key(key));
            !keys.is_empty()
        });
    }

    /// Adds `key` to its token's sessions and ends the oldest past `most`; how many ended.
    fn admit(&mut self, owner: &str, key: String, most: usize, now: Instant) -> usize {
        let mut keys = self.by_token.remove(owner).unwrap_or_default();
        keys.retain(|key| self.is_live(key, now));
        keys.push_back(key);
        let surplus = keys.len().saturating_sub(most);
        for ended in keys.drain(..surplus) {
            self.records.remove(&ended);
        }
        self.by_token.insert(owner.to_string(), keys);
        surplus
    }
}

impl SessionStore {
    pub async fn connect(url: &SessionStoreUrl) -> anyhow::Result<SessionStore> {
        match url {
            SessionStoreUrl::Memory => Ok(SessionStore::Memory(Mutex::new(MemorySessions::new()))),
            SessionStoreUrl::Redis(url) => {
                let client = redis::Client::open(url.as_str())
                    .map_err(|e| anyhow::anyhow!("VAULTDECK_SESSION_STORE: {e}"))?;
                let manager = redis::aio::ConnectionManager::new(client)
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!("VAULTDECK_SESSION_STORE: cannot reach Redis: {e}")
                    })?;
                Ok(SessionStore::Redis(manager))
            }
        }
    }

    /// Whether the store answers (readiness): always for memory, a `PING` for Redis.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            SessionStore::Memory(_) => Ok(()),
            SessionStore::Redis(manager) => {
                let mut connection = manager.clone();
                within_deadline(redis::cmd("PING").query_async::<()>(&mut connection)).await
            }
        }
    }

    /// How many sessions the store holds now (for the metrics).
    pub async fn count(&self) -> Result<usize, StoreError> {
        match self {
            SessionStore::Memory(sessions) => {
                let now = Instant::now();
                let sessions = sessions.lock();
                Ok(sessions.records.values().filter(|(_, d)| *d > now).count())
            }
            SessionStore::Redis(manager) => {
                let mut connection = manager.clone();
                let mut keys: redis::AsyncIter<String> =
                    within_deadline(connection.scan_match::<_, String>("vaultdeck:session:*"))
                        .await?;
                let mut count = 0;
                while keys.next_item().await.is_some() {
                    count += 1;
                }
                Ok(count)
            }
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            SessionStore::Memory(_) => "memory",
            SessionStore::Redis(_) => "redis",
        }
    }

    pub async fn load(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        match self {
            SessionStore::Memory(sessions) => {
                let mut sessions = sessions.lock();
                let key = id.storage_key();
                match sessions.records.get(&key) {
                    Some((record, deadline)) if *deadline > Instant::now() => {
                        Ok(Some(record.clone()))
                    }
                    Some(_) => {
                        sessions.records.remove(&key);
                        Ok(None)
                    }
                    None => Ok(None),
                }
            }
            SessionStore::Redis(manager) => {
                let mut connection = manager.clone();
                let key = id.storage_key();
                let Some(stored) =
                    within_deadline(connection.get::<_, Option<Vec<u8>>>(&key)).await?
                else {
                    return Ok(None);
                };
                if let Some(json) = sealed::open(id, &key, &stored) {
                    return Ok(serde_json::from_slice(&json).ok());
                }
                // Written in the clear by a version before sealing: no one reads it now, and
                // left alone it keeps a token readable until it expires. (A record sealed in
                // a way this version does not know, by a newer one, is left to that one.)
                if stored.first() == Some(&b'{') {
                    if let Err(error) = within_deadline(connection.del::<_, ()>(&key)).await {
                        tracing::warn!(
                            "a session record in the clear could not be removed: {error}"
                        );
                    }
                }
                Ok(None)
            }
        }
    }

    /// Stores the record for `keep.record`; it disappears from the store afterwards.
    pub async fn save(
        &self,
        id: &SessionId,
        record: &SessionRecord,
        keep: Keep,
    ) -> Result<(), StoreError> {
        match self {
            SessionStore::Memory(sessions) => {
                let mut sessions = sessions.lock();
                let now = Instant::now();
                sessions.sweep_if_due(now);
                sessions
                    .records
                    .insert(id.storage_key(), (record.clone(), now + keep.record));
                Ok(())
            }
            SessionStore::Redis(manager) => {
                let mut pipe = redis::pipe();
                Self::redis_save(&mut pipe, id, record, keep)?;
                let mut connection = manager.clone();
                within_deadline(pipe.query_async::<()>(&mut connection)).await
            }
        }
    }

    /// Stores a new session's record, as `save`, and ends its token's oldest sessions past
    /// `most`; how many ended.
    pub async fn admit(
        &self,
        id: &SessionId,
        record: &SessionRecord,
        keep: Keep,
        most: usize,
    ) -> Result<usize, StoreError> {
        match self {
            SessionStore::Memory(sessions) => {
                self.save(id, record, keep).await?;
                let now = Instant::now();
                Ok(sessions
                    .lock()
                    .admit(&record.owner(), id.storage_key(), most, now))
            }
            SessionStore::Redis(manager) => {
                let index = token_index_key(&record.owner());
                let mut pipe = redis::pipe();
                Self::redis_save(&mut pipe, id, record, keep)?;
                // The expiry again after ZADD: on a token's first login, ZADD makes the index.
                pipe.zadd(&index, id.storage_key(), now_millis())
                    .ignore()
                    .expire(&index, seconds(keep.index))
                    .ignore()
                    .zcard(&index);
                let mut connection = manager.clone();
                let (count,): (usize,) = within_deadline(pipe.query_async(&mut connection)).await?;
                if count <= most {
                    return Ok(0);
                }
                end_oldest_in_redis(&mut connection, &index, most).await
            }
        }
    }

    /// Queues the sealed record, and moves its token's index's expiry (see `Keep`).
    fn redis_save(
        pipe: &mut redis::Pipeline,
        id: &SessionId,
        record: &SessionRecord,
        keep: Keep,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_vec(record).map_err(|e| StoreError(e.to_string()))?;
        let key = id.storage_key();
        let sealed = sealed::seal(id, &key, &json);
        pipe.set_ex(key, sealed, seconds(keep.record) as u64)
            .ignore()
            .expire(token_index_key(&record.owner()), seconds(keep.index))
            .ignore();
        Ok(())
    }

    pub async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        match self {
            SessionStore::Memory(sessions) => {
                sessions.lock().records.remove(&id.storage_key());
                Ok(())
            }
            SessionStore::Redis(manager) => {
                let mut connection = manager.clone();
                within_deadline(connection.del::<_, ()>(id.storage_key())).await
            }
        }
    }
}

/// Whole seconds, at least one (Redis refuses an expiry of 0).
fn seconds(duration: Duration) -> i64 {
    duration.as_secs().max(1) as i64
}

/// The Redis key of a token's sessions, a sorted set of their keys scored by when they
/// began, named by the token's `owner` (a hash).
fn token_index_key(owner: &str) -> String {
    format!("vaultdeck:token:{owner}")
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// Ends the oldest live sessions in a token's index past `most`. Sessions that expired on
/// their own are still named there; they are dropped from it first and do not count.
async fn end_oldest_in_redis(
    connection: &mut redis::aio::ConnectionManager,
    index: &str,
    most: usize,
) -> Result<usize, StoreError> {
    let keys: Vec<String> = within_deadline(connection.zrange(index, 0, -1)).await?;
    let mut exists = redis::pipe();
    for key in &keys {
        exists.exists(key);
    }
    let live: Vec<bool> = within_deadline(exists.query_async(connection)).await?;
    let (live, gone): (Vec<_>, Vec<_>) = keys.iter().zip(live).partition(|(_, live)| *live);
    let surplus = live.len().saturating_sub(most);
    let ended: Vec<&String> = live.iter().take(surplus).map(|(key, _)| *key).collect();
    let dropped: Vec<&String> = gone
        .iter()
        .map(|(key, _)| *key)
        .chain(ended.iter().copied())
        .collect();
    if dropped.is_empty() {
        return Ok(0);
    }
    let mut cleanup = redis::pipe();
    cleanup.zrem(index, &dropped).ignore();
    if !ended.is_empty() {
        cleanup.del(&ended).ignore();
    }
    within_deadline(cleanup.query_async::<()>(connection)).await?;
    Ok(surplus)
}

/// How long a Redis command may take before the store counts as unavailable: the
/// connection manager keeps retrying a lost connection, and a request should not wait for it.
const REDIS_DEADLINE: Duration = Duration::from_secs(3);

async fn within_deadline<T>(
    command: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(REDIS_DEADLINE, command).await {
        Ok(result) => result.map_err(|e| StoreError(e.to_string())),
        Err(_) => Err(StoreError(format!(
            "Redis did not answer within {} s",
            REDIS_DEADLINE.as_secs()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::VaultToken;

    fn record(accessor: &str) -> SessionRecord {
        SessionRecord {
            token: VaultToken::new("t"),
            accessor: accessor.into(),
            display_name: String::new(),
            policies: vec![],
            method: "token".into(),
            mount: String::new(),
            expire_time: None,
            granted_ttl: 0,
            renewable: false,
            renewed_at: 0,
            last_active: 0,
        }
    }

    #[test]
    fn a_sweep_forgets_expired_records_and_their_tokens_index() {
        let mut sessions = MemorySessions::new();
        let now = Instant::now();
        for (key, deadline) in [("old", now), ("live", now + SWEEP_EVERY * 4)] {
            sessions
                .records
                .insert(key.into(), (record("a"), deadline + SWEEP_EVERY));
            sessions.admit("a", key.into(), 8, now);
        }
        sessions
            .records
            .insert("lone".into(), (record("b"), now + SWEEP_EVERY));
        sessions.admit("b", "lone".into(), 8, now);

        sessions.sweep_if_due(now);
        assert_eq!(sessions.records.len(), 3, "not due yet");

        sessions.sweep_if_due(now + SWEEP_EVERY * 2);
        let mut left: Vec<_> = sessions.records.keys().cloned().collect();
        left.sort();
        assert_eq!(left, ["live"]);
        assert_eq!(sessions.by_token["a"], ["live"]);
        assert!(!sessions.by_token.contains_key("b"));
    }
}
