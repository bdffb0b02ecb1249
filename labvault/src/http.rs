//! HTTP in and out: turns requests under `/v1/` into logical requests for the core and its
//! replies into Vault's JSON.

use crate::{
    core::Core,
    reply::{Reply, VaultError, VaultResult},
    request::{Operation, Request},
};
use axum::{
    body::{Body, Bytes},
    extract::{DefaultBodyLimit, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri},
    response::Response,
    routing::any,
    Router,
};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Vault's default `max_request_size`: 32 MiB.
pub const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;

pub fn router(core: Arc<Core>) -> Router {
    Router::new()
        .route("/v1/{*path}", any(handle))
        .fallback(|| async {
            respond(
                404,
                Some(
                    VaultError {
                        status: 404,
                        errors: vec![],
                    }
                    .body(),
                ),
                false,
            )
        })
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(axum::middleware::map_response(body_limit_as_vault_error))
        .with_state(core)
}

async fn handle(
    State(core): State<Arc<Core>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let started = std::time::Instant::now();
    let head = method == Method::HEAD;
    let outcome = match body.map_err(|_| VaultError::new(413, "http: request body too large")) {
        Ok(body) => match logical_request(&method, &uri, &headers, &body) {
            Ok(request) => {
                let path = request.path.clone();
                let (result, mount_type) = core.handle(request).await;
                render(result, &mount_type, injects_data(&path))
            }
            Err(error) => render(Err(error), "", false),
        },
        Err(error) => render(Err(error), "", false),
    };
    // Paths only: query strings and bodies may hold secrets.
    tracing::info!(method = %method, path = %uri.path(), status = outcome.0, micros = started.elapsed().as_micros() as u64, "request");
    respond(outcome.0, outcome.1, head)
}

fn render(result: VaultResult, mount_type: &str, inject: bool) -> (u16, Option<Value>) {
    match result {
        Ok(reply) => {
            let request_id = uuid::Uuid::new_v4().to_string();
            let is_envelope = matches!(reply, Reply::Envelope { .. });
            let (status, body) = reply.render(&request_id, mount_type);
            (
                status,
                body.map(|b| {
                    if inject && is_envelope {
                        inject_data(b)
                    } else {
                        b
                    }
                }),
            )
        }
        Err(error) => (error.status, Some(error.body())),
    }
}

