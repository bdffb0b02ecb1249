//! The one client for Vault's HTTP API. It holds no token: callers pass the session's token
//! per call, so one shared `reqwest::Client` serves every user.

use crate::error::ApiError;
use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use std::{path::Path, time::Duration};

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
}

#[derive(Clone)]
pub struct VaultClient {
    http: reqwest::Client,
    addr: reqwest::Url,
    namespace: Option<String>,
    timeout: Duration,
}

/// One call to Vault, as the passthrough and the BFF's own handlers make it.
pub struct VaultRequest<'a> {
    pub method: Method,
    /// Path below `/v1/`, e.g. `sys/seal-status`, without a leading slash.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub token: Option<&'a VaultToken>,
}

impl VaultClient {
    pub fn new(settings: &VaultSettings) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(Duration::from_secs(5))
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
        })
    }

    pub fn addr(&self) -> &reqwest::Url {
        &self.addr
    }

    /// Sends one request to Vault. Transport failures become 502/504 errors naming the
    /// address; Vault's own answers, errors included, are returned as they are.
    pub async fn send(&self, request: VaultRequest<'_>) -> Result<reqwest::Response, ApiError> {
        let mut url = self.addr.clone();
        url.set_path(&format!("/v1/{}", request.path.trim_start_matches('/')));
        url.set_query(request.query.filter(|q| !q.is_empty()));
        let mut builder = self
            .http
            .request(request.method, url)
            .headers(request.headers)
            .body(request.body);
        if let Some(token) = request.token {
            builder = builder.header("X-Vault-Token", token.expose());
        }
        if let Some(namespace) = &self.namespace {
            builder = builder.header("X-Vault-Namespace", namespace);
        }
        builder.send().await.map_err(|e| self.transport_error(&e))
    }

    fn transport_error(&self, error: &reqwest::Error) -> ApiError {
        let addr = self.addr.as_str().trim_end_matches('/').to_string();
        if error.is_timeout() {
            return ApiError::VaultTimeout {
                addr,
                seconds: self.timeout.as_secs(),
            };
        }
        ApiError::VaultUnreachable {
            addr,
            detail: root_cause(error),
        }
    }

    /// A JSON call the BFF makes itself (login, lookup, renewal, revocation).
    pub async fn call_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&VaultToken>,
        body: Option<&serde_json::Value>,
    ) -> Result<VaultAnswer, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            "application/json".parse().expect("static header"),
        );
        let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let response = self
            .send(VaultRequest {
                method,
                path,
                query: None,
                headers,
                body,
                token,
            })
            .await?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| self.transport_error(&e))?;
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        Ok(VaultAnswer { status, body })
    }

    /// `Some(false)` when Vault says the token does not exist; `None` when it cannot tell.
    pub async fn token_is_valid(&self, token: &VaultToken) -> Option<bool> {
        match self
            .call_json(Method::GET, "auth/token/lookup-self", Some(token), None)
            .await
        {
            Ok(answer) if answer.status == 200 => Some(true),
            Ok(answer) if answer.status == 403 => Some(false),
            _ => None,
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
            .await?;
        if answer.status != 200 {
            return Err(ApiError::Vault {
                status: answer.status,
                errors: answer.errors(),
            });
        }
        // Vault puts the answer under `data` and, for older clients, at the top level too.
        let granted = answer.body["data"]
            .get(path)
            .or_else(|| answer.body.get(path));
        Ok(granted
            .and_then(serde_json::Value::as_array)
            .map(|caps| {
                caps.iter()
                    .filter_map(|c| c.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Whether Vault answers `sys/health` at all, whatever its seal state.
    pub async fn reachable(&self) -> Result<(), ApiError> {
        self.send(VaultRequest {
            method: Method::GET,
            path: "sys/health",
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
    pub body: serde_json::Value,
}

impl VaultAnswer {
    /// Vault's error messages, for passing on.
    pub fn errors(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
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
    fn tokens_never_print() {
        let token = VaultToken::new("hvs.very-secret");
        assert_eq!(format!("{token:?}"), "VaultToken(<redacted>)");
        assert_eq!(format!("{token}"), "<redacted>");
    }
}
