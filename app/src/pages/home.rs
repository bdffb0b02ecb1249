//! `/`: where to begin. An uninitialized Vault leads to the init form, a sealed one to the
//! unseal form, no session to the login page; otherwise an overview.

use crate::pages::mounts::MountKind;
use crate::routes::AppRoute;
use crate::{
    pages::status::SealStatusCard,
    state::{health::use_vault_health, session::use_session},
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate, NavigateOptions};

#[component]
pub fn HomePage() -> impl IntoView {
    let health = use_vault_health();
    let session = use_session();
    let navigate = use_navigate();
    Effect::new(move |_| {
        let Some(seal) = health.seal() else { return };
        let replace = NavigateOptions {
            replace: true,
            ..Default::default()
        };
        if !seal.initialized {
            navigate(&AppRoute::Init.href(), replace);
        } else if seal.sealed {
            navigate(&AppRoute::Unseal.href(), replace);
        } else if session.loaded.get() && !session.is_logged_in() {
            navigate(&AppRoute::login().href(), replace);
        }
    });
    view! {
        <SealStatusCard />
        <Show when=move || session.is_logged_in()>
            <section class="card">
                <h2>"Get started"</h2>
                <ul class="link-list">
                    <li><A href=AppRoute::Mounts(MountKind::Secrets).link()>"Secrets engines"</A> " — KV stores and other engines"</li>
                    <li><A href=AppRoute::Mounts(MountKind::Auth).link()>"Auth methods"</A> " — how people and workloads log in"</li>
                    <li><A href=AppRoute::Status.link()>"Status"</A> " — seal state, cluster and your token"</li>
                </ul>
            </section>
        </Show>
    }
}
