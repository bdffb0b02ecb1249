//! `/kubernetes/workloads`: the Deployments, StatefulSets and DaemonSets of a namespace,
//! as the Vault Agent injector sees their pod templates, each injected one checked: the
//! annotation mistakes found without a login (`delivery::workloads`), then the role, its
//! binding and every annotated secret with a real login as the workload's service account —
//! the "Can this pod read it?" check, with its failing step and fix.

use crate::{
    api::{self, ApiError},
    components::{error_notice::ErrorNotice, guard::RequireLogin},
    delivery::workloads::{injection, lint, Facts, Injection, KvMount, Lint},
    pages::{
        delivery::check::read_findings,
        kubernetes::{
            pod_check::{Finding, FindingView},
            read_role, role_names,
        },
        mounts::trim_path,
    },
    routes::{AppRoute, K8sView},
    wire::{
        k8s::{urls, TestLoginRequest, Workload, Workloads},
        MountInfo,
    },
};
use leptos::prelude::*;
use leptos_router::components::A;
use std::collections::BTreeMap;

#[component]
pub fn WorkloadsPage() -> impl IntoView {
    view! { <RequireLogin><WorkloadsCheck /></RequireLogin> }
}

/// A workload and what the check found.
#[derive(Clone)]
struct Checked {
    workload: Workload,
    outcome: Outcome,
}

#[derive(Clone)]
enum Outcome {
    /// `agent-inject` is not true: the injector leaves its pods alone.
    NotInjected,
    Injected {
        auth_mount: String,
        role: String,
        lints: Vec<Lint>,
        login: Result<Login, ApiError>,
    },
}

/// What the login as the workload's service account found.
#[derive(Clone)]
enum Login {
    /// No role to log in with (the lint says so).
    NoRole,
    /// The annotated mount has no such role.
    RoleMissing,
    /// Nothing to read.
    NoSecrets,
    /// More secrets than one check asks about (`delivery::MOST_SECRETS`): how many.
    TooMany(usize),
    /// One finding per annotated secret.
    Findings(Vec<(String, Finding)>),
}

#[component]
fn WorkloadsCheck() -> impl IntoView {
    let query = crate::routes::use_query();
    let start = |key: &str, default: &str| {
        query
            .with_untracked(|q| q.get(key))
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_string())
    };
    let auth_mount = RwSignal::new(start("auth", "kubernetes"));
    let namespace = RwSignal::new(start("namespace", "default"));
    let results = RwSignal::new(None::<Result<Vec<Checked>, ApiError>>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        results.set(None);
        busy.set(true);
        let (mount, namespace) = (auth_mount.get_untracked(), namespace.get_untracked());
        crate::state::tasks::spawn_owned(async move {
            results.set(Some(check_namespace(mount.trim(), namespace.trim()).await));
            busy.set(false);
        });
    };
    view! {
        <h1>"Workloads"</h1>
        <p class="muted">"The Deployments, StatefulSets and DaemonSets of a namespace with their service account and Vault Agent injector annotations. For each injected one, Vaultdeck points out annotation mistakes, then logs in as its service account, as its pods would, and checks that the role lets it read every annotated secret."</p>
        <form class="form card" on:submit=submit data-testid="workloads-form">
            <label class="field">
                <span>"Kubernetes auth mount (whose roles you may read)"</span>
                <input type="text" bind:value=auth_mount autocomplete="off" data-testid="workloads-auth-mount" />
            </label>
            <label class="field">
                <span>"Namespace"</span>
                <input type="text" bind:value=namespace autocomplete="off" data-testid="workloads-namespace" />
            </label>
            <button type="submit" class="button button-primary" disabled=move || busy.get() data-testid="workloads-check">
                {move || if busy.get() { "Checking…" } else { "Check the workloads" }}
            </button>
        </form>
        {move || results.get().map(|answer| match answer {
            Err(error) => view! { <ErrorNotice error context="Could not check the workloads." /> }.into_any(),
            Ok(found) if found.is_empty() => view! {
                <p class="card muted" data-testid="workloads-none">"No Deployments, StatefulSets or DaemonSets in this namespace."</p>
            }.into_any(),
            Ok(found) => found.into_iter().map(|checked| view! { <WorkloadCard checked /> }).collect_view().into_any(),
        })}
    }
}

