//! The Kubernetes auth method against a real kube-apiserver (testcluster): config, roles,
//! and logins whose TokenReview the cluster really answers — against Vault's API docs and
//! vault-plugin-auth-kubernetes' source.
//!
//! One cluster serves every test of this file that needs one: it starts with the first and
//! stops when the last user lets go. Tests stay apart by using their own namespaces.

mod common;

use base64::Engine;
use common::{differences, keys_of, Answer, Lab};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use testcluster::{Options, SharedCluster, TestCluster};

// ---------------------------------------------------------------- the shared cluster

/// The file's cluster. The controller manager fills legacy service-account token Secrets.
async fn cluster() -> SharedCluster {
    testcluster::shared(Options {
        controller_manager: true,
        ..Options::default()
    })
    .await
    .expect("the test cluster starts (run `cargo xtask setup` first)")
}

// ---------------------------------------------------------------- Kubernetes, as the admin

/// One API call as the cluster's admin: status and JSON body.
async fn kube(cluster: &TestCluster, method: &str, path: &str, body: Option<Value>) -> Answer {
    let (status, body) = cluster
        .admin_call(method, path, body)
        .await
        .expect("the API server answers");
    Answer { status, body }
}

#[track_caller]
fn created(answer: Answer) -> Value {
    assert!(
        answer.status < 300 || answer.status == 409,
        "Kubernetes answered {}: {}",
        answer.status,
        answer.body
    );
    answer.body
}

/// Creates the namespace (if needed) and a service account in it.
async fn service_account(cluster: &TestCluster, ns: &str, name: &str) {
    created(
        kube(
            cluster,
            "POST",
            "/api/v1/namespaces",
            Some(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})),
        )
        .await,
    );
    created(
        kube(
            cluster,
            "POST",
            &format!("/api/v1/namespaces/{ns}/serviceaccounts"),
            Some(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}})),
        )
        .await,
    );
}

/// A TokenRequest token (projected form), for `audiences` or the API server's default.
async fn token_for(cluster: &TestCluster, ns: &str, name: &str, audiences: &[&str]) -> String {
    let mut spec = json!({"expirationSeconds": 3600});
    if !audiences.is_empty() {
        spec["audiences"] = json!(audiences);
    }
    let answer = kube(
        cluster,
        "POST",
        &format!("/api/v1/namespaces/{ns}/serviceaccounts/{name}/token"),
        Some(
            json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}),
        ),
    )
    .await
    .expect(201);
    answer.body["status"]["token"].as_str().unwrap().to_string()
}

/// Lets the service account create TokenReviews (`system:auth-delegator`), as Vault's
/// reviewer needs.
async fn bind_auth_delegator(cluster: &TestCluster, ns: &str, name: &str) {
    created(
        kube(
            cluster,
            "POST",
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            Some(json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": format!("{ns}-{name}-tokenreview")},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "system:auth-delegator",
                },
                "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}],
            })),
        )
        .await,
    );
}

/// A reviewer service account bound to `system:auth-delegator`, and its token.
async fn reviewer_jwt(cluster: &TestCluster, ns: &str) -> String {
    service_account(cluster, ns, "vault-reviewer").await;
    bind_auth_delegator(cluster, ns, "vault-reviewer").await;
    token_for(cluster, ns, "vault-reviewer", &[]).await
}

/// A service account's uid.
async fn uid_of(cluster: &TestCluster, ns: &str, name: &str) -> String {
    let answer = kube(
        cluster,
        "GET",
        &format!("/api/v1/namespaces/{ns}/serviceaccounts/{name}"),
        None,
    )
    .await
    .expect(200);
    answer.body["metadata"]["uid"].as_str().unwrap().to_string()
}

// ---------------------------------------------------------------- labvault

/// A labvault with the Kubernetes auth method at `mount`, configured for the cluster.
async fn lab_for(cluster: &TestCluster, mount: &str, reviewer: Option<&str>) -> Lab {
    let lab = Lab::new().await;
    enable(&lab, mount).await;
    let mut config = json!({
        "kubernetes_host": cluster.api_url(),
        "kubernetes_ca_cert": cluster.ca_pem(),
        // Outside a pod there is no local CA or token; inside one, these tests must not
        // pick them up either.
        "disable_local_ca_jwt": true,
    });
    if let Some(reviewer) = reviewer {
        config["token_reviewer_jwt"] = json!(reviewer);
    }
    lab.root("POST", &format!("auth/{mount}/config"), Some(config))
        .await
        .expect(204);
    lab
}

async fn enable(lab: &Lab, mount: &str) {
    lab.root(
        "POST",
        &format!("sys/auth/{mount}"),
        Some(json!({ "type": "kubernetes" })),
    )
    .await
    .expect(204);
}

async fn write_role(lab: &Lab, mount: &str, name: &str, role: Value) -> Answer {
    lab.root("POST", &format!("auth/{mount}/role/{name}"), Some(role))
        .await
}

