//! Configuring (tuning) one secrets engine or auth method, and disabling it.

use super::{trim_path, MountKind};
use crate::{
    api::{self, ApiError, Method},
    components::{
        confirm::TypedConfirm,
        duration_field::DurationField,
        error_notice::{needs, ErrorNotice},
        guard::RequireLogin,
    },
    durations,
    state::{permissions::use_permissions, toasts::use_toasts},
    wire::{KvConfig, MountInfo, TuneSettings},
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use vaultdeck_policy::Capability;

#[component]
pub fn ConfigureMountPage(kind: MountKind, path: String) -> impl IntoView {
    view! { <RequireLogin><Configure kind path=path.clone() /></RequireLogin> }
}

#[component]
fn Configure(kind: MountKind, path: String) -> impl IntoView {
    let path = trim_path(&path);
    let tune_path = kind.tune_path(&path);
    let settings = LocalResource::new({
        let tune_path = tune_path.clone();
        move || {
            let tune_path = tune_path.clone();
            async move { api::vault_data::<TuneSettings>(&tune_path).await }
        }
    });
    let info = LocalResource::new({
        let path = path.clone();
        move || {
            let key = format!("{}/", path);
            async move {
                api::vault_data::<BTreeMap<String, MountInfo>>(kind.list_path())
                    .await
                    .map(|all| all.get(&key).cloned())
            }
        }
    });
    let title_path = path.clone();
    let form_path = path.clone();
    view! {
        <section class="card">
            <h1>{format!("Configure {}/", title_path)}</h1>
            {move || info.get().and_then(Result::ok).flatten().map(|info| view! {
                <dl class="facts">
                    <dt>"Type"</dt><dd data-testid="mount-type">{info.kind.clone()}</dd>
                    <dt>"Accessor"</dt><dd class="mono">{info.accessor.clone()}</dd>
                </dl>
            })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {
                    move || settings.get().map(|answer| match answer {
                        Ok(current) => view! { <TuneForm kind path=form_path.clone() current /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error context="Could not read the settings." /> }.into_any(),
                    })
                }
            </Suspense>
        </section>
        <DisableSection kind path=path />
    }
}

fn ttl_field(seconds: u64) -> String {
    if seconds == 0 {
        String::new()
    } else {
        durations::format(seconds)
    }
}

#[component]
fn TuneForm(kind: MountKind, path: String, current: TuneSettings) -> impl IntoView {
    let toasts = use_toasts();
    let description = RwSignal::new(current.description.clone());
    let default_ttl = RwSignal::new(ttl_field(current.default_lease_ttl));
    let max_ttl = RwSignal::new(ttl_field(current.max_lease_ttl));
    let listed = RwSignal::new(current.listing_visibility == "unauth");
    let token_type = RwSignal::new(if current.token_type.is_empty() {
        "default-service".to_string()
    } else {
        current.token_type.clone()
    });
    let error = RwSignal::new(None::<ApiError>);
    let invalid = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let kv_version = current
        .options
        .as_ref()
        .and_then(|o| o.get("version"))
        .cloned();
    let original_listed = current.listing_visibility == "unauth";
    let tune_path = kind.tune_path(&path);
    let permissions = use_permissions();
    let can_save = {
        let tune_path = tune_path.clone();
        move || permissions.can(&tune_path, Capability::Update)
    };
    let read_only_note = needs("update", &tune_path);
    let is_token_mount = kind == MountKind::Auth && path == "token";

    let body = move || -> Result<Value, String> {
        let mut body = Map::new();
        body.insert("description".into(), json!(description.get()));
        for (key, field, label) in [
            ("default_lease_ttl", default_ttl, "Default lease TTL"),
            ("max_lease_ttl", max_ttl, "Max lease TTL"),
        ] {
            let value = match durations::parse(&field.get()).map_err(|e| format!("{label}: {e}"))? {
                Some(seconds) => format!("{seconds}s"),
                None => "system".into(),
            };
            body.insert(key.into(), json!(value));
        }
        if listed.get() != original_listed {
            body.insert(
                "listing_visibility".into(),
                json!(if listed.get() { "unauth" } else { "hidden" }),
            );
        }
        if kind == MountKind::Auth && !is_token_mount {
            body.insert("token_type".into(), json!(token_type.get()));
        }
        Ok(Value::Object(body))
    };
    let submit = {
        let tune_path = tune_path.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = match body() {
                Ok(body) => body,
                Err(message) => return invalid.set(Some(message)),
            };
            invalid.set(None);
            error.set(None);
            busy.set(true);
            let tune_path = tune_path.clone();
            crate::state::tasks::spawn_owned(async move {
                match api::vault_write(Method::POST, &tune_path, Some(&body)).await {
                    Ok(_) => toasts.success("Settings saved."),
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        }
    };
    view! {
        <form class="form" on:submit=submit data-testid="tune-form">
            <label class="field">
                <span>"Description"</span>
                <input type="text" bind:value=description data-testid="tune-description" />
            </label>
            <DurationField label="Default lease TTL" value=default_ttl hint="empty: the system default" test_id="tune-default-ttl" />
            <DurationField label="Max lease TTL" value=max_ttl hint="empty: the system default" test_id="tune-max-ttl" />
            <label class="checkbox">
                <input type="checkbox" bind:checked=listed data-testid="tune-listing" />
                " Listed for unauthenticated clients (listing_visibility: unauth)"
            </label>
            {(kind == MountKind::Auth && !is_token_mount).then(|| view! {
                <label class="field">
                    <span>"Token type"</span>
                    <select bind:value=token_type data-testid="tune-token-type">
                        <option value="default-service">"default-service"</option>
                        <option value="default-batch">"default-batch"</option>
                        <option value="service">"service"</option>
                        <option value="batch">"batch"</option>
                    </select>
                </label>
            })}
            {move || invalid.get().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
            {move || error.get().map(|error| view! { <ErrorNotice error context="Vault refused the settings." /> })}
            <Show when=can_save.clone() fallback=move || view! { <p class="muted" data-testid="tune-read-only">{read_only_note.clone()}</p> }>
                <button type="submit" class="button button-primary" disabled=move || busy.get() data-testid="tune-submit">"Save settings"</button>
            </Show>
        </form>
        {(kind == MountKind::Secrets && kv_version.as_deref() == Some("2")).then(|| view! { <KvSettings path=path.clone() /> })}
        {
            let is_kv_v1 = kind == MountKind::Secrets && kv_version.as_deref() == Some("1");
            move || (is_kv_v1 && can_save()).then(|| view! { <KvUpgrade tune_path=tune_path.clone() /> })
        }
    }
}

/// KV version 2's own settings (`MOUNT/config`).
#[component]
fn KvSettings(path: String) -> impl IntoView {
    let toasts = use_toasts();
    let permissions = use_permissions();
    let config_path = format!("{path}/config");
    let can_save = {
        let config_path = config_path.clone();
        move || permissions.can(&config_path, Capability::Update)
    };
    let read_only_note = needs("update", &config_path);
    let loaded = LocalResource::new({
        let config_path = config_path.clone();
        move || {
            let config_path = config_path.clone();
            async move { api::vault_data::<KvConfig>(&config_path).await }
        }
    });
    let max_versions = RwSignal::new(String::new());
    let cas_required = RwSignal::new(false);
    let delete_after = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(config)) = loaded.get() {
            max_versions.set(if config.max_versions == 0 {
                String::new()
            } else {
                config.max_versions.to_string()
            });
            cas_required.set(config.cas_required);
            // Vault reports Go durations (`1h0m0s`; `-1s` when disabled), which parse as typed.
            let seconds = durations::parse(&config.delete_version_after)
                .ok()
                .flatten()
                .unwrap_or(0);
            delete_after.set(if seconds == 0 {
                String::new()
            } else {
                durations::format(seconds)
            });
        }
    });
    let error = RwSignal::new(None::<ApiError>);
    let invalid = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let versions = max_versions.get();
        let versions: u64 = if versions.trim().is_empty() {
            0
        } else {
            match versions.trim().parse() {
                Ok(n) => n,
                Err(_) => return invalid.set(Some("Max versions must be a whole number.".into())),
            }
        };
        let after = match durations::parse(&delete_after.get()) {
            Ok(seconds) => seconds.unwrap_or(0),
            Err(message) => return invalid.set(Some(message)),
        };
        invalid.set(None);
        error.set(None);
        let body = json!({ "max_versions": versions, "cas_required": cas_required.get(), "delete_version_after": format!("{after}s") });
        let config_path = config_path.clone();
        crate::state::tasks::spawn_owned(async move {
            match api::vault_write(Method::POST, &config_path, Some(&body)).await {
                Ok(_) => toasts.success("KV settings saved."),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <h2>"KV version 2 settings"</h2>
        <form class="form" on:submit=submit data-testid="kv-config-form">
            <label class="field">
                <span>"Max versions"</span>
                <input type="number" min="0" placeholder="10" bind:value=max_versions data-testid="kv-config-max-versions" />
            </label>
            <label class="checkbox"><input type="checkbox" bind:checked=cas_required data-testid="kv-config-cas" />" Require check-and-set on every write"</label>
            <DurationField label="Delete versions after" value=delete_after hint="empty: never" test_id="kv-config-delete-after" />
            {move || invalid.get().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
            {move || error.get().map(|error| view! { <ErrorNotice error context="Vault refused the KV settings." /> })}
            <Show when=can_save.clone() fallback=move || view! { <p class="muted">{read_only_note.clone()}</p> }>
                <button type="submit" class="button button-primary" data-testid="kv-config-submit">"Save KV settings"</button>
            </Show>
        </form>
    }
}

/// A KV version 1 engine can be upgraded in place to version 2.
#[component]
fn KvUpgrade(tune_path: String) -> impl IntoView {
    let toasts = use_toasts();
    let upgrade = move |_| {
        let tune_path = tune_path.clone();
        crate::state::tasks::spawn_owned(async move {
            let body = json!({ "options": { "version": "2" } });
            match api::vault_write(Method::POST, &tune_path, Some(&body)).await {
                Ok(_) => {
                    toasts.success("Upgraded to KV version 2: each secret is now its version 1.")
                }
                Err(e) => toasts.error(format!("The upgrade failed: {}", e.message())),
            }
        });
    };
    view! {
        <h2>"KV version"</h2>
        <p>"This is KV version 1. Version 2 keeps the history of every secret; the upgrade cannot be undone."</p>
        <button type="button" class="button" on:click=upgrade data-testid="kv-upgrade">"Upgrade to version 2"</button>
    }
}

#[component]
fn DisableSection(kind: MountKind, path: String) -> impl IntoView {
    let permissions = use_permissions();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let mount_path = kind.mount_path(&path);
    let allowed = {
        let mount_path = mount_path.clone();
        let path = path.clone();
        move || {
            !kind.is_permanent(&path)
                && permissions.can_all(&mount_path, &kind.admin_capabilities(Capability::Delete))
        }
    };
    let disable = Callback::new({
        let path = path.clone();
        move |()| {
            busy.set(true);
            let (mount_path, path, navigate) = (mount_path.clone(), path.clone(), navigate.clone());
            crate::state::tasks::spawn_owned(async move {
                match api::vault_write::<()>(Method::DELETE, &mount_path, None).await {
                    Ok(_) => {
                        toasts.success(format!("Disabled the {} at {path}/.", kind.noun()));
                        navigate(kind.app_root(), Default::default());
                    }
                    Err(error) => {
                        toasts.error(format!("Disabling {path}/ failed: {}", error.message()))
                    }
                }
                busy.set(false);
            });
        }
    });
    let explanation = kind.disable_consequence().to_string();
    view! {
        <Show when=allowed.clone()>
            <section class="card">
                <h2>{format!("Disable this {}", kind.noun())}</h2>
                <p>{kind.disable_consequence()}</p>
                <button class="button button-danger" on:click=move |_| open.set(true) data-testid="disable-mount">"Disable…"</button>
            </section>
        </Show>
        <TypedConfirm
            open
            title=format!("Disable the {} at {path}/?", kind.noun())
            explanation=explanation
            expected=path.clone()
            action_label="Disable".to_string()
            on_confirm=disable
            busy=busy
        />
    }
}
