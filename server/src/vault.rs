//! The one client for Vault's HTTP API. It holds no token: callers pass the session's token
//! per call, so one shared `reqwest::Client` serves every user.
//!
//! Two layers: [`VaultClient::send`] for the passthrough (any method and path, the answer
//! relayed as it is), and typed calls for what the BFF does itself (log in, look a token
//! up, renew, revoke, capabilities, read, list), each turning Vault's answer or refusal into
//! a type in one place.

use crate::{error::ApiError, vault_path::VaultPath};
use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::Value;
use std::{collections::BTreeMap, path::Path, sync::Arc, time::Duration};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use vaultdeck_app::wire::TokenLookup;

/// A Vault token. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct VaultToken(String);

impl VaultToken {
    pub fn new(token: impl Into<String>) -> Self {
        VaultToken(token.into())
    }
    /// The token itself, for the `X-Vault-Token` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for VaultToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultToken(<redacted>)")
    }
}

impl std::fmt::Display for VaultToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How to reach Vault: its address and TLS settings.
#[derive(Clone, Debug)]
pub struct VaultSettings {
    pub addr: reqwest::Url,
    pub ca_cert: Option<std::path::PathBuf>,
    pub skip_verify: bool,
    pub namespace: Option<String>,
    pub timeout: Duration,
    /// At most this many requests to Vault at once (and connections open to it).
    pub max_connections: usize,
}

#[derive(Clone)]
pub struct VaultClient {
    http: reqwest::Client,
    addr: reqwest::Url,
    namespace: Option<String>,
    timeout: Duration,
    connections: Arc<Semaphore>,
}

/// One call to Vault, as the passthrough and the BFF's own handlers make it.
pub struct VaultRequest<'a> {
    pub method: Method,
    pub path: &'a VaultPath,
    pub query: Option<&'a str>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub token: Option<&'a VaultToken>,
}

/// The largest answer read from Vault. Answers are held in memory until the browser has
/// taken them (see [`Upstream`]); Vault caps a request at 32 MiB by default
/// (`max_request_size`), so stored data comes back smaller than this.
const MOST_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// Vault's answer, read in full. The connection's share of the cap is given back as soon as
/// Vault has finished answering, never later: if it waited for the browser to take the
/// body, a client that stops reading (an HTTP/2 stream with no window, a socket left
/// unread) would hold a connection to Vault for as long as it liked, and a few dozen such
/// requests, with no session, would leave every user waiting for a slot.
pub struct Upstream {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Bytes,
}

impl Upstream {
    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn headers(&self) -> &reqwest::header::HeaderMap {
        &self.headers
    }

    pub fn body(&self) -> &Bytes {
        &self.body
    }

    pub fn into_body(self) -> Bytes {
        self.body
    }
}

/// An address as people may see it: a user name and password in it (for a proxy in front
/// of Vault that wants them) are used, never shown, since `api/ready` shows the address to
/// anyone who can reach Vaultdeck.
pub fn shown_addr(addr: &reqwest::Url) -> String {
    let mut shown = addr.clone();
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.as_str().trim_end_matches('/').to_string()
}

