//! `MOUNT/config` of the Kubernetes secrets engine: where Vault finds the cluster (host, CA),
//! the JWT it acts with there (write-only), and the RBAC that JWT's service account needs,
//! as YAML to apply, for each kind of role.

use super::{read_config, write, EngineConfig, EngineNav, RoleMode};
use crate::{
    api::ApiError,
    components::error_notice::ErrorNotice,
    pages::kubernetes::{
        cluster::{ClusterCard, ClusterDirectory},
        jwt,
        rbac_yaml::{service_account_yaml, RbacYaml},
        set_up::SetUpInCluster,
    },
    routes::AppRoute,
    state::{permissions::use_permissions, toasts::use_toasts},
    wire::MountKind,
};
use leptos::prelude::*;
use leptos_router::components::A;
use serde_json::{json, Value};
use vaultdeck_policy::Capability;

#[component]
pub fn ConfigPage(mount: String) -> impl IntoView {
    // One per page: the set-up card and the form below share it, and the form is drawn
    // again whenever the configuration is read again.
    let directory = ClusterDirectory::new(&mount, MountKind::Secrets);
    let loaded = LocalResource::new({
        let mount = mount.clone();
        move || {
            let mount = mount.clone();
            async move { read_config(&mount).await }
        }
    });
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <A href=AppRoute::Mounts(MountKind::Secrets).link()>"Secrets engines"</A>
            <span class="crumb-sep">"/"</span>
            <span>{format!("{mount}/")}</span>
        </nav>
        <h1>{format!("Kubernetes secrets engine at {mount}/: configuration")}</h1>
        <EngineNav mount=mount.clone() />
        <ClusterCard directory />
        <SetUpInCluster mount=mount.clone() kind=MountKind::Secrets directory on_done=Callback::new(move |()| loaded.refetch()) />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || loaded.get().map(|answer| match answer {
                Ok(current) => view! {
                    <ConfigForm mount=mount.clone() configured=current.is_some() current=current.unwrap_or_default() reload=loaded directory />
                }.into_any(),
                Err(error) => view! { <ErrorNotice error context="Could not read the configuration." /> }.into_any(),
            })}
        </Suspense>
        <EngineRbac />
    }
}

/// What the form holds, as plain values.
#[derive(Clone, Debug, Default)]
struct ConfigDraft {
    host: String,
    ca: String,
    disable_local_ca_jwt: bool,
    /// A newly pasted JWT ("" keeps what Vault has: the engine's writes merge).
    new_jwt: String,
    /// Whether to drop the JWT Vault has.
    remove_jwt: bool,
}

impl ConfigDraft {
    /// The body for `MOUNT/config`. The engine merges a write into what it has, but refuses
    /// one without `kubernetes_host` when Vault is not in a pod, so the host always goes.
    fn body(&self) -> Result<Value, String> {
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
        if !new_jwt.is_empty() {
            jwt::decode(new_jwt)
                .map_err(|e| format!("The service account JWT is not usable: {e}"))?;
        }
        let mut body = json!({
            "kubernetes_host": host,
            "kubernetes_ca_cert": self.ca.trim(),
            "disable_local_ca_jwt": self.disable_local_ca_jwt,
        });
        if !new_jwt.is_empty() {
            body["service_account_jwt"] = json!(new_jwt);
        } else if self.remove_jwt {
            body["service_account_jwt"] = json!("");
        }
        Ok(body)
    }
}

