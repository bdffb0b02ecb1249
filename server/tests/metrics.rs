//! `GET /metrics` on its own listen address, never on the public one, with the series an
//! operator's dashboards need after a login and a KV read.

mod common;

use common::{lab, vaultdeck, Deck};
use serde_json::json;

/// Vaultdeck with metrics on their own address, and that address's `/metrics` URL.
async fn with_metrics(vault_url: &str) -> (Deck, String) {
    let deck = vaultdeck(vault_url, &["--metrics-listen", "127.0.0.1:0"]).await;
    let metrics_url = format!(
        "http://{}/metrics",
        deck.running.metrics_addr.expect("metrics are on")
    );
    (deck, metrics_url)
}

#[tokio::test]
async fn metrics_count_requests_vault_calls_logins_and_sessions() {
    let (vault, root) = lab().await;
    let (deck, metrics_url) = with_metrics(vault.url()).await;
    let session = deck.login_with_token(&root).await;
    deck.call(
        "POST",
        "vault/v1/secret/data/metrics-check",
        Some(&session),
        Some(json!({ "data": { "k": "v" } })),
    )
    .await
    .expect(200);
    deck.call(
        "GET",
        "vault/v1/secret/data/metrics-check",
        Some(&session),
        None,
    )
    .await
    .expect(200);
    deck.call(
        "POST",
        "session",
        None,
        Some(json!({ "method": "token", "token": "not-a-token" })),
    )
    .await
    .expect(403);

    let answer = reqwest::get(&metrics_url).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = answer.text().await.unwrap();
    for series in [
        r#"vaultdeck_http_requests_total{route="/ui/api/vault/v1/{*path}",method="GET",status="200"}"#,
        r#"vaultdeck_http_request_duration_seconds_bucket{route="/ui/api/vault/v1/{*path}""#,
        r#"vaultdeck_vault_request_duration_seconds_bucket{method="GET""#,
        r#"vaultdeck_logins_total{method="token",outcome="success"}"#,
        r#"vaultdeck_logins_total{method="token",outcome="failure"}"#,
        "vaultdeck_sessions_active",
    ] {
        assert!(text.contains(series), "{series} missing from:\n{text}");
    }
    assert!(
        !text.contains("metrics-check"),
        "paths (which name secrets) never become labels"
    );
    // Not on the public port.
    deck.call("GET", "../metrics", None, None).await;
    let public = reqwest::get(format!("http://{}/metrics", deck.running.addr))
        .await
        .unwrap();
    assert_ne!(public.status(), 200);
}

/// An HTTP method is any token a client cares to send, and every distinct label value is a
/// series kept for the life of the process. Counted by the method's own name, a stream of
/// made-up methods (no login needed) would grow memory without end; outside the methods
/// Vaultdeck and Vault answer, a method is counted as `other`.
#[tokio::test]
async fn made_up_methods_do_not_become_series() {
    let (vault, root) = lab().await;
    let (deck, metrics_url) = with_metrics(vault.url()).await;
    let session = deck.login_with_token(&root).await;
    for n in 0..20 {
        let method = format!("MADEUP{n:04}");
        deck.call(&method, "health", None, None).await;
        deck.call(&method, "vault/v1/secret/data/x", Some(&session), None)
            .await;
    }
    deck.call("LIST", "vault/v1/secret/metadata/", Some(&session), None)
        .await;

    let text = reqwest::get(&metrics_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !text.contains("MADEUP"),
        "made-up methods became labels:\n{text}"
    );
    assert!(text.contains(r#"method="other""#), "{text}");
    assert!(
        text.contains(r#"vaultdeck_vault_request_duration_seconds_bucket{method="LIST""#),
        "Vault's own LIST keeps its name:\n{text}"
    );
}
