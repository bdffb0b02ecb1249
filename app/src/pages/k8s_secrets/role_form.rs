//! One role of the Kubernetes secrets engine: create, edit, delete. The three ways a role
//! gets its service account are one choice; namespaces and service accounts come with
//! suggestions from the cluster; generated rules are checked (by the BFF, which reads YAML)
//! before Vault gets them, since Vault only says it "failed to parse" them.

use super::{read_role, write, EngineNav, EngineRole, RoleMode};
use crate::{
    api::{self, ApiError, Method},
    components::{
        delete_role::DeleteRole, duration_field::DurationField, error_notice::ErrorNotice,
        leave_guard::use_leave_guard, multi_value::MultiValueInput,
    },
    durations,
    pages::kubernetes::{
        check_role_name,
        cluster::{ClusterCard, ClusterDirectory, MissingAccounts},
    },
    routes::{AppRoute, EngineView},
    state::{permissions::use_permissions, toasts::use_toasts},
    wire::{
        k8s::{urls, RoleRules, RoleRulesText},
        MountKind,
    },
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use vaultdeck_policy::Capability;

/// A start for the rules editor: reading pods, as the engine's documentation shows.
const EXAMPLE_RULES: &str = "rules:\n- apiGroups: [\"\"]\n  resources: [\"pods\"]\n  verbs: [\"get\", \"list\", \"watch\"]\n";

#[component]
pub fn RoleFormPage(mount: String, role: Option<String>) -> impl IntoView {
    let loaded = LocalResource::new({
        let (mount, role) = (mount.clone(), role.clone());
        move || {
            let (mount, role) = (mount.clone(), role.clone());
            async move {
                match role {
                    Some(name) => read_role(&mount, &name).await,
                    None => Ok(EngineRole {
                        kubernetes_role_type: "Role".into(),
                        ..EngineRole::default()
                    }),
                }
            }
        }
    });
    let title = match &role {
        Some(name) => format!("Kubernetes secrets engine role {name}"),
        None => "New Kubernetes secrets engine role".to_string(),
    };
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <A href=AppRoute::engine(&mount, EngineView::Roles).link()>{format!("{mount}/ roles")}</A>
        </nav>
        <h1>{title}</h1>
        <EngineNav mount=mount.clone() />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || loaded.get().map(|answer| match answer {
                Ok(current) => view! { <RoleEditor mount=mount.clone() name=role.clone() current /> }.into_any(),
                Err(error) => view! { <ErrorNotice error context="Could not read the role." /> }.into_any(),
            })}
        </Suspense>
    }
}

/// What the form holds, as plain values.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineRoleDraft {
    pub mode: RoleMode,
    pub namespaces: Vec<String>,
    pub namespace_selector: String,
    pub service_account_name: String,
    pub kubernetes_role_name: String,
    /// `Role` or `ClusterRole`.
    pub kubernetes_role_type: String,
    pub generated_role_rules: String,
    pub ttl: String,
    pub max_ttl: String,
    pub audiences: Vec<String>,
    pub name_template: String,
    /// `key=value`, one per line.
    pub extra_labels: String,
    pub extra_annotations: String,
}

impl EngineRoleDraft {
    pub fn from_role(role: &EngineRole) -> Self {
        let duration = |s: u64| match s {
            0 => String::new(),
            s => durations::format(s),
        };
        EngineRoleDraft {
            mode: RoleMode::of(role),
            namespaces: role
                .allowed_kubernetes_namespaces
                .clone()
                .unwrap_or_default(),
            namespace_selector: role.allowed_kubernetes_namespace_selector.clone(),
            service_account_name: role.service_account_name.clone(),
            kubernetes_role_name: role.kubernetes_role_name.clone(),
            kubernetes_role_type: match role.kubernetes_role_type.as_str() {
                "" => "Role".into(),
                other => other.into(),
            },
            generated_role_rules: role.generated_role_rules.clone(),
            ttl: duration(role.token_default_ttl),
            max_ttl: duration(role.token_max_ttl),
            audiences: role.token_default_audiences.clone().unwrap_or_default(),
            name_template: role.name_template.clone(),
            extra_labels: pairs_text(role.extra_labels.as_ref()),
            extra_annotations: pairs_text(role.extra_annotations.as_ref()),
        }
    }

