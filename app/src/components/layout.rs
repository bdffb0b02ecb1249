//! The frame around every page: header with navigation and the session, the Vault banner,
//! the page, and the toast area. It also reacts when the session ends.

use crate::pages::mounts::MountKind;
use crate::routes::AppRoute;
use crate::{
    components::{
        banner::VaultBanner, session_menu::SessionMenu, toasts::ToastArea, trail::ShellTrail,
    },
    state::{permissions::use_permissions, session::use_session},
};
use leptos::prelude::*;
use leptos_router::{
    components::{Outlet, A},
    hooks::{use_location, use_navigate},
    NavigateOptions,
};

/// The frame for routed pages: the matched child route renders inside.
#[component]
pub fn Layout() -> impl IntoView {
    view! { <Frame><Outlet /></Frame> }
}

/// The frame around any content (also used by the not-found page, which has no route).
#[component]
pub fn Frame(children: Children) -> impl IntoView {
    return_to_login_when_the_session_ends();
    let permissions = use_permissions();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <A href=AppRoute::Home.link() attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                " Vaultdeck"
            </A>
            <nav class="mainnav" aria-label="Main">
                <A href=AppRoute::Mounts(MountKind::Secrets).link()>"Secrets"</A>
                <A href=AppRoute::Mounts(MountKind::Auth).link()>"Auth methods"</A>
                <A href=AppRoute::Policies.link()>"Policies"</A>
                <A href=AppRoute::Kubernetes.link()>"Kubernetes"</A>
                <A href=AppRoute::Status.link()>"Status"</A>
            </nav>
            <SessionMenu />
        </header>
        <VaultBanner />
        // Whether the token's policies are known: actions appear once they are (tests wait on it).
        <main class="page" id="main" tabindex="-1" data-permissions=move || if permissions.loaded() { "loaded" } else { "loading" }>
            <ShellTrail />
            {children()}
        </main>
        <ToastArea />
    }
}

/// When any call reports that the session is over, go to the login page with the reason,
/// keeping where the user was as the place to come back to.
fn return_to_login_when_the_session_ends() {
    let session = use_session();
    let location = use_location();
    let navigate = use_navigate();
    Effect::new(move |_| {
        let Some((reason, _message)) = session.ended.get() else {
            return;
        };
        session.info.set(None);
        session.ended.set(None);
        let here = location.pathname.get_untracked();
        if here.ends_with("/login") {
            return;
        }
        let back = crate::routes::with_search(
            &crate::base::app_path(&here),
            &location.search.get_untracked(),
        );
        let target = AppRoute::Login {
            reason: Some(reason),
            back: Some(back),
            tab: None,
        }
        .href();
        navigate(
            &target,
            NavigateOptions {
                replace: true,
                ..Default::default()
            },
        );
    });
}