/// A role binding one service account in one namespace, written as root.
async fn bind_role(lab: &Lab, mount: &str, role: &str, account: &str, namespace: &str) {
    let body = json!({
        "bound_service_account_names": account,
        "bound_service_account_namespaces": namespace,
    });
    let answer = write_role(lab, mount, role, body).await;
    assert_written_without_audience(lab, answer, role);
}

/// A role write without an audience: stored, with the warning Vault's plugin gives (a 200
/// with `data` null), or a plain 204 from OpenBao's fork, which does not warn.
#[track_caller]
fn assert_written_without_audience(lab: &Lab, answer: Answer, role: &str) {
    let warning = differences::kubernetes_audience_warning(lab.flavor(), role);
    let answer = answer.expect(differences::kubernetes_role_without_audience_status(
        lab.flavor(),
    ));
    assert_eq!(answer.data(), &Value::Null);
    assert_eq!(answer.warnings(), Vec::from_iter(warning));
}

async fn login(lab: &Lab, mount: &str, role: &str, jwt: &str) -> Answer {
    lab.call(
        "POST",
        &format!("auth/{mount}/login"),
        None,
        Some(json!({ "role": role, "jwt": jwt })),
    )
    .await
}

/// An unsigned JWT with these claims: it passes the claim checks, never a TokenReview.
fn forged_jwt(claims: Value) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        b64.encode(json!({"alg": "RS256", "kid": "forged"}).to_string()),
        b64.encode(claims.to_string()),
        b64.encode("not a signature")
    )
}

fn projected_claims(ns: &str, name: &str) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json!({
        "aud": ["https://kubernetes.default.svc"],
        "iss": "https://kubernetes.default.svc",
        "iat": now, "nbf": now, "exp": now + 600,
        "sub": format!("system:serviceaccount:{ns}:{name}"),
        "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": name, "uid": "1b2c"}},
    })
}

/// A self-signed CA made for these tests (P-256, CN labvault-test-ca); nothing trusts it.
const THROWAWAY_CA: &str = "-----BEGIN CERTIFICATE-----
MIIBjjCCATOgAwIBAgIUUb2WrBjozI2URJCKkKnC3Ni1jE4wCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQbGFidmF1bHQtdGVzdC1jYTAgFw0yNjEyMDIwMTUwNDJaGA8y
MTI2MTEwODAxNTA0MlowGzEZMBcGA1UEAwwQbGFidmF1bHQtdGVzdC1jYTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABIuJclNOJ+Az7TiXjoVF1DXIvv0aoslECFLE
940ciGM9y5HgSkibhKtYxX59gPjrT9OrAPYwpRMEvN2GM1YC1cKjUzBRMB0GA1Ud
DgQWBBRD0NUzTlt8ov9fJXsEHUaoQ2nMaDAfBgNVHSMEGDAWgBRD0NUzTlt8ov9f
JXsEHUaoQ2nMaDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDV
mMKKtCW+S1htVgcqz+ICey3zPB9a5bNnAv+yWeTXvgIhAN8JgkutxW/eANAiIGYg
zS35oiuZwh5sXmD85NldNZxJ
-----END CERTIFICATE-----
";

/// A syntactically valid certificate block (its contents are never used to connect).
const DUMMY_CA: &str =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUSGVsbG8=\n-----END CERTIFICATE-----\n";

/// A config naming `host`, with no CA where the server takes that (Vault's plugin then uses
/// the system's CAs); OpenBao's fork wants one, so it gets a throwaway self-signed CA.
async fn lab_with_dummy_config(host: &str) -> Lab {
    let lab = Lab::new().await;
    enable(&lab, "kubernetes").await;
    write_config_without_local_ca(&lab, json!({ "kubernetes_host": host })).await;
    lab
}

/// Writes `config` with `disable_local_ca_jwt` and no CA where the server takes that;
/// returns the CA the config ended up with ("" or the throwaway one).
async fn write_config_without_local_ca(lab: &Lab, config: Value) -> &'static str {
    let mut without_ca = config;
    without_ca["disable_local_ca_jwt"] = json!(true);
    let answer = lab
        .root("POST", "auth/kubernetes/config", Some(without_ca.clone()))
        .await;
    match differences::kubernetes_config_without_ca(lab.flavor()) {
        Ok(()) => {
            answer.expect(204);
            ""
        }
        Err(refusal) => {
            assert_eq!(answer.expect(400).errors(), [refusal]);
            let mut with_ca = without_ca;
            with_ca["kubernetes_ca_cert"] = json!(THROWAWAY_CA);
            lab.root("POST", "auth/kubernetes/config", Some(with_ca))
                .await
                .expect(204);
            THROWAWAY_CA
        }
    }
}

// ---------------------------------------------------------------- config

