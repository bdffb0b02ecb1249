//! Who is logged in, how long the token has left (with a warning near the end), Log out.

use crate::routes::AppRoute;
use crate::{
    api::{self, Method},
    durations,
    state::{
        session::{now_ms, use_session},
        toasts::use_toasts,
    },
    wire::{LogoutResult, TokenFate},
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};
use std::time::Duration;

/// Below this many seconds left, the countdown turns into a warning.
const WARN_BELOW: u64 = 300;
/// How often the countdown is set right from the BFF (which renews while the user works).
const FOLLOW_EVERY: Duration = Duration::from_secs(30);

#[component]
pub fn SessionMenu() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let now = RwSignal::new(0.0);
    Effect::new(move |_| {
        now.set(now_ms());
        if let Ok(handle) =
            set_interval_with_handle(move || now.set(now_ms()), Duration::from_secs(1))
        {
            on_cleanup(move || handle.clear());
        }
        let follow = move || {
            if session.info.with_untracked(Option::is_some) {
                crate::state::tasks::spawn_owned(session.follow());
            }
        };
        if let Ok(handle) = set_interval_with_handle(follow, FOLLOW_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    let seconds_left = move || {
        let info = session.info.get()?;
        info.expire_time.as_ref()?;
        let elapsed = ((now.get() - session.fetched_at.get()) / 1000.0).max(0.0) as u64;
        Some(info.ttl.saturating_sub(elapsed))
    };
    let log_out = move |_| {
        let navigate = navigate.clone();
        crate::state::tasks::spawn_owned(async move {
            match api::send_json::<LogoutResult, ()>(Method::DELETE, "api/session", None).await {
                Ok(Some(result)) if result.token == TokenFate::NotRevoked => {
                    toasts.error(result.message)
                }
                Ok(Some(result)) => toasts.success(result.message),
                Ok(None) => toasts.success("Logged out."),
                Err(error) => toasts.error(format!("Logging out failed: {}", error.message())),
            }
            session.set_info(None);
            navigate(&AppRoute::login().href(), Default::default());
        });
    };
    view! {
        <div class="session-menu">
            <Show
                when=move || session.is_logged_in()
                fallback=move || view! { <A href=AppRoute::login().link() attr:class="button button-small">"Log in"</A> }
            >
                <span class="who" data-testid="session-user">
                    {move || session.info.get().map(|i| i.display_name).unwrap_or_default()}
                </span>
                {move || match seconds_left() {
                    Some(left) => {
                        let warn = left < WARN_BELOW;
                        view! {
                            <span
                                class=if warn { "countdown countdown-warn" } else { "countdown" }
                                data-testid="token-countdown"
                                title="Time until your Vault token expires; Vaultdeck renews renewable tokens while you are active"
                            >
                                {if warn { "⚠ token expires in " } else { "token expires in " }}
                                {durations::countdown(left)}
                            </span>
                        }.into_any()
                    }
                    None => view! { <span class="countdown" data-testid="token-countdown">"token does not expire"</span> }.into_any(),
                }}
                <button class="button button-small" on:click=log_out.clone() data-testid="logout">"Log out"</button>
            </Show>
        </div>
    }
}