    /// The body for `MOUNT/roles/NAME`, or what is wrong. Vault merges a write into the
    /// role it has, so every field is sent, the other modes' fields empty: switching a
    /// role's mode must not leave the old one set (Vault would refuse two).
    pub fn body(&self) -> Result<Value, String> {
        let namespaces: Vec<&String> = self.namespaces.iter().filter(|n| !n.is_empty()).collect();
        if namespaces.is_empty() && self.namespace_selector.trim().is_empty() {
            return Err(
                "Name at least one allowed namespace (* for any), or a namespace label selector."
                    .into(),
            );
        }
        let chosen = |mode: RoleMode, value: &str| match self.mode == mode {
            true => value.trim().to_string(),
            false => String::new(),
        };
        let account = chosen(RoleMode::ExistingAccount, &self.service_account_name);
        let role_name = chosen(RoleMode::ExistingRole, &self.kubernetes_role_name);
        let rules = chosen(RoleMode::GeneratedRules, &self.generated_role_rules);
        match self.mode {
            RoleMode::ExistingAccount if account.is_empty() => {
                return Err("Name the service account whose tokens Vault issues.".into())
            }
            RoleMode::ExistingRole if role_name.is_empty() => {
                return Err(
                    "Name the Role or ClusterRole Vault binds to the accounts it creates.".into(),
                )
            }
            RoleMode::GeneratedRules if rules.is_empty() => {
                return Err("Write the rules of the Role Vault creates.".into())
            }
            _ => {}
        }
        let ttl = durations::parse(&self.ttl).map_err(|e| format!("Default TTL: {e}"))?;
        let max_ttl = durations::parse(&self.max_ttl).map_err(|e| format!("Max TTL: {e}"))?;
        if let (Some(ttl), Some(max)) = (ttl, max_ttl) {
            if max > 0 && ttl > max {
                return Err("The default TTL cannot be longer than the max TTL.".into());
            }
        }
        Ok(json!({
            "allowed_kubernetes_namespaces": namespaces,
            "allowed_kubernetes_namespace_selector": self.namespace_selector.trim(),
            "service_account_name": account,
            "kubernetes_role_name": role_name,
            "kubernetes_role_type": self.kubernetes_role_type,
            "generated_role_rules": rules,
            "token_default_ttl": ttl.unwrap_or(0),
            "token_max_ttl": max_ttl.unwrap_or(0),
            "token_default_audiences": self.audiences,
            "name_template": self.name_template.trim(),
            "extra_labels": parse_pairs("Extra labels", &self.extra_labels)?,
            "extra_annotations": parse_pairs("Extra annotations", &self.extra_annotations)?,
        }))
    }
}

fn pairs_text(pairs: Option<&BTreeMap<String, String>>) -> String {
    pairs
        .map(|pairs| {
            pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}\n"))
                .collect::<String>()
        })
        .unwrap_or_default()
}

/// `key=value` lines as a JSON object (Vault takes the object as it is).
fn parse_pairs(what: &str, text: &str) -> Result<Value, String> {
    let mut pairs = Map::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("{what}, line {}: write key=value.", index + 1))?;
        if key.trim().is_empty() {
            return Err(format!("{what}, line {}: the key is empty.", index + 1));
        }
        pairs.insert(key.trim().to_string(), json!(value.trim()));
    }
    Ok(Value::Object(pairs))
}

/// Asks the BFF whether the rules read as a Kubernetes Policy.
async fn check_rules(text: &str) -> Result<RoleRules, ApiError> {
    let body = RoleRulesText { text: text.into() };
    api::send_json::<RoleRules, _>(Method::POST, urls::ROLE_RULES, Some(&body))
        .await?
        .ok_or_else(|| ApiError::local("The rules check answered nothing."))
}

#[derive(Clone, Copy)]
struct Fields {
    name: RwSignal<String>,
    mode: RwSignal<RoleMode>,
    namespaces: RwSignal<Vec<String>>,
    namespace_selector: RwSignal<String>,
    service_account_name: RwSignal<String>,
    kubernetes_role_name: RwSignal<String>,
    kubernetes_role_type: RwSignal<String>,
    generated_role_rules: RwSignal<String>,
    ttl: RwSignal<String>,
    max_ttl: RwSignal<String>,
    audiences: RwSignal<Vec<String>>,
    name_template: RwSignal<String>,
    extra_labels: RwSignal<String>,
    extra_annotations: RwSignal<String>,
}

