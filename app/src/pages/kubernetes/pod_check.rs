//! "Can this pod read it?" on a role: the BFF logs in as the service account (a real
//! TokenRequest, a real login, the token revoked afterwards) and the steps are shown with
//! the one that failed and its likely fix.

use super::{
    cluster::{self, ClusterDirectory},
    diagnosis::{diagnose, Outcome, Question, Step},
    role_form::RoleDraft,
};
use crate::wire::k8s::{TestLoginReport, TestLoginRequest};
use crate::{
    api::ApiError,
    components::error_notice::ErrorNotice,
    pages::policies::{mount_hints, read_policy},
    state::permissions::use_permissions,
};
use leptos::prelude::*;
use vaultdeck_policy::{parse, Capability};

/// What the check found: the steps, and the token's facts when there was one.
#[derive(Clone)]
pub struct Finding {
    pub steps: Vec<Step>,
    metadata: Vec<(String, String)>,
    revoked: Option<bool>,
}

#[component]
pub fn PodCheck(
    mount: String,
    role: String,
    saved: RwSignal<RoleDraft>,
    directory: ClusterDirectory,
) -> impl IntoView {
    let permissions = use_permissions();
    let concrete = |values: Vec<String>| {
        values
            .into_iter()
            .find(|v| !v.contains('*'))
            .unwrap_or_default()
    };
    let namespace = RwSignal::new(concrete(saved.get_untracked().namespaces));
    let account = RwSignal::new(concrete(saved.get_untracked().names));
    let path = RwSignal::new(String::new());
    let capability = RwSignal::new("read".to_string());
    let finding = RwSignal::new(None::<Finding>);
    let error = RwSignal::new(None::<ApiError>);
    let invalid = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let role_path = format!("auth/{mount}/role/{role}");
    let role_path = StoredValue::new(role_path);
    let allowed = move || role_path.with_value(|p| permissions.can(p, Capability::Update));

    Effect::new(move |_| directory.load_accounts(&[namespace.get()]));
    let run = {
        let (mount, role) = (mount.clone(), role.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let wanted =
                Capability::from_name(&capability.get_untracked()).unwrap_or(Capability::Read);
            let secret_path = path
                .get_untracked()
                .trim()
                .trim_start_matches('/')
                .to_string();
            let (ns, sa) = (
                namespace.get_untracked().trim().to_string(),
                account.get_untracked().trim().to_string(),
            );
            if ns.is_empty() || sa.is_empty() || secret_path.is_empty() {
                return invalid.set(Some(
                    "Pick a namespace, a service account and a secret path.".into(),
                ));
            }
            invalid.set(None);
            error.set(None);
            finding.set(None);
            busy.set(true);
            let draft = saved.get_untracked();
            let request = TestLoginRequest {
                mount: mount.clone(),
                role: role.clone(),
                namespace: ns,
                service_account: sa,
                paths: vec![secret_path],
            };
            crate::state::tasks::spawn_owned(async move {
                match cluster::test_login(&request).await {
                    Ok(report) => {
                        finding.set(Some(explain(&request, &draft, wanted, &report).await))
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        }
    };
    let namespace_options = move || {
        let mut options: Vec<String> = saved
            .get()
            .namespaces
            .into_iter()
            .filter(|n| !n.contains('*'))
            .collect();
        options.extend(directory.namespaces.get());
        options.dedup();
        options
    };
    let account_options = move || {
        let mut options: Vec<String> = saved
            .get()
            .names
            .into_iter()
            .filter(|n| !n.contains('*'))
            .collect();
        options.extend(directory.account_names(&[namespace.get()]));
        options.sort();
        options.dedup();
        options
    };
    view! {
        <section class="card" data-testid="pod-check">
            <h2>"Can this pod read it?"</h2>
            <p class="muted">"For a service account this role binds, Vaultdeck asks the cluster for a token (for the role's audience, as short-lived as allowed, and bound to a Secret it deletes right after), logs in with it to this role as the pod would, checks the path with the token Vault gives, then revokes that token."</p>
            <form class="form" on:submit=run>
                <label class="field">
                    <span>"Namespace"</span>
                    <input type="text" list="pod-check-namespaces" bind:value=namespace autocomplete="off" data-testid="check-namespace" />
                    <datalist id="pod-check-namespaces">
                        {move || namespace_options().into_iter().map(|n| view! { <option value=n></option> }).collect_view()}
                    </datalist>
                </label>
                <label class="field">
                    <span>"Service account"</span>
                    <input type="text" list="pod-check-accounts" bind:value=account autocomplete="off" data-testid="check-account" />
                    <datalist id="pod-check-accounts">
                        {move || account_options().into_iter().map(|n| view! { <option value=n></option> }).collect_view()}
                    </datalist>
                </label>
                <label class="field">
                    <span>"Secret path"</span>
                    <input type="text" bind:value=path placeholder="e.g. kv/data/webapps/app_one" autocomplete="off" data-testid="check-path" />
                    <small class="muted">"The API path the pod calls: for KV version 2 that includes data/."</small>
                </label>
                <label class="field">
                    <span>"To"</span>
                    <select bind:value=capability data-testid="check-capability">
                        <option value="read">"read"</option>
                        <option value="list">"list"</option>
                        <option value="create">"create"</option>
                        <option value="update">"update"</option>
                        <option value="delete">"delete"</option>
                    </select>
                </label>
                {move || invalid.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                <button type="submit" class="button button-primary" disabled=move || busy.get() || !allowed() data-testid="check-run">
                    {move || if busy.get() { "Checking…" } else { "Check" }}
                </button>
                {move || (!allowed()).then(|| view! { <p class="muted">"Your token needs update on this role to log in as its service accounts."</p> })}
            </form>
            {move || error.get().map(|error| view! { <ErrorNotice error context="The check could not run." /> })}
            {move || finding.get().map(|finding| view! { <FindingView finding /> })}
        </section>
    }
}

impl Finding {
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.outcome == Outcome::Passed)
    }
}

/// Reads the token's policies (those the user may read) and the mounts, then diagnoses
/// `request.paths[0]`.
pub async fn explain(
    request: &TestLoginRequest,
    draft: &RoleDraft,
    wanted: Capability,
    report: &TestLoginReport,
) -> Finding {
    let names = report
        .token
        .as_ref()
        .map(|t| t.policies.clone())
        .unwrap_or_default();
    let mut policies = Vec::new();
    for name in names.iter().filter(|n| n.as_str() != "root") {
        if let Ok(stored) = read_policy(name).await {
            if let Ok(parsed) = parse(&stored.policy) {
                policies.push((name.clone(), parsed));
            }
        }
    }
    let mounts = mount_hints().await;
    let question = Question {
        mount: &request.mount,
        role: &request.role,
        namespace: &request.namespace,
        service_account: &request.service_account,
        path: &request.paths[0],
        capability: wanted,
        bound_names: &draft.names,
        bound_namespaces: &draft.namespaces,
    };
    let metadata = report
        .token
        .as_ref()
        .map(|t| t.metadata.clone().into_iter().collect())
        .unwrap_or_default();
    Finding {
        steps: diagnose(&question, report, &policies, &mounts),
        metadata,
        revoked: report.revoked,
    }
}

#[component]
pub fn FindingView(finding: Finding) -> impl IntoView {
    let verdict = if finding.passed() {
        view! { <p class="alert alert-ok" data-testid="check-verdict">"Yes: this pod can do it."</p> }.into_any()
    } else {
        view! { <p class="alert alert-error" data-testid="check-verdict">"No: see the step that failed."</p> }.into_any()
    };
    view! {
        {verdict}
        <ol class="steps" data-testid="check-steps">
            {finding.steps.into_iter().map(|step| {
                let (class, state) = match step.outcome {
                    Outcome::Passed => ("step step-passed", "passed"),
                    Outcome::Failed => ("step step-failed", "failed"),
                    Outcome::Skipped => ("step step-skipped", "not reached"),
                };
                view! {
                    <li class=class data-testid="check-step" data-outcome=state>
                        <strong>{step.title}</strong>
                        <span class="step-state">{format!(" — {state}")}</span>
                        <p>{step.detail}</p>
                        {step.fix.map(|fix| view! { <p class="step-fix" data-testid="check-fix"><strong>"Likely fix: "</strong>{fix}</p> })}
                    </li>
                }
            }).collect_view()}
        </ol>
        {(!finding.metadata.is_empty()).then(|| view! {
            <dl class="facts" data-testid="check-metadata">
                {finding.metadata.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd class="mono">{v}</dd> }).collect_view()}
            </dl>
        })}
        {finding.revoked.map(|revoked| view! {
            <p class="muted">{if revoked { "The test token has been revoked." } else { "The test token could not be revoked; it expires with its TTL." }}</p>
        })}
    }
}
