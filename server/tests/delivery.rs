//! "Deliver to a pod" against a real Vault (OpenBao or labvault), a real kube-apiserver and
//! the real agent (`bao agent`, the binary `testvault` runs OpenBao with): the generated
//! agent configuration renders the secret; the injector patch, the CSI and ESO objects are
//! accepted by the API server; and "Prove it" keeps the test login's custody rules, each
//! checked as the attack it prevents.

mod common;

use common::{
    create_token,
    kube::{
        admin, as_root, cluster, configure_mount, enable_auth, enable_kv2, namespace_and_accounts,
        reviewer_jwt,
    },
    lab,
    recorder::{Behaviour, Recorder},
    vault, vaultdeck, Deck,
};
use serde_json::{json, Value};
use std::time::Duration;
use testcluster::TestCluster;
use vaultdeck_app::delivery::{csi, eso, injector, yaml::Yaml, Format, Plan, SecretPick};

/// The lab's secrets: `kv/webapps/app_one` on KV v2 and `kv1/legacy` on KV v1.
const APP_ONE: [(&str, &str); 2] = [("password", "app_one-secret"), ("username", "app-one")];
const LEGACY_TOKEN: &str = "legacy-token-value";

struct Lab {
    vault: testvault::TestVault,
    root: String,
    namespace: String,
    work_dir: tempfile::TempDir,
}

/// A Vault with the lab's secrets and a Kubernetes auth method at `mount`, configured for
/// the test cluster with a reviewer, whose role `webapp-one` binds `webapp-one` in
/// `namespace` (for `audience`, when given) to a policy reading both secrets.
async fn delivery_lab(cluster: &TestCluster, namespace: &str, mount: &str, audience: &str) -> Lab {
    let (vault, root) = lab().await;
    let url = vault.url();
    let reviewer = reviewer_jwt(cluster, &format!("{namespace}-vault")).await;
    enable_auth(url, &root, mount, "kubernetes").await;
    configure_mount(
        url,
        &root,
        mount,
        cluster.api_url(),
        cluster.ca_pem(),
        &reviewer,
    )
    .await;
    namespace_and_accounts(cluster, namespace, &["webapp-one", "stranger"]).await;
    enable_kv2(url, &root, "kv").await;
    as_root(
        url,
        &root,
        "POST",
        "sys/mounts/kv1",
        json!({ "type": "kv" }),
    )
    .await;
    let data: serde_json::Map<String, Value> = APP_ONE
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    as_root(
        url,
        &root,
        "POST",
        "kv/data/webapps/app_one",
        json!({ "data": data }),
    )
    .await;
    as_root(
        url,
        &root,
        "POST",
        "kv1/legacy",
        json!({ "token": LEGACY_TOKEN }),
    )
    .await;
    let policy = r#"
        path "kv/data/webapps/app_one" { capabilities = ["read"] }
        path "kv1/legacy" { capabilities = ["read"] }
    "#;
    as_root(
        url,
        &root,
        "PUT",
        "sys/policies/acl/webapp-one-read",
        json!({ "policy": policy }),
    )
    .await;
    let role = json!({
        "bound_service_account_names": ["webapp-one"],
        "bound_service_account_namespaces": [namespace],
        "token_policies": ["webapp-one-read"],
        "audience": audience,
    });
    as_root(
        url,
        &root,
        "POST",
        &format!("auth/{mount}/role/webapp-one"),
        role,
    )
    .await;
    Lab {
        vault,
        root,
        namespace: namespace.into(),
        work_dir: tempfile::tempdir().unwrap(),
    }
}

impl Lab {
    /// Vaultdeck with the cluster and the agent (the `bao` binary the tests run OpenBao with).
    async fn deck(&self, cluster: &TestCluster) -> Deck {
        self.deck_at(cluster, self.vault.url()).await
    }

    /// The same, reaching Vault at `vault_addr`.
    async fn deck_at(&self, cluster: &TestCluster, vault_addr: &str) -> Deck {
        let kubeconfig = cluster.kubeconfig_path().to_str().unwrap().to_string();
        let bao = testvault::bao_binary().unwrap();
        let work = self.work_dir.path().to_str().unwrap().to_string();
        let args = [
            "--kubeconfig",
            &kubeconfig,
            "--agent-binary",
            bao.to_str().unwrap(),
            "--agent-work-dir",
            &work,
            common::kube::LAB_CHECKS,
        ];
        vaultdeck(vault_addr, &args).await
    }

