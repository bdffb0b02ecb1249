//! Wire types shared by the app and the server: Vault's JSON shapes the app reads, and the
//! BFF's own request and response bodies. Field docs name the Vault field they mirror.

use serde::{Deserialize, Serialize};

pub mod delivery;
pub mod k8s;

/// The two mount tables: secrets engines (`sys/mounts`, paths `MOUNT/…`) and auth methods
/// (`sys/auth`, paths `auth/MOUNT/…`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    #[default]
    Auth,
    Secrets,
}
pub mod listing;

/// One value for a URL's query or path segment, percent-encoded as `encodeURIComponent`
/// does (everything but `A-Z a-z 0-9 - _ . ~`), so that it stays one value whatever it holds.
pub fn encode_query_value(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, URI_COMPONENT).to_string()
}

/// What `encodeURIComponent` escapes.
const URI_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A Vault API path, as names are (`kv/data/team/a#b`), made into the path of a URL: each
/// segment encoded by [`encode_query_value`], the `/` between them kept (a trailing one
/// too: Vault lists a folder by it). A browser resolves a URL before it sends it, so a name
/// holding `%2e%2e`, `#` or `?` and put in raw would send the request somewhere other than
/// the path shown: a key named `scratch/%2e%2e/prod` would read, and delete, `prod`. A
/// segment that is `.` or `..` has no spelling a browser keeps, so it is refused.
pub fn encode_vault_path(path: &str) -> Result<String, String> {
    let path = path.trim_start_matches('/');
    let mut encoded = String::with_capacity(path.len() + 8);
    for (index, segment) in path.split('/').enumerate() {
        if segment == "." || segment == ".." {
            return Err(format!(
                "The Vault path “{path}” has a “{segment}” segment, which a browser would \
                 resolve into another path: Vaultdeck does not send it."
            ));
        }
        if index > 0 {
            encoded.push('/');
        }
        encoded.push_str(&encode_query_value(segment));
    }
    Ok(encoded)
}

/// `GET sys/seal-status` — answered by Vault without the `data` envelope.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SealStatus {
    /// `type`: the seal type, `shamir` for key shares.
    #[serde(rename = "type", default)]
    pub seal_type: String,
    /// `initialized`
    pub initialized: bool,
    /// `sealed`
    pub sealed: bool,
    /// `t`: the number of key shares needed to unseal.
    #[serde(default)]
    pub t: u32,
    /// `n`: the number of key shares made at initialization.
    #[serde(default)]
    pub n: u32,
    /// `progress`: key shares entered so far in this unseal attempt.
    #[serde(default)]
    pub progress: u32,
    /// `nonce`: identifies the current unseal attempt.
    #[serde(default)]
    pub nonce: String,
    /// `version`
    #[serde(default)]
    pub version: String,
    /// `build_date`
    #[serde(default)]
    pub build_date: String,
    /// `migration`
    #[serde(default)]
    pub migration: bool,
    /// `recovery_seal`
    #[serde(default)]
    pub recovery_seal: bool,
    /// `storage_type`
    #[serde(default)]
    pub storage_type: String,
    /// `cluster_name`: present once unsealed.
    #[serde(default)]
    pub cluster_name: Option<String>,
    /// `cluster_id`: present once unsealed.
    #[serde(default)]
    pub cluster_id: Option<String>,
}

/// Vault's (and the BFF's) error body: `{"errors": ["..."]}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub errors: Vec<String>,
}

/// `GET api/health` and `GET api/ready` of the BFF.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Readiness {
    /// `true` when Vault answered `sys/health` (whatever its seal state).
    pub vault_reachable: bool,
    /// The Vault address the BFF talks to.
    pub vault_addr: String,
    /// `true` when the session store answers (always for `memory`; a `PING` for Redis).
    pub session_store_reachable: bool,
    /// `memory` or `redis`.
    pub session_store: String,
    /// What is not reachable and why, when something is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A secret on the wire (a password, a token, a JWT). `Debug` never shows it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// `POST api/session`: how to log in. `mount` defaults to the method's name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum LoginRequest {
    Token {
        token: Secret,
    },
    Userpass {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mount: Option<String>,
        username: String,
        password: Secret,
    },
    Approle {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mount: Option<String>,
        role_id: String,
        secret_id: Secret,
    },
    Kubernetes {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mount: Option<String>,
        role: String,
        jwt: Secret,
    },
    Jwt {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mount: Option<String>,
        role: String,
        jwt: Secret,
    },
}