/// Lists the namespace's workloads and checks each; an error only when they could not be
/// listed at all (a workload's failed login is shown on its card).
async fn check_namespace(mount: &str, namespace: &str) -> Result<Vec<Checked>, ApiError> {
    let listed: Workloads = api::get_json(&urls::workloads(mount, namespace)).await?;
    let auth_mounts = kubernetes_auth_mounts().await;
    let kv_mounts = kv_mounts().await;
    let mut checked = Vec::new();
    for workload in listed.workloads {
        let outcome = match injection(&workload.annotations) {
            None => Outcome::NotInjected,
            Some(read) => {
                check_injected(&read, &workload, namespace, &auth_mounts, &kv_mounts).await
            }
        };
        checked.push(Checked { workload, outcome });
    }
    Ok(checked)
}

async fn check_injected(
    read: &Injection,
    workload: &Workload,
    namespace: &str,
    auth_mounts: &[String],
    kv_mounts: &[KvMount],
) -> Outcome {
    let mut role_found_on = Vec::new();
    if !read.role.is_empty() {
        // A mount whose roles this token may not list simply does not count as holding it.
        for mount in auth_mounts {
            if role_names(mount)
                .await
                .is_ok_and(|names| names.contains(&read.role))
            {
                role_found_on.push(mount.clone());
            }
        }
    }
    let facts = Facts {
        kv_mounts: kv_mounts.to_vec(),
        role_found_on,
    };
    Outcome::Injected {
        auth_mount: read.auth_mount.clone(),
        role: read.role.clone(),
        lints: lint(read, &facts),
        login: log_in_as(read, workload, namespace).await,
    }
}

/// The pod check for every annotated secret, with the paths exactly as annotated: a path
/// the injector would get nothing from fails here as it would in the pod.
async fn log_in_as(
    read: &Injection,
    workload: &Workload,
    namespace: &str,
) -> Result<Login, ApiError> {
    if read.role.is_empty() {
        return Ok(Login::NoRole);
    }
    let role = match read_role(&read.auth_mount, &read.role).await {
        Ok(role) => role,
        Err(e) if e.is_not_found() => return Ok(Login::RoleMissing),
        Err(e) => return Err(e),
    };
    if read.secrets.is_empty() {
        return Ok(Login::NoSecrets);
    }
    if read.secrets.len() > crate::delivery::MOST_SECRETS {
        return Ok(Login::TooMany(read.secrets.len()));
    }
    let request = TestLoginRequest {
        mount: read.auth_mount.clone(),
        role: read.role.clone(),
        namespace: namespace.to_string(),
        service_account: workload.service_account.clone(),
        paths: read.secrets.iter().map(|(_, path)| path.clone()).collect(),
    };
    read_findings(&request, &role).await.map(Login::Findings)
}

/// Every Kubernetes auth mount: where else a role of the annotated name may be. None when
/// the token may not list auth methods: the other-mount lint then stays silent, and the
/// login still finds a role missing from the annotated mount.
async fn kubernetes_auth_mounts() -> Vec<String> {
    let Ok(all) = api::vault_data::<BTreeMap<String, MountInfo>>("sys/auth").await else {
        return Vec::new();
    };
    all.into_iter()
        .filter(|(_, info)| info.kind == "kubernetes")
        .map(|(path, _)| trim_path(&path))
        .collect()
}

