//! `/unseal`: enter key shares (hex or base64) until the threshold; progress, the attempt's
//! nonce, Reset, clear errors for a wrong or repeated share; then on to login.

use crate::routes::AppRoute;
use crate::{
    api::{self, ApiError, Method},
    components::error_notice::ErrorNotice,
    state::{health::use_vault_health, session::use_session, toasts::use_toasts},
    wire::SealStatus,
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};
use serde_json::json;

#[component]
pub fn UnsealPage() -> impl IntoView {
    let health = use_vault_health();
    let session = use_session();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let key = RwSignal::new(String::new());
    let show_key = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let was_sealed = RwSignal::new(false);

    // Once unsealed (by us or someone else), move on to logging in.
    Effect::new(move |_| {
        let Some(seal) = health.seal() else { return };
        if seal.sealed {
            was_sealed.set(true);
        } else if seal.initialized {
            if was_sealed.get_untracked() {
                toasts.success("Vault is unsealed.");
            }
            let next = if session.is_logged_in() {
                "/"
            } else {
                "/login"
            };
            navigate(next, Default::default());
        }
    });

    let submit_share = move |body: serde_json::Value, before: u32| {
        busy.set(true);
        error.set(None);
        notice.set(None);
        // The field is cleared after the answer only if it still holds the share sent: a
        // user (or a test) may already have pasted the next one, which must not be lost.
        let sent = body.get("key").and_then(|k| k.as_str()).map(str::to_owned);
        let clear_sent = move || {
            key.update(|typed| {
                if Some(typed.as_str()) == sent.as_deref() {
                    typed.clear();
                }
            })
        };
        crate::state::tasks::spawn_owned(async move {
            match api::vault_send::<SealStatus, _>(Method::PUT, "sys/unseal", Some(&body)).await {
                Ok(Some(status)) => {
                    let repeated = body.get("key").is_some()
                        && status.sealed
                        && status.progress == before
                        && before > 0;
                    if repeated {
                        notice.set(Some("That key share was already entered in this attempt. Enter a different one.".into()));
                    }
                    clear_sent();
                    health.set(status);
                }
                Ok(None) => {}
                Err(e) => {
                    // A wrong share is only found at the threshold, and the attempt restarts.
                    clear_sent();
                    error.set(Some(e));
                    health.refresh();
                }
            }
            busy.set(false);
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = key.get_untracked().trim().to_string();
        if value.is_empty() {
            return;
        }
        let before = health.seal().map(|s| s.progress).unwrap_or(0);
        submit_share(json!({ "key": value }), before);
    };
    let reset = move |_| submit_share(json!({ "reset": true }), 0);

    view! {
        <section class="card narrow">
            <h1>"Unseal Vault"</h1>
            {move || match health.seal() {
                None => view! { <p class="muted">"Asking Vault…"</p> }.into_any(),
                Some(seal) if !seal.initialized => view! {
                    <p>"Vault is not initialized yet. " <A href=AppRoute::Init.link()>"Initialize it"</A> " first."</p>
                }.into_any(),
                Some(seal) if !seal.sealed => view! { <p data-testid="unsealed">"Vault is unsealed."</p> }.into_any(),
                Some(seal) => view! {
                    <p>"Enter " {seal.t} " of the " {seal.n} " key shares, one at a time, in hex or base64."</p>
                    <p class="progress-line">
                        <progress max=seal.t value=seal.progress aria-label="Unseal progress"></progress>
                        <span data-testid="unseal-progress">{format!("{}/{}", seal.progress, seal.t)}</span>
                    </p>
                    {(!seal.nonce.is_empty()).then(|| view! {
                        <p class="muted">"Attempt nonce: " <code class="mono" data-testid="unseal-nonce">{seal.nonce.clone()}</code></p>
                    })}
                }.into_any(),
            }}
            <Show when=move || health.seal().is_some_and(|s| s.initialized && s.sealed)>
                <form class="form" on:submit=submit>
                    <label class="field">
                        <span>"Key share"</span>
                        <div class="input-with-button">
                            <input
                                type=move || if show_key.get() { "text" } else { "password" }
                                autocomplete="off"
                                spellcheck="false"
                                bind:value=key
                                data-testid="unseal-key"
                            />
                            <button type="button" class="button button-small" on:click=move |_| show_key.update(|s| *s = !*s)>
                                {move || if show_key.get() { "Hide" } else { "Show" }}
                            </button>
                        </div>
                    </label>
                    {move || notice.get().map(|text| view! { <div class="alert alert-warn" role="alert" data-testid="unseal-notice">{text}</div> })}
                    {move || error.get().map(|error| view! {
                        <ErrorNotice error context="The key share was not accepted." />
                        <p class="muted">"If the threshold was reached, the attempt starts over: enter the shares again."</p>
                    })}
                    <div class="actions">
                        <button type="submit" class="button button-primary" disabled=move || busy.get() data-testid="unseal-submit">"Submit key share"</button>
                        <button type="button" class="button" disabled=move || busy.get() on:click=reset data-testid="unseal-reset">"Reset"</button>
                    </div>
                </form>
            </Show>
        </section>
    }
}
