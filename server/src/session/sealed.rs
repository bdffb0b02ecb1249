//! Session records as Redis keeps them: sealed (AES-256-GCM) with a key derived from the
//! session id. Only the browser's cookie holds the id; the store's key is another hash of
//! it. So a Redis dump, a backup or a shared instance gives up no Vault token without the
//! cookie that goes with it.
//!
//! The id is 256 random bits, so one SHA-256 over it (with a label that sets this use apart
//! from the store's key) is a sound key; no salt or stretching is needed.

use super::SessionId;
use aes_gcm::{
    aead::{Aead, Payload},
    Aes256Gcm, Key, KeyInit, Nonce,
};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// First byte of every sealed record: which scheme sealed it.
const SCHEME: u8 = 1;
const NONCE_BYTES: usize = 12;

fn cipher_for(id: &SessionId) -> Aes256Gcm {
    let key = Sha256::new()
        .chain_update(b"vaultdeck session record key\0")
        .chain_update(id.cookie_value().as_bytes())
        .finalize();
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key))
}

/// `record` sealed for `id`, bound to the store key it is saved under.
pub fn seal(id: &SessionId, storage_key: &str, record: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_BYTES];
    rand::rng().fill_bytes(&mut nonce);
    let payload = Payload {
        msg: record,
        aad: storage_key.as_bytes(),
    };
    let sealed = cipher_for(id)
        .encrypt(Nonce::from_slice(&nonce), payload)
        .expect("AES-GCM seals any record of a session's size");
    let mut out = Vec::with_capacity(1 + NONCE_BYTES + sealed.len());
    out.push(SCHEME);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// The record sealed for `id` under `storage_key`, or `None` for anything else: a record
/// sealed for another id, altered, or stored in the clear by a version before this one
/// (its user logs in again).
pub fn open(id: &SessionId, storage_key: &str, stored: &[u8]) -> Option<Vec<u8>> {
    let (&scheme, rest) = stored.split_first()?;
    if scheme != SCHEME || rest.len() < NONCE_BYTES {
        return None;
    }
    let (nonce, sealed) = rest.split_at(NONCE_BYTES);
    let payload = Payload {
        msg: sealed,
        aad: storage_key.as_bytes(),
    };
    cipher_for(id)
        .decrypt(Nonce::from_slice(nonce), payload)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_opens_only_with_its_own_id_and_key() {
        let (id, other) = (SessionId::generate(), SessionId::generate());
        let key = id.storage_key();
        let sealed = seal(&id, &key, br#"{"token":"s.the-token"}"#);
        assert!(!sealed
            .windows(b"the-token".len())
            .any(|w| w == b"the-token"));
        assert_eq!(
            open(&id, &key, &sealed).as_deref(),
            Some(&br#"{"token":"s.the-token"}"#[..])
        );
        assert_eq!(open(&other, &key, &sealed), None);
        assert_eq!(open(&id, &other.storage_key(), &sealed), None);
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(open(&id, &key, &altered), None);
        assert_eq!(open(&id, &key, br#"{"token":"s.in-the-clear"}"#), None);
        assert_eq!(open(&id, &key, &[]), None);
    }
}