/// The token as a header value marked sensitive: HTTP/2 then never adds it to HPACK's
/// tables, and `Debug` of the headers shows no token.
fn token_header(token: &VaultToken) -> Result<reqwest::header::HeaderValue, ApiError> {
    let mut value = reqwest::header::HeaderValue::from_str(token.expose()).map_err(|_| {
        ApiError::BadRequest("The token holds characters an HTTP header cannot carry.".into())
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// A status that sends a client elsewhere; 304 (Not Modified) is a 3xx that does not.
fn is_redirect(status: reqwest::StatusCode) -> bool {
    status.is_redirection() && status != reqwest::StatusCode::NOT_MODIFIED
}

impl VaultClient {
    pub fn new(settings: &VaultSettings) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(Duration::from_secs(5))
            // A redirect is answered as an error (`redirect_error`), never followed: a
            // followed redirect re-sends `X-Vault-Token` to wherever `Location` points.
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(settings.max_connections)
            .danger_accept_invalid_certs(settings.skip_verify);
        if let Some(path) = &settings.ca_cert {
            for cert in read_ca_certs(path)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        Ok(VaultClient {
            http: builder.build()?,
            addr: settings.addr.clone(),
            namespace: settings.namespace.clone(),
            timeout: settings.timeout,
            connections: Arc::new(Semaphore::new(settings.max_connections.max(1))),
        })
    }

    pub fn addr(&self) -> &reqwest::Url {
        &self.addr
    }

    /// `VAULT_ADDR`'s own path (kept: Vault may sit under a prefix), then `/v1/`, then the
    /// checked path.
    fn url_of(&self, path: &VaultPath, query: Option<&str>) -> reqwest::Url {
        let mut url = self.addr.clone();
        let prefix = self.addr.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}/v1/{}", path.encoded()));
        url.set_query(query.filter(|q| !q.is_empty()));
        url
    }

    /// Sends one request to Vault. Transport failures become 502/504 errors naming the
    /// address; Vault's own answers, errors included, are returned as they are.
    pub async fn send(&self, request: VaultRequest<'_>) -> Result<Upstream, ApiError> {
        let permit = self.connection_slot().await?;
        let method = crate::metrics::method_label(&request.method);
        let started = std::time::Instant::now();
        let mut builder = self
            .http
            .request(request.method, self.url_of(request.path, request.query))
            .headers(request.headers)
            .body(request.body);
        if let Some(token) = request.token {
            builder = builder.header("X-Vault-Token", token_header(token)?);
        }
        if let Some(namespace) = &self.namespace {
            builder = builder.header("X-Vault-Namespace", namespace);
        }
        let mut response = builder.send().await.map_err(|e| self.transport_error(&e))?;
        if is_redirect(response.status()) {
            crate::metrics::vault_answered(method, started.elapsed());
            return Err(self.redirect_error(&response));
        }
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let body = self.read_answer(response).await?;
        drop(permit);
        crate::metrics::vault_answered(method, started.elapsed());
        if status.is_server_error() {
            crate::metrics::vault_failed("server_error");
        }
        Ok(Upstream {
            status: status.as_u16(),
            headers,
            body,
        })
    }

    /// The whole body, up to [`MOST_ANSWER_BYTES`].
    async fn read_answer(&self, mut response: reqwest::Response) -> Result<Bytes, ApiError> {
        let too_large = || {
            crate::metrics::vault_failed("too_large");
            ApiError::Unrelayable(format!(
                "Vault's answer is larger than {} MiB, the most Vaultdeck relays.",
                MOST_ANSWER_BYTES / (1024 * 1024)
            ))
        };
        match response.content_length() {
            Some(length) if length > MOST_ANSWER_BYTES as u64 => return Err(too_large()),
            // One allocation, no copy: the usual case (Go sends small answers with a length).
            Some(_) => return response.bytes().await.map_err(|e| self.transport_error(&e)),
            None => {}
        }
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&e))?
        {
            if body.len() + chunk.len() > MOST_ANSWER_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    /// Vault answered a redirect: a standby that does not forward requests points at the
    /// active node. Following it would hand the caller's token to an address nobody
    /// configured here, so the answer is an error naming where it pointed (its origin only:
    /// the path and query may carry values).
    fn redirect_error(&self, response: &reqwest::Response) -> ApiError {
        crate::metrics::vault_failed("redirect");
        let to = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .and_then(|location| response.url().join(location).ok())
            .map(|target| target.origin().ascii_serialization())
            .unwrap_or_else(|| "an unreadable location".to_string());
        ApiError::VaultRedirected {
            addr: self.addr_shown(),
            status: response.status().as_u16(),
            to,
        }
    }

    /// Waits for a free connection, as long as a request may take.
    async fn connection_slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        let slot = self.connections.clone().acquire_owned();
        match tokio::time::timeout(self.timeout, slot).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::VaultTimeout {
                addr: self.addr_shown(),
                seconds: self.timeout.as_secs(),
            }),
        }
    }

    /// Vault's address as Vaultdeck shows it (readiness, errors).
    pub fn addr_shown(&self) -> String {
        shown_addr(&self.addr)
    }

    fn transport_error(&self, error: &reqwest::Error) -> ApiError {
        crate::metrics::vault_failed(if error.is_timeout() {
            "timeout"
        } else {
            "unreachable"
        });
        if error.is_timeout() {
            return ApiError::VaultTimeout {
                addr: self.addr_shown(),
                seconds: self.timeout.as_secs(),
            };
        }
        ApiError::VaultUnreachable {
            addr: self.addr_shown(),
            detail: root_cause(error),
        }
    }

    /// A JSON call the BFF makes itself; `path` is percent-encoded like a browser's.
    pub async fn call_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&VaultToken>,
        body: Option<&Value>,
    ) -> Result<VaultAnswer, ApiError> {
        let path = VaultPath::parse(path)?;
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            "application/json".parse().expect("static header"),
        );
        let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let upstream = self
            .send(VaultRequest {
                method,
                path: &path,
                query: None,
                headers,
                body,
                token,
            })
            .await?;
        let body = serde_json::from_slice(upstream.body()).unwrap_or(Value::Null);
        Ok(VaultAnswer {
            status: upstream.status(),
            body,
        })
    }

    /// Logs in at `path` (e.g. `auth/userpass/login/alice`): the `auth` block, or Vault's
    /// refusal with its status and words.
    pub async fn login(&self, path: &str, body: &Value) -> Result<AuthBlock, ApiError> {
        let answer = self
            .call_json(Method::POST, path, None, Some(body))
            .await?
            .success()?;
        answer.field("auth")
    }

    /// `auth/token/lookup-self`: what Vault knows of the token.
    pub async fn lookup_self(&self, token: &VaultToken) -> Result<TokenLookup, ApiError> {
        self.call_json(Method::GET, "auth/token/lookup-self", Some(token), None)
            .await?
            .success()?
            .field("data")
    }

    /// `auth/token/renew-self`, for the token's own increment.
    pub async fn renew_self(&self, token: &VaultToken) -> Result<AuthBlock, ApiError> {
        self.call_json(Method::POST, "auth/token/renew-self", Some(token), None)
            .await?
            .success()?
            .field("auth")
    }

    /// `auth/token/revoke-self`.
    pub async fn revoke_self(&self, token: &VaultToken) -> Result<(), ApiError> {
        self.call_json(Method::POST, "auth/token/revoke-self", Some(token), None)
            .await?
            .success()
            .map(|_| ())
    }

    /// `Some(false)` when Vault says the token does not exist; `None` when it cannot tell.
    pub async fn token_is_valid(&self, token: &VaultToken) -> Option<bool> {
        match self.lookup_self(token).await {
            Ok(_) => Some(true),
            Err(ApiError::Vault { status: 403, .. }) => Some(false),
            Err(_) => None,
        }
    }

    /// The capabilities `token` has on `path`, as Vault says (`sys/capabilities-self`).
    pub async fn capabilities_self(
        &self,
        token: &VaultToken,
        path: &str,
    ) -> Result<Vec<String>, ApiError> {
        let answer = self
            .call_json(
                Method::POST,
                "sys/capabilities-self",
                Some(token),
                Some(&serde_json::json!({ "paths": [path] })),
            )
            .await?
            .success()?;
        // Vault puts the answer under `data` and, for older clients, at the top level too.
        let granted = answer.body["data"]
            .get(path)
            .or_else(|| answer.body.get(path))
            .cloned()
            .unwrap_or(Value::Null);
        Ok(serde_json::from_value(granted).unwrap_or_default())
    }

    /// `GET path`: its `data`, read as `T`.
    pub async fn read<T: DeserializeOwned>(
        &self,
        token: &VaultToken,
        path: &str,
    ) -> Result<T, ApiError> {
        self.call_json(Method::GET, path, Some(token), None)
            .await?
            .success()?
            .field("data")
    }

    /// `LIST path`: its keys; none when Vault answers 404 (how it says "empty").
    pub async fn list(
        &self,
        token: Option<&VaultToken>,
        path: &str,
    ) -> Result<Vec<String>, ApiError> {
        let method = Method::from_bytes(b"LIST").expect("LIST is a valid method");
        let answer = self.call_json(method, path, token, None).await?;
        if answer.status == 404 {
            return Ok(Vec::new());
        }
        #[derive(Deserialize)]
        struct Keys {
            #[serde(default)]
            keys: Vec<String>,
        }
        Ok(answer.success()?.field::<Keys>("data")?.keys)
    }

    /// Whether Vault answers `sys/health` at all, whatever its seal state.
    pub async fn reachable(&self) -> Result<(), ApiError> {
        let path = VaultPath::parse("sys/health")?;
        self.send(VaultRequest {
            method: Method::GET,
            path: &path,
            query: Some("standbyok=true&perfstandbyok=true&sealedcode=200&uninitcode=200"),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            token: None,
        })
        .await
        .map(|_| ())
    }
}

