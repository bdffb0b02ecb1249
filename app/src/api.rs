//! The typed client for the BFF's API, used by every page.
//!
//! URLs are relative (`api/...`, no leading slash) so the browser resolves them against
//! `document.baseURI`; the app never needs to know its own prefix. Every request carries
//! `X-Requested-With: vaultdeck`, which the BFF's CSRF check requires.

pub use gloo_net::http::Method;
use gloo_net::http::{RequestBuilder, Response};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::fmt;

/// A failed call: the HTTP status (0 when the BFF could not be reached at all) and the
/// messages from the `{"errors": [...]}` body, which carry Vault's own error text.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub errors: Vec<String>,
    /// For a 401: why the session is over (`expired`, `idle`, `revoked`, `missing`).
    pub session_ended: Option<String>,
}

/// The error body, with the BFF's `session` field on a 401.
#[derive(Deserialize, Default)]
struct ErrorWithSession {
    #[serde(default)]
    errors: Vec<String>,
    #[serde(default)]
    session: Option<String>,
}

impl ApiError {
    fn network(detail: impl fmt::Display) -> Self {
        ApiError::local(format!("Vaultdeck's server could not be reached: {detail}"))
    }

    /// An error found in the browser, before or after talking to the server.
    pub fn local(message: impl Into<String>) -> Self {
        ApiError {
            status: 0,
            errors: vec![message.into()],
            session_ended: None,
        }
    }

    /// All messages joined for display, with go-multierror's wrapping
    /// (`1 error occurred:\n\t* permission denied\n\n`) unwrapped.
    pub fn message(&self) -> String {
        if self.errors.is_empty() {
            return match self.status {
                404 => "not found".into(),
                status => format!("request failed with HTTP status {status}"),
            };
        }
        self.errors
            .iter()
            .map(|e| unwrap_multierror(e))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }

    pub fn is_permission_denied(&self) -> bool {
        self.status == 403
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

/// The URL of a Vault API call through the BFF's passthrough, for a path as names are
/// (`sys/seal-status`, `kv/data/a#b`): see [`crate::wire::encode_vault_path`].
pub fn vault_url(path: &str) -> Result<String, ApiError> {
    crate::wire::encode_vault_path(path)
        .map(|encoded| format!("api/vault/v1/{encoded}"))
        .map_err(ApiError::local)
}

fn builder(method: Method, url: &str) -> RequestBuilder {
    // Made as a page's work, the request is aborted when the page goes away.
    let abort = crate::state::tasks::current_abort_signal();
    RequestBuilder::new(url)
        .method(method)
        .header("X-Requested-With", "vaultdeck")
        .header("Accept", "application/json")
        // The BFF scopes the session cookie to where the browser sees the app.
        .header("X-Vaultdeck-Base", &crate::base::document_base_path())
        .abort_signal(abort.as_ref())
}

/// `1 error occurred:\n\t* permission denied\n\n` → `permission denied`.
pub fn unwrap_multierror(message: &str) -> String {
    let trimmed = message.trim();
    if !trimmed.contains("error occurred:") && !trimmed.contains("errors occurred:") {
        return trimmed.to_string();
    }
    trimmed
        .lines()
        .filter_map(|line| line.trim().strip_prefix("* "))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn error_from(response: Response) -> ApiError {
    let status = response.status();
    let body = response
        .json::<ErrorWithSession>()
        .await
        .unwrap_or_default();
    let error = ApiError {
        status,
        errors: body.errors,
        session_ended: body.session.filter(|_| status == 401),
    };
    if let Some(reason) = &error.session_ended {
        crate::state::session::report_session_ended(reason, error.message());
    }
    error
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
        errors: vec![unreadable_answer(&e.to_string())],
        session_ended: None,
    })
}

/// Why an answer could not be read, without what it held: a decoder's message quotes the
/// value it stumbled on (`invalid type: string "…"`), and that may be a token or a key
/// share (the answers of `sys/init` and of credentials are read here).
fn unreadable_answer(decoder_error: &str) -> String {
    let why = decoder_error
        .split('"')
        .next()
        .unwrap_or_default()
        .trim_end();
    format!("unexpected response from the server: {why}")
}

/// `GET url` and decode the JSON body.
pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    decode(send(builder(Method::GET, url), None).await?).await
}

/// `GET url` for the app's own polling (seal status, the session's expiry): marked as
/// background, so the BFF neither counts it as the user's activity nor renews the token
/// for it. `None` for 204 No Content.
pub async fn poll_json<T: DeserializeOwned>(url: &str) -> Result<Option<T>, ApiError> {
    let request = builder(Method::GET, url).header("X-Vaultdeck-Activity", "background");
    let response = send(request, None).await?;
    if response.status() == 204 {
        return Ok(None);
    }
    decode(response).await.map(Some)
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
        .map_err(|e| ApiError::local(format!("could not encode the request: {e}")))?;
    let response = send(builder(method, url), json).await?;
    if response.status() == 204 {
        return Ok(None);
    }
    decode(response).await.map(Some)
}

/// Sends a request whose answer may be JSON or empty (204), with a raw content type (for
/// PATCH's `application/merge-patch+json`).
pub async fn send_raw<T: DeserializeOwned>(
    method: Method,
    url: &str,
    content_type: &str,
    body: String,
) -> Result<Option<T>, ApiError> {
    let request = builder(method, url)
        .header("Content-Type", content_type)
        .body(body)
        .map_err(ApiError::network)?;
    let response = request.send().await.map_err(ApiError::network)?;
    if !response.ok() {
        return Err(error_from(response).await);
    }
    if response.status() == 204 {
        return Ok(None);
    }
    decode(response).await.map(Some)
}