    /// Nothing of any run is left in the agent's work directory.
    fn work_dir_is_empty(&self) -> bool {
        std::fs::read_dir(self.work_dir.path())
            .unwrap()
            .next()
            .is_none()
    }

    fn plan(&self, mount: &str, audience: Option<&str>) -> Plan {
        Plan {
            vault_addr: "http://vault.vault-system.svc:8200".into(),
            vault_namespace: None,
            auth_mount: mount.into(),
            role: "webapp-one".into(),
            namespace: self.namespace.clone(),
            service_account: "webapp-one".into(),
            workload: "webapp-one".into(),
            container: "webapp-one".into(),
            audience: audience.map(str::to_string),
            secrets: vec![
                SecretPick {
                    name: "app_one.env".into(),
                    mount: "kv".into(),
                    kv_version: 2,
                    path: "webapps/app_one".into(),
                    keys: vec!["username".into(), "password".into()],
                    format: Format::EnvFile,
                },
                SecretPick {
                    name: "app_one.json".into(),
                    mount: "kv".into(),
                    kv_version: 2,
                    path: "webapps/app_one".into(),
                    keys: vec!["password".into()],
                    format: Format::Json,
                },
                SecretPick {
                    name: "legacy-token".into(),
                    mount: "kv1".into(),
                    kv_version: 1,
                    path: "legacy".into(),
                    keys: vec!["token".into()],
                    format: Format::OneKey,
                },
            ],
            sync_secret: false,
        }
    }

    /// Vaultdeck, and a session of an operator whose token has the policy `name` with
    /// `rules`: the deck, the session's cookie and the operator's token.
    async fn operator(
        &self,
        cluster: &TestCluster,
        name: &str,
        rules: &str,
    ) -> (Deck, String, String) {
        as_root(
            self.vault.url(),
            &self.root,
            "PUT",
            &format!("sys/policies/acl/{name}"),
            json!({ "policy": rules }),
        )
        .await;
        let token = create_token(self.vault.url(), &self.root, json!({ "policies": [name] })).await;
        let deck = self.deck(cluster).await;
        let session = deck.login_with_token(&token).await;
        (deck, session, token)
    }

    /// No token from a Kubernetes login is left in Vault.
    async fn no_login_token_left(&self, mount: &str) -> bool {
        let (_, accessors) = vault(
            self.vault.url(),
            "LIST",
            "auth/token/accessors",
            Some(&self.root),
            None,
        )
        .await;
        for accessor in accessors["data"]["keys"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let (_, token) = vault(
                self.vault.url(),
                "POST",
                "auth/token/lookup-accessor",
                Some(&self.root),
                Some(json!({ "accessor": accessor })),
            )
            .await;
            if token["data"]["path"]
                .as_str()
                .unwrap_or_default()
                .starts_with(&format!("auth/{mount}/login"))
            {
                return false;
            }
        }
        true
    }
}

async fn prove(deck: &Deck, session: &str, plan: &Plan) -> common::Answer {
    deck.call(
        "POST",
        "delivery/prove",
        Some(session),
        Some(json!({ "plan": plan })),
    )
    .await
}

/// The Secrets a proof made in `namespace` (its token's anchors), still there.
async fn anchors_left(cluster: &TestCluster, namespace: &str) -> usize {
    let path = format!(
        "/api/v1/namespaces/{namespace}/secrets?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dvaultdeck"
    );
    let (_, list) = cluster.admin_call("GET", &path, None).await.unwrap();
    list["items"].as_array().map(Vec::len).unwrap_or(0)
}

