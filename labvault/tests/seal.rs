//! Initialization, unsealing and sealing, health, across restarts — against Vault's docs.

mod common;

use common::{call_at, differences, start, Lab};
use serde_json::json;

#[tokio::test]
async fn a_new_server_is_uninitialized_and_sealed() {
    let server = start().await;
    let http = reqwest::Client::new();
    let status = call_at(&http, server.url(), "GET", "sys/seal-status", None, None)
        .await
        .expect(200);
    for field in [
        "type",
        "initialized",
        "sealed",
        "t",
        "n",
        "progress",
        "nonce",
        "version",
        differences::seal_status_date_field(server.flavor()),
        "migration",
        "recovery_seal",
        "storage_type",
    ] {
        assert!(
            status.body.get(field).is_some(),
            "seal-status lacks {field}: {}",
            status.body
        );
    }
    assert_eq!(status.body["initialized"], false);
    assert_eq!(status.body["sealed"], true);
    assert_eq!(status.body["type"], "shamir");
    assert!(status.body.get("cluster_name").is_none());
    let init = call_at(&http, server.url(), "GET", "sys/init", None, None)
        .await
        .expect(200);
    assert_eq!(init.body, json!({ "initialized": false }));
    call_at(&http, server.url(), "GET", "sys/health", None, None)
        .await
        .expect(501);
    let sealed = call_at(&http, server.url(), "GET", "secret/foo", None, None)
        .await
        .expect(503);
    assert_eq!(sealed.errors(), vec!["Vault is sealed"]);
}

#[tokio::test]
async fn init_validates_like_vault() {
    let server = start().await;
    let http = reqwest::Client::new();
    let cases = [
        (
            json!({ "secret_shares": 5, "secret_threshold": 1 }),
            "invalid seal configuration: threshold must be greater than one for multiple shares",
        ),
        (
            json!({ "secret_shares": 3, "secret_threshold": 4 }),
            "invalid seal configuration: threshold cannot be larger than shares",
        ),
        (
            json!({ "secret_shares": 256, "secret_threshold": 3 }),
            "invalid seal configuration: shares must be less than 256",
        ),
        (
            json!({ "secret_shares": 0, "secret_threshold": 0 }),
            "invalid seal configuration: shares must be at least one",
        ),
    ];
    for (body, message) in cases {
        let answer = call_at(&http, server.url(), "PUT", "sys/init", None, Some(body))
            .await
            .expect(400);
        assert_eq!(answer.errors(), vec![message]);
    }
    let pgp = call_at(
        &http,
        server.url(),
        "PUT",
        "sys/init",
        None,
        Some(json!({ "secret_shares": 1, "secret_threshold": 1, "pgp_keys": ["x"] })),
    )
    .await
    .expect(400);
    // OpenBao tries the key (and fails to decode it); labvault refuses PGP outright.
    let refusal = differences::pgp_init_refusal(server.flavor())
        .unwrap_or("invalid seal configuration: error decoding given PGP key");
    assert!(pgp.errors()[0].starts_with(refusal), "{:?}", pgp.errors());
}

#[tokio::test]
async fn init_gives_keys_and_a_root_token_and_stays_sealed() {
    let server = start().await;
    let http = reqwest::Client::new();
    let init = call_at(
        &http,
        server.url(),
        "PUT",
        "sys/init",
        None,
        Some(json!({ "secret_shares": 5, "secret_threshold": 3 })),
    )
    .await
    .expect(200);
    let keys = init.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 5);
    assert!(
        keys.iter().all(|k| k.as_str().unwrap().len() == 66),
        "33-byte shares in hex"
    );
    assert_eq!(init.body["keys_base64"].as_array().unwrap().len(), 5);
    let prefix = differences::service_token_prefix(server.flavor());
    assert!(init.body["root_token"]
        .as_str()
        .unwrap()
        .starts_with(prefix));
    let status = call_at(&http, server.url(), "GET", "sys/seal-status", None, None)
        .await
        .expect(200);
    assert_eq!(
        (
            status.body["initialized"].clone(),
            status.body["sealed"].clone(),
            status.body["t"].clone(),
            status.body["n"].clone()
        ),
        (json!(true), json!(true), json!(3), json!(5))
    );
    let again = call_at(
        &http,
        server.url(),
        "PUT",
        "sys/init",
        None,
        Some(json!({ "secret_shares": 1, "secret_threshold": 1 })),
    )
    .await
    .expect(400);
    assert_eq!(again.errors(), vec!["Vault is already initialized"]);
    call_at(&http, server.url(), "GET", "sys/health", None, None)
        .await
        .expect(503);
    let custom = call_at(
        &http,
        server.url(),
        "GET",
        "sys/health?sealedcode=299",
        None,
        None,
    )
    .await;
    assert_eq!(custom.status, 299);
}

