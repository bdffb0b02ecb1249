//! "Set it up in the cluster": Vaultdeck creates the mount's service account (the auth
//! method's TokenReview reviewer, or the secrets engine's own), binds it, and writes its
//! token into the mount's configuration — the steps the YAML on the same page describes for
//! kubectl. Offered only where the deployment allows it and the user may update the mount's
//! configuration; the token goes from the cluster to Vault and never to the browser.

use super::cluster::ClusterDirectory;
use crate::{
    api::{self, ApiError, Method},
    components::error_notice::ErrorNotice,
    state::{permissions::use_permissions, toasts::use_toasts},
    wire::{
        k8s::{urls, SetUpReport, SetUpRequest},
        MountKind,
    },
};
use leptos::prelude::*;
use vaultdeck_policy::Capability;

async fn set_up(
    mount: &str,
    kind: MountKind,
    request: &SetUpRequest,
) -> Result<SetUpReport, ApiError> {
    api::send_json::<SetUpReport, _>(Method::POST, &urls::set_up(mount, kind), Some(request))
        .await?
        .ok_or_else(|| ApiError::local("The set-up answered nothing."))
}

/// What the set-up binds, for the card's explanation.
fn what_it_grants(kind: MountKind) -> &'static str {
    match kind {
        MountKind::Auth => "a service account bound to system:auth-delegator (what TokenReview needs), and writes its token as the reviewer JWT",
        MountKind::Secrets => "a service account bound to the engine's ClusterRole (set by the deployment), and writes its token as the engine's JWT",
    }
}

#[component]
pub fn SetUpInCluster(
    mount: String,
    kind: MountKind,
    directory: ClusterDirectory,
    /// Called once the configuration was written, to read it again.
    on_done: Callback<()>,
) -> impl IntoView {
    let permissions = use_permissions();
    let toasts = use_toasts();
    let config_path = match kind {
        MountKind::Auth => format!("auth/{mount}/config"),
        MountKind::Secrets => format!("{mount}/config"),
    };
    let offered = move || {
        let allowed =
            matches!(directory.info.get(), Some(Ok(info)) if info.reachable && info.set_up_allowed);
        allowed && permissions.can(&config_path, Capability::Update)
    };
    let namespace = RwSignal::new("vault".to_string());
    let account = RwSignal::new(match kind {
        MountKind::Auth => "vault-reviewer".to_string(),
        MountKind::Secrets => "vault-secrets-engine".to_string(),
    });
    let report = RwSignal::new(None::<SetUpReport>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let mount = StoredValue::new(mount);
    let run = move |_| {
        let request = SetUpRequest {
            namespace: namespace.get_untracked().trim().to_string(),
            service_account: account.get_untracked().trim().to_string(),
        };
        let mount = mount.get_value();
        busy.set(true);
        error.set(None);
        crate::state::tasks::spawn_owned(async move {
            match set_up(&mount, kind, &request).await {
                Ok(done) => {
                    toasts.success(format!(
                        "Set up {}/{}: its token is in {}.",
                        done.namespace, done.service_account, done.config_path
                    ));
                    report.set(Some(done));
                    on_done.run(());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <Show when=offered>
            <section class="card" data-testid="set-up">
                <h2>"Set it up in the cluster"</h2>
                <p>{format!("Vaultdeck creates the namespace if needed, {}, with this cluster's host and CA.", what_it_grants(kind))}</p>
                <div class="field-inline">
                    <label class="field"><span>"Service account"</span><input type="text" bind:value=account data-testid="set-up-account" /></label>
                    <label class="field"><span>"Namespace"</span><input type="text" bind:value=namespace data-testid="set-up-namespace" /></label>
                </div>
                <button type="button" class="button button-primary" on:click=run disabled=move || busy.get() data-testid="set-up-run">"Set it up"</button>
                {move || error.get().map(|error| view! { <ErrorNotice error context="The set-up did not finish." /> })}
                {move || report.get().map(|done| view! {
                    <p class="alert alert-ok" data-testid="set-up-report">
                        {format!(
                            "{}{} {}/{} is bound to {} by {}. Its token, written into {}, expires {}: set it up again before then.",
                            if done.created_namespace { "Namespace created. " } else { "" },
                            if done.created_service_account { "Service account" } else { "The existing service account" },
                            done.namespace, done.service_account, done.cluster_role, done.cluster_role_binding,
                            done.config_path, done.token_expires,
                        )}
                    </p>
                })}
            </section>
        </Show>
    }
}
