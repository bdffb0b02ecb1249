//! The RBAC the Helm chart grants (deploy/manifests/vaultdeck.yaml, the chart's default
//! render) is exactly enough: Vaultdeck running as the chart's service account, against the
//! real kube-apiserver, serves every Kubernetes page — and that account can do nothing else.

mod common;

use common::{
    kube::{
        admin, as_root, cluster, configure_for, enable_kubernetes_auth, namespace_and_accounts,
        reviewer_jwt,
    },
    lab, vaultdeck,
};
use serde_json::{json, Value};
use std::path::Path;
use testcluster::TestCluster;

/// Vaultdeck with `kubeconfig` (a service account's, as deployed), checking roles without
/// an audience as a lab does (the roles here have none).
async fn deck_as_deployed(vault_url: &str, kubeconfig: &Path) -> common::Deck {
    let kubeconfig = kubeconfig.to_str().unwrap();
    vaultdeck(
        vault_url,
        &["--kubeconfig", kubeconfig, common::kube::LAB_CHECKS],
    )
    .await
}

/// `kubectl apply` of the plain manifests, as an operator without Helm installs Vaultdeck.
fn apply_manifests(cluster: &TestCluster) {
    // The clone running the test, not the one that built it (they can share a target).
    let manifests = Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test"))
        .join("../deploy/manifests/vaultdeck.yaml");
    let applied = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(cluster.kubeconfig_path())
        .args(["apply", "--server-side", "-f"])
        .arg(&manifests)
        .output()
        .expect("kubectl runs");
    assert!(
        applied.status.success(),
        "kubectl apply: {}",
        String::from_utf8_lossy(&applied.stderr)
    );
}

/// A kubeconfig for a service account (the chart's is `vault/vaultdeck`), with a token from
/// TokenRequest (what the kubelet would mount in Vaultdeck's pod).
async fn service_account_kubeconfig(
    cluster: &TestCluster,
    dir: &Path,
    namespace: &str,
    account: &str,
) -> (std::path::PathBuf, String) {
    let answer = admin(
        cluster,
        "POST",
        &format!("/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token"),
        json!({ "spec": { "expirationSeconds": 3600 } }),
    )
    .await;
    let token = answer["status"]["token"].as_str().unwrap().to_string();
    let ca = dir.join("ca.crt");
    std::fs::write(&ca, cluster.ca_pem()).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority: {}\n\
             users:\n- name: vaultdeck\n  user:\n    token: {token}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: vaultdeck\n\
             current-context: c\n",
            cluster.api_url(),
            ca.display()
        ),
    )
    .unwrap();
    (kubeconfig, token)
}

/// Whether the API server lets `token` do `verb` on `resource` (SelfSubjectAccessReview);
/// `apps:deployments` names a resource outside the core group.
async fn may(
    cluster: &TestCluster,
    token: &str,
    verb: &str,
    resource: &str,
    namespace: &str,
) -> bool {
    let (group, resource) = resource.split_once(':').unwrap_or(("", resource));
    let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
    let review = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": { "resourceAttributes": {
            "verb": verb, "group": group, "resource": resource, "subresource": subresource,
            "namespace": namespace,
        } },
    });
    let answer: Value = cluster
        .client()
        .unwrap()
        .post(format!(
            "{}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            cluster.api_url()
        ))
        .bearer_auth(token)
        .json(&review)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["status"]["allowed"] == json!(true)
}

