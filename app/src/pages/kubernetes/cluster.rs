//! The BFF's cluster façade (`api/k8s/…`, typed in `wire::k8s`), as the pages use it, and
//! the card that says which cluster Vaultdeck sees.

use crate::state::toasts::use_toasts;
use crate::{
    api::{self, ApiError, Method},
    wire::k8s::{
        urls, ClusterInfo, CreatedServiceAccount, MountKind, Namespaces, NewServiceAccount,
        ServiceAccounts, TestLoginReport, TestLoginRequest, TokenAbilities, TokenAbilitiesRequest,
    },
};
use leptos::prelude::*;

pub async fn cluster_info(mount: &str, kind: MountKind) -> Result<ClusterInfo, ApiError> {
    api::get_json(&urls::cluster(mount, kind)).await
}

pub async fn namespaces(mount: &str, kind: MountKind) -> Result<Vec<String>, ApiError> {
    api::get_json::<Namespaces>(&urls::namespaces(mount, kind))
        .await
        .map(|n| n.namespaces)
}

pub async fn service_accounts(
    mount: &str,
    kind: MountKind,
    namespace: &str,
) -> Result<Vec<String>, ApiError> {
    api::get_json::<ServiceAccounts>(&urls::service_accounts(mount, kind, namespace))
        .await
        .map(|s| s.service_accounts)
}

/// What a token may do in the cluster, asked of the cluster with the token itself.
pub async fn token_abilities(request: &TokenAbilitiesRequest) -> Result<TokenAbilities, ApiError> {
    api::send_json::<TokenAbilities, _>(Method::POST, urls::TOKEN_ABILITIES, Some(request))
        .await?
        .ok_or_else(|| ApiError::local("The cluster said nothing about the token."))
}

pub async fn test_login(request: &TestLoginRequest) -> Result<TestLoginReport, ApiError> {
    api::send_json::<TestLoginReport, _>(Method::POST, urls::TEST_LOGIN, Some(request))
        .await?
        .ok_or_else(|| ApiError::local("The test login answered nothing."))
}

/// The namespaces and service accounts of the cluster, loaded once per page, for
/// suggestions and "does it exist yet?" warnings. Empty when there is no cluster.
#[derive(Clone, Copy)]
pub struct ClusterDirectory {
    pub info: LocalResource<Result<ClusterInfo, ApiError>>,
    pub namespaces: RwSignal<Vec<String>>,
    /// `(namespace, service account)` pairs seen so far.
    pub accounts: RwSignal<Vec<(String, String)>>,
    /// Namespaces whose service accounts have been fetched.
    fetched: RwSignal<Vec<String>>,
    mount: StoredValue<String>,
    kind: MountKind,
}

impl ClusterDirectory {
    /// For a Kubernetes auth method (`MountKind::Auth`) or secrets engine mounted at `mount`.
    pub fn new(mount: &str, kind: MountKind) -> Self {
        let mount_for_info = mount.to_string();
        let info = LocalResource::new(move || {
            let mount = mount_for_info.clone();
            async move { cluster_info(&mount, kind).await }
        });
        let directory = ClusterDirectory {
            info,
            namespaces: RwSignal::new(Vec::new()),
            accounts: RwSignal::new(Vec::new()),
            fetched: RwSignal::new(Vec::new()),
            mount: StoredValue::new(mount.to_string()),
            kind,
        };
        Effect::new(move |_| {
            if directory.reachable() {
                let mount = directory.mount.get_value();
                crate::state::tasks::spawn_owned(async move {
                    if let Ok(names) = namespaces(&mount, kind).await {
                        directory.namespaces.set(names);
                    }
                });
            }
        });
        directory
    }

    pub fn reachable(self) -> bool {
        matches!(
            self.info.get(),
            Some(Ok(ClusterInfo {
                reachable: true,
                ..
            }))
        )
    }

    /// Fetches the service accounts of these namespaces (concrete names only), once each.
    pub fn load_accounts(self, namespaces: &[String]) {
        if !self.reachable() {
            return;
        }
        for namespace in namespaces.iter().filter(|n| !n.contains('*')) {
            if self.fetched.with_untracked(|f| f.contains(namespace)) {
                continue;
            }
            self.fetched.update(|f| f.push(namespace.clone()));
            self.refresh(namespace.clone());
        }
    }

    /// Re-reads one namespace's service accounts (after creating one).
    pub fn refresh(self, namespace: String) {
        let mount = self.mount.get_value();
        crate::state::tasks::spawn_owned(async move {
            let Ok(names) = service_accounts(&mount, self.kind, &namespace).await else {
                return;
            };
            self.accounts.update(|all| {
                all.retain(|(ns, _)| ns != &namespace);
                all.extend(names.into_iter().map(|n| (namespace.clone(), n)));
            });
        });
    }

    /// Creates a service account (and its namespace when missing), with a long-lived
    /// `kubernetes.io/service-account-token` Secret too when `token_secret` is set.
    pub async fn create_service_account(
        self,
        namespace: &str,
        name: &str,
        token_secret: bool,
    ) -> Result<Option<CreatedServiceAccount>, ApiError> {
        let body = NewServiceAccount {
            name: name.to_string(),
            create_namespace: true,
            legacy_token_secret: token_secret,
        };
        let url = urls::service_accounts(&self.mount.get_value(), self.kind, namespace);
        api::send_json(Method::POST, &url, Some(&body)).await
    }

