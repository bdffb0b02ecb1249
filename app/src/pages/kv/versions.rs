//! KV version 2: a secret's versions (view, delete, undelete, destroy, compare) and its
//! metadata (max versions, check-and-set, automatic deletion, custom metadata).

use super::{
    delete_for_good, read_secret,
    values::{diff, Change, RawData, Value},
    KvMount, Secret,
};
use crate::{
    api::{self, ApiError, Method},
    components::{
        confirm::TypedConfirm,
        duration_field::DurationField,
        error_notice::{needs, refusal_text, ErrorNotice},
    },
    durations,
    routes::AppRoute,
    state::{permissions::use_permissions, toasts::use_toasts},
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use vaultdeck_policy::Capability;

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct VersionState {
    #[serde(default)]
    pub created_time: String,
    #[serde(default)]
    pub deletion_time: String,
    #[serde(default)]
    pub destroyed: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct KeyMetadata {
    #[serde(default)]
    pub current_version: u64,
    #[serde(default)]
    pub oldest_version: u64,
    #[serde(default)]
    pub max_versions: u64,
    #[serde(default)]
    pub cas_required: bool,
    #[serde(default)]
    pub delete_version_after: String,
    #[serde(default)]
    pub custom_metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub created_time: String,
    #[serde(default)]
    pub updated_time: String,
    #[serde(default)]
    pub versions: BTreeMap<String, VersionState>,
}

impl KeyMetadata {
    /// Versions newest first.
    pub fn sorted(&self) -> Vec<(u64, VersionState)> {
        let mut versions: Vec<(u64, VersionState)> = self
            .versions
            .iter()
            .filter_map(|(k, v)| k.parse().ok().map(|n| (n, v.clone())))
            .collect();
        versions.sort_by_key(|(number, _)| std::cmp::Reverse(*number));
        versions
    }
}

async fn load_metadata(mount: &KvMount, path: &str) -> Result<KeyMetadata, ApiError> {
    api::vault_data::<KeyMetadata>(&mount.metadata_path(path)).await
}

#[component]
pub fn VersionsTab(mount: KvMount, path: String) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let metadata = LocalResource::new({
        let (mount, path) = (mount.clone(), path.clone());
        move || {
            reload.track();
            let (mount, path) = (mount.clone(), path.clone());
            async move { load_metadata(&mount, &path).await }
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading versions…"</p> }>
            {
                let (mount, path) = (mount.clone(), path.clone());
                move || metadata.get().map(|answer| match answer {
                    Ok(meta) => view! { <VersionTable meta mount=mount.clone() path=path.clone() reload /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error context="The versions could not be read." denied=needs("read", &mount.metadata_path(&path)) /> }.into_any(),
                })
            }
        </Suspense>
    }
}

#[component]
fn VersionTable(
    meta: KeyMetadata,
    mount: KvMount,
    path: String,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let permissions = use_permissions();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let act = {
        let (mount, path) = (mount.clone(), path.clone());
        move |action: &'static str, version: u64| {
            let (mount, path) = (mount.clone(), path.clone());
            crate::state::tasks::spawn_owned(async move {
                let body = json!({ "versions": [version] });
                let method = if action == "destroy" {
                    Method::PUT
                } else {
                    Method::POST
                };
                match api::vault_write(method, &mount.versions_path(action, &path), Some(&body))
                    .await
                {
                    Ok(_) => toasts.success(format!("Version {version}: {action} done.")),
                    Err(error) => toasts.error(format!(
                        "{action} of version {version} failed: {}",
                        refusal_text(&error, "update", &mount.versions_path(action, &path))
                    )),
                }
                reload.update(|r| *r += 1);
            });
        }
    };
    // Signals: the token's policies may still be loading when the table is first drawn.
    let can = |action: &str| {
        let action_path = mount.versions_path(action, &path);
        Signal::derive(move || permissions.can(&action_path, Capability::Update))
    };
    let (can_delete, can_undelete, can_destroy) = (can("delete"), can("undelete"), can("destroy"));
    let current = meta.current_version;
    let versions = meta.sorted();
    let numbers: Vec<u64> = versions.iter().map(|(n, _)| *n).collect();

    // Deleting metadata and every version: typed confirmation.
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let can_delete_all = {
        let metadata_path = mount.metadata_path(&path);
        move || permissions.can(&metadata_path, Capability::Delete)
    };
    let delete_all = Callback::new({
        let (mount, path, navigate) = (mount.clone(), path.clone(), navigate.clone());
        move |()| {
            busy.set(true);
            let (mount, path, navigate) = (mount.clone(), path.clone(), navigate.clone());
            crate::state::tasks::spawn_owned(async move {
                let done = format!("Deleted {path} and all its versions.");
                let request_path = mount.metadata_path(&path);
                delete_for_good(&mount, &path, &request_path, done, toasts, navigate).await;
                busy.set(false);
            });
        }
    });
    view! {
        <table class="table" data-testid="versions">
            <thead><tr><th>"Version"</th><th>"Created"</th><th>"State"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
            <tbody>
                {versions.into_iter().map(|(number, state)| {
                    let status = if state.destroyed {
                        "destroyed".to_string()
                    } else if !state.deletion_time.is_empty() {
                        format!("deleted {}", state.deletion_time)
                    } else if number == current {
                        "current".to_string()
                    } else {
                        "kept".to_string()
                    };
                    let view_href = format!("{}?version={number}", AppRoute::kv_show(&mount.path, &path).link());
                    let (act_delete, act_undelete, act_destroy) = (act.clone(), act.clone(), act.clone());
                    let deleted = !state.deletion_time.is_empty();
                    view! {
                        <tr data-testid="version-row" data-version=number>
                            <td>{number}</td>
                            <td>{state.created_time.clone()}</td>
                            <td data-testid="version-state">{status}</td>
                            <td><div class="row-actions">
                                {(!state.destroyed && !deleted).then(|| view! { <A href=view_href.clone() attr:class="button button-small">"View"</A> })}
                                {let destroyed = state.destroyed; move || (can_delete.get() && !destroyed && !deleted).then(|| {
                                    let act = act_delete.clone();
                                    view! { <button class="button button-small" on:click=move |_| act("delete", number) data-testid="version-delete">"Delete"</button> }
                                })}
                                {let destroyed = state.destroyed; move || (can_undelete.get() && !destroyed && deleted).then(|| {
                                    let act = act_undelete.clone();
                                    view! { <button class="button button-small" on:click=move |_| act("undelete", number) data-testid="version-undelete">"Undelete"</button> }
                                })}
                                {let destroyed = state.destroyed; move || (can_destroy.get() && !destroyed).then(|| {
                                    let act = act_destroy.clone();
                                    view! {
                                        <button class="button button-small button-danger" data-testid="version-destroy"
                                            on:click=move |_| if window().confirm_with_message(&format!("Destroy version {number}? Its data is gone for good.")).unwrap_or(false) { act("destroy", number) }>
                                            "Destroy"
                                        </button>
                                    }
                                })}
                            </div></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <VersionDiff mount=mount.clone() path=path.clone() numbers />
        {move || can_delete_all().then(|| view! {
            <h3>"Delete everything"</h3>
            <p>"Deleting the metadata removes every version of this secret, permanently."</p>
            <button class="button button-danger" on:click=move |_| open.set(true) data-testid="delete-all">"Delete all versions…"</button>
        })}
        <TypedConfirm
            open
            title=format!("Delete {path} and all its versions?")
            explanation="Every version and the metadata are removed for good; this cannot be undone.".to_string()
            expected=path.clone()
            action_label="Delete everything".to_string()
            on_confirm=delete_all
            busy=busy
        />
    }
}

/// Two versions side by side, key by key; values stay masked until revealed.
#[component]
fn VersionDiff(mount: KvMount, path: String, numbers: Vec<u64>) -> impl IntoView {
    let from = RwSignal::new(numbers.get(1).map(|n| n.to_string()).unwrap_or_default());
    let to = RwSignal::new(numbers.first().map(|n| n.to_string()).unwrap_or_default());
    let result = RwSignal::new(None::<Result<(RawData, RawData), ApiError>>);
    let compare = move |_| {
        let (mount, path) = (mount.clone(), path.clone());
        let (a, b) = (
            from.get_untracked().parse::<u64>().ok(),
            to.get_untracked().parse::<u64>().ok(),
        );
        crate::state::tasks::spawn_owned(async move {
            let read = |v| {
                let (mount, path) = (mount.clone(), path.clone());
                async move {
                    match read_secret(&mount, &path, v).await? {
                        Secret::Live { data, .. } => Ok(data),
                        _ => Ok(RawData::new()),
                    }
                }
            };
            let both = async { Ok::<_, ApiError>((read(a).await?, read(b).await?)) }.await;
            result.set(Some(both));
        });
    };
    let options = numbers
        .iter()
        .map(|n| view! { <option value=n.to_string()>{format!("version {n}")}</option> })
        .collect_view();
    let options_to = numbers
        .iter()
        .map(|n| view! { <option value=n.to_string()>{format!("version {n}")}</option> })
        .collect_view();
    view! {
        <h3>"Compare versions"</h3>
        <div class="actions">
            <select bind:value=from data-testid="diff-from">{options}</select>
            <span>"→"</span>
            <select bind:value=to data-testid="diff-to">{options_to}</select>
            <button type="button" class="button" on:click=compare data-testid="diff-compare">"Compare"</button>
        </div>
        {move || result.get().map(|answer| match answer {
            Err(error) => view! { <ErrorNotice error context="A version could not be read." /> }.into_any(),
            Ok((before, after)) => view! {
                <table class="table" data-testid="diff">
                    <thead><tr><th>"Key"</th><th>"Change"</th><th>"Before"</th><th>"After"</th></tr></thead>
                    <tbody>
                        {diff(&before, &after).into_iter().map(|(key, change)| {
                            let label = match change { Change::Added => "added", Change::Removed => "removed", Change::Changed => "changed", Change::Same => "same" };
                            let old = before.get(&key).map(|raw| Value::from_raw(raw).display()).unwrap_or_default();
                            let new = after.get(&key).map(|raw| Value::from_raw(raw).display()).unwrap_or_default();
                            view! { <DiffRow key label old new /> }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any(),
        })}
    }
}

#[component]
fn DiffRow(key: String, label: &'static str, old: String, new: String) -> impl IntoView {
    let revealed = RwSignal::new(false);
    let masked = |text: &str| {
        if text.is_empty() {
            String::new()
        } else {
            "••••••••".to_string()
        }
    };
    let (old_masked, new_masked) = (masked(&old), masked(&new));
    let shown_key = key.clone();
    view! {
        <tr data-testid="diff-row" data-key=key data-change=label>
            <td class="mono">{shown_key}</td>
            <td>{label}</td>
            <td class="mono">{move || if revealed.get() { old.clone() } else { old_masked.clone() }}</td>
            <td class="mono">{move || if revealed.get() { new.clone() } else { new_masked.clone() }}</td>
            <td><button type="button" class="button button-small" on:click=move |_| revealed.update(|r| *r = !*r) data-testid="diff-reveal">
                {move || if revealed.get() { "Hide" } else { "Reveal" }}
            </button></td>
        </tr>
    }
}

#[component]
pub fn MetadataTab(mount: KvMount, path: String) -> impl IntoView {
    let metadata = LocalResource::new({
        let (mount, path) = (mount.clone(), path.clone());
        move || {
            let (mount, path) = (mount.clone(), path.clone());
            async move { load_metadata(&mount, &path).await }
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading metadata…"</p> }>
            {
                let (mount, path) = (mount.clone(), path.clone());
                move || metadata.get().map(|answer| match answer {
                    Ok(meta) => view! { <MetadataForm meta mount=mount.clone() path=path.clone() /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error context="The metadata could not be read." denied=needs("read", &mount.metadata_path(&path)) /> }.into_any(),
                })
            }
        </Suspense>
    }
}

#[component]
fn MetadataForm(meta: KeyMetadata, mount: KvMount, path: String) -> impl IntoView {
    let toasts = use_toasts();
    let max_versions = RwSignal::new(if meta.max_versions == 0 {
        String::new()
    } else {
        meta.max_versions.to_string()
    });
    let cas_required = RwSignal::new(meta.cas_required);
    let delete_after = RwSignal::new({
        let seconds = durations::parse(&meta.delete_version_after)
            .ok()
            .flatten()
            .unwrap_or(0);
        if seconds == 0 {
            String::new()
        } else {
            durations::format(seconds)
        }
    });
    let custom = RwSignal::new(
        meta.custom_metadata
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let problem = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let metadata_path = mount.metadata_path(&path);
    let metadata_denied = needs("update", &metadata_path);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let versions: u64 = match max_versions.get_untracked().trim() {
            "" => 0,
            text => match text.parse() {
                Ok(n) => n,
                Err(_) => return problem.set(Some("Max versions must be a whole number.".into())),
            },
        };
        let after = match durations::parse(&delete_after.get_untracked()) {
            Ok(seconds) => seconds.unwrap_or(0),
            Err(message) => return problem.set(Some(message)),
        };
        let mut entries = Map::new();
        for line in custom
            .get_untracked()
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let Some((key, value)) = line.split_once('=') else {
                return problem.set(Some(format!(
                    "“{line}”: write custom metadata as key=value, one per line."
                )));
            };
            entries.insert(
                key.trim().to_string(),
                Json::String(value.trim().to_string()),
            );
        }
        problem.set(None);
        error.set(None);
        let body = json!({ "max_versions": versions, "cas_required": cas_required.get_untracked(), "delete_version_after": format!("{after}s"), "custom_metadata": entries });
        let metadata_path = metadata_path.clone();
        crate::state::tasks::spawn_owned(async move {
            match api::vault_write(Method::POST, &metadata_path, Some(&body)).await {
                Ok(warnings) if warnings.is_empty() => toasts.success("Metadata saved."),
                Ok(warnings) => toasts.success(format!(
                    "Metadata saved. Vault says: {}",
                    warnings.join("; ")
                )),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <dl class="facts" data-testid="metadata-facts">
            <dt>"Current version"</dt><dd>{meta.current_version}</dd>
            <dt>"Oldest version kept"</dt><dd>{meta.oldest_version}</dd>
            <dt>"Created"</dt><dd>{meta.created_time.clone()}</dd>
            <dt>"Updated"</dt><dd>{meta.updated_time.clone()}</dd>
        </dl>
        <form class="form" on:submit=save data-testid="metadata-form">
            <label class="field">
                <span>"Max versions"</span>
                <input type="number" min="0" placeholder="the mount's setting (10)" bind:value=max_versions data-testid="meta-max-versions" />
            </label>
            <label class="checkbox"><input type="checkbox" bind:checked=cas_required data-testid="meta-cas" />" Require check-and-set on every write"</label>
            <DurationField label="Delete versions after" value=delete_after hint="empty: never" test_id="meta-delete-after" />
            <label class="field">
                <span>"Custom metadata (key=value, one per line)"</span>
                <textarea rows="4" bind:value=custom data-testid="meta-custom"></textarea>
            </label>
            {move || problem.get().map(|p| view! { <p class="field-error" role="alert">{p}</p> })}
            {move || error.get().map(|error| view! { <ErrorNotice error context="Vault refused the metadata." denied=metadata_denied.clone() /> })}
            <button type="submit" class="button button-primary" data-testid="meta-save">"Save metadata"</button>
        </form>
    }
}
