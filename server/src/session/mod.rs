//! Server-side sessions: the browser holds an opaque random id in an HttpOnly cookie; the
//! Vault token and what we know of it live here, in memory or in Redis.
//!
//! Not tower-sessions: the cookie's `Path` must be the prefix the *browser* sees, which
//! differs per request behind `kubectl proxy` and Ingresses, and a session must end with
//! its Vault token. Both are simplest owned outright.

mod cookie_jar;
mod manager;
mod sealed;
mod store;

pub use cookie_jar::{
    clear_cookie, session_cookie, session_cookie_for_the_posted_directory, session_ids_from,
    SeveralSessionCookies,
};
pub use manager::{ActiveSession, CurrentSession, SessionEnd, Sessions};
pub use manager::{MOST_SESSIONS_PER_TOKEN, MOST_SESSION_COOKIES};
pub use store::{Keep, SessionStore};

use crate::vault::VaultToken;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vaultdeck_app::wire::SessionInfo;

/// A session id: 256 random bits. `Debug` hides it, as it is a bearer credential.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    pub fn generate() -> SessionId {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        SessionId(base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            bytes,
        ))
    }

    pub fn from_cookie(value: &str) -> Option<SessionId> {
        let plausible = value.len() == 43
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        plausible.then(|| SessionId(value.to_string()))
    }

    pub fn cookie_value(&self) -> &str {
        &self.0
    }

    /// The store's key: a hash, so that a dump of the store holds no usable cookie.
    pub fn storage_key(&self) -> String {
        // Built in place: every request computes it, and `format!` with `hex::encode`
        // (a char at a time) cost more than the hash itself (callgrind, 2026-12-03).
        const PREFIX: &str = "vaultdeck:session:";
        let mut hex = [0u8; 64];
        hex::encode_to_slice(Sha256::digest(self.0.as_bytes()), &mut hex)
            .expect("a SHA-256 digest is 32 bytes");
        let mut key = String::with_capacity(PREFIX.len() + hex.len());
        key.push_str(PREFIX);
        key.push_str(std::str::from_utf8(&hex).expect("hex digits are ASCII"));
        key
    }
}

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId(<redacted>)")
    }
}

/// What a session knows. Serialized into the store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionRecord {
    pub token: VaultToken,
    /// The token's accessor: names it (for lookup or revocation by an operator) without
    /// being able to use it. Never sent to the browser. Empty in records from before it
    /// was kept.
    #[serde(default)]
    pub accessor: String,
    pub display_name: String,
    pub policies: Vec<String>,
    pub method: String,
    pub mount: String,
    /// Unix seconds; `None` when the token never expires.
    pub expire_time: Option<i64>,
    /// The TTL granted at login or the last renewal, for renewing at half-life.
    pub granted_ttl: u64,
    pub renewable: bool,
    pub renewed_at: i64,
    pub last_active: i64,
}

impl SessionRecord {
    /// Whether Vaultdeck obtained the token by logging in (then it is Vaultdeck's to revoke
    /// at logout), rather than the user bringing it (a token login).
    pub fn obtained_by_login(&self) -> bool {
        self.method != "token"
    }

    /// What names the token in the bound on its sessions, hashed: its accessor, or for a
    /// batch token, which has none, the token itself.
    pub fn owner(&self) -> String {
        let named = if self.accessor.is_empty() {
            format!("token:{}", self.token.expose())
        } else {
            format!("accessor:{}", self.accessor)
        };
        hex::encode(Sha256::digest(named.as_bytes()))
    }

    pub fn info(&self, now: i64, idle_timeout: u64) -> SessionInfo {
        SessionInfo {
            display_name: self.display_name.clone(),
            policies: self.policies.clone(),
            method: self.method.clone(),
            mount: self.mount.clone(),
            expire_time: self.expire_time.map(rfc3339),
            ttl: self.expire_time.map_or(0, |t| (t - now).max(0) as u64),
            renewable: self.renewable,
            idle_timeout,
        }
    }
}

/// RFC 3339 in UTC for unix seconds.
fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_validated() {
        let a = SessionId::generate();
        assert_ne!(a.cookie_value(), SessionId::generate().cookie_value());
        assert!(SessionId::from_cookie(a.cookie_value()).is_some());
        assert!(SessionId::from_cookie("short").is_none());
        assert!(SessionId::from_cookie(&"x;".repeat(22)[..43]).is_none());
        assert_eq!(format!("{a:?}"), "SessionId(<redacted>)");
    }

    #[test]
    fn the_store_key_is_the_ids_hash_not_the_id() {
        let id = SessionId::from_cookie(&"a".repeat(43)).unwrap();
        let key = id.storage_key();
        let expected = format!(
            "vaultdeck:session:{}",
            hex::encode(Sha256::digest("a".repeat(43).as_bytes()))
        );
        assert_eq!(key, expected);
        assert!(!key.contains(id.cookie_value()));
    }

    #[test]
    fn expiry_is_shown_in_rfc3339() {
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
