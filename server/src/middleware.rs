//! The one middleware stack, in one place, applied to every route.

use crate::error::{error_response, ApiError, SessionIsOver};
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use std::{sync::Arc, time::Duration};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::{
        predicate::{NotForContentType, SizeAbove},
        CompressionLayer, Predicate,
    },
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

/// Content-Security-Policy for pages: scripts only from our origin or carrying this
/// response's nonce (the hydration script), WebAssembly allowed to compile, no framing.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{nonce}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// For responses that are not pages (API, files): nothing may run or embed them.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// What the stack needs to know.
#[derive(Clone, Debug)]
pub struct Limits {
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    pub allowed_hosts: AllowedHosts,
}

/// The stack, outermost first: every request gets an id and a log line, never panics
/// past here, gets the security headers, is for a host we answer to, and is answered in
/// time with a body of bounded size; every error leaves as JSON.
pub fn apply(router: Router, limits: Limits) -> Router {
    let Limits {
        request_timeout,
        max_body_bytes,
        allowed_hosts,
    } = limits;
    let stack = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(CatchPanicLayer::custom(|_panic| {
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: the request handler failed",
            )
        }))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        ))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "no-referrer"))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(axum::middleware::from_fn(count_request))
        .layer(axum::middleware::from_fn(move |request, next| {
            refuse_unknown_hosts(allowed_hosts.clone(), request, next)
        }))
        .layer(CompressionLayer::new().compress_when(compressible()))
        .layer(axum::middleware::map_response(errors_as_json))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            request_timeout,
        ))
        .layer(axum::middleware::from_fn(move |request, next| {
            refuse_declared_oversize(max_body_bytes, request, next)
        }))
        .layer(RequestBodyLimitLayer::new(max_body_bytes));
    router.layer(stack)
}

/// What the stack compresses: bodies over 1 KiB, except streamed search results (which must
/// arrive line by line) and pages. Pages stay plain because the Kubernetes API server's
/// service proxy (`kubectl proxy`) rewrites links in HTML and can only read it plain or
/// gzip: a Brotli page comes back as a 500 "Error while proxying request". Pages are a few
/// KiB; the bundle they load is served precompressed, Brotli included, and untouched by the
/// proxy.
fn compressible() -> impl Predicate {
    SizeAbove::new(1024)
        .and(NotForContentType::const_new("application/x-ndjson"))
        .and(NotForContentType::const_new("text/html"))
}

/// The log line's span: method, path and request id. The path only: query strings may
/// carry values that must not be logged.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path())
}

/// Counts the request by its route template (never its path, which may name a secret),
/// its method and its status, and times it.
async fn count_request(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |path| path.as_str())
        .to_string();
    let method = request.method().clone();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    crate::metrics::request_done(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// The host names a request may be addressed to: a defence against DNS rebinding, where a
/// page on another origin points its own name at this server, and the browser then treats
/// it as that page's own origin — passing every same-origin check.
#[derive(Clone, Debug, Default)]
pub struct AllowedHosts {
    /// Lower-case names; `*.example.com` matches any name below `example.com`. Shared:
    /// the middleware stack, and this with it, is cloned for every request.
    names: Arc<[String]>,
}

impl AllowedHosts {
    pub fn new(names: &[String]) -> AllowedHosts {
        AllowedHosts {
            names: names
                .iter()
                .map(|n| n.trim().trim_end_matches('.').to_ascii_lowercase())
                .filter(|n| !n.is_empty())
                .collect(),
        }
    }

    /// Whether a `Host` value (`name`, `name:port`, `[v6]:port`) may be served. IP
    /// addresses always may: rebinding needs a DNS name, and the browser sends that name.
    pub fn allows(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        let name = name.trim_end_matches('.');
        if name.is_empty() {
            return false;
        }
        if name.parse::<std::net::IpAddr>().is_ok()
            || name == "localhost"
            || name.ends_with(".localhost")
        {
            return true;
        }
        self.names
            .iter()
            .any(|allowed| match allowed.strip_prefix("*.") {
                Some(parent) => name.ends_with(&format!(".{parent}")),
                None => allowed == name,
            })
    }
}

/// The name part of a `Host` value, without the port; an IPv6 literal without brackets.
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    host.rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(name, _)| name)
}

/// Answers 421 to a request for a host this server does not answer to.
async fn refuse_unknown_hosts(
    allowed: AllowedHosts,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .unwrap_or_default();
    if allowed.allows(host) {
        return next.run(request).await;
    }
    let shown: String = host.chars().take(100).collect();
    error_response(
        StatusCode::MISDIRECTED_REQUEST,
        format!(
            "Vaultdeck does not answer to the host name {shown:?}. If this is your address \
             for it, add it to VAULTDECK_ALLOWED_HOSTS (--allowed-hosts)."
        ),
    )
}

