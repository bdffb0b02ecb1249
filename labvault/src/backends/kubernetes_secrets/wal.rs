//! The plugin's write-ahead log (K/wal.go): before it creates a Role or a binding, it notes
//! it; a successful request removes the note. A note still there after ten minutes means
//! the request failed half-way, and the rollback deletes the object (Kubernetes' garbage
//! collector then deletes what it owned). A rollback that keeps failing is given up after
//! a day.

use super::client::Client;
use crate::{seal::barrier::Barrier, storage::StorageResult, ttl::now_unix};
use serde::{Deserialize, Serialize};

const WAL: &str = "wal/";
/// The plugin's `WALRollbackMinAge`.
const MIN_AGE: i64 = 10 * 60;
/// The plugin's `maxWALAge`.
const MAX_AGE: i64 = 24 * 3600;

/// What a note says was about to be created.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Made {
    Role {
        namespace: String,
        name: String,
        role_type: String,
    },
    Binding {
        namespace: String,
        name: String,
        is_cluster: bool,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Note {
    made: Made,
    /// Unix seconds.
    written: i64,
    expiration: i64,
}

/// Notes what is about to be created; returns the note's ID.
pub fn put(barrier: &Barrier, prefix: &str, made: Made) -> StorageResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = now_unix();
    let note = Note {
        made,
        written: now,
        expiration: now + MAX_AGE,
    };
    barrier.put_json(&format!("{prefix}{WAL}{id}"), &note)?;
    Ok(id)
}

pub fn delete(barrier: &Barrier, prefix: &str, id: &str) -> StorageResult<()> {
    barrier.delete(&format!("{prefix}{WAL}{id}"))
}

/// Deletes what the notes older than ten minutes name. A note goes once its object is gone
/// (or after a day of failures).
pub async fn roll_back(barrier: &Barrier, prefix: &str, client: &Client) -> StorageResult<()> {
    let now = now_unix();
    for id in barrier.list(&format!("{prefix}{WAL}"))? {
        let key = format!("{prefix}{WAL}{id}");
        let Some(note) = barrier.get_json::<Note>(&key)? else {
            continue;
        };
        if now - note.written < MIN_AGE {
            continue;
        }
        let path = match &note.made {
            Made::Role {
                namespace,
                name,
                role_type,
            } => Client::role_path(namespace, name, role_type),
            Made::Binding {
                namespace,
                name,
                is_cluster,
            } => Client::binding_path(namespace, name, *is_cluster),
        };
        match client.delete(&path).await {
            Ok(()) => barrier.delete(&key)?,
            Err(error) if now > note.expiration => {
                tracing::warn!("giving up rolling back {path}: {error}");
                barrier.delete(&key)?;
            }
            Err(error) => tracing::warn!("rolling back {path}: {error}"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        seal::barrier::random_key,
        storage::{MemoryStorage, Physical},
    };
    use std::sync::Arc;

    fn note(barrier: &Barrier, age: i64, expires_in: i64) -> String {
        let id = put(
            barrier,
            "m/",
            Made::Role {
                namespace: "ns".into(),
                name: "v-x".into(),
                role_type: "Role".into(),
            },
        )
        .unwrap();
        let now = now_unix();
        let aged = Note {
            made: Made::Role {
                namespace: "ns".into(),
                name: "v-x".into(),
                role_type: "Role".into(),
            },
            written: now - age,
            expiration: now + expires_in,
        };
        barrier.put_json(&format!("m/{WAL}{id}"), &aged).unwrap();
        id
    }

    #[tokio::test]
    async fn young_notes_wait_and_failing_ones_are_dropped_after_a_day() {
        let physical: Arc<dyn Physical> = Arc::new(MemoryStorage::new());
        let barrier = Barrier::initialize(physical, &random_key()).unwrap();
        // Nothing listens on port 1: every rollback fails.
        let client = Client::new("https://127.0.0.1:1", "", "").unwrap();
        let young = note(&barrier, 60, MAX_AGE);
        let failing = note(&barrier, MIN_AGE + 60, MAX_AGE);
        let expired = note(&barrier, MAX_AGE + 60, -60);
        roll_back(&barrier, "m/", &client).await.unwrap();
        let left = barrier.list(&format!("m/{WAL}")).unwrap();
        assert!(left.contains(&young) && left.contains(&failing), "{left:?}");
        assert!(!left.contains(&expired), "{left:?}");
        delete(&barrier, "m/", &young).unwrap();
        assert_eq!(barrier.list(&format!("m/{WAL}")).unwrap(), [failing]);
    }
}