#[tokio::test]
async fn the_generated_agent_configuration_renders_every_secret_with_the_real_agent() {
    let cluster = cluster().await;
    let lab = delivery_lab(&cluster, "deliver-prove", "k8s-team", "vault").await;
    // A user name and password in VAULT_ADDR (for a proxy in front of Vault) go to the
    // agent, and never to the browser: the report once showed them in its configuration.
    let with_credentials = lab
        .vault
        .url()
        .replacen("://", "://proxy-user:proxy-password@", 1);
    let deck = lab.deck_at(&cluster, &with_credentials).await;
    let session = deck.login_with_token(&lab.root).await;

    let settings = deck
        .call("GET", "delivery/settings", Some(&session), None)
        .await
        .expect(200)
        .json();
    assert_eq!(settings["agent"], "bao");
    assert_eq!(
        settings["vault_addr"],
        lab.vault.url().trim_end_matches('/')
    );

    // A custom auth mount, a role with an audience, KV v2 and KV v1, three formats.
    let plan = lab.plan("k8s-team", Some("vault"));
    let answer = prove(&deck, &session, &plan).await.expect(200);
    let report = answer.json();
    assert_eq!(report["agent"]["ok"], true, "{report:#}");
    assert_eq!(report["pod_token"]["audiences"], json!(["vault"]));
    assert_eq!(report["pod_token"]["expiration_seconds"], 600);
    let files = report["files"].as_array().unwrap();
    assert_eq!(
        files[0]["rendered"],
        "username=app-one\npassword=app_one-secret\n"
    );
    assert_eq!(
        serde_json::from_str::<Value>(files[1]["rendered"].as_str().unwrap()).unwrap(),
        json!({ "password": "app_one-secret" })
    );
    assert_eq!(files[2]["rendered"], LEGACY_TOKEN);
    for file in files {
        for check in file["checks"].as_array().unwrap() {
            assert_eq!(check["found"], true, "{file}");
        }
    }
    let hcl = report["config_hcl"].as_str().unwrap();
    assert!(hcl.contains("mount_path = \"auth/k8s-team\""), "{hcl}");
    assert!(
        hcl.contains(&format!(
            "address = \"{}\"",
            lab.vault.url().trim_end_matches('/')
        )),
        "{hcl}"
    );
    assert_eq!(report["revoked"], true);
    assert_eq!(report["invalidated"], true);
    assert!(
        lab.no_login_token_left("k8s-team").await,
        "the agent's Vault token was revoked"
    );
    assert_eq!(anchors_left(&cluster, "deliver-prove").await, 0);
    assert!(lab.work_dir_is_empty(), "the run's files are gone");
    assert!(
        !answer.text.contains("eyJ"),
        "no service-account token in the answer"
    );
    assert!(!answer.text.contains("proxy-password"), "{}", answer.text);

    // A key the secret does not have fails the render instead of writing `<no value>`.
    let mut missing = lab.plan("k8s-team", Some("vault"));
    missing.secrets.truncate(1);
    missing.secrets[0].keys = vec!["nonexistent".into()];
    let report = prove(&deck, &session, &missing).await.expect(200).json();
    assert_eq!(report["agent"]["ok"], false, "{report:#}");
    assert!(report["files"][0]["rendered"].is_null(), "{report:#}");
    let log = report["agent"]["log"].to_string();
    assert!(log.contains("nonexistent"), "the log says why: {log}");
    assert!(lab.work_dir_is_empty());
}

/// The render shows secret values, read by the *role's* token: a user whose own token
/// cannot read a secret — though they may act on the mount's roles — gets a refusal, and
/// the cluster is not even asked for a token.
#[tokio::test]
async fn a_proof_never_shows_what_the_users_own_token_cannot_read() {
    let cluster = cluster().await;
    let lab = delivery_lab(&cluster, "deliver-custody", "kubernetes", "").await;
    let operator_policy = r#"
        path "auth/kubernetes/role/*" { capabilities = ["read", "update", "list"] }
        path "auth/kubernetes/config" { capabilities = ["read"] }
        path "kv1/legacy" { capabilities = ["read"] }
    "#;
    let (deck, session, _) = lab
        .operator(&cluster, "k8s-operator", operator_policy)
        .await;

    let plan = lab.plan("kubernetes", None);
    let refused = prove(&deck, &session, &plan).await.expect(403);
    assert!(
        refused.text.contains("cannot read kv/data/webapps/app_one"),
        "{}",
        refused.text
    );
    assert!(!refused.text.contains("app_one-secret"));
    assert_eq!(
        anchors_left(&cluster, "deliver-custody").await,
        0,
        "no token was minted"
    );
    assert!(lab.work_dir_is_empty());

    // What the operator may read, they may prove.
    let mut readable = lab.plan("kubernetes", None);
    readable.secrets.retain(|s| s.mount == "kv1");
    let report = prove(&deck, &session, &readable).await.expect(200).json();
    assert_eq!(report["files"][0]["rendered"], LEGACY_TOKEN, "{report:#}");
}

