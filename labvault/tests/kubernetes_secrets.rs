//! The Kubernetes secrets engine and its leases, against a real kube-apiserver and
//! controller-manager (testcluster): config, roles, creds in the three kinds of role (an
//! existing service account; a generated one bound to an existing Role or ClusterRole; a
//! generated one bound to a Role generated from rules), and revoking the lease — by
//! `sys/leases`, by its token's revocation or expiry, by disabling the engine — deleting
//! what was made. The same checks run against OpenBao (the reference) and labvault.
//!
//! The engine acts as a service account holding the RBAC that OpenBao's docs give it. One
//! cluster serves the file; each test keeps to namespaces of its own.

mod common;

use base64::Engine;
use common::{differences, keys_of, Answer, Lab};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use testcluster::{Options, SharedCluster, TestCluster};

// ---------------------------------------------------------------- the cluster

async fn cluster() -> SharedCluster {
    testcluster::shared(Options {
        controller_manager: true,
        ..Options::default()
    })
    .await
    .expect("the test cluster starts (run `cargo xtask setup` first)")
}

async fn kube(cluster: &TestCluster, method: &str, path: &str, body: Option<Value>) -> Answer {
    let (status, body) = cluster
        .admin_call(method, path, body)
        .await
        .expect("the API server answers");
    Answer { status, body }
}

/// Creates an object as the admin; one that exists already will do.
async fn ensure(cluster: &TestCluster, path: &str, body: Value) {
    let answer = kube(cluster, "POST", path, Some(body)).await;
    assert!(
        answer.status < 300 || answer.status == 409,
        "Kubernetes answered {}: {}",
        answer.status,
        answer.body
    );
}

async fn namespace(cluster: &TestCluster, name: &str, labels: Value) {
    let body = json!({"apiVersion": "v1", "kind": "Namespace",
                      "metadata": {"name": name, "labels": labels}});
    ensure(cluster, "/api/v1/namespaces", body).await;
}

async fn service_account(cluster: &TestCluster, ns: &str, name: &str) {
    let body = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}});
    ensure(
        cluster,
        &format!("/api/v1/namespaces/{ns}/serviceaccounts"),
        body,
    )
    .await;
}

/// A Role in `ns` that lets its holders list pods there.
async fn pod_lister_role(cluster: &TestCluster, ns: &str) {
    let body = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "pod-lister"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}],
    });
    ensure(
        cluster,
        &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles"),
        body,
    )
    .await;
}

/// A ClusterRole that lets its holders list pods (the cluster's `view` stays empty: the
/// test cluster runs no aggregation controller).
async fn pod_lister_cluster_role(cluster: &TestCluster) {
    let body = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "sec-pod-lister"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}],
    });
    ensure(
        cluster,
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        body,
    )
    .await;
}

/// The engine's service account and its RBAC: OpenBao's docs' ClusterRole for every kind of
/// role, and `get` on namespaces for label selectors. Returns a token for it.
async fn engine_jwt(cluster: &TestCluster) -> String {
    namespace(cluster, "secrets-engine", json!({})).await;
    service_account(cluster, "secrets-engine", "vault").await;
    let rbac = "/apis/rbac.authorization.k8s.io/v1";
    let rules = json!([
        {"apiGroups": [""], "resources": ["serviceaccounts", "serviceaccounts/token"],
         "verbs": ["create", "update", "delete"]},
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings", "clusterrolebindings"],
         "verbs": ["create", "update", "delete"]},
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "clusterroles"],
         "verbs": ["bind", "escalate", "create", "update", "delete"]},
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
    ]);
    ensure(
        cluster,
        &format!("{rbac}/clusterroles"),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "secrets-engine"}, "rules": rules}),
    )
    .await;
    ensure(
        cluster,
        &format!("{rbac}/clusterrolebindings"),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "secrets-engine"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "secrets-engine"},
               "subjects": [{"kind": "ServiceAccount", "name": "vault", "namespace": "secrets-engine"}]}),
    )
    .await;
    let answer = kube(
        cluster,
        "POST",
        "/api/v1/namespaces/secrets-engine/serviceaccounts/vault/token",
        Some(
            json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                    "spec": {"expirationSeconds": 7200}}),
        ),
    )
    .await
    .expect(201);
    answer.body["status"]["token"].as_str().unwrap().to_string()
}

/// Who the cluster says a token is (`None` when it does not vouch for it).
async fn reviewed(cluster: &TestCluster, token: &str, audiences: &[&str]) -> Option<String> {
    let mut spec = json!({"token": token});
    if !audiences.is_empty() {
        spec["audiences"] = json!(audiences);
    }
    let answer = kube(
        cluster,
        "POST",
        "/apis/authentication.k8s.io/v1/tokenreviews",
        Some(
            json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": spec}),
        ),
    )
    .await
    .expect(201);
    let status = &answer.body["status"];
    (status["authenticated"] == true).then(|| status["user"]["username"].as_str().unwrap().into())
}

