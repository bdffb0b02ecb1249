//! The custody guarantees, each written as the attack it stops (issue "close the custody
//! holes"). Every test ran green against the attacker before its fix and fails now if the
//! hole opens again. They run against a real OpenBao (and again against labvault) and,
//! where the cluster matters, the real kube-apiserver.

mod common;

use common::{
    cookie_pair, create_token,
    kube::{
        admin, as_root, cluster, configure_mount, deck_for, enable_auth, namespace_and_accounts,
        reviewer_jwt,
    },
    lab,
    recorder::{Behaviour, Recorder},
    vault as call_vault, vaultdeck, Deck,
};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A user who administers only their own Kubernetes auth mount, as a policy would say.
async fn mount_administrator(vault_url: &str, root: &str, mount: &str) -> String {
    let policy = format!(
        r#"path "auth/{mount}/*" {{ capabilities = ["create", "read", "update", "delete", "list"] }}"#
    );
    as_root(
        vault_url,
        root,
        "PUT",
        &format!("sys/policies/acl/{mount}-admin"),
        json!({ "policy": policy }),
    )
    .await;
    create_token(
        vault_url,
        root,
        json!({ "policies": [format!("{mount}-admin")] }),
    )
    .await
}

/// A user who administers a Kubernetes auth mount's roles, and may read its configuration
/// but not change it (the platform team set it).
async fn role_administrator(vault_url: &str, root: &str, mount: &str) -> String {
    let policy = format!(
        r#"path "auth/{mount}/role/*" {{ capabilities = ["create", "read", "update", "delete", "list"] }}
path "auth/{mount}/config" {{ capabilities = ["read"] }}"#
    );
    let name = format!("{mount}-roles");
    as_root(
        vault_url,
        root,
        "PUT",
        &format!("sys/policies/acl/{name}"),
        json!({ "policy": policy }),
    )
    .await;
    create_token(vault_url, root, json!({ "policies": [name] })).await
}

/// Finding 1 (critical): "Can this pod read it?" must not send a token the BFF minted to a
/// server the mount's administrator chose. Here the administrator of `team-k8s` points its
/// `kubernetes_host` at a server they run, binds a role to `*`/`*`, and asks for a powerful
/// service account in `kube-system`.
#[tokio::test]
async fn a_mount_pointed_at_a_strangers_server_gets_no_cluster_token() {
    let cluster = cluster().await;
    let (vault, root) = lab().await;
    namespace_and_accounts(&cluster, "kube-system", &["powerful"]).await;
    let stranger = Recorder::start(Behaviour::Answer {
        status: 201,
        body: json!({ "status": { "authenticated": true, "user": {
            "username": "system:serviceaccount:kube-system:powerful", "uid": "1" } } })
        .to_string(),
        delay: Duration::ZERO,
    })
    .await;
    enable_auth(vault.url(), &root, "team-k8s", "kubernetes").await;
    let attacker = mount_administrator(vault.url(), &root, "team-k8s").await;
    configure_mount(
        vault.url(),
        &attacker,
        "team-k8s",
        &stranger.url,
        cluster.ca_pem(),
        "",
    )
    .await;
    let role = json!({
        "bound_service_account_names": ["*"],
        "bound_service_account_namespaces": ["*"],
        "token_policies": ["default"],
    });
    as_root(
        vault.url(),
        &attacker,
        "POST",
        "auth/team-k8s/role/any",
        role,
    )
    .await;
    let deck = deck_for(vault.url(), &cluster).await;
    let session = deck.login_with_token(&attacker).await;

    let attempt = json!({ "mount": "team-k8s", "role": "any", "namespace": "kube-system",
        "service_account": "powerful", "paths": [] });
    let refused = deck
        .call("POST", "k8s/test-login", Some(&session), Some(attempt))
        .await
        .expect(403);
    assert!(
        refused
            .text
            .contains("not configured for the cluster Vaultdeck uses")
            && refused
                .text
                .contains("is not the API server Vaultdeck uses"),
        "{}",
        refused.text
    );
    assert!(
        stranger.requests().is_empty(),
        "the stranger's server received: {:?}",
        stranger.requests()
    );
    // Nor may the administrator create service accounts through that mount.
    let create = json!({ "name": "backdoor", "create_namespace": false });
    deck.call(
        "POST",
        "k8s/namespaces/kube-system/serviceaccounts?mount=team-k8s",
        Some(&session),
        Some(create),
    )
    .await
    .expect(403);
}

/// A page on a sibling host can set a `vaultdeck_session` cookie for the parent domain with
/// a longer path; the browser then sends it first. Taking the first would run the victim's
/// calls in the attacker's session (what they save lands under the attacker's token, and
/// logging out ends the attacker's session). Two session cookies are refused instead.
#[tokio::test]
async fn a_planted_second_session_cookie_is_refused_not_chosen() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let planted = deck.login_with_token(&root).await;
    let own = deck.login_with_token(&root).await;
    for cookies in [format!("{planted}; {own}"), format!("{own}; {planted}")] {
        let answer = deck.call("GET", "session", Some(&cookies), None).await;
        assert_eq!(answer.status, 400, "{cookies}: {}", answer.text);
        assert!(answer.text.contains("more than one"), "{}", answer.text);
        let read = deck
            .call(
                "GET",
                "vault/v1/auth/token/lookup-self",
                Some(&cookies),
                None,
            )
            .await;
        assert_eq!(read.status, 400, "{}", read.text);
        let login = json!({ "method": "token", "token": root });
        let again = deck
            .call("POST", "session", Some(&cookies), Some(login))
            .await;
        assert_eq!(again.status, 400, "{}", again.text);
    }
    deck.call("GET", "session", Some(&own), None)
        .await
        .expect(200);
    // Another deployment on the same host name (cookies ignore ports) is not a choice to
    // refuse: its cookie names no session here and is ignored, in either order.
    let elsewhere = vaultdeck(&lab.url(), &[])
        .await
        .login_with_token(&root)
        .await;
    for cookies in [format!("{elsewhere}; {own}"), format!("{own}; {elsewhere}")] {
        let answer = deck.call("GET", "session", Some(&cookies), None).await;
        assert_eq!(answer.status, 200, "{cookies}: {}", answer.text);
    }
    // Each cookie costs a store read: a header full of them is refused unread.
    let many: Vec<String> = (0..6)
        .map(|i| format!("vaultdeck_session={i:A<43}"))
        .chain([own.clone()])
        .collect();
    let answer = deck
        .call("GET", "session", Some(&many.join("; ")), None)
        .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    // Logging out with both ends both sessions: which one is the user's is not known, and
    // one left behind would stay usable by whoever holds its cookie.
    let both = format!("{planted}; {own}");
    let logout = deck.call("DELETE", "session", Some(&both), None).await;
    assert_eq!(logout.status, 200, "{}", logout.text);
    assert!(
        logout.text.contains("every session they named was ended"),
        "{}",
        logout.text
    );
    for cookie in [&planted, &own] {
        let after = deck.call("GET", "session", Some(cookie), None).await;
        assert_eq!(after.status, 401, "{cookie}: {}", after.text);
    }
}