impl LoginRequest {
    /// The method's name as the API spells it.
    pub fn method(&self) -> &'static str {
        match self {
            LoginRequest::Token { .. } => "token",
            LoginRequest::Userpass { .. } => "userpass",
            LoginRequest::Approle { .. } => "approle",
            LoginRequest::Kubernetes { .. } => "kubernetes",
            LoginRequest::Jwt { .. } => "jwt",
        }
    }
}

/// The login form's fields, named as the browser posts them when it submits the form
/// itself (`POST login`, form-encoded: the login page a full page load draws runs no WASM)
/// and read the same way by the app: one mapping from the form to a [`LoginRequest`].
/// No `Debug`: `first` is the token when `method` is `token`.
#[derive(Clone, Default, Deserialize)]
pub struct LoginFields {
    /// `token`, `userpass`, `approle`, `kubernetes` or `jwt`; anything else is a JWT login.
    pub method: String,
    /// The auth mount; blank for the method's default path.
    #[serde(default)]
    pub mount: String,
    /// A token, user name, Role ID or role.
    #[serde(default)]
    pub first: String,
    /// A password, Secret ID or JWT.
    #[serde(default)]
    pub second: Secret,
    /// The login page's tab the form was on (see `pages::login`), to draw it again.
    #[serde(default)]
    pub tab: String,
    /// The app path to go to after login (checked by [`crate::routes::return_target`]).
    #[serde(default, rename = "return")]
    pub return_to: String,
}

impl LoginFields {
    /// What the fields ask the BFF to do.
    pub fn request(&self) -> LoginRequest {
        let mount = Some(self.mount.trim().to_string()).filter(|m| !m.is_empty());
        let first = self.first.clone();
        let second = self.second.clone();
        match self.method.as_str() {
            "token" => LoginRequest::Token {
                token: Secret(first),
            },
            "userpass" => LoginRequest::Userpass {
                mount,
                username: first,
                password: second,
            },
            "approle" => LoginRequest::Approle {
                mount,
                role_id: first,
                secret_id: second,
            },
            "kubernetes" => LoginRequest::Kubernetes {
                mount,
                role: first,
                jwt: second,
            },
            _ => LoginRequest::Jwt {
                mount,
                role: first,
                jwt: second,
            },
        }
    }
}

/// `GET api/session`: who is logged in. Never the token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The token's `display_name` (e.g. `userpass-alice`, `root`).
    pub display_name: String,
    /// The token's `policies`.
    pub policies: Vec<String>,
    /// How the user logged in: `token`, `userpass`, …
    pub method: String,
    /// The auth mount used (empty for a token login).
    pub mount: String,
    /// RFC 3339 time the token expires; `None` for tokens that never expire.
    pub expire_time: Option<String>,
    /// Seconds until the token expires (0 when it never does).
    pub ttl: u64,
    /// Whether Vaultdeck keeps renewing the token while the user is active.
    pub renewable: bool,
    /// Seconds of inactivity after which the session ends.
    pub idle_timeout: u64,
}

/// `DELETE api/session`: what logging out did to the session's token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogoutResult {
    pub token: TokenFate,
    /// One sentence for the user that says which was done.
    pub message: String,
}

/// What happened to a session's token at logout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenFate {
    /// Vaultdeck had obtained it by logging in, and Vault revoked it.
    Revoked,
    /// The user logged in with a token they brought: it stays valid, as it was before.
    Kept,
    /// Vaultdeck had obtained it, but Vault could not revoke it: it lives until it expires.
    NotRevoked,
    /// There was no session.
    NoSession,
}

/// `GET api/health`: the process is up and serving.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// Always `ok`: an answer at all is the news.
    pub status: String,
}