/// The agent reads a template's path as a URL (openbao-template trims spaces and `/`, then
/// parses it with Go's `url.Parse`): `#…` is dropped, `?…` becomes a query. Vaultdeck's own
/// read takes those characters as they are. So a decoy the user wrote at
/// `webapps/app_one#p` (or `webapps/app_one ` with a trailing space) passes the user's read
/// check while the agent renders `webapps/app_one`, which the user may not read. A path
/// that the two could read differently is refused before anything runs.
#[tokio::test]
async fn a_proof_renders_only_the_path_the_user_was_checked_for() {
    let cluster = cluster().await;
    let lab = delivery_lab(&cluster, "deliver-url", "kubernetes", "").await;
    let operator_policy = r#"
        path "auth/kubernetes/role/*" { capabilities = ["read", "update", "list"] }
        path "auth/kubernetes/config" { capabilities = ["read"] }
        path "kv/data/webapps/*" { capabilities = ["create", "read", "update"] }
        path "kv/data/webapps/app_one" { capabilities = ["deny"] }
    "#;
    let (deck, session, operator) = lab
        .operator(&cluster, "k8s-url-operator", operator_policy)
        .await;

    for decoy in [
        "webapps/app_one#p",
        "webapps/app_one?p=1",
        "webapps/app%5Fone",
        "webapps/app_one /",
    ] {
        // Written where Vaultdeck's read looks: the plan's path without its slashes at
        // either end.
        let encoded: String = decoy
            .trim_matches('/')
            .split('/')
            .map(|segment| {
                segment
                    .replace('%', "%25")
                    .replace('#', "%23")
                    .replace('?', "%3F")
                    .replace(' ', "%20")
            })
            .collect::<Vec<_>>()
            .join("/");
        let (status, written) = vault(
            lab.vault.url(),
            "POST",
            &format!("kv/data/{encoded}"),
            Some(&operator),
            Some(json!({ "data": { "password": "decoy" } })),
        )
        .await;
        assert_eq!(status, 200, "{decoy}: {written}");

        let mut plan = lab.plan("kubernetes", None);
        plan.secrets.truncate(1);
        plan.secrets[0].path = decoy.into();
        plan.secrets[0].keys = vec!["password".into()];
        let answer = prove(&deck, &session, &plan).await;
        assert!(
            !answer.text.contains("app_one-secret"),
            "{decoy}: the agent rendered what the user may not read: {}",
            answer.text
        );
        assert_eq!(answer.status, 400, "{decoy}: {}", answer.text);
        assert!(answer.text.contains(decoy), "{decoy}: {}", answer.text);
    }
    assert_eq!(anchors_left(&cluster, "deliver-url").await, 0);
}

/// The user's own read stands in for the agent's only where an answer is the same for any
/// token that may read it: a KV secret. Elsewhere the answer is the caller's own:
/// `auth/token/lookup-self` read by the agent is the agent's token, which the render would
/// carry to the browser (alive, if the role makes batch tokens, which cannot be revoked).
/// So every secret must sit in a KV mount of the version the plan says, at the mount's root.
#[tokio::test]
async fn a_proof_reads_only_from_kv_mounts() {
    let cluster = cluster().await;
    let lab = delivery_lab(&cluster, "deliver-kv-only", "kubernetes", "").await;
    let operator_policy = r#"
        path "auth/kubernetes/role/*" { capabilities = ["read", "update", "list"] }
        path "auth/kubernetes/config" { capabilities = ["read"] }
        path "kv/data/webapps/*" { capabilities = ["read"] }
        path "kv1/legacy" { capabilities = ["read"] }
    "#;
    let (deck, session, _) = lab
        .operator(&cluster, "k8s-kv-operator", operator_policy)
        .await;

    // (mount, KV version, path, key): the agent's own token; a folder taken for a mount;
    // a KV v2 mount read as version 1.
    for (mount, version, path, key) in [
        ("auth/token", 1, "lookup-self", "id"),
        ("kv/data", 1, "webapps/app_one", "data"),
        ("kv", 1, "data/webapps/app_one", "data"),
    ] {
        let mut plan = lab.plan("kubernetes", None);
        plan.secrets.truncate(1);
        plan.secrets[0].mount = mount.into();
        plan.secrets[0].kv_version = version;
        plan.secrets[0].path = path.into();
        plan.secrets[0].keys = vec![key.into()];
        plan.secrets[0].format = Format::OneKey;
        let answer = prove(&deck, &session, &plan).await;
        assert_eq!(answer.status, 400, "{mount} {path}: {}", answer.text);
        assert!(answer.text.contains(mount), "{mount}: {}", answer.text);
        assert!(!answer.text.contains("rendered"), "{}", answer.text);
    }
    assert_eq!(anchors_left(&cluster, "deliver-kv-only").await, 0);
    assert!(lab.no_login_token_left("kubernetes").await);
}

