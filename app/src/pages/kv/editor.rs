//! Creating and editing a secret, as rows or as JSON (both ways without loss). KV version 2
//! writes carry check-and-set with the version the user started from; if someone saved in
//! between, the user sees both and decides — their edits are never dropped silently.

use super::{
    browse::Breadcrumbs,
    draft::{blank_row, starting_rows, Body, SecretDraft},
    read_secret,
    values::{
        diff, merge_patch, object_text, parse_object, patch_is_exact, pretty, rows_from, Change,
        RawData, Row, Value,
    },
    KvMount, Secret,
};
use crate::{
    api::{self, ApiError, Method},
    components::{
        error_notice::{needs, ErrorNotice},
        leave_guard::use_leave_guard,
    },
    routes::AppRoute,
    state::toasts::use_toasts,
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[derive(Clone, Debug, PartialEq)]
struct EditRow {
    id: u64,
    row: Row,
}

/// The version someone else saved while the user edited.
#[derive(Clone, Debug, PartialEq)]
struct Conflict {
    theirs: RawData,
    version: u64,
}

const CAS_MISMATCH: &str = "check-and-set parameter did not match the current version";

#[component]
pub fn EditSecret(mount: KvMount, path: String) -> impl IntoView {
    let loaded = LocalResource::new({
        let (mount, path) = (mount.clone(), path.clone());
        move || {
            let (mount, path) = (mount.clone(), path.clone());
            async move { read_secret(&mount, &path, None).await }
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Reading…"</p> }>
            {
                let (mount, path) = (mount.clone(), path.clone());
                move || loaded.get().map(|answer| match answer {
                    Ok(Secret::Live { data, meta }) => view! {
                        <SecretForm mount=mount.clone() existing=Some(path.clone()) start=data base=meta.map(|m| m.version).unwrap_or(0) />
                    }.into_any(),
                    Ok(_) => view! { <div class="alert alert-info">"This secret has no current data to edit (missing, deleted or destroyed)."</div> }.into_any(),
                    Err(error) => view! { <ErrorNotice error context="The secret could not be read." /> }.into_any(),
                })
            }
        </Suspense>
    }
}

#[component]
pub fn CreateSecret(mount: KvMount) -> impl IntoView {
    view! { <SecretForm mount existing=None start=RawData::new() base=0 /> }
}

#[component]
fn SecretForm(
    mount: KvMount,
    existing: Option<String>,
    start: RawData,
    base: u64,
) -> impl IntoView {
    let toasts = use_toasts();
    let navigate = use_navigate();
    let query = crate::routes::use_query();
    let creating = existing.is_none();
    let prefill = query.with_untracked(|q| {
        format!(
            "{}{}",
            q.get("folder").unwrap_or_default(),
            q.get("name").unwrap_or_default()
        )
    });
    let path = RwSignal::new(existing.clone().unwrap_or(prefill));
    let original = StoredValue::new(start.clone());
    let base_version = RwSignal::new(base);
    let next_id = StoredValue::new(0u64);
    let new_rows = move |rows: Vec<Row>| -> Vec<EditRow> {
        rows.into_iter()
            .map(|row| {
                let id = next_id.get_value();
                next_id.set_value(id + 1);
                EditRow { id, row }
            })
            .collect()
    };
    let rows = RwSignal::new(new_rows(starting_rows(&start)));
    let json_mode = RwSignal::new(false);
    let json_text = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let denied_mount = mount.clone();
    let conflict = RwSignal::new(None::<Conflict>);
    let busy = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let patch_unsupported = StoredValue::new(false);

    // The signals read back as plain data; the rules live in `draft.rs`.
    let draft = move || SecretDraft {
        path: path.get(),
        body: if json_mode.get() {
            Body::Json(json_text.get())
        } else {
            Body::Rows(rows.with(|r| r.iter().map(|e| e.row.clone()).collect()))
        },
    };
    let dirty = Signal::derive(move || {
        !saved.get() && original.with_value(|o| draft().unsaved(o, creating))
    });
    use_leave_guard(dirty);

    let switch_mode = move |_| match untrack(draft).switched() {
        Ok(Body::Rows(switched)) => {
            problem.set(None);
            rows.set(new_rows(switched));
            json_mode.set(false);
        }
        Ok(Body::Json(text)) => {
            problem.set(None);
            json_text.set(text);
            json_mode.set(true);
        }
        Err(message) => problem.set(Some(message)),
    };

    let save = {
        let mount = mount.clone();
        let navigate = navigate.clone();
        move |overwrite: Option<u64>| {
            let snapshot = untrack(draft);
            let (data, target) = match (snapshot.data(), snapshot.target()) {
                (Ok(data), Ok(target)) => (data, target),
                (Err(message), _) | (_, Err(message)) => return problem.set(Some(message)),
            };
            if let Some(version) = overwrite {
                base_version.set(version);
            }
            problem.set(None);
            error.set(None);
            busy.set(true);
            let (mount, navigate) = (mount.clone(), navigate.clone());
            let before = original.get_value();
            let cas = base_version.get_untracked();
            crate::state::tasks::spawn_owned(async move {
                // "Save mine" after a conflict replaces their version outright: a full write.
                let try_patch = !creating && !patch_unsupported.get_value() && overwrite.is_none();
                match save_secret(&mount, &target, &before, &data, cas, try_patch).await {
                    Saved::Written(Written { patch_refused }) => {
                        if patch_refused {
                            patch_unsupported.set_value(true);
                        }
                        saved.set(true);
                        original.set_value(data);
                        toasts.success(format!("Saved {}/{target}.", mount.path));
                        navigate(
                            &AppRoute::kv_show(&mount.path, &target).href(),
                            Default::default(),
                        );
                    }
                    Saved::Conflicted(theirs) => conflict.set(Some(theirs)),
                    Saved::Failed(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        }
    };
    let save_now = {
        let save = save.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            save(None);
        }
    };
    let take_theirs = move |theirs: RawData, version: u64| {
        original.set_value(theirs.clone());
        base_version.set(version);
        json_text.set(pretty(&object_text(&theirs)));
        rows.set(new_rows(rows_from(&theirs)));
        conflict.set(None);
    };

    let title = match &existing {
        Some(p) => format!("Edit {p}"),
        None => "Create a secret".to_string(),
    };
    let crumb_path = existing.clone().unwrap_or_default();
    view! {
        <section class="card">
            <Breadcrumbs mount=mount.path.clone() path=crumb_path />
            <h1>{title}</h1>
            <form class="form form-wide" on:submit=save_now>
                {creating.then(|| view! {
                    <label class="field">
                        <span>"Path"</span>
                        <input type="text" bind:value=path placeholder="webapps/app_one" data-testid="secret-path" />
                        <small class="muted">"Folders are made by the path: a/b/c creates a/ and a/b/."</small>
                    </label>
                })}
                <div class="actions">
                    <button type="button" class="button" on:click=switch_mode data-testid="toggle-mode">
                        {move || if json_mode.get() { "Edit as rows" } else { "Edit as JSON" }}
                    </button>
                    {(mount.version == 2).then(|| view! {
                        <span class="muted" data-testid="cas-base">{move || format!("Saving replaces version {} (check-and-set).", base_version.get())}</span>
                    })}
                </div>
                <Show when=move || json_mode.get() fallback=move || view! { <RowsEditor rows new_rows=Callback::new(move |()| new_rows(vec![blank_row()])) /> }>
                    <label class="field">
                        <span>"Secret as a JSON object"</span>
                        <textarea class="json-input" rows="14" spellcheck="false" bind:value=json_text data-testid="secret-json-input"></textarea>
                        {move || parse_object(&json_text.get()).err().map(|e| view! {
                            <small class="field-error" data-testid="json-error">{format!("Line {}, column {}: {}", e.line, e.column, e.message)}</small>
                        })}
                    </label>
                </Show>
                {move || problem.get().map(|p| view! { <p class="field-error" role="alert" data-testid="form-problem">{p}</p> })}
                {move || error.get().map(|error| {
                    let target = untrack(draft).target().unwrap_or_default();
                    let capability = if creating { "create" } else { "update" };
                    let denied = needs(capability, &denied_mount.data_path(&target));
                    view! { <ErrorNotice error context="Vault did not save the secret." denied /> }
                })}
                {move || conflict.get().map(|c| {
                    let mine = draft().data().unwrap_or_default();
                    let theirs = c.theirs.clone();
                    let version = c.version;
                    let save = save.clone();
                    view! {
                        <ConflictPanel
                            mine
                            theirs=c.theirs.clone()
                            their_version=version
                            base=base_version.get_untracked()
                            on_overwrite=Callback::new(move |()| { conflict.set(None); save(Some(version)); })
                            on_take_theirs=Callback::new(move |()| take_theirs(theirs.clone(), version))
                            on_keep_editing=Callback::new(move |()| conflict.set(None))
                        />
                    }
                })}
                <div class="actions">
                    <button type="submit" class="button button-primary" disabled=move || busy.get() data-testid="save-secret">"Save"</button>
                    <Show when=move || dirty.get()><span class="muted" data-testid="unsaved">"Unsaved changes"</span></Show>
                </div>
            </form>
        </section>
    }
}

#[component]
fn RowsEditor(rows: RwSignal<Vec<EditRow>>, new_rows: Callback<(), Vec<EditRow>>) -> impl IntoView {
    let update = move |id: u64, change: Box<dyn FnOnce(&mut Row)>| {
        rows.update(|all| {
            if let Some(entry) = all.iter_mut().find(|e| e.id == id) {
                change(&mut entry.row);
            }
        });
    };
    view! {
        <table class="table rows-editor" data-testid="rows-editor">
            <thead><tr><th>"Key"</th><th>"Value"</th><th>"JSON"</th><th><span class="sr-only">"Remove"</span></th></tr></thead>
            <tbody>
                <For each=move || rows.get() key=|entry| entry.id let:entry>
                    {
                        let id = entry.id;
                        let is_json = matches!(entry.row.value, Value::Json(_));
                        view! {
                            <tr data-testid="edit-row">
                                <td><input type="text" aria-label="Key" prop:value=entry.row.key.clone() data-testid="edit-key"
                                    on:input=move |ev| { let v = event_target_value(&ev); update(id, Box::new(move |r| r.key = v)); } /></td>
                                <td><textarea rows="1" aria-label="Value" prop:value=entry.row.value.display() data-testid="edit-value"
                                    spellcheck="false" autocomplete="off"
                                    on:input=move |ev| {
                                        let v = event_target_value(&ev);
                                        update(id, Box::new(move |r| r.value = match r.value { Value::Json(_) => Value::Json(v), Value::Text(_) => Value::Text(v) }));
                                    }></textarea></td>
                                <td><input type="checkbox" aria-label="The value is JSON (number, true/false, object, list)" prop:checked=is_json data-testid="edit-json"
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        update(id, Box::new(move |r| r.value = match (&r.value, on) {
                                            (Value::Text(t), true) => Value::Json(t.clone()),
                                            (Value::Json(j), false) => Value::Text(j.clone()),
                                            (v, _) => v.clone(),
                                        }));
                                    } /></td>
                                <td><button type="button" class="button button-small" aria-label="Remove row" data-testid="remove-row"
                                    on:click=move |_| rows.update(|all| all.retain(|e| e.id != id))>"Remove"</button></td>
                            </tr>
                        }
                    }
                </For>
            </tbody>
        </table>
        <button type="button" class="button" on:click=move |_| rows.update(|all| all.extend(new_rows.run(()))) data-testid="add-row">"Add row"</button>
    }
}

/// Someone saved while the user edited: both versions' keys side by side (values masked),
/// and the user decides.
#[component]
fn ConflictPanel(
    mine: RawData,
    theirs: RawData,
    their_version: u64,
    base: u64,
    on_overwrite: Callback<()>,
    on_take_theirs: Callback<()>,
    on_keep_editing: Callback<()>,
) -> impl IntoView {
    let changes = diff(&theirs, &mine);
    view! {
        <div class="alert alert-warn conflict" role="alert" data-testid="conflict">
            <strong>{format!("Someone saved version {their_version} while you were editing version {base}.")}</strong>
            <p>"Your edits are still here. Compare the keys, then choose:"</p>
            <table class="table">
                <thead><tr><th>"Key"</th><th>{format!("Version {their_version} (theirs)")}</th><th>"Yours"</th></tr></thead>
                <tbody>
                    {changes.into_iter().map(|(key, change)| {
                        let (theirs_text, mine_text) = match change {
                            Change::Added => ("—", "added"),
                            Change::Removed => ("present", "removed"),
                            Change::Changed => ("one value", "another value"),
                            Change::Same => ("same", "same"),
                        };
                        let label = key.clone();
                        view! { <tr data-testid="conflict-row" data-key=key><td class="mono">{label}</td><td>{theirs_text}</td><td>{mine_text}</td></tr> }
                    }).collect_view()}
                </tbody>
            </table>
            <div class="actions">
                <button type="button" class="button button-danger" on:click=move |_| on_overwrite.run(()) data-testid="conflict-overwrite">
                    {format!("Save mine as version {}", their_version + 1)}
                </button>
                <button type="button" class="button" on:click=move |_| on_take_theirs.run(()) data-testid="conflict-take-theirs">
                    "Discard mine, edit theirs"
                </button>
                <button type="button" class="button" on:click=move |_| on_keep_editing.run(()) data-testid="conflict-keep">"Keep editing"</button>
            </div>
        </div>
    }
}

/// What came of a save.
enum Saved {
    Written(Written),
    /// Someone saved a newer version since the form was opened: the user decides.
    Conflicted(Conflict),
    Failed(ApiError),
}

/// Writes the secret; when check-and-set refuses, reads the version that won so that the
/// user can compare it with theirs.
async fn save_secret(
    mount: &KvMount,
    target: &str,
    before: &RawData,
    after: &RawData,
    cas: u64,
    try_patch: bool,
) -> Saved {
    match write(mount, target, before, after, cas, try_patch).await {
        Ok(written) => Saved::Written(written),
        Err(e) if e.message().contains(CAS_MISMATCH) => {
            match read_secret(mount, target, None).await {
                Ok(Secret::Live { data: theirs, meta }) => Saved::Conflicted(Conflict {
                    theirs,
                    version: meta.map(|m| m.version).unwrap_or(0),
                }),
                _ => Saved::Failed(e),
            }
        }
        Err(e) => Saved::Failed(e),
    }
}

struct Written {
    /// The server refused PATCH (unsupported, or the policy lacks `patch`): use full writes.
    patch_refused: bool,
}

/// Writes the secret: KV v2 with check-and-set, as a merge patch of the changed keys when
/// possible; KV v1 as a plain write.
async fn write(
    mount: &KvMount,
    path: &str,
    before: &RawData,
    after: &RawData,
    cas: u64,
    try_patch: bool,
) -> Result<Written, ApiError> {
    let url = api::vault_url(&mount.data_path(path))?;
    if mount.version == 1 {
        api::send_raw::<serde_json::Value>(
            Method::POST,
            &url,
            "application/json",
            object_text(after),
        )
        .await?;
        return Ok(Written {
            patch_refused: false,
        });
    }
    if try_patch && patch_is_exact(before, after) {
        let Some(patch) = merge_patch(before, after) else {
            return Ok(Written {
                patch_refused: false,
            }); // nothing changed
        };
        let body = format!("{{\"data\":{patch},\"options\":{{\"cas\":{cas}}}}}");
        match api::send_raw::<serde_json::Value>(
            Method::PATCH,
            &url,
            "application/merge-patch+json",
            body,
        )
        .await
        {
            Ok(_) => {
                return Ok(Written {
                    patch_refused: false,
                })
            }
            Err(e) if e.status == 405 || e.status == 403 && !e.message().contains(CAS_MISMATCH) => {
            }
            Err(e) => return Err(e),
        }
        full_write(&url, after, cas).await?;
        return Ok(Written {
            patch_refused: true,
        });
    }
    full_write(&url, after, cas).await?;
    Ok(Written {
        patch_refused: false,
    })
}

async fn full_write(url: &str, data: &RawData, cas: u64) -> Result<(), ApiError> {
    let body = format!(
        "{{\"data\":{},\"options\":{{\"cas\":{cas}}}}}",
        object_text(data)
    );
    api::send_raw::<serde_json::Value>(Method::POST, url, "application/json", body)
        .await
        .map(|_| ())
}