/// The KV mounts and their versions; none when the token may not list mounts (the `data/`
/// lint then stays silent, and the login still finds the unreadable path).
async fn kv_mounts() -> Vec<KvMount> {
    let Ok(all) = api::vault_data::<BTreeMap<String, MountInfo>>("sys/mounts").await else {
        return Vec::new();
    };
    all.into_iter()
        .filter(|(_, info)| info.kind == "kv")
        .map(|(path, info)| {
            let version = info.options.as_ref().and_then(|o| o.get("version"));
            KvMount {
                path: trim_path(&path),
                version: if version.is_some_and(|v| v == "2") {
                    2
                } else {
                    1
                },
            }
        })
        .collect()
}

#[component]
fn WorkloadCard(checked: Checked) -> impl IntoView {
    let Checked { workload, outcome } = checked;
    let annotations = workload.annotations.clone();
    view! {
        <section class="card" data-testid="workload" data-name=workload.name.clone() data-kind=workload.kind.clone()>
            <h2>{workload.kind.clone()}" "<span class="mono">{workload.name.clone()}</span></h2>
            <p>"Runs as the service account "<span class="mono" data-testid="workload-account">{workload.service_account.clone()}</span></p>
            {(!annotations.is_empty()).then(|| view! {
                <dl class="mono" data-testid="workload-annotations">
                    {annotations.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            })}
            <OutcomeView outcome />
        </section>
    }
}

#[component]
fn OutcomeView(outcome: Outcome) -> impl IntoView {
    let Outcome::Injected {
        auth_mount,
        role,
        lints,
        login,
    } = outcome
    else {
        return view! { <p class="muted" data-testid="workload-not-injected">"Not injected: vault.hashicorp.com/agent-inject is not \"true\"."</p> }.into_any();
    };
    let clean = lints.is_empty()
        && matches!(&login, Ok(Login::Findings(f)) if f.iter().all(|(_, f)| f.passed()));
    let headline = match clean {
        true => "Checked: no annotation mistakes, and the service account may read every annotated secret.",
        false => "Its pods will not get their secrets as annotated: fix what is shown.",
    };
    view! {
        <p class=if clean { "alert alert-ok" } else { "alert alert-error" } data-testid="workload-verdict">{headline}</p>
        {lints.into_iter().map(|found| view! {
            <div class="alert alert-error" data-testid="workload-lint">
                <p>{found.problem()}</p>
                <p class="step-fix"><strong>"Fix: "</strong>{found.fix()}</p>
            </div>
        }).collect_view()}
        <LoginView auth_mount role login />
    }
    .into_any()
}

#[component]
fn LoginView(auth_mount: String, role: String, login: Result<Login, ApiError>) -> impl IntoView {
    match login {
        Err(error) => view! { <ErrorNotice error context="Could not log in as the workload's service account." /> }.into_any(),
        Ok(Login::NoRole) => ().into_any(),
        Ok(Login::NoSecrets) => view! { <p class="muted">"No vault.hashicorp.com/agent-inject-secret-… annotation: nothing to read."</p> }.into_any(),
        Ok(Login::TooMany(count)) => view! {
            <p class="muted" data-testid="workload-too-many">{format!(
                "The pod template names {count} secrets; a check logs in and reads at most {} at once, so this one is not checked.",
                crate::delivery::MOST_SECRETS
            )}</p>
        }.into_any(),
        Ok(Login::RoleMissing) => view! {
            <div class="alert alert-error" data-testid="workload-role-missing">
                <p>{format!("The role {role} does not exist on auth/{auth_mount}.")}</p>
                <p class="step-fix"><strong>"Fix: "</strong>"Create it, binding this service account and namespace, or correct vault.hashicorp.com/role. "
                    <A href=AppRoute::k8s(&auth_mount, K8sView::NewRole).link()>"New role"</A></p>
            </div>
        }.into_any(),
        Ok(Login::Findings(findings)) => findings.into_iter().map(|(path, finding)| {
            let title = path.clone();
            view! {
                <div data-testid="workload-finding" data-path=path>
                    <h3 class="mono">{title}</h3>
                    <FindingView finding />
                </div>
            }
        }).collect_view().into_any(),
    }
}
