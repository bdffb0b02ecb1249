//! `POST {base}/login`: the login page's form, posted by the browser itself. A full page
//! load of the login page runs no WASM (see `vaultdeck_app::pages::login`), so this is how
//! most logins arrive: the same login as `POST api/session`, answered with a redirect to
//! the page the user asked for, or with the login page again, saying why.
//!
//! Also what the server needs to draw that page without the app: the methods listed for
//! the login page and the seal status, asked of Vault without a token.

use crate::{
    error::ApiError,
    handlers::{session::log_in, site},
    middleware::origin_matches_host,
    session::{clear_cookie, session_cookie_for_the_posted_directory, CurrentSession},
    state::AppState,
    vault::VaultAnswer,
};
use axum::{
    extract::{FromRequest, FromRequestParts, Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
    Form,
};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use std::{collections::BTreeMap, time::Duration};
use vaultdeck_app::{
    pages::login::{FailedLogin, LoginPageFacts},
    routes::{return_target, with_search, AppRoute},
    wire::{LoginFields, MountInfo, SealStatus, UiMounts},
};

/// How long the login page waits for Vault's facts before it draws without them (a Vault
/// that does not answer must not keep the login page from drawing for the whole request
/// timeout).
const FACTS_WAIT: Duration = Duration::from_secs(2);

/// What a `Location` must not hold as is; `%` stays, so an address keeps its escapes.
const NOT_IN_A_LOCATION: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');

/// `POST {base}/login`.
pub async fn log_in_by_form(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    // Login CSRF: another site (or a sibling host) must not log the browser in to an
    // account of its choosing. A form cannot carry the app's `X-Requested-With`, so the
    // browser's word on where the post comes from is required.
    if !posted_by_this_origin(&parts.headers) {
        tracing::warn!("refused a login form posted from another site");
        return ApiError::Csrf.into_response();
    }
    let previous = CurrentSession::from_request_parts(&mut parts, &state).await;
    let headers = parts.headers.clone();
    let uri = parts.uri.clone();
    let fields =
        match Form::<LoginFields>::from_request(Request::from_parts(parts, body), &state).await {
            Ok(Form(fields)) => fields,
            Err(rejection) => return rejection.into_response(),
        };
    match log_in(&state, &headers, previous, fields.request()).await {
        Ok((id, _info)) => {
            let cookie =
                session_cookie_for_the_posted_directory(&id, state.config.secure_cookies());
            let target = return_target(Some(&fields.return_to));
            see_other(
                &format!("./{}", target.trim_start_matches('/')),
                Some(cookie),
            )
        }
        Err(error) => {
            let failed = FailedLogin {
                error: shown_error(error).await,
                mount: fields.mount.clone(),
                first: if fields.method == "token" {
                    String::new()
                } else {
                    fields.first.clone()
                },
                tab: fields.tab,
                return_to: fields.return_to,
            };
            let status =
                StatusCode::from_u16(failed.error.status).unwrap_or(StatusCode::BAD_REQUEST);
            let facts = login_page_facts(&state, Some(failed)).await;
            let mut page = Request::new(axum::body::Body::empty());
            *page.uri_mut() = uri;
            *page.headers_mut() = headers;
            site::render_login_page(state, page, facts, status).await
        }
    }
}

/// The browser says the post comes from this origin: `Sec-Fetch-Site`, or, from a browser
/// that does not send it, an `Origin` naming this host. Without either, it is refused.
fn posted_by_this_origin(headers: &HeaderMap) -> bool {
    match headers.get("sec-fetch-site") {
        Some(site) => site == "same-origin",
        None => {
            let readable = headers
                .get(header::ORIGIN)
                .is_some_and(|origin| origin.to_str().is_ok());
            readable && origin_matches_host(headers)
        }
    }
}

/// The error as the app would show it from the API's answer: the same words.
async fn shown_error(error: ApiError) -> vaultdeck_app::api::ApiError {
    let response = error.into_response();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    vaultdeck_app::api::error_from_text(status, &String::from_utf8_lossy(&body))
}

/// A `303 See Other` to an address relative to the one asked for.
fn see_other(location: &str, cookie: Option<HeaderValue>) -> Response {
    let location = utf8_percent_encode(location, NOT_IN_A_LOCATION).to_string();
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, value);
    }
    if let Some(cookie) = cookie {
        headers.append(header::SET_COOKIE, cookie);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A page for logged-in users, asked for by a full page load without a session: a
/// redirect to the login page, which draws in a few kilobytes, instead of the app's code
/// only for the app to go there. `app_path` is the address under the base path as the
/// browser wrote it (percent-encoded), `query` its query. Only when Vault is initialized
/// and unsealed: otherwise the app's pages lead to init or unseal.
pub async fn login_first(
    state: &AppState,
    headers: &HeaderMap,
    session: Result<CurrentSession, ApiError>,
    app_path: &str,
    query: Option<&str>,
) -> Option<Response> {
    if !sent_with_the_cookie(headers) || !counted_as_the_browser_wrote_it(app_path) {
        return None;
    }
    let reason = match session {
        Ok(CurrentSession(None)) => None,
        Err(ApiError::SessionEnded(end)) => Some(end.code().to_string()),
        // Logged in, or a session that cannot be told (two cookies, the store down): the
        // app says what is wrong.
        Ok(CurrentSession(Some(_))) | Err(_) => return None,
    };
    let ready = tokio::time::timeout(FACTS_WAIT, seal_status(state))
        .await
        .ok()
        .flatten()
        .is_some_and(|seal| seal.initialized && !seal.sealed);
    if !ready {
        return None;
    }
    let ended = reason.is_some();
    let login = AppRoute::Login {
        reason,
        back: Some(with_search(app_path, query.unwrap_or_default())),
        tab: None,
    };
    // From `{base}/a/b/c` the login page is `../../login`.
    let depth = app_path.matches('/').count().saturating_sub(1);
    let up = if depth == 0 {
        "./".to_string()
    } else {
        "../".repeat(depth)
    };
    let location = format!("{up}{}", login.href().trim_start_matches('/'));
    let removal =
        ended.then(|| clear_cookie(&state.cookie_path(headers), state.config.secure_cookies()));
    Some(see_other(&location, removal))
}

/// Whether the browser would have sent the `SameSite=Strict` session cookie with this
/// navigation: not when it follows a link from another site (or a sibling host). Then
/// "no session" says nothing, and the app is served: it asks for the session itself,
/// same-origin, instead of a login that would end the one the user has.
fn sent_with_the_cookie(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_none_or(|site| site == "same-origin" || site == "none")
}

/// Whether the redirect's `../`s, counted from the path as it arrived, are the browser's:
/// a proxy that merges `//` or decodes `%2F` would change the count, and the redirect
/// could climb out of the base path.
fn counted_as_the_browser_wrote_it(app_path: &str) -> bool {
    let lower = app_path.to_ascii_lowercase();
    !lower.contains("//") && !lower.contains("%2f") && !lower.contains("%5c")
}

/// What the login page shows without the app, and the form login it drew again if any.
pub async fn login_page_facts(state: &AppState, failed: Option<FailedLogin>) -> LoginPageFacts {
    let ask = async { tokio::join!(listed_methods(state), seal_status(state)) };
    let (listed, seal) = tokio::time::timeout(FACTS_WAIT, ask)
        .await
        .unwrap_or_default();
    LoginPageFacts {
        listed,
        seal,
        failed,
    }
}

/// The auth methods listed for the login page (`listing_visibility = unauth`).
async fn listed_methods(state: &AppState) -> BTreeMap<String, MountInfo> {
    let answer = state
        .vault
        .call_json(Method::GET, "sys/internal/ui/mounts", None, None)
        .await
        .and_then(VaultAnswer::success)
        .and_then(|answer| answer.field::<UiMounts>("data"));
    answer.map(|mounts| mounts.auth).unwrap_or_default()
}

/// `sys/seal-status`, or `None` when Vault does not answer it.
async fn seal_status(state: &AppState) -> Option<SealStatus> {
    let answer = state
        .vault
        .call_json(Method::GET, "sys/seal-status", None, None)
        .await
        .and_then(VaultAnswer::success)
        .ok()?;
    serde_json::from_value(answer.body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_needs_the_browsers_word_that_it_comes_from_here() {
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(*name, HeaderValue::from_static(value));
            }
            posted_by_this_origin(&headers)
        };
        assert!(with(&[("sec-fetch-site", "same-origin")]));
        assert!(!with(&[("sec-fetch-site", "same-site")]));
        assert!(!with(&[("sec-fetch-site", "cross-site")]));
        assert!(!with(&[("sec-fetch-site", "none")]));
        assert!(with(&[
            ("origin", "http://vault.example"),
            ("host", "vault.example")
        ]));
        assert!(!with(&[
            ("origin", "http://evil.example"),
            ("host", "vault.example")
        ]));
        assert!(!with(&[("origin", "null"), ("host", "vault.example")]));
        assert!(!with(&[("host", "vault.example")]));
        let mut unreadable = HeaderMap::new();
        unreadable.insert("host", HeaderValue::from_static("vault.example"));
        unreadable.insert("origin", HeaderValue::from_bytes(b"http://\xff").unwrap());
        assert!(!posted_by_this_origin(&unreadable));
    }

    #[test]
    fn a_location_keeps_escapes_and_encodes_what_a_header_cannot_hold() {
        let response = see_other("./secrets/kv/show/a%3Fb c/é", None);
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            response.headers()[header::LOCATION],
            "./secrets/kv/show/a%3Fb%20c/%C3%A9"
        );
    }
}