/// A mount is the one named, of the kind named. `sys/internal/ui/mounts/X` answers for the
/// mount that *holds* X, so the administrator of an auth method, asking as if
/// `auth/team-k8s` were a secrets engine, passed every check meant for that engine.
#[tokio::test]
async fn an_auth_mount_cannot_pass_for_a_secrets_engine() {
    let cluster = cluster().await;
    let (vault, root) = lab().await;
    namespace_and_accounts(&cluster, "posing", &[]).await;
    enable_auth(vault.url(), &root, "posing-k8s", "kubernetes").await;
    let attacker = mount_administrator(vault.url(), &root, "posing-k8s").await;
    configure_mount(
        vault.url(),
        &attacker,
        "posing-k8s",
        cluster.api_url(),
        cluster.ca_pem(),
        "",
    )
    .await;
    let deck = deck_for(vault.url(), &cluster).await;
    let session = deck.login_with_token(&attacker).await;
    for query in [
        "mount=auth/posing-k8s&engine=secrets",
        "mount=posing-k8s/role/x&engine=auth",
    ] {
        let create = json!({ "name": "posed", "create_namespace": false });
        let refused = deck
            .call(
                "POST",
                &format!("k8s/namespaces/posing/serviceaccounts?{query}"),
                Some(&session),
                Some(create),
            )
            .await;
        assert_eq!(refused.status, 403, "{query}: {}", refused.text);
        assert!(
            refused.text.contains("is not a mount"),
            "{query}: {}",
            refused.text
        );
    }
    let (status, _) = cluster
        .admin_call(
            "GET",
            "/api/v1/namespaces/posing/serviceaccounts/posed",
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 404, "the posing administrator created an account");
}

/// A Kubernetes auth mount `name` with a role `webapp-one` binding that account in
/// `{name}-apps` for `audience`, pointed at the cluster through a recording proxy that the
/// deck accepts as another name of the API server (so the test sees what Vault sends to
/// TokenReview); the deck and a session on it of a user who administers the mount's roles
/// but may not change its configuration.
struct AudienceLab {
    deck: Deck,
    session: String,
    proxy: Recorder,
}

async fn audience_lab(
    cluster: &testcluster::TestCluster,
    vault_url: &str,
    root: &str,
    name: &str,
    audience: &str,
) -> AudienceLab {
    let namespace = format!("{name}-apps");
    let reviewer = reviewer_jwt(cluster, &format!("{name}-vault")).await;
    namespace_and_accounts(cluster, &namespace, &["webapp-one"]).await;
    let proxy = Recorder::start(Behaviour::Forward {
        to: cluster.api_url().to_string(),
        strip: String::new(),
        ca_pem: Some(cluster.ca_pem().to_string()),
    })
    .await;
    enable_auth(vault_url, root, name, "kubernetes").await;
    configure_mount(
        vault_url,
        root,
        name,
        &proxy.url,
        cluster.ca_pem(),
        &reviewer,
    )
    .await;
    let role = json!({
        "bound_service_account_names": ["webapp-one"],
        "bound_service_account_namespaces": [namespace],
        "audience": audience,
        "token_policies": ["default"],
    });
    let role_path = format!("auth/{name}/role/webapp-one");
    as_root(vault_url, root, "POST", &role_path, role).await;
    let kubeconfig = cluster.kubeconfig_path().to_str().unwrap().to_string();
    let aliases = [
        "--kubeconfig",
        &kubeconfig,
        "--kube-host-aliases",
        &proxy.url,
    ];
    let deck = vaultdeck(vault_url, &aliases).await;
    let session = deck
        .login_with_token(&role_administrator(vault_url, root, name).await)
        .await;
    AudienceLab {
        deck,
        session,
        proxy,
    }
}

/// Finding 1: with the mount rightly pointed at the cluster, the token minted for the
/// check is as weak as the check allows — the role's audience, ten minutes, bound to a
/// Secret that is deleted right after, so the token no longer authenticates. A proxy the
/// operator declared as another name of the API server lets the test see the token Vault
/// sends to TokenReview.
#[tokio::test]
async fn the_test_token_has_the_roles_audience_and_dies_with_its_secret() {
    let cluster = cluster().await;
    let (vault, root) = lab().await;
    let AudienceLab {
        deck,
        session,
        proxy,
    } = audience_lab(&cluster, vault.url(), &root, "weak", "vault").await;

    let check = json!({ "mount": "weak", "role": "webapp-one", "namespace": "weak-apps",
        "service_account": "webapp-one", "paths": ["sys/mounts"] });
    let report = deck
        .call("POST", "k8s/test-login", Some(&session), Some(check))
        .await
        .expect(200)
        .json();
    assert_eq!(report["login"]["ok"], true, "{report}");
    assert_eq!(report["pod_token"]["audiences"], json!(["vault"]));
    assert_eq!(report["invalidated"], true);

    let review = proxy
        .requests()
        .into_iter()
        .find(|r| r.target.contains("tokenreviews"))
        .expect("Vault asked the cluster to review the token");
    let sent: Value = serde_json::from_str(&review.body).unwrap();
    let token = sent["spec"]["token"].as_str().unwrap().to_string();
    let claims = jwt_claims(&token);
    assert_eq!(claims["aud"], json!(["vault"]), "{claims}");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    let bound = &claims["kubernetes.io"]["secret"]["name"];
    assert!(
        bound
            .as_str()
            .unwrap()
            .starts_with("vaultdeck-login-check-"),
        "{claims}"
    );
    let (status, _) = cluster
        .admin_call(
            "GET",
            &format!(
                "/api/v1/namespaces/weak-apps/secrets/{}",
                bound.as_str().unwrap()
            ),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 404, "the Secret the token was bound to is gone");
    assert!(
        eventually_unauthenticated(&cluster, &token, "vault").await,
        "the token still authenticates after its Secret was deleted"
    );
}