/// Whether `token` may list pods in `ns`.
async fn can_list_pods(cluster: &TestCluster, token: &str, ns: &str) -> bool {
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cluster.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let response = http
        .get(format!("{}/api/v1/namespaces/{ns}/pods", cluster.api_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    response.status().as_u16() == 200
}

async fn exists(cluster: &TestCluster, path: &str) -> bool {
    let answer = kube(cluster, "GET", path, None).await;
    assert!(matches!(answer.status, 200 | 404), "{}", answer.body);
    answer.status == 200
}

/// Waits until none of `paths` exists any more; false if they outlive `limit`.
async fn gone_within(cluster: &TestCluster, paths: &[String], limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        let mut any = false;
        for path in paths {
            any |= exists(cluster, path).await;
        }
        if !any {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn sa_path(ns: &str, name: &str) -> String {
    format!("/api/v1/namespaces/{ns}/serviceaccounts/{name}")
}

fn rbac_path(ns: Option<&str>, kind: &str, name: &str) -> String {
    match ns {
        Some(ns) => format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/{kind}/{name}"),
        None => format!("/apis/rbac.authorization.k8s.io/v1/{kind}/{name}"),
    }
}

/// The claims of a JWT.
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

// ---------------------------------------------------------------- the engine

async fn enable(lab: &Lab, mount: &str) {
    lab.root(
        "POST",
        &format!("sys/mounts/{mount}"),
        Some(json!({"type": "kubernetes"})),
    )
    .await
    .expect(204);
}

/// A server with the engine at `mount`, configured for the cluster as its service account.
async fn lab_for(cluster: &TestCluster, mount: &str) -> Lab {
    let lab = Lab::new().await;
    configure(&lab, cluster, mount).await;
    lab
}

async fn configure(lab: &Lab, cluster: &TestCluster, mount: &str) {
    enable(lab, mount).await;
    let config = json!({
        "kubernetes_host": cluster.api_url(),
        "kubernetes_ca_cert": cluster.ca_pem(),
        "service_account_jwt": engine_jwt(cluster).await,
    });
    lab.root("POST", &format!("{mount}/config"), Some(config))
        .await
        .expect(204);
}

async fn write_role(lab: &Lab, mount: &str, name: &str, role: Value) -> Answer {
    lab.root("POST", &format!("{mount}/roles/{name}"), Some(role))
        .await
}

async fn creds(lab: &Lab, mount: &str, role: &str, body: Value) -> Answer {
    lab.root("POST", &format!("{mount}/creds/{role}"), Some(body))
        .await
}

/// A generated name: `v-<display 8>-<role 8>-<unix time>-<24 random>`, lowercased.
#[track_caller]
fn assert_generated(name: &str, role: &str) {
    let rest = name
        .strip_prefix(&format!("v-token-{}-", &role[..role.len().min(8)]))
        .unwrap_or_else(|| panic!("{name} is not a generated name for {role}"));
    let (time, random) = rest.split_once('-').unwrap();
    assert!(time.parse::<u64>().is_ok(), "{name}");
    assert_eq!(random.len(), 24, "{name}");
    assert_eq!(name, name.to_lowercase());
}

/// The envelope of a creds answer, and its data's keys.
#[track_caller]
fn assert_leased(answer: &Answer, mount: &str, role: &str, ttl: u64) -> String {
    let lease_id = answer.body["lease_id"].as_str().unwrap().to_string();
    let random = lease_id
        .strip_prefix(&format!("{mount}/creds/{role}/"))
        .unwrap_or_else(|| panic!("lease {lease_id}"));
    assert_eq!(random.len(), 24);
    assert!(random.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(answer.body["renewable"], false);
    assert_eq!(answer.body["lease_duration"], ttl);
    assert_eq!(
        keys_of(answer.data()),
        [
            "service_account_name",
            "service_account_namespace",
            "service_account_token"
        ]
    );
    lease_id
}

// ---------------------------------------------------------------- config

#[tokio::test]
async fn config_merges_what_is_written_and_never_reads_back_the_jwt() {
    let lab = Lab::new().await;
    enable(&lab, "k8s").await;
    let missing = lab.root("GET", "k8s/config", None).await;
    assert_eq!((missing.status, missing.errors()), (404, vec![]));

    // Outside a pod a config must name its host.
    let no_host = lab
        .root("POST", "k8s/config", Some(json!({})))
        .await
        .expect(500);
    assert_eq!(
        no_host.errors(),
        ["1 error occurred:\n\t* kubernetes_host was unset and could not be determined from environment variables\n\n"]
    );
    lab.root(
        "POST",
        "k8s/config",
        Some(json!({"kubernetes_host": "https://k8s:6443", "service_account_jwt": "secret-jwt"})),
    )
    .await
    .expect(204);
    let read = lab.root("GET", "k8s/config", None).await.expect(200);
    assert_eq!(
        read.data(),
        &json!({"disable_local_ca_jwt": false, "kubernetes_ca_cert": "", "kubernetes_host": "https://k8s:6443"})
    );
    assert!(!read.body.to_string().contains("secret-jwt"));

    // A write changes what it names, but must name the host again.
    let again = lab
        .root(
            "POST",
            "k8s/config",
            Some(json!({"disable_local_ca_jwt": true})),
        )
        .await
        .expect(500);
    assert_eq!(again.errors(), no_host.errors());
    lab.root(
        "POST",
        "k8s/config",
        Some(json!({"kubernetes_host": "https://other:6443", "kubernetes_ca_cert": "not checked"})),
    )
    .await
    .expect(204);
    let read = lab.root("GET", "k8s/config", None).await.expect(200);
    assert_eq!(read.data()["kubernetes_ca_cert"], "not checked");
    assert_eq!(read.data()["kubernetes_host"], "https://other:6443");

    let bad = lab
        .root(
            "POST",
            "k8s/config",
            Some(json!({"kubernetes_host": "h", "disable_local_ca_jwt": "notabool"})),
        )
        .await
        .expect(400);
    assert_eq!(
        bad.errors(),
        ["Field validation failed: error converting input for field \"disable_local_ca_jwt\": '' cannot parse value as 'bool': strconv.ParseBool: invalid syntax"]
    );
    lab.root("DELETE", "k8s/config", None).await.expect(204);
    lab.root("DELETE", "k8s/config", None).await.expect(204);
    assert_eq!(lab.root("GET", "k8s/config", None).await.status, 404);

    let check = lab.root("GET", "k8s/check", None).await.expect(400);
    assert_eq!(
        check.errors(),
        ["Missing environment variables: KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT_HTTPS"]
    );
}

// ---------------------------------------------------------------- roles

#[tokio::test]
async fn roles_are_checked_in_the_plugins_order_and_words() {
    let lab = Lab::new().await;
    enable(&lab, "k8s").await;
    let ns = json!(["a"]);
    for (role, error) in [
        (json!({"service_account_name": "sa"}),
         "one (at least) of allowed_kubernetes_namespaces or allowed_kubernetes_namespace_selector must be set"),
        (json!({"allowed_kubernetes_namespaces": ns}),
         "one (and only one) of service_account_name, kubernetes_role_name or generated_role_rules must be set"),
        (json!({"allowed_kubernetes_namespaces": ns, "service_account_name": "sa", "kubernetes_role_name": "r"}),
         "one (and only one) of service_account_name, kubernetes_role_name or generated_role_rules must be set"),
        (json!({"allowed_kubernetes_namespaces": ns, "service_account_name": "sa",
                "token_default_ttl": "2h", "token_max_ttl": "1h"}),
         "token_default_ttl 2h0m0s cannot be greater than token_max_ttl 1h0m0s"),
        (json!({"allowed_kubernetes_namespaces": ns, "kubernetes_role_name": "r", "kubernetes_role_type": "Group"}),
         "kubernetes_role_type must be either 'Role' or 'ClusterRole'"),
        (json!({"allowed_kubernetes_namespace_selector": "[1, 2]", "service_account_name": "sa"}),
         "failed to parse 'allowed_kubernetes_namespace_selector' as k8s.io/api/meta/v1/LabelSelector object"),
        (json!({"allowed_kubernetes_namespaces": ns, "generated_role_rules": "rules: notalist"}),
         "failed to parse 'generated_role_rules' as k8s.io/api/rbac/v1/Policy object"),
        (json!({"allowed_kubernetes_namespaces": ns, "service_account_name": "sa", "name_template": "{{ .Foo "}),
         "unable to initialize name template: unable to parse template: template: template:1: unclosed action"),
        (json!({"allowed_kubernetes_namespaces": ns, "service_account_name": "sa", "token_max_ttl": -5}),
         "error converting input for field \"token_max_ttl\": cannot provide negative value '-5'"),
        (json!({"allowed_kubernetes_namespaces": ns, "service_account_name": "sa", "extra_labels": "bad"}),
         "error converting input for field \"extra_labels\": invalid key pair at index 0 in field \"extra_labels\""),
    ] {
        let answer = write_role(&lab, "k8s", "r", role.clone()).await;
        assert_eq!((answer.status, answer.errors()), (400, vec![error.to_string()]), "{role}");
    }
    let none = lab.root("LIST", "k8s/roles", None).await;
    assert_eq!((none.status, none.errors()), (404, vec![]));

    for (template, what) in [
        (r#"{{ if .RoleName }}{{ .RoleName }}{{ end }}"#, "if"),
        (r#"{{ timestamp "20060102" }}-{{ random 8 }}"#, "timestamp"),
    ] {
        let role = json!({"allowed_kubernetes_namespaces": ns, "service_account_name": "sa",
                          "name_template": template});
        let answer = write_role(&lab, "k8s", "t", role).await;
        match differences::kubernetes_name_template_refusal(lab.flavor(), what) {
            Some(refusal) => assert_eq!(answer.expect(400).errors(), [refusal]),
            None => drop(answer.expect(204)),
        }
    }
}

#[tokio::test]
async fn a_role_reads_back_the_plugins_shape() {
    let lab = Lab::new().await;
    enable(&lab, "k8s").await;
    let created = write_role(
        &lab,
        "k8s",
        "R2",
        json!({
            "allowed_kubernetes_namespaces": ["B", "a", " b ", "A", ""],
            "kubernetes_role_name": "edit",
            "kubernetes_role_type": "clusterrole",
            "token_default_ttl": "1h",
            "token_max_ttl": 7200,
            "token_default_audiences": "z,a,Z, a",
            "name_template": "{{ .RoleName }}-x",
            "extra_labels": {"l1": "v1"},
            "extra_annotations": "k1=v1,k2=v2",
            "bogus": "ignored",
        }),
    )
    .await
    .expect(204);
    assert_eq!(created.body, Value::Null);
    let read = lab.root("GET", "k8s/roles/r2", None).await.expect(200);
    assert_eq!(
        read.data(),
        &json!({
            "name": "r2",
            "allowed_kubernetes_namespaces": ["a", "b"],
            "allowed_kubernetes_namespace_selector": "",
            "token_default_ttl": 3600,
            "token_max_ttl": 7200,
            "token_default_audiences": ["Z", "a", "z"],
            "service_account_name": "",
            "kubernetes_role_name": "edit",
            "kubernetes_role_type": "ClusterRole",
            "generated_role_rules": "",
            "name_template": "{{ .RoleName }}-x",
            "extra_labels": {"l1": "v1"},
            "extra_annotations": {"k1": "v1,k2=v2"},
        })
    );
    assert_eq!(
        lab.root("GET", "k8s/roles/R2", None)
            .await
            .expect(200)
            .data(),
        read.data()
    );

    write_role(
        &lab,
        "k8s",
        "r1",
        json!({"allowed_kubernetes_namespaces": "*", "service_account_name": "sa"}),
    )
    .await
    .expect(204);
    let r1 = lab.root("GET", "k8s/roles/r1", None).await.expect(200);
    assert_eq!(r1.data()["kubernetes_role_type"], "Role");
    for unset in [
        "token_default_audiences",
        "extra_labels",
        "extra_annotations",
    ] {
        assert_eq!(r1.data()[unset], Value::Null, "{unset}");
    }

    // An update changes what it names; one that breaks the role leaves it as it was.
    lab.root(
        "PUT",
        "k8s/roles/r2",
        Some(json!({"token_default_ttl": 60})),
    )
    .await
    .expect(204);
    let read = lab.root("GET", "k8s/roles/r2", None).await.expect(200);
    assert_eq!(read.data()["token_default_ttl"], 60);
    assert_eq!(read.data()["kubernetes_role_name"], "edit");
    let broken = lab
        .root(
            "PUT",
            "k8s/roles/r2",
            Some(json!({"allowed_kubernetes_namespaces": ""})),
        )
        .await
        .expect(400);
    assert_eq!(
        broken.errors(),
        ["one (at least) of allowed_kubernetes_namespaces or allowed_kubernetes_namespace_selector must be set"]
    );
    let read = lab.root("GET", "k8s/roles/r2", None).await.expect(200);
    assert_eq!(
        read.data()["allowed_kubernetes_namespaces"],
        json!(["a", "b"])
    );

    write_role(
        &lab,
        "k8s",
        "r3",
        json!({"allowed_kubernetes_namespaces": "x", "service_account_name": "sa"}),
    )
    .await
    .expect(204);
    let list = lab.root("LIST", "k8s/roles", None).await.expect(200);
    assert_eq!(list.data(), &json!({"keys": ["r1", "r2", "r3"]}));
    let paged = lab
        .root("LIST", "k8s/roles?limit=1", None)
        .await
        .expect(200);
    let expected = match differences::kubernetes_secrets_roles_paginate(lab.flavor()) {
        true => json!(["r1"]),
        false => json!(["r1", "r2", "r3"]),
    };
    assert_eq!(paged.data()["keys"], expected);

    lab.root("DELETE", "k8s/roles/r3", None).await.expect(204);
    lab.root("DELETE", "k8s/roles/r3", None).await.expect(204);
    let gone = lab.root("GET", "k8s/roles/r3", None).await;
    assert_eq!((gone.status, gone.errors()), (404, vec![]));
}

// ---------------------------------------------------------------- creds refused

#[tokio::test]
async fn creds_are_refused_before_the_cluster_is_called() {
    let lab = Lab::new().await;
    enable(&lab, "k8s").await;
    let unknown = creds(&lab, "k8s", "nope", json!({})).await.expect(400);
    assert_eq!(unknown.errors(), ["role 'nope' does not exist"]);
    write_role(
        &lab,
        "k8s",
        "two",
        json!({"allowed_kubernetes_namespaces": "a,b", "service_account_name": "sa"}),
    )
    .await
    .expect(204);
    write_role(
        &lab,
        "k8s",
        "one",
        json!({"allowed_kubernetes_namespaces": "a", "service_account_name": "sa"}),
    )
    .await
    .expect(204);

    let product = differences::kubernetes_secrets_product(lab.flavor());
    let no_namespace = creds(&lab, "k8s", "two", json!({})).await.expect(500);
    assert_eq!(
        no_namespace.errors(),
        [format!("1 error occurred:\n\t* error verifying namespace: 'kubernetes_namespace' is required unless the {product} role has a single namespace specified\n\n")]
    );
    let outside = creds(&lab, "k8s", "two", json!({"kubernetes_namespace": "c"}))
        .await
        .expect(400);
    assert_eq!(
        outside.errors(),
        ["kubernetes_namespace 'c' is not present in role's allowed_kubernetes_namespaces or does not match role's label selector allowed_kubernetes_namespace_selector"]
    );
    let upper = creds(&lab, "k8s", "two", json!({"kubernetes_namespace": "A"}))
        .await
        .expect(400);
    assert!(upper.errors()[0].starts_with("kubernetes_namespace 'A' is not present"));
    let cluster_binding = creds(&lab, "k8s", "one", json!({"cluster_role_binding": true}))
        .await
        .expect(400);
    assert_eq!(
        cluster_binding.errors(),
        ["a ClusterRoleBinding cannot ref a Role"]
    );
    let no_config = creds(&lab, "k8s", "ONE", json!({})).await.expect(500);
    assert_eq!(
        no_config.errors(),
        ["1 error occurred:\n\t* could not load backend configuration\n\n"]
    );
    let bad_ttl = creds(&lab, "k8s", "one", json!({"ttl": "bad"}))
        .await
        .expect(400);
    assert_eq!(
        bad_ttl.errors(),
        ["Field validation failed: error converting input for field \"ttl\": strconv.ParseInt: parsing \"ba\": invalid syntax"]
    );
    let get = lab.root("GET", "k8s/creds/one", None).await.expect(405);
    assert_eq!(
        get.errors(),
        ["1 error occurred:\n\t* unsupported operation\n\n"]
    );
}

#[tokio::test]
async fn creds_say_why_the_cluster_could_not_be_reached() {
    const LOCAL_CA: &str = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
    let lab = Lab::new().await;
    enable(&lab, "k8s").await;
    write_role(
        &lab,
        "k8s",
        "one",
        json!({"allowed_kubernetes_namespaces": "a", "service_account_name": "sa"}),
    )
    .await
    .expect(204);
    let host = "https://127.0.0.1:1";
    let config = |extra: Value| {
        let mut config = json!({"kubernetes_host": host});
        config
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        Some(config)
    };
    if !std::path::Path::new(LOCAL_CA).exists() {
        // Outside a pod, without a CA of its own the engine looks for the pod's.
        lab.root("POST", "k8s/config", config(json!({})))
            .await
            .expect(204);
        let answer = creds(&lab, "k8s", "one", json!({})).await.expect(500);
        assert_eq!(
            answer.errors(),
            [format!(
                "1 error occurred:\n\t* open {LOCAL_CA}: no such file or directory\n\n"
            )]
        );
    }
    lab.root(
        "POST",
        "k8s/config",
        config(json!({"kubernetes_ca_cert": "notpem"})),
    )
    .await
    .expect(204);
    let answer = creds(&lab, "k8s", "one", json!({})).await.expect(500);
    assert_eq!(
        answer.errors(),
        ["1 error occurred:\n\t* unable to load root certificates: unable to parse bytes as PEM block\n\n"]
    );
    lab.root(
        "POST",
        "k8s/config",
        config(json!({"kubernetes_ca_cert": "", "disable_local_ca_jwt": true})),
    )
    .await
    .expect(204);
    let answer = creds(&lab, "k8s", "one", json!({})).await.expect(500);
    assert_eq!(
        answer.errors(),
        [format!("1 error occurred:\n\t* failed to create a service account token for a/sa: Post \"{host}/api/v1/namespaces/a/serviceaccounts/sa/token\": dial tcp 127.0.0.1:1: connect: connection refused\n\n")]
    );
}

// ---------------------------------------------------------------- the three kinds of role

#[tokio::test]
async fn an_existing_service_account_gets_a_token_with_the_ttl_and_audiences_asked() {
    let cluster = cluster().await;
    namespace(&cluster, "sec-existing", json!({})).await;
    service_account(&cluster, "sec-existing", "app").await;
    let lab = lab_for(&cluster, "k8s").await;
    write_role(
        &lab,
        "k8s",
        "app",
        json!({
            "allowed_kubernetes_namespaces": "sec-existing",
            "service_account_name": "app",
            "token_default_ttl": "1h",
        }),
    )
    .await
    .expect(204);

    let answer = creds(&lab, "k8s", "app", json!({"unknown_field": 1}))
        .await
        .expect(200);
    let lease_id = assert_leased(&answer, "k8s", "app", 3600);
    assert_eq!(answer.data()["service_account_name"], "app");
    assert_eq!(answer.data()["service_account_namespace"], "sec-existing");
    assert_eq!(
        answer.warnings(),
        ["Endpoint ignored these unrecognized parameters: [unknown_field]"]
    );
    let token = answer.data()["service_account_token"].as_str().unwrap();
    assert_eq!(
        reviewed(&cluster, token, &[]).await.as_deref(),
        Some("system:serviceaccount:sec-existing:app")
    );
    let jwt = claims(token);
    assert_eq!(
        jwt["exp"].as_u64().unwrap() - jwt["iat"].as_u64().unwrap(),
        3600
    );
    assert_eq!(jwt["aud"], json!(["https://kubernetes.default.svc"]));

    let asked = creds(
        &lab,
        "k8s",
        "App",
        json!({"ttl": "15m", "audiences": "vault,other"}),
    )
    .await
    .expect(200);
    assert_leased(&asked, "k8s", "App", 900);
    let token = asked.data()["service_account_token"].as_str().unwrap();
    let jwt = claims(token);
    assert_eq!(
        jwt["exp"].as_u64().unwrap() - jwt["iat"].as_u64().unwrap(),
        900
    );
    assert_eq!(jwt["aud"], json!(["vault", "other"]));
    assert_eq!(
        reviewed(&cluster, token, &["vault"]).await.as_deref(),
        Some("system:serviceaccount:sec-existing:app")
    );
    assert_eq!(reviewed(&cluster, token, &[]).await, None);

    // The cluster's own refusals come back in its words.
    let short = creds(&lab, "k8s", "app", json!({"ttl": 60}))
        .await
        .expect(500);
    assert_eq!(
        short.errors(),
        ["1 error occurred:\n\t* failed to create a service account token for sec-existing/app: TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes\n\n"]
    );
    write_role(
        &lab,
        "k8s",
        "ghost",
        json!({"allowed_kubernetes_namespaces": "sec-existing", "service_account_name": "ghost"}),
    )
    .await
    .expect(204);
    let ghost = creds(&lab, "k8s", "ghost", json!({})).await.expect(500);
    assert_eq!(
        ghost.errors(),
        ["1 error occurred:\n\t* failed to create a service account token for sec-existing/ghost: serviceaccounts \"ghost\" not found\n\n"]
    );

    // Revoking creates nothing to delete: the account stays, its token lives on.
    lab.root(
        "PUT",
        "sys/leases/revoke",
        Some(json!({"lease_id": lease_id})),
    )
    .await
    .expect(204);
    assert!(exists(&cluster, &sa_path("sec-existing", "app")).await);
}

/// The objects of a generated account, checked for the plugin's labels and owners.
async fn assert_made(
    cluster: &TestCluster,
    path: &str,
    owner: Option<(&str, &str)>,
    annotations: Value,
) -> Value {
    let object = kube(cluster, "GET", path, None).await.expect(200).body;
    let labels = &object["metadata"]["labels"];
    assert_eq!(
        labels["app.kubernetes.io/managed-by"], "HashiCorp-Vault",
        "{object}"
    );
    assert_eq!(
        labels["app.kubernetes.io/created-by"],
        "vault-plugin-secrets-kubernetes"
    );
    assert_eq!(labels["team"], "lab");
    assert_eq!(object["metadata"]["annotations"], annotations);
    match owner {
        Some((kind, name)) => {
            let reference = &object["metadata"]["ownerReferences"][0];
            assert_eq!(reference["kind"], kind, "{object}");
            assert_eq!(reference["name"], name);
            assert_eq!(reference["apiVersion"], "rbac.authorization.k8s.io/v1");
            assert!(reference["uid"].as_str().is_some_and(|u| !u.is_empty()));
            assert!(reference.get("controller").is_none());
        }
        None => assert!(
            object["metadata"].get("ownerReferences").is_none(),
            "{object}"
        ),
    }
    object
}

#[tokio::test]
async fn a_generated_account_is_bound_to_an_existing_role_until_the_lease_is_revoked() {
    let cluster = cluster().await;
    let ns = "sec-bound";
    namespace(&cluster, ns, json!({})).await;
    pod_lister_role(&cluster, ns).await;
    let lab = lab_for(&cluster, "k8s").await;
    write_role(
        &lab,
        "k8s",
        "bind-role",
        json!({
            "allowed_kubernetes_namespaces": [ns],
            "kubernetes_role_name": "pod-lister",
            "extra_labels": {"team": "lab", "app.kubernetes.io/managed-by": "me"},
            "extra_annotations": {"note": "from a test"},
        }),
    )
    .await
    .expect(204);

    let answer = creds(&lab, "k8s", "bind-role", json!({"ttl": "10m"}))
        .await
        .expect(200);
    let lease_id = assert_leased(&answer, "k8s", "bind-role", 600);
    let name = answer.data()["service_account_name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_generated(&name, "bind-role");
    let token = answer.data()["service_account_token"].as_str().unwrap();
    assert_eq!(
        reviewed(&cluster, token, &[]).await,
        Some(format!("system:serviceaccount:{ns}:{name}"))
    );
    assert!(can_list_pods(&cluster, token, ns).await);
    assert!(!can_list_pods(&cluster, token, "default").await);

    let annotations = json!({"note": "from a test"});
    let binding = rbac_path(Some(ns), "rolebindings", &name);
    let made = assert_made(&cluster, &binding, None, annotations.clone()).await;
    assert_eq!(
        made["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-lister"})
    );
    assert_eq!(
        made["subjects"],
        json!([{"kind": "ServiceAccount", "name": name, "namespace": ns}])
    );
    assert_made(
        &cluster,
        &sa_path(ns, &name),
        Some(("RoleBinding", &name)),
        annotations,
    )
    .await;

    let lookup = lab
        .root(
            "PUT",
            "sys/leases/lookup",
            Some(json!({"lease_id": lease_id})),
        )
        .await
        .expect(200);
    assert_eq!(
        keys_of(lookup.data()),
        [
            "expire_time",
            "id",
            "issue_time",
            "last_renewal",
            "path",
            "renewable",
            "ttl"
        ]
    );
    assert_eq!(lookup.data()["id"], lease_id);
    assert_eq!(lookup.data()["path"], "k8s/creds/bind-role");
    assert_eq!(lookup.data()["renewable"], false);
    assert_eq!(lookup.data()["last_renewal"], Value::Null);
    let ttl = lookup.data()["ttl"].as_i64().unwrap();
    assert!((590..=600).contains(&ttl), "{ttl}");

    lab.root("PUT", &format!("sys/leases/revoke/{lease_id}"), None)
        .await
        .expect(204);
    assert!(!exists(&cluster, &binding).await);
    assert!(!exists(&cluster, &sa_path(ns, &name)).await);
    let gone = lab
        .root(
            "PUT",
            "sys/leases/lookup",
            Some(json!({"lease_id": lease_id})),
        )
        .await
        .expect(400);
    assert_eq!(gone.errors(), ["invalid lease"]);
}

#[tokio::test]
async fn a_cluster_role_binding_is_made_and_revoked_by_prefix() {
    let cluster = cluster().await;
    let ns = "sec-cluster";
    namespace(&cluster, ns, json!({})).await;
    pod_lister_cluster_role(&cluster).await;
    let lab = lab_for(&cluster, "kube").await;
    write_role(
        &lab,
        "kube",
        "viewer",
        json!({
            "allowed_kubernetes_namespaces": "*",
            "kubernetes_role_name": "sec-pod-lister",
            "kubernetes_role_type": "ClusterRole",
            "extra_labels": "team=lab",
        }),
    )
    .await
    .expect(204);
    let answer = creds(
        &lab,
        "kube",
        "viewer",
        json!({"kubernetes_namespace": ns, "cluster_role_binding": true, "ttl": 600}),
    )
    .await
    .expect(200);
    assert_leased(&answer, "kube", "viewer", 600);
    let name = answer.data()["service_account_name"]
        .as_str()
        .unwrap()
        .to_string();
    let binding = rbac_path(None, "clusterrolebindings", &name);
    let made = assert_made(&cluster, &binding, None, Value::Null).await;
    assert_eq!(made["roleRef"]["kind"], "ClusterRole");
    assert_eq!(made["subjects"][0]["namespace"], ns);
    assert_made(
        &cluster,
        &sa_path(ns, &name),
        Some(("ClusterRoleBinding", &name)),
        Value::Null,
    )
    .await;
    let token = answer.data()["service_account_token"].as_str().unwrap();
    assert!(can_list_pods(&cluster, token, "default").await);

    let listed = lab
        .root("LIST", "sys/leases/lookup/kube/creds", None)
        .await
        .expect(200);
    assert_eq!(listed.data()["keys"], json!(["viewer/"]));
    let leases = lab
        .root("LIST", "sys/leases/lookup/kube/creds/viewer/", None)
        .await
        .expect(200);
    assert_eq!(leases.data()["keys"].as_array().unwrap().len(), 1);
    lab.root("PUT", "sys/leases/revoke-prefix/kube/creds", None)
        .await
        .expect(204);
    assert!(!exists(&cluster, &binding).await);
    assert!(!exists(&cluster, &sa_path(ns, &name)).await);
    let none = lab.root("LIST", "sys/leases/lookup/kube/creds", None).await;
    assert_eq!((none.status, none.errors()), (404, vec![]));
}

#[tokio::test]
async fn generated_rules_make_a_role_that_goes_with_the_token_that_asked() {
    let cluster = cluster().await;
    let ns = "sec-rules";
    namespace(&cluster, ns, json!({})).await;
    let lab = lab_for(&cluster, "k8s").await;
    write_role(&lab, "k8s", "gen", json!({
        "allowed_kubernetes_namespaces": ns,
        "generated_role_rules": "rules:\n- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [list]\n",
        "extra_labels": {"team": "lab"},
    }))
    .await
    .expect(204);
    // The lease belongs to the token that asked for it.
    let asker = lab.token(json!({"policies": ["root"], "ttl": "1h"})).await;
    let answer = lab
        .call(
            "POST",
            "k8s/creds/gen",
            Some(&asker),
            Some(json!({"ttl": 600})),
        )
        .await
        .expect(200);
    let name = answer.data()["service_account_name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_generated(&name, "gen");
    let role = rbac_path(Some(ns), "roles", &name);
    let made = assert_made(&cluster, &role, None, Value::Null).await;
    assert_eq!(
        made["rules"],
        json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}])
    );
    let binding = rbac_path(Some(ns), "rolebindings", &name);
    let made = assert_made(&cluster, &binding, Some(("Role", &name)), Value::Null).await;
    assert_eq!(made["roleRef"]["name"], name);
    assert_made(
        &cluster,
        &sa_path(ns, &name),
        Some(("Role", &name)),
        Value::Null,
    )
    .await;
    let token = answer.data()["service_account_token"].as_str().unwrap();
    assert!(can_list_pods(&cluster, token, ns).await);

    // Revoking the token revokes its leases (soon after, as the expiration manager runs).
    lab.call("POST", "auth/token/revoke-self", Some(&asker), None)
        .await
        .expect(204);
    let made = [role, binding, sa_path(ns, &name)];
    assert!(
        gone_within(&cluster, &made, Duration::from_secs(15)).await,
        "{made:?} outlived the token"
    );
    let lease_id = answer.body["lease_id"].as_str().unwrap();
    let gone = lab
        .root(
            "PUT",
            "sys/leases/lookup",
            Some(json!({"lease_id": lease_id})),
        )
        .await
        .expect(400);
    assert_eq!(gone.errors(), ["invalid lease"]);
}

#[tokio::test]
async fn a_generated_cluster_role_expires_with_its_token() {
    let cluster = cluster().await;
    let ns = "sec-expiry";
    namespace(&cluster, ns, json!({})).await;
    let lab = lab_for(&cluster, "k8s").await;
    write_role(&lab, "k8s", "gen-cr", json!({
        "allowed_kubernetes_namespaces": ns,
        "kubernetes_role_type": "ClusterRole",
        "generated_role_rules": r#"{"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["list"]}]}"#,
        "name_template": "{{ printf \"custom-%s-%s\" .RoleName (random 6) | lowercase }}",
        "extra_labels": {"team": "lab"},
    }))
    .await
    .expect(204);
    let short_lived = lab.token(json!({"policies": ["root"], "ttl": "4s"})).await;
    let answer = lab
        .call(
            "POST",
            "k8s/creds/gen-cr",
            Some(&short_lived),
            Some(json!({"ttl": "20m"})),
        )
        .await
        .expect(200);
    assert_leased(&answer, "k8s", "gen-cr", 1200);
    let name = answer.data()["service_account_name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        name.starts_with("custom-gen-cr-") && name.len() == "custom-gen-cr-".len() + 6,
        "{name}"
    );
    let role = rbac_path(None, "clusterroles", &name);
    assert_made(&cluster, &role, None, Value::Null).await;
    let binding = rbac_path(Some(ns), "rolebindings", &name);
    let made = assert_made(
        &cluster,
        &binding,
        Some(("ClusterRole", &name)),
        Value::Null,
    )
    .await;
    assert_eq!(made["roleRef"]["kind"], "ClusterRole");
    let made = [role, binding, sa_path(ns, &name)];
    assert!(
        gone_within(&cluster, &made, Duration::from_secs(20)).await,
        "{made:?} outlived the token"
    );
}

#[tokio::test]
async fn a_namespace_selector_admits_labelled_namespaces() {
    let cluster = cluster().await;
    namespace(&cluster, "sec-labelled", json!({"team": "lab"})).await;
    namespace(&cluster, "sec-unlabelled", json!({})).await;
    for ns in ["sec-labelled", "sec-unlabelled"] {
        service_account(&cluster, ns, "app").await;
    }
    let lab = lab_for(&cluster, "k8s").await;
    write_role(
        &lab,
        "k8s",
        "sel",
        json!({
            "allowed_kubernetes_namespace_selector": "matchLabels:\n  team: lab\n",
            "service_account_name": "app",
        }),
    )
    .await
    .expect(204);
    let answer = creds(
        &lab,
        "k8s",
        "sel",
        json!({"kubernetes_namespace": "sec-labelled", "ttl": 600}),
    )
    .await
    .expect(200);
    assert_eq!(answer.data()["service_account_namespace"], "sec-labelled");
    let refused = creds(
        &lab,
        "k8s",
        "sel",
        json!({"kubernetes_namespace": "sec-unlabelled"}),
    )
    .await
    .expect(400);
    assert!(refused.errors()[0].starts_with("kubernetes_namespace 'sec-unlabelled' is not present"));
    let missing = creds(
        &lab,
        "k8s",
        "sel",
        json!({"kubernetes_namespace": "sec-nowhere"}),
    )
    .await
    .expect(500);
    assert_eq!(
        missing.errors(),
        ["1 error occurred:\n\t* error verifying namespace: namespaces \"sec-nowhere\" not found\n\n"]
    );
}

// ---------------------------------------------------------------- leases

#[tokio::test]
async fn lease_endpoints_answer_in_vaults_shapes_and_words() {
    let cluster = cluster().await;
    let ns = "sec-leases";
    namespace(&cluster, ns, json!({})).await;
    pod_lister_role(&cluster, ns).await;
    let lab = lab_for(&cluster, "k8s").await;
    write_role(
        &lab,
        "k8s",
        "bind",
        json!({"allowed_kubernetes_namespaces": ns, "kubernetes_role_name": "pod-lister"}),
    )
    .await
    .expect(204);
    let answer = creds(&lab, "k8s", "bind", json!({"ttl": 600}))
        .await
        .expect(200);
    let lease_id = answer.body["lease_id"].as_str().unwrap().to_string();
    let name = answer.data()["service_account_name"]
        .as_str()
        .unwrap()
        .to_string();

    for (path, body) in [
        ("sys/leases/lookup", json!({})),
        ("sys/leases/renew", json!({})),
        ("sys/leases/revoke", json!({})),
    ] {
        let answer = lab.root("PUT", path, Some(body)).await.expect(400);
        assert_eq!(answer.errors(), ["lease_id must be specified"], "{path}");
    }
    let unknown = lab
        .root(
            "PUT",
            "sys/leases/lookup",
            Some(json!({"lease_id": "k8s/creds/bind/nope"})),
        )
        .await
        .expect(400);
    assert_eq!(unknown.errors(), ["invalid lease"]);
    let get = lab.root("GET", "sys/leases/lookup", None).await.expect(405);
    assert_eq!(
        get.errors(),
        ["1 error occurred:\n\t* unsupported operation\n\n"]
    );
    let renew = lab
        .root(
            "PUT",
            "sys/leases/renew",
            Some(json!({"lease_id": lease_id, "increment": 60})),
        )
        .await
        .expect(400);
    assert_eq!(renew.errors(), ["lease is not renewable"]);
    let renew = lab
        .root("PUT", &format!("sys/leases/renew/{lease_id}"), None)
        .await
        .expect(400);
    assert_eq!(renew.errors(), ["lease is not renewable"]);
    let renew = lab
        .root("PUT", "sys/leases/renew/k8s/creds/bind/nope", None)
        .await
        .expect(400);
    assert_eq!(renew.errors(), ["lease not found"]);
    lab.root(
        "PUT",
        "sys/leases/revoke",
        Some(json!({"lease_id": "k8s/creds/bind/nope"})),
    )
    .await
    .expect(204);

    let top = lab
        .root("LIST", "sys/leases/lookup/", None)
        .await
        .expect(200);
    let mut expected = vec![json!("k8s/")];
    if differences::token_leases_listed(lab.flavor()) {
        expected.insert(0, json!("auth/"));
    }
    assert_eq!(top.data()["keys"], json!(expected));
    let under = lab
        .root("LIST", "sys/leases/lookup/k8s/creds/bind", None)
        .await
        .expect(200);
    assert_eq!(
        under.data()["keys"],
        json!([lease_id.rsplit('/').next().unwrap()])
    );
    let nothing = lab.root("LIST", "sys/leases/lookup/nowhere", None).await;
    assert_eq!((nothing.status, nothing.errors()), (404, vec![]));

    // An engine that cannot revoke keeps the lease and says why.
    lab.root("DELETE", "k8s/config", None).await.expect(204);
    let failed = lab
        .root(
            "PUT",
            "sys/leases/revoke",
            Some(json!({"lease_id": lease_id})),
        )
        .await
        .expect(400);
    assert_eq!(
        failed.errors(),
        ["failed to revoke entry: resp: (*logical.Response)(nil) err: could not load backend configuration"]
    );
    let by_prefix = lab
        .root("PUT", "sys/leases/revoke-prefix/k8s/creds/bind", None)
        .await
        .expect(400);
    assert_eq!(
        by_prefix.errors(),
        [format!("failed to revoke \"{lease_id}\" (1 / 1): failed to revoke entry: resp: (*logical.Response)(nil) err: could not load backend configuration")]
    );
    assert!(exists(&cluster, &sa_path(ns, &name)).await);

    // Configured again, the lease goes as it expires: `sync=false` expires it now.
    configure_again(&lab, &cluster).await;
    lab.root(
        "PUT",
        "sys/leases/revoke",
        Some(json!({"lease_id": lease_id, "sync": false})),
    )
    .await
    .expect(202);
    let made = [
        rbac_path(Some(ns), "rolebindings", &name),
        sa_path(ns, &name),
    ];
    assert!(
        gone_within(&cluster, &made, Duration::from_secs(15)).await,
        "{made:?} outlived the lease"
    );
}

async fn configure_again(lab: &Lab, cluster: &TestCluster) {
    let config = json!({
        "kubernetes_host": cluster.api_url(),
        "kubernetes_ca_cert": cluster.ca_pem(),
        "service_account_jwt": engine_jwt(cluster).await,
    });
    lab.root("POST", "k8s/config", Some(config))
        .await
        .expect(204);
}

#[tokio::test]
async fn disabling_the_engine_revokes_its_leases() {
    let cluster = cluster().await;
    let ns = "sec-unmount";
    namespace(&cluster, ns, json!({})).await;
    pod_lister_role(&cluster, ns).await;
    let lab = lab_for(&cluster, "k8s").await;
    write_role(
        &lab,
        "k8s",
        "bind",
        json!({"allowed_kubernetes_namespaces": ns, "kubernetes_role_name": "pod-lister"}),
    )
    .await
    .expect(204);
    let answer = creds(&lab, "k8s", "bind", json!({"ttl": 600}))
        .await
        .expect(200);
    let name = answer.data()["service_account_name"]
        .as_str()
        .unwrap()
        .to_string();
    lab.root("DELETE", "sys/mounts/k8s", None).await.expect(204);
    assert!(!exists(&cluster, &sa_path(ns, &name)).await);
    assert!(!exists(&cluster, &rbac_path(Some(ns), "rolebindings", &name)).await);
}

#[tokio::test]
async fn leases_outlive_a_restart_and_expire_after_it() {
    let cluster = cluster().await;
    let ns = "sec-restart";
    namespace(&cluster, ns, json!({})).await;
    pod_lister_role(&cluster, ns).await;
    let mut lab = Lab::initialized(1, 1).await;
    configure(&lab, &cluster, "k8s").await;
    write_role(
        &lab,
        "k8s",
        "bind",
        json!({"allowed_kubernetes_namespaces": ns, "kubernetes_role_name": "pod-lister"}),
    )
    .await
    .expect(204);
    let short_lived = lab.token(json!({"policies": ["root"], "ttl": "12s"})).await;
    let answer = lab
        .call(
            "POST",
            "k8s/creds/bind",
            Some(&short_lived),
            Some(json!({"ttl": 600})),
        )
        .await
        .expect(200);
    let lease_id = answer.body["lease_id"].as_str().unwrap().to_string();
    let name = answer.data()["service_account_name"]
        .as_str()
        .unwrap()
        .to_string();

    lab.vault.restart().await.expect("the server restarts");
    lab.vault.unseal().await.expect("the server unseals");
    let lookup = lab
        .root(
            "PUT",
            "sys/leases/lookup",
            Some(json!({"lease_id": lease_id})),
        )
        .await
        .expect(200);
    assert_eq!(lookup.data()["path"], "k8s/creds/bind");
    assert!(exists(&cluster, &sa_path(ns, &name)).await);
    let made = [
        rbac_path(Some(ns), "rolebindings", &name),
        sa_path(ns, &name),
    ];
    assert!(
        gone_within(&cluster, &made, Duration::from_secs(30)).await,
        "{made:?} outlived the token"
    );
}
