//! Generating credentials from a role (`MOUNT/creds/ROLE`): the token shown once, what it
//! says about itself, its lease (countdown, renew, revoke), and what it may do in the
//! cluster, asked of the cluster with the token itself.
//!
//! The token lives in this page's memory only: it is not stored, and leaving the page
//! forgets it, as Vault's own CLI prints it once.

use super::{leases, read_role, CredsAnswer, EngineNav, EngineRole, RoleMode};
use crate::{
    api::{self, ApiError, Method},
    components::{
        copy::CopyButton, duration_field::DurationField, error_notice::ErrorNotice,
        multi_value::MultiValueInput,
    },
    durations,
    pages::kubernetes::{
        cluster::{token_abilities, ClusterDirectory},
        jwt,
    },
    routes::{AppRoute, EngineView},
    state::{session::now_ms, toasts::use_toasts},
    wire::{
        k8s::{TokenAbilities, TokenAbilitiesRequest},
        MountKind, Secret,
    },
};
use leptos::prelude::*;
use leptos_router::components::A;
use serde_json::{json, Value};
use std::time::Duration;

#[component]
pub fn CredsPage(mount: String, role: String) -> impl IntoView {
    let loaded = LocalResource::new({
        let (mount, role) = (mount.clone(), role.clone());
        move || {
            let (mount, role) = (mount.clone(), role.clone());
            async move { read_role(&mount, &role).await }
        }
    });
    let role_link = AppRoute::engine(&mount, EngineView::Role(role.clone())).link();
    let title = format!("Generate credentials from {role}");
    let role_label = role.clone();
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <A href=AppRoute::engine(&mount, EngineView::Roles).link()>{format!("{mount}/ roles")}</A>
            <span class="crumb-sep">"/"</span>
            <A href=role_link>{role_label}</A>
        </nav>
        <h1>{title}</h1>
        <EngineNav mount=mount.clone() />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || loaded.get().map(|answer| match answer {
                Ok(definition) => view! { <Generate mount=mount.clone() role=role.clone() definition /> }.into_any(),
                Err(error) => view! { <ErrorNotice error context="Could not read the role." /> }.into_any(),
            })}
        </Suspense>
    }
}

/// What a request for credentials holds, as plain values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CredsDraft {
    pub namespace: String,
    pub ttl: String,
    pub audiences: Vec<String>,
    pub cluster_role_binding: bool,
}

impl CredsDraft {
    /// The body for `MOUNT/creds/ROLE`; Vault's defaults for what is left empty.
    pub fn body(&self) -> Result<Value, String> {
        let namespace = self.namespace.trim();
        if namespace.is_empty() {
            return Err("Pick the namespace the token is for.".into());
        }
        if namespace.contains('*') {
            return Err("Name one namespace: * is what the role allows, not a namespace.".into());
        }
        let mut body = json!({ "kubernetes_namespace": namespace });
        if let Some(ttl) = durations::parse(&self.ttl).map_err(|e| format!("TTL: {e}"))? {
            body["ttl"] = json!(ttl);
        }
        if !self.audiences.is_empty() {
            body["audiences"] = json!(self.audiences);
        }
        if self.cluster_role_binding {
            body["cluster_role_binding"] = json!(true);
        }
        Ok(body)
    }
}

/// The namespaces a role names outright (not `*`), to pick from.
fn named_namespaces(role: &EngineRole) -> Vec<String> {
    role.allowed_kubernetes_namespaces
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n != "*")
        .collect()
}

/// Credentials as they came, and when (for the lease's countdown).
#[derive(Clone)]
struct Issued {
    answer: CredsAnswer,
    at_ms: f64,
    /// Whether Vault created the service account (and so deletes it on revocation).
    mode: RoleMode,
}