#[tokio::test]
async fn config_reads_back_vaults_shape_and_never_the_reviewer_jwt() {
    let lab = Lab::new().await;
    enable(&lab, "kubernetes").await;
    let missing = lab.root("GET", "auth/kubernetes/config", None).await;
    assert_eq!((missing.status, missing.errors()), (404, vec![]));

    let no_host = lab
        .root("POST", "auth/kubernetes/config", Some(json!({})))
        .await
        .expect(400);
    assert_eq!(no_host.errors(), ["no host provided"]);
    let bad_ca = lab
        .root(
            "POST",
            "auth/kubernetes/config",
            Some(json!({"kubernetes_host": "https://k8s:6443", "kubernetes_ca_cert": "not PEM"})),
        )
        .await;
    if differences::kubernetes_checks_ca_pem(lab.flavor()) {
        assert_eq!(
            (bad_ca.status, bad_ca.errors()),
            (
                400,
                vec!["The provided CA PEM data contains no valid certificates".to_string()]
            )
        );
    } else {
        bad_ca.expect(204);
    }
    let bad_key = lab
        .root(
            "POST",
            "auth/kubernetes/config",
            Some(
                json!({"kubernetes_host": "https://k8s:6443", "kubernetes_ca_cert": DUMMY_CA,
                        "pem_keys": ["nope"]}),
            ),
        )
        .await
        .expect(400);
    assert_eq!(
        bad_key.errors(),
        [differences::kubernetes_bad_pem_key_error(lab.flavor())]
    );

    let reviewer = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXZpZXdlciJ9.c2VjcmV0LXNpZ25hdHVyZQ";
    lab.root(
        "POST",
        "auth/kubernetes/config",
        Some(json!({
            "kubernetes_host": "https://k8s:6443",
            "kubernetes_ca_cert": DUMMY_CA,
            "token_reviewer_jwt": reviewer,
            "issuer": "https://kubernetes.default.svc",
        })),
    )
    .await
    .expect(204);
    let read = lab
        .root("GET", "auth/kubernetes/config", None)
        .await
        .expect(200);
    let vault_only = differences::vault_only_kubernetes_config_fields(lab.flavor());
    let read_data = differences::without_fields(read.data(), vault_only);
    assert_eq!(
        read_data,
        differences::without_fields(
            &json!({
                "kubernetes_host": "https://k8s:6443",
                "kubernetes_ca_cert": DUMMY_CA,
                "pem_keys": [],
                "issuer": "https://kubernetes.default.svc",
                "disable_iss_validation": true,
                "disable_local_ca_jwt": false,
                "token_reviewer_jwt_set": true,
                "use_annotations_as_alias_metadata": false,
            }),
            vault_only
        )
    );
    assert!(!read.body.to_string().contains("c2VjcmV0"), "{}", read.body);
    read.assert_mount_type(lab.flavor(), "kubernetes");

    // A write replaces the whole config: what it leaves out is reset.
    let ca =
        write_config_without_local_ca(&lab, json!({"kubernetes_host": "https://k8s:6443"})).await;
    let read = lab
        .root("GET", "auth/kubernetes/config", None)
        .await
        .expect(200);
    assert_eq!(read.data()["token_reviewer_jwt_set"], false);
    assert_eq!(read.data()["kubernetes_ca_cert"], ca);
    assert_eq!(read.data()["issuer"], "");

    let delete = lab.root("DELETE", "auth/kubernetes/config", None).await;
    assert_eq!(delete.status, 405);
}

#[tokio::test]
async fn outside_a_pod_a_config_without_ca_needs_disable_local_ca_jwt() {
    const LOCAL_CA: &str = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
    if std::path::Path::new(LOCAL_CA).exists() {
        eprintln!("running in a pod: {LOCAL_CA} exists, nothing to check");
        return;
    }
    let lab = Lab::new().await;
    enable(&lab, "kubernetes").await;
    let answer = lab
        .root(
            "POST",
            "auth/kubernetes/config",
            Some(json!({"kubernetes_host": "https://k8s:6443"})),
        )
        .await
        .expect(400);
    assert_eq!(
        answer.errors(),
        [format!("open {LOCAL_CA}: no such file or directory")]
    );
}

// ---------------------------------------------------------------- roles

#[tokio::test]
async fn roles_are_checked_as_vault_checks_them() {
    let lab = Lab::new().await;
    enable(&lab, "kubernetes").await;
    for (role, error) in [
        (
            json!({"bound_service_account_namespaces": ["lab"]}),
            "\"bound_service_account_names\" can not be empty",
        ),
        (
            json!({"bound_service_account_names": ["*", "web"], "bound_service_account_namespaces": ["lab"]}),
            "can not mix \"*\" with values",
        ),
        (
            json!({"bound_service_account_names": ["web"]}),
            "\"bound_service_account_namespaces\" can not be empty if \"bound_service_account_namespace_selector\" is not set",
        ),
        (
            json!({"bound_service_account_names": ["web"], "bound_service_account_namespaces": ["*", "lab"]}),
            "can not mix \"*\" with values",
        ),
        (
            json!({"bound_service_account_names": "web", "bound_service_account_namespaces": "lab",
                   "alias_name_source": "pod_name"}),
            "invalid alias_name_source, must be one of: serviceaccount_uid, serviceaccount_name",
        ),
        (
            json!({"bound_service_account_names": "web", "bound_service_account_namespaces": "lab",
                   "token_ttl": "2h", "token_max_ttl": "1h"}),
            "'token_ttl' cannot be greater than 'token_max_ttl'",
        ),
        (
            json!({"bound_service_account_names": "web", "bound_service_account_namespaces": "lab",
                   "token_period": "800h"}),
            "token period of '\"800h0m0s\"' is greater than the backend's maximum lease TTL of '\"768h0m0s\"'",
        ),
    ] {
        let answer = write_role(&lab, "kubernetes", "web", role.clone()).await;
        assert_eq!((answer.status, answer.errors()), (400, vec![error.to_string()]), "{role}");
    }
    let missing = lab.root("LIST", "auth/kubernetes/role", None).await;
    assert_eq!((missing.status, missing.errors()), (404, vec![]));
}

