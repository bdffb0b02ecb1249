//! Enabling a secrets engine or an auth method: a type picker with descriptions (or any
//! type typed by hand), the path (defaulting to the type), and its settings.

use super::{check_path, MountKind, TypeChoice};
use crate::{
    api::{self, ApiError, Method},
    components::{duration_field::DurationField, error_notice::ErrorNotice, guard::RequireLogin},
    durations,
    state::{permissions::use_permissions, toasts::use_toasts},
    wire::PluginCatalog,
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use serde_json::{json, Map, Value};

#[component]
pub fn EnableMountPage(kind: MountKind) -> impl IntoView {
    let permissions = use_permissions();
    // Until the token's policies are known the form shows; Vault decides in any case.
    let refused = move || permissions.loaded() && !kind.may_enable(permissions);
    view! {
        <RequireLogin>
            <Show when=move || !refused() fallback=move || view! {
                <div class="alert alert-error" role="alert" data-testid="enable-refused">
                    {format!("Your token's policies do not allow enabling a {}: that needs {}.", kind.noun(), kind.enabling_needs())}
                </div>
            }>
                <EnableForm kind />
            </Show>
        </RequireLogin>
    }
}

/// The form's values, kept across failed attempts.
#[derive(Clone, Copy)]
struct Fields {
    kind_choice: RwSignal<String>,
    custom_kind: RwSignal<String>,
    path: RwSignal<String>,
    path_touched: RwSignal<bool>,
    description: RwSignal<String>,
    default_ttl: RwSignal<String>,
    max_ttl: RwSignal<String>,
    listed: RwSignal<bool>,
    token_type: RwSignal<String>,
    kv_version: RwSignal<String>,
    max_versions: RwSignal<String>,
    cas_required: RwSignal<bool>,
    delete_after: RwSignal<String>,
}

impl Fields {
    fn new(kind: MountKind) -> Fields {
        let first = kind.types()[0].kind.to_string();
        Fields {
            path: RwSignal::new(first.clone()),
            kind_choice: RwSignal::new(first),
            custom_kind: RwSignal::new(String::new()),
            path_touched: RwSignal::new(false),
            description: RwSignal::new(String::new()),
            default_ttl: RwSignal::new(String::new()),
            max_ttl: RwSignal::new(String::new()),
            listed: RwSignal::new(false),
            token_type: RwSignal::new("default-service".into()),
            kv_version: RwSignal::new("2".into()),
            max_versions: RwSignal::new(String::new()),
            cas_required: RwSignal::new(false),
            delete_after: RwSignal::new(String::new()),
        }
    }

    fn mount_type(self) -> String {
        let choice = self.kind_choice.get();
        if choice == "other" {
            self.custom_kind.get().trim().to_string()
        } else {
            choice
        }
    }

    fn is_kv_v2(self) -> bool {
        self.mount_type() == "kv" && self.kv_version.get() == "2"
    }

    /// The `POST sys/mounts/:path` (or `sys/auth/:path`) body, or what is wrong.
    fn request(self, kind: MountKind) -> Result<(String, Value), String> {
        let mount_type = self.mount_type();
        if mount_type.is_empty() {
            return Err("Choose a type, or type one in.".into());
        }
        let path = check_path(&self.path.get())?;
        let mut config = Map::new();
        for (key, field, label) in [
            ("default_lease_ttl", self.default_ttl, "Default lease TTL"),
            ("max_lease_ttl", self.max_ttl, "Max lease TTL"),
        ] {
            if let Some(seconds) =
                durations::parse(&field.get()).map_err(|e| format!("{label}: {e}"))?
            {
                config.insert(key.into(), json!(format!("{seconds}s")));
            }
        }
        if self.listed.get() {
            config.insert("listing_visibility".into(), json!("unauth"));
        }
        if kind == MountKind::Auth {
            config.insert("token_type".into(), json!(self.token_type.get()));
        }
        let mut body =
            json!({ "type": mount_type, "description": self.description.get(), "config": config });
        if mount_type == "kv" {
            body["options"] = json!({ "version": self.kv_version.get() });
        }
        Ok((path, body))
    }

    /// KV v2 settings for `MOUNT/config`, if any were given.
    fn kv_config(self) -> Result<Option<Value>, String> {
        if !self.is_kv_v2() {
            return Ok(None);
        }
        let mut config = Map::new();
        let max_versions = self.max_versions.get();
        if !max_versions.trim().is_empty() {
            let n: u64 = max_versions
                .trim()
                .parse()
                .map_err(|_| "Max versions must be a whole number.".to_string())?;
            config.insert("max_versions".into(), json!(n));
        }
        if self.cas_required.get() {
            config.insert("cas_required".into(), json!(true));
        }
        if let Some(seconds) = durations::parse(&self.delete_after.get())
            .map_err(|e| format!("Delete versions after: {e}"))?
        {
            config.insert("delete_version_after".into(), json!(format!("{seconds}s")));
        }
        Ok((!config.is_empty()).then_some(Value::Object(config)))
    }
}

/// A type the picker offers.
#[derive(Clone, Debug, PartialEq)]
struct Offered {
    kind: String,
    title: String,
    description: String,
}

impl From<&TypeChoice> for Offered {
    fn from(choice: &TypeChoice) -> Offered {
        Offered {
            kind: choice.kind.into(),
            title: choice.title.into(),
            description: choice.description.into(),
        }
    }
}

/// The types to offer: those of the server's plugin catalog (described ones first, in the
/// picker's order), or — when the catalog cannot be read — the usual ones.
fn offered(kind: MountKind, catalog: Option<&PluginCatalog>) -> Vec<Offered> {
    let Some(catalog) = catalog else {
        return kind.types().iter().map(Offered::from).collect();
    };
    let names = kind.catalog_names(catalog);
    let mut offered: Vec<Offered> = kind
        .types()
        .iter()
        .filter(|choice| names.iter().any(|n| n == choice.kind))
        .map(Offered::from)
        .collect();
    for name in names {
        if !offered.iter().any(|o| &o.kind == name) {
            offered.push(Offered {
                kind: name.clone(),
                title: name.clone(),
                description: "A plugin in this server's catalog.".into(),
            });
        }
    }
    offered
}

fn type_choice(fields: Fields, choice: Offered) -> impl IntoView {
    let Offered {
        kind,
        title,
        description,
    } = choice;
    let (checked_kind, chosen_kind) = (kind.clone(), kind.clone());
    view! {
        <label class="type-choice">
            <input
                type="radio"
                name="mount-type"
                value=kind.clone()
                prop:checked=move || fields.kind_choice.get() == checked_kind
                on:change=move |_| fields.kind_choice.set(chosen_kind.clone())
                data-testid=format!("type-{kind}")
            />
            <span class="type-title">{title}</span>
            <span class="muted">{description}</span>
        </label>
    }
}

#[component]
fn EnableForm(kind: MountKind) -> impl IntoView {
    let toasts = use_toasts();
    let navigate = use_navigate();
    let fields = Fields::new(kind);
    let error = RwSignal::new(None::<ApiError>);
    let invalid = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let catalog = LocalResource::new(|| async {
        api::vault_data::<PluginCatalog>("sys/plugins/catalog").await
    });
    // `None` while the catalog loads; then the types the server has (or the usual ones,
    // with a note, when the token may not read the catalog).
    let choices = Memo::new(move |_| {
        catalog
            .get()
            .map(|answer| (offered(kind, answer.as_ref().ok()), answer.is_err()))
    });
    // The first type is chosen until the user picks: once the catalog is known, the first
    // it has.
    Effect::new(move |_| {
        let Some((choices, _)) = choices.get() else {
            return;
        };
        let current = fields.kind_choice.get_untracked();
        if current != "other" && !choices.iter().any(|c| c.kind == current) {
            if let Some(first) = choices.first() {
                fields.kind_choice.set(first.kind.clone());
            }
        }
    });

    // The path follows the type until the user edits it.
    Effect::new(move |_| {
        let mount_type = fields.mount_type();
        if !fields.path_touched.get_untracked() {
            fields.path.set(mount_type);
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (path, body) = match fields.request(kind) {
            Ok(request) => request,
            Err(message) => return invalid.set(Some(message)),
        };
        let kv_config = match fields.kv_config() {
            Ok(config) => config,
            Err(message) => return invalid.set(Some(message)),
        };
        invalid.set(None);
        error.set(None);
        busy.set(true);
        let navigate = navigate.clone();
        crate::state::tasks::spawn_owned(async move {
            let enabled =
                api::vault_write(Method::POST, &kind.mount_path(&path), Some(&body)).await;
            match enabled {
                Err(e) => error.set(Some(e)),
                Ok(_) => {
                    let mut message = format!("Enabled the {} at {path}/.", kind.noun());
                    if let Some(config) = kv_config {
                        if let Err(e) =
                            api::vault_write(Method::POST, &format!("{path}/config"), Some(&config))
                                .await
                        {
                            message = format!(
                                "{message} Its KV settings were not saved: {}",
                                e.message()
                            );
                        }
                    }
                    toasts.success(message);
                    navigate(kind.app_root(), Default::default());
                }
            }
            busy.set(false);
        });
    };

    view! {
        <section class="card">
            <h1>{format!("Enable a {}", kind.noun())}</h1>
            <form class="form" on:submit=submit>
                <fieldset class="type-picker" data-testid="type-picker">
                    <legend>"Type"</legend>
                    {move || match choices.get() {
                        None => view! { <p class="muted">"Asking Vault which types it has…"</p> }.into_any(),
                        Some((offered, unknown)) => view! {
                            {unknown.then(|| view! {
                                <p class="muted" data-testid="catalog-unknown">"Vault did not say which types it has (that needs read on sys/plugins/catalog): these are the usual ones."</p>
                            })}
                            {offered.into_iter().map(|choice| type_choice(fields, choice)).collect_view()}
                        }.into_any(),
                    }}
                    <label class="type-choice">
                        <input
                            type="radio"
                            name="mount-type"
                            value="other"
                            prop:checked=move || fields.kind_choice.get() == "other"
                            on:change=move |_| fields.kind_choice.set("other".into())
                            data-testid="type-other"
                        />
                        <span class="type-title">"Another type"</span>
                        <input type="text" placeholder="plugin type" bind:value=fields.custom_kind
                            on:focus=move |_| fields.kind_choice.set("other".into()) data-testid="type-custom" />
                    </label>
                </fieldset>
                <Show when=move || fields.mount_type() == "kv">
                    <fieldset>
                        <legend>"KV version"</legend>
                        <label class="checkbox"><input type="radio" name="kv-version" value="2" bind:group=fields.kv_version data-testid="kv-version-2" />" Version 2 (versioned)"</label>
                        <label class="checkbox"><input type="radio" name="kv-version" value="1" bind:group=fields.kv_version data-testid="kv-version-1" />" Version 1"</label>
                    </fieldset>
                </Show>
                <label class="field">
                    <span>"Path"</span>
                    <input type="text" bind:value=fields.path on:input=move |_| fields.path_touched.set(true) data-testid="mount-path" />
                </label>
                <label class="field">
                    <span>"Description"</span>
                    <input type="text" bind:value=fields.description data-testid="mount-description" />
                </label>
                <DurationField label="Default lease TTL" value=fields.default_ttl hint="empty: the system default (768h)" test_id="default-ttl" />
                <DurationField label="Max lease TTL" value=fields.max_ttl hint="empty: the system default (768h)" test_id="max-ttl" />
                <label class="checkbox">
                    <input type="checkbox" bind:checked=fields.listed data-testid="listing-visibility" />
                    {match kind {
                        MountKind::Auth => " List this method on the login page (listing_visibility: unauth)",
                        MountKind::Secrets => " List this engine to unauthenticated clients (listing_visibility: unauth)",
                    }}
                </label>
                {(kind == MountKind::Auth).then(|| view! {
                    <label class="field">
                        <span>"Token type"</span>
                        <select bind:value=fields.token_type data-testid="token-type">
                            <option value="default-service">"default-service"</option>
                            <option value="default-batch">"default-batch"</option>
                            <option value="service">"service"</option>
                            <option value="batch">"batch"</option>
                        </select>
                    </label>
                })}
                <Show when=move || fields.is_kv_v2()>
                    <fieldset>
                        <legend>"KV version 2 settings"</legend>
                        <label class="field">
                            <span>"Max versions"</span>
                            <input type="number" min="0" placeholder="10" bind:value=fields.max_versions data-testid="kv-max-versions" />
                        </label>
                        <label class="checkbox"><input type="checkbox" bind:checked=fields.cas_required data-testid="kv-cas-required" />" Require check-and-set on every write"</label>
                        <DurationField label="Delete versions after" value=fields.delete_after hint="empty: never" test_id="kv-delete-after" />
                    </fieldset>
                </Show>
                {move || invalid.get().map(|message| view! { <p class="field-error" role="alert" data-testid="form-invalid">{message}</p> })}
                {move || error.get().map(|error| view! { <ErrorNotice error context="Vault refused." /> })}
                <div class="actions">
                    <button type="submit" class="button button-primary" disabled=move || busy.get() data-testid="enable-submit">
                        {format!("Enable {}", kind.noun())}
                    </button>
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(offered: &[Offered]) -> Vec<&str> {
        offered.iter().map(|o| o.kind.as_str()).collect()
    }

    #[test]
    fn the_picker_offers_what_the_catalog_has() {
        let catalog = PluginCatalog {
            auth: vec!["kubernetes".into(), "userpass".into()],
            secret: vec!["kv".into(), "nomad".into()],
        };
        let auth = offered(MountKind::Auth, Some(&catalog));
        assert_eq!(
            kinds(&auth),
            ["userpass", "kubernetes"],
            "no AppRole where the server has none"
        );
        let secrets = offered(MountKind::Secrets, Some(&catalog));
        assert_eq!(kinds(&secrets), ["kv", "nomad"]);
        assert_eq!(secrets[1].description, "A plugin in this server's catalog.");
        assert_eq!(
            offered(MountKind::Auth, None).len(),
            MountKind::Auth.types().len()
        );
    }
}