/// Reading an oversized body after the 413 is sent: at most this much, for at most this long.
const DRAIN_AT_MOST_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_AT_MOST: Duration = Duration::from_secs(10);

/// A body whose `Content-Length` is over the limit gets its 413 at once, and the body is
/// then read and thrown away for a while ("lingering close", as nginx does). Without that,
/// the connection closes with the client still sending: its write fails with EPIPE or a
/// reset and it never sees the 413 — a browser saving a huge secret would get a bare
/// network error instead of a message. Bodies without a length (chunked) are cut off by
/// `RequestBodyLimitLayer` when read; those clients may still see a reset.
async fn refuse_declared_oversize(
    max_body_bytes: usize,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > max_body_bytes as u64 => {
            tokio::spawn(drain(request.into_body()));
            StatusCode::PAYLOAD_TOO_LARGE.into_response()
        }
        _ => next.run(request).await,
    }
}

/// Keeping the body alive keeps hyper reading the connection; dropping it closes it.
async fn drain(body: axum::body::Body) {
    use tokio_stream::StreamExt;
    let mut chunks = body.into_data_stream();
    let mut read = 0usize;
    let reading = async {
        while let Some(Ok(chunk)) = chunks.next().await {
            read += chunk.len();
            if read > DRAIN_AT_MOST_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_AT_MOST, reading).await;
}

fn security_header(
    name: header::HeaderName,
    value: &'static str,
) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

/// CSRF: a state-changing API request must come from our own pages. Browsers say where a
/// request comes from in `Sec-Fetch-Site` (or, older ones, `Origin`); and the app always
/// sends `X-Requested-With: vaultdeck`, a header no cross-site form can set and no
/// cross-site script can send without a CORS preflight we never grant.
///
/// Reads are refused when the browser says they come from another site. The session
/// cookie's `SameSite=Strict` keeps it from other *sites*, but a sibling host
/// (`evil.corp.example` beside `vault.corp.example`) is the same site, and some Vault reads
/// change things (`database/creds/…` issues a credential). `none` is the address bar. A
/// client that sends no `Sec-Fetch-Site` (Safari before 16.4, curl) says nothing about
/// where a read comes from, so it needs the app's header — except the probes.
pub async fn refuse_cross_site(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<Response, ApiError> {
    use axum::http::Method;
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        if !read_allowed(request.uri().path(), request.headers()) {
            tracing::warn!(path = %request.uri().path(), "refused a read from another site");
            return Err(ApiError::Csrf);
        }
        return Ok(next.run(request).await);
    }
    let headers = request.headers();
    let marked = marked_by_the_app(headers);
    let same_origin = match headers.get("sec-fetch-site") {
        Some(site) => site == "same-origin",
        None => origin_matches_host(headers),
    };
    if marked && same_origin {
        Ok(next.run(request).await)
    } else {
        tracing::warn!(method = %request.method(), path = %request.uri().path(), "refused a cross-site request");
        Err(ApiError::Csrf)
    }
}

/// A browser whose session is over drops its cookie with the 401 that says so; otherwise
/// every later request would carry the dead cookie and be refused, even those that need no
/// session (seal status, unseal, login page data).
pub async fn forget_ended_sessions(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let cookie_path = state.cookie_path(request.headers());
    let mut response = next.run(request).await;
    if response.extensions().get::<SessionIsOver>().is_some() {
        let removal = crate::session::clear_cookie(&cookie_path, state.config.secure_cookies());
        response.headers_mut().append(header::SET_COOKIE, removal);
    }
    response
}

/// Without `Sec-Fetch-Site`: an `Origin`, if any, must name the host the request was sent to.
/// A read from this origin or the address bar; or, from a client that does not say where
/// it comes from, one the app marked, or a probe (paths below the API's base).
fn read_allowed(path: &str, headers: &axum::http::HeaderMap) -> bool {
    match headers.get("sec-fetch-site") {
        Some(site) => site == "same-origin" || site == "none",
        None => marked_by_the_app(headers) || matches!(path, "/health" | "/ready"),
    }
}

fn marked_by_the_app(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("x-requested-with")
        .is_some_and(|v| v == "vaultdeck")
}

pub(crate) fn origin_matches_host(headers: &axum::http::HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(origin);
    ["x-forwarded-host", "host"]
        .iter()
        .filter_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .any(|host| host.eq_ignore_ascii_case(origin_host))
}

/// Statuses produced by layers (body too large, timeout) and axum's extractor rejections
/// (a body that is not JSON, or not the expected shape) arrive as plain text or empty;
/// give them Vault's JSON error shape like every other error.
async fn errors_as_json(response: Response) -> Response {
    let status = response.status();
    let fixed_message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => Some("request body too large"),
        StatusCode::GATEWAY_TIMEOUT | StatusCode::REQUEST_TIMEOUT => {
            Some("the request took too long")
        }
        StatusCode::BAD_REQUEST
        | StatusCode::UNSUPPORTED_MEDIA_TYPE
        | StatusCode::UNPROCESSABLE_ENTITY => None,
        _ => return response,
    };
    let is_plain_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !is_plain_text {
        return response;
    }
    let message = match fixed_message {
        Some(message) => message.to_string(),
        None => rejection_text(response).await,
    };
    error_response(status, message)
}

