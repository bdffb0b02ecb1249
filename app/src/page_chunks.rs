//! Which part of the WebAssembly each page's code lives in.
//!
//! The first load holds the shell and the pages a person needs before anything else: login,
//! seal status, unseal, home and "not found". Every other flow is a `#[lazy]` function here,
//! which the build (`cargo xtask build`, `wasm_split_cli_support`) moves into its own chunk,
//! fetched the first time one of its pages is drawn — or earlier, when a link to it is hovered
//! or focused ([`prefetch`]). On the server these are plain functions.
//!
//! A lazy function must reach only its own pages: whatever two of them share is moved into a
//! chunk both load, and whatever the first load uses stays in the main module. So each one
//! matches the routes of its chunk itself instead of calling one shared `match`.

use crate::pages::{
    delivery::DeliverPage,
    home::HomePage,
    init::InitPage,
    k8s_secrets::EnginePage,
    kubernetes::{overview::KubernetesPage, KubernetesMountPage},
    kv::KvPage,
    login::LoginPage,
    mounts::{configure::ConfigureMountPage, enable::EnableMountPage, list::MountListPage},
    not_found::NotFound,
    policies::{
        edit::{PolicyCreatePage, PolicyEditPage},
        list::PolicyListPage,
        tester::PolicyTesterPage,
    },
    status::StatusPage,
    unseal::UnsealPage,
    workloads::WorkloadsPage,
};
use crate::routes::AppRoute;
use leptos::prelude::*;

/// A part of the WebAssembly that is loaded on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageChunk {
    /// In the module the browser loads first.
    FirstLoad,
    Init,
    Kv,
    Policies,
    Mounts,
    KubernetesAuth,
    KubernetesEngine,
    Delivery,
}

impl PageChunk {
    /// The chunk that draws `route`.
    pub fn of(route: &AppRoute) -> PageChunk {
        match route {
            AppRoute::Home
            | AppRoute::Status
            | AppRoute::Unseal
            | AppRoute::Login { .. }
            | AppRoute::NotFound => PageChunk::FirstLoad,
            AppRoute::Init => PageChunk::Init,
            AppRoute::Kv { .. } => PageChunk::Kv,
            AppRoute::Policies
            | AppRoute::PolicyCreate
            | AppRoute::PolicyTester
            | AppRoute::Policy(_) => PageChunk::Policies,
            AppRoute::Mounts(_) | AppRoute::EnableMount(_) | AppRoute::MountSettings { .. } => {
                PageChunk::Mounts
            }
            AppRoute::Kubernetes | AppRoute::K8s { .. } => PageChunk::KubernetesAuth,
            AppRoute::K8sEngine { .. } => PageChunk::KubernetesEngine,
            AppRoute::Deliver(_) | AppRoute::Workloads { .. } => PageChunk::Delivery,
        }
    }
}

/// The page for `route`. A page outside the first load is drawn once its chunk is loaded;
/// during hydration the app waits for the chunk before it adopts the server's HTML (see
/// `hydrate` in lib.rs), so a deep link or a reload never shows another page first.
pub fn page_view(route: AppRoute) -> AnyView {
    match PageChunk::of(&route) {
        PageChunk::FirstLoad => first_load_page(route),
        chunk => Suspend::new(async move { load_page(chunk, route).await }).into_any(),
    }
}

async fn load_page(chunk: PageChunk, route: AppRoute) -> AnyView {
    match chunk {
        PageChunk::FirstLoad => first_load_page(route),
        PageChunk::Init => init_pages(route).await,
        PageChunk::Kv => kv_pages(route).await,
        PageChunk::Policies => policy_pages(route).await,
        PageChunk::Mounts => mount_pages(route).await,
        PageChunk::KubernetesAuth => kubernetes_auth_pages(route).await,
        PageChunk::KubernetesEngine => kubernetes_engine_pages(route).await,
        PageChunk::Delivery => delivery_pages(route).await,
    }
}