    /// Whether the service account is known to exist; `None` while unknown.
    pub fn has_account(self, namespace: &str, name: &str) -> Option<bool> {
        if !self.fetched.with(|f| f.iter().any(|n| n == namespace)) {
            return None;
        }
        Some(
            self.accounts
                .with(|all| all.iter().any(|(ns, n)| ns == namespace && n == name)),
        )
    }

    /// Service account names in these namespaces, for suggestions.
    pub fn account_names(self, namespaces: &[String]) -> Vec<String> {
        let mut names: Vec<String> = self.accounts.with(|all| {
            all.iter()
                .filter(|(ns, _)| {
                    namespaces.is_empty() || namespaces.iter().any(|n| n == ns || n == "*")
                })
                .map(|(_, name)| name.clone())
                .collect()
        });
        names.sort();
        names.dedup();
        names
    }
}

/// Warnings for service accounts a role names that the cluster does not have yet, each with
/// a button that creates it (and its namespace), optionally with a long-lived token Secret.
#[component]
pub fn MissingAccounts(
    namespaces: Signal<Vec<String>>,
    names: Signal<Vec<String>>,
    directory: ClusterDirectory,
) -> impl IntoView {
    let toasts = use_toasts();
    let missing = move || {
        let mut missing = Vec::new();
        for namespace in namespaces.get().iter().filter(|n| !n.contains('*')) {
            for name in names.get().iter().filter(|n| !n.contains('*')) {
                if directory.has_account(namespace, name) == Some(false) {
                    missing.push((namespace.clone(), name.clone()));
                }
            }
        }
        missing
    };
    // The course's labs also give each account a long-lived token Secret.
    let with_token_secret = RwSignal::new(false);
    view! {
        <Show when=move || !missing().is_empty()>
            <label class="checkbox">
                <input type="checkbox" bind:checked=with_token_secret data-testid="create-account-token-secret" />
                " also create a long-lived token Secret (kubernetes.io/service-account-token) for it"
            </label>
        </Show>
        <For each=missing key=|pair| pair.clone() let:pair>
            {
                let (namespace, name) = pair.clone();
                let busy = RwSignal::new(false);
                let create = move |_| {
                    let (namespace, name) = (namespace.clone(), name.clone());
                    busy.set(true);
                    let token_secret = with_token_secret.get_untracked();
                    crate::state::tasks::spawn_owned(async move {
                        match directory.create_service_account(&namespace, &name, token_secret).await {
                            Ok(created) => {
                                let secret = created
                                    .and_then(|c| c.token_secret)
                                    .map(|s| format!(" Its token Secret is {s}."))
                                    .unwrap_or_default();
                                toasts.success(format!("Service account {name} created in {namespace}.{secret}"));
                                directory.refresh(namespace.clone());
                            }
                            Err(e) => toasts.error(format!("Could not create service account {name}: {}", e.message())),
                        }
                        busy.set(false);
                    });
                };
                view! {
                    <p class="alert alert-warn" data-testid="missing-account">
                        {format!("Service account {} does not exist in namespace {} yet. ", pair.1, pair.0)}
                        <button type="button" class="button button-small" on:click=create disabled=move || busy.get() data-testid="create-account">
                            {format!("Create service account {}", pair.1)}
                        </button>
                    </p>
                }
            }
        </For>
    }
}

/// Which cluster Vaultdeck talks to, or how to connect one.
#[component]
pub fn ClusterCard(directory: ClusterDirectory) -> impl IntoView {
    view! {
        <div class="cluster-card" data-testid="cluster-card">
            <Suspense fallback=|| view! { <p class="muted">"Asking the cluster…"</p> }>
                {move || directory.info.get().map(|answer| match answer {
                    Ok(info) if info.reachable => view! {
                        <p class="alert alert-ok" data-testid="cluster-status">
                            {format!(
                                "Connected to Kubernetes {} at {} (found via {}).",
                                info.version.clone().unwrap_or_default(),
                                info.api_url.clone().unwrap_or_default(),
                                info.source.clone().unwrap_or_default(),
                            )}
                        </p>
                    }.into_any(),
                    Ok(info) if info.configured => view! {
                        <p class="alert alert-warn" data-testid="cluster-status">
                            {format!(
                                "The cluster at {} does not answer: {}",
                                info.api_url.clone().unwrap_or_default(),
                                info.error.clone().unwrap_or_default(),
                            )}
                        </p>
                    }.into_any(),
                    Ok(info) => view! {
                        <div class="alert alert-info" data-testid="cluster-status">
                            <p>{info.error.clone().unwrap_or_default()}</p>
                            <p class="muted">"Everything else in Vaultdeck works without a cluster; only suggestions, creating service accounts and “Can this pod read it?” need one."</p>
                        </div>
                    }.into_any(),
                    Err(error) => view! {
                        <p class="alert alert-warn" data-testid="cluster-status">
                            {format!("Vaultdeck will not use the cluster for you: {}", error.message())}
                        </p>
                    }.into_any(),
                })}
            </Suspense>
        </div>
    }
}
