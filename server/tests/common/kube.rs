//! The test cluster as the Kubernetes tests use it: a shared kube-apiserver, namespaces and
//! service accounts made as its admin, and a Kubernetes auth method pointed at it.

use super::{vault, vaultdeck, Deck};
use serde_json::{json, Value};
use testcluster::{Options, SharedCluster, TestCluster};

pub async fn cluster() -> SharedCluster {
    testcluster::shared(Options::default())
        .await
        .expect("the test cluster starts (run `cargo xtask setup` first)")
}

pub async fn deck_for(lab_url: &str, cluster: &TestCluster) -> Deck {
    let kubeconfig = cluster.kubeconfig_path().to_str().unwrap().to_string();
    vaultdeck(lab_url, &["--kubeconfig", &kubeconfig, LAB_CHECKS]).await
}

/// Test logins for roles without an audience, as a lab allows them (most tests' roles, like
/// the tutorials', have none); `security.rs` checks the default, which refuses them.
pub const LAB_CHECKS: &str = "--test-logins-without-audience";

/// As the cluster's admin; fails the test unless it succeeded (or already existed).
pub async fn admin(cluster: &TestCluster, method: &str, path: &str, body: Value) -> Value {
    let (status, answer) = cluster.admin_call(method, path, Some(body)).await.unwrap();
    assert!(
        status < 300 || status == 409,
        "Kubernetes answered {status}: {answer}"
    );
    answer
}

pub async fn namespace_and_accounts(cluster: &TestCluster, namespace: &str, accounts: &[&str]) {
    admin(
        cluster,
        "POST",
        "/api/v1/namespaces",
        json!({ "metadata": { "name": namespace } }),
    )
    .await;
    for account in accounts {
        let path = format!("/api/v1/namespaces/{namespace}/serviceaccounts");
        admin(
            cluster,
            "POST",
            &path,
            json!({ "metadata": { "name": account } }),
        )
        .await;
    }
}

/// A reviewer bound to `system:auth-delegator` (what the configuration page's YAML sets up)
/// and a token of it.
pub async fn reviewer_jwt(cluster: &TestCluster, namespace: &str) -> String {
    namespace_and_accounts(cluster, namespace, &["vault-reviewer"]).await;
    admin(
        cluster,
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        json!({
            "metadata": { "name": format!("{namespace}-tokenreview") },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator" },
            "subjects": [{ "kind": "ServiceAccount", "name": "vault-reviewer", "namespace": namespace }],
        }),
    )
    .await;
    let path = format!("/api/v1/namespaces/{namespace}/serviceaccounts/vault-reviewer/token");
    let answer = admin(
        cluster,
        "POST",
        &path,
        json!({ "spec": { "expirationSeconds": 3600 } }),
    )
    .await;
    answer["status"]["token"].as_str().unwrap().to_string()
}

/// A call to Vault as root that must succeed.
pub async fn as_root(lab_url: &str, root: &str, method: &str, path: &str, body: Value) {
    let (status, answer) = vault(lab_url, method, path, Some(root), Some(body)).await;
    assert!(status < 300, "{method} {path}: {status} {answer}");
}

/// Mounts KV v2 at `path` and waits until it serves (see `testvault::wait_for_kv_v2`).
pub async fn enable_kv2(lab_url: &str, root: &str, path: &str) {
    let body = json!({ "type": "kv", "options": { "version": "2" } });
    as_root(lab_url, root, "POST", &format!("sys/mounts/{path}"), body).await;
    testvault::wait_for_kv_v2(lab_url, root, path)
        .await
        .expect("the new KV v2 mount serves");
}

pub async fn enable_kubernetes_auth(lab_url: &str, root: &str) {
    enable_auth(lab_url, root, "kubernetes", "kubernetes").await;
}

pub async fn enable_auth(lab_url: &str, root: &str, mount: &str, kind: &str) {
    let body = json!({ "type": kind });
    as_root(lab_url, root, "POST", &format!("sys/auth/{mount}"), body).await;
}

/// The method pointed at the test cluster, as the configuration page would set it.
pub async fn configure_for(lab_url: &str, root: &str, cluster: &TestCluster, reviewer: &str) {
    configure_mount(
        lab_url,
        root,
        "kubernetes",
        cluster.api_url(),
        cluster.ca_pem(),
        reviewer,
    )
    .await;
}

/// A Kubernetes auth mount sending TokenReviews to `host` (with `reviewer` as the reviewer
/// JWT, or the client's own token when empty).
pub async fn configure_mount(
    lab_url: &str,
    root: &str,
    mount: &str,
    host: &str,
    ca_pem: &str,
    reviewer: &str,
) {
    let mut config = json!({
        "kubernetes_host": host,
        "kubernetes_ca_cert": ca_pem,
        "disable_local_ca_jwt": true,
    });
    if !reviewer.is_empty() {
        config["token_reviewer_jwt"] = json!(reviewer);
    }
    as_root(
        lab_url,
        root,
        "POST",
        &format!("auth/{mount}/config"),
        config,
    )
    .await;
}
