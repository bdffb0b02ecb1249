//! `auth/MOUNT/config`: where Vault finds the cluster (host, CA), how it calls TokenReview
//! (the reviewer JWT, write-only), and the RBAC the reviewer needs, as YAML to apply.

use super::{
    cluster::{ClusterCard, ClusterDirectory},
    jwt,
    rbac_yaml::{service_account_yaml, RbacYaml},
    read_config,
    set_up::SetUpInCluster,
    AuthConfig,
};
use crate::routes::{AppRoute, K8sView};
use crate::wire::MountKind;
use crate::{
    api::{self, ApiError, Method},
    components::{error_notice::ErrorNotice, text_file::TextFileButton},
    state::{permissions::use_permissions, toasts::use_toasts},
};
use leptos::prelude::*;
use leptos_router::components::A;
use serde::Deserialize;
use serde_json::{json, Value};
use vaultdeck_policy::Capability;

#[component]
pub fn ConfigPage(mount: String) -> impl IntoView {
    // One per page: the set-up card and the form below share it, and the form is drawn
    // again whenever the configuration is read again.
    let directory = ClusterDirectory::new(&mount, MountKind::Auth);
    let loaded = LocalResource::new({
        let mount = mount.clone();
        move || {
            let mount = mount.clone();
            async move { read_config(&mount).await }
        }
    });
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <A href=AppRoute::k8s(&mount, K8sView::Roles).link()>{format!("auth/{mount}/ roles")}</A>
        </nav>
        <h1>{format!("Kubernetes configuration of auth/{mount}/")}</h1>
        <ClusterCard directory />
        <SetUpInCluster mount=mount.clone() kind=MountKind::Auth directory on_done=Callback::new(move |()| loaded.refetch()) />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || loaded.get().map(|answer| match answer {
                Ok(current) => view! { <ConfigForm mount=mount.clone() current=current.unwrap_or_default() reload=loaded directory /> }.into_any(),
                Err(error) => view! { <ErrorNotice error context="Could not read the configuration." /> }.into_any(),
            })}
        </Suspense>
        <ReviewerRbac />
    }
}

/// The PEM keys field: one or more `-----BEGIN PUBLIC KEY-----` blocks, kept as written.
fn split_pem_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        current.push_str(line);
        current.push('\n');
        if line.starts_with("-----END") {
            blocks.push(std::mem::take(&mut current));
        }
    }
    if !current.trim().is_empty() {
        blocks.push(current);
    }
    blocks
}

/// What the form holds, as plain values.
#[derive(Clone, Debug, Default)]
struct ConfigDraft {
    host: String,
    ca: String,
    pem_keys: String,
    issuer: String,
    disable_local_ca_jwt: bool,
    /// A newly pasted reviewer JWT ("" for none).
    new_jwt: String,
    /// Whether the user chose to drop the reviewer JWT Vault has.
    remove_jwt: bool,
}

impl ConfigDraft {
    /// The body Vault gets: the whole configuration, since a write replaces it. `kept` is
    /// what Vault has now, for the settings the form does not show.
    fn body(&self, kept: &AuthConfig) -> Result<Value, String> {
        let host = self.host.trim();
        if host.is_empty() {
            return Err("The Kubernetes host is required, e.g. https://kubernetes.default.svc or https://10.0.0.1:6443.".into());
        }
        if !(host.starts_with("https://") || host.starts_with("http://")) {
            return Err(
                "The Kubernetes host must be a URL starting with https:// (or http://).".into(),
            );
        }
        let new_jwt = self.new_jwt.trim();
        if kept.token_reviewer_jwt_set && new_jwt.is_empty() && !self.remove_jwt {
            return Err("Vault replaces the whole configuration when it is saved and never gives the reviewer JWT back: paste it again, or tick “Remove the reviewer JWT”.".into());
        }
        let mut body = json!({
            "kubernetes_host": host,
            "kubernetes_ca_cert": self.ca.trim(),
            "pem_keys": split_pem_blocks(&self.pem_keys),
            "issuer": self.issuer.trim(),
            "disable_local_ca_jwt": self.disable_local_ca_jwt,
            "disable_iss_validation": kept.disable_iss_validation,
            "use_annotations_as_alias_metadata": kept.use_annotations_as_alias_metadata,
        });
        if !new_jwt.is_empty() {
            body["token_reviewer_jwt"] = json!(new_jwt);
        }
        Ok(body)
    }
}

