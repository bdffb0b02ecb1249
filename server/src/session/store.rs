//! Where session records live: in this process's memory, or in Redis so that several
//! replicas (and restarts) share them, sealed (`sealed`). Records expire in the store on
//! their own.

use super::{sealed, SessionId, SessionRecord};
use crate::config::SessionStoreUrl;
use parking_lot::Mutex;
use redis::AsyncCommands;
use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

#[derive(Debug, thiserror::Error)]
#[error("session store: {0}")]
pub struct StoreError(String);

pub enum SessionStore {
    Memory(Mutex<HashMap<String, (SessionRecord, Instant)>>),
    Redis(redis::aio::ConnectionManager),
}

impl SessionStore {
    pub async fn connect(url: &SessionStoreUrl) -> anyhow::Result<SessionStore> {
        match url {
            SessionStoreUrl::Memory => Ok(SessionStore::Memory(Mutex::new(HashMap::new()))),
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
                Ok(sessions.lock().values().filter(|(_, d)| *d > now).count())
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
                match sessions.get(&key) {
                    Some((record, deadline)) if *deadline > Instant::now() => {
                        Ok(Some(record.clone()))
                    }
                    Some(_) => {
                        sessions.remove(&key);
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

    /// Stores the record for `ttl`; it disappears from the store afterwards.
    pub async fn save(
        &self,
        id: &SessionId,
        record: &SessionRecord,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let ttl = ttl.max(Duration::from_secs(1));
        match self {
            SessionStore::Memory(sessions) => {
                let mut sessions = sessions.lock();
                let now = Instant::now();
                sessions.retain(|_, (_, deadline)| *deadline > now);
                sessions.insert(id.storage_key(), (record.clone(), now + ttl));
                Ok(())
            }
            SessionStore::Redis(manager) => {
                let json = serde_json::to_vec(record).map_err(|e| StoreError(e.to_string()))?;
                let key = id.storage_key();
                let sealed = sealed::seal(id, &key, &json);
                let mut connection = manager.clone();
                within_deadline(connection.set_ex::<_, _, ()>(key, sealed, ttl.as_secs())).await
            }
        }
    }

    pub async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        match self {
            SessionStore::Memory(sessions) => {
                sessions.lock().remove(&id.storage_key());
                Ok(())
            }
            SessionStore::Redis(manager) => {
                let mut connection = manager.clone();
                within_deadline(connection.del::<_, ()>(id.storage_key())).await
            }
        }
    }
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