/// Vault's answer to a call the BFF made itself.
#[derive(Debug)]
pub struct VaultAnswer {
    pub status: u16,
    pub body: Value,
}

impl VaultAnswer {
    /// Vault's error messages, for passing on.
    pub fn errors(&self) -> Vec<String> {
        serde_json::from_value(self.body["errors"].clone()).unwrap_or_default()
    }

    /// The answer if Vault said yes (2xx); else its refusal, status and words kept.
    pub fn success(self) -> Result<VaultAnswer, ApiError> {
        if (200..300).contains(&self.status) {
            return Ok(self);
        }
        let mut errors = self.errors();
        if errors.is_empty() {
            errors.push(format!("Vault answered HTTP {}", self.status));
        }
        Err(ApiError::Vault {
            status: self.status,
            errors,
        })
    }

    /// One top-level field of the answer (`data`, `auth`), read as `T`.
    pub fn field<T: DeserializeOwned>(&self, name: &str) -> Result<T, ApiError> {
        T::deserialize(&self.body[name]).map_err(|e| {
            ApiError::Internal(format!("Vault's answer has an unexpected `{name}`: {e}"))
        })
    }
}

/// The `auth` block of a login, a token creation or a renewal.
#[derive(Debug, Deserialize)]
pub struct AuthBlock {
    pub client_token: VaultToken,
    #[serde(default)]
    pub policies: Vec<String>,
    /// Seconds; 0 for a token that never expires.
    #[serde(default)]
    pub lease_duration: u64,
    #[serde(default)]
    pub renewable: bool,
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
}

