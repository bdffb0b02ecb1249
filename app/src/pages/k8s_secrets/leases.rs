//! The leases of the engine's credentials (`sys/leases/…`): Vault's record of every token it
//! issued, and what ends it. Revoking a lease deletes what Vault created for it in the
//! cluster (the service account, and the Role and binding when the role made them); for a
//! role that uses an existing service account there is nothing to delete, and the token
//! stays valid in the cluster until it expires.

use super::{list_keys, EngineNav};
use crate::{
    api::{self, ApiError, Method},
    components::{confirm::TypedConfirm, error_notice::ErrorNotice},
    routes::{AppRoute, EngineView},
    state::{permissions::use_permissions, toasts::use_toasts},
    wire::MountKind,
};
use leptos::prelude::*;
use leptos_router::components::A;
use serde::Deserialize;
use serde_json::json;
use vaultdeck_policy::Capability;

/// `sys/leases/lookup`'s answer.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct LeaseFacts {
    pub id: String,
    #[serde(default)]
    pub issue_time: String,
    #[serde(default)]
    pub expire_time: Option<String>,
    #[serde(default)]
    pub renewable: bool,
    #[serde(default)]
    pub ttl: u64,
}

pub async fn lookup(lease_id: &str) -> Result<LeaseFacts, ApiError> {
    let body = json!({ "lease_id": lease_id });
    api::vault_send::<crate::wire::Envelope<LeaseFacts>, _>(
        Method::PUT,
        "sys/leases/lookup",
        Some(&body),
    )
    .await?
    .map(|envelope| envelope.data)
    .ok_or_else(|| ApiError::local("Vault said nothing about the lease."))
}

pub async fn renew(lease_id: &str) -> Result<u64, ApiError> {
    #[derive(Deserialize)]
    struct Renewed {
        lease_duration: u64,
    }
    let body = json!({ "lease_id": lease_id });
    api::vault_send::<Renewed, _>(Method::PUT, "sys/leases/renew", Some(&body))
        .await?
        .map(|r| r.lease_duration)
        .ok_or_else(|| ApiError::local("Vault said nothing about the renewal."))
}

pub async fn revoke(lease_id: &str) -> Result<(), ApiError> {
    let body = json!({ "lease_id": lease_id });
    api::vault_write(Method::PUT, "sys/leases/revoke", Some(&body))
        .await
        .map(|_| ())
}

/// Every lease under `prefix` (`kubernetes/creds/webapp-one`), one by one, in Vault.
pub async fn revoke_prefix(prefix: &str) -> Result<(), ApiError> {
    api::vault_write::<()>(
        Method::PUT,
        &format!("sys/leases/revoke-prefix/{prefix}"),
        None,
    )
    .await
    .map(|_| ())
}

/// The leases of one role: `(lease id, facts)`; facts are missing for leases that ended
/// between the listing and the lookup.
async fn role_leases(
    mount: &str,
    role: &str,
) -> Result<Vec<(String, Option<LeaseFacts>)>, ApiError> {
    let prefix = format!("{mount}/creds/{role}/");
    let ids = list_keys(&format!("sys/leases/lookup/{prefix}")).await?;
    let mut leases = Vec::new();
    for id in ids {
        let lease_id = format!("{prefix}{id}");
        let facts = lookup(&lease_id).await.ok();
        leases.push((lease_id, facts));
    }
    Ok(leases)
}