impl Fields {
    fn new(draft: &EngineRoleDraft) -> Self {
        Fields {
            name: RwSignal::new(String::new()),
            mode: RwSignal::new(draft.mode),
            namespaces: RwSignal::new(draft.namespaces.clone()),
            namespace_selector: RwSignal::new(draft.namespace_selector.clone()),
            service_account_name: RwSignal::new(draft.service_account_name.clone()),
            kubernetes_role_name: RwSignal::new(draft.kubernetes_role_name.clone()),
            kubernetes_role_type: RwSignal::new(draft.kubernetes_role_type.clone()),
            generated_role_rules: RwSignal::new(draft.generated_role_rules.clone()),
            ttl: RwSignal::new(draft.ttl.clone()),
            max_ttl: RwSignal::new(draft.max_ttl.clone()),
            audiences: RwSignal::new(draft.audiences.clone()),
            name_template: RwSignal::new(draft.name_template.clone()),
            extra_labels: RwSignal::new(draft.extra_labels.clone()),
            extra_annotations: RwSignal::new(draft.extra_annotations.clone()),
        }
    }

    fn draft(self) -> EngineRoleDraft {
        EngineRoleDraft {
            mode: self.mode.get(),
            namespaces: self.namespaces.get(),
            namespace_selector: self.namespace_selector.get(),
            service_account_name: self.service_account_name.get(),
            kubernetes_role_name: self.kubernetes_role_name.get(),
            kubernetes_role_type: self.kubernetes_role_type.get(),
            generated_role_rules: self.generated_role_rules.get(),
            ttl: self.ttl.get(),
            max_ttl: self.max_ttl.get(),
            audiences: self.audiences.get(),
            name_template: self.name_template.get(),
            extra_labels: self.extra_labels.get(),
            extra_annotations: self.extra_annotations.get(),
        }
    }
}