/// A mount made with the type `generic` (the name of KV before Vault 0.8, still accepted)
/// is KV version 1, and OpenBao still reports it as `generic`: it may be proved.
#[tokio::test]
async fn a_generic_mount_is_proved_as_kv_version_1() {
    let cluster = cluster().await;
    let lab = delivery_lab(&cluster, "deliver-generic", "kubernetes", "").await;
    let url = lab.vault.url();
    as_root(
        url,
        &lab.root,
        "POST",
        "sys/mounts/gen",
        json!({ "type": "generic" }),
    )
    .await;
    let (_, mount) = vault(
        url,
        "GET",
        "sys/internal/ui/mounts/gen",
        Some(&lab.root),
        None,
    )
    .await;
    assert_eq!(mount["data"]["type"], "generic", "{mount}");
    as_root(
        url,
        &lab.root,
        "POST",
        "gen/legacy",
        json!({ "token": "from-generic" }),
    )
    .await;
    let policy = r#"path "gen/legacy" { capabilities = ["read"] }"#;
    as_root(
        url,
        &lab.root,
        "PUT",
        "sys/policies/acl/webapp-one-read",
        json!({ "policy": policy }),
    )
    .await;
    let deck = lab.deck(&cluster).await;
    let session = deck.login_with_token(&lab.root).await;

    let mut plan = lab.plan("kubernetes", None);
    plan.secrets.truncate(1);
    plan.secrets[0].mount = "gen".into();
    plan.secrets[0].kv_version = 1;
    plan.secrets[0].path = "legacy".into();
    plan.secrets[0].keys = vec!["token".into()];
    plan.secrets[0].format = Format::OneKey;
    let report = prove(&deck, &session, &plan).await.expect(200).json();
    assert_eq!(report["files"][0]["rendered"], "from-generic", "{report:#}");
    assert_eq!(anchors_left(&cluster, "deliver-generic").await, 0);
    assert!(lab.no_login_token_left("kubernetes").await);
}

/// The plan's address is what pods use; the agent talks only to the Vault Vaultdeck is
/// configured for, so a user cannot send the pod's token (or Vault's answers) anywhere.
#[tokio::test]
async fn the_agent_talks_only_to_the_vault_vaultdeck_uses() {
    let cluster = cluster().await;
    let lab = delivery_lab(&cluster, "deliver-addr", "kubernetes", "").await;
    let stranger = Recorder::start(Behaviour::Answer {
        status: 200,
        body: "{}".into(),
        delay: Duration::ZERO,
    })
    .await;
    let deck = lab.deck(&cluster).await;
    let session = deck.login_with_token(&lab.root).await;
    let mut plan = lab.plan("kubernetes", None);
    plan.vault_addr = stranger.url.clone();
    plan.vault_namespace = Some("elsewhere".into());
    let report = prove(&deck, &session, &plan).await.expect(200).json();
    assert_eq!(report["agent"]["ok"], true, "{report:#}");
    assert_eq!(
        stranger.requests().len(),
        0,
        "the stranger's server heard nothing"
    );
    assert!(!report["config_hcl"]
        .as_str()
        .unwrap()
        .contains(&stranger.url));
}