#[tokio::test]
async fn a_role_reads_back_vaults_shape() {
    let lab = Lab::new().await;
    enable(&lab, "kubernetes").await;
    let created = write_role(
        &lab,
        "kubernetes",
        "Web",
        json!({
            "bound_service_account_names": "web,api",
            "bound_service_account_namespaces": ["lab"],
            "audience": "vault",
            "token_policies": ["dev"],
            "token_ttl": "1h",
        }),
    )
    .await
    .expect(204);
    assert_eq!(created.body, Value::Null);
    let read = lab
        .root("GET", "auth/kubernetes/role/web", None)
        .await
        .expect(200);
    let extra = differences::openbao_only_token_fields(lab.flavor());
    assert_eq!(
        differences::without_fields(read.data(), extra),
        json!({
            "bound_service_account_names": ["web", "api"],
            "bound_service_account_namespaces": ["lab"],
            "bound_service_account_namespace_selector": "",
            "audience": "vault",
            "alias_name_source": "serviceaccount_uid",
            "token_bound_cidrs": [],
            "token_explicit_max_ttl": 0,
            "token_max_ttl": 0,
            "token_no_default_policy": false,
            "token_num_uses": 0,
            "token_period": 0,
            "token_policies": ["dev"],
            "token_ttl": 3600,
            "token_type": "default",
        })
    );

    // An update changes what it names and keeps the rest.
    lab.root(
        "PUT",
        "auth/kubernetes/role/WEB",
        Some(json!({"token_ttl": "2h"})),
    )
    .await
    .expect(204);
    let read = lab
        .root("GET", "auth/kubernetes/role/web", None)
        .await
        .expect(200);
    assert_eq!(read.data()["token_ttl"], 7200);
    assert_eq!(
        read.data()["bound_service_account_names"],
        json!(["web", "api"])
    );

    // Without an audience: stored, with Vault's warning in a 200.
    let warned = write_role(
        &lab,
        "kubernetes",
        "legacy",
        json!({
            "bound_service_account_names": "*",
            "bound_service_account_namespaces": "*",
            "policies": "a,b",
            "ttl": 600,
            "num_uses": 3,
        }),
    )
    .await;
    assert_written_without_audience(&lab, warned, "legacy");
    let read = lab
        .root("GET", "auth/kubernetes/role/legacy", None)
        .await
        .expect(200);
    assert!(read.data().get("audience").is_none());
    assert_eq!(read.data()["policies"], json!(["a", "b"]));
    assert_eq!(read.data()["token_policies"], json!(["a", "b"]));
    assert_eq!(
        (read.data()["ttl"].clone(), read.data()["token_ttl"].clone()),
        (json!(600), json!(600))
    );
    assert_eq!(read.data()["num_uses"], 3);
    assert!(read.data().get("max_ttl").is_none());
    // The new name alone drops the old one from reads.
    let updated = lab
        .root(
            "PUT",
            "auth/kubernetes/role/legacy",
            Some(json!({"token_policies": ["c"], "token_ttl": 60})),
        )
        .await;
    assert_written_without_audience(&lab, updated, "legacy");
    let read = lab
        .root("GET", "auth/kubernetes/role/legacy", None)
        .await
        .expect(200);
    assert!(read.data().get("policies").is_none(), "{}", read.body);
    assert!(read.data().get("ttl").is_none(), "{}", read.body);

    // An explicit empty source is not "the default" once the role has one.
    let answer = lab
        .root(
            "PUT",
            "auth/kubernetes/role/web",
            Some(json!({"alias_name_source": ""})),
        )
        .await
        .expect(400);
    assert_eq!(
        answer.errors(),
        ["invalid alias_name_source, must be one of: serviceaccount_uid, serviceaccount_name"]
    );
    let answer = lab
        .root(
            "PUT",
            "auth/kubernetes/role/web",
            Some(json!({"token_max_ttl": "800h"})),
        )
        .await
        .expect(200);
    assert_eq!(
        answer.warnings(),
        ["max_ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated"]
    );

    let list = lab
        .root("LIST", "auth/kubernetes/role", None)
        .await
        .expect(200);
    assert_eq!(list.data()["keys"], json!(["legacy", "web"]));
    assert_eq!(keys_of(list.data()), ["keys"]);

    lab.root("DELETE", "auth/kubernetes/role/web", None)
        .await
        .expect(204);
    let gone = lab.root("GET", "auth/kubernetes/role/web", None).await;
    assert_eq!((gone.status, gone.errors()), (404, vec![]));
    lab.root("DELETE", "auth/kubernetes/role/web", None)
        .await
        .expect(204);
    let bad_name = lab.root("GET", "auth/kubernetes/role/-web", None).await;
    assert_eq!(bad_name.status, 404);
}