#[component]
fn ConfigForm(
    mount: String,
    configured: bool,
    current: EngineConfig,
    reload: LocalResource<Result<Option<EngineConfig>, ApiError>>,
    directory: ClusterDirectory,
) -> impl IntoView {
    let toasts = use_toasts();
    let permissions = use_permissions();
    let host = RwSignal::new(current.kubernetes_host.clone());
    let ca = RwSignal::new(current.kubernetes_ca_cert.clone());
    let disable_local = RwSignal::new(current.disable_local_ca_jwt);
    let new_jwt = RwSignal::new(String::new());
    let remove_jwt = RwSignal::new(false);
    let invalid = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let config_path = format!("{mount}/config");
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
            disable_local_ca_jwt: disable_local.get_untracked(),
            new_jwt: new_jwt.get_untracked(),
            remove_jwt: remove_jwt.get_untracked(),
        };
        let body = match draft.body() {
            Ok(body) => body,
            Err(message) => return invalid.set(Some(message)),
        };
        invalid.set(None);
        error.set(None);
        busy.set(true);
        let path = config_path.clone();
        crate::state::tasks::spawn_owned(async move {
            match write(&path, &body).await {
                Ok(_) => {
                    toasts.success("Configuration saved.");
                    new_jwt.set(String::new());
                    remove_jwt.set(false);
                    reload.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let claims = move || {
        let text = new_jwt.get();
        (!text.trim().is_empty()).then(|| jwt::decode(&text))
    };
    view! {
        {(!configured).then(|| view! {
            <p class="alert alert-info" data-testid="engine-unconfigured">
                "This engine is not configured yet: Vault cannot issue tokens until it knows the cluster."
            </p>
        })}
        <form class="form form-wide" on:submit=submit data-testid="engine-config-form">
            <div class="actions">
                <button type="button" class="button" on:click=use_cluster disabled=move || !directory.reachable() data-testid="use-this-cluster">
                    "Use this cluster"
                </button>
                <small class="muted">"Fills the host and CA with what Vaultdeck uses. Vault must reach the cluster at that address too; a Vault running inside the cluster usually uses https://kubernetes.default.svc."</small>
            </div>
            <label class="field">
                <span>"Kubernetes host"</span>
                <input type="text" inputmode="url" bind:value=host on:input=move |_| invalid.set(None) placeholder="https://kubernetes.default.svc" data-testid="engine-host" />
            </label>
            <label class="field">
                <span>"CA certificate (PEM)"</span>
                <textarea rows="6" class="mono" bind:value=ca spellcheck="false" data-testid="engine-ca"></textarea>
            </label>
            <fieldset class="field">
                <legend>"Service account JWT"</legend>
                <p class="muted" data-testid="engine-jwt-state">
                    "Vault acts in the cluster with this JWT. It is write-only: Vault never gives it back, nor says whether it has one. Leave the field empty to keep what Vault has. Without one, a Vault running in a pod uses its own pod's token."
                </p>
                <textarea rows="4" class="mono" bind:value=new_jwt on:input=move |_| invalid.set(None) spellcheck="false" autocomplete="off" placeholder="paste a new service account JWT" aria-label="New service account JWT" data-testid="engine-jwt"></textarea>
                {move || claims().map(|decoded| match decoded {
                    Ok(claims) => view! {
                        <dl class="facts" data-testid="engine-jwt-claims">
                            {claims.rows.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd class="mono">{v}</dd> }).collect_view()}
                        </dl>
                        <small class="muted">"Decoded in your browser, not verified."</small>
                    }.into_any(),
                    Err(message) => view! { <p class="field-error" role="alert">{message}</p> }.into_any(),
                })}
                <label class="checkbox">
                    <input type="checkbox" bind:checked=remove_jwt data-testid="engine-remove-jwt" />
                    " Remove the JWT Vault has (when saving without pasting one)"
                </label>
            </fieldset>
            <label class="checkbox">
                <input type="checkbox" bind:checked=disable_local data-testid="engine-disable-local" />
                " Disable the local CA and JWT (disable_local_ca_jwt): do not fall back on the files of Vault's own pod"
            </label>
            {move || invalid.get().map(|m| view! { <p class="field-error" role="alert" data-testid="engine-config-invalid">{m}</p> })}
            {move || error.get().map(|error| view! { <ErrorNotice error context="Vault refused the configuration." /> })}
            <button type="submit" class="button button-primary" disabled=move || busy.get() || !can_write() data-testid="engine-config-save">"Save configuration"</button>
        </form>
    }
}

/// One rule of a ClusterRole, as YAML list item under `rules:`.
fn rule(group: &str, resources: &[&str], verbs: &[&str]) -> String {
    let quoted = |items: &[&str]| {
        items
            .iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "  - apiGroups: [\"{group}\"]\n    resources: [{}]\n    verbs: [{}]\n",
        quoted(resources),
        quoted(verbs)
    )
}

/// The ClusterRole rules the engine's own service account needs for roles of `mode`, from
/// the engine's documentation: each mode needs what the one before does, and more.
fn engine_cluster_role_rules(mode: RoleMode) -> String {
    const RBAC: &str = "rbac.authorization.k8s.io";
    let tokens = rule("", &["serviceaccounts/token"], &["create"]);
    let accounts = rule("", &["serviceaccounts"], &["create", "delete"]);
    let bindings = rule(
        RBAC,
        &["rolebindings", "clusterrolebindings"],
        &["create", "delete"],
    );
    // Label-selector roles make the engine read the namespace's labels.
    let namespaces = rule("", &["namespaces"], &["get"]);
    match mode {
        RoleMode::ExistingAccount => tokens + &namespaces,
        // Binding an existing role needs `bind` on it (escalation prevention).
        RoleMode::ExistingRole => {
            tokens
                + &accounts
                + &bindings
                + &rule(RBAC, &["roles", "clusterroles"], &["bind"])
                + &namespaces
        }
        // Creating a Role with any rules needs `escalate` too.
        RoleMode::GeneratedRules => {
            let roles = rule(
                RBAC,
                &["roles", "clusterroles"],
                &["bind", "escalate", "create", "delete"],
            );
            tokens + &accounts + &bindings + &roles + &namespaces
        }
    }
}

/// Everything the engine's service account needs, created from nothing: the namespace, the
/// account, its ClusterRole and binding, and a long-lived token Secret to paste as the JWT.
pub fn engine_rbac_yaml(mode: RoleMode, account: &str, namespace: &str) -> String {
    let cluster_role = format!("{account}-k8s-secrets-{}", mode.key());
    let rules = engine_cluster_role_rules(mode);
    let own_role = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {cluster_role}\nrules:\n{rules}---\n"
    );
    service_account_yaml(account, namespace, &cluster_role, &own_role)
}

