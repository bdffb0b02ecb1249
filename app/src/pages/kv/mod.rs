//! The KV browser: folders (paged and virtualized for very large ones), secrets (masked
//! values, JSON view), editing (rows or JSON, check-and-set with conflict handling),
//! versions and metadata for KV version 2, and searching through sub-folders.

pub mod browse;
pub mod draft;
pub mod editor;
pub mod search;
pub mod secret;
pub mod values;
pub mod versions;

use crate::{
    api::{self, ApiError},
    routes::{AppRoute, KvView},
    wire::MountInfo,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use values::{parse_object, RawData};

/// A KV mount and its version, which decides where things are in Vault's API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvMount {
    /// Without slashes around it: `kv`, `team/kv`.
    pub path: String,
    pub version: u8,
}

impl KvMount {
    fn area(&self, v2_area: &str, rest: &str) -> String {
        if self.version == 2 {
            format!("{}/{v2_area}/{rest}", self.path)
        } else {
            format!("{}/{rest}", self.path)
        }
    }
    pub fn data_path(&self, secret: &str) -> String {
        self.area("data", secret)
    }
    pub fn list_path(&self, folder: &str) -> String {
        self.area("metadata", folder)
    }
    pub fn metadata_path(&self, secret: &str) -> String {
        format!("{}/metadata/{secret}", self.path)
    }
    pub fn versions_path(&self, action: &str, secret: &str) -> String {
        format!("{}/{action}/{secret}", self.path)
    }
}

/// What a secrets engine's own address opens: KV's browser, or the Kubernetes engine's
/// pages (whose mount links lead to `/secrets/MOUNT` like any other).
#[derive(Clone)]
pub enum Opened {
    Kv(KvMount),
    KubernetesEngine,
}

/// Finds out whether `mount` is KV, and which version (`sys/internal/ui/mounts/:path`, which
/// any token with access to the mount may read).
pub async fn detect(mount: &str) -> Result<Opened, ApiError> {
    let info = api::vault_data::<MountInfo>(&format!("sys/internal/ui/mounts/{mount}")).await?;
    if info.kind == "kubernetes" {
        return Ok(Opened::KubernetesEngine);
    }
    let version = info.kv_version().ok_or_else(|| {
        ApiError::local(format!(
            "{mount}/ is a {} engine, not key/value.",
            info.kind
        ))
    })?;
    Ok(Opened::Kv(KvMount {
        path: mount.to_string(),
        version,
    }))
}

/// A version's metadata as KV v2 reads it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct VersionMeta {
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub created_time: String,
    #[serde(default)]
    pub deletion_time: String,
    #[serde(default)]
    pub destroyed: bool,
    #[serde(default)]
    pub custom_metadata: Option<BTreeMap<String, String>>,
}

/// What reading a secret found.
#[derive(Clone, Debug, PartialEq)]
pub enum Secret {
    Live {
        data: RawData,
        meta: Option<VersionMeta>,
    },
    /// A KV v2 version deleted (soft) — its data can be undeleted.
    Deleted(VersionMeta),
    Destroyed(VersionMeta),
    Missing,
}

#[derive(Deserialize)]
struct Read<T> {
    data: T,
}

#[derive(Deserialize)]
struct V2Data {
    data: Option<Box<serde_json::value::RawValue>>,
    metadata: VersionMeta,
}

/// Reads a secret (a given version, for KV v2) and tells a missing secret from a deleted or
/// destroyed version, which Vault answers with 404 and a body.
pub async fn read_secret(
    mount: &KvMount,
    path: &str,
    version: Option<u64>,
) -> Result<Secret, ApiError> {
    let mut url = api::vault_url(&mount.data_path(path))?;
    if let (2, Some(v)) = (mount.version, version) {
        url.push_str(&format!("?version={v}"));
    }
    let (status, text) = api::get_text(&url).await?;
    match (status, mount.version) {
        (200, 2) | (404, 2) => {
            let Ok(read) = serde_json::from_str::<Read<V2Data>>(&text) else {
                return if status == 404 {
                    Ok(Secret::Missing)
                } else {
                    Err(unexpected(&text))
                };
            };
            let meta = read.data.metadata;
            match read.data.data {
                Some(raw) if status == 200 => {
                    let data = parse_object(raw.get()).map_err(|e| ApiError::local(e.message))?;
                    Ok(Secret::Live {
                        data,
                        meta: Some(meta),
                    })
                }
                _ if meta.destroyed => Ok(Secret::Destroyed(meta)),
                _ => Ok(Secret::Deleted(meta)),
            }
        }
        (200, _) => {
            let read: Read<Box<serde_json::value::RawValue>> =
                serde_json::from_str(&text).map_err(|_| unexpected(&text))?;
            let data = parse_object(read.data.get()).map_err(|e| ApiError::local(e.message))?;
            Ok(Secret::Live { data, meta: None })
        }
        (404, _) => Ok(Secret::Missing),
        (status, _) => Err(api::error_from_text(status, &text)),
    }
}