#[component]
fn RoleEditor(mount: String, name: Option<String>, current: EngineRole) -> impl IntoView {
    let permissions = use_permissions();
    let saved = RwSignal::new(EngineRoleDraft::from_role(&current));
    let fields = Fields::new(&saved.get_untracked());
    let creating = name.is_none();
    let directory = ClusterDirectory::new(&mount, MountKind::Secrets);
    let created = RwSignal::new(false);
    use_leave_guard(Signal::derive(move || {
        let named = creating && !created.get() && !fields.name.get().is_empty();
        fields.draft() != saved.get() || named
    }));
    Effect::new(move |_| directory.load_accounts(&fields.namespaces.get()));
    let role_for_path = name.clone();
    let can_write = {
        let mount = mount.clone();
        move || {
            let role = role_for_path.clone().unwrap_or_else(|| fields.name.get());
            let capability = match creating {
                true => Capability::Create,
                false => Capability::Update,
            };
            permissions.can(&format!("{mount}/roles/{role}"), capability)
        }
    };
    let save = SaveRole {
        mount: mount.clone(),
        name: name.clone(),
        fields,
        saved,
        created,
        state: SaveState {
            invalid: RwSignal::new(None),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
        },
    };
    let state = save.state;
    let namespace_suggestions = Signal::derive(move || {
        let mut all = directory.namespaces.get();
        all.insert(0, "*".into());
        all
    });
    let account_suggestions =
        Signal::derive(move || directory.account_names(&fields.namespaces.get()));
    let mode_is = move |mode: RoleMode| move || fields.mode.get() == mode;
    view! {
        <ClusterCard directory />
        <form class="form form-wide" on:submit=save.handler() data-testid="engine-role-form">
            {creating.then(|| view! {
                <label class="field">
                    <span>"Role name"</span>
                    <input type="text" bind:value=fields.name autocomplete="off" data-testid="engine-role-name" />
                </label>
            })}
            <ModePicker mode=fields.mode />
            <Show when=mode_is(RoleMode::ExistingAccount)>
                <label class="field">
                    <span>"Service account"</span>
                    <input type="text" bind:value=fields.service_account_name list="engine-account-suggestions" autocomplete="off" data-testid="engine-role-account" />
                    <datalist id="engine-account-suggestions">
                        {move || account_suggestions.get().into_iter().map(|n| view! { <option value=n /> }).collect_view()}
                    </datalist>
                    <small class="muted">"It must exist in every namespace the tokens are asked for."</small>
                </label>
                <MissingAccounts
                    namespaces=fields.namespaces.into()
                    names=Signal::derive(move || vec![fields.service_account_name.get().trim().to_string()])
                    directory
                />
            </Show>
            <Show when=mode_is(RoleMode::ExistingRole)>
                <label class="field">
                    <span>"Role or ClusterRole to bind"</span>
                    <input type="text" bind:value=fields.kubernetes_role_name autocomplete="off" data-testid="engine-role-k8s-role" />
                </label>
            </Show>
            <Show when=mode_is(RoleMode::GeneratedRules)>
                <RulesEditor text=fields.generated_role_rules />
            </Show>
            <Show when=move || fields.mode.get() != RoleMode::ExistingAccount>
                <label class="field">
                    <span>"Kind"</span>
                    <select bind:value=fields.kubernetes_role_type data-testid="engine-role-type">
                        <option value="Role">"Role (bound in the namespace of the request)"</option>
                        <option value="ClusterRole">"ClusterRole"</option>
                    </select>
                </label>
            </Show>
            <MultiValueInput
                label="Allowed namespaces"
                values=fields.namespaces
                suggestions=namespace_suggestions
                hint="Where tokens may be asked for; * for any."
                test_id="engine-role-namespaces"
            />
            <label class="field">
                <span>"Namespace label selector (optional)"</span>
                <input type="text" class="mono" bind:value=fields.namespace_selector placeholder="matchLabels: {team: web}" data-testid="engine-role-selector" />
                <small class="muted">"YAML or JSON: namespaces whose labels match are allowed too."</small>
            </label>
            <DurationField label="Default TTL" value=fields.ttl hint="empty: the mount's default" test_id="engine-role-ttl" />
            <DurationField label="Max TTL" value=fields.max_ttl hint="empty: the mount's maximum" test_id="engine-role-max-ttl" />
            <MultiValueInput
                label="Default audiences"
                values=fields.audiences
                suggestions=Signal::derive(Vec::new)
                hint="The audiences of the tokens, unless a request names its own; empty: the cluster's default."
                test_id="engine-role-audiences"
            />
            <label class="field">
                <span>"Name template (optional)"</span>
                <input type="text" class="mono" bind:value=fields.name_template placeholder="{{ printf \"v-%s-%s\" .RoleName (random 8) }}" data-testid="engine-role-name-template" />
                <small class="muted">"How Vault names what it creates; empty: Vault's default."</small>
            </label>
            <label class="field">
                <span>"Extra labels (key=value, one per line)"</span>
                <textarea rows="2" class="mono" bind:value=fields.extra_labels data-testid="engine-role-labels"></textarea>
            </label>
            <label class="field">
                <span>"Extra annotations (key=value, one per line)"</span>
                <textarea rows="2" class="mono" bind:value=fields.extra_annotations data-testid="engine-role-annotations"></textarea>
            </label>
            {move || state.invalid.get().map(|message| view! { <p class="field-error" role="alert" data-testid="engine-role-invalid">{message}</p> })}
            {move || state.error.get().map(|error| view! { <ErrorNotice error context="Vault refused the role." /> })}
            <div class="actions">
                <button type="submit" class="button button-primary" disabled=move || state.busy.get() || !can_write() data-testid="engine-role-save">
                    {if creating { "Create role" } else { "Save role" }}
                </button>
            </div>
        </form>
        {name.map(|role| view! {
            <div class="actions">
                <A href=AppRoute::engine(&mount, EngineView::Creds(role.clone())).link() attr:class="button" attr:data-testid="generate-creds-link">"Generate credentials"</A>
            </div>
            <DeleteRole
                path=format!("{mount}/roles/{role}")
                role
                explanation="No new credentials can be generated from it. Tokens already issued keep working until their leases end, and what Vault created for them is removed then."
                after=AppRoute::engine(&mount, EngineView::Roles)
            />
        })}
    }
}

