//! `/kubernetes`: the Kubernetes auth methods of this Vault, and the cluster Vaultdeck sees.

use super::cluster::{ClusterCard, ClusterDirectory};
use crate::pages::mounts::MountKind;
use crate::routes::{AppRoute, DeliverFrom, K8sView};
use crate::{
    api,
    components::{error_notice::ErrorNotice, guard::RequireLogin},
    pages::mounts::trim_path,
    wire::MountInfo,
};
use leptos::prelude::*;
use leptos_router::components::A;
use std::collections::BTreeMap;

#[component]
pub fn KubernetesPage() -> impl IntoView {
    view! { <RequireLogin><Overview /></RequireLogin> }
}

#[component]
fn Overview() -> impl IntoView {
    let mounts = LocalResource::new(|| async {
        api::vault_data::<BTreeMap<String, MountInfo>>("sys/auth")
            .await
            .map(|all| {
                all.into_iter()
                    .filter(|(_, info)| info.kind == "kubernetes")
                    .map(|(path, _)| trim_path(&path))
                    .collect::<Vec<_>>()
            })
    });
    view! {
        <h1>"Kubernetes"</h1>
        <p class="muted">"Pods log in to Vault with their service account token through the Kubernetes auth method; roles bind service accounts to policies."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || mounts.get().map(|answer| match answer {
                Err(error) => view! { <ErrorNotice error context="Could not list the auth methods." /> }.into_any(),
                Ok(paths) if paths.is_empty() => view! {
                    <section class="card" data-testid="no-k8s-mounts">
                        <p>"No Kubernetes auth method is enabled."</p>
                        <A href=AppRoute::EnableMount(MountKind::Auth).link() attr:class="button button-primary">"Enable an auth method"</A>
                    </section>
                }.into_any(),
                Ok(paths) => {
                    let first = paths[0].clone();
                    view! {
                        <ClusterCard directory=ClusterDirectory::new(&first, MountKind::Auth) />
                        <section class="card">
                            <ul class="link-list" data-testid="k8s-mounts">
                                {paths.into_iter().map(|path| view! {
                                    <li data-testid="k8s-mount" data-path=path.clone()>
                                        <span class="mono">{format!("auth/{path}/")}</span>
                                        " "
                                        <A href=AppRoute::k8s(&path, K8sView::Roles).link() attr:class="button button-small">"Roles"</A>
                                        " "
                                        <A href=AppRoute::k8s(&path, K8sView::Config).link() attr:class="button button-small">"Configuration"</A>
                                        " "
                                        <A href=AppRoute::Deliver(DeliverFrom { auth: Some(path.clone()), ..DeliverFrom::default() }).link() attr:class="button button-small">"Deliver to a pod"</A>
                                        " "
                                        <A href=AppRoute::Workloads { auth: Some(path.clone()), namespace: None }.link() attr:class="button button-small" attr:data-testid="k8s-workloads-link">"Workloads"</A>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