#[tokio::test]
async fn unsealing_counts_progress_ignores_repeats_and_resets() {
    let server = start().await;
    let http = reqwest::Client::new();
    let url = server.url();
    let init = call_at(
        &http,
        url,
        "PUT",
        "sys/init",
        None,
        Some(json!({ "secret_shares": 5, "secret_threshold": 3 })),
    )
    .await
    .expect(200);
    let hex: Vec<String> = init.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    let b64: Vec<String> = init.body["keys_base64"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();

    let first = call_at(
        &http,
        url,
        "PUT",
        "sys/unseal",
        None,
        Some(json!({ "key": hex[0] })),
    )
    .await
    .expect(200);
    assert_eq!(first.body["progress"], 1);
    let nonce = first.body["nonce"].as_str().unwrap().to_string();
    assert!(!nonce.is_empty());
    let repeated = call_at(
        &http,
        url,
        "PUT",
        "sys/unseal",
        None,
        Some(json!({ "key": hex[0] })),
    )
    .await
    .expect(200);
    assert_eq!(repeated.body["progress"], 1, "a repeated share is ignored");
    assert_eq!(repeated.body["nonce"], nonce);

    let reset = call_at(
        &http,
        url,
        "PUT",
        "sys/unseal",
        None,
        Some(json!({ "reset": true })),
    )
    .await
    .expect(200);
    assert_eq!(
        (reset.body["progress"].clone(), reset.body["nonce"].clone()),
        (json!(0), json!(""))
    );

    let bad = call_at(
        &http,
        url,
        "PUT",
        "sys/unseal",
        None,
        Some(json!({ "key": "not a key" })),
    )
    .await
    .expect(400);
    assert_eq!(
        bad.errors(),
        vec!["'key' must be a valid hex or base64 string"]
    );
    let missing = call_at(&http, url, "PUT", "sys/unseal", None, Some(json!({})))
        .await
        .expect(400);
    assert_eq!(
        missing.errors(),
        vec!["'key' must be specified in request body as JSON, or 'reset' set to true"]
    );

    // Hex and base64 shares mix freely.
    call_at(
        &http,
        url,
        "PUT",
        "sys/unseal",
        None,
        Some(json!({ "key": b64[1] })),
    )
    .await
    .expect(200);
    let second = call_at(
        &http,
        url,
        "PUT",
        "sys/unseal",
        None,
        Some(json!({ "key": hex[3] })),
    )
    .await
    .expect(200);
    assert_eq!(second.body["progress"], 2);
    let done = call_at(
        &http,
        url,
        "PUT",
        "sys/unseal",
        None,
        Some(json!({ "key": hex[4] })),
    )
    .await
    .expect(200);
    assert_eq!(
        (done.body["sealed"].clone(), done.body["progress"].clone()),
        (json!(false), json!(0))
    );
    assert!(done.body["cluster_name"]
        .as_str()
        .unwrap()
        .starts_with("vault-cluster-"));
    // Raft elects a leader after the unseal; until then health says standby (429).
    server
        .wait_until_active()
        .await
        .expect("the server becomes active");
    call_at(&http, url, "GET", "sys/health", None, None)
        .await
        .expect(200);
    let reset_unsealed = call_at(
        &http,
        url,
        "PUT",
        "sys/unseal",
        None,
        Some(json!({ "reset": true })),
    )
    .await
    .expect(400);
    assert_eq!(reset_unsealed.errors(), vec!["vault is unsealed"]);
}

#[tokio::test]
async fn wrong_shares_fail_at_the_threshold_and_start_over() {
    let other = Lab::initialized(3, 2).await;
    let server = start().await;
    let http = reqwest::Client::new();
    let url = server.url();
    let init = call_at(
        &http,
        url,
        "PUT",
        "sys/init",
        None,
        Some(json!({ "secret_shares": 3, "secret_threshold": 2 })),
    )
    .await
    .expect(200);
    let mine = init.body["keys"][0].as_str().unwrap().to_string();
    call_at(
        &http,
        url,
        "PUT",
        "sys/unseal",
        None,
        Some(json!({ "key": mine })),
    )
    .await
    .expect(200);
    let wrong = call_at(
        &http,
        url,
        "PUT",
        "sys/unseal",
        None,
        Some(json!({ "key": other.keys[1] })),
    )
    .await
    .expect(400);
    assert!(
        wrong.errors()[0].contains("message authentication failed"),
        "{:?}",
        wrong.errors()
    );
    let status = call_at(&http, url, "GET", "sys/seal-status", None, None)
        .await
        .expect(200);
    assert_eq!(
        (
            status.body["sealed"].clone(),
            status.body["progress"].clone()
        ),
        (json!(true), json!(0))
    );
}

#[tokio::test]
async fn sealing_needs_sudo_and_data_survives_a_restart() {
    let mut lab = Lab::initialized(3, 2).await;
    lab.enable_kv("kv", 2).await;
    lab.root(
        "POST",
        "kv/data/app",
        Some(json!({ "data": { "password": "hunter2" } })),
    )
    .await
    .expect(200);

    lab.write_policy(
        "seal-no-sudo",
        r#"path "sys/seal" { capabilities = ["update"] }"#,
    )
    .await;
    let weak = lab.token_with(&["seal-no-sudo"]).await;
    let denied = lab
        .call("PUT", "sys/seal", Some(&weak), None)
        .await
        .expect(403);
    assert_eq!(
        denied.errors(),
        vec!["1 error occurred:\n\t* permission denied\n\n"]
    );
    lab.call("PUT", "sys/seal", None, None).await.expect(403);
    lab.root("PUT", "sys/seal", None).await.expect(204);
    lab.root("GET", "kv/data/app", None).await.expect(503);

    let keys = lab.keys.clone();
    let root = lab.root.clone();
    lab.vault.restart().await.unwrap();
    let http = reqwest::Client::new();
    let url = &lab.url();
    let status = call_at(&http, url, "GET", "sys/seal-status", None, None)
        .await
        .expect(200);
    assert_eq!(
        (
            status.body["initialized"].clone(),
            status.body["sealed"].clone()
        ),
        (json!(true), json!(true)),
        "sealed at every start"
    );
    for key in &keys[1..3] {
        call_at(
            &http,
            url,
            "PUT",
            "sys/unseal",
            None,
            Some(json!({ "key": key })),
        )
        .await
        .expect(200);
    }
    // On OpenBao an unsealed raft node serves requests only once it has elected itself
    // (until then: 500 "local node not active"); the check is about the data, so wait.
    lab.vault
        .wait_until_active()
        .await
        .expect("the server becomes active");
    let secret = call_at(&http, url, "GET", "kv/data/app", Some(&root), None)
        .await
        .expect(200);
    assert_eq!(secret.data()["data"]["password"], "hunter2");
}

#[tokio::test]
async fn leader_and_health_shapes() {
    let lab = Lab::new().await;
    let leader = lab.call("GET", "sys/leader", None, None).await.expect(200);
    assert_eq!(leader.body["ha_enabled"], false);
    let health = lab.call("GET", "sys/health", None, None).await.expect(200);
    let lacking = differences::vault_only_health_fields(lab.flavor());
    for field in [
        "initialized",
        "sealed",
        "standby",
        "performance_standby",
        "replication_performance_mode",
        "replication_dr_mode",
        "server_time_utc",
        "version",
        "cluster_name",
        "cluster_id",
    ] {
        let present = health.body.get(field).is_some();
        assert_eq!(present, !lacking.contains(&field), "health and {field}");
    }
    let head = lab
        .http
        .head(format!("{}/v1/sys/health", lab.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(head.text().await.unwrap(), "");
}

/// `PUT sys/init` with the bodies real clients send: the `bao`/`vault` CLI's `InitRequest`
/// sends every field (nulls, empty strings, zeros), hvac sends `root_token_pgp_key: null`.
#[tokio::test]
async fn init_accepts_the_bodies_the_cli_and_hvac_send() {
    let cli = json!({
        "secret_shares": 3, "secret_threshold": 2, "stored_shares": 0,
        "pgp_keys": null, "recovery_shares": 0, "recovery_threshold": 0,
        "recovery_pgp_keys": null, "root_token_pgp_key": "",
    });
    let hvac = json!({ "secret_shares": 3, "secret_threshold": 2, "root_token_pgp_key": null });
    let empty_lists = json!({ "secret_shares": 3, "secret_threshold": 2, "pgp_keys": [],
                              "recovery_pgp_keys": [] });
    for body in [cli, hvac, empty_lists] {
        let server = start().await;
        let http = reqwest::Client::new();
        let init = call_at(
            &http,
            server.url(),
            "PUT",
            "sys/init",
            None,
            Some(body.clone()),
        )
        .await
        .expect(200);
        assert_eq!(init.body["keys"].as_array().unwrap().len(), 3, "{body}");
        assert!(init.body.get("recovery_keys").is_none(), "{body}");
    }
}

/// Recovery parameters belong to auto-unseal seals: a Shamir seal names the ones given.
#[tokio::test]
async fn init_refuses_recovery_parameters_on_a_shamir_seal() {
    let server = start().await;
    let http = reqwest::Client::new();
    let body = json!({ "secret_shares": 1, "secret_threshold": 1, "recovery_shares": 2,
                       "recovery_threshold": 1 });
    let refused = call_at(&http, server.url(), "PUT", "sys/init", None, Some(body))
        .await
        .expect(400);
    assert_eq!(
        refused.errors(),
        ["parameters recovery_shares,recovery_threshold not applicable to seal type shamir"]
    );
}

#[tokio::test]
async fn leader_while_sealed_depends_on_ha_storage() {
    let server = start().await;
    let http = reqwest::Client::new();
    let leader = call_at(&http, server.url(), "GET", "sys/leader", None, None).await;
    let (status, refusal) = differences::sealed_leader_answer(server.flavor());
    assert_eq!(leader.status, status, "{}", leader.body);
    match refusal {
        Some(refusal) => assert_eq!(leader.errors(), [refusal]),
        None => assert_eq!(leader.body["ha_enabled"], false),
    }
}
