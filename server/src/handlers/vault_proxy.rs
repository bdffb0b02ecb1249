//! `ANY api/vault/v1/{path}`: the Vault passthrough.
//!
//! Method (including `LIST`), query and body go to Vault unchanged; the browser's own
//! credentials (`X-Vault-Token`, `Authorization`, cookies) never do. The path is checked
//! before anything is sent (`vault_path`), and nothing that would hand the browser a token
//! is forwarded or relayed (`custody`). Vault's status and body come back as they are;
//! answers that cannot hold a token go through unparsed.

use crate::{
    custody,
    error::ApiError,
    session::{ActiveSession, CurrentSession, SessionEnd},
    state::AppState,
    vault::{Upstream, VaultRequest},
    vault_path::VaultPath,
};
use axum::{
    body::Body,
    extract::{OriginalUri, State},
    http::{header, HeaderMap, HeaderName, Method},
    response::{IntoResponse, Response},
};
use bytes::Bytes;

/// Request headers worth passing on to Vault. Everything else (cookies, tokens, hop-by-hop
/// headers, the browser's fingerprint, wrapping requests) stays here.
const FORWARDED_REQUEST_HEADERS: &[&str] = &[
    "content-type",
    "accept",
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
    let raw_path = uri
        .path()
        .strip_prefix(&state.api_prefix("vault/v1/"))
        .ok_or(ApiError::NotFound)?;
    let path = VaultPath::parse(raw_path)?;
    custody::refuse_token_minting(&path, &headers)?;
    let upstream = state
        .vault
        .send(VaultRequest {
            method,
            path: &path,
            query: uri.query(),
            headers: forwardable(&headers),
            body,
            token: session.as_ref().map(|s| &s.record.token),
        })
        .await?;
    if let Some(active) = &session {
        end_session_if_token_gone(&state, active, upstream.status()).await?;
    }
    if custody::may_carry_token(&path) {
        relay_without_tokens(upstream, &path)
    } else {
        Ok(relay(upstream))
    }
}

/// A 403 may mean the token was revoked elsewhere: then the session is over, and the app
/// should send the user to log in rather than show "permission denied".
async fn end_session_if_token_gone(
    state: &AppState,
    active: &ActiveSession,
    status: u16,
) -> Result<(), ApiError> {
    if status == 403 && state.vault.token_is_valid(&active.record.token).await == Some(false) {
        state.sessions.end(&active.id).await?;
        return Err(ApiError::SessionEnded(SessionEnd::Revoked));
    }
    Ok(())
}

/// Relays an answer that may hold a token with every token field blanked (see `custody`).
fn relay_without_tokens(upstream: Upstream, path: &VaultPath) -> Result<Response, ApiError> {
    let status = upstream.status();
    let headers = relayed_headers(upstream.headers());
    let bytes = upstream.into_body();
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut answer) => match custody::blank_token_fields(path, &mut answer) {
            true => Bytes::from(answer.to_string()),
            false => bytes,
        },
        // An empty answer (a 204) holds nothing; anything else unread might.
        Err(_) if bytes.trim_ascii().is_empty() => bytes,
        // Vault's own error status is kept (a proxy's 503 page in front of it stays a 503);
        // any other status (2xx, and a 1xx or 3xx with a body) becomes a 502.
        Err(error) => {
            let message = format!(
                "Vault's answer from {} could not be read ({error}), and answers from there \
                 may hold a token, which Vaultdeck never relays unread.",
                path.decoded()
            );
            return Err(match status {
                400.. => ApiError::Vault {
                    status,
                    errors: vec![message],
                },
                _ => ApiError::Unrelayable(message),
            });
        }
    };
    Ok(response(status, headers, Body::from(body)))
}

/// Turns Vault's answer into the browser's, byte for byte (the compression layer may still
/// compress it on the way out).
pub fn relay(upstream: Upstream) -> Response {
    let status = upstream.status();
    let headers = relayed_headers(upstream.headers());
    response(status, headers, Body::from(upstream.into_body()))
}

fn response(status: u16, headers: Vec<(&'static str, Vec<u8>)>, body: Body) -> Response {
    let mut relayed = Response::builder().status(status);
    for (name, value) in headers {
        relayed = relayed.header(name, value);
    }
    relayed
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
        .unwrap_or_else(|e| ApiError::Internal(e.to_string()).into_response())
}

fn relayed_headers(headers: &reqwest::header::HeaderMap) -> Vec<(&'static str, Vec<u8>)> {
    RELAYED_RESPONSE_HEADERS
        .iter()
        .filter_map(|name| headers.get(*name).map(|v| (*name, v.as_bytes().to_vec())))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_headers_are_forwarded() {
        let mut headers = HeaderMap::new();
        headers.insert("x-vault-token", "browser-token".parse().unwrap());
        headers.insert("authorization", "Bearer x".parse().unwrap());
        headers.insert("cookie", "vaultdeck_session=abc".parse().unwrap());
        headers.insert("x-vault-wrap-ttl", "60".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        let kept = forwardable(&headers);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept["content-type"], "application/json");
    }
}