#[tokio::test]
async fn writing_a_new_role_needs_create_and_an_existing_one_update() {
    let lab = Lab::new().await;
    enable(&lab, "kubernetes").await;
    lab.write_policy(
        "role-editor",
        r#"path "auth/kubernetes/role/*" { capabilities = ["update", "read"] }"#,
    )
    .await;
    let editor = lab.token_with(&["role-editor"]).await;
    let role = json!({"bound_service_account_names": "web", "bound_service_account_namespaces": "lab",
                      "audience": "vault"});
    let refused = lab
        .call(
            "POST",
            "auth/kubernetes/role/web",
            Some(&editor),
            Some(role.clone()),
        )
        .await
        .expect(403);
    assert_eq!(
        refused.errors(),
        ["1 error occurred:\n\t* permission denied\n\n"]
    );
    write_role(&lab, "kubernetes", "web", role)
        .await
        .expect(204);
    lab.call(
        "POST",
        "auth/kubernetes/role/web",
        Some(&editor),
        Some(json!({"token_policies": "dev"})),
    )
    .await
    .expect(204);
}

// ---------------------------------------------------------------- login without a cluster

#[tokio::test]
async fn login_answers_bad_requests_before_calling_the_cluster() {
    let lab = Lab::new().await;
    enable(&lab, "kubernetes").await;
    bind_role(&lab, "kubernetes", "web", "web", "lab").await;
    let jwt = forged_jwt(projected_claims("lab", "web"));

    let no_config = login(&lab, "kubernetes", "web", &jwt).await.expect(500);
    assert_eq!(no_config.errors(), ["could not load backend configuration"]);

    let config = json!({"kubernetes_host": "https://127.0.0.1:1",
                        "issuer": "https://kubernetes.default.svc", "disable_iss_validation": false});
    write_config_without_local_ca(&lab, config).await;
    let answer = lab
        .call(
            "POST",
            "auth/kubernetes/login",
            None,
            Some(json!({"jwt": jwt})),
        )
        .await
        .expect(400);
    assert_eq!(answer.errors(), ["missing role"]);
    let answer = lab
        .call(
            "POST",
            "auth/kubernetes/login",
            None,
            Some(json!({"role": "web"})),
        )
        .await
        .expect(400);
    assert_eq!(answer.errors(), ["missing jwt"]);
    let answer = login(&lab, "kubernetes", "nope", &jwt).await.expect(400);
    assert_eq!(answer.errors(), ["invalid role name \"nope\""]);
    let answer = login(&lab, "kubernetes", "web", "not-a-jwt")
        .await
        .expect(403);
    assert_eq!(answer.errors(), ["permission denied"]);
    let get = lab.call("GET", "auth/kubernetes/login", None, None).await;
    assert_eq!(get.status, 405);

    let mut claims = projected_claims("lab", "web");
    claims["exp"] = json!(1_000_000);
    claims["iat"] = json!(999_000);
    claims["nbf"] = json!(999_000);
    let answer = login(&lab, "kubernetes", "web", &forged_jwt(claims))
        .await
        .expect(403);
    assert_eq!(
        answer.errors(),
        ["invalid expiration time (exp) claim: token is expired"]
    );
    let mut claims = projected_claims("lab", "web");
    claims["iss"] = json!("kubernetes/serviceaccount");
    let answer = login(&lab, "kubernetes", "web", &forged_jwt(claims))
        .await
        .expect(403);
    assert_eq!(answer.errors(), ["invalid issuer (iss) claim"]);

    // Bindings are checked on the claims, before any TokenReview.
    let answer = login(
        &lab,
        "kubernetes",
        "web",
        &forged_jwt(projected_claims("lab", "db")),
    )
    .await
    .expect(403);
    assert_eq!(answer.errors(), ["service account name not authorized"]);
    let answer = login(
        &lab,
        "kubernetes",
        "web",
        &forged_jwt(projected_claims("prod", "web")),
    )
    .await
    .expect(403);
    assert_eq!(answer.errors(), ["namespace not authorized"]);
}

#[tokio::test]
async fn an_unreachable_cluster_is_permission_denied_without_hanging() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let lab = lab_with_dummy_config(&format!("https://127.0.0.1:{port}")).await;
    bind_role(&lab, "kubernetes", "web", "web", "lab").await;
    let started = Instant::now();
    let answer = login(
        &lab,
        "kubernetes",
        "web",
        &forged_jwt(projected_claims("lab", "web")),
    )
    .await
    .expect(403);
    assert_eq!(answer.errors(), ["permission denied"]);
    assert!(started.elapsed() < Duration::from_secs(11));
}

