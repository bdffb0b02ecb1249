//! "Set it up in the cluster" (`POST api/k8s/set-up`) against a real kube-apiserver and a
//! real Vault: off unless the deployment allows it, only for users who may update the
//! mount's configuration, and then a Kubernetes auth method outside the cluster logs pods in
//! and a secrets engine issues tokens, with nothing pasted by hand.

mod common;

use common::{
    create_token,
    kube::{admin, as_root, cluster, enable_kubernetes_auth, namespace_and_accounts},
    lab, vault, vaultdeck, Deck,
};
use serde_json::{json, Value};
use testcluster::TestCluster;

async fn deck_allowed_to_set_up(lab_url: &str, cluster: &TestCluster) -> Deck {
    let kubeconfig = cluster.kubeconfig_path().to_str().unwrap().to_string();
    vaultdeck(
        lab_url,
        &["--kubeconfig", &kubeconfig, "--set-up-service-accounts"],
    )
    .await
}

fn set_up_body(namespace: &str, account: &str) -> Value {
    json!({ "namespace": namespace, "service_account": account })
}

/// `POST api/k8s/set-up?QUERY` for `namespace/account`, as the app sends it.
async fn set_up(
    deck: &Deck,
    session: &str,
    query: &str,
    namespace: &str,
    account: &str,
) -> common::Answer {
    deck.call(
        "POST",
        &format!("k8s/set-up?{query}"),
        Some(session),
        Some(set_up_body(namespace, account)),
    )
    .await
}

/// A pod's login: a token of `account` from the cluster, given to the auth method.
async fn pod_login(
    lab_url: &str,
    cluster: &TestCluster,
    namespace: &str,
    account: &str,
) -> (u16, Value) {
    let path = format!("/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token");
    let issued = admin(
        cluster,
        "POST",
        &path,
        json!({ "spec": { "expirationSeconds": 600 } }),
    )
    .await;
    let jwt = issued["status"]["token"].as_str().unwrap();
    let body = json!({ "role": "webapp", "jwt": jwt });
    vault(lab_url, "POST", "auth/kubernetes/login", None, Some(body)).await
}

#[tokio::test]
async fn set_up_is_refused_unless_the_deployment_allows_it_and_the_token_may_configure() {
    let cluster = cluster().await;
    let (lab, root) = lab().await;
    enable_kubernetes_auth(&lab.url(), &root).await;
    let kubeconfig = cluster.kubeconfig_path().to_str().unwrap().to_string();
    let default_deck = vaultdeck(&lab.url(), &["--kubeconfig", &kubeconfig]).await;
    let session = default_deck.login_with_token(&root).await;
    let off = set_up(
        &default_deck,
        &session,
        "mount=kubernetes",
        "refused-ns",
        "refused-sa",
    )
    .await
    .expect(403);
    assert!(
        off.text.contains("--set-up-service-accounts"),
        "{}",
        off.text
    );

    // Rights over the roles are not rights over the configuration.
    let policy = r#"
        path "auth/kubernetes/role/*" { capabilities = ["create", "read", "update", "list"] }
        path "auth/kubernetes/config" { capabilities = ["read"] }
    "#;
    as_root(
        &lab.url(),
        &root,
        "PUT",
        "sys/policies/acl/roles-only",
        json!({ "policy": policy }),
    )
    .await;
    let roles_only = create_token(&lab.url(), &root, json!({ "policies": ["roles-only"] })).await;
    let deck = deck_allowed_to_set_up(&lab.url(), &cluster).await;
    let session = deck.login_with_token(&roles_only).await;
    let refused = set_up(
        &deck,
        &session,
        "mount=kubernetes",
        "refused-ns",
        "refused-sa",
    )
    .await
    .expect(403);
    assert!(
        refused.text.contains("“update” on auth/kubernetes/config"),
        "{}",
        refused.text
    );
    let (status, _) = cluster
        .admin_call(
            "GET",
            "/api/v1/namespaces/refused-ns/serviceaccounts/refused-sa",
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 404, "nothing was created for a refused request");
}

