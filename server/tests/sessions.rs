//! Sessions, login and logout, and the Vault passthrough, over HTTP against a real Vault.

mod common;

use common::{create_token, lab, vault, vaultdeck, Deck};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn token_login_sets_a_locked_down_cookie_and_never_returns_the_token() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let answer = deck
        .call(
            "POST",
            "session",
            None,
            Some(json!({ "method": "token", "token": root })),
        )
        .await
        .expect(200);
    assert!(
        !answer.text.contains(&root),
        "the token leaked into the body"
    );
    assert!(
        answer
            .headers
            .values()
            .all(|v| !v.to_str().unwrap_or("").contains(&root)),
        "the token leaked into a header"
    );
    let info = answer.json();
    let (_, lookup) = vault(
        lab.url(),
        "GET",
        "auth/token/lookup-self",
        Some(&root),
        None,
    )
    .await;
    assert_eq!(info["display_name"], lookup["data"]["display_name"]);
    assert_eq!(info["policies"], json!(["root"]));
    assert_eq!(info["expire_time"], serde_json::Value::Null);
    let cookie = answer.set_cookie().unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/ui"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP on loopback: no Secure flag by default"
    );
    let who = deck
        .call("GET", "session", Some(&common::cookie_pair(&cookie)), None)
        .await
        .expect(200);
    assert_eq!(who.json()["method"], "token");
}

#[tokio::test]
async fn the_cookie_path_follows_the_prefix_the_browser_sees() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &["--cookie-secure", "true"]).await;
    let answer = deck
        .http
        .post(format!("{}/session", deck.base))
        .header("X-Requested-With", "vaultdeck")
        .header(
            "X-Vaultdeck-Base",
            "/api/v1/namespaces/vault/services/vaultdeck:http/proxy/ui/",
        )
        .json(&json!({ "method": "token", "token": root }))
        .send()
        .await
        .unwrap();
    let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("Path=/api/v1/namespaces/vault/services/vaultdeck:http/proxy/ui"),
        "{cookie}"
    );
    assert!(cookie.contains("Secure"));
}

#[tokio::test]
async fn bad_logins_get_vaults_own_status_and_words() {
    let (lab, root) = lab().await;
    vault(
        &lab.url(),
        "POST",
        "sys/auth/userpass",
        Some(&root),
        Some(json!({ "type": "userpass" })),
    )
    .await;
    vault(
        &lab.url(),
        "POST",
        "auth/userpass/users/alice",
        Some(&root),
        Some(json!({ "password": "right", "token_policies": "reader" })),
    )
    .await;
    let deck = vaultdeck(&lab.url(), &[]).await;

    let wrong = deck
        .call(
            "POST",
            "session",
            None,
            Some(json!({ "method": "userpass", "username": "alice", "password": "wrong" })),
        )
        .await
        .expect(400);
    assert_eq!(
        wrong.json()["errors"],
        json!(["invalid username or password"])
    );
    assert!(wrong.set_cookie().is_none());

    let bad_token = deck
        .call(
            "POST",
            "session",
            None,
            Some(json!({ "method": "token", "token": "hvs.not-a-token" })),
        )
        .await
        .expect(403);
    assert!(bad_token.json()["errors"]
        .to_string()
        .contains("permission denied"));

    let unknown_mount = deck.call("POST", "session", None, Some(json!({ "method": "userpass", "mount": "nope", "username": "alice", "password": "right" }))).await;
    // Vault answers a path under no mount as it answers a forbidden one: it does not tell
    // a stranger which mounts exist.
    assert_eq!(unknown_mount.status, 403, "{}", unknown_mount.text);

    let cookie = deck
        .login(json!({ "method": "userpass", "username": "alice", "password": "right" }))
        .await;
    let who = deck
        .call("GET", "session", Some(&cookie), None)
        .await
        .expect(200)
        .json();
    assert_eq!(who["display_name"], "userpass-alice");
    assert_eq!(who["policies"], json!(["default", "reader"]));
    assert_eq!(
        (who["method"].clone(), who["mount"].clone()),
        (json!("userpass"), json!("userpass"))
    );
    assert!(who["ttl"].as_u64().unwrap() > 0);
    assert_eq!(who["renewable"], true);
}