/// The innermost error message, e.g. "Connection refused (os error 111)".
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

fn read_ca_certs(path: &Path) -> anyhow::Result<Vec<reqwest::Certificate>> {
    let pem =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("VAULT_CACERT {}: {e}", path.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        anyhow::anyhow!(
            "VAULT_CACERT {}: not a PEM certificate: {e}",
            path.display()
        )
    })?;
    if certs.is_empty() {
        anyhow::bail!("VAULT_CACERT {}: no certificate found", path.display());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_header_is_sensitive_and_a_broken_token_is_refused() {
        assert!(token_header(&VaultToken::new("s.abc"))
            .unwrap()
            .is_sensitive());
        assert!(token_header(&VaultToken::new("s.abc\r\nX-Other: 1")).is_err());
    }

    #[test]
    fn tokens_never_print() {
        let token = VaultToken::new("hvs.very-secret");
        assert_eq!(format!("{token:?}"), "VaultToken(<redacted>)");
        assert_eq!(format!("{token}"), "<redacted>");
    }

    #[test]
    fn every_status_that_points_elsewhere_is_a_redirect() {
        let redirect = |code: u16| is_redirect(reqwest::StatusCode::from_u16(code).unwrap());
        for code in [300, 301, 302, 303, 307, 308] {
            assert!(redirect(code), "{code}");
        }
        for code in [200, 204, 304, 400, 404, 500] {
            assert!(!redirect(code), "{code}");
        }
    }

    fn client(addr: &str) -> VaultClient {
        VaultClient::new(&VaultSettings {
            addr: addr.parse().unwrap(),
            ca_cert: None,
            skip_verify: false,
            namespace: None,
            timeout: Duration::from_secs(1),
            max_connections: 4,
        })
        .unwrap()
    }

    #[test]
    fn vault_addr_keeps_its_path_prefix() {
        let path = VaultPath::parse("kv/data/a%20b").unwrap();
        let behind_prefix = client("https://gateway.example/vault/");
        assert_eq!(
            behind_prefix.url_of(&path, Some("version=2")).as_str(),
            "https://gateway.example/vault/v1/kv/data/a%20b?version=2"
        );
        let plain = client("http://127.0.0.1:8200");
        assert_eq!(
            plain.url_of(&path, None).as_str(),
            "http://127.0.0.1:8200/v1/kv/data/a%20b"
        );
    }
}
