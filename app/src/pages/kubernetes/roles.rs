//! The roles of a Kubernetes auth mount: who each binds and which policies it gives.

use super::{read_role, role_names};
use crate::pages::mounts::MountKind;
use crate::routes::{AppRoute, K8sView};
use crate::{components::error_notice::ErrorNotice, state::permissions::use_permissions};
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
            async move { role_names(&mount).await }
        }
    });
    let create_path = format!("auth/{mount}/role/");
    let can_create = move || permissions.can_somewhere_under(&create_path, &[Capability::Create]);
    let config_path = format!("auth/{mount}/config");
    let can_configure = move || permissions.can(&config_path, Capability::Read);
    let (new_link, bulk_link, config_link) = (
        AppRoute::k8s(&mount, K8sView::NewRole).link(),
        AppRoute::k8s(&mount, K8sView::Bulk).link(),
        AppRoute::k8s(&mount, K8sView::Config).link(),
    );
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <A href=AppRoute::Mounts(MountKind::Auth).link()>"Auth methods"</A>
            <span class="crumb-sep">"/"</span>
            <span>{format!("{mount}/")}</span>
        </nav>
        <section class="card">
            <div class="card-head">
                <h1>{format!("Kubernetes roles at auth/{mount}/")}</h1>
                <div class="actions">
                    {move || can_configure().then(|| view! { <A href=config_link.clone() attr:class="button" attr:data-testid="k8s-config-link">"Configuration"</A> })}
                    {move || can_create().then(|| view! {
                        <A href=bulk_link.clone() attr:class="button" attr:data-testid="bulk-roles-link">"Create roles in bulk"</A>
                        <A href=new_link.clone() attr:class="button button-primary" attr:data-testid="new-role-link">"New role"</A>
                    })}
                </div>
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || names.get().map(|answer| match answer {
                    Err(error) => view! { <ErrorNotice error context="Could not list the roles." /> }.into_any(),
                    Ok(names) if names.is_empty() => view! {
                        <p class="muted" data-testid="no-roles">"No roles yet. A role binds service accounts (by name and namespace) to Vault policies."</p>
                    }.into_any(),
                    Ok(names) => view! {
                        <table class="table" data-testid="role-table">
                            <thead><tr>
                                <th>"Role"</th><th>"Service accounts"</th><th>"Namespaces"</th><th>"Policies"</th>
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
        </section>
    }
}

#[component]
fn RoleRow(mount: String, name: String, detailed: bool) -> impl IntoView {
    let details = LocalResource::new({
        let (mount, name) = (mount.clone(), name.clone());
        move || {
            let (mount, name) = (mount.clone(), name.clone());
            async move {
                if detailed {
                    read_role(&mount, &name).await.ok()
                } else {
                    None
                }
            }
        }
    });
    let cell = move |pick: fn(&super::Role) -> Vec<String>| {
        move || {
            details
                .get()
                .flatten()
                .map(|role| pick(&role).join(", "))
                .unwrap_or_default()
        }
    };
    let link = AppRoute::k8s(&mount, K8sView::Role(name.clone())).link();
    let label = name.clone();
    view! {
        <tr data-testid="role-row" data-role=name>
            <td class="mono"><A href=link>{label}</A></td>
            <td class="mono">{cell(|r| r.bound_service_account_names.clone())}</td>
            <td class="mono">{cell(|r| r.bound_service_account_namespaces.clone())}</td>
            <td class="mono">{cell(|r| r.all_policies())}</td>
        </tr>
    }
}
