//! One Kubernetes role: create, edit, delete, and (for a saved role) "Can this pod read
//! it?". Service account names and namespaces get suggestions from the cluster and a
//! warning, with a way to create it, for a service account that does not exist yet.

use super::{
    check_role_name,
    cluster::{ClusterCard, ClusterDirectory, MissingAccounts},
    pod_check::PodCheck,
    read_role, write_role, Role,
};
use crate::routes::{AppRoute, DeliverFrom, K8sView};
use crate::wire::MountKind;
use crate::{
    api::ApiError,
    components::{
        delete_role::DeleteRole, duration_field::DurationField, error_notice::ErrorNotice,
        leave_guard::use_leave_guard, multi_value::MultiValueInput,
    },
    durations,
    pages::policies::policy_names,
    state::{permissions::use_permissions, toasts::use_toasts},
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};
use serde_json::{json, Value};
use vaultdeck_policy::Capability;

#[component]
pub fn RoleFormPage(mount: String, role: Option<String>) -> impl IntoView {
    let loaded = LocalResource::new({
        let (mount, role) = (mount.clone(), role.clone());
        move || {
            let (mount, role) = (mount.clone(), role.clone());
            async move {
                match role {
                    Some(name) => read_role(&mount, &name).await,
                    None => Ok(Role {
                        token_type: "default".into(),
                        alias_name_source: "serviceaccount_uid".into(),
                        ..Role::default()
                    }),
                }
            }
        }
    });
    let title = match &role {
        Some(name) => format!("Kubernetes role {name}"),
        None => "New Kubernetes role".to_string(),
    };
    let back = AppRoute::k8s(&mount, K8sView::Roles).link();
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <A href=back>{format!("auth/{mount}/ roles")}</A>
        </nav>
        <h1>{title}</h1>
        {role.clone().map(|name| view! {
            <p>
                <A href=AppRoute::Deliver(DeliverFrom {
                    auth: Some(mount.clone()),
                    role: Some(name),
                    ..DeliverFrom::default()
                }).link() attr:data-testid="deliver-role">"Deliver a secret to a pod"</A>
            </p>
        })}
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
pub struct RoleDraft {
    pub names: Vec<String>,
    pub namespaces: Vec<String>,
    pub policies: Vec<String>,
    pub audience: String,
    pub alias_name_source: String,
    pub ttl: String,
    pub max_ttl: String,
    pub token_type: String,
}

impl RoleDraft {
    pub fn from_role(role: &Role) -> Self {
        let ttl = |s: u64| {
            if s == 0 {
                String::new()
            } else {
                durations::format(s)
            }
        };
        RoleDraft {
            names: role.bound_service_account_names.clone(),
            namespaces: role.bound_service_account_namespaces.clone(),
            policies: role.all_policies(),
            audience: role.audience.clone(),
            alias_name_source: role.alias_name_source.clone(),
            ttl: ttl(role.token_ttl),
            max_ttl: ttl(role.token_max_ttl),
            token_type: role.token_type.clone(),
        }
    }

    /// The body for `auth/MOUNT/role/NAME`, or what is wrong, in Vault's words where it has
    /// them.
    pub fn body(&self) -> Result<Value, String> {
        check_bound("bound_service_account_names", &self.names)?;
        check_bound("bound_service_account_namespaces", &self.namespaces)?;
        let ttl = durations::parse(&self.ttl).map_err(|e| format!("Token TTL: {e}"))?;
        let max_ttl = durations::parse(&self.max_ttl).map_err(|e| format!("Token max TTL: {e}"))?;
        if let (Some(ttl), Some(max)) = (ttl, max_ttl) {
            if max > 0 && ttl > max {
                return Err("The token TTL cannot be longer than the token max TTL.".into());
            }
        }
        let mut body = json!({
            "bound_service_account_names": self.names,
            "bound_service_account_namespaces": self.namespaces,
            "token_policies": self.policies,
            "audience": self.audience.trim(),
            "token_ttl": ttl.unwrap_or(0),
            "token_max_ttl": max_ttl.unwrap_or(0),
        });
        if !self.alias_name_source.is_empty() {
            body["alias_name_source"] = json!(self.alias_name_source);
        }
        if !self.token_type.is_empty() {
            body["token_type"] = json!(self.token_type);
        }
        Ok(body)
    }
}

fn check_bound(field: &str, values: &[String]) -> Result<(), String> {
    if values.is_empty() {
        return Err(format!(
            "\"{field}\" can not be empty: add at least one, or * for any."
        ));
    }
    if values.len() > 1 && values.iter().any(|v| v == "*") {
        return Err(format!("\"{field}\": can not mix \"*\" with values."));
    }
    Ok(())
}

#[derive(Clone, Copy)]
struct Fields {
    name: RwSignal<String>,
    names: RwSignal<Vec<String>>,
    namespaces: RwSignal<Vec<String>>,
    policies: RwSignal<Vec<String>>,
    audience: RwSignal<String>,
    alias_name_source: RwSignal<String>,
    ttl: RwSignal<String>,
    max_ttl: RwSignal<String>,
    token_type: RwSignal<String>,
}

impl Fields {
    fn new(draft: &RoleDraft) -> Self {
        Fields {
            name: RwSignal::new(String::new()),
            names: RwSignal::new(draft.names.clone()),
            namespaces: RwSignal::new(draft.namespaces.clone()),
            policies: RwSignal::new(draft.policies.clone()),
            audience: RwSignal::new(draft.audience.clone()),
            alias_name_source: RwSignal::new(draft.alias_name_source.clone()),
            ttl: RwSignal::new(draft.ttl.clone()),
            max_ttl: RwSignal::new(draft.max_ttl.clone()),
            token_type: RwSignal::new(draft.token_type.clone()),
        }
    }

    fn draft(self) -> RoleDraft {
        RoleDraft {
            names: self.names.get(),
            namespaces: self.namespaces.get(),
            policies: self.policies.get(),
            audience: self.audience.get(),
            alias_name_source: self.alias_name_source.get(),
            ttl: self.ttl.get(),
            max_ttl: self.max_ttl.get(),
            token_type: self.token_type.get(),
        }
    }
}

#[component]
fn RoleEditor(mount: String, name: Option<String>, current: Role) -> impl IntoView {
    let toasts = use_toasts();
    let permissions = use_permissions();
    let navigate = use_navigate();
    let saved = RwSignal::new(RoleDraft::from_role(&current));
    let fields = Fields::new(&saved.get_untracked());
    let creating = name.is_none();
    let directory = ClusterDirectory::new(&mount, MountKind::Auth);
    let known_policies = LocalResource::new(|| async { policy_names().await.unwrap_or_default() });
    let error = RwSignal::new(None::<ApiError>);
    let invalid = RwSignal::new(None::<String>);
    let warnings = RwSignal::new(Vec::<String>::new());
    let busy = RwSignal::new(false);
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
            let capability = if creating {
                Capability::Create
            } else {
                Capability::Update
            };
            permissions.can(&format!("auth/{mount}/role/{role}"), capability)
        }
    };

    let submit = {
        let (mount, name) = (mount.clone(), name.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let role = match &name {
                Some(existing) => Ok(existing.clone()),
                None => check_role_name(&fields.name.get_untracked()),
            };
            let draft = fields.draft();
            let body = match role.clone().and_then(|_| draft.body()) {
                Ok(body) => body,
                Err(message) => return invalid.set(Some(message)),
            };
            let role = role.unwrap_or_default();
            invalid.set(None);
            error.set(None);
            busy.set(true);
            let mount = mount.clone();
            let navigate = navigate.clone();
            crate::state::tasks::spawn_owned(async move {
                match write_role(&mount, &role, &body).await {
                    Ok(vault_warnings) => {
                        saved.set(draft);
                        toasts.success(format!("Role {role} saved."));
                        if creating {
                            // The role's own page replaces this one: Vault's warnings go
                            // with the user as notices.
                            for warning in &vault_warnings {
                                toasts.warning(format!("Vault warns: {warning}"));
                            }
                            created.set(true);
                            navigate(
                                &AppRoute::k8s(&mount, K8sView::Role(role.clone())).href(),
                                Default::default(),
                            );
                        } else {
                            warnings.set(vault_warnings);
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        }
    };
    let policy_suggestions = Signal::derive(move || known_policies.get().unwrap_or_default());
    let namespace_suggestions = Signal::derive(move || {
        let mut all = directory.namespaces.get();
        all.insert(0, "*".into());
        all
    });
    let account_suggestions =
        Signal::derive(move || directory.account_names(&fields.namespaces.get()));
    let unknown_policies = move || {
        let known = known_policies.get()?;
        let missing: Vec<String> = fields
            .policies
            .get()
            .into_iter()
            .filter(|p| p != "default" && !known.contains(p))
            .collect();
        (!missing.is_empty()).then_some(missing)
    };
    let check_mount = mount.clone();
    let check_role = name.clone();
    view! {
        <ClusterCard directory />
        <form class="form form-wide" on:submit=submit data-testid="role-form">
            {creating.then(|| view! {
                <label class="field">
                    <span>"Role name"</span>
                    <input type="text" bind:value=fields.name autocomplete="off" data-testid="role-name" />
                </label>
            })}
            <MultiValueInput
                label="Bound service account names"
                values=fields.names
                suggestions=account_suggestions
                hint="Service accounts allowed to log in with this role; * for any. Globs like app-* match by pattern."
                test_id="role-sa-names"
            />
            <MultiValueInput
                label="Bound namespaces"
                values=fields.namespaces
                suggestions=namespace_suggestions
                hint="Namespaces those service accounts may be in; * for any."
                test_id="role-sa-namespaces"
            />
            <MissingAccounts namespaces=fields.namespaces.into() names=fields.names.into() directory />
            <MultiValueInput
                label="Policies"
                values=fields.policies
                suggestions=policy_suggestions
                hint="The ACL policies of the tokens this role gives."
                test_id="role-policies"
            />
            {move || unknown_policies().map(|missing| view! {
                <p class="alert alert-warn" data-testid="unknown-policies">
                    {format!("No ACL policy named {} exists yet: tokens get nothing from it until it is written.", missing.join(", "))}
                </p>
            })}
            <label class="field">
                <span>"Audience"</span>
                <input type="text" bind:value=fields.audience placeholder="e.g. vault" data-testid="role-audience" />
                <small class="muted">"If set, the pod's token must be issued for this audience. Vault warns when it is empty."</small>
            </label>
            <label class="field">
                <span>"Alias name source"</span>
                <select bind:value=fields.alias_name_source data-testid="role-alias-source">
                    <option value="serviceaccount_uid">"serviceaccount_uid (stable across re-creation)"</option>
                    <option value="serviceaccount_name">"serviceaccount_name (namespace/name)"</option>
                </select>
            </label>
            <DurationField label="Token TTL" value=fields.ttl hint="empty: the mount's default" test_id="role-ttl" />
            <DurationField label="Token max TTL" value=fields.max_ttl hint="empty: the mount's maximum" test_id="role-max-ttl" />
            <label class="field">
                <span>"Token type"</span>
                <select bind:value=fields.token_type data-testid="role-token-type">
                    <option value="default">"default (the mount's)"</option>
                    <option value="service">"service"</option>
                    <option value="batch">"batch"</option>
                </select>
            </label>
            {move || invalid.get().map(|message| view! { <p class="field-error" role="alert" data-testid="role-invalid">{message}</p> })}
            {move || error.get().map(|error| view! { <ErrorNotice error context="Vault refused the role." /> })}
            {move || (!warnings.get().is_empty()).then(|| view! {
                <div class="alert alert-warn" data-testid="role-warnings">
                    <strong>"Saved, with Vault's warnings:"</strong>
                    <ul>{warnings.get().into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
                </div>
            })}
            <div class="actions">
                <button type="submit" class="button button-primary" disabled=move || busy.get() || !can_write() data-testid="role-save">
                    {if creating { "Create role" } else { "Save role" }}
                </button>
            </div>
        </form>
        {check_role.map(|role| view! {
            <DeleteRole
                path=format!("auth/{check_mount}/role/{role}")
                role=role.clone()
                explanation="Pods bound to it can no longer log in; tokens they already have keep working until they expire."
                after=AppRoute::k8s(&check_mount, K8sView::Roles)
            />
            <PodCheck mount=check_mount.clone() role saved directory />
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> RoleDraft {
        RoleDraft {
            names: vec!["webapp-one".into()],
            namespaces: vec!["default".into()],
            policies: vec!["webapp-one-read".into()],
            audience: String::new(),
            alias_name_source: "serviceaccount_uid".into(),
            ttl: "1h".into(),
            max_ttl: "24h".into(),
            token_type: "default".into(),
        }
    }

    #[test]
    fn a_draft_becomes_vaults_fields() {
        let body = draft().body().unwrap();
        assert_eq!(body["bound_service_account_names"], json!(["webapp-one"]));
        assert_eq!(body["token_policies"], json!(["webapp-one-read"]));
        assert_eq!(body["token_ttl"], 3600);
        assert_eq!(body["token_max_ttl"], 86_400);
    }

    #[test]
    fn bad_drafts_say_what_vault_would() {
        let mut no_names = draft();
        no_names.names.clear();
        assert!(no_names.body().unwrap_err().contains("can not be empty"));
        let mut mixed = draft();
        mixed.namespaces.push("*".into());
        assert!(mixed.body().unwrap_err().contains("can not mix"));
        let mut ttl = draft();
        ttl.ttl = "48h".into();
        assert!(ttl.body().unwrap_err().contains("max TTL"));
        let mut garbage = draft();
        garbage.max_ttl = "soon".into();
        assert!(garbage.body().unwrap_err().contains("not a duration"));
    }

    #[test]
    fn a_role_read_back_is_the_same_draft() {
        let role = Role {
            bound_service_account_names: vec!["a".into()],
            bound_service_account_namespaces: vec!["*".into()],
            token_policies: vec!["p".into()],
            token_ttl: 3600,
            ..Role::default()
        };
        let draft = RoleDraft::from_role(&role);
        assert_eq!(draft.ttl, "1h");
        assert_eq!(draft.max_ttl, "");
    }
}
