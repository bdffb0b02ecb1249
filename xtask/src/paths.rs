//! Where things live: the workspace, and the caches kept outside it.

use std::path::PathBuf;

/// Read at run time: `cargo run` (the `xtask` alias) sets `CARGO_MANIFEST_DIR` for the
/// process. The compile-time value is only a fallback, because clones at different paths
/// share one target directory and cargo may reuse an `xtask` built in another clone —
/// which would then build and test that clone's sources.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cache_root() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    home.join(".cache").join("vaultdeck")
}

/// The cargo target directory: `CARGO_TARGET_DIR`, else a cache outside the clone so that
/// CI runs and later builds reuse it.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => cache_root().join("target"),
    }
}

/// Installed tools (wasm-bindgen-cli, and later the Kubernetes test binaries).
pub fn tools_dir() -> PathBuf {
    match std::env::var_os("VAULTDECK_TOOLS") {
        Some(dir) => PathBuf::from(dir),
        None => cache_root().join("tools"),
    }
}

/// Where `cargo xtask build` puts the site (as cargo-leptos' `target/site`).
pub fn site_dir() -> PathBuf {
    target_dir().join("site")
}