#[tokio::test]
async fn logout_forgets_the_session_and_drops_the_cookie() {
    let TokenSession {
        lab,
        token,
        deck,
        cookie,
        ..
    } = token_session(json!({ "policies": ["default"] })).await;
    let out = deck
        .call("DELETE", "session", Some(&cookie), None)
        .await
        .expect(200);
    assert_eq!(
        out.json()["token"],
        "kept",
        "a token the user brought is theirs"
    );
    assert!(out.set_cookie().unwrap().contains("Max-Age=0"));
    let (status, _) = vault(
        &lab.url(),
        "GET",
        "auth/token/lookup-self",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200, "the user's token was left as it was");
    let after = deck
        .call("GET", "session", Some(&cookie), None)
        .await
        .expect(401);
    assert_eq!(after.json()["session"], "missing");
}

#[tokio::test]
async fn logout_forgets_the_session_even_when_vault_is_down() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let body = json!({ "type": "userpass" });
    vault(
        lab.url(),
        "POST",
        "sys/auth/userpass",
        Some(&root),
        Some(body),
    )
    .await;
    let user = json!({ "password": "pw" });
    vault(
        lab.url(),
        "POST",
        "auth/userpass/users/alice",
        Some(&root),
        Some(user),
    )
    .await;
    let cookie = deck
        .login(json!({ "method": "userpass", "username": "alice", "password": "pw" }))
        .await;
    lab.stop().await;
    let out = deck
        .call("DELETE", "session", Some(&cookie), None)
        .await
        .expect(200)
        .json();
    assert_eq!(out["token"], "not_revoked");
    assert!(
        out["message"]
            .as_str()
            .unwrap()
            .contains("could not be revoked"),
        "{out}"
    );
    deck.call("GET", "session", Some(&cookie), None)
        .await
        .expect(401);
}

#[tokio::test]
async fn an_expired_token_ends_the_session_with_a_reason() {
    let TokenSession {
        lab: _lab,
        deck,
        cookie,
        ..
    } = token_session(json!({ "policies": ["default"], "ttl": "2s", "renewable": false })).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let ended = deck
        .call(
            "GET",
            "vault/v1/auth/token/lookup-self",
            Some(&cookie),
            None,
        )
        .await
        .expect(401)
        .json();
    assert_eq!(ended["session"], "expired");
    assert!(ended["errors"][0].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn active_sessions_renew_their_token_at_half_life() {
    let TokenSession {
        lab,
        token,
        deck,
        cookie,
        ..
    } = token_session(json!({ "policies": ["default"], "ttl": "4s", "explicit_max_ttl": "1h" }))
        .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // Past half of its 4 s: this request renews it, for another 4 s from now.
    let who = deck
        .call("GET", "session", Some(&cookie), None)
        .await
        .expect(200)
        .json();
    assert!(who["ttl"].as_u64().unwrap() >= 3, "not renewed: {who}");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    // 4.5 s after login: without the renewal the token would be gone.
    let (status, _) = vault(
        &lab.url(),
        "GET",
        "auth/token/lookup-self",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    deck.call("GET", "session", Some(&cookie), None)
        .await
        .expect(200);
}

#[tokio::test]
async fn a_token_revoked_elsewhere_ends_the_session() {
    let TokenSession {
        lab,
        root,
        token,
        deck,
        cookie,
    } = token_session(json!({ "policies": ["default"] })).await;
    vault(
        &lab.url(),
        "POST",
        "auth/token/revoke",
        Some(&root),
        Some(json!({ "token": token })),
    )
    .await;
    let ended = deck
        .call("GET", "vault/v1/secret/data/anything", Some(&cookie), None)
        .await
        .expect(401)
        .json();
    assert_eq!(ended["session"], "revoked");
    // A policy denial with a valid token stays a 403 from Vault.
    let other = create_token(&lab.url(), &root, json!({ "policies": ["default"] })).await;
    let cookie = deck.login_with_token(&other).await;
    let denied = deck
        .call("GET", "vault/v1/secret/data/anything", Some(&cookie), None)
        .await
        .expect(403);
    assert!(denied.text.contains("permission denied"));
}

#[tokio::test]
async fn idle_sessions_end() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &["--session-idle-timeout", "1s"]).await;
    let cookie = deck.login_with_token(&root).await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let ended = deck
        .call("GET", "session", Some(&cookie), None)
        .await
        .expect(401)
        .json();
    assert_eq!(ended["session"], "idle");
    assert!(ended["errors"][0].as_str().unwrap().contains("inactivity"));
}

#[tokio::test]
async fn the_apps_polling_does_not_keep_a_session_alive() {
    let (lab, root) = lab().await;
    // Margins of seconds on every side: the store keeps whole seconds, and a poll through
    // a real Vault takes a while on a busy machine.
    let deck = vaultdeck(&lab.url(), &["--session-idle-timeout", "6s"]).await;
    let cookie = deck.login_with_token(&root).await;
    let logged_in = std::time::Instant::now();
    while logged_in.elapsed() < Duration::from_millis(3000) {
        deck.poll("vault/v1/sys/seal-status", &cookie)
            .await
            .expect(200);
        deck.poll("session", &cookie).await.expect(200);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Polled until 3 s after login; at 8 s the session must have idled out at 6 s, as if
    // nobody had polled: only the user's own requests count.
    tokio::time::sleep(Duration::from_millis(8000).saturating_sub(logged_in.elapsed())).await;
    let ended = deck
        .call("GET", "session", Some(&cookie), None)
        .await
        .expect(401)
        .json();
    assert_eq!(ended["session"], "idle");
}

#[tokio::test]
async fn the_apps_polling_does_not_renew_the_token() {
    let TokenSession {
        lab: _lab,
        deck,
        cookie,
        ..
    } = token_session(json!({ "policies": ["default"], "ttl": "4s", "explicit_max_ttl": "1h" }))
        .await;
    // Past half of its 4 s (the store keeps whole seconds: margins of a second): a user
    // request would renew it now, to 4 s again; a poll must not.
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let who = deck.poll("session", &cookie).await.expect(200).json();
    assert!(who["ttl"].as_u64().unwrap() <= 2, "renewed: {who}");
    tokio::time::sleep(Duration::from_millis(2900)).await;
    let ended = deck.poll("session", &cookie).await.expect(401);
    assert_eq!(ended.json()["session"], "expired");
}

#[tokio::test]
async fn a_session_that_is_over_drops_its_cookie_so_the_sealed_vault_can_still_be_seen() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &["--session-idle-timeout", "1s"]).await;
    let cookie = deck.login_with_token(&root).await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let ended = deck
        .call("GET", "vault/v1/sys/seal-status", Some(&cookie), None)
        .await
        .expect(401);
    let removal = ended.set_cookie().expect("the dead cookie is removed");
    assert!(removal.starts_with("vaultdeck_session=;"), "{removal}");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert!(removal.contains("Path=/ui"), "{removal}");
    // What the browser sends next: no cookie, and Vault's unauthenticated endpoints answer.
    let status = deck
        .call("GET", "vault/v1/sys/seal-status", None, None)
        .await
        .expect(200)
        .json();
    assert_eq!(status["sealed"], false);
}