/// Why a session is over: the `session` field of a 401 from the BFF, and the login page's
/// `reason`. One list of reasons and their words, for the server and the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionEnd {
    /// The cookie names no session (logged out, idled out of the store, or a restart).
    Missing,
    /// The Vault token reached its expiry.
    Expired,
    /// No activity for longer than the idle timeout.
    Idle,
    /// Vault no longer accepts the token (revoked elsewhere).
    Revoked,
}

impl SessionEnd {
    pub fn code(self) -> &'static str {
        match self {
            SessionEnd::Missing => "missing",
            SessionEnd::Expired => "expired",
            SessionEnd::Idle => "idle",
            SessionEnd::Revoked => "revoked",
        }
    }

    pub fn from_code(code: &str) -> Option<SessionEnd> {
        [
            SessionEnd::Missing,
            SessionEnd::Expired,
            SessionEnd::Idle,
            SessionEnd::Revoked,
        ]
        .into_iter()
        .find(|end| end.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            SessionEnd::Missing => "You are not logged in, or your session has ended.",
            SessionEnd::Expired => "Your Vault token expired. Log in again to continue.",
            SessionEnd::Idle => {
                "Your session ended after a period of inactivity. Log in again to continue."
            }
            SessionEnd::Revoked => {
                "Your Vault token is no longer valid (it was revoked). Log in again to continue."
            }
        }
    }
}

/// The body of a 401 from the BFF: why the session is over, for the login page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionEnded {
    pub errors: Vec<String>,
    /// `expired`, `idle`, `revoked` or `missing`.
    pub session: String,
}

/// Vault's response envelope; the app reads `data` (and `warnings`).
#[derive(Clone, Debug, Deserialize)]
pub struct Envelope<T> {
    pub data: T,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

/// `PUT sys/init` request.
#[derive(Clone, Debug, Serialize)]
pub struct InitRequest {
    pub secret_shares: u32,
    pub secret_threshold: u32,
}

/// `PUT sys/init` answer: the key shares and the first root token, shown once.
#[derive(Clone, Debug, Deserialize)]
pub struct InitResponse {
    /// `keys`: the shares in hex.
    pub keys: Vec<Secret>,
    /// `keys_base64`: the same shares in base64.
    pub keys_base64: Vec<Secret>,
    /// `root_token`
    pub root_token: Secret,
}

/// A mount as `sys/mounts`, `sys/auth` and `sys/internal/ui/mounts` list it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct MountInfo {
    /// `type`
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub accessor: String,
    #[serde(default)]
    pub local: bool,
    #[serde(default)]
    pub config: MountConfig,
    /// `options`, e.g. `{"version": "2"}` for KV v2.
    #[serde(default)]
    pub options: Option<std::collections::BTreeMap<String, String>>,
}

/// `sys/internal/ui/mounts`: the mounts the token may see (any token may ask; without one,
/// those listed as `unauth`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct UiMounts {
    #[serde(default)]
    pub auth: std::collections::BTreeMap<String, MountInfo>,
    #[serde(default)]
    pub secret: std::collections::BTreeMap<String, MountInfo>,
}

impl MountInfo {
    /// KV's version; `generic` (KV's name before Vault 0.8, which such mounts keep as
    /// their type) is version 1.
    pub fn kv_version(&self) -> Option<u8> {
        (self.kind == "kv" || self.kind == "generic").then(|| {
            match self
                .options
                .as_ref()
                .and_then(|o| o.get("version"))
                .map(String::as_str)
            {
                Some("2") => 2,
                _ => 1,
            }
        })
    }
}

/// A mount's `config` in the mount tables (0 TTLs mean "the system default").
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct MountConfig {
    #[serde(default)]
    pub default_lease_ttl: u64,
    #[serde(default)]
    pub max_lease_ttl: u64,
    #[serde(default)]
    pub listing_visibility: String,
    #[serde(default)]
    pub token_type: String,
}