#[component]
pub fn LeasesPage(mount: String) -> impl IntoView {
    let role_names = LocalResource::new({
        let mount = mount.clone();
        move || {
            let mount = mount.clone();
            async move {
                let names = list_keys(&format!("sys/leases/lookup/{mount}/creds/")).await?;
                Ok::<_, ApiError>(
                    names
                        .into_iter()
                        .map(|n| n.trim_end_matches('/').to_string())
                        .collect::<Vec<_>>(),
                )
            }
        }
    });
    let all_prefix = format!("{mount}/creds");
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <A href=AppRoute::Mounts(MountKind::Secrets).link()>"Secrets engines"</A>
            <span class="crumb-sep">"/"</span>
            <span>{format!("{mount}/")}</span>
        </nav>
        <h1>{format!("Kubernetes secrets engine at {mount}/: leases")}</h1>
        <EngineNav mount=mount.clone() />
        <p class="muted">"Each lease is a token Vault issued. Revoking it deletes what Vault created for it in the cluster; a token of an existing service account stays valid until it expires, since there is nothing to delete."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || role_names.get().map(|answer| match answer {
                Err(error) => view! { <ErrorNotice error context="Could not list the leases." /> }.into_any(),
                Ok(roles) if roles.is_empty() => view! {
                    <p class="muted" data-testid="no-leases">"No active leases."</p>
                }.into_any(),
                Ok(roles) => view! {
                    {roles.into_iter().map(|role| view! {
                        <RoleLeases mount=mount.clone() role on_change=Callback::new(move |()| role_names.refetch()) />
                    }).collect_view()}
                    <RevokePrefix prefix=all_prefix.clone() label="Revoke every lease of this engine".to_string() on_done=Callback::new(move |()| role_names.refetch()) />
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn RoleLeases(mount: String, role: String, on_change: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let leases = LocalResource::new({
        let (mount, role) = (mount.clone(), role.clone());
        move || {
            let (mount, role) = (mount.clone(), role.clone());
            async move { role_leases(&mount, &role).await }
        }
    });
    let revoke_one = move |lease_id: String| {
        crate::state::tasks::spawn_owned(async move {
            match revoke(&lease_id).await {
                Ok(()) => {
                    toasts.success(format!("Revoked {lease_id}."));
                    leases.refetch();
                    on_change.run(());
                }
                Err(e) => toasts.error(format!("Could not revoke {lease_id}: {}", e.message())),
            }
        });
    };
    let role_link = AppRoute::engine(&mount, EngineView::Role(role.clone())).link();
    let prefix = format!("{mount}/creds/{role}");
    let revoke_label = format!("Revoke every lease of {role}");
    let heading = role.clone();
    view! {
        <section class="card" data-testid="role-leases" data-role=role>
            <h2>"Role " <A href=role_link>{heading}</A></h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || leases.get().map(|answer| match answer {
                    Err(error) => view! { <ErrorNotice error context="Could not read the leases." /> }.into_any(),
                    Ok(leases) => view! {
                        <table class="table">
                            <thead><tr><th>"Lease"</th><th>"Issued"</th><th>"Expires"</th><th></th></tr></thead>
                            <tbody>
                                {leases.into_iter().map(|(lease_id, facts)| {
                                    let id = lease_id.clone();
                                    let facts = facts.unwrap_or_default();
                                    view! {
                                        <tr data-testid="lease-row" data-lease=lease_id.clone()>
                                            <td class="mono">{lease_id.clone()}</td>
                                            <td>{facts.issue_time}</td>
                                            <td>{facts.expire_time.unwrap_or_default()}</td>
                                            <td><button type="button" class="button button-small button-danger" on:click=move |_| revoke_one(id.clone()) data-testid="revoke-lease">"Revoke"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
            <RevokePrefix prefix label=revoke_label on_done=on_change />
        </section>
    }
}

/// `sys/leases/revoke-prefix`, behind a typed confirmation; offered only with `sudo` there.
#[component]
fn RevokePrefix(prefix: String, label: String, on_done: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let permissions = use_permissions();
    let permitted = {
        let path = format!("sys/leases/revoke-prefix/{prefix}");
        move || permissions.can_all(&path, &[Capability::Update, Capability::Sudo])
    };
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let confirm = Callback::new({
        let prefix = prefix.clone();
        move |()| {
            busy.set(true);
            let prefix = prefix.clone();
            crate::state::tasks::spawn_owned(async move {
                match revoke_prefix(&prefix).await {
                    Ok(()) => {
                        toasts.success(format!("Revoked every lease under {prefix}/."));
                        open.set(false);
                        on_done.run(());
                    }
                    Err(e) => {
                        toasts.error(format!("Could not revoke under {prefix}/: {}", e.message()))
                    }
                }
                busy.set(false);
            });
        }
    });
    view! {
        {move || permitted().then(|| view! {
            <div class="actions">
                <button type="button" class="button button-danger" on:click=move |_| open.set(true) data-testid="revoke-prefix">{label.clone()}</button>
            </div>
        })}
        <TypedConfirm
            open
            title=format!("Revoke every lease under {prefix}/?")
            explanation="Vault revokes them one by one and deletes what it created for each in the cluster. This needs sudo on sys/leases/revoke-prefix.".to_string()
            expected=prefix.clone()
            action_label="Revoke all".to_string()
            on_confirm=confirm
            busy
        />
    }
}
