//! The one middleware stack, in one place, applied to every route.

use crate::error::error_response;
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::Response,
    Router,
};
use std::time::Duration;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::{
        predicate::{NotForContentType, SizeAbove},
        CompressionLayer, Predicate,
    },
    limit::RequestBodyLimitLayer,
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

pub fn apply(router: Router, request_timeout: Duration, max_body_bytes: usize) -> Router {
    // Layers run outside-in in the order they are added last-to-first; read bottom-up.
    router
        .layer(RequestBodyLimitLayer::new(max_body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, request_timeout))
        .layer(axum::middleware::map_response(errors_as_json))
        .layer(CompressionLayer::new().compress_when(
            SizeAbove::new(1024).and(NotForContentType::const_new("application/x-ndjson")),
        ))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::REFERRER_POLICY, "no-referrer"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(CatchPanicLayer::custom(|_panic| {
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error: the request handler failed")
        }))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
            // The path only: query strings may carry values we must not log.
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
        }))
}

fn security_header(
    name: header::HeaderName,
    value: &'static str,
) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

/// Statuses produced by layers (body too large, timeout) arrive with a plain-text or empty
/// body; give them Vault's JSON error shape like every other error.
async fn errors_as_json(response: Response) -> Response {
    let message = match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => "request body too large",
        StatusCode::GATEWAY_TIMEOUT | StatusCode::REQUEST_TIMEOUT => "the request took too long",
        _ => return response,
    };
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    error_response(response.status(), message)
}