// ---------------------------------------------------------------- login against the cluster

#[tokio::test]
async fn a_bound_service_account_logs_in() {
    let cluster = cluster().await;
    let reviewer = reviewer_jwt(&cluster, "login-vault").await;
    service_account(&cluster, "login-apps", "web").await;
    let lab = lab_for(&cluster, "kubernetes", Some(&reviewer)).await;
    let written = write_role(
        &lab,
        "kubernetes",
        "web",
        json!({
            "bound_service_account_names": ["web"],
            "bound_service_account_namespaces": ["login-apps"],
            "token_policies": ["dev", "Web"],
            "token_ttl": "1h",
        }),
    )
    .await;
    assert_written_without_audience(&lab, written, "web");
    let jwt = token_for(&cluster, "login-apps", "web", &[]).await;
    let uid = uid_of(&cluster, "login-apps", "web").await;

    let answer = login(&lab, "kubernetes", "web", &jwt).await.expect(200);
    let auth = &answer.body["auth"];
    assert_eq!(auth["policies"], json!(["default", "dev", "web"]));
    assert_eq!(auth["token_policies"], json!(["default", "dev", "web"]));
    assert_eq!(
        auth["metadata"],
        json!({
            "role": "web",
            "service_account_name": "web",
            "service_account_namespace": "login-apps",
            "service_account_secret_name": "",
            "service_account_uid": uid,
        })
    );
    assert_eq!(auth["lease_duration"], 3600);
    assert_eq!(
        (
            auth["renewable"].clone(),
            auth["orphan"].clone(),
            auth["token_type"].clone()
        ),
        (json!(true), json!(true), json!("service"))
    );
    assert_eq!(answer.body["data"], Value::Null);
    answer.assert_mount_type(lab.flavor(), "kubernetes");

    let token = answer.client_token();
    let me = lab
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(200);
    assert_eq!(me.data()["display_name"], "kubernetes-login-apps-web");
    assert_eq!(me.data()["path"], "auth/kubernetes/login");
    assert_eq!(me.data()["meta"]["service_account_uid"], json!(uid));
    assert_eq!(me.data()["policies"], json!(["default", "dev", "web"]));
}

#[tokio::test]
async fn the_display_name_follows_the_mount_path() {
    let cluster = cluster().await;
    let reviewer = reviewer_jwt(&cluster, "mount-vault").await;
    service_account(&cluster, "mount-apps", "api").await;
    let lab = lab_for(&cluster, "k8s/lab", Some(&reviewer)).await;
    let written = write_role(
        &lab,
        "k8s/lab",
        "api",
        json!({"bound_service_account_names": "api", "bound_service_account_namespaces": "mount-apps",
               "alias_name_source": "serviceaccount_name"}),
    )
    .await;
    assert_written_without_audience(&lab, written, "api");
    let jwt = token_for(&cluster, "mount-apps", "api", &[]).await;
    let token = login(&lab, "k8s/lab", "api", &jwt)
        .await
        .expect(200)
        .client_token();
    let me = lab
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(200);
    assert_eq!(me.data()["display_name"], "k8s-lab-mount-apps-api");
    assert_eq!(me.data()["path"], "auth/k8s/lab/login");
}

#[tokio::test]
async fn names_and_namespaces_outside_the_role_are_refused() {
    let cluster = cluster().await;
    let reviewer = reviewer_jwt(&cluster, "bind-vault").await;
    service_account(&cluster, "bind-team", "app").await;
    service_account(&cluster, "bind-team", "other").await;
    service_account(&cluster, "bind-elsewhere", "app").await;
    let lab = lab_for(&cluster, "kubernetes", Some(&reviewer)).await;
    bind_role(&lab, "kubernetes", "app", "app", "bind-team").await;

    let other = token_for(&cluster, "bind-team", "other", &[]).await;
    let answer = login(&lab, "kubernetes", "app", &other).await.expect(403);
    assert_eq!(answer.errors(), ["service account name not authorized"]);
    let elsewhere = token_for(&cluster, "bind-elsewhere", "app", &[]).await;
    let answer = login(&lab, "kubernetes", "app", &elsewhere)
        .await
        .expect(403);
    assert_eq!(answer.errors(), ["namespace not authorized"]);
    let good = token_for(&cluster, "bind-team", "app", &[]).await;
    login(&lab, "kubernetes", "app", &good).await.expect(200);
}

