//! Where the app lives, as the browser sees it.
//!
//! The server writes `<base href>` from its base path and `X-Forwarded-Prefix`; proxies
//! such as `kubectl proxy` rewrite that link on the way through. The browser's
//! `document.baseURI` is therefore the one source of truth for the client, and the router's
//! base is derived from it rather than configured.

use leptos::prelude::*;

/// The document base (`<base href>`), always ending in `/`. Provided as context on the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseHref(pub String);

impl BaseHref {
    /// The router base: the base href without its trailing slash (`""` when served at `/`).
    pub fn router_base(&self) -> String {
        self.0.trim_end_matches('/').to_string()
    }
}

/// The router base of this render, provided as context by [`crate::App`].
#[derive(Clone, Debug)]
struct RouterBase(String);

/// Makes the router base available to [`href`]; called once by the root component.
pub fn provide_router_base(base: String) {
    provide_context(RouterBase(base));
}

/// The full href of an app path such as `/status`. Leptos' `<A>` leaves absolute paths
/// alone, so every link goes through here to gain the prefix the browser sees.
pub fn href(path: &str) -> String {
    let base = use_context::<RouterBase>().map(|b| b.0).unwrap_or_default();
    format!("{base}{path}")
}

/// An app path (`/secrets`) from a browser pathname (`/ui/secrets`), for return targets.
pub fn app_path(pathname: &str) -> String {
    let base = use_context::<RouterBase>().map(|b| b.0).unwrap_or_default();
    app_path_under(&base, pathname)
}

/// An app path from a browser pathname, for a known router base (where no context is at
/// hand, as in an event listener or before the app runs).
pub fn app_path_under(router_base: &str, pathname: &str) -> String {
    let rest = pathname.strip_prefix(router_base).unwrap_or(pathname);
    if rest.is_empty() {
        "/".into()
    } else {
        rest.to_string()
    }
}

/// The router's base path for this render.
pub fn router_base() -> String {
    #[cfg(not(feature = "ssr"))]
    {
        browser_router_base()
    }
    #[cfg(feature = "ssr")]
    {
        use_context::<BaseHref>()
            .map(|base| base.router_base())
            .unwrap_or_default()
    }
}

/// The pathname of `document.baseURI` (e.g. `/ui/`), as the browser resolves URLs.
pub fn document_base_path() -> String {
    #[cfg(not(feature = "ssr"))]
    {
        let base_uri = document().base_uri().ok().flatten().unwrap_or_default();
        web_sys::Url::new(&base_uri)
            .map(|u| u.pathname())
            .unwrap_or_else(|_| "/".into())
    }
    #[cfg(feature = "ssr")]
    {
        use_context::<BaseHref>()
            .map(|b| b.0)
            .unwrap_or_else(|| "/".into())
    }
}

#[cfg(not(feature = "ssr"))]
fn browser_router_base() -> String {
    let base_uri = document().base_uri().ok().flatten().unwrap_or_default();
    match web_sys::Url::new(&base_uri) {
        Ok(url) => BaseHref(url.pathname()).router_base(),
        Err(_) => String::new(),
    }
}
