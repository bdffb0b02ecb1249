//! A secret: its values masked until revealed (each with Copy), all of them as JSON, and
//! for KV version 2 its versions and metadata. Deleted and destroyed versions say so.

use super::{
    browse::Breadcrumbs,
    delete_for_good, parent_folder, read_secret,
    values::{object_text, pretty, rows_from, RawData, Value},
    versions::{MetadataTab, VersionsTab},
    KvMount, Secret, VersionMeta,
};
use crate::{
    api::{self, ApiError, Method},
    components::{
        confirm::TypedConfirm,
        copy::CopyButton,
        error_notice::{refusal_text, ErrorNotice},
    },
    routes::{AppRoute, DeliverFrom, KvView},
    state::{permissions::use_permissions, toasts::use_toasts},
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};
use serde_json::json;
use vaultdeck_policy::Capability;

const MASK: &str = "••••••••";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Secret,
    Versions,
    Metadata,
}

#[component]
pub fn ShowSecret(mount: KvMount, path: String) -> impl IntoView {
    let query = crate::routes::use_query();
    let version = move || {
        query
            .with(|q| q.get("version"))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let tab = RwSignal::new(Tab::Secret);
    let reload = RwSignal::new(0u32);
    let secret = LocalResource::new({
        let (mount, path) = (mount.clone(), path.clone());
        move || {
            reload.track();
            let (mount, path, version) = (mount.clone(), path.clone(), version());
            async move { read_secret(&mount, &path, version).await }
        }
    });
    let is_v2 = mount.version == 2;
    view! {
        <section class="card">
            <Breadcrumbs mount=mount.path.clone() path=path.clone() />
            <h1 class="mono">{path.clone()}</h1>
            <p>
                <A href=AppRoute::Deliver(DeliverFrom {
                    mount: Some(mount.path.clone()),
                    path: Some(path.clone()),
                    ..DeliverFrom::default()
                }).link() attr:data-testid="deliver-secret">"Deliver to a pod"</A>
            </p>
            {is_v2.then(|| view! {
                <div class="tabs" role="tablist">
                    {[(Tab::Secret, "Secret"), (Tab::Versions, "Versions"), (Tab::Metadata, "Metadata")].into_iter().map(|(t, label)| view! {
                        <button type="button" role="tab" class="tab" aria-selected=move || (tab.get() == t).to_string()
                            on:click=move |_| {
                                // Back on the secret, read it again: the other tabs may have changed it.
                                if t == Tab::Secret && tab.get_untracked() != Tab::Secret {
                                    reload.update(|r| *r += 1);
                                }
                                tab.set(t);
                            }
                            data-testid=format!("tab-{}", label.to_lowercase())>{label}</button>
                    }).collect_view()}
                </div>
            })}
            {move || match tab.get() {
                Tab::Secret => {
                    let (mount, path) = (mount.clone(), path.clone());
                    view! {
                        <Suspense fallback=|| view! { <p class="muted">"Reading…"</p> }>
                            {
                                let (mount, path) = (mount.clone(), path.clone());
                                move || secret.get().map(|answer| view! { <SecretState answer mount=mount.clone() path=path.clone() reload latest=version().is_none() /> })
                            }
                        </Suspense>
                    }.into_any()
                }
                Tab::Versions => view! { <VersionsTab mount=mount.clone() path=path.clone() /> }.into_any(),
                Tab::Metadata => view! { <MetadataTab mount=mount.clone() path=path.clone() /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn SecretState(
    answer: Result<Secret, ApiError>,
    mount: KvMount,
    path: String,
    reload: RwSignal<u32>,
    /// Whether the latest version is shown (no `?version=`).
    latest: bool,
) -> impl IntoView {
    let data_path = mount.data_path(&path);
    match answer {
        Ok(Secret::Live { data, meta }) => view! { <SecretValues data meta mount path reload latest /> }.into_any(),
        Ok(Secret::Deleted(meta)) => view! { <DeletedVersion meta mount path reload /> }.into_any(),
        Ok(Secret::Destroyed(meta)) => view! {
            <div class="alert alert-warn" data-testid="secret-destroyed">
                {format!("Version {} of this secret was destroyed: its data is gone for good.", meta.version)}
            </div>
        }.into_any(),
        Ok(Secret::Missing) => {
            let create = AppRoute::Kv {
                mount: mount.path.clone(),
                view: KvView::Create {
                    folder: Some(parent_folder(&path)),
                    name: path.rsplit('/').next().map(str::to_string),
                },
            }
            .link();
            view! {
                <div class="alert alert-info" data-testid="secret-missing">
                    "There is no secret at " <code>{format!("{}/{}", mount.path, path)}</code> ". "
                    <A href=create>"Create it"</A>
                </div>
            }.into_any()
        }
        Err(error) if error.is_permission_denied() => view! {
            <div class="alert alert-error" role="alert" data-testid="secret-denied">
                "Your policy does not allow “read” on " <code>{data_path}</code> "."
                <p class="muted">{error.message()}</p>
            </div>
        }.into_any(),
        Err(error) => view! { <ErrorNotice error context="The secret could not be read." /> }.into_any(),
    }
}

#[component]
fn DeletedVersion(
    meta: VersionMeta,
    mount: KvMount,
    path: String,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let permissions = use_permissions();
    let toasts = use_toasts();
    let undelete_path = mount.versions_path("undelete", &path);
    // Reactive: the token's policies may still be loading when the secret is shown.
    let allowed = {
        let undelete_path = undelete_path.clone();
        move || permissions.can(&undelete_path, Capability::Update)
    };
    let version = meta.version;
    let undelete = move |_| {
        let undelete_path = undelete_path.clone();
        crate::state::tasks::spawn_owned(async move {
            match api::vault_write(
                Method::POST,
                &undelete_path,
                Some(&json!({ "versions": [version] })),
            )
            .await
            {
                Ok(_) => {
                    toasts.success(format!("Version {version} is back."));
                    reload.update(|r| *r += 1);
                }
                Err(error) => toasts.error(format!("Undelete failed: {}", error.message())),
            }
        });
    };
    view! {
        <div class="alert alert-warn" data-testid="secret-deleted">
            {format!("Version {version} of this secret was deleted at {}. Its data is kept until it is destroyed.", meta.deletion_time)}
            {move || allowed().then(|| view! {
                <p><button class="button" on:click=undelete.clone() data-testid="undelete">"Undelete"</button></p>
            })}
        </div>
    }
}

#[component]
fn SecretValues(
    data: RawData,
    meta: Option<VersionMeta>,
    mount: KvMount,
    path: String,
    reload: RwSignal<u32>,
    latest: bool,
) -> impl IntoView {
    let shown_version = meta.as_ref().map(|m| m.version);
    let permissions = use_permissions();
    let as_json = RwSignal::new(false);
    let all_json = pretty(&object_text(&data));
    let copy_all = all_json.clone();
    let rows = rows_from(&data);
    let edit_href = AppRoute::Kv {
        mount: mount.path.clone(),
        view: KvView::Edit(path.clone()),
    }
    .link();
    let data_path = mount.data_path(&path);
    let can_edit = move || permissions.can(&data_path, Capability::Update);
    view! {
        {meta.map(|m| view! {
            <p class="muted" data-testid="secret-version">{format!("Version {}, created {}", m.version, m.created_time)}</p>
        })}
        <div class="actions">
            {move || can_edit().then(|| view! { <A href=edit_href.clone() attr:class="button button-primary" attr:data-testid="edit-secret">"Edit"</A> })}
            <CopyButton value=Signal::derive(move || copy_all.clone()) label="all values as JSON".to_string() />
            <button type="button" class="button" on:click=move |_| as_json.update(|j| *j = !*j) data-testid="toggle-json">
                {move || if as_json.get() { "Show as table" } else { "Show as JSON (reveals values)" }}
            </button>
            {(mount.version == 1).then(|| view! { <DeleteUnversioned mount=mount.clone() path=path.clone() /> })}
            {shown_version.map(|version| view! { <DeleteVersion mount=mount.clone() path=path.clone() version latest reload /> })}
        </div>
        <Show
            when=move || as_json.get()
            fallback=move || {
                let rows = rows.clone();
                view! {
                    <table class="table" data-testid="secret-table">
                        <thead><tr><th>"Key"</th><th>"Value"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                        <tbody>{rows.into_iter().map(|row| view! { <ValueRow key=row.key value=row.value /> }).collect_view()}</tbody>
                    </table>
                }
            }
        >
            <pre class="json-view" data-testid="secret-json">{all_json.clone()}</pre>
        </Show>
    }
}

/// Soft-deleting the version on screen (KV v2), which undelete reverses. The latest goes
/// with `DELETE data/PATH` — the `delete` capability, as `vault kv delete` — an older one
/// through `delete/PATH`, which needs `update`.
#[component]
fn DeleteVersion(
    mount: KvMount,
    path: String,
    version: u64,
    latest: bool,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let permissions = use_permissions();
    let toasts = use_toasts();
    let (request_path, capability) = if latest {
        (mount.data_path(&path), Capability::Delete)
    } else {
        (mount.versions_path("delete", &path), Capability::Update)
    };
    let allowed = {
        let request_path = request_path.clone();
        move || permissions.can(&request_path, capability)
    };
    let delete = move |_| {
        let question = format!("Delete version {version}? Undelete brings it back.");
        if !window().confirm_with_message(&question).unwrap_or(false) {
            return;
        }
        let request_path = request_path.clone();
        crate::state::tasks::spawn_owned(async move {
            let outcome = if latest {
                api::vault_write::<()>(Method::DELETE, &request_path, None).await
            } else {
                let body = json!({ "versions": [version] });
                api::vault_write(Method::POST, &request_path, Some(&body)).await
            };
            match outcome {
                Ok(_) => {
                    toasts.success(format!("Deleted version {version}."));
                    reload.update(|r| *r += 1);
                }
                Err(error) => toasts.error(format!(
                    "Deleting version {version} failed: {}",
                    refusal_text(&error, capability.as_str(), &request_path)
                )),
            }
        });
    };
    let delete = StoredValue::new(delete);
    move || {
        allowed().then(|| view! {
        <button type="button" class="button" on:click=move |ev| delete.with_value(|d| d(ev)) data-testid="delete-version">"Delete this version"</button>
    })
    }
}

/// Deleting a KV version 1 secret: it has no versions, so it is gone for good — the path
/// must be typed. (Version 2 deletes from its Versions tab.)
#[component]
fn DeleteUnversioned(mount: KvMount, path: String) -> impl IntoView {
    let permissions = use_permissions();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let allowed = {
        let data_path = mount.data_path(&path);
        move || permissions.can(&data_path, Capability::Delete)
    };
    let delete = Callback::new({
        let (mount, path) = (mount.clone(), path.clone());
        move |()| {
            busy.set(true);
            let (mount, path, navigate) = (mount.clone(), path.clone(), navigate.clone());
            crate::state::tasks::spawn_owned(async move {
                let done = format!("Deleted {}/{path}.", mount.path);
                let request_path = mount.data_path(&path);
                delete_for_good(&mount, &path, &request_path, done, toasts, navigate).await;
                busy.set(false);
            });
        }
    });
    move || {
        allowed().then(|| view! {
        <button type="button" class="button button-danger" on:click=move |_| open.set(true) data-testid="delete-secret">"Delete…"</button>
        <TypedConfirm
            open
            title=format!("Delete {path}?")
            explanation="A KV version 1 secret has no versions to go back to: it is gone for good.".to_string()
            expected=path.clone()
            action_label="Delete".to_string()
            on_confirm=delete
            busy=busy
        />
    })
    }
}

#[component]
fn ValueRow(key: String, value: Value) -> impl IntoView {
    let revealed = RwSignal::new(false);
    let shown = value.display();
    let kind = if matches!(value, Value::Json(_)) {
        "JSON"
    } else {
        ""
    };
    let copy_value = shown.clone();
    view! {
        <tr data-testid="secret-row" data-key=key.clone()>
            <td class="mono">{key.clone()} {(!kind.is_empty()).then(|| view! { <span class="badge" title="A JSON value, kept exactly">{kind}</span> })}</td>
            <td class="mono secret-value" data-testid="secret-value">
                {move || if revealed.get() { shown.clone() } else { MASK.to_string() }}
            </td>
            <td><div class="row-actions">
                <button type="button" class="button button-small" on:click=move |_| revealed.update(|r| *r = !*r) data-testid="reveal"
                    aria-label=format!("Reveal {key}")>
                    {move || if revealed.get() { "Hide" } else { "Reveal" }}
                </button>
                <CopyButton value=Signal::derive(move || copy_value.clone()) label=format!("the value of {key}") />
            </div></td>
        </tr>
    }
}