#[tokio::test]
async fn globs_and_stars_bind_many_accounts() {
    let cluster = cluster().await;
    let reviewer = reviewer_jwt(&cluster, "glob-vault").await;
    service_account(&cluster, "glob-team-a", "app-web").await;
    service_account(&cluster, "glob-team-a", "db").await;
    service_account(&cluster, "glob-other", "app-web").await;
    let lab = lab_for(&cluster, "kubernetes", Some(&reviewer)).await;
    bind_role(&lab, "kubernetes", "apps", "app-*", "glob-team-*").await;
    bind_role(&lab, "kubernetes", "anyone", "*", "*").await;
    let app = token_for(&cluster, "glob-team-a", "app-web", &[]).await;
    let db = token_for(&cluster, "glob-team-a", "db", &[]).await;
    let other = token_for(&cluster, "glob-other", "app-web", &[]).await;

    login(&lab, "kubernetes", "apps", &app).await.expect(200);
    let answer = login(&lab, "kubernetes", "apps", &db).await.expect(403);
    assert_eq!(answer.errors(), ["service account name not authorized"]);
    let answer = login(&lab, "kubernetes", "apps", &other).await.expect(403);
    assert_eq!(answer.errors(), ["namespace not authorized"]);
    for jwt in [&app, &db, &other] {
        login(&lab, "kubernetes", "anyone", jwt).await.expect(200);
    }
}

#[tokio::test]
async fn tokens_the_cluster_does_not_vouch_for_are_refused() {
    let cluster = cluster().await;
    let reviewer = reviewer_jwt(&cluster, "forged-vault").await;
    service_account(&cluster, "forged-apps", "web").await;
    let lab = lab_for(&cluster, "kubernetes", Some(&reviewer)).await;
    bind_role(&lab, "kubernetes", "web", "web", "forged-apps").await;
    // Claims that pass every local check, but no real signature: the review says no.
    let forged = forged_jwt(projected_claims("forged-apps", "web"));
    let answer = login(&lab, "kubernetes", "web", &forged).await.expect(403);
    assert_eq!(answer.errors(), ["permission denied"]);
    let answer = login(&lab, "kubernetes", "web", "garbage")
        .await
        .expect(403);
    assert_eq!(answer.errors(), ["permission denied"]);
}

