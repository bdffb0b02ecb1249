//! The barrier: every entry is encrypted with AES-256-GCM under a data key, with the entry's
//! storage path as associated data (so entries cannot be swapped). The data key lives in the
//! keyring entry, itself encrypted under the root key, which exists only in memory while
//! unsealed and is otherwise split into the unseal key shares.

use crate::storage::{Physical, StorageError, StorageResult};
use aes_gcm::{aead::Aead, aead::Payload, Aes256Gcm, Key, KeyInit, Nonce};
use rand::RngCore;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::sync::Arc;

/// Where the keyring lives, encrypted under the root key.
pub const KEYRING_PATH: &str = "core/keyring";

const FORMAT_VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 4 + 12;

#[derive(Serialize, Deserialize)]
struct Keyring {
    term: u32,
    #[serde(with = "hex_bytes")]
    key: Vec<u8>,
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        hex::decode(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UnsealError {
    /// The combined key does not open the keyring: wrong or mismatched key shares.
    #[error("the key does not open the keyring")]
    WrongKey,
    #[error("the keyring is missing: storage is not initialized")]
    NoKeyring,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A fresh random 256-bit key.
pub fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    key
}

fn seal_bytes(cipher: &Aes256Gcm, term: u32, path: &str, plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: path.as_bytes(),
            },
        )
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
    let mut blob = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    blob.push(FORMAT_VERSION);
    blob.extend_from_slice(&term.to_be_bytes());
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&ciphertext);
    blob
}

fn open_bytes(cipher: &Aes256Gcm, path: &str, blob: &[u8]) -> Result<Vec<u8>, String> {
    if blob.len() < HEADER_LEN + 16 {
        return Err(format!(
            "{} bytes is shorter than any encrypted entry",
            blob.len()
        ));
    }
    if blob[0] != FORMAT_VERSION {
        return Err(format!("unknown format version {}", blob[0]));
    }
    let nonce = Nonce::from_slice(&blob[5..HEADER_LEN]);
    cipher
        .decrypt(
            nonce,
            Payload {
                msg: &blob[HEADER_LEN..],
                aad: path.as_bytes(),
            },
        )
        .map_err(|_| "message authentication failed".to_string())
}

fn cipher_for(key: &[u8]) -> Aes256Gcm {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))
}

/// The unsealed view of storage: reads decrypt, writes encrypt.
pub struct Barrier {
    physical: Arc<dyn Physical>,
    cipher: Aes256Gcm,
    term: u32,
}

impl Barrier {
    /// Creates the keyring with a new data key, sealed under `root_key`.
    pub fn initialize(physical: Arc<dyn Physical>, root_key: &[u8]) -> StorageResult<Barrier> {
        let keyring = Keyring {
            term: 1,
            key: random_key().to_vec(),
        };
        let json = serde_json::to_vec(&keyring).expect("keyring serializes");
        physical.put(
            KEYRING_PATH,
            &seal_bytes(&cipher_for(root_key), 0, KEYRING_PATH, &json),
        )?;
        Ok(Barrier {
            physical,
            cipher: cipher_for(&keyring.key),
            term: keyring.term,
        })
    }

    /// Opens the keyring with `root_key`.
    pub fn unseal(physical: Arc<dyn Physical>, root_key: &[u8]) -> Result<Barrier, UnsealError> {
        if root_key.len() != 32 {
            return Err(UnsealError::WrongKey);
        }
        let blob = physical.get(KEYRING_PATH)?.ok_or(UnsealError::NoKeyring)?;
        let json = open_bytes(&cipher_for(root_key), KEYRING_PATH, &blob)
            .map_err(|_| UnsealError::WrongKey)?;
        let keyring: Keyring = serde_json::from_slice(&json).map_err(|e| {
            UnsealError::Storage(StorageError::Corrupt {
                key: KEYRING_PATH.into(),
                reason: e.to_string(),
            })
        })?;
        Ok(Barrier {
            physical,
            cipher: cipher_for(&keyring.key),
            term: keyring.term,
        })
    }

