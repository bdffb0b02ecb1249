//! The Kubernetes façade (`api/k8s/…`) against a real kube-apiserver and a real Vault: the
//! capability gate, namespaces and service accounts, and the test login.

mod common;

use common::{
    create_token,
    kube::{
        admin, as_root, cluster, configure_for, deck_for, enable_kubernetes_auth,
        namespace_and_accounts, reviewer_jwt,
    },
    lab, vaultdeck,
};
use serde_json::json;

#[tokio::test]
async fn the_gate_follows_the_users_vault_capabilities() {
    let cluster = cluster().await;
    let (lab, root) = lab().await;
    enable_kubernetes_auth(&lab.url(), &root).await;
    // Update on one role is not update on the mount's roles: it must not open the cluster.
    let viewer_policy = r#"
        path "auth/kubernetes/role/*" { capabilities = ["read", "list"] }
        path "auth/kubernetes/role/sneaky" { capabilities = ["read", "update"] }
    "#;
    as_root(
        &lab.url(),
        &root,
        "PUT",
        "sys/policies/acl/k8s-viewer",
        json!({ "policy": viewer_policy }),
    )
    .await;
    let viewer = create_token(&lab.url(), &root, json!({ "policies": ["k8s-viewer"] })).await;
    let nobody = create_token(&lab.url(), &root, json!({ "policies": ["default"] })).await;
    let deck = deck_for(&lab.url(), &cluster).await;

    let nobody = deck.login_with_token(&nobody).await;
    let refused = deck
        .call(
            "GET",
            "k8s/namespaces?mount=kubernetes",
            Some(&nobody),
            None,
        )
        .await
        .expect(403);
    let reason = refused.json()["errors"][0].as_str().unwrap().to_string();
    assert!(
        reason.contains("“read” on auth/kubernetes/role/"),
        "{reason}"
    );

    let viewer = deck.login_with_token(&viewer).await;
    let listed = deck
        .call(
            "GET",
            "k8s/namespaces?mount=kubernetes",
            Some(&viewer),
            None,
        )
        .await
        .expect(200);
    let namespaces = listed.json()["namespaces"].clone();
    assert!(
        namespaces
            .as_array()
            .unwrap()
            .contains(&json!("kube-system")),
        "{namespaces}"
    );
    let body = json!({ "name": "sneaky", "create_namespace": true });
    let refused = deck
        .call(
            "POST",
            "k8s/namespaces/gate/serviceaccounts?mount=kubernetes",
            Some(&viewer),
            Some(body),
        )
        .await
        .expect(403);
    assert!(
        refused.text.contains("“update” on auth/kubernetes/role/*"),
        "{}",
        refused.text
    );
    let login = json!({ "mount": "kubernetes", "role": "sneaky", "namespace": "default", "service_account": "default" });
    deck.call("POST", "k8s/test-login", Some(&viewer), Some(login))
        .await
        .expect(403);
    let (status, _) = cluster
        .admin_call("GET", "/api/v1/namespaces/gate", None)
        .await
        .unwrap();
    assert_eq!(
        status, 404,
        "the refused request must not have created anything"
    );

    let anonymous = deck
        .call("GET", "k8s/namespaces?mount=kubernetes", None, None)
        .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn service_accounts_are_listed_and_created_with_their_namespace() {
    let cluster = cluster().await;
    let (lab, root) = lab().await;
    enable_kubernetes_auth(&lab.url(), &root).await;
    // Creating service accounts needs a mount configured for this cluster.
    configure_for(&lab.url(), &root, &cluster, "").await;
    let deck = deck_for(&lab.url(), &cluster).await;
    let session = deck.login_with_token(&root).await;

    let info = deck
        .call("GET", "k8s/cluster?mount=kubernetes", Some(&session), None)
        .await
        .expect(200)
        .json();
    assert_eq!(info["reachable"], true);
    assert_eq!(info["version"], testcluster::KUBERNETES_VERSION);
    assert_eq!(info["api_url"], cluster.api_url());
    assert_eq!(info["source"], "kubeconfig");
    assert!(info["ca_pem"]
        .as_str()
        .unwrap()
        .contains("BEGIN CERTIFICATE"));

    let create =
        json!({ "name": "webapp-one", "create_namespace": true, "legacy_token_secret": true });
    let url = "k8s/namespaces/facade-create/serviceaccounts?mount=kubernetes";
    let created = deck
        .call("POST", url, Some(&session), Some(create.clone()))
        .await
        .expect(200)
        .json();
    assert_eq!(created["created_namespace"], true);
    assert_eq!(created["token_secret"], "webapp-one-token");
    let listed = deck
        .call("GET", url, Some(&session), None)
        .await
        .expect(200)
        .json();
    assert!(
        listed["service_accounts"]
            .as_array()
            .unwrap()
            .contains(&json!("webapp-one")),
        "{listed}"
    );
    let (status, secret) = cluster
        .admin_call(
            "GET",
            "/api/v1/namespaces/facade-create/secrets/webapp-one-token",
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(secret["type"], "kubernetes.io/service-account-token");

    let again = deck
        .call("POST", url, Some(&session), Some(create))
        .await
        .expect(409);
    assert!(again.text.contains("already exists"), "{}", again.text);

    let certificate = deck
        .call(
            "POST",
            "tools/certificate",
            Some(&session),
            Some(json!({ "pem": cluster.ca_pem() })),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(certificate["certificates"][0]["is_ca"], true);
    assert_eq!(certificate["certificates"][0]["expired"], false);
    deck.call(
        "POST",
        "tools/certificate",
        Some(&session),
        Some(json!({ "pem": "not a certificate" })),
    )
    .await
    .expect(400);
}

#[tokio::test]
async fn a_test_login_reports_what_the_pod_would_get_then_revokes_it() {
    let cluster = cluster().await;
    let (lab, root) = lab().await;
    let reviewer = reviewer_jwt(&cluster, "facade-vault").await;
    enable_kubernetes_auth(&lab.url(), &root).await;
    configure_for(&lab.url(), &root, &cluster, &reviewer).await;
    namespace_and_accounts(&cluster, "facade-apps", &["webapp-one"]).await;
    namespace_and_accounts(&cluster, "facade-elsewhere", &["webapp-one"]).await;
    let policy = r#"path "secret/data/webapps/app_one" { capabilities = ["read"] }"#;
    as_root(
        &lab.url(),
        &root,
        "PUT",
        "sys/policies/acl/webapp-one-read",
        json!({ "policy": policy }),
    )
    .await;
    let role = json!({
        "bound_service_account_names": ["webapp-one"],
        "bound_service_account_namespaces": ["facade-apps"],
        "token_policies": ["webapp-one-read"],
        "token_ttl": 600,
    });
    as_root(
        &lab.url(),
        &root,
        "POST",
        "auth/kubernetes/role/webapp-one",
        role,
    )
    .await;
    let deck = deck_for(&lab.url(), &cluster).await;
    let session = deck.login_with_token(&root).await;

    let test_login = |namespace: &'static str, account: &'static str| {
        let body = json!({
            "mount": "kubernetes",
            "role": "webapp-one",
            "namespace": namespace,
            "service_account": account,
            "paths": ["secret/data/webapps/app_one", "secret/data/webapps/app_two"],
        });
        let (deck, session) = (&deck, &session);
        async move {
            deck.call("POST", "k8s/test-login", Some(session), Some(body))
                .await
                .expect(200)
                .json()
        }
    };
    let report = test_login("facade-apps", "webapp-one").await;
    assert_eq!(report["login"]["ok"], true, "{report}");
    assert_eq!(
        report["token"]["policies"],
        json!(["default", "webapp-one-read"])
    );
    assert_eq!(report["token"]["ttl"], 600);
    assert_eq!(
        report["token"]["metadata"]["service_account_name"],
        "webapp-one"
    );
    assert_eq!(
        report["token"]["metadata"]["service_account_namespace"],
        "facade-apps"
    );
    assert_eq!(
        report["capabilities"]["secret/data/webapps/app_one"],
        json!(["read"])
    );
    assert_eq!(
        report["capabilities"]["secret/data/webapps/app_two"],
        json!(["deny"])
    );
    assert_eq!(report["revoked"], true);
    assert_eq!(report["invalidated"], true);
    assert_eq!(report["pod_token"]["expiration_seconds"], 600);
    for field in ["client_token", "jwt", "\"token\":\""] {
        assert!(
            !report.to_string().contains(field),
            "no token reaches the browser ({field}): {report}"
        );
    }

    // Accounts the role does not bind get no token at all: the binding is checked first.
    let elsewhere = test_login("facade-elsewhere", "webapp-one").await;
    assert_eq!(elsewhere["binding"]["ok"], false, "{elsewhere}");
    assert_eq!(elsewhere["binding"]["refusal"], "namespace_not_bound");
    assert!(elsewhere["token_request"].is_null(), "{elsewhere}");
    let unbound = test_login("facade-apps", "nobody").await;
    assert_eq!(unbound["binding"]["refusal"], "name_not_bound");
    assert!(unbound["token_request"].is_null(), "{unbound}");
}

#[tokio::test]
async fn without_a_cluster_the_pages_are_told_how_to_connect_one() {
    let (lab, root) = lab().await;
    enable_kubernetes_auth(&lab.url(), &root).await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let session = deck.login_with_token(&root).await;
    let info = deck
        .call("GET", "k8s/cluster?mount=kubernetes", Some(&session), None)
        .await
        .expect(200)
        .json();
    assert_eq!(info["configured"], false);
    assert!(
        info["help"].as_str().unwrap().contains("KUBECONFIG"),
        "{info}"
    );
    let refused = deck
        .call(
            "GET",
            "k8s/namespaces?mount=kubernetes",
            Some(&session),
            None,
        )
        .await
        .expect(503);
    assert!(
        refused.text.contains("No Kubernetes cluster is configured"),
        "{}",
        refused.text
    );
    deck.call("GET", "health", None, None).await.expect(200);
}

#[tokio::test]
async fn a_service_account_logs_in_to_vaultdeck_with_the_kubernetes_method() {
    let cluster = cluster().await;
    let (lab, root) = lab().await;
    let reviewer = reviewer_jwt(&cluster, "login-vault").await;
    enable_kubernetes_auth(&lab.url(), &root).await;
    configure_for(&lab.url(), &root, &cluster, &reviewer).await;
    namespace_and_accounts(&cluster, "login-apps", &["operator", "stranger"]).await;
    let role = json!({
        "bound_service_account_names": ["operator"],
        "bound_service_account_namespaces": ["login-apps"],
        "token_policies": ["default"],
    });
    as_root(&lab.url(), &root, "POST", "auth/kubernetes/role/ops", role).await;
    let jwt_of = |account: &'static str| {
        let cluster = &cluster;
        async move {
            let path = format!("/api/v1/namespaces/login-apps/serviceaccounts/{account}/token");
            let answer = admin(cluster, "POST", &path, json!({ "spec": {} })).await;
            answer["status"]["token"].as_str().unwrap().to_string()
        }
    };
    // No cluster for the BFF itself: logging in needs only Vault.
    let deck = vaultdeck(&lab.url(), &[]).await;

    let login = |jwt: String| json!({ "method": "kubernetes", "role": "ops", "jwt": jwt });
    let answer = deck
        .call(
            "POST",
            "session",
            None,
            Some(login(jwt_of("operator").await)),
        )
        .await
        .expect(200);
    let who = answer.json();
    assert_eq!(who["method"], "kubernetes");
    assert_eq!(who["mount"], "kubernetes");
    assert_eq!(who["policies"], json!(["default"]));
    assert!(
        !answer.text.contains("hvs."),
        "the token stays on the server"
    );
    assert!(answer.set_cookie().is_some());

    let refused = deck
        .call(
            "POST",
            "session",
            None,
            Some(login(jwt_of("stranger").await)),
        )
        .await
        .expect(403);
    assert!(
        refused.text.contains("service account name not authorized"),
        "{}",
        refused.text
    );
}

/// "What may this token do?" is asked of the cluster with the token itself: a token that may
/// only list pods in its namespace gets exactly that answer, though Vaultdeck's own identity
/// (the cluster's admin here) may do everything. A token the cluster refuses is named as such.
#[tokio::test]
async fn a_tokens_abilities_are_its_own_never_vaultdecks() {
    let cluster = cluster().await;
    let (lab, root) = lab().await;
    namespace_and_accounts(&cluster, "abilities", &["pod-lister"]).await;
    let rbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/abilities";
    admin(
        &cluster,
        "POST",
        &format!("{rbac}/roles"),
        json!({
            "metadata": { "name": "list-pods" },
            "rules": [{ "apiGroups": [""], "resources": ["pods"], "verbs": ["list"] }],
        }),
    )
    .await;
    admin(
        &cluster,
        "POST",
        &format!("{rbac}/rolebindings"),
        json!({
            "metadata": { "name": "pod-lister-lists-pods" },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "list-pods" },
            "subjects": [{ "kind": "ServiceAccount", "name": "pod-lister", "namespace": "abilities" }],
        }),
    )
    .await;
    let issued = admin(
        &cluster,
        "POST",
        "/api/v1/namespaces/abilities/serviceaccounts/pod-lister/token",
        json!({ "spec": { "expirationSeconds": 600 } }),
    )
    .await;
    let token = issued["status"]["token"].as_str().unwrap().to_string();
    let deck = deck_for(&lab.url(), &cluster).await;
    let session = deck.login_with_token(&root).await;
    let ask = |namespace: &str, verb: &str, resource: &str| json!({ "token": token, "namespace": namespace, "verb": verb, "resource": resource });

    let own = deck
        .call(
            "POST",
            "k8s/token-abilities",
            Some(&session),
            Some(ask("abilities", "list", "pods")),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(own["access"]["allowed"], true, "{own}");
    let lists_pods = own["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|rule| rule["resources"] == json!(["pods"]) && rule["verbs"] == json!(["list"]));
    assert!(lists_pods, "{own}");
    let everything = own["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|rule| rule["verbs"] == json!(["*"]) && rule["resources"] == json!(["*"]));
    assert!(!everything, "the admin's rules leaked in: {own}");

    let secrets = deck
        .call(
            "POST",
            "k8s/token-abilities",
            Some(&session),
            Some(ask("kube-system", "list", "secrets")),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(secrets["access"]["allowed"], false, "{secrets}");

    let forged = json!({ "token": "not-a-token", "namespace": "abilities" });
    let refused = deck
        .call("POST", "k8s/token-abilities", Some(&session), Some(forged))
        .await
        .expect(400);
    assert!(
        refused.text.contains("does not accept this token"),
        "{}",
        refused.text
    );

    deck.call(
        "POST",
        "k8s/token-abilities",
        None,
        Some(ask("abilities", "list", "pods")),
    )
    .await
    .expect(401);
}

/// The cluster pages of a Kubernetes secrets engine pass the same gate, on the engine's own
/// paths: reading its roles lets a user look at namespaces; creating service accounts needs
/// `update` on all of its roles and a configuration that points at this cluster; a mount
/// of another type, named as an engine, opens nothing.
#[tokio::test]
async fn a_secrets_engine_opens_the_cluster_on_its_own_paths() {
    let cluster = cluster().await;
    let (lab, root) = lab().await;
    let enable = |path: &str, kind: &str| {
        let (url, root, path, kind) = (lab.url(), root.clone(), path.to_string(), kind.to_string());
        async move {
            as_root(
                &url,
                &root,
                "POST",
                &format!("sys/mounts/{path}"),
                json!({ "type": kind }),
            )
            .await
        }
    };
    enable("k8s-engine", "kubernetes").await;
    enable("not-k8s", "kv").await;
    let policy = r#"
        path "k8s-engine/roles/*" { capabilities = ["read", "list"] }
        path "not-k8s/roles/*" { capabilities = ["read", "update", "list"] }
    "#;
    as_root(
        &lab.url(),
        &root,
        "PUT",
        "sys/policies/acl/engine-viewer",
        json!({ "policy": policy }),
    )
    .await;
    let viewer = create_token(&lab.url(), &root, json!({ "policies": ["engine-viewer"] })).await;
    let deck = deck_for(&lab.url(), &cluster).await;
    let viewer = deck.login_with_token(&viewer).await;

    let listed = deck
        .call(
            "GET",
            "k8s/namespaces?mount=k8s-engine&engine=secrets",
            Some(&viewer),
            None,
        )
        .await
        .expect(200);
    assert!(listed.text.contains("kube-system"), "{}", listed.text);
    // The same name as an auth method is another mount, which the viewer may not read.
    deck.call(
        "GET",
        "k8s/namespaces?mount=k8s-engine",
        Some(&viewer),
        None,
    )
    .await
    .expect(403);
    let not_kubernetes = deck
        .call(
            "GET",
            "k8s/namespaces?mount=not-k8s&engine=secrets",
            Some(&viewer),
            None,
        )
        .await
        .expect(403);
    assert!(
        not_kubernetes.text.contains("Kubernetes"),
        "{}",
        not_kubernetes.text
    );
    let create = json!({ "name": "engine-made", "create_namespace": true });
    let refused = deck
        .call(
            "POST",
            "k8s/namespaces/engine-gate/serviceaccounts?mount=k8s-engine&engine=secrets",
            Some(&viewer),
            Some(create.clone()),
        )
        .await
        .expect(403);
    assert!(
        refused.text.contains("“update” on k8s-engine/roles/*"),
        "{}",
        refused.text
    );

    // Root may act once the engine is configured for this very cluster.
    let admin_session = deck.login_with_token(&root).await;
    let url = "k8s/namespaces/engine-gate/serviceaccounts?mount=k8s-engine&engine=secrets";
    let unconfigured = deck
        .call("POST", url, Some(&admin_session), Some(create.clone()))
        .await;
    assert_eq!(unconfigured.status, 403, "{}", unconfigured.text);
    let config = json!({
        "kubernetes_host": cluster.api_url(),
        "kubernetes_ca_cert": cluster.ca_pem(),
        "disable_local_ca_jwt": true,
    });
    as_root(&lab.url(), &root, "POST", "k8s-engine/config", config).await;
    deck.call("POST", url, Some(&admin_session), Some(create))
        .await
        .expect(200);
}
