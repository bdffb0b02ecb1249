//! Which part of the WebAssembly each page's code lives in.
//!
//! The first load holds the shell and the pages a person needs before anything else: login,
//! seal status, unseal, home and "not found". Every other flow is a chunk function here
//! (declared with `page_chunk!`), which the build (`cargo xtask build`,
//! `wasm_split_cli_support`) moves into its own chunk. A chunk is fetched in the background
//! once someone is logged in ([`prefetch_every_page_once_logged_in`]), when a link to one of
//! its pages is hovered or focused ([`prefetch`]), or when one of its pages is drawn,
//! whichever comes first. On the server these are plain functions.
//!
//! A chunk function must reach only its own pages: whatever two of them share is moved into a
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
        chunk => view! { <ChunkPage chunk route /> }.into_any(),
    }
}

/// A page's chunk could not be fetched or instantiated: the network changed or went away
/// (Chromium fails every queued request with `ERR_NETWORK_CHANGED` when the host gains or
/// loses an address), or the server now runs a newer build. Nothing remembers a failure:
/// the next load starts afresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkUnavailable;

#[cfg(feature = "hydrate")]
impl From<wasm_split_helpers::SplitLoaderError> for ChunkUnavailable {
    fn from(_: wasm_split_helpers::SplitLoaderError) -> Self {
        ChunkUnavailable
    }
}

/// The pauses before each further attempt at a failed load, in milliseconds. A network
/// change fails fetches at once and they go through a moment later; a longer outage gets
/// the notice after about four seconds.
const RETRY_PAUSES_MS: [u32; 3] = [200, 1_000, 3_000];

/// Runs `attempt` until it succeeds or the pauses run out.
async fn with_retries<T, F>(mut attempt: impl FnMut() -> F) -> Result<T, ChunkUnavailable>
where
    F: std::future::Future<Output = Result<T, ChunkUnavailable>>,
{
    let mut pauses = RETRY_PAUSES_MS.iter();
    loop {
        match attempt().await {
            Ok(done) => return Ok(done),
            Err(unavailable) => match pauses.next() {
                Some(&pause_ms) => pause(pause_ms).await,
                None => return Err(unavailable),
            },
        }
    }
}

#[cfg(feature = "hydrate")]
async fn pause(ms: u32) {
    let timer = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
    });
    // `Suspend` wants a `Send` future; the app runs on the browser's one thread.
    let _ = send_wrapper::SendWrapper::new(wasm_bindgen_futures::JsFuture::from(timer)).await;
}

/// On the server a chunk is never fetched, so nothing is ever retried.
#[cfg(not(feature = "hydrate"))]
async fn pause(_ms: u32) {}

/// A page outside the first load. If its chunk cannot be loaded even after the retries, the
/// page says so and offers to try again, in place: the session and the rest of the app stay.
#[component]
fn ChunkPage(chunk: PageChunk, route: AppRoute) -> impl IntoView {
    let attempt = RwSignal::new(0u32);
    move || {
        attempt.track();
        let route = route.clone();
        Suspend::new(async move {
            match with_retries(|| draw_chunk_page(chunk, route.clone())).await {
                Ok(page) => page,
                Err(ChunkUnavailable) => {
                    let retry = Callback::new(move |()| attempt.update(|n| *n += 1));
                    view! { <ChunkUnavailableNotice retry /> }.into_any()
                }
            }
        })
    }
}

#[component]
fn ChunkUnavailableNotice(retry: Callback<()>) -> impl IntoView {
    view! {
        <section class="card narrow" role="alert" data-testid="chunk-unavailable">
            <h1>"This page could not be loaded"</h1>
            <p>
                "Its part of Vaultdeck's code did not arrive: the network connection may have "
                "changed or dropped. Nothing you entered elsewhere is lost."
            </p>
            <p>
                <button type="button" data-testid="chunk-retry" on:click=move |_| retry.run(())>
                    "Try again"
                </button>
            </p>
            <p class="hint">
                "If Vaultdeck was upgraded since this tab was opened, reload the page instead."
            </p>
        </section>
    }
}