#[component]
fn EngineRbac() -> impl IntoView {
    let account = RwSignal::new("vault".to_string());
    let namespace = RwSignal::new("vault".to_string());
    let mode = RwSignal::new(RoleMode::GeneratedRules);
    let yaml = Signal::derive(move || {
        engine_rbac_yaml(mode.get(), account.get().trim(), namespace.get().trim())
    });
    let pick = move |ev: leptos::ev::Event| {
        let key = event_target_value(&ev);
        if let Some(picked) = RoleMode::ALL.into_iter().find(|m| m.key() == key) {
            mode.set(picked);
        }
    };
    view! {
        <section class="card" data-testid="engine-rbac">
            <h2>"The engine's permissions in the cluster"</h2>
            <p>"Vault calls the cluster with the JWT above, so its service account needs permission for what the roles ask of it. Pick the kind of role you use (each needs more than the one before), apply the YAML with kubectl apply -f, then paste the token it creates as the JWT."</p>
            <RbacYaml account namespace yaml test_id="engine-rbac-yaml">
                <label class="field">
                    <span>"Roles that use"</span>
                    <select on:change=pick data-testid="engine-rbac-mode">
                        {RoleMode::ALL.into_iter().map(|m| view! {
                            <option value=m.key() selected=move || mode.get() == m>{m.title()}</option>
                        }).collect_view()}
                    </select>
                </label>
            </RbacYaml>
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
        }
    }

    // header {"alg":"RS256"}, claims {"sub":"system:serviceaccount:vault:vault"}
    const A_JWT: &str =
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6dmF1bHQ6dmF1bHQifQ.c2ln";

    #[test]
    fn an_empty_jwt_keeps_what_vault_has() {
        let body = draft(" https://10.0.0.1:6443 ", "", false).body().unwrap();
        assert_eq!(body["kubernetes_host"], "https://10.0.0.1:6443");
        assert!(body.get("service_account_jwt").is_none());
        let removed = draft("https://k", "", true).body().unwrap();
        assert_eq!(removed["service_account_jwt"], "");
        let replaced = draft("https://k", A_JWT, false).body().unwrap();
        assert_eq!(replaced["service_account_jwt"], A_JWT);
    }

    #[test]
    fn bad_hosts_and_jwts_are_named() {
        assert!(draft("", "", false)
            .body()
            .unwrap_err()
            .contains("required"));
        assert!(draft("10.0.0.1", "", false)
            .body()
            .unwrap_err()
            .contains("https://"));
        let garbage = draft("https://k", "not a token", false).body().unwrap_err();
        assert!(garbage.contains("JWT is not usable"), "{garbage}");
    }

    #[test]
    fn each_mode_asks_for_more_than_the_one_before() {
        let tokens = engine_rbac_yaml(RoleMode::ExistingAccount, "vault", "vault");
        assert!(tokens.contains("serviceaccounts/token"));
        assert!(!tokens.contains("rolebindings"));
        let binding = engine_rbac_yaml(RoleMode::ExistingRole, "vault", "vault");
        assert!(binding.contains("rolebindings") && binding.contains("\"bind\""));
        assert!(!binding.contains("escalate"));
        let rules = engine_rbac_yaml(RoleMode::GeneratedRules, "vault", "ops");
        assert!(rules.contains("escalate"));
        assert!(rules.contains("namespace: ops"));
        assert_eq!(rules.matches("\n---\n").count(), 4);
        // Every rule stays under `rules:` (indented), the rest at the document's top.
        for yaml in [tokens, binding, rules] {
            assert!(!yaml.lines().any(|l| l.starts_with("- ")), "{yaml}");
        }
    }
}
