//! The frame around every page: header, navigation and the page body.

use crate::base::href;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

/// The frame for routed pages: the matched child route renders inside.
#[component]
pub fn Layout() -> impl IntoView {
    view! { <Frame><Outlet /></Frame> }
}

/// The frame around any content (also used by the not-found page, which has no route).
#[component]
pub fn Frame(children: Children) -> impl IntoView {
    view! {
        <header class="topbar">
            <A href=href("/") attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                " Vaultdeck"
            </A>
            <nav class="mainnav" aria-label="Main">
                <A href=href("/status")>"Status"</A>
            </nav>
        </header>
        <main class="page" id="main">{children()}</main>
    }
}
