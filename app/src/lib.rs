#![recursion_limit = "512"]
//! Vaultdeck's user interface: a Leptos app rendered by the server (`ssr`) and hydrated in
//! the browser (`hydrate`). Every URL it builds is relative to `document.baseURI`, so the
//! app works under `/ui`, at `/`, and behind a prefix-adding proxy such as `kubectl proxy`.

pub mod api;
pub mod base;
pub mod components;
pub mod delivery;
pub mod durations;
pub mod page_chunks;
pub mod pages;
pub mod routes;
pub mod state;
pub mod wire;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::Router;

pub use base::BaseHref;

/// Whether a server-rendered page brings the app's code with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageCode {
    /// The page loads the WASM and hydrates: every page but the login page.
    Hydrated,
    /// The HTML and the stylesheet only: the login page, whose form works without the app
    /// (see `pages::login`), so that the first load is a few kilobytes.
    HtmlOnly,
}

/// The HTML document around the app. Only the server renders it.
///
/// `base_href` is the prefix the browser sees (the base path plus any `X-Forwarded-Prefix`),
/// always ending in `/`; every relative URL on the page resolves against it.
pub fn shell(options: LeptosOptions, base_href: BaseHref, code: PageCode) -> impl IntoView {
    let href = base_href.0.clone();
    provide_context(base_href);
    let scripts = (code == PageCode::Hydrated)
        .then(|| view! { <HydrationScripts options=options.clone() root="." /> });
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <base href=href />
                <link rel="icon" href="favicon.svg" type="image/svg+xml" />
                <leptos_meta::HashedStylesheet options=options.clone() root="." />
                {scripts}
                <leptos_meta::MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The root component, shared by server rendering and hydration.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let router_base = base::router_base();
    base::provide_router_base(router_base.clone());
    state::toasts::provide_toasts();
    state::health::provide_vault_health();
    let session = state::session::provide_session_state();
    state::permissions::provide_permissions(session);
    components::leave_guard::watch_history_steps();
    page_chunks::prefetch_linked_pages();
    page_chunks::prefetch_every_page_once_logged_in(session);
    // Who is logged in: asked once the app runs in the browser.
    Effect::new(move |_| {
        crate::state::tasks::spawn_owned(session.refresh());
    });
    view! {
        <Title text="Vaultdeck" />
        <Router base=router_base>
            <routes::AppRoutes />
        </Router>
    }
}

/// Entry point called by the hydration script once the WASM module is loaded.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        match page_chunks::load_current_page().await {
            Ok(()) => leptos::mount::hydrate_body(App),
            // Without its code the server's HTML for this page cannot be adopted. Draw the app
            // afresh instead: the page retries its load, and if its code still does not
            // come, says so and offers to try again.
            Err(_) => {
                if let Some(body) = document().body() {
                    body.set_inner_html("");
                }
                leptos::mount::mount_to_body(App);
            }
        }
    });
}