/// The folder a secret path lives in (`a/b/c` → `a/b/`).
pub fn parent_folder(path: &str) -> String {
    match path.trim_end_matches('/').rfind('/') {
        Some(at) => path[..=at].to_string(),
        None => String::new(),
    }
}

/// An answer that is not a secret as Vaultdeck reads one. Its text is not quoted: it may
/// hold the secret's values, which are shown masked or not at all.
fn unexpected(text: &str) -> ApiError {
    ApiError::local(format!(
        "Vault's answer ({} bytes) is not a KV secret as Vaultdeck reads one; it is not \
         shown, as it may hold secret values.",
        text.len()
    ))
}

/// A KV page: finds the mount's version, then shows the folder, secret or form.
#[leptos::component]
pub fn KvPage(mount: String, view: KvView) -> impl leptos::IntoView {
    use leptos::prelude::*;
    let detected = LocalResource::new({
        let mount = mount.clone();
        move || {
            let mount = mount.clone();
            async move { detect(&mount).await }
        }
    });
    let view = StoredValue::new(view);
    let engine_roles =
        StoredValue::new(AppRoute::engine(&mount, crate::routes::EngineView::Roles).href());
    view! {
        <crate::components::guard::RequireLogin>
            <Suspense fallback=|| view! { <p class="muted">"Opening…"</p> }>
                {
                    move || detected.get().map(|answer| match answer {
                        Ok(Opened::KubernetesEngine) => {
                            view! { <leptos_router::components::Redirect path=engine_roles.get_value() /> }.into_any()
                        }
                        Ok(Opened::Kv(kv)) => match view.get_value() {
                            KvView::List(folder) => view! { <browse::Browse mount=kv folder /> }.into_any(),
                            KvView::Show(path) => view! { <secret::ShowSecret mount=kv path /> }.into_any(),
                            KvView::Create { .. } => view! { <editor::CreateSecret mount=kv /> }.into_any(),
                            KvView::Edit(path) => view! { <editor::EditSecret mount=kv path /> }.into_any(),
                        },
                        Err(error) => view! {
                            <section class="card"><crate::components::error_notice::ErrorNotice error context="This mount cannot be browsed." /></section>
                        }.into_any(),
                    })
                }
            </Suspense>
        </crate::components::guard::RequireLogin>
    }
}

/// Deletes a secret for good — `request_path` is its KV v1 path or its v2 metadata — and
/// on success says `done` and shows the secret's folder; on failure says why.
pub async fn delete_for_good(
    mount: &KvMount,
    path: &str,
    request_path: &str,
    done: String,
    toasts: crate::state::toasts::Toasts,
    navigate: impl Fn(&str, leptos_router::NavigateOptions),
) {
    match api::vault_write::<()>(api::Method::DELETE, request_path, None).await {
        Ok(_) => {
            toasts.success(done);
            let folder = parent_folder(path);
            navigate(
                &AppRoute::kv_list(&mount.path, &folder).href(),
                Default::default(),
            );
        }
        Err(error) => toasts.error(format!(
            "Deleting {path} failed: {}",
            crate::components::error_notice::refusal_text(&error, "delete", request_path)
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_answer_not_understood_is_not_quoted() {
        let answer = r#"{"data":{"data":{"password":"s3cret"},"metadata":null}}"#;
        let message = super::unexpected(answer).message();
        assert!(!message.contains("s3cret"), "{message}");
        assert!(
            message.contains(&format!("{} bytes", answer.len())),
            "{message}"
        );
    }
}