/// A role's audience keeps the test token from the API server only when the API server
/// refuses tokens for it. With the API server's own audience (the issuer, here) the token
/// would work against the cluster wherever Vault's review sends it, as an audience-less
/// one does; Vaultdeck asks the API server first and sends nothing to Vault.
#[tokio::test]
async fn a_test_token_the_api_server_accepts_is_not_sent_to_vault() {
    let cluster = cluster().await;
    let (vault, root) = lab().await;
    let issuer = testcluster::SERVICE_ACCOUNT_ISSUER;
    let AudienceLab {
        deck,
        session,
        proxy,
    } = audience_lab(&cluster, vault.url(), &root, "issuer", issuer).await;

    let check = json!({ "mount": "issuer", "role": "webapp-one", "namespace": "issuer-apps",
        "service_account": "webapp-one", "paths": [] });
    let report = deck
        .call("POST", "k8s/test-login", Some(&session), Some(check))
        .await
        .expect(200)
        .json();
    assert_eq!(report["token_request"]["ok"], false, "{report}");
    let why = report["token_request"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(why.contains("the API server accepts"), "{report}");
    assert!(report["login"].is_null(), "{report}");
    assert_eq!(report["invalidated"], true, "{report}");
    assert!(
        !proxy
            .requests()
            .iter()
            .any(|r| r.target.contains("tokenreviews")),
        "Vault was given the token to review"
    );
}

/// Helper review, stop 29: a role's audience keeps the test token from the API server, not
/// from Vault. Whoever may change the mount's `kubernetes_host` can point Vault's review at a
/// server of theirs between Vaultdeck's check and Vault's login, catch the token, and log in
/// with it to any role — on any mount, of any Vault — that binds the account for that
/// audience. By default such a user gets no test token: not a mount's administrator, not root.
#[tokio::test]
async fn a_user_who_may_repoint_the_mount_gets_no_test_token() {
    let cluster = cluster().await;
    let (vault, root) = lab().await;
    let AudienceLab { deck, proxy, .. } =
        audience_lab(&cluster, vault.url(), &root, "repoint", "vault").await;
    let administrator = mount_administrator(vault.url(), &root, "repoint").await;
    // May not write the configuration, but may disable the mount and enable one of theirs.
    let policy = r#"path "sys/auth/repoint" { capabilities = ["create", "update", "delete", "sudo"] }
path "auth/repoint/role/*" { capabilities = ["read", "update"] }
path "auth/repoint/config" { capabilities = ["read"] }"#;
    as_root(
        vault.url(),
        &root,
        "PUT",
        "sys/policies/acl/repoint-remounter",
        json!({ "policy": policy }),
    )
    .await;
    let remounter = create_token(
        vault.url(),
        &root,
        json!({ "policies": ["repoint-remounter"] }),
    )
    .await;
    for (token, right) in [
        (&administrator, "auth/repoint/config"),
        (&root, "auth/repoint/config"),
        (&remounter, "sys/auth/repoint"),
    ] {
        let session = deck.login_with_token(token).await;
        let check = json!({ "mount": "repoint", "role": "webapp-one",
            "namespace": "repoint-apps", "service_account": "webapp-one", "paths": [] });
        let report = deck
            .call("POST", "k8s/test-login", Some(&session), Some(check))
            .await
            .expect(200)
            .json();
        assert_eq!(report["token_request"]["ok"], false, "{report}");
        let why = report["token_request"]["error"]
            .as_str()
            .unwrap_or_default();
        assert!(why.contains(&format!("may change {right}")), "{report}");
        assert!(report["login"].is_null(), "{report}");
    }
    assert!(
        !proxy
            .requests()
            .iter()
            .any(|r| r.target.contains("tokenreviews")),
        "Vault was given a test token to review"
    );
    assert_eq!(anchors_in(&cluster, "repoint-apps").await, 0);
}

/// A role without an audience can be checked only with a token the whole API server
/// accepts, which Vault sends where the mount's `kubernetes_host` points; the mount's
/// administrator can race that setting and receive the token. By default no such token is
/// made: the report says why, and nothing is created in the cluster.
#[tokio::test]
async fn a_role_without_an_audience_gets_no_test_token_by_default() {
    let cluster = cluster().await;
    let (vault, root) = lab().await;
    let reviewer = reviewer_jwt(&cluster, "plain-vault").await;
    namespace_and_accounts(&cluster, "plain-apps", &["webapp-one"]).await;
    enable_auth(vault.url(), &root, "plain", "kubernetes").await;
    configure_mount(
        vault.url(),
        &root,
        "plain",
        cluster.api_url(),
        cluster.ca_pem(),
        &reviewer,
    )
    .await;
    let role = json!({
        "bound_service_account_names": ["webapp-one"],
        "bound_service_account_namespaces": ["plain-apps"],
        "token_policies": ["default"],
    });
    as_root(
        vault.url(),
        &root,
        "POST",
        "auth/plain/role/webapp-one",
        role,
    )
    .await;
    let kubeconfig = cluster.kubeconfig_path().to_str().unwrap().to_string();
    let check = json!({ "mount": "plain", "role": "webapp-one", "namespace": "plain-apps",
        "service_account": "webapp-one", "paths": [] });

    let default_deck = vaultdeck(vault.url(), &["--kubeconfig", &kubeconfig]).await;
    let session = default_deck.login_with_token(&root).await;
    let report = default_deck
        .call(
            "POST",
            "k8s/test-login",
            Some(&session),
            Some(check.clone()),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(report["binding"]["ok"], true, "{report}");
    assert_eq!(report["token_request"]["ok"], false, "{report}");
    let why = report["token_request"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(why.contains("the role has no audience"), "{report}");
    assert!(
        report["pod_token"].is_null() && report["login"].is_null(),
        "{report}"
    );
    assert_eq!(anchors_in(&cluster, "plain-apps").await, 0);

    // Where the operator allows it, the same check logs in.
    let lab_deck = deck_for(vault.url(), &cluster).await;
    let session = lab_deck.login_with_token(&root).await;
    let report = lab_deck
        .call("POST", "k8s/test-login", Some(&session), Some(check))
        .await
        .expect(200)
        .json();
    assert_eq!(report["login"]["ok"], true, "{report}");
}

/// A test login cut short still kills its token. While Vault's login is held up (here by a
/// TokenReview that the API server's other name stalls, as a server a mount administrator
/// raced the mount to would), the client closes its connection: the handler is dropped
/// before it deletes the Secret the token is bound to, and the token lived out its ten
/// minutes. It must die with the check.
#[tokio::test]
async fn a_test_login_cut_short_still_kills_its_token() {
    let cluster = cluster().await;
    let lab = stalled_review_lab(&cluster, "cut", Duration::from_secs(8)).await;
    // The client gives up first: the connection closes while Vault's login waits.
    let gave_up = lab
        .test_login()
        .timeout(Duration::from_secs(1))
        .send()
        .await;
    assert!(gave_up.is_err_and(|e| e.is_timeout()));
    assert!(
        lab.review_reached(),
        "the login reached the TokenReview before the request was cut"
    );
    let mut left = usize::MAX;
    for _ in 0..40 {
        left = anchors_in(&cluster, "cut-apps").await;
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "the token's Secret outlived the cut-short check");
}

/// A test login still waiting on Vault when Vaultdeck is told to stop (a rolling update)
/// outlives the drain. Its handler must not just vanish with the process: the token's Secret
/// is deleted before the server has stopped.
#[tokio::test]
async fn a_test_login_running_at_shutdown_still_kills_its_token() {
    let cluster = cluster().await;
    let lab = stalled_review_lab(&cluster, "shutdown", Duration::from_secs(40)).await;
    let waiting = tokio::spawn(lab.test_login().send());
    for _ in 0..100 {
        if lab.review_reached() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        anchors_in(&cluster, "shutdown-apps").await,
        1,
        "the check is under way"
    );
    lab.deck.running.stop().await.unwrap();
    assert_eq!(
        anchors_in(&cluster, "shutdown-apps").await,
        0,
        "the token's Secret outlived the server"
    );
    waiting.abort();
}

/// Vaultdeck, logged in as root, and a Kubernetes auth mount `NAME` whose TokenReviews pass
/// through a recorder that holds each for `hold` (as a server a mount administrator raced
/// the mount to would); its role `webapp-one` binds that account in `NAME-apps`.
struct StalledReviewLab {
    _vault: testvault::TestVault,
    stalling: Recorder,
    deck: Deck,
    session: String,
    name: String,
}

async fn stalled_review_lab(
    cluster: &testcluster::TestCluster,
    name: &str,
    hold: Duration,
) -> StalledReviewLab {
    let (vault, root) = lab().await;
    let namespace = format!("{name}-apps");
    let reviewer = reviewer_jwt(cluster, &format!("{name}-vault")).await;
    namespace_and_accounts(cluster, &namespace, &["webapp-one"]).await;
    let stalling = Recorder::start(Behaviour::ForwardHolding {
        to: cluster.api_url().to_string(),
        ca_pem: Some(cluster.ca_pem().to_string()),
        held: "tokenreviews".into(),
        delay: hold,
    })
    .await;
    enable_auth(vault.url(), &root, name, "kubernetes").await;
    configure_mount(
        vault.url(),
        &root,
        name,
        &stalling.url,
        cluster.ca_pem(),
        &reviewer,
    )
    .await;
    let role = json!({
        "bound_service_account_names": ["webapp-one"],
        "bound_service_account_namespaces": [namespace],
        "token_policies": ["default"],
    });
    as_root(
        vault.url(),
        &root,
        "POST",
        &format!("auth/{name}/role/webapp-one"),
        role,
    )
    .await;
    let kubeconfig = cluster.kubeconfig_path().to_str().unwrap().to_string();
    let deck = vaultdeck(
        vault.url(),
        &[
            "--kubeconfig",
            &kubeconfig,
            "--kube-host-aliases",
            &stalling.url,
            common::kube::LAB_CHECKS,
        ],
    )
    .await;
    let session = deck.login_with_token(&root).await;
    StalledReviewLab {
        _vault: vault,
        stalling,
        deck,
        session,
        name: name.into(),
    }
}

impl StalledReviewLab {
    /// The test login of `webapp-one`, ready to send.
    fn test_login(&self) -> reqwest::RequestBuilder {
        let check = json!({ "mount": self.name, "role": "webapp-one",
            "namespace": format!("{}-apps", self.name),
            "service_account": "webapp-one", "paths": [] });
        self.deck
            .http
            .post(format!("{}/k8s/test-login", self.deck.base))
            .header("X-Requested-With", "vaultdeck")
            .header("Cookie", &self.session)
            .json(&check)
    }

    /// Whether Vault's TokenReview has reached the recorder (and is being held there).
    fn review_reached(&self) -> bool {
        self.stalling
            .requests()
            .iter()
            .any(|r| r.target.contains("tokenreviews"))
    }
}

/// The Secrets test logins bind their tokens to, still in `namespace`.
async fn anchors_in(cluster: &testcluster::TestCluster, namespace: &str) -> usize {
    let path = format!(
        "/api/v1/namespaces/{namespace}/secrets?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dvaultdeck"
    );
    let (_, listed) = cluster.admin_call("GET", &path, None).await.unwrap();
    listed["items"].as_array().map_or(0, Vec::len)
}

/// What the claims of a JWT say (no signature check: the test reads what was minted).
fn jwt_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// TokenReview (as the cluster's admin) until the token no longer authenticates; the API
/// server caches a good answer for about ten seconds.
async fn eventually_unauthenticated(
    cluster: &testcluster::TestCluster,
    token: &str,
    audience: &str,
) -> bool {
    let review = json!({
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenReview",
        "spec": { "token": token, "audiences": [audience] },
    });
    for _ in 0..40 {
        let answer = admin(
            cluster,
            "POST",
            "/apis/authentication.k8s.io/v1/tokenreviews",
            review.clone(),
        )
        .await;
        if answer["status"]["authenticated"] != json!(true) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

/// Finding 1: a role bound to `*` does not let a caller name any account in the cluster:
/// only one that exists in a bound namespace gets a token.
#[tokio::test]
async fn a_wildcard_role_mints_only_for_accounts_that_exist_in_bound_namespaces() {
    let cluster = cluster().await;
    let (vault, root) = lab().await;
    let reviewer = reviewer_jwt(&cluster, "wild-vault").await;
    namespace_and_accounts(&cluster, "wild-apps", &["present"]).await;
    enable_auth(vault.url(), &root, "wild", "kubernetes").await;
    configure_mount(
        vault.url(),
        &root,
        "wild",
        cluster.api_url(),
        cluster.ca_pem(),
        &reviewer,
    )
    .await;
    let role = json!({
        "bound_service_account_names": ["*"],
        "bound_service_account_namespaces": ["wild-apps"],
        "token_policies": ["default"],
    });
    as_root(vault.url(), &root, "POST", "auth/wild/role/any", role).await;
    let deck = deck_for(vault.url(), &cluster).await;
    let session = deck.login_with_token(&root).await;
    let check = |namespace: &str, account: &str| {
        json!({ "mount": "wild", "role": "any", "namespace": namespace,
            "service_account": account, "paths": [] })
    };
    let absent = deck
        .call(
            "POST",
            "k8s/test-login",
            Some(&session),
            Some(check("wild-apps", "absent")),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(absent["binding"]["refusal"], "account_missing", "{absent}");
    assert!(absent["token_request"].is_null());
    let unbound = deck
        .call(
            "POST",
            "k8s/test-login",
            Some(&session),
            Some(check("kube-system", "default")),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(unbound["binding"]["refusal"], "namespace_not_bound");
    let present = deck
        .call(
            "POST",
            "k8s/test-login",
            Some(&session),
            Some(check("wild-apps", "present")),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(present["binding"]["ok"], true);
    assert_eq!(present["login"]["ok"], true, "{present}");
}

/// Finding 3: `update` on `auth/approle/role/*` is not a Kubernetes capability.
#[tokio::test]
async fn an_approle_administrator_cannot_use_the_cluster() {
    let cluster = cluster().await;
    let (vault, root) = lab().await;
    if !vault.flavor().is_openbao() {
        // labvault has no AppRole; a userpass mount makes the same point.
        enable_auth(vault.url(), &root, "approle", "userpass").await;
    } else {
        enable_auth(vault.url(), &root, "approle", "approle").await;
    }
    let policy =
        r#"path "auth/approle/role/*" { capabilities = ["create", "read", "update", "list"] }"#;
    as_root(
        vault.url(),
        &root,
        "PUT",
        "sys/policies/acl/approle-admin",
        json!({ "policy": policy }),
    )
    .await;
    let token = create_token(vault.url(), &root, json!({ "policies": ["approle-admin"] })).await;
    let deck = deck_for(vault.url(), &cluster).await;
    let session = deck.login_with_token(&token).await;
    for (method, path, body) in [
        ("GET", "k8s/namespaces?mount=approle", None),
        (
            "GET",
            "k8s/namespaces/default/serviceaccounts?mount=approle",
            None,
        ),
        (
            "POST",
            "k8s/namespaces/approle-made/serviceaccounts?mount=approle",
            Some(json!({ "name": "x", "create_namespace": true, "legacy_token_secret": true })),
        ),
    ] {
        let refused = deck
            .call(method, path, Some(&session), body)
            .await
            .expect(403);
        assert!(
            refused.text.contains("not a Kubernetes one"),
            "{path}: {}",
            refused.text
        );
    }
    let (status, _) = cluster
        .admin_call("GET", "/api/v1/namespaces/approle-made", None)
        .await
        .unwrap();
    assert_eq!(status, 404);
}

/// Finding 2 (high): the session's token must not leave through response wrapping, nor as
/// a child token; and blanking a token is structural — a dev server's root token is the
/// word `root`, which must not vanish from `{"root": true}`.
#[tokio::test]
async fn no_wrapped_or_child_token_leaves_and_answers_keep_their_shape() {
    let vault = testvault::TestVault::dev_with_root("root").await.unwrap();
    let deck = vaultdeck(vault.url(), &[]).await;
    let session = deck.login_with_token("root").await;

    let wrapped = passthrough(
        &deck,
        "GET",
        "auth/token/lookup-self",
        &session,
        &[("X-Vault-Wrap-TTL", "60")],
    )
    .await;
    assert_eq!(wrapped.0, 403, "{}", wrapped.1);
    assert!(wrapped.1.contains("wrapping"), "{}", wrapped.1);
    assert!(!wrapped.1.contains("wrap_info\":{"), "{}", wrapped.1);
    for path in [
        "auth/token/create",
        "auth/token/create-orphan",
        "sys/wrapping/wrap",
    ] {
        let (status, text) = passthrough(&deck, "POST", path, &session, &[]).await;
        assert_eq!(status, 403, "{path}: {text}");
    }
    let accessors_before = accessor_count_as(vault.url(), "root").await;

    let (status, lookup) = passthrough(&deck, "GET", "auth/token/lookup-self", &session, &[]).await;
    assert_eq!(status, 200);
    let lookup: Value = serde_json::from_str(&lookup).unwrap();
    assert_eq!(lookup["data"]["id"], "(redacted by Vaultdeck)");
    assert_eq!(lookup["data"]["policies"], json!(["root"]), "{lookup}");
    let (status, acl) =
        passthrough(&deck, "GET", "sys/internal/ui/resultant-acl", &session, &[]).await;
    assert_eq!(status, 200);
    let acl: Value = serde_json::from_str(&acl).expect("the answer is still JSON");
    assert_eq!(acl["data"]["root"], true, "{acl}");
    assert_eq!(
        accessor_count_as(vault.url(), "root").await,
        accessors_before,
        "no token was created"
    );
}

/// A namespace at the front of the path (OpenBao 2.3 and later, Vault Enterprise) reaches
/// the same endpoints: `team/auth/token/create` creates a token in namespace `team`, and
/// `team/auth/token/lookup-self` answers with the caller's own token. The custody rules
/// apply to the path inside any namespace, at any depth.
#[tokio::test]
async fn a_namespace_in_the_path_hands_out_no_token_either() {
    let (vault, root) = lab().await;
    // labvault has no namespaces (it says so and refuses): there, only the refusals before
    // anything reaches Vault are checked.
    let (created, _) = call_vault(
        vault.url(),
        "POST",
        "sys/namespaces/team",
        Some(&root),
        Some(json!({})),
    )
    .await;
    let has_namespaces = created == 200;
    let deck = vaultdeck(vault.url(), &[]).await;
    let session = deck.login_with_token(&root).await;
    let accessors_before = accessor_count_in(vault.url(), &root, "team/").await;

    for path in [
        "team/auth/token/create",
        "team/auth/token/create-orphan",
        "team/auth/token/create/ops",
        "team/sys/wrapping/wrap",
        "team/sys/wrapping/rewrap",
        "team/identity/oidc/token/app",
        "team/inner/auth/token/create",
    ] {
        let (status, text) = passthrough(&deck, "POST", path, &session, &[]).await;
        assert_eq!(status, 403, "{path}: {text}");
        assert!(!text.contains("client_token\":\"s."), "{path}: {text}");
    }
    assert_eq!(
        accessor_count_in(vault.url(), &root, "team/").await,
        accessors_before,
        "no token was created in the namespace"
    );

    if has_namespaces {
        let (status, lookup) =
            passthrough(&deck, "GET", "team/auth/token/lookup-self", &session, &[]).await;
        assert_eq!(status, 200, "{lookup}");
        let lookup: Value = serde_json::from_str(&lookup).unwrap();
        assert_eq!(lookup["data"]["id"], "(redacted by Vaultdeck)", "{lookup}");
    }
    // A reserved name cannot be a namespace: a cubbyhole entry called `auth/token/create`
    // is an ordinary write.
    deck.call(
        "POST",
        "vault/v1/cubbyhole/auth/token/create",
        Some(&session),
        Some(json!({"note": "kept"})),
    )
    .await
    .expect(204);
}

/// An OIDC provider's `authorize` answers the session's entity with a code, which the
/// provider's unauthenticated `token` endpoint exchanges for an ID token of that entity (a
/// public client needs no secret): the same credential `identity/oidc/token` would mint,
/// and the default policy allows it. It is refused like that one.
#[tokio::test]
async fn an_oidc_provider_gives_no_code_for_the_session() {
    let (vault, root) = lab().await;
    let url = vault.url();
    enable_auth(url, &root, "userpass", "userpass").await;
    as_root(
        url,
        &root,
        "POST",
        "auth/userpass/users/alice",
        json!({ "password": "pw", "token_policies": "default" }),
    )
    .await;
    let (_, login) = call_vault(
        url,
        "POST",
        "auth/userpass/login/alice",
        None,
        Some(json!({ "password": "pw" })),
    )
    .await;
    let entity = login["auth"]["entity_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // labvault has no identity provider: there, only the refusal is checked.
    let (key, _) = call_vault(
        url,
        "POST",
        "identity/oidc/key/k",
        Some(&root),
        Some(json!({ "allowed_client_ids": "*" })),
    )
    .await;
    let mut client_id = "any".to_string();
    if key < 300 {
        as_root(
            url,
            &root,
            "POST",
            "identity/oidc/assignment/a",
            json!({ "entity_ids": [entity] }),
        )
        .await;
        let client = json!({
            "key": "k", "redirect_uris": ["https://evil.example/cb"],
            "assignments": ["a"], "client_type": "public",
        });
        as_root(url, &root, "POST", "identity/oidc/client/c", client).await;
        let (_, read) = call_vault(url, "GET", "identity/oidc/client/c", Some(&root), None).await;
        client_id = read["data"]["client_id"].as_str().unwrap().to_string();
        as_root(
            url,
            &root,
            "POST",
            "identity/oidc/provider/p",
            json!({ "allowed_client_ids": [&client_id] }),
        )
        .await;
    }
    let deck = vaultdeck(url, &[]).await;
    let session = deck
        .login(json!({ "method": "userpass", "username": "alice", "password": "pw" }))
        .await;
    // A PKCE challenge (the provider only stores it until the code is exchanged).
    let query = format!(
        "client_id={client_id}&scope=openid&redirect_uri=https://evil.example/cb&response_type=code\
         &state=s&nonce=n&code_challenge_method=S256\
         &code_challenge=Jm5kmYa8r0a8pN0lQ0VfYlv7rZ3jzBV3yqPz3oC3k0E"
    );
    for path in [
        format!("identity/oidc/provider/p/authorize?{query}"),
        format!("team/identity/oidc/provider/p/authorize?{query}"),
    ] {
        for method in ["GET", "POST"] {
            let (status, text) = passthrough(&deck, method, &path, &session, &[]).await;
            assert_eq!(status, 403, "{method} {path}: {text}");
            assert!(!text.contains("\"code\""), "{method} {path}: {text}");
        }
    }
}

/// A passthrough call with extra headers: status and body text.
async fn passthrough(
    deck: &Deck,
    method: &str,
    path: &str,
    cookie: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut request = deck
        .http
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}/vault/v1/{path}", deck.base),
        )
        .header("X-Requested-With", "vaultdeck")
        .header("Cookie", cookie);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Finding 4: no spelling of `..` takes the session's token outside `/v1` — not even to
/// other paths of the Vault host — and a `VAULT_ADDR` with a path keeps it.
#[tokio::test]
async fn dot_segments_never_leave_v1_and_vault_addrs_path_is_kept() {
    let (vault, root) = lab().await;
    let front = Recorder::start(Behaviour::Forward {
        to: vault.url().to_string(),
        strip: "/behind/a/gateway".into(),
        ca_pem: None,
    })
    .await;
    let deck = vaultdeck(&format!("{}/behind/a/gateway", front.url), &[]).await;
    let session = deck.login_with_token(&root).await;
    for hostile in [
        "%2e%2e/%2e%2e/robots.txt",
        "%2E%2E/%2E%2E/robots.txt",
        ".%2e/.%2e/robots.txt",
        "sys/../../robots.txt",
        "..%5c..%5crobots.txt",
        "sys/%2e%2e%2f%2e%2e%2frobots.txt",
        "secret/data/a%2F..%2F..%2F..%2Frobots.txt",
    ] {
        let status = raw_get(&deck, &format!("/ui/api/vault/v1/{hostile}"), &session).await;
        assert_eq!(status, 400, "{hostile}");
    }
    let escaped: Vec<_> = front
        .requests()
        .into_iter()
        .filter(|r| !r.target.starts_with("/behind/a/gateway/v1/"))
        .collect();
    assert!(escaped.is_empty(), "requests outside /v1: {escaped:?}");
    let (status, _) = passthrough(&deck, "GET", "sys/mounts", &session, &[]).await;
    assert_eq!(status, 200, "VAULT_ADDR's path is kept");
}

/// A GET sent byte for byte, so that no client library normalises the path first.
async fn raw_get(deck: &Deck, target: &str, cookie: &str) -> u16 {
    let mut connection = tokio::net::TcpStream::connect(deck.running.addr)
        .await
        .unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nX-Requested-With: vaultdeck\r\nConnection: close\r\n\r\n"
    );
    connection.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    connection.read_to_string(&mut answer).await.unwrap();
    answer[9..12].parse().unwrap()
}

/// Finding 4: a namespace or name with a `/` would reach other API paths with the BFF's
/// cluster credentials.
#[tokio::test]
async fn kubernetes_names_cannot_change_the_api_path() {
    let cluster = cluster().await;
    let (vault, root) = lab().await;
    enable_auth(vault.url(), &root, "kubernetes", "kubernetes").await;
    let deck = deck_for(vault.url(), &cluster).await;
    let session = deck.login_with_token(&root).await;
    for namespace in [
        "default%2Fsecrets%2F..",
        "kube-system%2F..%2F..%2Fsecrets",
        "..",
        "A",
    ] {
        let status = raw_get(
            &deck,
            &format!("/ui/api/k8s/namespaces/{namespace}/serviceaccounts?mount=kubernetes"),
            &session,
        )
        .await;
        assert_eq!(status, 400, "{namespace}");
    }
}

/// Finding 5: after DNS rebinding, a page on another origin is "same-origin" to the
/// browser; the host name it uses must be refused before any CSRF check could pass — here
/// it tries to initialize a fresh Vault and take its root token.
#[tokio::test]
async fn a_rebound_host_name_gets_421_and_cannot_initialize_vault() {
    let fresh = testvault::TestVault::fresh().await.unwrap();
    let deck = vaultdeck(fresh.url(), &["--allowed-hosts", "vaultdeck.example.com"]).await;
    let port = deck.running.addr.port();
    let rebound = format!("rebound.attacker.example:{port}");
    let attack = deck
        .http
        .put(format!("{}/vault/v1/sys/init", deck.base))
        .header("Host", &rebound)
        .header("Origin", format!("http://{rebound}"))
        .header("Sec-Fetch-Site", "same-origin")
        .header("X-Requested-With", "vaultdeck")
        .json(&json!({ "secret_shares": 1, "secret_threshold": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(attack.status().as_u16(), 421);
    let (_, status) = fresh
        .call("GET", "sys/seal-status", None, None)
        .await
        .unwrap();
    assert_eq!(status["initialized"], false, "{status}");
    for allowed in ["vaultdeck.example.com", "localhost", "127.0.0.1"] {
        let answer = deck
            .http
            .get(format!("{}/health", deck.base))
            .header("Host", format!("{allowed}:{port}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200, "{allowed}");
    }
}

/// Finding 6: a client that trickles its headers, or keeps a connection open without
/// sending anything, loses it after the header-read timeout.
#[tokio::test]
async fn slow_and_idle_connections_are_closed() {
    let (vault, _) = lab().await;
    let deck = vaultdeck(vault.url(), &["--header-read-timeout", "1s"]).await;
    let mut trickling = Vec::new();
    for _ in 0..50 {
        let mut connection = tokio::net::TcpStream::connect(deck.running.addr)
            .await
            .unwrap();
        connection
            .write_all(b"GET /ui/api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: ")
            .await
            .unwrap();
        trickling.push(connection);
    }
    let mut idle = tokio::net::TcpStream::connect(deck.running.addr)
        .await
        .unwrap();
    idle.write_all(b"GET /ui/api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 4096];
    let read = idle.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..read]).starts_with("HTTP/1.1 200"));
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        for connection in &mut trickling {
            let _ = connection.write_all(b"x").await;
        }
    }
    for (i, connection) in trickling
        .iter_mut()
        .chain(std::iter::once(&mut idle))
        .enumerate()
    {
        let mut rest = Vec::new();
        let closed =
            tokio::time::timeout(Duration::from_secs(2), connection.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "connection {i} is still open");
    }
}

/// A redirect from the Vault address must not carry the user's token elsewhere. Vault's
/// standbys answer 307 to the active node's address when they do not forward requests, and
/// an HTTP client that follows redirects re-sends custom headers such as `X-Vault-Token`
/// to any host (only `Authorization` and cookies are dropped across hosts). Here "Vault"
/// redirects a token login to a stranger's server.
#[tokio::test]
async fn a_redirect_from_vault_does_not_take_the_token_elsewhere() {
    let stranger = Recorder::start(Behaviour::Answer {
        status: 200,
        body: json!({ "data": { "policies": ["root"], "ttl": 0 } }).to_string(),
        delay: Duration::ZERO,
    })
    .await;
    let redirecting_vault = Recorder::start(Behaviour::Redirect {
        location: format!(
            "{}/v1/auth/token/lookup-self?marker=query-value",
            stranger.url
        ),
    })
    .await;
    let deck = vaultdeck(&redirecting_vault.url, &[]).await;

    let answer = deck
        .call(
            "POST",
            "session",
            None,
            Some(json!({ "method": "token", "token": "s.the-users-own-token" })),
        )
        .await;

    assert!(
        stranger.requests().is_empty(),
        "the redirect was followed: {:?}",
        stranger.requests()
    );
    assert_eq!(
        redirecting_vault.requests()[0].vault_token.as_deref(),
        Some("s.the-users-own-token")
    );
    assert_eq!(answer.status, 502, "{}", answer.text);
    let message = answer.json()["errors"][0].as_str().unwrap().to_string();
    assert!(message.contains("redirect"), "{message}");
    assert!(message.contains(&stranger.url), "{message}");
    assert!(
        !message.contains("query-value"),
        "the query is not shown: {message}"
    );
    assert!(!message.contains("the-users-own-token"), "{message}");
}

/// Finding 6: requests to Vault are capped; more wait for a free connection.
#[tokio::test]
async fn requests_to_vault_are_capped() {
    let slow = Recorder::start(Behaviour::Answer {
        status: 200,
        body: json!({ "type": "shamir", "initialized": true, "sealed": false, "t": 1, "n": 1 })
            .to_string(),
        delay: Duration::from_millis(300),
    })
    .await;
    let deck = vaultdeck(&slow.url, &["--vault-max-connections", "2"]).await;
    let calls = (0..8).map(|_| deck.call("GET", "vault/v1/sys/seal-status", None, None));
    for answer in futures_util::future::join_all(calls).await {
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    assert_eq!(slow.requests().len(), 8);
    assert!(
        slow.most_in_flight() <= 2,
        "{} at once",
        slow.most_in_flight()
    );
}

/// Reviewer finding (stop 28): Vault's answers were streamed to the browser, and the
/// connection's slot went back only when the browser had taken the whole body. A client
/// with no session that opens HTTP/2 streams with a window of 0 never takes it: with as
/// many streams as slots, every other user waited for a slot and got 504.
#[tokio::test]
async fn a_client_that_does_not_read_holds_no_connection_to_vault() {
    let (vault, _root) = lab().await;
    let deck = vaultdeck(
        vault.url(),
        &["--vault-max-connections", "2", "--request-timeout", "5s"],
    )
    .await;
    let stalled = unread_http2_answers(&deck, "vault/v1/sys/health", 4).await;
    let answer = deck
        .call("GET", "vault/v1/sys/seal-status", None, None)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    drop(stalled);
}

/// Answers are held in memory until the browser takes them, so one is never read past a
/// bound: a larger one (a raft snapshot, a plugin's) is refused, not buffered.
#[tokio::test]
async fn an_answer_larger_than_vaultdeck_holds_is_refused() {
    let huge = Recorder::start(Behaviour::Answer {
        status: 200,
        body: "a".repeat(64 * 1024 * 1024 + 1),
        delay: Duration::ZERO,
    })
    .await;
    let deck = vaultdeck(&huge.url, &[]).await;
    let answer = deck
        .call("GET", "vault/v1/sys/storage/raft/snapshot", None, None)
        .await;
    assert_eq!(
        answer.status,
        502,
        "{}",
        &answer.text[..answer.text.len().min(200)]
    );
    assert!(
        answer.text.contains("larger than 64 MiB"),
        "{}",
        answer.text
    );
}

/// `count` answers from `path` on one HTTP/2 connection that gives the server no window to
/// send their bodies in: their heads arrive, their bodies never can.
async fn unread_http2_answers(
    deck: &Deck,
    path: &str,
    count: usize,
) -> (
    h2::client::SendRequest<bytes::Bytes>,
    Vec<axum::http::Response<h2::RecvStream>>,
) {
    let tcp = tokio::net::TcpStream::connect(deck.running.addr)
        .await
        .unwrap();
    let (mut client, connection) = h2::client::Builder::new()
        .initial_window_size(0)
        .handshake::<_, bytes::Bytes>(tcp)
        .await
        .expect("the server speaks HTTP/2 without TLS");
    tokio::spawn(connection);
    let mut heads = Vec::new();
    for _ in 0..count {
        client = client.ready().await.unwrap();
        let request = axum::http::Request::get(format!("{}/{path}", deck.base))
            .header("x-requested-with", "vaultdeck")
            .body(())
            .unwrap();
        let (answer, _) = client.send_request(request, true).unwrap();
        let answer = answer.await.expect("the answer's head arrives");
        assert_eq!(answer.status(), 200);
        heads.push(answer);
    }
    (client, heads)
}

/// Reviewer finding (stop 28): a user name and password in `VAULT_ADDR` (for a proxy in
/// front of Vault) were shown by `api/ready`, which anyone who reaches Vaultdeck may read.
#[tokio::test]
async fn credentials_in_vaults_address_are_used_but_not_shown() {
    let (vault, _root) = lab().await;
    let plain = vault.url().trim_end_matches('/').to_string();
    let with_credentials = plain.replacen("://", "://proxy-user:proxy-password@", 1);
    let deck = vaultdeck(&with_credentials, &[]).await;
    let ready = deck.call("GET", "ready", None, None).await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert!(!ready.text.contains("proxy-password"), "{}", ready.text);
    assert!(!ready.text.contains("proxy-user"), "{}", ready.text);
    assert_eq!(ready.json()["vault_addr"], plain);
}

/// Token fields are blanked in answers Vaultdeck can read. One it cannot (here nested past
/// the JSON parser's depth limit, as a plugin or a broken server could send) must not pass
/// through as it came, token and all.
#[tokio::test]
async fn an_answer_that_may_hold_a_token_and_cannot_be_read_is_not_relayed() {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let answer = format!(r#"{{"auth":{{"client_token":"s.unreadableleak"}},"data":{deep}}}"#);
    let odd = Recorder::start(Behaviour::Answer {
        status: 200,
        body: answer,
        delay: Duration::ZERO,
    })
    .await;
    let deck = vaultdeck(&odd.url, &[]).await;
    let relayed = deck
        .call("GET", "vault/v1/auth/token/lookup-self", None, None)
        .await;
    assert!(!relayed.text.contains("unreadableleak"), "{}", relayed.text);
    assert_eq!(relayed.status, 502, "{}", relayed.text);
    // An error page (a proxy's in front of Vault) keeps its status, with Vaultdeck's words.
    let busy = Recorder::start(Behaviour::Answer {
        status: 503,
        body: "<html>s.unreadableleak: try later</html>".into(),
        delay: Duration::ZERO,
    })
    .await;
    let deck = vaultdeck(&busy.url, &[]).await;
    let refused = deck
        .call("GET", "vault/v1/auth/token/lookup-self", None, None)
        .await;
    assert_eq!(refused.status, 503, "{}", refused.text);
    assert!(!refused.text.contains("unreadableleak"), "{}", refused.text);
    // Nothing to read is nothing to hide: an empty answer (a logout's 204) still passes.
    let empty = Recorder::start(Behaviour::Answer {
        status: 204,
        body: String::new(),
        delay: Duration::ZERO,
    })
    .await;
    let deck = vaultdeck(&empty.url, &[]).await;
    deck.call("POST", "vault/v1/auth/token/revoke-self", None, None)
        .await
        .expect(204);
}

/// The second step of a login with MFA, `sys/mfa/validate`, answers with the login's token
/// outside `auth/`: it is blanked like any login's.
#[tokio::test]
async fn an_mfa_validation_answers_without_its_token() {
    let login = json!({ "auth": { "client_token": "s.mfalogintoken", "accessor": "a.x" } });
    let vault = Recorder::start(Behaviour::Answer {
        status: 200,
        body: login.to_string(),
        delay: Duration::ZERO,
    })
    .await;
    let deck = vaultdeck(&vault.url, &[]).await;
    let validated = deck
        .call(
            "POST",
            "vault/v1/sys/mfa/validate",
            None,
            Some(json!({ "mfa_request_id": "r", "mfa_payload": {} })),
        )
        .await
        .expect(200);
    assert_eq!(
        validated.json()["auth"]["client_token"],
        "(redacted by Vaultdeck)"
    );
    assert!(!validated.text.contains("s.mfalogintoken"));
}

/// Finding 6: a login whose token may not look itself up is refused with the reason, and
/// the token Vaultdeck obtained is revoked rather than left behind.
#[tokio::test]
async fn a_login_whose_token_cannot_look_itself_up_is_refused_and_revoked() {
    let (vault, root) = lab().await;
    enable_auth(vault.url(), &root, "userpass", "userpass").await;
    let policy = r#"path "auth/token/revoke-self" { capabilities = ["update"] }"#;
    as_root(
        vault.url(),
        &root,
        "PUT",
        "sys/policies/acl/blind",
        json!({ "policy": policy }),
    )
    .await;
    let user =
        json!({ "password": "pw", "token_policies": ["blind"], "token_no_default_policy": true });
    as_root(
        vault.url(),
        &root,
        "POST",
        "auth/userpass/users/blind",
        user,
    )
    .await;
    let deck = vaultdeck(vault.url(), &[]).await;
    let before = accessor_count_as(vault.url(), &root).await;
    let refused = deck
        .call(
            "POST",
            "session",
            None,
            Some(json!({ "method": "userpass", "username": "blind", "password": "pw" })),
        )
        .await
        .expect(403);
    let reason = refused.json()["errors"][0].as_str().unwrap().to_string();
    assert!(
        reason.contains("lookup-self") && reason.contains("revoked"),
        "{reason}"
    );
    assert!(refused.set_cookie().is_none());
    assert_eq!(
        accessor_count_as(vault.url(), &root).await,
        before,
        "the token was revoked"
    );
}

async fn accessor_count_as(vault_url: &str, root: &str) -> usize {
    accessor_count_in(vault_url, root, "").await
}

/// Tokens in a namespace (`""` for the root one; `"team/"`), as an operator would count them.
async fn accessor_count_in(vault_url: &str, root: &str, namespace: &str) -> usize {
    let path = format!("{namespace}auth/token/accessors");
    let (_, listed) = call_vault(vault_url, "LIST", &path, Some(root), None).await;
    listed["data"]["keys"].as_array().map_or(0, Vec::len)
}

/// Finding 7: logging out revokes only what Vaultdeck obtained. The root token a new user
/// pasted after initialization survives; a userpass login's token does not.
#[tokio::test]
async fn logout_keeps_a_token_the_user_brought_and_revokes_one_vaultdeck_obtained() {
    let (vault, root) = lab().await;
    let brought = create_token(vault.url(), &root, json!({ "policies": ["default"] })).await;
    let deck = vaultdeck(vault.url(), &[]).await;
    let session = deck.login_with_token(&brought).await;
    let out = deck
        .call("DELETE", "session", Some(&session), None)
        .await
        .expect(200)
        .json();
    assert_eq!(out["token"], "kept", "{out}");
    assert!(out["message"].as_str().unwrap().contains("not revoked"));
    let (status, _) = call_vault(
        vault.url(),
        "GET",
        "auth/token/lookup-self",
        Some(&brought),
        None,
    )
    .await;
    assert_eq!(status, 200, "the user's own token still works");

    enable_auth(vault.url(), &root, "userpass", "userpass").await;
    as_root(
        vault.url(),
        &root,
        "POST",
        "auth/userpass/users/alice",
        json!({ "password": "pw" }),
    )
    .await;
    let answer = deck
        .call(
            "POST",
            "session",
            None,
            Some(json!({ "method": "userpass", "username": "alice", "password": "pw" })),
        )
        .await
        .expect(200);
    let session = cookie_pair(&answer.set_cookie().unwrap());
    let before = accessor_count_as(vault.url(), &root).await;
    let out = deck
        .call("DELETE", "session", Some(&session), None)
        .await
        .expect(200)
        .json();
    assert_eq!(out["token"], "revoked", "{out}");
    assert_eq!(accessor_count_as(vault.url(), &root).await, before - 1);

    // Logging in again from the same browser ends the session before it, and revokes the
    // token Vaultdeck obtained for it, as a logout would (review, stop 29: it was left to
    // live out its TTL with no session holding it).
    let alice = json!({ "method": "userpass", "username": "alice", "password": "pw" });
    let first = deck.login(alice.clone()).await;
    let before = accessor_count_as(vault.url(), &root).await;
    deck.call("POST", "session", Some(&first), Some(alice))
        .await
        .expect(200);
    assert_eq!(
        accessor_count_as(vault.url(), &root).await,
        before,
        "one token for the new session, one revoked with the old"
    );
}

/// A page on a sibling host (`evil.corp.example` beside `vault.corp.example`) is the same
/// *site*, so a `SameSite=Strict` cookie still goes with its `<img src>`. Some Vault reads
/// change things (`database/creds/…` issues a credential and a lease), so reads through
/// the passthrough must come from the app's own pages too, or from the address bar.
#[tokio::test]
async fn a_sibling_site_makes_no_vault_reads_with_the_session() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let session = deck.login_with_token(&root).await;
    for (site, expected) in [
        ("same-site", 403),
        ("cross-site", 403),
        ("same-origin", 200),
        ("none", 200),
    ] {
        let read = deck
            .http
            .get(format!("{}/vault/v1/auth/token/lookup-self", deck.base))
            .header("Cookie", &session)
            .header("Sec-Fetch-Site", site)
            .send()
            .await
            .unwrap();
        assert_eq!(read.status().as_u16(), expected, "Sec-Fetch-Site: {site}");
    }
    // A browser that sends no Sec-Fetch-Site (Safari before 16.4) says nothing about where
    // an `<img>` came from; only the app's own header, which no other site can add without
    // a CORS preflight this server never grants, lets such a read through.
    for (marked, expected) in [(false, 403), (true, 200)] {
        let mut read = deck
            .http
            .get(format!("{}/vault/v1/auth/token/lookup-self", deck.base))
            .header("Cookie", &session);
        if marked {
            read = read.header("X-Requested-With", "vaultdeck");
        }
        let status = read.send().await.unwrap().status().as_u16();
        assert_eq!(status, expected, "no Sec-Fetch-Site, marked: {marked}");
    }
    // Probes send neither header.
    for probe in ["health", "ready"] {
        let answer = deck
            .http
            .get(format!("{}/{probe}", deck.base))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200, "{probe}");
    }
}

/// Helper review, stop 29: a proof's plan was checked before anyone was known, and its
/// duplicate-name check compared every pair: a plan of 110,000 secrets (8 MiB) held a worker
/// for about 6×10⁹ comparisons, with no cookie at all. Without a session nothing is read.
#[tokio::test]
async fn a_proof_without_a_session_is_refused_before_its_plan_is_read() {
    let (vault, _root) = lab().await;
    let deck = vaultdeck(vault.url(), &[]).await;
    let secret = json!({ "name": "a", "mount": "kv", "kv_version": 2, "path": "p",
        "keys": ["k"], "format": "json" });
    let plan = json!({ "plan": {
        "vault_addr": "http://vault:8200", "vault_namespace": null, "auth_mount": "kubernetes",
        "role": "r", "namespace": "default", "service_account": "sa", "workload": "w",
        "container": "c", "audience": null, "secrets": [secret, secret], "sync_secret": false,
    } });
    let refused = deck.call("POST", "delivery/prove", None, Some(plan)).await;
    assert_eq!(refused.status, 401, "{}", refused.text);
    assert!(!refused.text.contains("Two secrets"), "{}", refused.text);
}

/// Helper review, stop 29: a test login asked Vault about every path it was sent, one call
/// after another (two million fit in a request), until the request's timeout dropped the
/// check before it revoked the token its login had issued. A check asks about at most 64.
#[tokio::test]
async fn a_test_login_asks_about_a_bounded_number_of_paths() {
    let (vault, root) = lab().await;
    let deck = vaultdeck(vault.url(), &[]).await;
    let session = deck.login_with_token(&root).await;
    let paths: Vec<String> = (0..65).map(|n| format!("secret/data/{n}")).collect();
    let check = json!({ "mount": "kubernetes", "role": "r", "namespace": "default",
        "service_account": "sa", "paths": paths });
    let refused = deck
        .call("POST", "k8s/test-login", Some(&session), Some(check))
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(
        refused.text.contains("at most 64 paths"),
        "{}",
        refused.text
    );
}