/// The same custody rules as the test login: no token for an account the role does not
/// bind; none for a mount that sends tokens to another server; none without `update` on the
/// mount's roles; no proof without an agent.
#[tokio::test]
async fn a_proof_mints_only_what_the_test_login_would() {
    let cluster = cluster().await;
    let lab = delivery_lab(&cluster, "deliver-rules", "kubernetes", "").await;
    let deck = lab.deck(&cluster).await;
    let session = deck.login_with_token(&lab.root).await;

    let mut stranger = lab.plan("kubernetes", None);
    stranger.service_account = "stranger".into();
    let report = prove(&deck, &session, &stranger).await.expect(200).json();
    assert_eq!(report["binding"]["refusal"], "name_not_bound", "{report:#}");
    assert!(report["token_request"].is_null());
    assert_eq!(anchors_left(&cluster, "deliver-rules").await, 0);

    // A mount whose TokenReviews go to a server the user runs gets nothing.
    let elsewhere = Recorder::start(Behaviour::Answer {
        status: 200,
        body: "{}".into(),
        delay: Duration::ZERO,
    })
    .await;
    enable_auth(lab.vault.url(), &lab.root, "theirs", "kubernetes").await;
    configure_mount(
        lab.vault.url(),
        &lab.root,
        "theirs",
        &elsewhere.url,
        cluster.ca_pem(),
        "",
    )
    .await;
    let theirs = lab.plan("theirs", None);
    let refused = prove(&deck, &session, &theirs).await.expect(403);
    assert!(
        refused.text.contains("not configured for the cluster"),
        "{}",
        refused.text
    );
    assert_eq!(elsewhere.requests().len(), 0);

    let reader = create_token(
        lab.vault.url(),
        &lab.root,
        json!({ "policies": ["webapp-one-read"] }),
    )
    .await;
    let reader = deck.login_with_token(&reader).await;
    prove(&deck, &reader, &lab.plan("kubernetes", None))
        .await
        .expect(403);
    deck.call(
        "POST",
        "delivery/prove",
        None,
        Some(json!({ "plan": lab.plan("kubernetes", None) })),
    )
    .await
    .expect(401);

    let without_agent = common::kube::deck_for(lab.vault.url(), &cluster).await;
    let session = without_agent.login_with_token(&lab.root).await;
    let settings = without_agent
        .call("GET", "delivery/settings", Some(&session), None)
        .await
        .expect(200)
        .json();
    assert!(settings["agent"].is_null());
    prove(&without_agent, &session, &lab.plan("kubernetes", None))
        .await
        .expect(503);
    assert!(lab.work_dir_is_empty());
}

