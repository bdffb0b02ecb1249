//! The Vault passthrough (`api/vault/v1/…`) and the guards in front of it: the session's
//! token added and only that, Vault's answers relayed, cross-site requests refused, and
//! Vault down or slow answered with what happened — over HTTP against a real Vault.

mod common;

use common::{lab, vaultdeck};
use reqwest::header;
use serde_json::json;

#[tokio::test]
async fn the_passthrough_adds_the_sessions_token_and_only_that() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    // Without a session: unauthenticated endpoints work, others are denied.
    let status = deck
        .call("GET", "vault/v1/sys/seal-status", None, None)
        .await
        .expect(200);
    assert_eq!(status.json()["sealed"], false);
    // A token the browser sends itself is stripped.
    let sneaky = deck
        .http
        .get(format!("{}/vault/v1/auth/token/lookup-self", deck.base))
        .header("X-Requested-With", "vaultdeck")
        .header("X-Vault-Token", &root)
        .header("Authorization", format!("Bearer {root}"))
        .send()
        .await
        .unwrap();
    assert_eq!(sneaky.status().as_u16(), 403);

    let cookie = deck.login_with_token(&root).await;
    let me = deck
        .call(
            "GET",
            "vault/v1/auth/token/lookup-self",
            Some(&cookie),
            None,
        )
        .await
        .expect(200);
    assert_eq!(me.json()["data"]["policies"], json!(["root"]));
    deck.call(
        "POST",
        "vault/v1/secret/data/app",
        Some(&cookie),
        Some(json!({ "data": { "k": "v" } })),
    )
    .await
    .expect(200);
    let listed = deck
        .call("LIST", "vault/v1/secret/metadata", Some(&cookie), None)
        .await
        .expect(200);
    assert_eq!(listed.json()["data"]["keys"], json!(["app"]));
    let queried = deck
        .call(
            "GET",
            "vault/v1/secret/metadata/?list=true",
            Some(&cookie),
            None,
        )
        .await
        .expect(200);
    assert_eq!(queried.json()["data"]["keys"], json!(["app"]));
    // Vault's statuses and bodies come back unchanged.
    let missing = deck
        .call("GET", "vault/v1/secret/data/nothing", Some(&cookie), None)
        .await
        .expect(404);
    assert_eq!(missing.json(), json!({ "errors": [] }));
    deck.call(
        "DELETE",
        "vault/v1/secret/metadata/app",
        Some(&cookie),
        None,
    )
    .await
    .expect(204);
    let error = deck
        .call(
            "POST",
            "vault/v1/sys/mounts/x",
            Some(&cookie),
            Some(json!({ "type": "nosuch" })),
        )
        .await
        .expect(400);
    assert_eq!(
        error.json()["errors"],
        json!(["plugin not found in the catalog: nosuch"])
    );
}

/// A relayed answer keeps Vault's length, so it goes out in one piece rather than in
/// chunked framing; an answer big enough to compress still is, for a browser that accepts it.
#[tokio::test]
async fn answers_keep_vaults_length_and_big_ones_are_still_compressed() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let cookie = deck.login_with_token(&root).await;
    let read_gzip = |name: &str| {
        deck.http
            .get(format!("{}/vault/v1/secret/data/{name}", deck.base))
            .header(header::COOKIE, &cookie)
            .header("X-Requested-With", "vaultdeck")
            .header(header::ACCEPT_ENCODING, "gzip")
            .send()
    };
    for (name, value) in [("small", "v".to_string()), ("big", "v".repeat(8192))] {
        deck.call(
            "POST",
            &format!("vault/v1/secret/data/{name}"),
            Some(&cookie),
            Some(json!({ "data": { "k": value } })),
        )
        .await
        .expect(200);
    }

    let small = read_gzip("small").await.unwrap();
    assert_eq!(small.status(), 200);
    assert!(small.headers().get(header::TRANSFER_ENCODING).is_none());
    assert!(small.headers().get(header::CONTENT_ENCODING).is_none());
    let length: usize = small.headers()[header::CONTENT_LENGTH]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = small.bytes().await.unwrap();
    assert_eq!(body.len(), length);
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["data"]["data"]["k"], "v");

    let big = read_gzip("big").await.unwrap();
    assert_eq!(big.status(), 200);
    assert_eq!(big.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(big.headers().get(header::CONTENT_LENGTH).is_none());
    assert!(big.bytes().await.unwrap().len() < 8192);
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let url = format!("{}/session", deck.base);
    let body = json!({ "method": "token", "token": root });
    let unmarked = deck.http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(unmarked.status().as_u16(), 403);
    assert!(unmarked
        .text()
        .await
        .unwrap()
        .contains("cross-site request refused"));
    let cross_site = deck
        .http
        .post(&url)
        .header("X-Requested-With", "vaultdeck")
        .header("Sec-Fetch-Site", "cross-site")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status().as_u16(), 403);
    let foreign_origin = deck
        .http
        .post(&url)
        .header("X-Requested-With", "vaultdeck")
        .header("Origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign_origin.status().as_u16(), 403);
    let same_origin = deck
        .http
        .post(&url)
        .header("X-Requested-With", "vaultdeck")
        .header("Sec-Fetch-Site", "same-origin")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status().as_u16(), 200);
    // A read needs no marking when the browser says it comes from this origin; a client
    // that says nothing must mark it (see security.rs for why).
    let read = |site: Option<&'static str>| {
        let mut request = deck.http.get(format!("{}/vault/v1/sys/health", deck.base));
        if let Some(site) = site {
            request = request.header("Sec-Fetch-Site", site);
        }
        request.send()
    };
    assert_eq!(
        read(Some("same-origin")).await.unwrap().status().as_u16(),
        200
    );
    assert_eq!(read(None).await.unwrap().status().as_u16(), 403);
}

#[tokio::test]
async fn vault_down_is_502_naming_the_address() {
    let port = {
        let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        socket.local_addr().unwrap().port()
    };
    let address = format!("http://127.0.0.1:{port}");
    let deck = vaultdeck(&address, &[]).await;
    let answer = deck
        .call("GET", "vault/v1/sys/seal-status", None, None)
        .await
        .expect(502);
    assert!(
        answer.json()["errors"][0]
            .as_str()
            .unwrap()
            .contains(&format!("Vault unreachable at {address}")),
        "{}",
        answer.text
    );
    let ready = deck
        .call("GET", "ready", None, None)
        .await
        .expect(503)
        .json();
    assert_eq!(ready["vault_reachable"], false);
}

#[tokio::test]
async fn vault_too_slow_is_504() {
    // Failure injection: a socket that accepts and never answers, which no real Vault does
    // on demand.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let deck = vaultdeck(&address, &["--request-timeout", "1s"]).await;
    let answer = deck
        .call("GET", "vault/v1/sys/seal-status", None, None)
        .await
        .expect(504);
    assert!(
        answer.json()["errors"][0]
            .as_str()
            .unwrap()
            .contains("did not answer within"),
        "{}",
        answer.text
    );
}