/// `GET sys/mounts/:path/tune` (effective settings).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct TuneSettings {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub default_lease_ttl: u64,
    #[serde(default)]
    pub max_lease_ttl: u64,
    #[serde(default)]
    pub listing_visibility: String,
    #[serde(default)]
    pub token_type: String,
    #[serde(default)]
    pub options: Option<std::collections::BTreeMap<String, String>>,
}

/// A KV v2 mount's `config`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KvConfig {
    pub max_versions: u64,
    pub cas_required: bool,
    /// Go duration text, e.g. `0s`, `3h25m19s`.
    pub delete_version_after: String,
}

/// `auth/token/lookup-self` data: what the app shows, and what the BFF keeps of a session's
/// token. Never the `id` (the token itself).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct TokenLookup {
    /// `accessor`: names the token without being able to use it (kept by the BFF).
    #[serde(default)]
    pub accessor: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub policies: Vec<String>,
    /// `ttl`: seconds left, rounded down; 0 for a token that never expires.
    #[serde(default)]
    pub ttl: u64,
    /// `expire_time`: RFC 3339 to the nanosecond; `null` for a token that never expires.
    #[serde(default)]
    pub expire_time: Option<String>,
    #[serde(default)]
    pub renewable: bool,
    #[serde(default)]
    pub path: String,
    #[serde(default, rename = "type")]
    pub token_type: String,
    #[serde(default)]
    pub orphan: bool,
}

/// `GET sys/plugins/catalog`: the plugin types the server can mount, by kind.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct PluginCatalog {
    /// `auth`: auth method types.
    #[serde(default)]
    pub auth: Vec<String>,
    /// `secret`: secrets engine types.
    #[serde(default)]
    pub secret: Vec<String>,
}

/// `GET sys/leader`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct LeaderStatus {
    #[serde(default)]
    pub ha_enabled: bool,
    #[serde(default)]
    pub is_self: bool,
    #[serde(default)]
    pub leader_address: String,
}

#[cfg(test)]
mod tests {
    use super::encode_vault_path;

    /// The path a browser requests for the app's URL, resolved as WHATWG says.
    fn requested(vault_path: &str) -> String {
        let page = url::Url::parse("https://vault.example/ui/").unwrap();
        let relative = format!("api/vault/v1/{}", encode_vault_path(vault_path).unwrap());
        let resolved = page.join(&relative).unwrap();
        assert_eq!(resolved.query(), None, "{resolved}");
        assert_eq!(resolved.fragment(), None, "{resolved}");
        resolved.path().to_string()
    }

    #[test]
    fn a_name_stays_the_path_the_user_sees() {
        for (name, sent) in [
            (
                "secret/metadata/scratch/%2e%2e/%2e%2e/sys/mounts/secret",
                "/ui/api/vault/v1/secret/metadata/scratch/%252e%252e/%252e%252e/sys/mounts/secret",
            ),
            (
                "secret/data/prod/db#old",
                "/ui/api/vault/v1/secret/data/prod/db%23old",
            ),
            ("secret/data/a?b", "/ui/api/vault/v1/secret/data/a%3Fb"),
            (
                "secret/data/a\\..\\b",
                "/ui/api/vault/v1/secret/data/a%5C..%5Cb",
            ),
            ("secret/data/.%2E", "/ui/api/vault/v1/secret/data/.%252E"),
            (
                "kv/metadata/team a/",
                "/ui/api/vault/v1/kv/metadata/team%20a/",
            ),
            (
                "kv/data/ключ",
                "/ui/api/vault/v1/kv/data/%D0%BA%D0%BB%D1%8E%D1%87",
            ),
            ("/sys/seal-status", "/ui/api/vault/v1/sys/seal-status"),
        ] {
            assert_eq!(requested(name), sent, "{name}");
        }
    }

    #[test]
    fn a_dot_segment_is_refused_not_resolved() {
        for name in [
            "secret/data/x/../prod/db",
            "secret/data/./db",
            "secret/metadata/..",
        ] {
            let refused = encode_vault_path(name).unwrap_err();
            assert!(refused.contains("does not send it"), "{name}: {refused}");
        }
        assert!(
            encode_vault_path("secret/data/...").is_ok(),
            "three dots are a name"
        );
    }
}