#[component]
fn Generate(mount: String, role: String, definition: EngineRole) -> impl IntoView {
    let named = named_namespaces(&definition);
    let directory = ClusterDirectory::new(&mount, MountKind::Secrets);
    let namespace = RwSignal::new(named.first().cloned().unwrap_or_default());
    let ttl = RwSignal::new(String::new());
    let audiences = RwSignal::new(Vec::<String>::new());
    let cluster_binding = RwSignal::new(false);
    let issued = RwSignal::new(None::<Issued>);
    let invalid = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let mode = RoleMode::of(&definition);
    let binds_cluster_role =
        mode != RoleMode::ExistingAccount && definition.kubernetes_role_type == "ClusterRole";
    let path = format!("{mount}/creds/{role}");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = CredsDraft {
            namespace: namespace.get_untracked(),
            ttl: ttl.get_untracked(),
            audiences: audiences.get_untracked(),
            cluster_role_binding: cluster_binding.get_untracked(),
        };
        let body = match draft.body() {
            Ok(body) => body,
            Err(message) => return invalid.set(Some(message)),
        };
        invalid.set(None);
        error.set(None);
        busy.set(true);
        let path = path.clone();
        crate::state::tasks::spawn_owned(async move {
            match api::vault_send::<CredsAnswer, _>(Method::POST, &path, Some(&body)).await {
                Ok(Some(answer)) => issued.set(Some(Issued {
                    answer,
                    at_ms: now_ms(),
                    mode,
                })),
                Ok(None) => error.set(Some(ApiError::local("Vault answered without credentials."))),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let namespace_suggestions = Signal::derive(move || match named.is_empty() {
        true => directory.namespaces.get(),
        false => named.clone(),
    });
    view! {
        <form class="form" on:submit=submit data-testid="creds-form">
            <label class="field">
                <span>"Namespace"</span>
                <input type="text" bind:value=namespace list="creds-namespaces" on:input=move |_| invalid.set(None) autocomplete="off" data-testid="creds-namespace" />
                <datalist id="creds-namespaces">
                    {move || namespace_suggestions.get().into_iter().map(|n| view! { <option value=n /> }).collect_view()}
                </datalist>
                <small class="muted">{allowed_text(&definition)}</small>
            </label>
            <DurationField label="TTL (optional)" value=ttl hint="empty: the role's default" test_id="creds-ttl" />
            <MultiValueInput
                label="Audiences (optional)"
                values=audiences
                suggestions=Signal::derive(Vec::new)
                hint="empty: the role's default audiences"
                test_id="creds-audiences"
            />
            {binds_cluster_role.then(|| view! {
                <label class="checkbox">
                    <input type="checkbox" bind:checked=cluster_binding data-testid="creds-cluster-binding" />
                    " Bind the ClusterRole cluster-wide (a ClusterRoleBinding instead of a RoleBinding in the namespace)"
                </label>
            })}
            {move || invalid.get().map(|m| view! { <p class="field-error" role="alert" data-testid="creds-invalid">{m}</p> })}
            {move || error.get().map(|error| view! { <ErrorNotice error context="Vault did not issue credentials." /> })}
            <button type="submit" class="button button-primary" disabled=move || busy.get() data-testid="creds-generate">"Generate credentials"</button>
        </form>
        {move || issued.get().map(|issued| view! { <IssuedCredentials issued /> })}
    }
}

fn allowed_text(role: &EngineRole) -> String {
    match role.allowed_kubernetes_namespaces.as_deref() {
        Some(names) if names.iter().any(|n| n == "*") => "The role allows any namespace.".into(),
        Some(names) if !names.is_empty() => format!("The role allows: {}.", names.join(", ")),
        _ => "The role allows namespaces by label.".into(),
    }
}

#[component]
fn IssuedCredentials(issued: Issued) -> impl IntoView {
    let creds = issued.answer.data.clone();
    let token = Signal::derive({
        let token = creds.service_account_token.clone();
        move || token.clone()
    });
    let revealed = RwSignal::new(false);
    let claims = jwt::decode(&creds.service_account_token);
    let namespace = creds.service_account_namespace.clone();
    let revoked = RwSignal::new(false);
    view! {
        <section class="card" data-testid="issued-creds">
            <h2>"Credentials"</h2>
            <p class="alert alert-warn">"Shown once: Vaultdeck does not keep this token, and leaving the page forgets it. Copy it now."</p>
            <dl class="facts">
                <dt>"Service account"</dt><dd class="mono" data-testid="creds-account">{creds.service_account_name.clone()}</dd>
                <dt>"Namespace"</dt><dd class="mono" data-testid="creds-account-namespace">{creds.service_account_namespace.clone()}</dd>
            </dl>
            <div class="field">
                <span>"Token"</span>
                <pre class="json-view secret-value" data-testid="creds-token">
                    {move || if revealed.get() { token.get() } else { "•".repeat(24) }}
                </pre>
                <div class="actions">
                    <button type="button" class="button button-small" on:click=move |_| revealed.update(|r| *r = !*r) data-testid="creds-reveal">
                        {move || if revealed.get() { "Hide" } else { "Reveal" }}
                    </button>
                    <CopyButton value=token label="the token".to_string() />
                </div>
            </div>
            {match claims {
                Ok(claims) => view! {
                    <h3>"What the token says"</h3>
                    <dl class="facts" data-testid="creds-claims">
                        {claims.rows.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd class="mono">{v}</dd> }).collect_view()}
                    </dl>
                    <small class="muted">"Decoded in your browser, not verified."</small>
                }.into_any(),
                Err(message) => view! { <p class="field-error">{message}</p> }.into_any(),
            }}
            {issued.answer.warnings.clone().unwrap_or_default().into_iter().map(|w| view! {
                <p class="alert alert-warn">{format!("Vault warns: {w}")}</p>
            }).collect_view()}
            <Lease issued=issued.clone() revoked />
        </section>
        <Abilities token namespace revoked />
    }
}

/// The lease: a countdown to its end, renew (when Vault allows it) and revoke.
#[component]
fn Lease(issued: Issued, revoked: RwSignal<bool>) -> impl IntoView {
    let toasts = use_toasts();
    let lease_id = issued.answer.lease_id.clone();
    let duration = RwSignal::new(issued.answer.lease_duration);
    let since = RwSignal::new(issued.at_ms);
    let now = RwSignal::new(now_ms());
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        if let Ok(handle) =
            set_interval_with_handle(move || now.set(now_ms()), Duration::from_secs(1))
        {
            on_cleanup(move || handle.clear());
        }
    });
    let left = move || {
        let elapsed = ((now.get() - since.get()) / 1000.0).max(0.0) as u64;
        duration.get().saturating_sub(elapsed)
    };
    let renew = {
        let lease_id = lease_id.clone();
        move |_| {
            let lease_id = lease_id.clone();
            busy.set(true);
            crate::state::tasks::spawn_owned(async move {
                match leases::renew(&lease_id).await {
                    Ok(seconds) => {
                        duration.set(seconds);
                        since.set(now_ms());
                        toasts.success("Lease renewed.");
                    }
                    Err(e) => {
                        toasts.error(format!("Vault did not renew the lease: {}", e.message()))
                    }
                }
                busy.set(false);
            });
        }
    };
    let revoke = {
        let lease_id = lease_id.clone();
        move |_| {
            let lease_id = lease_id.clone();
            busy.set(true);
            crate::state::tasks::spawn_owned(async move {
                match leases::revoke(&lease_id).await {
                    Ok(()) => {
                        revoked.set(true);
                        toasts.success("Lease revoked.");
                    }
                    Err(e) => {
                        toasts.error(format!("Vault did not revoke the lease: {}", e.message()))
                    }
                }
                busy.set(false);
            });
        }
    };
    let renewable = issued.answer.renewable;
    let after_revocation = match issued.mode {
        RoleMode::ExistingAccount => "Revoked. The service account existed before, so Vault had nothing to delete: the token stays valid in the cluster until it expires, as the check below shows.",
        _ => "Revoked. Vault deleted the service account it created for this lease (with its Role or binding), so the cluster stops accepting the token as soon as it has seen the deletion; the check below asks again.",
    };
    view! {
        <h3>"Lease"</h3>
        <dl class="facts" data-testid="creds-lease">
            <dt>"Lease ID"</dt><dd class="mono" data-testid="creds-lease-id">{lease_id.clone()}</dd>
            <dt>"Ends in"</dt>
            <dd data-testid="creds-lease-left">
                {move || match revoked.get() {
                    true => "revoked".to_string(),
                    false => durations::countdown(left()),
                }}
            </dd>
            <dt>"Renewable"</dt>
            <dd>{match renewable {
                true => "yes",
                false => "no: Vault's Kubernetes engine issues leases that cannot be extended; generate new credentials instead",
            }}</dd>
        </dl>
        <div class="actions">
            {renewable.then(|| view! {
                <button type="button" class="button" on:click=renew disabled=move || busy.get() || revoked.get() data-testid="creds-renew">"Renew"</button>
            })}
            <button type="button" class="button button-danger" on:click=revoke disabled=move || busy.get() || revoked.get() data-testid="creds-revoke">"Revoke now"</button>
        </div>
        <Show when=move || revoked.get()>
            <p class="alert alert-info" data-testid="creds-revoked">
                {after_revocation}
            </p>
        </Show>
    }
}

