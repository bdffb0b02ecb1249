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
    Ok(relay(response))
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
    for name in RELAYED_RESPONSE_HEADERS {
        if let Some(value) = response.headers().get(*name) {
            relayed = relayed.header(*name, value.as_bytes());
        }
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