#[tokio::test]
async fn the_charts_rbac_is_enough_for_every_kubernetes_page_and_no_more() {
    let cluster = cluster().await;
    admin(
        &cluster,
        "POST",
        "/api/v1/namespaces",
        json!({ "metadata": { "name": "vault" } }),
    )
    .await;
    apply_manifests(&cluster);
    let dir = tempfile::tempdir().unwrap();
    let (kubeconfig, token) =
        service_account_kubeconfig(&cluster, dir.path(), "vault", "vaultdeck").await;

    let (vault, root) = lab().await;
    let reviewer = reviewer_jwt(&cluster, "rbac-vault").await;
    enable_kubernetes_auth(vault.url(), &root).await;
    configure_for(vault.url(), &root, &cluster, &reviewer).await;
    let role = json!({
        "bound_service_account_names": ["webapp-one"],
        "bound_service_account_namespaces": ["rbac-apps"],
        "token_policies": ["default"],
    });
    as_root(
        vault.url(),
        &root,
        "POST",
        "auth/kubernetes/role/webapp-one",
        role,
    )
    .await;
    let deck = deck_as_deployed(vault.url(), &kubeconfig).await;
    let session = deck.login_with_token(&root).await;
    let call = |method: &'static str, path: &'static str, body: Option<Value>| {
        let (deck, session) = (&deck, &session);
        async move { deck.call(method, path, Some(session), body).await }
    };

    // Every page's call, as the chart's service account.
    let info = call("GET", "k8s/cluster?mount=kubernetes", None)
        .await
        .expect(200)
        .json();
    assert_eq!(info["reachable"], true, "{info}");
    let namespaces = call("GET", "k8s/namespaces?mount=kubernetes", None)
        .await
        .expect(200)
        .json();
    assert!(namespaces["namespaces"]
        .as_array()
        .unwrap()
        .contains(&json!("vault")));
    let create =
        json!({ "name": "webapp-one", "create_namespace": true, "legacy_token_secret": true });
    call(
        "POST",
        "k8s/namespaces/rbac-apps/serviceaccounts?mount=kubernetes",
        Some(create),
    )
    .await
    .expect(200);
    let accounts = call(
        "GET",
        "k8s/namespaces/rbac-apps/serviceaccounts?mount=kubernetes",
        None,
    )
    .await
    .expect(200)
    .json();
    assert!(accounts["service_accounts"]
        .as_array()
        .unwrap()
        .contains(&json!("webapp-one")));
    let check = json!({ "mount": "kubernetes", "role": "webapp-one", "namespace": "rbac-apps",
        "service_account": "webapp-one", "paths": ["secret/data/x"] });
    let report = call("POST", "k8s/test-login", Some(check))
        .await
        .expect(200)
        .json();
    assert_eq!(report["login"]["ok"], true, "{report}");
    assert_eq!(
        report["invalidated"], true,
        "the Secret the token was bound to was deleted"
    );
    let deployment = json!({ "metadata": { "name": "webapp-one" }, "spec": {
        "selector": { "matchLabels": { "app": "webapp-one" } },
        "template": { "metadata": { "labels": { "app": "webapp-one" } },
            "spec": { "serviceAccountName": "webapp-one",
                "containers": [{ "name": "app", "image": "registry.example/app:1" }] } } } });
    admin(
        &cluster,
        "POST",
        "/apis/apps/v1/namespaces/rbac-apps/deployments",
        deployment,
    )
    .await;
    let workloads = call(
        "GET",
        "k8s/workloads?mount=kubernetes&namespace=rbac-apps",
        None,
    )
    .await
    .expect(200)
    .json();
    assert_eq!(
        workloads["workloads"][0]["service_account"], "webapp-one",
        "{workloads}"
    );

    // And nothing else.
    for (verb, resource, namespace) in [
        ("get", "secrets", "kube-system"),
        ("list", "secrets", "rbac-apps"),
        ("update", "secrets", "rbac-apps"),
        ("delete", "namespaces", ""),
        ("delete", "serviceaccounts", "rbac-apps"),
        ("create", "clusterrolebindings", ""),
        ("create", "pods", "default"),
        ("list", "pods", "default"),
        ("update", "apps:deployments", "rbac-apps"),
        ("patch", "apps:daemonsets", "rbac-apps"),
        ("create", "apps:statefulsets", "rbac-apps"),
        ("delete", "apps:deployments", "rbac-apps"),
    ] {
        assert!(
            !may(&cluster, &token, verb, resource, namespace).await,
            "the chart's service account may {verb} {resource} in {namespace:?}"
        );
    }
    for (verb, resource, namespace) in [
        ("create", "serviceaccounts/token", "rbac-apps"),
        ("create", "secrets", "rbac-apps"),
        ("delete", "secrets", "rbac-apps"),
        ("list", "apps:deployments", "rbac-apps"),
        ("list", "apps:statefulsets", "rbac-apps"),
        ("list", "apps:daemonsets", "rbac-apps"),
    ] {
        assert!(
            may(&cluster, &token, verb, resource, namespace).await,
            "{verb} {resource}"
        );
    }
}

