//! The typed client for the BFF's API, used by every page.
//!
//! URLs are relative (`api/...`, no leading slash) so the browser resolves them against
//! `document.baseURI`; the app never needs to know its own prefix. Every request carries
//! `X-Requested-With: vaultdeck`, which the BFF's CSRF check requires.

use crate::wire::ErrorBody;
use gloo_net::http::{Method, RequestBuilder, Response};
use serde::{de::DeserializeOwned, Serialize};
use std::fmt;

/// A failed call: the HTTP status (0 when the BFF could not be reached at all) and the
/// messages from the `{"errors": [...]}` body, which carry Vault's own error text.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub errors: Vec<String>,
}

impl ApiError {
    fn network(detail: impl fmt::Display) -> Self {
        ApiError {
            status: 0,
            errors: vec![format!("Vaultdeck's server could not be reached: {detail}")],
        }
    }

    /// All messages joined for display.
    pub fn message(&self) -> String {
        if self.errors.is_empty() {
            format!("request failed with HTTP status {}", self.status)
        } else {
            self.errors.join("; ")
        }
    }

    /// The BFF answers 502 when Vault itself is unreachable, 504 when it timed out.
    pub fn is_vault_unreachable(&self) -> bool {
        matches!(self.status, 502 | 504)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// The path of a Vault API call through the BFF's passthrough, e.g. `sys/seal-status`.
pub fn vault_url(path: &str) -> String {
    format!("api/vault/v1/{}", path.trim_start_matches('/'))
}

fn builder(method: Method, url: &str) -> RequestBuilder {
    RequestBuilder::new(url)
        .method(method)
        .header("X-Requested-With", "vaultdeck")
        .header("Accept", "application/json")
}

async fn error_from(response: Response) -> ApiError {
    let status = response.status();
    let errors = match response.json::<ErrorBody>().await {
        Ok(body) => body.errors,
        Err(_) => Vec::new(),
    };
    ApiError { status, errors }
}

async fn send(request: RequestBuilder, body: Option<String>) -> Result<Response, ApiError> {
    let sent = match body {
        Some(json) => {
            request
                .header("Content-Type", "application/json")
                .body(json)
                .map_err(ApiError::network)?
                .send()
                .await
        }
        None => request.send().await,
    };
    let response = sent.map_err(ApiError::network)?;
    if response.ok() {
        Ok(response)
    } else {
        Err(error_from(response).await)
    }
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    response.json::<T>().await.map_err(|e| ApiError {
        status,
        errors: vec![format!("unexpected response from the server: {e}")],
    })
}

/// `GET url` and decode the JSON body.
pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    decode(send(builder(Method::GET, url), None).await?).await
}

/// Send `body` (if any) with `method` and decode the JSON answer; `None` for 204 No Content.
pub async fn send_json<T: DeserializeOwned, B: Serialize>(
    method: Method,
    url: &str,
    body: Option<&B>,
) -> Result<Option<T>, ApiError> {
    let json = body
        .map(|b| serde_json::to_string(b))
        .transpose()
        .map_err(|e| ApiError {
            status: 0,
            errors: vec![format!("could not encode the request: {e}")],
        })?;
    let response = send(builder(method, url), json).await?;
    if response.status() == 204 {
        return Ok(None);
    }
    decode(response).await.map(Some)
}
