//! Many roles at once: one per service account, each bound to its own policy (the lab's
//! `webapp-one` → `webapp-one-read`, …), and the service accounts created where missing.

use super::{
    check_role_name,
    cluster::{ClusterCard, ClusterDirectory},
    role_names, write_role,
};
use crate::routes::{AppRoute, K8sView};
use crate::wire::MountKind;
use crate::{
    components::{duration_field::DurationField, multi_value::MultiValueInput},
    durations,
    pages::policies::policy_names,
};
use leptos::prelude::*;
use leptos_router::components::A;
use serde_json::{json, Value};

/// The service accounts of the Vault-on-Kubernetes lab.
pub const LAB_ACCOUNTS: [&str; 4] = [
    "webapp-one",
    "webapp-two",
    "backendapp-one",
    "backendapp-two",
];

/// One role the form will write.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRole {
    pub role: String,
    pub account: String,
    pub policy: String,
}

/// The roles for these service accounts, the policy named by `template` with `{name}`
/// standing for the service account; `Err` names the first bad one.
pub fn plan(accounts: &[String], template: &str) -> Result<Vec<PlannedRole>, String> {
    if !template.contains("{name}") && accounts.len() > 1 {
        return Err(
            "The policy name should contain {name}, or every role gets the same policy.".into(),
        );
    }
    accounts
        .iter()
        .map(|account| {
            let role = check_role_name(account).map_err(|e| format!("{account}: {e}"))?;
            let policy = template.replace("{name}", account).trim().to_lowercase();
            if policy.is_empty() {
                return Err("A policy name is required.".into());
            }
            Ok(PlannedRole {
                role,
                account: account.clone(),
                policy,
            })
        })
        .collect()
}

/// The role body for one planned role.
pub fn role_body(
    planned: &PlannedRole,
    namespaces: &[String],
    ttl: Option<u64>,
    audience: &str,
) -> Value {
    let mut body = json!({
        "bound_service_account_names": [planned.account],
        "bound_service_account_namespaces": namespaces,
        "token_policies": [planned.policy],
    });
    if let Some(seconds) = ttl {
        body["token_ttl"] = json!(seconds);
    }
    if !audience.trim().is_empty() {
        body["audience"] = json!(audience.trim());
    }
    body
}

/// What a written role's result line says, with Vault's warnings if it gave any.
fn done_text(planned: &PlannedRole, warnings: &[String]) -> String {
    let text = format!("role {} → policy {}", planned.role, planned.policy);
    if warnings.is_empty() {
        text
    } else {
        format!("{text} (Vault warns: {})", warnings.join(" "))
    }
}

#[derive(Clone, Debug, PartialEq)]
enum RowResult {
    Done(String),
    Failed(String),
}