/// Starts loading the chunk that draws `route`, if it is not loaded yet; a no-op on the
/// server and for first-load pages. Loading twice is harmless: the loader keeps one load.
pub fn prefetch(route: &AppRoute) {
    #[cfg(feature = "hydrate")]
    {
        let chunk = PageChunk::of(route);
        if chunk != PageChunk::FirstLoad {
            wasm_bindgen_futures::spawn_local(browser::load(chunk));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = route;
}

/// Prefetches the chunk of any in-app link the pointer moves onto or the keyboard focuses,
/// so that by the click the page's code is usually there. Installed once by the root
/// component; one pair of listeners on the window covers every link, present or future.
pub fn prefetch_linked_pages() {
    #[cfg(feature = "hydrate")]
    browser::prefetch_linked_pages();
}

/// Loads the chunk of the page at the browser's address. `hydrate` waits for it before it
/// adopts the server's HTML: hydrating a page whose code is still on the way would find
/// nothing to match the server's markup against.
#[cfg(feature = "hydrate")]
pub async fn load_current_page() {
    let pathname = window().location().pathname().unwrap_or_default();
    browser::load(PageChunk::of(&browser::route_of(&pathname))).await;
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use wasm_bindgen::JsCast;

    pub async fn load(chunk: PageChunk) {
        match chunk {
            PageChunk::FirstLoad => {}
            PageChunk::Init => __preload_init_pages().await,
            PageChunk::Kv => __preload_kv_pages().await,
            PageChunk::Policies => __preload_policy_pages().await,
            PageChunk::Mounts => __preload_mount_pages().await,
            PageChunk::KubernetesAuth => __preload_kubernetes_auth_pages().await,
            PageChunk::KubernetesEngine => __preload_kubernetes_engine_pages().await,
            PageChunk::Delivery => __preload_delivery_pages().await,
        }
    }

    /// The route of a browser pathname (percent-encoded, with the router base).
    pub fn route_of(pathname: &str) -> AppRoute {
        let decoded = js_sys::decode_uri(pathname)
            .map(String::from)
            .unwrap_or_else(|_| pathname.to_string());
        let base = crate::base::router_base();
        AppRoute::parse(&crate::base::app_path_under(&base, &decoded))
    }

    pub fn prefetch_linked_pages() {
        let pointer = window_event_listener(leptos::ev::mouseover, |event| {
            prefetch_link_at(event.target())
        });
        let focus = window_event_listener(leptos::ev::focusin, |event| {
            prefetch_link_at(event.target())
        });
        on_cleanup(move || {
            pointer.remove();
            focus.remove();
        });
    }

    fn prefetch_link_at(target: Option<web_sys::EventTarget>) {
        let Some(element) = target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
            return;
        };
        let Ok(Some(link)) = element.closest("a[href]") else {
            return;
        };
        let Ok(link) = link.dyn_into::<web_sys::HtmlAnchorElement>() else {
            return;
        };
        if Some(link.origin()) == window().location().origin().ok() {
            prefetch(&route_of(&link.pathname()));
        }
    }
}

fn first_load_page(route: AppRoute) -> AnyView {
    match route {
        AppRoute::Home => view! { <HomePage /> }.into_any(),
        AppRoute::Status => view! { <StatusPage /> }.into_any(),
        AppRoute::Unseal => view! { <UnsealPage /> }.into_any(),
        AppRoute::Login { .. } => view! { <LoginPage /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
}

// Each function below is one chunk. Its `_` arm is never taken (`PageChunk::of` sends only
// its own routes); it answers "not found" rather than panicking across the chunk boundary.

#[lazy]
fn init_pages(route: AppRoute) -> AnyView {
    match route {
        AppRoute::Init => view! { <InitPage /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
}

#[lazy]
fn kv_pages(route: AppRoute) -> AnyView {
    match route {
        AppRoute::Kv { mount, view } => view! { <KvPage mount view /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
}

#[lazy]
fn policy_pages(route: AppRoute) -> AnyView {
    match route {
        AppRoute::Policies => view! { <PolicyListPage /> }.into_any(),
        AppRoute::PolicyCreate => view! { <PolicyCreatePage /> }.into_any(),
        AppRoute::PolicyTester => view! { <PolicyTesterPage /> }.into_any(),
        AppRoute::Policy(name) => view! { <PolicyEditPage name /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
}

#[lazy]
fn mount_pages(route: AppRoute) -> AnyView {
    match route {
        AppRoute::Mounts(kind) => view! { <MountListPage kind /> }.into_any(),
        AppRoute::EnableMount(kind) => view! { <EnableMountPage kind /> }.into_any(),
        AppRoute::MountSettings { kind, mount } => {
            view! { <ConfigureMountPage kind path=mount /> }.into_any()
        }
        _ => view! { <NotFound /> }.into_any(),
    }
}

#[lazy]
fn kubernetes_auth_pages(route: AppRoute) -> AnyView {
    match route {
        AppRoute::Kubernetes => view! { <KubernetesPage /> }.into_any(),
        AppRoute::K8s { mount, view } => view! { <KubernetesMountPage mount view /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
}

#[lazy]
fn kubernetes_engine_pages(route: AppRoute) -> AnyView {
    match route {
        AppRoute::K8sEngine { mount, view } => view! { <EnginePage mount view /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
}

#[lazy]
fn delivery_pages(route: AppRoute) -> AnyView {
    match route {
        AppRoute::Deliver(_) => view! { <DeliverPage /> }.into_any(),
        AppRoute::Workloads { .. } => view! { <WorkloadsPage /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
}