/// Saving a role: the draft checked, the rules checked by the BFF, then Vault.
#[derive(Clone)]
struct SaveRole {
    mount: String,
    name: Option<String>,
    fields: Fields,
    saved: RwSignal<EngineRoleDraft>,
    created: RwSignal<bool>,
    state: SaveState,
}

/// What the form shows of a save: why it was not sent, why Vault refused it, whether it runs.
#[derive(Clone, Copy)]
struct SaveState {
    invalid: RwSignal<Option<String>>,
    error: RwSignal<Option<ApiError>>,
    busy: RwSignal<bool>,
}

impl SaveRole {
    fn handler(&self) -> impl Fn(leptos::ev::SubmitEvent) + Clone + 'static {
        let save = self.clone();
        let state = self.state;
        let toasts = use_toasts();
        let navigate = use_navigate();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let role = match &save.name {
                Some(existing) => Ok(existing.clone()),
                None => check_role_name(&save.fields.name.get_untracked()),
            };
            let draft = save.fields.draft();
            let body = match role.clone().and_then(|_| draft.body()) {
                Ok(body) => body,
                Err(message) => return state.invalid.set(Some(message)),
            };
            let role = role.unwrap_or_default();
            state.invalid.set(None);
            state.error.set(None);
            state.busy.set(true);
            let (save, navigate) = (save.clone(), navigate.clone());
            crate::state::tasks::spawn_owned(async move {
                if draft.mode == RoleMode::GeneratedRules {
                    if let Err(e) = check_rules(&draft.generated_role_rules).await {
                        state.invalid.set(Some(e.message()));
                        state.busy.set(false);
                        return;
                    }
                }
                let path = format!("{}/roles/{role}", save.mount);
                match write(&path, &body).await {
                    Ok(warnings) => {
                        save.saved.set(draft);
                        toasts.success(format!("Role {role} saved."));
                        for warning in warnings {
                            toasts.warning(format!("Vault warns: {warning}"));
                        }
                        if save.name.is_none() {
                            save.created.set(true);
                            let page = AppRoute::engine(&save.mount, EngineView::Role(role));
                            navigate(&page.href(), Default::default());
                        }
                    }
                    Err(e) => state.error.set(Some(e)),
                }
                state.busy.set(false);
            });
        }
    }
}

/// The three ways a role gets its service account, each explained.
#[component]
fn ModePicker(mode: RwSignal<RoleMode>) -> impl IntoView {
    view! {
        <fieldset class="field" data-testid="engine-role-mode">
            <legend>"Tokens for"</legend>
            {RoleMode::ALL.into_iter().map(|choice| view! {
                <label class="radio">
                    <input
                        type="radio"
                        name="engine-role-mode"
                        value=choice.key()
                        prop:checked=move || mode.get() == choice
                        on:change=move |_| mode.set(choice)
                        data-testid=format!("engine-mode-{}", choice.key())
                    />
                    <strong>{format!(" {}", choice.title())}</strong>
                    <small class="muted">{format!(" — {}", choice.explanation())}</small>
                </label>
            }).collect_view()}
        </fieldset>
    }
}

/// The generated rules, with a check that shows them as the cluster will read them.
#[component]
fn RulesEditor(text: RwSignal<String>) -> impl IntoView {
    let checked = RwSignal::new(None::<Result<RoleRules, ApiError>>);
    let check = move |_| {
        let rules = text.get_untracked();
        crate::state::tasks::spawn_owned(async move {
            checked.set(Some(check_rules(&rules).await));
        });
    };
    view! {
        <label class="field">
            <span>"Rules of the Role Vault creates (YAML or JSON)"</span>
            <textarea rows="8" class="mono" bind:value=text on:input=move |_| checked.set(None) spellcheck="false" data-testid="engine-role-rules"></textarea>
        </label>
        <div class="actions">
            <button type="button" class="button button-small" on:click=check data-testid="engine-rules-check">"Check the rules"</button>
            <button type="button" class="button button-small" on:click=move |_| { text.set(EXAMPLE_RULES.into()); checked.set(None); } data-testid="engine-rules-example">"Start from an example"</button>
        </div>
        {move || checked.get().map(|answer| match answer {
            Ok(rules) => view! { <CheckedRules rules /> }.into_any(),
            Err(error) => view! { <p class="field-error" role="alert" data-testid="engine-rules-error">{error.message()}</p> }.into_any(),
        })}
    }
}

