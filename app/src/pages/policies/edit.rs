//! Creating and editing a policy. Saving is blocked while the editor finds errors; if
//! Vault still refuses, its own words are shown and the text stays.

use super::{
    check_name, mount_hints, read_policy, references,
    templates::{Needs, Template},
};
use crate::routes::AppRoute;
use crate::{
    api::{self, ApiError, Method},
    components::{
        confirm::TypedConfirm, error_notice::ErrorNotice, guard::RequireLogin,
        policy_editor::PolicyEditor, text_file::TextFileButton,
    },
    pages::init::save_file,
    state::{permissions::use_permissions, toasts::use_toasts},
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use serde_json::json;
use vaultdeck_policy::{Capability, MountHint, Validation};

#[component]
pub fn PolicyCreatePage() -> impl IntoView {
    view! { <RequireLogin><PolicyForm existing=None /></RequireLogin> }
}

#[component]
pub fn PolicyEditPage(name: String) -> impl IntoView {
    let loaded = LocalResource::new(move || {
        let name = name.clone();
        async move { read_policy(&name).await }
    });
    view! {
        <RequireLogin>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || loaded.get().map(|answer| match answer {
                    Ok(policy) => view! { <PolicyForm existing=Some((policy.name, policy.policy)) /> }.into_any(),
                    Err(error) => view! { <section class="card"><ErrorNotice error context="Could not read the policy." /></section> }.into_any(),
                })}
            </Suspense>
        </RequireLogin>
    }
}

