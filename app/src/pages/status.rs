//! Vault's seal status, read through the BFF without a token and refreshed every few seconds.

use crate::api::{self, ApiError};
use crate::wire::SealStatus;
use leptos::prelude::*;
use std::time::Duration;

const REFRESH_EVERY: Duration = Duration::from_secs(3);

async fn fetch_seal_status() -> Result<SealStatus, ApiError> {
    api::get_json(&api::vault_url("sys/seal-status")).await
}

#[component]
pub fn StatusPage() -> impl IntoView {
    let status = LocalResource::new(fetch_seal_status);
    refresh_periodically(move || status.refetch());
    view! {
        <section class="card">
            <h1>"Vault status"</h1>
            <Transition fallback=|| view! { <p class="muted">"Asking Vault…"</p> }>
                {move || status.get().map(|result| match result {
                    Ok(seal) => view! { <SealStatusTable seal /> }.into_any(),
                    Err(error) => view! { <Unreachable error /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// Calls `refresh` every few seconds while the page is mounted (in the browser only).
fn refresh_periodically(refresh: impl Fn() + Clone + 'static) {
    Effect::new(move |_| {
        let refresh = refresh.clone();
        if let Ok(handle) = set_interval_with_handle(move || refresh(), REFRESH_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
}

#[component]
fn Unreachable(error: ApiError) -> impl IntoView {
    let title = if error.is_vault_unreachable() {
        "Vault unreachable"
    } else {
        "Vault status unavailable"
    };
    view! {
        <div class="alert alert-error" role="alert" data-testid="vault-unreachable">
            <strong>{title}</strong>
            <p>{error.message()}</p>
        </div>
    }
}

#[component]
fn SealStatusTable(seal: SealStatus) -> impl IntoView {
    let state = match (seal.initialized, seal.sealed) {
        (false, _) => ("Not initialized", "badge badge-warn"),
        (true, true) => ("Sealed", "badge badge-warn"),
        (true, false) => ("Unsealed", "badge badge-ok"),
    };
    let progress = format!("{} of {}", seal.progress, seal.t);
    let shares = format!("{} of {} key shares", seal.t, seal.n);
    view! {
        <p>
            <span class=state.1 data-testid="seal-state">{state.0}</span>
        </p>
        <dl class="facts" data-testid="seal-status">
            <dt>"Initialized"</dt>
            <dd data-testid="initialized">{yes_no(seal.initialized)}</dd>
            <dt>"Sealed"</dt>
            <dd data-testid="sealed">{yes_no(seal.sealed)}</dd>
            <dt>"Unseal threshold"</dt>
            <dd data-testid="threshold">{shares}</dd>
            <dt>"Unseal progress"</dt>
            <dd data-testid="progress">{progress}</dd>
            <dt>"Seal type"</dt>
            <dd>{seal.seal_type}</dd>
            <dt>"Version"</dt>
            <dd data-testid="version">{seal.version}</dd>
            <dt>"Storage"</dt>
            <dd>{seal.storage_type}</dd>
            {seal.cluster_name.map(|name| view! {
                <dt>"Cluster"</dt>
                <dd>{name}</dd>
            })}
        </dl>
    }
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}
