//! The list of secrets engines or auth methods, with a filter and the actions the token
//! may perform.

use super::{trim_path, MountKind};
use crate::routes::{AppRoute, EngineView, K8sView};
use crate::{
    api::{self, Method},
    components::{confirm::TypedConfirm, error_notice::ErrorNotice, guard::RequireLogin},
    durations,
    state::{permissions::use_permissions, toasts::use_toasts},
    wire::MountInfo,
};
use leptos::prelude::*;
use leptos_router::components::A;
use std::collections::BTreeMap;
use vaultdeck_policy::Capability;

#[component]
pub fn MountListPage(kind: MountKind) -> impl IntoView {
    view! { <RequireLogin><MountList kind /></RequireLogin> }
}

fn ttl_text(seconds: u64) -> String {
    if seconds == 0 {
        "system default".into()
    } else {
        durations::format(seconds)
    }
}

#[component]
fn MountList(kind: MountKind) -> impl IntoView {
    let permissions = use_permissions();
    let toasts = use_toasts();
    let mounts = LocalResource::new(move || async move {
        api::vault_data::<BTreeMap<String, MountInfo>>(kind.list_path()).await
    });
    let filter = RwSignal::new(String::new());
    let disabling = RwSignal::new(None::<String>);
    let dialog_open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let can_enable = move || kind.may_enable(permissions);

    let disable = Callback::new(move |()| {
        let Some(path) = disabling.get_untracked() else {
            return;
        };
        busy.set(true);
        crate::state::tasks::spawn_owned(async move {
            match api::vault_write::<()>(Method::DELETE, &kind.mount_path(&path), None).await {
                Ok(_) => {
                    toasts.success(format!("Disabled the {} at {path}/.", kind.noun()));
                    dialog_open.set(false);
                    mounts.refetch();
                }
                Err(error) => {
                    toasts.error(format!("Disabling {path}/ failed: {}", error.message()))
                }
            }
            busy.set(false);
        });
    });

    let rows = move || {
        let needle = filter.get().to_lowercase();
        mounts.get().map(|answer| {
            answer.map(|all| {
                all.into_iter()
                    .filter(|(path, _)| kind.is_listed(path))
                    .filter(|(path, info)| {
                        needle.is_empty()
                            || path.to_lowercase().contains(&needle)
                            || info.kind.to_lowercase().contains(&needle)
                            || info.description.to_lowercase().contains(&needle)
                    })
                    .collect::<Vec<_>>()
            })
        })
    };

    view! {
        <section class="card">
            <div class="card-head">
                <h1>{kind.title()}</h1>
                <Show when=can_enable>
                    <A href=AppRoute::EnableMount(kind).link() attr:class="button button-primary" attr:data-testid="enable-mount">
                        {format!("Enable new {}", kind.noun())}
                    </A>
                </Show>
            </div>
            <label class="field field-inline">
                <span>"Filter"</span>
                <input type="search" bind:value=filter placeholder="path, type or description" data-testid="mount-filter" />
            </label>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || rows().map(|answer| match answer {
                    Err(error) => view! { <ErrorNotice error context="Could not list them." /> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="muted">"Nothing matches the filter."</p> }.into_any(),
                    Ok(rows) => view! {
                        <table class="table" data-testid="mount-table">
                            <thead><tr>
                                <th>"Path"</th><th>"Type"</th><th>"Accessor"</th><th>"Description"</th>
                                <th>"Default TTL"</th><th>"Max TTL"</th><th>"Login page"</th><th><span class="sr-only">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|(path, info)| view! {
                                    <MountRow kind path info disabling dialog_open />
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
        </section>
        {move || disabling.get().map(|path| view! {
            <TypedConfirm
                open=dialog_open
                title=format!("Disable the {} at {path}/?", kind.noun())
                explanation=kind.disable_consequence().to_string()
                expected=path.clone()
                action_label="Disable".to_string()
                on_confirm=disable
                busy=busy
            />
        })}
    }
}

#[component]
fn MountRow(
    kind: MountKind,
    path: String,
    info: MountInfo,
    disabling: RwSignal<Option<String>>,
    dialog_open: RwSignal<bool>,
) -> impl IntoView {
    let permissions = use_permissions();
    let plain = trim_path(&path);
    let type_label = match info.kv_version() {
        Some(version) => format!("kv v{version}"),
        None => info.kind.clone(),
    };
    let configure_href = AppRoute::MountSettings {
        kind,
        mount: plain.clone(),
    }
    .link();
    let tune_path = kind.tune_path(&plain);
    let mount_path = kind.mount_path(&plain);
    let permanent = kind.is_permanent(&plain);
    let tunable = kind == MountKind::Auth || !permanent;
    // Reactive: the ACL may arrive after the rows.
    let can_tune = move || tunable && permissions.can(&tune_path, Capability::Update);
    let can_disable = move || {
        !permanent && permissions.can_all(&mount_path, &kind.admin_capabilities(Capability::Delete))
    };
    let is_kubernetes = info.kind == "kubernetes";
    let browse = match kind {
        MountKind::Secrets if info.kv_version().is_some() => {
            Some(AppRoute::kv_list(&plain, "").link())
        }
        MountKind::Secrets if is_kubernetes => {
            Some(AppRoute::engine(&plain, EngineView::Roles).link())
        }
        MountKind::Auth if is_kubernetes => Some(AppRoute::k8s(&plain, K8sView::Roles).link()),
        _ => None,
    };
    // Where the Kubernetes configuration of the mount is, auth method or engine.
    let (k8s_config_href, k8s_config_path) = match kind {
        MountKind::Auth => (
            AppRoute::k8s(&plain, K8sView::Config).link(),
            format!("auth/{plain}/config"),
        ),
        MountKind::Secrets => (
            AppRoute::engine(&plain, EngineView::Config).link(),
            format!("{plain}/config"),
        ),
    };
    let can_read_k8s_config =
        move || is_kubernetes && permissions.can(&k8s_config_path, Capability::Read);
    let visibility = if info.config.listing_visibility == "unauth" {
        "listed"
    } else {
        "hidden"
    };
    let row_path = plain.clone();
    view! {
        <tr data-testid="mount-row" data-path=plain.clone()>
            <td class="mono">
                {match browse {
                    Some(link) => view! { <A href=link>{path.clone()}</A> }.into_any(),
                    None => view! { <span>{path.clone()}</span> }.into_any(),
                }}
            </td>
            <td>{type_label}</td>
            <td class="mono">{info.accessor.clone()}</td>
            <td>{info.description.clone()}</td>
            <td>{ttl_text(info.config.default_lease_ttl)}</td>
            <td>{ttl_text(info.config.max_lease_ttl)}</td>
            <td>{visibility}</td>
            <td><div class="row-actions">
                {move || can_read_k8s_config().then(|| view! { <A href=k8s_config_href.clone() attr:class="button button-small" attr:data-testid="k8s-config">"Kubernetes config"</A> })}
                {move || can_tune().then(|| view! { <A href=configure_href.clone() attr:class="button button-small">"Configure"</A> })}
                {move || can_disable().then(|| {
                    let row_path = row_path.clone();
                    view! {
                        <button
                            class="button button-small button-danger"
                            data-testid="disable-mount"
                            on:click=move |_| {
                                disabling.set(Some(row_path.clone()));
                                dialog_open.set(true);
                            }
                        >
                            "Disable"
                        </button>
                    }
                })}
            </div></td>
        </tr>
    }
}