#[component]
fn PolicyForm(existing: Option<(String, String)>) -> impl IntoView {
    let toasts = use_toasts();
    let permissions = use_permissions();
    let navigate = use_navigate();
    let creating = existing.is_none();
    let (initial_name, initial_text) = existing.unwrap_or_default();
    let is_root = initial_name == "root";
    let name = RwSignal::new(initial_name.clone());
    let text = RwSignal::new(initial_text);
    let validation = RwSignal::new(Validation::default());
    let hints = LocalResource::new(|| async { mount_hints().await });
    let mounts = Signal::derive(move || hints.get().unwrap_or_default());
    let error = RwSignal::new(None::<ApiError>);
    let invalid = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Writing a policy needs `update` (or `create` for a new one, where Vault tells them apart).
    let can_write = move || {
        let path = format!(
            "sys/policies/acl/{}",
            check_name(&name.get()).unwrap_or_default()
        );
        !is_root
            && (permissions.can(&path, Capability::Update)
                || creating && permissions.can(&path, Capability::Create))
    };

    let save = move |_| {
        let target = match check_name(&name.get_untracked()) {
            Ok(target) => target,
            Err(message) => return invalid.set(Some(message)),
        };
        invalid.set(None);
        error.set(None);
        busy.set(true);
        let body = json!({ "policy": text.get_untracked() });
        let navigate = navigate.clone();
        crate::state::tasks::spawn_owned(async move {
            match api::vault_write(
                Method::PUT,
                &format!("sys/policies/acl/{target}"),
                Some(&body),
            )
            .await
            {
                Ok(warnings) => {
                    let extra = if warnings.is_empty() {
                        String::new()
                    } else {
                        format!(" Vault says: {}", warnings.join("; "))
                    };
                    toasts.success(format!("Saved the policy “{target}”.{extra}"));
                    if creating {
                        navigate(&AppRoute::Policy(target.clone()).href(), Default::default());
                    }
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let download = move |_| {
        let file = format!(
            "{}.hcl",
            check_name(&name.get_untracked()).unwrap_or_else(|_| "policy".into())
        );
        save_file(&file, "text/plain", &text.get_untracked());
    };

    view! {
        <section class="card">
            {if creating {
                view! {
                    <h1>"Create a policy"</h1>
                    <label class="field">
                        <span>"Name"</span>
                        <input type="text" bind:value=name data-testid="policy-name" placeholder="webapp-one-read" />
                    </label>
                }.into_any()
            } else {
                view! { <h1>{format!("Policy “{initial_name}”")}</h1> }.into_any()
            }}
            {is_root.then(|| view! {
                <div class="alert alert-info" data-testid="root-policy">
                    "The root policy is built into Vault: it grants everything and cannot be read or changed."
                </div>
            })}
            {(initial_name == "default").then(|| view! {
                <div class="alert alert-warn" role="note" data-testid="default-warning">
                    "Every token gets the default policy unless it was created without it: a change here affects everyone."
                </div>
            })}
            {creating.then(|| view! { <TemplatePicker text mounts /> })}
            {(!is_root).then(|| view! {
                <PolicyEditor text mounts validation />
                {move || invalid.get().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
                {move || error.get().map(|error| view! { <ErrorNotice error context="Vault refused the policy." /> })}
                <div class="actions">
                    <Show when=can_write>
                        <button
                            type="button"
                            class="button button-primary"
                            disabled=move || busy.get() || validation.with(Validation::has_errors)
                            on:click=save.clone()
                            data-testid="save-policy"
                        >
                            "Save policy"
                        </button>
                    </Show>
                    <button type="button" class="button" on:click=download data-testid="download-policy">"Download .hcl"</button>
                    <UploadButton text />
                </div>
                {move || validation.with(Validation::has_errors).then(|| view! {
                    <p class="muted" data-testid="save-blocked">"Fix the errors above to save."</p>
                })}
            })}
        </section>
        {(!creating && !is_root && initial_name != "default").then(|| view! { <DeletePolicy name=initial_name.clone() /> })}
    }
}

/// Replaces the editor's text with an uploaded `.hcl` (or JSON) file.
#[component]
fn UploadButton(text: RwSignal<String>) -> impl IntoView {
    let toasts = use_toasts();
    let loaded = Callback::new(move |(name, contents): (String, String)| {
        text.set(contents);
        toasts.success(format!("Loaded {name} into the editor (not saved yet)."));
    });
    view! {
        <TextFileButton label="Upload .hcl" accept=".hcl,.json,.txt,text/plain" test_id="upload-policy" on_loaded=loaded />
    }
}

#[component]
fn TemplatePicker(text: RwSignal<String>, mounts: Signal<Vec<MountHint>>) -> impl IntoView {
    let chosen = RwSignal::new(Template::ReadSecret.id().to_string());
    let mount = RwSignal::new(String::new());
    let path = RwSignal::new(String::new());
    let template = move || Template::from_id(&chosen.get()).unwrap_or(Template::ReadSecret);
    let choices = move || {
        let wanted_kind = match template().needs() {
            Needs::KvPath { .. } => "kv",
            Needs::AuthMount => "kubernetes",
            Needs::Nothing => return Vec::new(),
        };
        mounts
            .get()
            .into_iter()
            .filter(|m| m.kind == wanted_kind && (wanted_kind != "kv" || m.kv_version == Some(2)))
            .map(|m| {
                m.path
                    .trim_start_matches("auth/")
                    .trim_end_matches('/')
                    .to_string()
            })
            .collect::<Vec<_>>()
    };
    // The first suitable mount is a default, not a choice: once the user has typed a mount,
    // the list arriving (or changing) must not replace what they typed.
    let typed_mount = RwSignal::new(false);
    Effect::new(move |_| {
        let options = choices();
        if !typed_mount.get_untracked() && !options.contains(&mount.get_untracked()) {
            mount.set(options.first().cloned().unwrap_or_default());
        }
    });
    let toasts = use_toasts();
    // A refusal leaves the editor's text as it was.
    let apply = move |_| match template().render(&mount.get_untracked(), &path.get_untracked()) {
        Ok(rendered) => text.set(rendered),
        Err(refusal) => toasts.error(refusal),
    };
    view! {
        <fieldset class="template-picker">
            <legend>"Start from a template"</legend>
            <label class="field">
                <span>"Template"</span>
                <select bind:value=chosen data-testid="template">
                    {Template::ALL.into_iter().map(|t| view! { <option value=t.id()>{t.title()}</option> }).collect_view()}
                </select>
            </label>
            {move || match template().needs() {
                Needs::Nothing => ().into_any(),
                needs => {
                    let path_label = match needs { Needs::KvPath { path_label } => Some(path_label), _ => None };
                    view! {
                        <label class="field">
                            <span>{if path_label.is_some() { "KV version 2 mount" } else { "Kubernetes auth mount" }}</span>
                            <input type="text" list="template-mounts" bind:value=mount on:input=move |_| typed_mount.set(true) data-testid="template-mount" />
                            <datalist id="template-mounts">
                                {choices().into_iter().map(|m| view! { <option value=m.clone()></option> }).collect_view()}
                            </datalist>
                        </label>
                        {path_label.map(|label| view! {
                            <label class="field">
                                <span>{label}</span>
                                <input type="text" bind:value=path placeholder="webapps/app_one" data-testid="template-path" />
                            </label>
                        })}
                    }.into_any()
                }
            }}
            <button type="button" class="button" on:click=apply data-testid="use-template">"Use template"</button>
        </fieldset>
    }
}

#[component]
fn DeletePolicy(name: String) -> impl IntoView {
    let toasts = use_toasts();
    let permissions = use_permissions();
    let navigate = use_navigate();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let findings = RwSignal::new(None::<references::Findings>);
    let checking = RwSignal::new(false);
    let allowed = {
        let name = name.clone();
        move || permissions.can(&format!("sys/policies/acl/{name}"), Capability::Delete)
    };
    let start = {
        let name = name.clone();
        move |_| {
            checking.set(true);
            let name = name.clone();
            crate::state::tasks::spawn_owned(async move {
                findings.set(Some(references::find(&name).await));
                checking.set(false);
                open.set(true);
            });
        }
    };
    let delete = Callback::new({
        let name = name.clone();
        move |()| {
            busy.set(true);
            let (name, navigate) = (name.clone(), navigate.clone());
            crate::state::tasks::spawn_owned(async move {
                match api::vault_write::<()>(
                    Method::DELETE,
                    &format!("sys/policies/acl/{name}"),
                    None,
                )
                .await
                {
                    Ok(_) => {
                        toasts.success(format!("Deleted the policy “{name}”."));
                        navigate(&AppRoute::Policies.href(), Default::default());
                    }
                    Err(error) => {
                        toasts.error(format!("Deleting “{name}” failed: {}", error.message()))
                    }
                }
                busy.set(false);
            });
        }
    });
    view! {
        <Show when=allowed.clone()>
            <section class="card">
                <h2>"Delete this policy"</h2>
                <p>"Tokens holding it lose what it grants at once; roles and users naming it keep the name but get nothing from it."</p>
                <button class="button button-danger" disabled=move || checking.get() on:click=start.clone() data-testid="delete-policy">
                    {move || if checking.get() { "Looking for references…" } else { "Delete…" }}
                </button>
            </section>
        </Show>
        {
            let name = name.clone();
            move || findings.get().map(|found| {
                let mut explanation = if found.references.is_empty() {
                    "No user or role you can read names this policy.".to_string()
                } else {
                    format!("Still named by: {}.", found.references.join(", "))
                };
                if !found.unchecked.is_empty() {
                    explanation.push_str(&format!(" Not checked (no access): {}.", found.unchecked.join(", ")));
                }
                view! {
                    <TypedConfirm
                        open
                        title=format!("Delete the policy “{name}”?")
                        explanation
                        expected=name.clone()
                        action_label="Delete".to_string()
                        on_confirm=delete
                        busy=busy
                    />
                }
            })
        }
    }
}