async fn draw_chunk_page(chunk: PageChunk, route: AppRoute) -> Result<AnyView, ChunkUnavailable> {
    match chunk {
        PageChunk::FirstLoad => Ok(first_load_page(route)),
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
            // A failed prefetch costs nothing: the page's own load retries.
            wasm_bindgen_futures::spawn_local(async move {
                let _ = browser::load(chunk).await;
            });
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

/// The chunks in the order the background prefetch fetches them: the pages a person is most
/// likely to open first come first.
#[cfg(feature = "hydrate")]
const BACKGROUND_ORDER: [PageChunk; 7] = [
    PageChunk::Kv,
    PageChunk::Policies,
    PageChunk::KubernetesAuth,
    PageChunk::Mounts,
    PageChunk::KubernetesEngine,
    PageChunk::Delivery,
    PageChunk::Init,
];

/// How long the app lets a freshly logged-in page fetch its own data before the background
/// prefetch starts.
#[cfg(feature = "hydrate")]
const BACKGROUND_PREFETCH_AFTER_MS: u32 = 1_000;

/// Once someone is logged in, fetches every page chunk in the background, one chunk after
/// another (a chunk's files in parallel), so that no first click waits for code: only the
/// login page has to load small, and it loads before anyone is logged in. A chunk that fails
/// is skipped; its page's own load retries. Installed once by the root component.
pub fn prefetch_every_page_once_logged_in(session: crate::state::session::SessionState) {
    #[cfg(feature = "hydrate")]
    {
        let started = StoredValue::new(false);
        Effect::new(move |_| {
            if session.is_logged_in() && !started.get_value() {
                started.set_value(true);
                wasm_bindgen_futures::spawn_local(async {
                    pause(BACKGROUND_PREFETCH_AFTER_MS).await;
                    for chunk in BACKGROUND_ORDER {
                        let _ = browser::load(chunk).await;
                    }
                });
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = session;
}

/// Loads the chunk of the page at the browser's address. `hydrate` waits for it before it
/// adopts the server's HTML: hydrating a page whose code is still on the way would find
/// nothing to match the server's markup against. One attempt only: if it fails, `hydrate`
/// draws the app afresh, and the page's own load retries — retrying here as well would
/// keep a person waiting twice as long for the notice.
#[cfg(feature = "hydrate")]
pub async fn load_current_page() -> Result<(), ChunkUnavailable> {
    let pathname = window().location().pathname().unwrap_or_default();
    browser::load(PageChunk::of(&browser::route_of(&pathname))).await
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use wasm_bindgen::JsCast;

    pub async fn load(chunk: PageChunk) -> Result<(), ChunkUnavailable> {
        Ok(match chunk {
            PageChunk::FirstLoad => {}
            PageChunk::Init => preload_init_pages().await?,
            PageChunk::Kv => preload_kv_pages().await?,
            PageChunk::Policies => preload_policy_pages().await?,
            PageChunk::Mounts => preload_mount_pages().await?,
            PageChunk::KubernetesAuth => preload_kubernetes_auth_pages().await?,
            PageChunk::KubernetesEngine => preload_kubernetes_engine_pages().await?,
            PageChunk::Delivery => preload_delivery_pages().await?,
        })
    }

    /// The route of a browser pathname (percent-encoded, with the router base).
    pub fn route_of(pathname: &str) -> AppRoute {
        AppRoute::of_address(&crate::base::router_base(), pathname)
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

/// Declares one chunk: `$name` draws the pages of one [`PageChunk`]; `$preload` loads the
/// chunk without drawing anything.
///
/// In the browser, `wasm_split` moves the function into a chunk of its own, and calling it
/// loads that chunk first. With `fallible`, a load that fails answers `Err` instead of
/// panicking — a panic would abort the whole app. Leptos' `#[lazy]` offers no way to ask for
/// that, so the chunks are declared here with `wasm_split` itself. On the server the function
/// is plain, and it records the chunk's name so that the page's HTML carries
/// `<link rel=preload>` for its files — `prefetch_lazy_fn_on_server` is what `#[lazy]` calls
/// for that. The chunk's name is `$name`, here and in the split manifest.
macro_rules! page_chunk {
    ($name:ident, $preload:ident, |$route:ident| $pages:expr) => {
        #[cfg(feature = "hydrate")]
        #[wasm_split_helpers::wasm_split($name, preload($preload), fallible)]
        fn $name($route: AppRoute) -> Result<AnyView, ChunkUnavailable> {
            Ok($pages)
        }

        #[cfg(not(feature = "hydrate"))]
        async fn $name($route: AppRoute) -> Result<AnyView, ChunkUnavailable> {
            leptos::prefetch_lazy_fn_on_server(stringify!($name));
            Ok($pages)
        }
    };
}

// Each chunk's `_` arm is never taken (`PageChunk::of` sends only its own routes); it answers
// "not found" rather than panicking across the chunk boundary.

page_chunk!(init_pages, preload_init_pages, |route| match route {
    AppRoute::Init => view! { <InitPage /> }.into_any(),
    _ => view! { <NotFound /> }.into_any(),
});

page_chunk!(kv_pages, preload_kv_pages, |route| match route {
    AppRoute::Kv { mount, view } => view! { <KvPage mount view /> }.into_any(),
    _ => view! { <NotFound /> }.into_any(),
});

page_chunk!(policy_pages, preload_policy_pages, |route| match route {
    AppRoute::Policies => view! { <PolicyListPage /> }.into_any(),
    AppRoute::PolicyCreate => view! { <PolicyCreatePage /> }.into_any(),
    AppRoute::PolicyTester => view! { <PolicyTesterPage /> }.into_any(),
    AppRoute::Policy(name) => view! { <PolicyEditPage name /> }.into_any(),
    _ => view! { <NotFound /> }.into_any(),
});

page_chunk!(mount_pages, preload_mount_pages, |route| match route {
    AppRoute::Mounts(kind) => view! { <MountListPage kind /> }.into_any(),
    AppRoute::EnableMount(kind) => view! { <EnableMountPage kind /> }.into_any(),
    AppRoute::MountSettings { kind, mount } => {
        view! { <ConfigureMountPage kind path=mount /> }.into_any()
    }
    _ => view! { <NotFound /> }.into_any(),
});

page_chunk!(
    kubernetes_auth_pages,
    preload_kubernetes_auth_pages,
    |route| match route {
        AppRoute::Kubernetes => view! { <KubernetesPage /> }.into_any(),
        AppRoute::K8s { mount, view } => view! { <KubernetesMountPage mount view /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
);

page_chunk!(
    kubernetes_engine_pages,
    preload_kubernetes_engine_pages,
    |route| match route {
        AppRoute::K8sEngine { mount, view } => view! { <EnginePage mount view /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
);

page_chunk!(
    delivery_pages,
    preload_delivery_pages,
    |route| match route {
        AppRoute::Deliver(_) => view! { <DeliverPage /> }.into_any(),
        AppRoute::Workloads { .. } => view! { <WorkloadsPage /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
);
