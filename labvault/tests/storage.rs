//! What labvault keeps on disk, looked at directly: these checks are about labvault's own
//! directory storage (encrypted entries, one file each), so they run against labvault
//! alone, whichever server the conformance suite is pointed at.

mod common;

use common::Lab;
use serde_json::json;

/// A labvault keeping its data in `dir`, initialized with one key share and unsealed.
async fn on_disk(dir: &std::path::Path) -> Lab {
    let mut vault = testvault::TestVault::labvault_in(dir).await.unwrap();
    vault.initialize(1, 1).await.unwrap();
    vault.unseal().await.unwrap();
    Lab::of(vault)
}

#[tokio::test]
async fn corrupted_or_truncated_storage_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let lab = on_disk(dir.path()).await;
    lab.enable_kv("kv", 1).await;
    lab.root("POST", "kv/app", Some(json!({ "password": "hunter2" })))
        .await
        .expect(204);
    let file = find_file(dir.path(), "_app").expect("the entry's file exists");
    let bytes = std::fs::read(&file).unwrap();
    assert!(
        !bytes.windows(7).any(|w| w == b"hunter2"),
        "stored encrypted"
    );
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let answer = lab.root("GET", "kv/app", None).await.expect(500);
    assert!(
        answer.errors()[0].contains("corrupt or truncated"),
        "{:?}",
        answer.errors()
    );
    assert!(!answer.errors()[0].contains("hunter2"));
}

fn find_file(dir: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()? {
        let path = entry.ok()?.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|n| n == name) {
            return Some(path);
        }
    }
    None
}

#[tokio::test]
async fn a_revoked_tokens_cubbyhole_is_wiped() {
    let dir = tempfile::tempdir().unwrap();
    let lab = on_disk(dir.path()).await;
    let token = lab.token_with(&["default"]).await;
    lab.call(
        "POST",
        "cubbyhole/wipe-marker",
        Some(&token),
        Some(json!({ "a": "b" })),
    )
    .await
    .expect(204);
    assert!(
        find_file(dir.path(), "_wipe-marker").is_some(),
        "the entry is in storage"
    );
    lab.call("POST", "auth/token/revoke-self", Some(&token), None)
        .await
        .expect(204);
    assert!(
        !find_file(dir.path(), "_wipe-marker").is_some(),
        "revocation removed the cubbyhole's entries"
    );
}