/// With test logins granted only in some namespaces (the chart's `rbac.testLoginNamespaces`,
/// while `rbac.createServiceAccounts` still lets it create Secrets everywhere), a test login
/// elsewhere is refused before anything is made. Without that check the Secret a token is
/// bound to was created, the token was refused, and the Secret could not be deleted.
#[tokio::test]
async fn a_test_login_where_vaultdeck_may_not_mint_leaves_nothing_behind() {
    let cluster = cluster().await;
    namespace_and_accounts(&cluster, "scoped-deck", &["vaultdeck"]).await;
    namespace_and_accounts(&cluster, "scoped-apps", &["webapp-one"]).await;
    namespace_and_accounts(&cluster, "other-apps", &["webapp-one"]).await;
    let subject =
        json!([{ "kind": "ServiceAccount", "name": "vaultdeck", "namespace": "scoped-deck" }]);
    grant(&cluster, "ClusterRole", None, "scoped-deck-everywhere", json!([
        { "apiGroups": [""], "resources": ["namespaces", "serviceaccounts"], "verbs": ["get", "list"] },
        { "apiGroups": [""], "resources": ["secrets"], "verbs": ["create"] },
    ]), &subject).await;
    grant(
        &cluster,
        "Role",
        Some("scoped-apps"),
        "scoped-deck-test-logins",
        json!([
            { "apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"] },
            { "apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "delete"] },
        ]),
        &subject,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (kubeconfig, _) =
        service_account_kubeconfig(&cluster, dir.path(), "scoped-deck", "vaultdeck").await;

    let (vault, root) = lab().await;
    let reviewer = reviewer_jwt(&cluster, "scoped-vault").await;
    enable_kubernetes_auth(vault.url(), &root).await;
    configure_for(vault.url(), &root, &cluster, &reviewer).await;
    let role = json!({
        "bound_service_account_names": ["webapp-one"],
        "bound_service_account_namespaces": ["scoped-apps", "other-apps"],
        "token_policies": ["default"],
    });
    as_root(
        vault.url(),
        &root,
        "POST",
        "auth/kubernetes/role/webapp-one",
        role,
    )
    .await;
    let deck = deck_as_deployed(vault.url(), &kubeconfig).await;
    let session = deck.login_with_token(&root).await;
    let check = |namespace: &str| {
        json!({ "mount": "kubernetes", "role": "webapp-one", "namespace": namespace,
            "service_account": "webapp-one", "paths": [] })
    };

    let refused = deck
        .call(
            "POST",
            "k8s/test-login",
            Some(&session),
            Some(check("other-apps")),
        )
        .await
        .expect(403);
    assert!(
        refused.text.contains("rbac.testLoginNamespaces"),
        "{}",
        refused.text
    );
    assert_eq!(
        secrets_in(&cluster, "other-apps").await,
        0,
        "nothing left behind"
    );

    let report = deck
        .call(
            "POST",
            "k8s/test-login",
            Some(&session),
            Some(check("scoped-apps")),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(report["login"]["ok"], true, "{report}");
    assert_eq!(report["invalidated"], true, "{report}");
}

/// A ClusterRole (or a Role in `namespace`) with these rules, bound to `subjects`.
async fn grant(
    cluster: &TestCluster,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    rules: Value,
    subjects: &Value,
) {
    let base = match namespace {
        Some(namespace) => format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}"),
        None => "/apis/rbac.authorization.k8s.io/v1".to_string(),
    };
    let (roles, bindings) = match kind {
        "Role" => ("roles", "rolebindings"),
        _ => ("clusterroles", "clusterrolebindings"),
    };
    admin(
        cluster,
        "POST",
        &format!("{base}/{roles}"),
        json!({ "metadata": { "name": name }, "rules": rules }),
    )
    .await;
    admin(
        cluster,
        "POST",
        &format!("{base}/{bindings}"),
        json!({ "metadata": { "name": name }, "subjects": subjects,
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name } }),
    )
    .await;
}

/// The Secrets Vaultdeck made in `namespace` (a test login's token is bound to one).
async fn secrets_in(cluster: &TestCluster, namespace: &str) -> usize {
    let path = format!(
        "/api/v1/namespaces/{namespace}/secrets?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dvaultdeck"
    );
    let (_, listed) = cluster.admin_call("GET", &path, None).await.unwrap();
    listed["items"].as_array().map_or(0, Vec::len)
}