#[tokio::test]
async fn after_set_up_an_auth_method_outside_the_cluster_logs_pods_in() {
    let cluster = cluster().await;
    let (lab, root) = lab().await;
    enable_kubernetes_auth(&lab.url(), &root).await;
    namespace_and_accounts(&cluster, "setup-apps", &["webapp"]).await;
    let role = json!({
        "bound_service_account_names": ["webapp"],
        "bound_service_account_namespaces": ["setup-apps"],
        "token_policies": ["default"],
    });
    as_root(
        &lab.url(),
        &root,
        "POST",
        "auth/kubernetes/role/webapp",
        role,
    )
    .await;
    // The course's configuration: host and CA only. The pod's own token cannot review.
    let host_and_ca = json!({
        "kubernetes_host": cluster.api_url(),
        "kubernetes_ca_cert": cluster.ca_pem(),
        "disable_local_ca_jwt": true,
    });
    as_root(
        &lab.url(),
        &root,
        "POST",
        "auth/kubernetes/config",
        host_and_ca,
    )
    .await;
    let (status, refused) = pod_login(&lab.url(), &cluster, "setup-apps", "webapp").await;
    assert_eq!(status, 403, "{refused}");

    let deck = deck_allowed_to_set_up(&lab.url(), &cluster).await;
    let session = deck.login_with_token(&root).await;
    let report = set_up(
        &deck,
        &session,
        "mount=kubernetes",
        "setup-vault",
        "reviewer",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(report["created_namespace"], true, "{report}");
    assert_eq!(report["created_service_account"], true);
    assert_eq!(report["cluster_role"], "system:auth-delegator");
    assert_eq!(report["config_path"], "auth/kubernetes/config");
    assert!(
        !report.to_string().contains("eyJ"),
        "no token reaches the browser: {report}"
    );
    let binding = format!(
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{}",
        report["cluster_role_binding"].as_str().unwrap()
    );
    let (status, bound) = cluster.admin_call("GET", &binding, None).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(bound["subjects"][0]["name"], "reviewer");

    let (_, config) = vault(
        &lab.url(),
        "GET",
        "auth/kubernetes/config",
        Some(&root),
        None,
    )
    .await;
    assert_eq!(config["data"]["token_reviewer_jwt_set"], true, "{config}");
    assert_eq!(config["data"]["kubernetes_host"], cluster.api_url());
    let (status, login) = pod_login(&lab.url(), &cluster, "setup-apps", "webapp").await;
    assert_eq!(status, 200, "{login}");

    // Again: what exists is kept, the token replaced.
    let again = set_up(
        &deck,
        &session,
        "mount=kubernetes",
        "setup-vault",
        "reviewer",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(again["created_service_account"], false, "{again}");
}

#[tokio::test]
async fn after_set_up_a_secrets_engine_issues_tokens() {
    let cluster = cluster().await;
    let (lab, root) = lab().await;
    // What the chart's rbac.setUpServiceAccounts creates for the engine.
    admin(
        &cluster,
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        json!({
            "metadata": { "name": "vault-secrets-engine" },
            "rules": [{ "apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"] }],
        }),
    )
    .await;
    namespace_and_accounts(&cluster, "setup-engine-apps", &["webapp"]).await;
    as_root(
        &lab.url(),
        &root,
        "POST",
        "sys/mounts/setup-engine",
        json!({ "type": "kubernetes" }),
    )
    .await;
    let deck = deck_allowed_to_set_up(&lab.url(), &cluster).await;
    let session = deck.login_with_token(&root).await;
    let report = set_up(
        &deck,
        &session,
        "mount=setup-engine&engine=secrets",
        "setup-engine",
        "vault-engine",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(report["cluster_role"], "vault-secrets-engine", "{report}");
    assert_eq!(report["config_path"], "setup-engine/config");

    let role = json!({ "service_account_name": "webapp", "allowed_kubernetes_namespaces": ["setup-engine-apps"] });
    as_root(&lab.url(), &root, "POST", "setup-engine/roles/webapp", role).await;
    let (status, creds) = vault(
        &lab.url(),
        "POST",
        "setup-engine/creds/webapp",
        Some(&root),
        Some(json!({ "kubernetes_namespace": "setup-engine-apps" })),
    )
    .await;
    assert_eq!(status, 200, "{creds}");
    assert_eq!(creds["data"]["service_account_name"], "webapp");
}

/// Set-up mints a year-long token for the account it names. Were that any account that
/// exists, a user who may configure one mount could ask for a token of the cluster's most
/// powerful account (say, a controller's in `kube-system`) and, through a secrets engine
/// pointed at their own server, receive it. Only an account Vaultdeck created is reused.
#[tokio::test]
async fn set_up_mints_no_token_for_an_account_it_did_not_create() {
    let cluster = cluster().await;
    let (lab, root) = lab().await;
    enable_kubernetes_auth(&lab.url(), &root).await;
    namespace_and_accounts(&cluster, "setup-existing", &["powerful"]).await;
    let deck = deck_allowed_to_set_up(&lab.url(), &cluster).await;
    let session = deck.login_with_token(&root).await;

    let refused = set_up(
        &deck,
        &session,
        "mount=kubernetes",
        "setup-existing",
        "powerful",
    )
    .await
    .expect(409);
    let message = refused.json()["errors"][0].as_str().unwrap().to_string();
    assert!(message.contains("setup-existing/powerful"), "{message}");
    assert!(message.contains("not created by Vaultdeck"), "{message}");
    // How an account from before the label is handed back, by someone who may label it.
    assert!(
        message.contains(
            "kubectl label serviceaccount -n setup-existing powerful app.kubernetes.io/managed-by=vaultdeck"
        ),
        "{message}"
    );
    let bound = bindings_of(&cluster, "setup-existing", "powerful").await;
    assert!(bound.is_empty(), "nothing was bound: {bound:?}");
    let (_, config) = vault(
        &lab.url(),
        "GET",
        "auth/kubernetes/config",
        Some(&root),
        None,
    )
    .await;
    assert!(
        config["data"]["token_reviewer_jwt_set"] != json!(true),
        "no token was written: {config}"
    );

    // An account Vaultdeck made is its own to use again.
    set_up(
        &deck,
        &session,
        "mount=kubernetes",
        "setup-existing",
        "made-here",
    )
    .await
    .expect(200);
    let again = set_up(
        &deck,
        &session,
        "mount=kubernetes",
        "setup-existing",
        "made-here",
    )
    .await
    .expect(200)
    .json();
    assert_eq!(again["created_service_account"], false, "{again}");
}

/// The ClusterRoleBindings naming `namespace/account` as their subject.
async fn bindings_of(cluster: &TestCluster, namespace: &str, account: &str) -> Vec<String> {
    let (status, all) = cluster
        .admin_call(
            "GET",
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{all}");
    let names_the_account = |binding: &&Value| {
        binding["subjects"].as_array().is_some_and(|subjects| {
            subjects
                .iter()
                .any(|s| s["namespace"] == namespace && s["name"] == account)
        })
    };
    all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(names_the_account)
        .map(|binding| binding["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn set_up_binds_every_account_even_when_their_names_run_together() {
    let cluster = cluster().await;
    let (lab, root) = lab().await;
    enable_kubernetes_auth(&lab.url(), &root).await;
    let deck = deck_allowed_to_set_up(&lab.url(), &cluster).await;
    let session = deck.login_with_token(&root).await;
    // Namespace `setup-join-a` with account `b`, then namespace `setup-join` with account
    // `a-b`: joined with dashes, both read `setup-join-a-b`.
    for (namespace, account) in [("setup-join-a", "b"), ("setup-join", "a-b")] {
        let report = set_up(&deck, &session, "mount=kubernetes", namespace, account)
            .await
            .expect(200)
            .json();
        let named = report["cluster_role_binding"].as_str().unwrap();
        let bound = bindings_of(&cluster, namespace, account).await;
        assert_eq!(bound, [named], "{namespace}/{account} is bound: {report}");
    }
}
