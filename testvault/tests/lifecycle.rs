//! The harness itself: whichever server `VAULTDECK_TEST_VAULT` names starts the way the
//! other tests rely on.

use serde_json::json;
use testvault::TestVault;

#[tokio::test]
async fn a_dev_server_is_ready_with_the_root_token_asked_for() {
    let vault = TestVault::dev_with_root("root").await.unwrap();
    let (status, lookup) = vault
        .call("GET", "auth/token/lookup-self", Some("root"), None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{lookup}");
    assert_eq!(lookup["data"]["policies"], json!(["root"]));
    let (status, mounts) = vault
        .call("GET", "sys/mounts", Some("root"), None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(mounts["data"]["secret/"]["options"]["version"], "2");
}

#[tokio::test]
async fn a_fresh_server_is_sealed_until_unsealed_and_again_after_a_restart() {
    let mut vault = TestVault::fresh().await.unwrap();
    let (_, status) = vault
        .call("GET", "sys/seal-status", None, None)
        .await
        .unwrap();
    assert_eq!(status["initialized"], json!(false), "{status}");
    assert_eq!(status["sealed"], json!(true));
    vault.initialize(3, 2).await.unwrap();
    assert_eq!(vault.unseal_keys().len(), 3);
    vault.unseal().await.unwrap();
    let (health, _) = vault.call("GET", "sys/health", None, None).await.unwrap();
    assert_eq!(health, 200);

    vault.restart().await.unwrap();
    let (_, status) = vault
        .call("GET", "sys/seal-status", None, None)
        .await
        .unwrap();
    assert_eq!(status["initialized"], json!(true), "{status}");
    assert_eq!(
        status["sealed"],
        json!(true),
        "a restart seals it: {status}"
    );
    vault.unseal().await.unwrap();
    let root = vault.root_token().to_string();
    let (status, _) = vault
        .call("GET", "auth/token/lookup-self", Some(&root), None)
        .await
        .unwrap();
    assert_eq!(status, 200, "data survives the restart");
}
