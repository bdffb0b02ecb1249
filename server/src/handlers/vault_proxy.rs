//! `ANY api/vault/v1/{path}`: the Vault passthrough.
//!
//! Method (including `LIST`), query and body go to Vault unchanged; the browser's own
//! credentials (`X-Vault-Token`, `Authorization`, cookies) never do. Vault's status and body
//! come back as they are.

use crate::{
    error::ApiError,
    session::{CurrentSession, SessionEnd},
    state::AppState,
    vault::VaultRequest,
};
use axum::{
    body::Body,
    extract::{OriginalUri, State},
    http::{header, HeaderMap, HeaderName, Method, Uri},
    response::{IntoResponse, Response},
};
use bytes::Bytes;

/// Request headers worth passing on to Vault. Everything else (cookies, tokens, hop-by-hop
/// headers, the browser's fingerprint) stays here.
const FORWARDED_REQUEST_HEADERS: &[&str] = &[
    "content-type",
    "accept",
    "x-vault-wrap-ttl",
    "x-vault-index",
    "x-vault-inconsistent",
];

/// Vault response headers the browser may see.
const RELAYED_RESPONSE_HEADERS: &[&str] = &["content-type", "retry-after", "x-vault-index"];

pub async fn forward_to_vault(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let path = vault_path(&state.api_prefix("vault/v1/"), &uri).ok_or(ApiError::NotFound)?;
    let token = session.as_ref().map(|s| &s.record.token);
    let response = state
        .vault
        .send(VaultRequest {
            method,
            path,
            query: uri.query(),
            headers: forwardable(&headers),
            body,
            token,
        })
        .await?;
    // A 403 may mean the token was revoked elsewhere: then the session is over, and the
    // app should send the user to log in rather than show "permission denied".
    if let (Some(active), 403) = (&session, response.status().as_u16()) {
        if state.vault.token_is_valid(&active.record.token).await == Some(false) {
            state.sessions.end(&active.id).await?;
            return Err(ApiError::SessionEnded(SessionEnd::Revoked));
        }
    }
    match &session {
        Some(active) => relay_redacted(response, active.record.token.expose()).await,
        None => Ok(relay(response)),
    }
}

/// What the browser sees where Vault's answer contained the session's own token.
pub const REDACTED: &str = "(redacted by Vaultdeck)";

/// Relays Vault's answer with the session's token blanked out wherever it appears:
/// `lookup-self` answers with the token as `data.id`, `renew-self` as
/// `auth.client_token`, and the browser must never hold it.
async fn relay_redacted(response: reqwest::Response, token: &str) -> Result<Response, ApiError> {
    let status = response.status().as_u16();
    let headers = relayed_headers(response.headers());
    let body = response
        .bytes()
        .await
        .map_err(|e| ApiError::Internal(format!("reading Vault's answer: {e}")))?;
    let body = redact(&body, token);
    let mut relayed = Response::builder().status(status);
    for (name, value) in headers {
        relayed = relayed.header(name, value);
    }
    relayed
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from(body))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

fn relayed_headers(headers: &reqwest::header::HeaderMap) -> Vec<(&'static str, Vec<u8>)> {
    RELAYED_RESPONSE_HEADERS
        .iter()
        .filter_map(|name| headers.get(*name).map(|v| (*name, v.as_bytes().to_vec())))
        .collect()
}

fn redact(body: &[u8], token: &str) -> Vec<u8> {
    let needle = token.as_bytes();
    if needle.is_empty() || !body.windows(needle.len()).any(|w| w == needle) {
        return body.to_vec();
    }
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(REDACTED.as_bytes());
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// The Vault path of a passthrough URI, still percent-encoded as the browser sent it.
fn vault_path<'a>(prefix: &str, uri: &'a Uri) -> Option<&'a str> {
    uri.path().strip_prefix(prefix)
}

fn forwardable(headers: &HeaderMap) -> HeaderMap {
    let mut kept = HeaderMap::new();
    for name in FORWARDED_REQUEST_HEADERS {
        for value in headers.get_all(*name) {
            kept.append(HeaderName::from_static(name), value.clone());
        }
    }
    kept
}

/// Turns Vault's answer into the browser's, streaming the body.
pub fn relay(response: reqwest::Response) -> Response {
    let mut relayed = Response::builder().status(response.status().as_u16());
    for (name, value) in relayed_headers(response.headers()) {
        relayed = relayed.header(name, value);
    }
    relayed
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from_stream(response.bytes_stream()))
        .unwrap_or_else(|e| ApiError::Internal(e.to_string()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_headers_are_forwarded() {
        let mut headers = HeaderMap::new();
        headers.insert("x-vault-token", "browser-token".parse().unwrap());
        headers.insert("authorization", "Bearer x".parse().unwrap());
        headers.insert("cookie", "vaultdeck_session=abc".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        let kept = forwardable(&headers);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept["content-type"], "application/json");
    }

    #[test]
    fn the_sessions_token_is_blanked_out() {
        let body =
            br#"{"data":{"id":"hvs.secret","accessor":"x"},"auth":{"client_token":"hvs.secret"}}"#;
        let redacted = String::from_utf8(redact(body, "hvs.secret")).unwrap();
        assert!(!redacted.contains("hvs.secret"));
        assert_eq!(redacted.matches(REDACTED).count(), 2);
        assert_eq!(redact(b"nothing here", "hvs.secret"), b"nothing here");
    }

    #[test]
    fn path_keeps_its_encoding() {
        let uri: Uri = "/ui/api/vault/v1/kv/data/a%20b/c?version=2"
            .parse()
            .unwrap();
        assert_eq!(
            vault_path("/ui/api/vault/v1/", &uri),
            Some("kv/data/a%20b/c")
        );
    }
}