#[component]
fn CheckedRules(rules: RoleRules) -> impl IntoView {
    let list = |values: &[String]| match values {
        [] => "—".to_string(),
        values => values
            .iter()
            .map(|v| {
                if v.is_empty() {
                    "\"\" (core)".to_string()
                } else {
                    v.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    view! {
        <div data-testid="engine-rules-checked">
            <table class="table">
                <thead><tr><th>"API groups"</th><th>"Resources"</th><th>"Verbs"</th></tr></thead>
                <tbody>
                    {rules.rules.iter().map(|rule| view! {
                        <tr>
                            <td class="mono">{list(&rule.api_groups)}</td>
                            <td class="mono">{list(&[rule.resources.clone(), rule.non_resource_urls.clone()].concat())}</td>
                            <td class="mono">{list(&rule.verbs)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {rules.warnings.into_iter().map(|w| view! { <p class="alert alert-warn" data-testid="engine-rules-warning">{w}</p> }).collect_view()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(mode: RoleMode) -> EngineRoleDraft {
        EngineRoleDraft {
            mode,
            namespaces: vec!["default".into()],
            namespace_selector: String::new(),
            service_account_name: "webapp-one".into(),
            kubernetes_role_name: "pod-reader".into(),
            kubernetes_role_type: "Role".into(),
            generated_role_rules: EXAMPLE_RULES.into(),
            ttl: "10m".into(),
            max_ttl: "1h".into(),
            audiences: vec![],
            name_template: String::new(),
            extra_labels: "team=web\n".into(),
            extra_annotations: String::new(),
        }
    }

    #[test]
    fn only_the_chosen_mode_is_sent_the_others_are_cleared() {
        let body = draft(RoleMode::ExistingAccount).body().unwrap();
        assert_eq!(body["service_account_name"], "webapp-one");
        assert_eq!(body["kubernetes_role_name"], "");
        assert_eq!(body["generated_role_rules"], "");
        assert_eq!(body["token_default_ttl"], 600);
        assert_eq!(body["extra_labels"], json!({ "team": "web" }));
        let rules = draft(RoleMode::GeneratedRules).body().unwrap();
        assert_eq!(rules["service_account_name"], "");
        assert_eq!(rules["generated_role_rules"], EXAMPLE_RULES.trim());
    }

    #[test]
    fn what_vault_would_refuse_is_said_first() {
        let mut nowhere = draft(RoleMode::ExistingAccount);
        nowhere.namespaces.clear();
        assert!(nowhere.body().unwrap_err().contains("namespace"));
        nowhere.namespace_selector = "matchLabels: {team: web}".into();
        assert!(nowhere.body().is_ok());
        let mut no_account = draft(RoleMode::ExistingAccount);
        no_account.service_account_name = " ".into();
        assert!(no_account.body().unwrap_err().contains("service account"));
        let mut long = draft(RoleMode::ExistingRole);
        long.ttl = "2h".into();
        assert!(long.body().unwrap_err().contains("max TTL"));
        let mut labels = draft(RoleMode::ExistingRole);
        labels.extra_labels = "team\n".into();
        assert!(labels.body().unwrap_err().contains("line 1"));
    }

    #[test]
    fn a_role_read_back_is_the_same_draft() {
        let role = EngineRole {
            allowed_kubernetes_namespaces: Some(vec!["default".into()]),
            kubernetes_role_name: "edit".into(),
            kubernetes_role_type: "ClusterRole".into(),
            token_default_ttl: 600,
            extra_labels: Some([("a".to_string(), "b".to_string())].into()),
            ..EngineRole::default()
        };
        let draft = EngineRoleDraft::from_role(&role);
        assert_eq!(draft.mode, RoleMode::ExistingRole);
        assert_eq!(draft.ttl, "10m");
        assert_eq!(draft.extra_labels, "a=b\n");
        let body = draft.body().unwrap();
        assert_eq!(body["kubernetes_role_type"], "ClusterRole");
    }
}
