//! The Workloads check's endpoint against a real Vault (OpenBao or labvault) and the real
//! kube-apiserver: it lists a namespace's Deployments, StatefulSets and DaemonSets with what
//! the injector reads from their pod templates, only for a token that may read the auth
//! mount's roles, and never for a namespace that is not one.

mod common;

use common::{
    create_token,
    kube::{admin, as_root, cluster, deck_for, enable_auth, namespace_and_accounts},
    lab,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use testcluster::TestCluster;
use vaultdeck_app::delivery::workloads::{injection, lint, Facts, KvMount, Lint};

const NAMESPACE: &str = "workloads-apps";

/// A pod template: `annotations` on the template, and the service account when given.
fn template(app: &str, account: Option<&str>, annotations: Value) -> Value {
    let mut spec = json!({ "containers": [{ "name": "app", "image": "registry.example/app:1" }] });
    if let Some(account) = account {
        spec["serviceAccountName"] = json!(account);
    }
    json!({
        "metadata": { "labels": { "app": app }, "annotations": annotations },
        "spec": spec,
    })
}

async fn create(cluster: &TestCluster, plural: &str, name: &str, spec: Value) {
    let body = json!({
        "metadata": {
            "name": name,
            // On the workload itself, not its pods: the injector never reads it.
            "annotations": { "vault.hashicorp.com/role": "not-the-pods-role" },
        },
        "spec": spec,
    });
    let path = format!("/apis/apps/v1/namespaces/{NAMESPACE}/{plural}");
    admin(cluster, "POST", &path, body).await;
}

/// `webapp-one` (a Deployment annotated with a KV v2 path that lacks `data/`), `cache` (a
/// StatefulSet with no annotations and no service account) and `agent` (a DaemonSet).
async fn workloads(cluster: &TestCluster) {
    namespace_and_accounts(cluster, NAMESPACE, &["webapp-one"]).await;
    let injected = json!({
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/role": "webapp-one",
        "vault.hashicorp.com/agent-inject-secret-app_one": "kv/webapps/app_one",
        "prometheus.io/scrape": "true",
    });
    let selector = |app: &str| json!({ "matchLabels": { "app": app } });
    let deployment = json!({ "selector": selector("webapp-one"),
        "template": template("webapp-one", Some("webapp-one"), injected) });
    create(cluster, "deployments", "webapp-one", deployment).await;
    let stateful = json!({ "selector": selector("cache"), "serviceName": "cache",
        "template": template("cache", None, json!({})) });
    create(cluster, "statefulsets", "cache", stateful).await;
    let daemon = json!({ "selector": selector("agent"),
        "template": template("agent", Some("webapp-one"), json!({ "vault.hashicorp.com/agent-inject": "false" })) });
    create(cluster, "daemonsets", "agent", daemon).await;
}

fn by_name(answer: &Value) -> BTreeMap<String, Value> {
    answer["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["name"].as_str().unwrap().to_string(), w.clone()))
        .collect()
}

#[tokio::test]
async fn a_namespaces_workloads_with_their_accounts_and_injector_annotations() {
    let cluster = cluster().await;
    workloads(&cluster).await;
    let (vault, root) = lab().await;
    enable_auth(vault.url(), &root, "kubernetes", "kubernetes").await;
    let deck = deck_for(vault.url(), &cluster).await;
    let session = deck.login_with_token(&root).await;
    let path = format!("k8s/workloads?mount=kubernetes&namespace={NAMESPACE}");
    let answer = deck
        .call("GET", &path, Some(&session), None)
        .await
        .expect(200)
        .json();
    assert_eq!(answer["namespace"], NAMESPACE);
    let found = by_name(&answer);
    assert_eq!(found.len(), 3, "{answer}");
    let webapp = &found["webapp-one"];
    assert_eq!(webapp["kind"], "Deployment");
    assert_eq!(webapp["service_account"], "webapp-one");
    assert_eq!(
        webapp["annotations"],
        json!({
            "vault.hashicorp.com/agent-inject": "true",
            "vault.hashicorp.com/role": "webapp-one",
            "vault.hashicorp.com/agent-inject-secret-app_one": "kv/webapps/app_one",
        }),
        "only the pod template's injector annotations"
    );
    assert_eq!(found["cache"]["kind"], "StatefulSet");
    assert_eq!(found["cache"]["service_account"], "default");
    assert_eq!(found["cache"]["annotations"], json!({}));
    assert_eq!(found["agent"]["kind"], "DaemonSet");

    // What the page does with the answer: the missing `data/` is found, with its fix.
    let annotations: BTreeMap<String, String> =
        serde_json::from_value(webapp["annotations"].clone()).unwrap();
    let read = injection(&annotations).expect("agent-inject is true");
    let facts = Facts {
        kv_mounts: vec![KvMount {
            path: "kv".into(),
            version: 2,
        }],
        role_found_on: vec!["kubernetes".into()],
    };
    let mistakes = lint(&read, &facts);
    assert!(
        matches!(&mistakes[..], [Lint::MissingData { fixed, .. }] if fixed == "kv/data/webapps/app_one"),
        "{mistakes:?}"
    );
    let not_injected: BTreeMap<String, String> =
        serde_json::from_value(found["agent"]["annotations"].clone()).unwrap();
    assert_eq!(injection(&not_injected), None);
}

#[tokio::test]
async fn only_a_token_that_may_read_the_roles_sees_workloads_and_only_in_a_namespace() {
    let cluster = cluster().await;
    workloads(&cluster).await;
    let (vault, root) = lab().await;
    let url = vault.url();
    enable_auth(url, &root, "kubernetes", "kubernetes").await;
    enable_auth(url, &root, "userpass", "userpass").await;
    let policies = [
        (
            "roles-reader",
            r#"path "auth/kubernetes/role/" { capabilities = ["read", "list"] }"#,
        ),
        (
            "userpass-reader",
            r#"path "auth/userpass/users/" { capabilities = ["read", "list"] }
path "auth/userpass/role/" { capabilities = ["read"] }"#,
        ),
    ];
    for (name, policy) in policies {
        let path = format!("sys/policies/acl/{name}");
        as_root(url, &root, "PUT", &path, json!({ "policy": policy })).await;
    }
    let deck = deck_for(url, &cluster).await;
    let call = |token: String, path: String| {
        let deck = &deck;
        async move {
            let session = deck.login_with_token(&token).await;
            deck.call("GET", &path, Some(&session), None).await
        }
    };
    let ours = format!("k8s/workloads?mount=kubernetes&namespace={NAMESPACE}");
    let reader = create_token(url, &root, json!({ "policies": ["roles-reader"] })).await;
    let answer = call(reader.clone(), ours.clone()).await.expect(200).json();
    assert_eq!(by_name(&answer).len(), 3, "{answer}");

    let nobody = create_token(url, &root, json!({ "policies": ["default"] })).await;
    let refused = call(nobody, ours).await.expect(403).json();
    assert!(
        refused.to_string().contains("auth/kubernetes/role/"),
        "the refusal names the capability: {refused}"
    );
    // Reading another mount's roles says nothing about the cluster.
    let other = create_token(url, &root, json!({ "policies": ["userpass-reader"] })).await;
    let path = format!("k8s/workloads?mount=userpass&namespace={NAMESPACE}");
    call(other, path).await.expect(403);

    for namespace in ["workloads-apps%2F..%2F..%2Fsecrets", "Default", "..", ""] {
        let path = format!("k8s/workloads?mount=kubernetes&namespace={namespace}");
        call(reader.clone(), path).await.expect(400);
    }
}
