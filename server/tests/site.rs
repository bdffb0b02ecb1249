//! The bundle's caching: its names carry a content hash, so a file that exists may be kept
//! for a year; an answer that is not the file must not be.

mod common;

use common::{lab, vaultdeck};

/// During a rolling upgrade an old pod is asked for a new build's file and answers 404.
/// Marked immutable, that 404 would stay in browsers and proxies for a year, and the app
/// would stay broken for them after the upgrade finished.
#[tokio::test]
async fn a_missing_bundle_file_is_not_cached() {
    let (vault, _root) = lab().await;
    let deck = vaultdeck(vault.url(), &[]).await;
    let site = deck.base.trim_end_matches("/api");
    let missing = deck
        .http
        .get(format!("{site}/pkg/vaultdeck.0123456789abcdef.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let cache = missing
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(!cache.contains("immutable"), "{cache}");
    assert!(!cache.contains("max-age"), "{cache}");
}