/// `kubectl apply --server-side --dry-run=server` with this text as its input. A patch is a
/// partial Deployment, which kubectl's own schema check (made for whole objects) refuses,
/// so that check is off: the API server validates the object the patch makes, and the
/// tests compare what comes back with what was sent, so a field it dropped is noticed.
async fn dry_run_apply(cluster: &TestCluster, manifest: &str) -> (bool, String) {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new("kubectl")
        .args([
            "apply",
            "--server-side",
            "--dry-run=server",
            "--validate=false",
            "-o",
            "json",
            "-f",
            "-",
        ])
        .env("KUBECONFIG", cluster.kubeconfig_path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(manifest.as_bytes()).await.unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// A Deployment like the course's `webapp-one`, running as `default`.
async fn deployment(cluster: &TestCluster, namespace: &str) {
    namespace_and_accounts(cluster, namespace, &["webapp-one"]).await;
    let labels = json!({ "app": "webapp-one" });
    admin(
        cluster,
        "POST",
        &format!("/apis/apps/v1/namespaces/{namespace}/deployments"),
        json!({
            "metadata": { "name": "webapp-one" },
            "spec": {
                "selector": { "matchLabels": labels },
                "template": {
                    "metadata": { "labels": labels },
                    "spec": { "containers": [{ "name": "webapp-one", "image": "burtlo/devwebapp-ruby:k8s" }] },
                },
            },
        }),
    )
    .await;
}

/// The patch as a partial Deployment, as server-side apply takes it.
fn as_apply(namespace: &str, patch: &Yaml) -> String {
    let Yaml::Map(mut entries) = patch.clone() else {
        panic!("a patch is a map")
    };
    let mut head = vec![
        ("apiVersion".to_string(), Yaml::str("apps/v1")),
        ("kind".to_string(), Yaml::str("Deployment")),
        (
            "metadata".to_string(),
            Yaml::map([
                ("name", Yaml::str("webapp-one")),
                ("namespace", Yaml::str(namespace)),
            ]),
        ),
    ];
    head.append(&mut entries);
    Yaml::Map(head).to_document()
}

fn plan_in(namespace: &str) -> Plan {
    Plan {
        vault_addr: "http://vault.vault-system.svc:8200".into(),
        vault_namespace: Some("team-a".into()),
        auth_mount: "k8s-cluster1".into(),
        role: "webapp-one".into(),
        namespace: namespace.into(),
        service_account: "webapp-one".into(),
        workload: "webapp-one".into(),
        container: "webapp-one".into(),
        audience: Some("vault".into()),
        secrets: vec![
            SecretPick {
                name: "app_one".into(),
                mount: "kv".into(),
                kv_version: 2,
                path: "webapps/app_one".into(),
                keys: vec!["password".into(), "username".into()],
                format: Format::EnvFile,
            },
            SecretPick {
                name: "legacy.json".into(),
                mount: "kv1".into(),
                kv_version: 1,
                path: "legacy".into(),
                keys: vec!["token".into()],
                format: Format::Json,
            },
        ],
        sync_secret: true,
    }
}

#[tokio::test]
async fn the_injector_patch_is_accepted_by_the_api_server_as_written() {
    let cluster = cluster().await;
    deployment(&cluster, "deliver-injector").await;
    for plan in [plan_in("deliver-injector"), {
        let mut lab = plan_in("deliver-injector");
        lab.audience = None;
        lab.vault_namespace = None;
        lab.auth_mount = "kubernetes".into();
        lab
    }] {
        let manifest = as_apply("deliver-injector", &injector::patch(&plan));
        let (accepted, output) = dry_run_apply(&cluster, &manifest).await;
        assert!(accepted, "{output}\n{manifest}");
        let applied: Value = serde_json::from_str(&output).unwrap();
        let template = &applied["spec"]["template"];
        for (name, value) in injector::annotations(&plan) {
            assert_eq!(
                template["metadata"]["annotations"][&name],
                json!(value),
                "{name}"
            );
        }
        assert_eq!(template["spec"]["serviceAccountName"], "webapp-one");
        assert_eq!(
            template["spec"]["containers"][0]["image"],
            "burtlo/devwebapp-ruby:k8s"
        );
        if plan.audience.is_some() {
            let volume = &template["spec"]["volumes"][0];
            assert_eq!(volume["name"], injector::TOKEN_VOLUME);
            let token = &volume["projected"]["sources"][0]["serviceAccountToken"];
            assert_eq!(token["audience"], "vault");
            assert_eq!(token["expirationSeconds"], 600);
            assert_eq!(token["path"], injector::TOKEN_FILE);
        }
    }
    // The dry run changed nothing.
    let (_, stored) = cluster
        .admin_call(
            "GET",
            "/apis/apps/v1/namespaces/deliver-injector/deployments/webapp-one",
            None,
        )
        .await
        .unwrap();
    assert!(
        stored["spec"]["template"]["metadata"]["annotations"].is_null(),
        "{stored}"
    );
}

/// Minimal CustomResourceDefinitions for the CSI driver's and ESO's kinds: their names,
/// groups, versions and scope as the projects define them, but a schema that accepts any
/// object — so the API server checks the objects' kind, version and metadata, not their
/// fields. (The real CRDs use features newer than this v1.20 API server.) What the fields
/// must be is checked here instead, from the parsed text.
async fn install_minimal_crds(cluster: &TestCluster) {
    for (group, kind, plural) in [
        (
            "secrets-store.csi.x-k8s.io",
            "SecretProviderClass",
            "secretproviderclasses",
        ),
        ("external-secrets.io", "SecretStore", "secretstores"),
        ("external-secrets.io", "ExternalSecret", "externalsecrets"),
    ] {
        let crd = json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": { "name": format!("{plural}.{group}") },
            "spec": {
                "group": group,
                "scope": "Namespaced",
                "names": {
                    "kind": kind,
                    "listKind": format!("{kind}List"),
                    "plural": plural,
                    "singular": kind.to_lowercase(),
                },
                "versions": [{
                    "name": "v1",
                    "served": true,
                    "storage": true,
                    "schema": { "openAPIV3Schema": { "type": "object", "x-kubernetes-preserve-unknown-fields": true } },
                }],
            },
        });
        admin(
            cluster,
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            crd,
        )
        .await;
    }
    // The API server serves new kinds a moment after it accepts their definitions.
    for _ in 0..50 {
        let (status, _) = cluster
            .admin_call("GET", "/apis/external-secrets.io/v1/externalsecrets", None)
            .await
            .unwrap();
        let (csi, _) = cluster
            .admin_call(
                "GET",
                "/apis/secrets-store.csi.x-k8s.io/v1/secretproviderclasses",
                None,
            )
            .await
            .unwrap();
        if status == 200 && csi == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the minimal CRDs were not served");
}

#[tokio::test]
async fn csi_and_eso_objects_are_accepted_once_their_crds_exist() {
    let cluster = cluster().await;
    install_minimal_crds(&cluster).await;
    deployment(&cluster, "deliver-operators").await;
    let plan = plan_in("deliver-operators");

    let class = csi::secret_provider_class(&plan).to_document();
    let (accepted, output) = dry_run_apply(&cluster, &class).await;
    assert!(accepted, "{output}\n{class}");
    // What the real CRD would check: every parameter a string; `objects` a YAML list.
    let parsed: Value = serde_norway::from_str(&class).unwrap();
    for (name, value) in parsed["spec"]["parameters"].as_object().unwrap() {
        assert!(
            value.is_string(),
            "parameter {name} is not a string: {value}"
        );
    }
    let objects: Value =
        serde_norway::from_str(parsed["spec"]["parameters"]["objects"].as_str().unwrap()).unwrap();
    assert_eq!(objects[0]["secretPath"], "kv/data/webapps/app_one");
    assert_eq!(objects[2]["secretPath"], "kv1/legacy");
    assert_eq!(
        parsed["spec"]["parameters"]["vaultKubernetesMountPath"],
        "k8s-cluster1"
    );
    assert_eq!(
        parsed["spec"]["secretObjects"][0]["data"][1]["key"],
        "username"
    );

    let pod = as_apply("deliver-operators", &csi::pod_patch(&plan));
    let (accepted, output) = dry_run_apply(&cluster, &pod).await;
    assert!(accepted, "{output}\n{pod}");
    let applied: Value = serde_json::from_str(&output).unwrap();
    let container = &applied["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["volumeMounts"][0]["mountPath"], csi::MOUNT_PATH);
    assert_eq!(container["volumeMounts"][0]["readOnly"], true);
    let volume = &applied["spec"]["template"]["spec"]["volumes"][0];
    assert_eq!(volume["csi"]["driver"], csi::DRIVER);
    assert_eq!(
        volume["csi"]["volumeAttributes"]["secretProviderClass"],
        "webapp-one-vault"
    );
    assert_eq!(
        container["image"], "burtlo/devwebapp-ruby:k8s",
        "the container is merged by name"
    );

    let operators = vaultdeck_app::delivery::yaml::documents(&eso::objects(&plan));
    let (accepted, output) = dry_run_apply(&cluster, &operators).await;
    assert!(accepted, "{output}\n{operators}");
    let documents: Vec<Value> = operators
        .split("---\n")
        .map(|doc| serde_norway::from_str(doc).unwrap())
        .collect();
    let store = &documents[0]["spec"]["provider"]["vault"];
    assert_eq!(store["path"], "kv");
    assert_eq!(store["version"], "v2");
    assert_eq!(store["auth"]["kubernetes"]["mountPath"], "k8s-cluster1");
    assert_eq!(
        store["auth"]["kubernetes"]["serviceAccountRef"]["audiences"],
        json!(["vault"])
    );
    assert_eq!(documents[1]["spec"]["provider"]["vault"]["version"], "v1");
    assert_eq!(
        documents[2]["spec"]["data"][0]["remoteRef"]["key"],
        "webapps/app_one"
    );
    assert_eq!(
        documents[3]["spec"]["secretStoreRef"]["name"],
        "webapp-one-kv1"
    );
}
