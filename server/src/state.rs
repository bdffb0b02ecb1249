//! What every handler shares.

use crate::{
    config::Config,
    prefix::{forwarded_prefix, is_plain_path},
    session::Sessions,
    vault::VaultClient,
};
use axum::http::HeaderMap;
use leptos::config::LeptosOptions;
use std::{path::PathBuf, sync::Arc};

/// Cloned for every request (axum's `State`, each middleware), so every field is an `Arc`:
/// a clone is a few counter increments, never an allocation.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub vault: Arc<VaultClient>,
    pub site: Arc<Site>,
    pub sessions: Arc<Sessions>,
    pub listings: Arc<crate::listing_cache::ListingCache>,
    pub cluster: Arc<crate::kube::Cluster>,
}

/// The built front end: where its files are and how Leptos should refer to them.
pub struct Site {
    pub root: PathBuf,
    pub leptos_options: LeptosOptions,
}

impl AppState {
    /// The base path routes live under: `""` or e.g. `/ui`.
    pub fn base_path(&self) -> &str {
        self.config.base_path.prefix()
    }

    /// The session cookie's `Path`: the base path as the browser sees it. The app tells us
    /// (`X-Vaultdeck-Base`: its document base), since `kubectl proxy` adds a prefix no
    /// header reveals; otherwise `X-Forwarded-Prefix` and the base path.
    pub fn cookie_path(&self, headers: &HeaderMap) -> String {
        let base = self.base_path();
        let seen = headers
            .get("x-vaultdeck-base")
            .and_then(|v| v.to_str().ok())
            .map(|p| p.trim_end_matches('/'))
            .filter(|p| (p.is_empty() || is_plain_path(p)) && p.ends_with(base));
        let path = match seen {
            Some(seen) => seen.to_string(),
            None => format!("{}{base}", forwarded_prefix(headers)),
        };
        if path.is_empty() {
            "/".into()
        } else {
            path
        }
    }

    /// The full path of a BFF API route, e.g. `/ui/api/vault/v1/`.
    pub fn api_prefix(&self, rest: &str) -> String {
        format!("{}/api/{rest}", self.base_path())
    }
}

impl Site {
    /// Locates the site directory (flag, cargo-leptos' `LEPTOS_SITE_ROOT`, or `site` beside
    /// the binary's directory) and reads whether the bundle has hashed names.
    pub fn locate(configured: Option<&PathBuf>) -> anyhow::Result<Site> {
        let root = match configured {
            Some(dir) => dir.clone(),
            None => match std::env::var_os("LEPTOS_SITE_ROOT") {
                Some(dir) => PathBuf::from(dir),
                None => default_site_dir()?,
            },
        };
        if !root.join("pkg").is_dir() {
            anyhow::bail!(
                "the site directory {} has no pkg/ folder: build it with `cargo xtask build` or set VAULTDECK_SITE_DIR",
                root.display()
            );
        }
        // Leptos reads the content hashes from `hash.txt` beside the executable, where
        // `cargo xtask build` (and cargo-leptos with hash-files) writes them.
        let hashed = std::env::current_exe()?
            .parent()
            .map(|dir| dir.join("hash.txt").is_file())
            .unwrap_or(false);
        let leptos_options = LeptosOptions::builder()
            .output_name("vaultdeck")
            .site_root(root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .hash_files(hashed)
            .build();
        Ok(Site {
            root,
            leptos_options,
        })
    }
}

fn default_site_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe.parent().and_then(|p| p.parent());
    Ok(profile_dir
        .map(|dir| dir.join("site"))
        .unwrap_or_else(|| PathBuf::from("site")))
}