#[tokio::test]
async fn logging_in_again_rotates_the_session_id() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let first = deck.login_with_token(&root).await;
    let second = deck
        .call(
            "POST",
            "session",
            Some(&first),
            Some(json!({ "method": "token", "token": root })),
        )
        .await
        .expect(200);
    let second = common::cookie_pair(&second.set_cookie().unwrap());
    assert_ne!(first, second);
    deck.call("GET", "session", Some(&first), None)
        .await
        .expect(401);
    deck.call("GET", "session", Some(&second), None)
        .await
        .expect(200);
}

#[tokio::test]
async fn one_token_cannot_fill_the_session_store() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let token = create_token(&lab.url(), &root, json!({ "policies": ["default"] })).await;
    common::check_a_tokens_sessions_are_bounded(&deck, &token, &root).await;
}

/// A batch token has no accessor to be counted by; it is counted by itself (review, stop
/// 29). labvault makes no batch tokens (it says so), so this runs on OpenBao only.
#[tokio::test]
async fn a_batch_token_cannot_fill_the_session_store_either() {
    let (lab, root) = lab().await;
    if !lab.flavor().is_openbao() {
        return;
    }
    let deck = vaultdeck(&lab.url(), &[]).await;
    let batch = json!({ "policies": ["default"], "type": "batch" });
    let token = create_token(&lab.url(), &root, batch).await;
    common::check_a_tokens_sessions_are_bounded(&deck, &token, &root).await;
}

/// A lab, a Vaultdeck in front of it, and a session logged in with a token created with
/// `params` (the lab keeps running while this is alive).
struct TokenSession {
    lab: testvault::TestVault,
    root: String,
    token: String,
    deck: Deck,
    cookie: String,
}

async fn token_session(params: serde_json::Value) -> TokenSession {
    let (lab, root) = lab().await;
    let token = create_token(&lab.url(), &root, params).await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let cookie = deck.login_with_token(&token).await;
    TokenSession {
        lab,
        root,
        token,
        deck,
        cookie,
    }
}