#[tokio::test]
async fn a_deleted_service_account_is_refused_once_the_review_cache_lets_go() {
    let cluster = cluster().await;
    let reviewer = reviewer_jwt(&cluster, "deleted-vault").await;
    service_account(&cluster, "deleted-apps", "gone").await;
    let lab = lab_for(&cluster, "kubernetes", Some(&reviewer)).await;
    bind_role(&lab, "kubernetes", "gone", "gone", "deleted-apps").await;
    let jwt = token_for(&cluster, "deleted-apps", "gone", &[]).await;
    login(&lab, "kubernetes", "gone", &jwt).await.expect(200);
    kube(
        &cluster,
        "DELETE",
        "/api/v1/namespaces/deleted-apps/serviceaccounts/gone",
        None,
    )
    .await
    .expect(200);
    // The API server caches successful reviews for about 10 s.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answer = login(&lab, "kubernetes", "gone", &jwt).await;
        if answer.status == 403 {
            assert_eq!(answer.errors(), ["permission denied"]);
            break;
        }
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(
            Instant::now() < deadline,
            "the deleted account still logs in"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn a_role_audience_must_be_in_the_token() {
    let cluster = cluster().await;
    let reviewer = reviewer_jwt(&cluster, "aud-vault").await;
    service_account(&cluster, "aud-apps", "web").await;
    let lab = lab_for(&cluster, "kubernetes", Some(&reviewer)).await;
    write_role(
        &lab,
        "kubernetes",
        "vault-aud",
        json!({"bound_service_account_names": "web", "bound_service_account_namespaces": "aud-apps",
               "audience": "vault"}),
    )
    .await
    .expect(204);
    bind_role(&lab, "kubernetes", "no-aud", "web", "aud-apps").await;
    let default_audience = token_for(&cluster, "aud-apps", "web", &[]).await;
    let answer = login(&lab, "kubernetes", "vault-aud", &default_audience)
        .await
        .expect(403);
    assert_eq!(
        answer.errors(),
        ["invalid audience (aud) claim: audience claim does not match any expected audience"]
    );
    let for_vault = token_for(&cluster, "aud-apps", "web", &["vault"]).await;
    login(&lab, "kubernetes", "vault-aud", &for_vault)
        .await
        .expect(200);
    // Without a role audience the review asks for the token's own audiences.
    login(&lab, "kubernetes", "no-aud", &for_vault)
        .await
        .expect(200);
}

#[tokio::test]
async fn without_a_reviewer_jwt_the_login_jwt_reviews_itself() {
    let cluster = cluster().await;
    service_account(&cluster, "self-apps", "web").await;
    let lab = lab_for(&cluster, "kubernetes", None).await;
    let read = lab
        .root("GET", "auth/kubernetes/config", None)
        .await
        .expect(200);
    assert_eq!(read.data()["token_reviewer_jwt_set"], false);
    bind_role(&lab, "kubernetes", "web", "web", "self-apps").await;
    let jwt = token_for(&cluster, "self-apps", "web", &[]).await;
    // The account may not create TokenReviews yet: the API server refuses the review.
    let answer = login(&lab, "kubernetes", "web", &jwt).await.expect(403);
    assert_eq!(answer.errors(), ["permission denied"]);

    bind_auth_delegator(&cluster, "self-apps", "web").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let answer = login(&lab, "kubernetes", "web", &jwt).await;
        if answer.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still refused after binding: {}",
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn renewal_needs_the_role_to_exist_but_not_its_old_policies() {
    let cluster = cluster().await;
    let reviewer = reviewer_jwt(&cluster, "renew-vault").await;
    service_account(&cluster, "renew-apps", "web").await;
    let lab = lab_for(&cluster, "kubernetes", Some(&reviewer)).await;
    let role = json!({"bound_service_account_names": "web", "bound_service_account_namespaces": "renew-apps",
                      "token_policies": "dev", "audience": "https://kubernetes.default.svc"});
    write_role(&lab, "kubernetes", "web", role)
        .await
        .expect(204);
    let jwt = token_for(&cluster, "renew-apps", "web", &[]).await;
    let token = login(&lab, "kubernetes", "web", &jwt)
        .await
        .expect(200)
        .client_token();

    // The plugin's renew callback re-reads the role but does not compare policies: the
    // token renews, keeping the policies it was issued with.
    lab.root(
        "POST",
        "auth/kubernetes/role/web",
        Some(json!({"token_policies": "ops"})),
    )
    .await
    .expect(204);
    let renewed = lab
        .call(
            "POST",
            "auth/token/renew-self",
            Some(&token),
            Some(json!({})),
        )
        .await
        .expect(200);
    assert_eq!(renewed.body["auth"]["policies"], json!(["default", "dev"]));

    lab.root("DELETE", "auth/kubernetes/role/web", None)
        .await
        .expect(204);
    let refused = lab
        .call(
            "POST",
            "auth/token/renew-self",
            Some(&token),
            Some(json!({})),
        )
        .await
        .expect(500);
    assert_eq!(
        refused.errors(),
        ["1 error occurred:\n\t* failed to renew entry: role web does not exist during renewal\n\n"]
    );
}

#[tokio::test]
async fn pem_keys_verify_signatures_before_the_review() {
    let cluster = cluster().await;
    let reviewer = reviewer_jwt(&cluster, "pem-vault").await;
    service_account(&cluster, "pem-apps", "web").await;
    let lab = lab_for(&cluster, "kubernetes", Some(&reviewer)).await;
    bind_role(&lab, "kubernetes", "web", "web", "pem-apps").await;
    let jwt = token_for(&cluster, "pem-apps", "web", &[]).await;
    let signing_key = std::fs::read_to_string(cluster.dir().join("sa.pub")).unwrap();
    let configure = |pem: String| {
        json!({
            "kubernetes_host": cluster.api_url(),
            "kubernetes_ca_cert": cluster.ca_pem(),
            "token_reviewer_jwt": reviewer,
            "disable_local_ca_jwt": true,
            "pem_keys": [pem],
        })
    };
    lab.root(
        "POST",
        "auth/kubernetes/config",
        Some(configure(signing_key)),
    )
    .await
    .expect(204);
    login(&lab, "kubernetes", "web", &jwt).await.expect(200);
    // The cluster CA's certificate: a valid key, but not the one that signs tokens.
    lab.root(
        "POST",
        "auth/kubernetes/config",
        Some(configure(cluster.ca_pem().to_string())),
    )
    .await
    .expect(204);
    let answer = login(&lab, "kubernetes", "web", &jwt).await.expect(403);
    assert_eq!(answer.errors(), ["permission denied"]);
}

#[tokio::test]
async fn a_legacy_secret_token_logs_in_with_its_secret_name() {
    let cluster = cluster().await;
    let reviewer = reviewer_jwt(&cluster, "legacy-vault").await;
    service_account(&cluster, "legacy-apps", "old").await;
    created(
        kube(
            &cluster,
            "POST",
            "/api/v1/namespaces/legacy-apps/secrets",
            Some(json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": "old-token",
                    "annotations": {"kubernetes.io/service-account.name": "old"},
                },
                "type": "kubernetes.io/service-account-token",
            })),
        )
        .await,
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let jwt = loop {
        let secret = kube(
            &cluster,
            "GET",
            "/api/v1/namespaces/legacy-apps/secrets/old-token",
            None,
        )
        .await
        .expect(200);
        if let Some(token) = secret.body["data"]["token"].as_str() {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(token)
                .unwrap();
            break String::from_utf8(bytes).unwrap();
        }
        assert!(Instant::now() < deadline, "the Secret was not filled");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let lab = lab_for(&cluster, "kubernetes", Some(&reviewer)).await;
    bind_role(&lab, "kubernetes", "old", "old", "legacy-apps").await;
    let answer = login(&lab, "kubernetes", "old", &jwt).await.expect(200);
    let metadata = &answer.body["auth"]["metadata"];
    assert_eq!(metadata["service_account_secret_name"], "old-token");
    assert_eq!(metadata["service_account_name"], "old");
    assert_eq!(
        metadata["service_account_uid"],
        json!(uid_of(&cluster, "legacy-apps", "old").await)
    );
}