/// Sends `body` (if any) to a Vault path through the passthrough and decodes the whole
/// answer; `None` for 204 No Content.
pub async fn vault_send<T: DeserializeOwned, B: Serialize>(
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<Option<T>, ApiError> {
    send_json(method, &vault_url(path)?, body).await
}

/// `GET` a Vault path through the passthrough and return its `data`.
pub async fn vault_data<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    get_json::<crate::wire::Envelope<T>>(&vault_url(path)?)
        .await
        .map(|envelope| envelope.data)
}

/// Writes to a Vault path (`POST`, `PUT`, `DELETE`…) and returns the warnings of the
/// answer, if it had a body.
pub async fn vault_write<B: Serialize>(
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<Vec<String>, ApiError> {
    let answer = vault_send::<serde_json::Value, B>(method, path, body).await?;
    Ok(answer
        .and_then(|v| {
            v.get("warnings")
                .and_then(|w| serde_json::from_value::<Vec<String>>(w.clone()).ok())
        })
        .unwrap_or_default())
}

/// `GET` returning the status and body whatever the status (only a failed connection is an
/// error): for answers whose 404 carries a body, like a deleted KV v2 version.
pub async fn get_text(url: &str) -> Result<(u16, String), ApiError> {
    let response = builder(Method::GET, url)
        .send()
        .await
        .map_err(ApiError::network)?;
    let status = response.status();
    let text = response.text().await.map_err(ApiError::network)?;
    if status == 401 {
        let body: ErrorWithSession = serde_json::from_str(&text).unwrap_or_default();
        if let Some(reason) = body.session {
            crate::state::session::report_session_ended(&reason, body.errors.join("; "));
        }
    }
    Ok((status, text))
}

/// The error an answer's status and body stand for.
pub fn error_from_text(status: u16, text: &str) -> ApiError {
    let body: ErrorWithSession = serde_json::from_str(text).unwrap_or_default();
    ApiError {
        status,
        errors: body.errors,
        session_ended: body.session,
    }
}

/// Reads a streamed answer of one JSON document per line, calling `on_line` for each as
/// it arrives, until the stream ends or `signal` aborts it.
pub async fn stream_lines(
    url: &str,
    signal: &web_sys::AbortSignal,
    mut on_line: impl FnMut(&str),
) -> Result<(), ApiError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let failed = |e: wasm_bindgen::JsValue| {
        ApiError::local(format!(
            "the search stream failed: {}",
            e.as_string().unwrap_or_else(|| format!("{e:?}"))
        ))
    };
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_signal(Some(signal));
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(failed)?;
    request
        .headers()
        .set("X-Requested-With", "vaultdeck")
        .map_err(failed)?;
    request
        .headers()
        .set("X-Vaultdeck-Base", &crate::base::document_base_path())
        .map_err(failed)?;
    let response: web_sys::Response = JsFuture::from(window().fetch_with_request(&request))
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    if !response.ok() {
        let text = JsFuture::from(response.text().map_err(failed)?)
            .await
            .map_err(failed)?
            .as_string()
            .unwrap_or_default();
        return Err(error_from_text(response.status(), &text));
    }
    let Some(body) = response.body() else {
        return Ok(());
    };
    let reader: web_sys::ReadableStreamDefaultReader =
        body.get_reader().dyn_into().map_err(|e| failed(e.into()))?;
    let decoder = web_sys::TextDecoder::new().map_err(failed)?;
    let options = web_sys::TextDecodeOptions::new();
    options.set_stream(true);
    let mut buffer = String::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(failed)?;
        if js_sys::Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true)
        {
            break;
        }
        let bytes: js_sys::Uint8Array = js_sys::Reflect::get(&chunk, &"value".into())
            .map_err(failed)?
            .dyn_into()
            .map_err(failed)?;
        buffer.push_str(
            &decoder
                .decode_with_buffer_source_and_options(&bytes, &options)
                .map_err(failed)?,
        );
        while let Some(end) = buffer.find('\n') {
            let line: String = buffer.drain(..=end).collect();
            on_line(line.trim_end());
        }
    }
    Ok(())
}

fn window() -> web_sys::Window {
    web_sys::window().expect("the app runs in a browser window")
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unreadable_answer_is_described_without_its_values() {
        let decoder =
            r#"invalid type: string "hvs.rootsecret", expected a sequence at line 1 column 30"#;
        let message = super::unreadable_answer(decoder);
        assert_eq!(
            message,
            "unexpected response from the server: invalid type: string"
        );
        let missing = super::unreadable_answer("missing field `keys` at line 1 column 2");
        assert!(
            missing.ends_with("missing field `keys` at line 1 column 2"),
            "{missing}"
        );
    }

    use super::*;

    #[test]
    fn multierror_text_is_unwrapped() {
        assert_eq!(
            unwrap_multierror("1 error occurred:\n\t* permission denied\n\n"),
            "permission denied"
        );
        assert_eq!(
            unwrap_multierror("2 errors occurred:\n\t* a\n\t* b\n\n"),
            "a; b"
        );
        assert_eq!(unwrap_multierror("plain"), "plain");
    }
}
