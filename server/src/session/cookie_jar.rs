//! The session cookie: `HttpOnly`, `SameSite=Strict`, `Path` = the app's base path as the
//! browser sees it, `Secure` unless configured off for plain HTTP on loopback.

use super::SessionId;
use axum::http::{header, HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};

use super::MOST_SESSION_COOKIES;

const COOKIE_NAME: &str = "vaultdeck_session";

/// The well-formed session ids the request's cookies carry, once each, in the order sent.
/// Usually one; several when deployments share a host name (cookies ignore ports) or when a
/// sibling host set one for the parent domain (`Sessions::named_by` decides). Reading stops
/// one past [`MOST_SESSION_COOKIES`]: that is enough to refuse the request, and a header of
/// thousands of distinct ids costs no more than five.
pub fn session_ids_from(headers: &HeaderMap) -> Vec<SessionId> {
    let mut ids: Vec<SessionId> = Vec::new();
    let sent = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|c| c.name() == COOKIE_NAME)
        .filter_map(|c| SessionId::from_cookie(c.value()));
    for id in sent {
        if ids.len() > MOST_SESSION_COOKIES {
            break;
        }
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The request carried more than one cookie naming a session of this deployment.
#[derive(Debug, PartialEq, Eq)]
pub struct SeveralSessionCookies;

impl From<SeveralSessionCookies> for crate::error::ApiError {
    fn from(_: SeveralSessionCookies) -> Self {
        crate::error::ApiError::BadRequest(
            "Your browser sent more than one Vaultdeck session cookie, and Vaultdeck will not \
             guess which is yours: another site under the same domain may have set one. Clear \
             this site's cookies, then log in again."
                .into(),
        )
    }
}

fn build(value: String, path: Option<&str>, secure: bool) -> Cookie<'static> {
    let mut cookie = Cookie::build((COOKIE_NAME, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build();
    if let Some(path) = path {
        cookie.set_path(path.to_string());
    }
    cookie
}

pub fn session_cookie(id: &SessionId, path: &str, secure: bool) -> HeaderValue {
    let cookie = build(id.cookie_value().to_string(), Some(path), secure);
    HeaderValue::from_str(&cookie.to_string()).expect("a session cookie is a valid header")
}

/// The session cookie for the answer to the login form's post to `{base}/login`. It names
/// no path, so the browser keeps it for the directory of the address it posted to: the
/// base path as the browser sees it, with whatever prefix a proxy put in front
/// (`kubectl proxy` says nothing of its prefix; the app tells the API in a header, which a
/// form cannot send).
pub fn session_cookie_for_the_posted_directory(id: &SessionId, secure: bool) -> HeaderValue {
    let cookie = build(id.cookie_value().to_string(), None, secure);
    HeaderValue::from_str(&cookie.to_string()).expect("a session cookie is a valid header")
}

/// Tells the browser to drop the cookie (same name and path, expired).
pub fn clear_cookie(path: &str, secure: bool) -> HeaderValue {
    let mut cookie = build(String::new(), Some(path), secure);
    cookie.make_removal();
    HeaderValue::from_str(&cookie.to_string()).expect("a removal cookie is a valid header")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_locked_down() {
        let id = SessionId::generate();
        let text = session_cookie(&id, "/ui", true)
            .to_str()
            .unwrap()
            .to_string();
        for part in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/ui"] {
            assert!(text.contains(part), "{text} lacks {part}");
        }
        let plain = session_cookie(&id, "/ui", false)
            .to_str()
            .unwrap()
            .to_string();
        assert!(!plain.contains("Secure"));
    }

    #[test]
    fn the_id_is_read_back_among_other_cookies() {
        let id = SessionId::generate();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            format!("other=1; {COOKIE_NAME}={}", id.cookie_value())
                .parse()
                .unwrap(),
        );
        assert_eq!(session_ids_from(&headers), vec![id]);
    }

    #[test]
    fn every_session_cookie_is_read_in_order() {
        let (ours, theirs) = (SessionId::generate(), SessionId::generate());
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            format!(
                "{COOKIE_NAME}={}; other=1; {COOKIE_NAME}={}",
                theirs.cookie_value(),
                ours.cookie_value()
            )
            .parse()
            .unwrap(),
        );
        assert_eq!(session_ids_from(&headers), vec![theirs, ours]);
    }

    /// Each id read was compared with every one before it: a header of 6,000 distinct ids
    /// (hyper accepts about 400 KB of headers) cost 18 million comparisons, per request,
    /// before any session was looked at.
    #[test]
    fn a_flood_of_session_cookies_is_read_only_as_far_as_needed() {
        let flood = (0..6_000)
            .map(|_| format!("{COOKIE_NAME}={}", SessionId::generate().cookie_value()))
            .collect::<Vec<_>>()
            .join("; ");
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, flood.parse().unwrap());
        assert_eq!(session_ids_from(&headers).len(), MOST_SESSION_COOKIES + 1);
    }
}