    pub fn get(&self, path: &str) -> StorageResult<Option<Vec<u8>>> {
        let Some(blob) = self.physical.get(path)? else {
            return Ok(None);
        };
        open_bytes(&self.cipher, path, &blob)
            .map(Some)
            .map_err(|reason| StorageError::Corrupt {
                key: path.to_string(),
                reason,
            })
    }

    pub fn put(&self, path: &str, value: &[u8]) -> StorageResult<()> {
        self.physical
            .put(path, &seal_bytes(&self.cipher, self.term, path, value))
    }

    pub fn delete(&self, path: &str) -> StorageResult<()> {
        self.physical.delete(path)
    }

    pub fn list(&self, prefix: &str) -> StorageResult<Vec<String>> {
        self.physical.list(prefix)
    }

    pub fn get_json<T: DeserializeOwned>(&self, path: &str) -> StorageResult<Option<T>> {
        match self.get(path)? {
            None => Ok(None),
            Some(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| StorageError::Corrupt {
                        key: path.to_string(),
                        reason: e.to_string(),
                    })
            }
        }
    }

    pub fn put_json<T: Serialize>(&self, path: &str, value: &T) -> StorageResult<()> {
        self.put(
            path,
            &serde_json::to_vec(value).expect("stored values serialize"),
        )
    }

    /// Deletes every entry under `prefix` (ending in `/`), depth first.
    pub fn delete_tree(&self, prefix: &str) -> StorageResult<()> {
        for child in self.list(prefix)? {
            let path = format!("{prefix}{child}");
            if child.ends_with('/') {
                self.delete_tree(&path)?;
            } else {
                self.delete(&path)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryStorage;

    #[test]
    fn entries_round_trip_and_are_unreadable_on_disk() {
        let physical: Arc<dyn Physical> = Arc::new(MemoryStorage::new());
        let root = random_key();
        let barrier = Barrier::initialize(physical.clone(), &root).unwrap();
        barrier.put("kv/secret", b"hunter2").unwrap();
        assert_eq!(
            barrier.get("kv/secret").unwrap().as_deref(),
            Some(&b"hunter2"[..])
        );
        let raw = physical.get("kv/secret").unwrap().unwrap();
        assert!(!raw.windows(7).any(|w| w == b"hunter2"));
        let reopened = Barrier::unseal(physical, &root).unwrap();
        assert_eq!(
            reopened.get("kv/secret").unwrap().as_deref(),
            Some(&b"hunter2"[..])
        );
    }

    #[test]
    fn a_wrong_root_key_does_not_open_it() {
        let physical: Arc<dyn Physical> = Arc::new(MemoryStorage::new());
        Barrier::initialize(physical.clone(), &random_key()).unwrap();
        assert!(matches!(
            Barrier::unseal(physical, &random_key()),
            Err(UnsealError::WrongKey)
        ));
    }

    #[test]
    fn corrupt_truncated_and_swapped_entries_are_errors() {
        let physical: Arc<dyn Physical> = Arc::new(MemoryStorage::new());
        let barrier = Barrier::initialize(physical.clone(), &random_key()).unwrap();
        barrier.put("a", b"value a").unwrap();
        barrier.put("b", b"value b").unwrap();
        let raw = physical.get("a").unwrap().unwrap();

        physical.put("a", &raw[..raw.len() - 3]).unwrap();
        assert!(matches!(
            barrier.get("a"),
            Err(StorageError::Corrupt { .. })
        ));

        let mut flipped = raw.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        physical.put("a", &flipped).unwrap();
        assert!(matches!(
            barrier.get("a"),
            Err(StorageError::Corrupt { .. })
        ));

        physical.put("b", &raw).unwrap();
        let error = barrier.get("b").unwrap_err().to_string();
        assert!(error.contains("\"b\" is corrupt"), "{error}");
    }
}
