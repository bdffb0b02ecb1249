//! The BFF's cluster façade (`api/k8s/…`, typed in `wire::k8s`), as the pages use it, and
//! the card that says which cluster Vaultdeck sees.

use crate::{
    api::{self, ApiError, Method},
    wire::k8s::{
        urls, ClusterInfo, CreatedServiceAccount, Namespaces, NewServiceAccount, ServiceAccounts,
        TestLoginReport, TestLoginRequest,
    },
};
use leptos::prelude::*;

pub async fn cluster_info(mount: &str) -> Result<ClusterInfo, ApiError> {
    api::get_json(&urls::cluster(mount)).await
}

pub async fn namespaces(mount: &str) -> Result<Vec<String>, ApiError> {
    api::get_json::<Namespaces>(&urls::namespaces(mount))
        .await
        .map(|n| n.namespaces)
}

pub async fn service_accounts(mount: &str, namespace: &str) -> Result<Vec<String>, ApiError> {
    api::get_json::<ServiceAccounts>(&urls::service_accounts(mount, namespace))
        .await
        .map(|s| s.service_accounts)
}

/// Creates a service account (and its namespace when missing), with a long-lived
/// `kubernetes.io/service-account-token` Secret too when `token_secret` is set.
pub async fn create_service_account(
    mount: &str,
    namespace: &str,
    name: &str,
    token_secret: bool,
) -> Result<Option<CreatedServiceAccount>, ApiError> {
    let body = NewServiceAccount {
        name: name.to_string(),
        create_namespace: true,
        legacy_token_secret: token_secret,
    };
    api::send_json(
        Method::POST,
        &urls::service_accounts(mount, namespace),
        Some(&body),
    )
    .await
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
}

impl ClusterDirectory {
    pub fn new(mount: &str) -> Self {
        let mount_for_info = mount.to_string();
        let info = LocalResource::new(move || {
            let mount = mount_for_info.clone();
            async move { cluster_info(&mount).await }
        });
        let directory = ClusterDirectory {
            info,
            namespaces: RwSignal::new(Vec::new()),
            accounts: RwSignal::new(Vec::new()),
            fetched: RwSignal::new(Vec::new()),
            mount: StoredValue::new(mount.to_string()),
        };
        Effect::new(move |_| {
            if directory.reachable() {
                let mount = directory.mount.get_value();
                crate::state::tasks::spawn_owned(async move {
                    if let Ok(names) = namespaces(&mount).await {
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
            let Ok(names) = service_accounts(&mount, &namespace).await else {
                return;
            };
            self.accounts.update(|all| {
                all.retain(|(ns, _)| ns != &namespace);
                all.extend(names.into_iter().map(|n| (namespace.clone(), n)));
            });
        });
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
