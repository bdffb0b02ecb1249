//! `/status`: seal state, version, cluster, HA leader, the current token; and sealing.

use crate::{
    api::{self, ApiError, Method},
    components::error_notice::ErrorNotice,
    state::{health::use_vault_health, session::use_session, toasts::use_toasts},
    wire::{LeaderStatus, SealStatus, TokenLookup},
};
use leptos::prelude::*;

#[component]
pub fn StatusPage() -> impl IntoView {
    let session = use_session();
    view! {
        <SealStatusCard />
        <LeaderCard />
        <Show when=move || session.is_logged_in()>
            <TokenCard />
            <SealAction />
        </Show>
    }
}

/// Vault's seal status, from the app-wide poll.
#[component]
pub fn SealStatusCard() -> impl IntoView {
    let health = use_vault_health();
    view! {
        <section class="card">
            <h1>"Vault status"</h1>
            {move || match health.status.get() {
                None => view! { <p class="muted">"Asking Vault…"</p> }.into_any(),
                Some(Ok(seal)) => view! { <SealStatusTable seal /> }.into_any(),
                Some(Err(error)) => view! { <Unreachable error /> }.into_any(),
            }}
        </section>
    }
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
    view! {
        <p><span class=state.1 data-testid="seal-state">{state.0}</span></p>
        <dl class="facts" data-testid="seal-status">
            <dt>"Initialized"</dt>
            <dd data-testid="initialized">{yes_no(seal.initialized)}</dd>
            <dt>"Sealed"</dt>
            <dd data-testid="sealed">{yes_no(seal.sealed)}</dd>
            <dt>"Seal type"</dt>
            <dd>{seal.seal_type.clone()}</dd>
            <dt>"Unseal threshold"</dt>
            <dd data-testid="threshold">{format!("{} of {} key shares", seal.t, seal.n)}</dd>
            <dt>"Unseal progress"</dt>
            <dd data-testid="progress">{format!("{} of {}", seal.progress, seal.t)}</dd>
            <dt>"Version"</dt>
            <dd data-testid="version">{seal.version.clone()}</dd>
            <dt>"Build date"</dt>
            <dd>{seal.build_date.clone()}</dd>
            <dt>"Storage"</dt>
            <dd>{seal.storage_type.clone()}</dd>
            {seal.cluster_name.clone().map(|name| view! { <dt>"Cluster name"</dt><dd data-testid="cluster-name">{name}</dd> })}
            {seal.cluster_id.clone().map(|id| view! { <dt>"Cluster ID"</dt><dd class="mono">{id}</dd> })}
        </dl>
    }
}

#[component]
fn LeaderCard() -> impl IntoView {
    let leader = LocalResource::new(|| async {
        api::get_json::<LeaderStatus>(&api::vault_url("sys/leader")?).await
    });
    view! {
        <section class="card">
            <h2>"High availability"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || leader.get().map(|answer| match answer {
                    Ok(leader) if !leader.ha_enabled => view! {
                        <p data-testid="ha-status">"This Vault runs without HA storage: a single active node."</p>
                    }.into_any(),
                    Ok(leader) => view! {
                        <dl class="facts" data-testid="ha-status">
                            <dt>"HA enabled"</dt><dd>"yes"</dd>
                            <dt>"This node is the leader"</dt><dd>{yes_no(leader.is_self)}</dd>
                            <dt>"Leader address"</dt><dd class="mono">{leader.leader_address}</dd>
                        </dl>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error context="Could not read the leader status." /> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn TokenCard() -> impl IntoView {
    let token = LocalResource::new(|| async {
        api::vault_data::<TokenLookup>("auth/token/lookup-self").await
    });
    view! {
        <section class="card">
            <h2>"Your token"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || token.get().map(|answer| match answer {
                    Ok(token) => view! {
                        <dl class="facts" data-testid="token-details">
                            <dt>"Display name"</dt><dd>{token.display_name}</dd>
                            <dt>"Policies"</dt><dd>{token.policies.join(", ")}</dd>
                            <dt>"Issued through"</dt><dd class="mono">{token.path}</dd>
                            <dt>"Type"</dt><dd>{token.token_type}</dd>
                            <dt>"Expires"</dt><dd>{token.expire_time.unwrap_or_else(|| "never".into())}</dd>
                            <dt>"Renewable"</dt><dd>{yes_no(token.renewable)}</dd>
                            <dt>"Orphan"</dt><dd>{yes_no(token.orphan)}</dd>
                        </dl>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error context="Could not look up your token." /> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// Sealing needs `update` and `sudo` on `sys/seal`; the button only shows if the token has them.
#[component]
fn SealAction() -> impl IntoView {
    let permissions = crate::state::permissions::use_permissions();
    let health = use_vault_health();
    let toasts = use_toasts();
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let seal = move |_| {
        busy.set(true);
        crate::state::tasks::spawn_owned(async move {
            match api::vault_write::<()>(Method::PUT, "sys/seal", None).await {
                Ok(_) => {
                    toasts.success("Vault is sealed. It needs its key shares to unseal again.")
                }
                Err(error) => toasts.error(format!("Sealing failed: {}", error.message())),
            }
            busy.set(false);
            confirming.set(false);
            health.refresh();
        });
    };
    let allowed = move || {
        use vaultdeck_policy::Capability::{Sudo, Update};
        permissions.can_all("sys/seal", &[Update, Sudo]) && health.seal().is_some_and(|s| !s.sealed)
    };
    view! {
        <Show when=allowed>
            <section class="card">
                <h2>"Seal Vault"</h2>
                <p>"Sealing stops Vault from serving any secret until enough key shares unseal it again."</p>
                <Show
                    when=move || confirming.get()
                    fallback=move || view! {
                        <button class="button button-danger" on:click=move |_| confirming.set(true) data-testid="seal-button">
                            "Seal Vault…"
                        </button>
                    }
                >
                    <div class="alert alert-warn" role="alertdialog" aria-label="Confirm sealing">
                        <p>"Seal Vault now? Every client loses access until it is unsealed."</p>
                        <div class="actions">
                            <button class="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                            <button class="button button-danger" disabled=move || busy.get() on:click=seal data-testid="seal-confirm">
                                "Seal"
                            </button>
                        </div>
                    </div>
                </Show>
            </section>
        </Show>
    }
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}
