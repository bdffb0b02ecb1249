//! The roles of a Kubernetes secrets engine: how each gets its service account, where it
//! may issue tokens, and a way to generate credentials from each.

use super::{list_keys, read_role, EngineNav, EngineRole, RoleMode};
use crate::{
    components::error_notice::ErrorNotice,
    routes::{AppRoute, EngineView},
    state::permissions::use_permissions,
    wire::MountKind,
};
use leptos::prelude::*;
use leptos_router::components::A;
use vaultdeck_policy::Capability;

/// Roles whose details are read for the table; past this only names are listed.
const DETAILED: usize = 200;

#[component]
pub fn RoleListPage(mount: String) -> impl IntoView {
    let permissions = use_permissions();
    let names = LocalResource::new({
        let mount = mount.clone();
        move || {
            let mount = mount.clone();
            async move { list_keys(&format!("{mount}/roles")).await }
        }
    });
    let create_path = format!("{mount}/roles/");
    let can_create = move || permissions.can_somewhere_under(&create_path, &[Capability::Create]);
    let new_link = AppRoute::engine(&mount, EngineView::NewRole).link();
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <A href=AppRoute::Mounts(MountKind::Secrets).link()>"Secrets engines"</A>
            <span class="crumb-sep">"/"</span>
            <span>{format!("{mount}/")}</span>
        </nav>
        <div class="card-head">
            <h1>{format!("Kubernetes secrets engine at {mount}/: roles")}</h1>
            <div class="actions">
                {move || can_create().then(|| view! {
                    <A href=new_link.clone() attr:class="button button-primary" attr:data-testid="new-engine-role">"New role"</A>
                })}
            </div>
        </div>
        <EngineNav mount=mount.clone() />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || names.get().map(|answer| match answer {
                Err(error) => view! { <ErrorNotice error context="Could not list the roles." /> }.into_any(),
                Ok(names) if names.is_empty() => view! {
                    <p class="muted" data-testid="no-engine-roles">"No roles yet. A role says which service account the tokens are for (an existing one, or one Vault creates with a Role or rules), and in which namespaces."</p>
                }.into_any(),
                Ok(names) => view! {
                    <table class="table" data-testid="engine-role-table">
                        <thead><tr>
                            <th>"Role"</th><th>"Service account from"</th><th>"Namespaces"</th><th></th>
                        </tr></thead>
                        <tbody>
                            {names.into_iter().enumerate().map(|(index, name)| view! {
                                <RoleRow mount=mount.clone() name detailed=index < DETAILED />
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// What a role's tokens are for, in a few words.
fn source_of(role: &EngineRole) -> String {
    match RoleMode::of(role) {
        RoleMode::ExistingAccount => format!("account {}", role.service_account_name),
        RoleMode::ExistingRole => format!(
            "{} {}",
            role.kubernetes_role_type, role.kubernetes_role_name
        ),
        RoleMode::GeneratedRules => format!("generated {}", role.kubernetes_role_type),
    }
}

fn namespaces_of(role: &EngineRole) -> String {
    match &role.allowed_kubernetes_namespaces {
        Some(names) if !names.is_empty() => names.join(", "),
        _ if !role.allowed_kubernetes_namespace_selector.is_empty() => "by label selector".into(),
        _ => String::new(),
    }
}

#[component]
fn RoleRow(mount: String, name: String, detailed: bool) -> impl IntoView {
    let details = LocalResource::new({
        let (mount, name) = (mount.clone(), name.clone());
        move || {
            let (mount, name) = (mount.clone(), name.clone());
            async move {
                match detailed {
                    true => read_role(&mount, &name).await.ok(),
                    false => None,
                }
            }
        }
    });
    let cell = move |pick: fn(&EngineRole) -> String| {
        move || {
            details
                .get()
                .flatten()
                .map(|role| pick(&role))
                .unwrap_or_default()
        }
    };
    let link = AppRoute::engine(&mount, EngineView::Role(name.clone())).link();
    let creds = AppRoute::engine(&mount, EngineView::Creds(name.clone())).link();
    let label = name.clone();
    view! {
        <tr data-testid="engine-role-row" data-role=name>
            <td class="mono"><A href=link>{label}</A></td>
            <td class="mono">{cell(source_of)}</td>
            <td class="mono">{cell(namespaces_of)}</td>
            <td><A href=creds attr:class="button button-small" attr:data-testid="generate-creds-link">"Generate credentials"</A></td>
        </tr>
    }
}