/// The text of an extractor's rejection, e.g. "Failed to deserialize the JSON body into
/// the target type: missing field `token` at line 1 column 18".
async fn rejection_text(response: Response) -> String {
    const MAX: usize = 4096;
    match axum::body::to_bytes(response.into_body(), MAX).await {
        Ok(bytes) if !bytes.is_empty() => without_values(String::from_utf8_lossy(&bytes).trim()),
        _ => "the request could not be read".to_string(),
    }
}

/// Serde names the offending value in "invalid type: string \"hunter2\", expected …" —
/// and a wrongly typed field may be a token or a password. Keep only the value's kind, so
/// the message still says which field is wrong and why, and no secret is sent back.
fn without_values(message: &str) -> String {
    let mut rest = message;
    let mut cleaned = String::with_capacity(message.len());
    while let Some((start, marker)) = ["invalid type: ", "invalid value: "]
        .iter()
        .filter_map(|marker| rest.find(marker).map(|at| (at, *marker)))
        .min()
    {
        let value_start = start + marker.len();
        let Some(value_len) = rest[value_start..].find(", expected") else {
            break;
        };
        let value = &rest[value_start..value_start + value_len];
        let kind = value.split(['"', '`']).next().unwrap_or_default().trim();
        cleaned.push_str(&rest[..value_start]);
        cleaned.push_str(kind);
        rest = &rest[value_start + value_len..];
    }
    cleaned.push_str(rest);
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{
        body::Body,
        http::Request,
        routing::{get, post},
    };
    use tower::ServiceExt;

    fn test_limits() -> Limits {
        Limits {
            request_timeout: Duration::from_secs(5),
            max_body_bytes: 1024,
            allowed_hosts: AllowedHosts::new(&[
                "vault.example.com".into(),
                "*.corp.example".into(),
            ]),
        }
    }

    #[test]
    fn hosts_are_allowed_by_name_or_ip_only() {
        let allowed = AllowedHosts::new(&["Vault.Example.com".into(), "*.corp.example".into()]);
        for ok in [
            "127.0.0.1:3000",
            "localhost:3000",
            "localhost",
            "[::1]:3000",
            "10.0.0.7",
            "vault.example.com",
            "vault.example.com:443",
            "VAULT.example.com.",
            "ui.corp.example",
            "app.localhost:3000",
        ] {
            assert!(allowed.allows(ok), "{ok} refused");
        }
        for refused in [
            "attacker.example",
            "attacker.example:3000",
            "corp.example",
            "evilcorp.example",
            "vault.example.com.attacker.example",
            "",
            "localhost.attacker.example",
        ] {
            assert!(!allowed.allows(refused), "{refused} allowed");
        }
    }

    #[tokio::test]
    async fn pages_are_never_brotli_for_kubectl_proxy_but_data_is() {
        let page = "<html>".to_string() + &"x".repeat(5000);
        let data = "{\"k\":\"".to_string() + &"x".repeat(5000) + "\"}";
        let routes = Router::new()
            .route(
                "/page",
                get(move || async move { axum::response::Html(page) }),
            )
            .route(
                "/data",
                get(move || async move { ([(header::CONTENT_TYPE, "application/json")], data) }),
            );
        let app = apply(routes, test_limits());
        let ask = |path: &'static str| {
            Request::get(path)
                .header("host", "localhost")
                .header("accept-encoding", "br, gzip")
                .body(Body::empty())
                .unwrap()
        };
        let page = app.clone().oneshot(ask("/page")).await.unwrap();
        assert!(page.headers().get(header::CONTENT_ENCODING).is_none());
        let data = app.oneshot(ask("/data")).await.unwrap();
        assert_eq!(data.headers()[header::CONTENT_ENCODING], "br");
    }

    #[tokio::test]
    async fn a_request_for_another_host_name_gets_421() {
        let request = Request::get("/ok")
            .header("host", "rebound.attacker.example:3000")
            .body(Body::empty())
            .unwrap();
        let response = app().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::MISDIRECTED_REQUEST);
        assert!(body_text(response)
            .await
            .contains("VAULTDECK_ALLOWED_HOSTS"));
    }

    fn app() -> Router {
        let routes = Router::new()
            .route("/boom", get(buggy_handler))
            .route("/ok", get(|| async { "ok" }))
            .route("/echo", post(|body: String| async move { body }));
        apply(routes, test_limits())
    }

    async fn buggy_handler() -> &'static str {
        panic!("a handler bug")
    }

    async fn body_text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_panic_is_a_json_500_and_serving_goes_on() {
        let app = app();
        let response = app
            .clone()
            .oneshot(
                Request::get("/boom")
                    .header("host", "localhost")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let text = body_text(response).await;
        assert!(text.starts_with(r#"{"errors":["#), "{text}");
        assert!(
            !text.contains("a handler bug"),
            "panic messages stay in the logs"
        );
        let response = app
            .oneshot(
                Request::get("/ok")
                    .header("host", "localhost")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn oversize_bodies_get_a_json_413() {
        let request = Request::post("/echo")
            .header("host", "localhost")
            .header("content-length", "2048")
            .body(Body::from(vec![b'x'; 2048]))
            .unwrap();
        let response = app().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            body_text(response).await,
            r#"{"errors":["request body too large"]}"#
        );
    }

    /// Over a real connection: a client that sends its whole oversized body (as browsers
    /// do) can finish writing and then read the 413, instead of hitting a closed socket.
    #[tokio::test]
    async fn an_oversize_upload_over_tcp_reads_its_413() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app()).await });

        let body = vec![b'x'; 16 * 1024 * 1024];
        let mut connection = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!(
            "POST /echo HTTP/1.1\r\nhost: {address}\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        connection.write_all(head.as_bytes()).await.unwrap();
        connection
            .write_all(&body)
            .await
            .expect("the server reads the rest of the body instead of resetting the connection");
        let mut response = String::new();
        let mut chunk = [0u8; 4096];
        while !response.contains("]}") {
            let read = connection.read(&mut chunk).await.unwrap();
            if read == 0 {
                break;
            }
            response.push_str(&String::from_utf8_lossy(&chunk[..read]));
        }
        assert!(response.starts_with("HTTP/1.1 413"), "{response}");
        assert!(response.contains("request body too large"), "{response}");
    }

    #[test]
    fn rejections_name_the_kind_of_a_wrong_value_not_the_value() {
        assert_eq!(
            without_values(
                "Failed to deserialize the JSON body into the target type: token: invalid type: \
                 string \"hunter2\", expected u32 at line 1 column 20"
            ),
            "Failed to deserialize the JSON body into the target type: token: invalid type: \
             string, expected u32 at line 1 column 20"
        );
        assert_eq!(
            without_values("password: invalid type: integer `12345`, expected a string"),
            "password: invalid type: integer, expected a string"
        );
        assert_eq!(
            without_values("ttl: invalid value: floating point `1.5`, expected a whole number"),
            "ttl: invalid value: floating point, expected a whole number"
        );
        let untouched = "missing field `token` at line 1 column 18";
        assert_eq!(without_values(untouched), untouched);
    }

    #[tokio::test]
    async fn a_body_that_is_not_the_expected_json_gets_a_json_error() {
        #[derive(serde::Deserialize)]
        struct Login {
            #[allow(dead_code)]
            token: String,
        }
        let routes = Router::new().route(
            "/login",
            post(|axum::Json(_): axum::Json<Login>| async { "ok" }),
        );
        let app = apply(routes, test_limits());
        let request = |body: &'static str| {
            Request::post("/login")
                .header("host", "localhost")
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap()
        };
        let response = app.clone().oneshot(request("{")).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let text = body_text(response).await;
        assert!(text.starts_with(r#"{"errors":["Failed to parse"#), "{text}");
        let response = app
            .clone()
            .oneshot(request(r#"{"tokn":"x"}"#))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let text = body_text(response).await;
        assert!(text.contains("missing field `token`"), "{text}");
        assert!(text.starts_with(r#"{"errors":["#), "{text}");
        let response = app.oneshot(request(r#"{"token":98765}"#)).await.unwrap();
        let text = body_text(response).await;
        assert!(text.contains("invalid type: integer, expected"), "{text}");
        assert!(
            !text.contains("98765"),
            "the value is not sent back: {text}"
        );
    }

    #[tokio::test]
    async fn every_response_carries_the_security_headers() {
        let response = app()
            .oneshot(
                Request::get("/ok")
                    .header("host", "localhost")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["content-security-policy"], API_CSP);
        assert_eq!(headers["cache-control"], "no-store");
    }

    #[test]
    fn page_csp_allows_wasm_and_the_nonce_only() {
        let policy = content_security_policy(Some("abc"));
        assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc'"));
        assert!(
            !policy.contains("unsafe-inline'; script")
                && !policy.contains("script-src 'self' 'unsafe-inline'")
        );
        assert!(policy.contains("frame-ancestors 'none'"));
    }
}