#[component]
fn ConfigForm(
    mount: String,
    current: AuthConfig,
    reload: LocalResource<Result<Option<AuthConfig>, ApiError>>,
    directory: ClusterDirectory,
) -> impl IntoView {
    let toasts = use_toasts();
    let permissions = use_permissions();
    let host = RwSignal::new(current.kubernetes_host.clone());
    let ca = RwSignal::new(current.kubernetes_ca_cert.clone());
    let pem_keys = RwSignal::new(current.pem_keys.join(""));
    let issuer = RwSignal::new(current.issuer.clone());
    let disable_local = RwSignal::new(current.disable_local_ca_jwt);
    let reviewer = RwSignal::new(String::new());
    let remove_reviewer = RwSignal::new(false);
    let invalid = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let kept = StoredValue::new(current.clone());
    let config_path = format!("auth/{mount}/config");
    let can_write = {
        let path = config_path.clone();
        move || permissions.can(&path, Capability::Update)
    };
    let use_cluster = move |_| {
        if let Some(Ok(info)) = directory.info.get_untracked() {
            invalid.set(None);
            host.set(info.api_url.unwrap_or_default());
            ca.set(info.ca_pem.unwrap_or_default());
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = ConfigDraft {
            host: host.get_untracked(),
            ca: ca.get_untracked(),
            pem_keys: pem_keys.get_untracked(),
            issuer: issuer.get_untracked(),
            disable_local_ca_jwt: disable_local.get_untracked(),
            new_jwt: reviewer.get_untracked(),
            remove_jwt: remove_reviewer.get_untracked(),
        };
        let body = match draft.body(&kept.get_value()) {
            Ok(body) => body,
            Err(message) => return invalid.set(Some(message)),
        };
        invalid.set(None);
        error.set(None);
        busy.set(true);
        let path = config_path.clone();
        crate::state::tasks::spawn_owned(async move {
            match api::vault_write(Method::POST, &path, Some(&body)).await {
                Ok(_) => {
                    toasts.success("Configuration saved.");
                    reviewer.set(String::new());
                    reload.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let claims = move || {
        let text = reviewer.get();
        (!text.trim().is_empty()).then(|| jwt::decode(&text))
    };
    let jwt_was_set = current.token_reviewer_jwt_set;
    view! {
        <form class="form form-wide" on:submit=submit data-testid="k8s-config-form">
            <div class="actions">
                <button type="button" class="button" on:click=use_cluster disabled=move || !directory.reachable() data-testid="use-this-cluster">
                    "Use this cluster"
                </button>
                <small class="muted">"Fills the host and CA with what Vaultdeck uses. Vault must reach the cluster at that address too; a Vault running inside the cluster usually uses https://kubernetes.default.svc."</small>
            </div>
            <label class="field">
                <span>"Kubernetes host"</span>
                <input type="text" inputmode="url" bind:value=host on:input=move |_| invalid.set(None) placeholder="https://kubernetes.default.svc" data-testid="k8s-host" />
            </label>
            <label class="field">
                <span>"CA certificate (PEM)"</span>
                <textarea rows="6" class="mono" bind:value=ca spellcheck="false" data-testid="k8s-ca"></textarea>
            </label>
            <TextFileButton
                label="Load the CA from a file…"
                accept=".crt,.pem,.cer,text/plain"
                test_id="k8s-ca-file"
                on_loaded=Callback::new(move |(_, text): (String, String)| ca.set(text))
            />
            <CertificateFacts pem=ca />
            <fieldset class="field">
                <legend>"Token reviewer JWT"</legend>
                <p data-testid="reviewer-state">
                    {if jwt_was_set {
                        view! { <span class="badge badge-ok">"set"</span> " Vault has one; it never shows it." }.into_any()
                    } else {
                        view! { <span class="badge">"not set"</span> " Without one Vault calls TokenReview with the pod's own token (or its own pod's token when it runs in the cluster)." }.into_any()
                    }}
                </p>
                <textarea rows="4" class="mono" bind:value=reviewer spellcheck="false" autocomplete="off" placeholder="paste a new reviewer JWT" aria-label="New token reviewer JWT" data-testid="k8s-reviewer-jwt"></textarea>
                {move || claims().map(|decoded| match decoded {
                    Ok(claims) => view! {
                        <dl class="facts" data-testid="reviewer-claims">
                            <dt>"alg"</dt><dd class="mono">{claims.algorithm.clone()}</dd>
                            {claims.rows.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd class="mono">{v}</dd> }).collect_view()}
                        </dl>
                        <small class="muted">"Decoded in your browser, not verified."</small>
                    }.into_any(),
                    Err(message) => view! { <p class="field-error" role="alert">{message}</p> }.into_any(),
                })}
                {jwt_was_set.then(|| view! {
                    <label class="checkbox">
                        <input type="checkbox" bind:checked=remove_reviewer data-testid="k8s-remove-reviewer" />
                        " Remove the reviewer JWT (when saving without pasting one)"
                    </label>
                })}
            </fieldset>
            <label class="checkbox">
                <input type="checkbox" bind:checked=disable_local data-testid="k8s-disable-local" />
                " Disable the local CA and JWT (disable_local_ca_jwt): do not fall back on the files of Vault's own pod"
            </label>
            <label class="field">
                <span>"Issuer (optional)"</span>
                <input type="text" bind:value=issuer data-testid="k8s-issuer" />
                <small class="muted">"Checked only when issuer validation is on; Vault deprecated both."</small>
            </label>
            <label class="field">
                <span>"Public keys to verify JWT signatures (pem_keys, optional)"</span>
                <textarea rows="3" class="mono" bind:value=pem_keys spellcheck="false" data-testid="k8s-pem-keys"></textarea>
            </label>
            {move || invalid.get().map(|m| view! { <p class="field-error" role="alert" data-testid="k8s-config-invalid">{m}</p> })}
            {move || error.get().map(|error| view! { <ErrorNotice error context="Vault refused the configuration." /> })}
            <button type="submit" class="button button-primary" disabled=move || busy.get() || !can_write() data-testid="k8s-config-save">"Save configuration"</button>
        </form>
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
struct CertificateFact {
    subject: String,
    issuer: String,
    not_after: String,
    expired: bool,
    is_ca: bool,
}

#[derive(Deserialize)]
struct Certificates {
    certificates: Vec<CertificateFact>,
}

/// The subject and expiry of the certificates in `pem`, as the BFF reads them.
#[component]
fn CertificateFacts(pem: RwSignal<String>) -> impl IntoView {
    let facts = LocalResource::new(move || {
        let text = pem.get();
        async move {
            if !text.contains("-----END CERTIFICATE-----") {
                return None;
            }
            let body = json!({ "pem": text });
            Some(
                api::send_json::<Certificates, _>(
                    Method::POST,
                    "api/tools/certificate",
                    Some(&body),
                )
                .await
                .map(|c| c.map(|c| c.certificates).unwrap_or_default()),
            )
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || facts.get().flatten().map(|answer| match answer {
                Ok(certificates) => view! {
                    <ul class="cert-facts" data-testid="ca-facts">
                        {certificates.into_iter().map(|c| view! {
                            <li>
                                <span class="mono" data-testid="ca-subject">{c.subject}</span>
                                {format!(" — issued by {}, valid until {}", c.issuer, c.not_after)}
                                {c.is_ca.then(|| view! { " " <span class="badge">"CA"</span> })}
                                {c.expired.then(|| view! { " " <span class="badge badge-error">"expired"</span> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
                Err(error) => view! { <p class="field-error" role="alert" data-testid="ca-error">{error.message()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn ReviewerRbac() -> impl IntoView {
    let account = RwSignal::new("vault".to_string());
    let namespace = RwSignal::new("vault".to_string());
    let yaml = Signal::derive(move || {
        service_account_yaml(
            account.get().trim(),
            namespace.get().trim(),
            "system:auth-delegator",
            "",
        )
    });
    view! {
        <section class="card" data-testid="reviewer-rbac">
            <h2>"The reviewer's permissions"</h2>
            <p>"Vault checks each pod's token with the cluster's TokenReview API. The service account whose JWT it uses for that needs the "<code>"system:auth-delegator"</code>" cluster role. Apply this with kubectl apply -f, then paste the token it creates as the reviewer JWT."</p>
            <RbacYaml account namespace yaml test_id="reviewer-yaml">{()}</RbacYaml>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(host: &str, jwt: &str, remove: bool) -> ConfigDraft {
        ConfigDraft {
            host: host.into(),
            ca: "CA".into(),
            new_jwt: jwt.into(),
            remove_jwt: remove,
            disable_local_ca_jwt: true,
            ..ConfigDraft::default()
        }
    }

    #[test]
    fn saving_sends_the_whole_configuration() {
        let kept = AuthConfig {
            disable_iss_validation: true,
            ..AuthConfig::default()
        };
        let body = draft(" https://10.0.0.1:6443 ", "", false)
            .body(&kept)
            .unwrap();
        assert_eq!(body["kubernetes_host"], "https://10.0.0.1:6443");
        assert_eq!(body["disable_iss_validation"], true);
        assert_eq!(body["pem_keys"], json!([]));
        assert!(body.get("token_reviewer_jwt").is_none());
    }

    #[test]
    fn a_set_reviewer_jwt_is_not_dropped_silently() {
        let kept = AuthConfig {
            token_reviewer_jwt_set: true,
            ..AuthConfig::default()
        };
        let refused = draft("https://k", "", false).body(&kept).unwrap_err();
        assert!(refused.contains("paste it again"));
        assert!(draft("https://k", "", true).body(&kept).is_ok());
        let replaced = draft("https://k", "a.b.c", false).body(&kept).unwrap();
        assert_eq!(replaced["token_reviewer_jwt"], "a.b.c");
    }

    #[test]
    fn hosts_must_be_urls() {
        let kept = AuthConfig::default();
        assert!(draft("", "", false).body(&kept).is_err());
        assert!(draft("10.0.0.1", "", false)
            .body(&kept)
            .unwrap_err()
            .contains("https://"));
    }

    #[test]
    fn pem_blocks_split() {
        let two = "-----BEGIN PUBLIC KEY-----\nAAA\n-----END PUBLIC KEY-----\n\n-----BEGIN PUBLIC KEY-----\nBBB\n-----END PUBLIC KEY-----";
        assert_eq!(split_pem_blocks(two).len(), 2);
        assert!(split_pem_blocks("  \n").is_empty());
    }
}