#[component]
pub fn BulkRolesPage(mount: String) -> impl IntoView {
    let directory = ClusterDirectory::new(&mount, MountKind::Auth);
    let accounts = RwSignal::new(Vec::<String>::new());
    let namespaces = RwSignal::new(vec!["default".to_string()]);
    let template = RwSignal::new("{name}-read".to_string());
    let ttl = RwSignal::new(String::new());
    let audience = RwSignal::new(String::new());
    let create_accounts = RwSignal::new(true);
    let token_secrets = RwSignal::new(false);
    let results = RwSignal::new(Vec::<(String, RowResult)>::new());
    let invalid = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let known_policies = LocalResource::new(|| async { policy_names().await.unwrap_or_default() });
    let existing_roles = LocalResource::new({
        let mount = mount.clone();
        move || {
            let mount = mount.clone();
            async move { role_names(&mount).await.unwrap_or_default() }
        }
    });
    Effect::new(move |_| directory.load_accounts(&namespaces.get()));
    let concrete_namespaces = move || {
        namespaces
            .get()
            .into_iter()
            .filter(|n| !n.contains('*'))
            .collect::<Vec<_>>()
    };
    let missing_accounts = move |account: &str| {
        concrete_namespaces()
            .into_iter()
            .filter(|ns| directory.has_account(ns, account) == Some(false))
            .collect::<Vec<_>>()
    };

    let submit = {
        let mount = mount.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let planned = match plan(&accounts.get_untracked(), &template.get_untracked()) {
                Ok(planned) if planned.is_empty() => {
                    return invalid.set(Some("Add at least one service account.".into()))
                }
                Ok(planned) => planned,
                Err(message) => return invalid.set(Some(message)),
            };
            let spaces = namespaces.get_untracked();
            if spaces.is_empty() {
                return invalid.set(Some("Add at least one namespace, or * for any.".into()));
            }
            let ttl_seconds = match durations::parse(&ttl.get_untracked()) {
                Ok(seconds) => seconds,
                Err(message) => return invalid.set(Some(format!("Token TTL: {message}"))),
            };
            invalid.set(None);
            busy.set(true);
            results.set(Vec::new());
            let audience = audience.get_untracked();
            let create = create_accounts.get_untracked() && directory.reachable();
            let with_token_secret = token_secrets.get_untracked();
            let to_create: Vec<(String, String, String)> = if create {
                planned
                    .iter()
                    .flat_map(|p| {
                        missing_accounts(&p.account)
                            .into_iter()
                            .map(|ns| (p.role.clone(), ns, p.account.clone()))
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let mount = mount.clone();
            crate::state::tasks::spawn_owned(async move {
                for planned_role in &planned {
                    let body = role_body(planned_role, &spaces, ttl_seconds, &audience);
                    let outcome = match write_role(&mount, &planned_role.role, &body).await {
                        Ok(warnings) => RowResult::Done(done_text(planned_role, &warnings)),
                        Err(e) => RowResult::Failed(format!(
                            "role {}: {}",
                            planned_role.role,
                            e.message()
                        )),
                    };
                    results.update(|r| r.push((planned_role.role.clone(), outcome)));
                }
                for (role, namespace, account) in to_create {
                    let outcome = match directory
                        .create_service_account(&namespace, &account, with_token_secret)
                        .await
                    {
                        Ok(created) => RowResult::Done(created_text(&account, &namespace, created)),
                        Err(e) => RowResult::Failed(format!(
                            "service account {account} in {namespace}: {}",
                            e.message()
                        )),
                    };
                    results.update(|r| r.push((role.clone(), outcome)));
                    directory.refresh(namespace);
                }
                existing_roles.refetch();
                busy.set(false);
            });
        }
    };
    let preview = move || plan(&accounts.get(), &template.get()).unwrap_or_default();
    let namespace_suggestions = Signal::derive(move || {
        let mut all = directory.namespaces.get();
        all.insert(0, "*".into());
        all
    });
    let account_suggestions = Signal::derive(move || directory.account_names(&namespaces.get()));
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <A href=AppRoute::k8s(&mount, K8sView::Roles).link()>{format!("auth/{mount}/ roles")}</A>
        </nav>
        <h1>"Create roles in bulk"</h1>
        <ClusterCard directory />
        <form class="form form-wide" on:submit=submit data-testid="bulk-form">
            <div class="input-with-button">
                <MultiValueInput
                    label="Service accounts (one role each, named like it)"
                    values=accounts
                    suggestions=account_suggestions
                    test_id="bulk-accounts"
                />
                <button type="button" class="button button-small" data-testid="bulk-lab-names"
                    on:click=move |_| accounts.set(LAB_ACCOUNTS.iter().map(|s| s.to_string()).collect())>
                    "Use the lab's four"
                </button>
            </div>
            <MultiValueInput
                label="Bound namespaces (for every role)"
                values=namespaces
                suggestions=namespace_suggestions
                test_id="bulk-namespaces"
            />
            <label class="field">
                <span>"Policy of each role"</span>
                <input type="text" bind:value=template data-testid="bulk-policy-template" />
                <small class="muted">"{name} stands for the service account: {name}-read gives webapp-one the policy webapp-one-read."</small>
            </label>
            <DurationField label="Token TTL" value=ttl hint="empty: the mount's default" test_id="bulk-ttl" />
            <label class="field">
                <span>"Audience"</span>
                <input type="text" bind:value=audience placeholder="optional, e.g. vault" data-testid="bulk-audience" />
            </label>
            <label class="checkbox">
                <input type="checkbox" bind:checked=create_accounts data-testid="bulk-create-accounts" />
                " Create the service accounts (and namespaces) that do not exist yet"
            </label>
            <label class="checkbox">
                <input type="checkbox" bind:checked=token_secrets disabled=move || !create_accounts.get() data-testid="bulk-token-secrets" />
                " … each with a long-lived token Secret (kubernetes.io/service-account-token), as the lab's manifests do"
            </label>
            <table class="table" data-testid="bulk-preview">
                <thead><tr><th>"Role"</th><th>"Service account"</th><th>"Policy"</th><th>"Notes"</th></tr></thead>
                <tbody>
                    {move || preview().into_iter().map(|planned| {
                        let mut notes = Vec::new();
                        if known_policies.get().is_some_and(|known| !known.contains(&planned.policy)) {
                            notes.push(format!("no policy {} yet", planned.policy));
                        }
                        if existing_roles.get().is_some_and(|roles| roles.contains(&planned.role)) {
                            notes.push("role exists: it will be updated".to_string());
                        }
                        for ns in missing_accounts(&planned.account) {
                            notes.push(format!("no service account in {ns} yet"));
                        }
                        view! {
                            <tr data-testid="bulk-row">
                                <td class="mono">{planned.role}</td>
                                <td class="mono">{planned.account}</td>
                                <td class="mono">{planned.policy}</td>
                                <td>{notes.join("; ")}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {move || invalid.get().map(|m| view! { <p class="field-error" role="alert" data-testid="bulk-invalid">{m}</p> })}
            <button type="submit" class="button button-primary" disabled=move || busy.get() data-testid="bulk-submit">
                {move || format!("Create {} roles", preview().len())}
            </button>
        </form>
        {move || (!results.get().is_empty()).then(|| view! {
            <section class="card" data-testid="bulk-results">
                <h2>"Results"</h2>
                <ul>
                    {results.get().into_iter().map(|(_, outcome)| match outcome {
                        RowResult::Done(text) => view! { <li class="badge-ok" data-testid="bulk-done">{text}</li> }.into_any(),
                        RowResult::Failed(text) => view! { <li class="badge-error" data-testid="bulk-failed">{text}</li> }.into_any(),
                    }).collect_view()}
                </ul>
                <A href=AppRoute::k8s(&mount, K8sView::Roles).link() attr:class="button">"See the roles"</A>
            </section>
        })}
    }
}

/// "service account A created in N", naming the token Secret made with it.
fn created_text(
    account: &str,
    namespace: &str,
    created: Option<crate::wire::k8s::CreatedServiceAccount>,
) -> String {
    match created.and_then(|c| c.token_secret) {
        Some(secret) => format!(
            "service account {account} created in {namespace}, with its token Secret {secret}"
        ),
        None => format!("service account {account} created in {namespace}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> Vec<String> {
        LAB_ACCOUNTS.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_lab_plan_binds_each_account_to_its_read_policy() {
        let planned = plan(&lab(), "{name}-read").unwrap();
        assert_eq!(planned.len(), 4);
        assert_eq!(
            planned[2],
            PlannedRole {
                role: "backendapp-one".into(),
                account: "backendapp-one".into(),
                policy: "backendapp-one-read".into()
            }
        );
        let body = role_body(&planned[0], &["default".into()], Some(3600), "");
        assert_eq!(body["bound_service_account_names"], json!(["webapp-one"]));
        assert_eq!(body["token_policies"], json!(["webapp-one-read"]));
        assert_eq!(body["token_ttl"], 3600);
        assert!(body.get("audience").is_none());
    }

    #[test]
    fn one_policy_for_many_accounts_is_refused() {
        assert!(plan(&lab(), "shared").unwrap_err().contains("{name}"));
        assert!(plan(&["bad/name".into()], "{name}")
            .unwrap_err()
            .starts_with("bad/name"));
    }
}