/// What the token may do in the cluster: its rules in a namespace, and one question.
#[component]
fn Abilities(token: Signal<String>, namespace: String, revoked: RwSignal<bool>) -> impl IntoView {
    let asked_namespace = RwSignal::new(namespace);
    let verb = RwSignal::new("list".to_string());
    let resource = RwSignal::new("pods".to_string());
    let answer = RwSignal::new(None::<Result<TokenAbilities, ApiError>>);
    let busy = RwSignal::new(false);
    let ask = move |with_question: bool| {
        let request = TokenAbilitiesRequest {
            token: Secret(token.get_untracked()),
            namespace: asked_namespace.get_untracked(),
            verb: with_question.then(|| verb.get_untracked()),
            resource: with_question.then(|| resource.get_untracked()),
        };
        busy.set(true);
        crate::state::tasks::spawn_owned(async move {
            answer.set(Some(token_abilities(&request).await));
            busy.set(false);
        });
    };
    // What it may do where it was issued, asked as soon as it is shown, and again once
    // its lease is revoked.
    // The API server learns of deletions from its own watch, a moment after Vault made
    // them, so the question after a revocation waits a little.
    Effect::new(move |_| match revoked.get() {
        false => ask(false),
        true => crate::state::tasks::after(Duration::from_millis(1500), move || ask(false)),
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ask(true);
    };
    view! {
        <section class="card" data-testid="token-abilities">
            <h2>"What can this token do in the cluster?"</h2>
            <p class="muted">"Asked of the cluster with this token itself (SelfSubjectRulesReview and SelfSubjectAccessReview), never with Vaultdeck's own credentials."</p>
            <form class="form field-inline" on:submit=submit>
                <label class="field"><span>"Can it"</span><input type="text" bind:value=verb data-testid="abilities-verb" /></label>
                <label class="field"><span>"resource"</span><input type="text" bind:value=resource placeholder="pods, deployments.apps" data-testid="abilities-resource" /></label>
                <label class="field"><span>"in namespace"</span><input type="text" bind:value=asked_namespace data-testid="abilities-namespace" /></label>
                <button type="submit" class="button" disabled=move || busy.get() data-testid="abilities-ask">"Ask the cluster"</button>
            </form>
            {move || answer.get().map(|answer| match answer {
                Ok(abilities) => view! { <AbilitiesAnswer abilities /> }.into_any(),
                Err(error) => view! { <p class="alert alert-warn" data-testid="abilities-error">{error.message()}</p> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn AbilitiesAnswer(abilities: TokenAbilities) -> impl IntoView {
    let list = |values: &[String]| match values {
        [] => "—".to_string(),
        values => values.join(", "),
    };
    view! {
        {abilities.access.map(|access| view! {
            <p class=if access.allowed { "alert alert-ok" } else { "alert alert-warn" } data-testid="abilities-verdict">
                {match access.allowed {
                    true => "Yes, the cluster allows it.".to_string(),
                    false => format!("No, the cluster does not allow it.{}", access.reason.map(|r| format!(" ({r})")).unwrap_or_default()),
                }}
            </p>
        })}
        <table class="table" data-testid="abilities-rules">
            <thead><tr><th>"Verbs"</th><th>"API groups"</th><th>"Resources"</th><th>"Names"</th></tr></thead>
            <tbody>
                {abilities.rules.iter().map(|rule| view! {
                    <tr>
                        <td class="mono">{list(&rule.verbs)}</td>
                        <td class="mono">{list(&rule.api_groups)}</td>
                        <td class="mono">{list(&rule.resources)}</td>
                        <td class="mono">{list(&rule.resource_names)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {abilities.incomplete.then(|| view! {
            <p class="muted">{format!("The cluster says this list is incomplete{}.", abilities.evaluation_error.map(|e| format!(": {e}")).unwrap_or_default())}</p>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_names_one_namespace_and_only_what_was_set() {
        let draft = CredsDraft {
            namespace: " default ".into(),
            ..CredsDraft::default()
        };
        assert_eq!(
            draft.body().unwrap(),
            json!({ "kubernetes_namespace": "default" })
        );
        let full = CredsDraft {
            namespace: "default".into(),
            ttl: "15m".into(),
            audiences: vec!["vault".into()],
            cluster_role_binding: true,
        };
        let body = full.body().unwrap();
        assert_eq!(body["ttl"], 900);
        assert_eq!(body["audiences"], json!(["vault"]));
        assert_eq!(body["cluster_role_binding"], true);
    }

    #[test]
    fn no_namespace_or_a_pattern_is_refused_before_vault() {
        assert!(CredsDraft::default()
            .body()
            .unwrap_err()
            .contains("namespace"));
        let star = CredsDraft {
            namespace: "*".into(),
            ..CredsDraft::default()
        };
        assert!(star.body().unwrap_err().contains("one namespace"));
    }

    #[test]
    fn namespaces_to_pick_from_are_the_named_ones() {
        let role = EngineRole {
            allowed_kubernetes_namespaces: Some(vec!["*".into(), "default".into()]),
            ..EngineRole::default()
        };
        assert_eq!(named_namespaces(&role), ["default"]);
    }
}