fn respond(status: u16, body: Option<Value>, head: bool) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match (body, head) {
        (Some(json), false) => Body::from(serde_json::to_vec(&json).unwrap_or_default()),
        _ => Body::empty(),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn body_limit_as_vault_error(response: Response) -> Response {
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_none_or(|v| v != "application/json")
    {
        return respond(
            413,
            Some(VaultError::new(413, "http: request body too large").body()),
            false,
        );
    }
    response
}

/// The `sys` routes whose `data` Vault also copies to the top level of the body.
fn injects_data(path: &str) -> bool {
    const INJECTED: &[&str] = &[
        "sys/audit",
        "sys/auth",
        "sys/config/cors",
        "sys/capabilities",
        "sys/capabilities-accessor",
        "sys/capabilities-self",
        "sys/key-status",
        "sys/mounts",
        "sys/policy",
        "sys/remount",
        "sys/rotate",
    ];
    INJECTED
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

fn inject_data(mut body: Value) -> Value {
    let data = body
        .get("data")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(object) = body.as_object_mut() {
        for (key, value) in data {
            object.entry(key).or_insert(value);
        }
    }
    body
}

/// Builds the logical request: operation from the method (`LIST` or `GET ?list=true` list,
/// with a trailing `/`), parameters from the query (reads, lists, deletes) or the body.
fn logical_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Request, VaultError> {
    refuse_left_out_headers(headers)?;
    let raw_path = uri.path().strip_prefix("/v1/").unwrap_or("");
    let mut path = percent_decode(raw_path).trim_start_matches('/').to_string();
    let mut query: Map<String, Value> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query().unwrap_or(""))
            .map_err(|_| VaultError::bad_request("error parsing query"))?
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
    let listing = match query.remove("list") {
        Some(Value::String(flag)) => parse_go_bool(&flag).ok_or(VaultError {
            status: 400,
            errors: vec![],
        })?,
        _ => false,
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (operation, data) = match method.as_str() {
        "GET" | "HEAD" if listing => (Operation::List, query),
        "GET" | "HEAD" => (Operation::Read, query),
        "LIST" => (Operation::List, query),
        "DELETE" => (Operation::Delete, query),
        "POST" | "PUT" => (
            Operation::Update,
            body_params(body, content_type.as_deref())?,
        ),
        "PATCH" => {
            let media = content_type
                .as_deref()
                .unwrap_or("")
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if media.is_empty() {
                return Err(VaultError::bad_request("mime: no media type"));
            }
            if media != "application/merge-patch+json" {
                return Err(VaultError::new(415, format!("PATCH requires Content-Type of application/merge-patch+json, provided {media}")));
            }
            (Operation::Patch, body_params(body, None)?)
        }
        _ => {
            return Err(VaultError {
                status: 405,
                errors: vec![],
            })
        }
    };
    if operation == Operation::List && !path.ends_with('/') {
        path.push('/');
    }
    if operation.is_write() && path.ends_with('/') {
        return Err(VaultError::bad_request(
            "cannot write to a path ending in '/'",
        ));
    }
    Ok(Request {
        operation,
        path,
        data,
        token: token_of(headers),
    })
}

/// Headers asking for what labvault leaves out. Answering as if they were not there would
/// hand a secret out unwrapped, or act in the root namespace for another one.
fn refuse_left_out_headers(headers: &HeaderMap) -> Result<(), VaultError> {
    let given = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if given("x-vault-wrap-ttl").is_some() {
        return Err(VaultError::left_out("response wrapping is"));
    }
    if given("x-vault-namespace").is_some_and(|ns| !matches!(ns, "root" | "/")) {
        return Err(VaultError::left_out("namespaces are"));
    }
    Ok(())
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn body_params(body: &[u8], content_type: Option<&str>) -> Result<Map<String, Value>, VaultError> {
    let trimmed = body.trim_ascii_start();
    if trimmed.is_empty() {
        return Ok(Map::new());
    }
    let is_form = content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if is_form && !matches!(trimmed[0], b'{' | b'[') {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|_| VaultError::bad_request("error parsing form data"))?;
        return Ok(pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        _ => Err(VaultError::bad_request("error parsing JSON")),
    }
}

/// `X-Vault-Token`, else `Authorization: Bearer …`.
fn token_of(headers: &HeaderMap) -> Option<String> {
    if let Some(token) = headers
        .get("x-vault-token")
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.is_empty())
    {
        return Some(token.to_string());
    }
    headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            if let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(
        method: &str,
        uri: &str,
        body: &str,
        content_type: Option<&str>,
    ) -> Result<Request, VaultError> {
        let mut headers = HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert(header::CONTENT_TYPE, ct.parse().unwrap());
        }
        logical_request(
            &Method::from_bytes(method.as_bytes()).unwrap(),
            &uri.parse().unwrap(),
            &headers,
            body.as_bytes(),
        )
    }

    #[test]
    fn list_by_verb_or_query_adds_the_slash() {
        let listed = request("LIST", "/v1/kv/metadata/app", "", None).unwrap();
        assert_eq!(
            (listed.operation, listed.path.as_str()),
            (Operation::List, "kv/metadata/app/")
        );
        let queried = request("GET", "/v1/kv/metadata/app?list=true", "", None).unwrap();
        assert_eq!(
            (queried.operation, queried.path.as_str()),
            (Operation::List, "kv/metadata/app/")
        );
        assert!(!queried.data.contains_key("list"));
    }

    #[test]
    fn bodies_json_and_form() {
        let json = request("POST", "/v1/x", r#"{"a": 1}"#, Some("application/json")).unwrap();
        assert_eq!(json.data["a"], 1);
        let form = request(
            "POST",
            "/v1/x",
            "a=1&b=two",
            Some("application/x-www-form-urlencoded"),
        )
        .unwrap();
        assert_eq!(form.data["b"], "two");
        assert_eq!(
            request("POST", "/v1/x", "{nope", None).unwrap_err().errors[0],
            "error parsing JSON"
        );
    }

    #[test]
    fn patch_needs_merge_patch_json() {
        let error = request("PATCH", "/v1/kv/data/a", "{}", Some("application/json")).unwrap_err();
        assert_eq!(error.status, 415);
        assert!(request(
            "PATCH",
            "/v1/kv/data/a",
            "{}",
            Some("application/merge-patch+json")
        )
        .is_ok());
    }

    #[test]
    fn writes_to_folders_are_refused_and_paths_are_decoded() {
        assert_eq!(
            request("POST", "/v1/kv/a/", "{}", None).unwrap_err().errors[0],
            "cannot write to a path ending in '/'"
        );
        assert_eq!(
            request("GET", "/v1/kv/a%20b", "", None).unwrap().path,
            "kv/a b"
        );
    }

    #[test]
    fn tokens_from_either_header() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(token_of(&headers).as_deref(), Some("abc"));
        headers.insert("x-vault-token", "xyz".parse().unwrap());
        assert_eq!(token_of(&headers).as_deref(), Some("xyz"));
    }
}
