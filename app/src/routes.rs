//! The one route table of the app: every page is an [`AppRoute`], read from an address by
//! [`AppRoute::parse`] and written into one by [`AppRoute::href`]. Links are built from it,
//! never by hand. Paths are relative to the router base (the document's base href), so
//! `/status` is `/ui/status` when served at `/ui`.

use crate::components::layout::{Frame, Layout};
use crate::page_chunks::page_view;
use crate::pages::{home::HomePage, mounts::MountKind, not_found::NotFound};
use crate::wire::encode_query_value;
use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Route, Routes},
    hooks::{use_location, use_matched},
    path,
};

/// Every page of the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppRoute {
    Home,
    Status,
    /// The Kubernetes overview: every Kubernetes auth mount.
    Kubernetes,
    Init,
    Unseal,
    /// `/login`, with why the session ended, where to come back to, and which of its tabs
    /// is open (query only).
    Login {
        reason: Option<String>,
        back: Option<String>,
        tab: Option<String>,
    },
    /// The list of secrets engines or auth methods.
    Mounts(MountKind),
    EnableMount(MountKind),
    /// A mount's settings (`/secrets/M/configuration`; an auth method's bare address).
    MountSettings {
        kind: MountKind,
        mount: String,
    },
    /// A KV mount's pages.
    Kv {
        mount: String,
        view: KvView,
    },
    /// A Kubernetes auth mount's pages.
    K8s {
        mount: String,
        view: K8sView,
    },
    /// A Kubernetes secrets engine's pages.
    K8sEngine {
        mount: String,
        view: EngineView,
    },
    Policies,
    PolicyCreate,
    PolicyTester,
    Policy(String),
    /// "Deliver to a pod" (`/kubernetes/deliver`), from a secret or a role (query only).
    Deliver(DeliverFrom),
    /// The Workloads check (`/kubernetes/workloads`), for an auth mount and a namespace
    /// (query only).
    Workloads {
        auth: Option<String>,
        namespace: Option<String>,
    },
    NotFound,
}

/// Where "Deliver to a pod" starts: a KV secret (`mount`, `path`), a Kubernetes auth role
/// (`auth`, `role`), or both.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliverFrom {
    pub auth: Option<String>,
    pub role: Option<String>,
    pub mount: Option<String>,
    pub path: Option<String>,
}

/// A page of a KV mount. Secret paths and folders are relative to the mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvView {
    /// A folder, `""` for the mount's top, else ending in `/`.
    List(String),
    Show(String),
    /// A new secret, optionally prefilled with a folder and a name (query only).
    Create {
        folder: Option<String>,
        name: Option<String>,
    },
    Edit(String),
}

/// A page of a Kubernetes auth mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum K8sView {
    Config,
    Roles,
    NewRole,
    Bulk,
    Role(String),
}

/// A page of a Kubernetes secrets engine mount (`/secrets/MOUNT/k8s/…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineView {
    Config,
    Roles,
    NewRole,
    Role(String),
    /// Generating credentials for a role.
    Creds(String),
    Leases,
}

impl AppRoute {
    /// The route of a browser pathname (percent-encoded, under the router base), decoded
    /// once: the inverse of [`AppRoute::href`].
    pub fn of_address(router_base: &str, pathname: &str) -> AppRoute {
        let path = crate::base::app_path_under(router_base, pathname);
        AppRoute::parse(&decode_path(&path))
    }

    /// The route of an app path (decoded; no query).
    pub fn parse(path: &str) -> AppRoute {
        let path = path.trim_start_matches('/');
        match path.trim_end_matches('/') {
            "" => return AppRoute::Home,
            "status" => return AppRoute::Status,
            "kubernetes" => return AppRoute::Kubernetes,
            "kubernetes/deliver" => return AppRoute::Deliver(DeliverFrom::default()),
            "kubernetes/workloads" => {
                return AppRoute::Workloads {
                    auth: None,
                    namespace: None,
                }
            }
            "init" => return AppRoute::Init,
            "unseal" => return AppRoute::Unseal,
            "login" => return AppRoute::login(),
            "secrets" => return AppRoute::Mounts(MountKind::Secrets),
            "secrets/enable" => return AppRoute::EnableMount(MountKind::Secrets),
            "access/auth" => return AppRoute::Mounts(MountKind::Auth),
            "access/auth/enable" => return AppRoute::EnableMount(MountKind::Auth),
            "access/policies" => return AppRoute::Policies,
            "access/policies/create" => return AppRoute::PolicyCreate,
            "access/policies/tester" => return AppRoute::PolicyTester,
            _ => {}
        }
        if let Some(name) = path.strip_prefix("access/policies/") {
            return match name.is_empty() || name.contains('/') {
                true => AppRoute::NotFound,
                false => AppRoute::Policy(name.to_string()),
            };
        }
        if let Some(rest) = path.strip_prefix("secrets/") {
            return parse_mount_page(MountKind::Secrets, rest);
        }
        if let Some(rest) = path.strip_prefix("access/auth/") {
            return parse_mount_page(MountKind::Auth, rest);
        }
        AppRoute::NotFound
    }

    /// The app path of the route, each name percent-encoded where it would change the
    /// address's meaning (`?`, `#`, `%`, spaces), with its query if it has one.
    pub fn href(&self) -> String {
        match self {
            AppRoute::Home => "/".into(),
            AppRoute::Status => "/status".into(),
            AppRoute::Kubernetes => "/kubernetes".into(),
            AppRoute::Init => "/init".into(),
            AppRoute::Unseal => "/unseal".into(),
            AppRoute::Login { reason, back, tab } => with_query(
                "/login".into(),
                &[
                    ("reason", reason.as_deref()),
                    ("return", back.as_deref()),
                    ("tab", tab.as_deref()),
                ],
            ),
            AppRoute::Mounts(kind) => kind.app_root().into(),
            AppRoute::EnableMount(kind) => format!("{}/enable", kind.app_root()),
            AppRoute::MountSettings { kind, mount } => {
                format!("{}/{}/configuration", kind.app_root(), encode_path(mount))
            }
            AppRoute::Kv { mount, view } => kv_href(mount, view),
            AppRoute::K8s { mount, view } => k8s_href(mount, view),
            AppRoute::K8sEngine { mount, view } => engine_href(mount, view),
            AppRoute::Policies => "/access/policies".into(),
            AppRoute::PolicyCreate => "/access/policies/create".into(),
            AppRoute::PolicyTester => "/access/policies/tester".into(),
            AppRoute::Policy(name) => format!("/access/policies/{}", encode_path(name)),
            AppRoute::Deliver(from) => with_query(
                "/kubernetes/deliver".into(),
                &[
                    ("auth", from.auth.as_deref()),
                    ("role", from.role.as_deref()),
                    ("mount", from.mount.as_deref()),
                    ("path", from.path.as_deref()),
                ],
            ),
            AppRoute::Workloads { auth, namespace } => with_query(
                "/kubernetes/workloads".into(),
                &[
                    ("auth", auth.as_deref()),
                    ("namespace", namespace.as_deref()),
                ],
            ),
            AppRoute::NotFound => "/".into(),
        }
    }

    /// The login page, with nothing to say and nowhere to return to.
    pub fn login() -> AppRoute {
        AppRoute::Login {
            reason: None,
            back: None,
            tab: None,
        }
    }

    /// Whether the page is only for a logged-in user (every page but the ones that work
    /// on Vault before anyone can log in, and the login page itself).
    pub fn needs_login(&self) -> bool {
        !matches!(
            self,
            AppRoute::Status
                | AppRoute::Init
                | AppRoute::Unseal
                | AppRoute::Login { .. }
                | AppRoute::NotFound
        )
    }

    /// The full href for a link: the app path with the prefix the browser sees.
    pub fn link(&self) -> String {
        crate::base::href(&self.href())
    }

    /// A KV folder's page.
    pub fn kv_list(mount: &str, folder: &str) -> AppRoute {
        AppRoute::Kv {
            mount: mount.into(),
            view: KvView::List(as_folder(folder)),
        }
    }

    /// A secret's page.
    pub fn kv_show(mount: &str, path: &str) -> AppRoute {
        AppRoute::Kv {
            mount: mount.into(),
            view: KvView::Show(path.into()),
        }
    }

    pub fn k8s(mount: &str, view: K8sView) -> AppRoute {
        AppRoute::K8s {
            mount: mount.into(),
            view,
        }
    }

    /// A page of a Kubernetes secrets engine.
    pub fn engine(mount: &str, view: EngineView) -> AppRoute {
        AppRoute::K8sEngine {
            mount: mount.into(),
            view,
        }
    }
}

/// What follows `/secrets/` or `/access/auth/`: the mount (which may contain `/`) and the
/// page. Pages inside the mount come first — a secret may be named `configuration`.
fn parse_mount_page(kind: MountKind, rest: &str) -> AppRoute {
    if let Some(mount) = bare_mount(rest) {
        // A link to the mount itself: its top folder for secrets, its settings for auth.
        return match kind {
            MountKind::Secrets => AppRoute::kv_list(mount, ""),
            MountKind::Auth => AppRoute::MountSettings {
                kind,
                mount: mount.into(),
            },
        };
    }
    let inside = match kind {
        MountKind::Auth => parse_k8s(rest).map(|(mount, view)| AppRoute::K8s { mount, view }),
        MountKind::Secrets => parse_kv(rest)
            .map(|(mount, view)| AppRoute::Kv { mount, view })
            .or_else(|| {
                parse_engine(rest).map(|(mount, view)| AppRoute::K8sEngine { mount, view })
            }),
    };
    if let Some(route) = inside {
        return route;
    }
    match rest
        .strip_suffix("/configuration")
        .filter(|m| !m.is_empty())
    {
        Some(mount) => AppRoute::MountSettings {
            kind,
            mount: mount.into(),
        },
        None => AppRoute::NotFound,
    }
}

/// `kv`, `kv/` or `team/kv/` — a mount with no page named after it. (The first segment is
/// always the mount's: an auth method may well be mounted at `k8s/`.)
fn bare_mount(rest: &str) -> Option<&str> {
    const PAGES: [&str; 6] = ["list", "show", "edit", "create", "configuration", "k8s"];
    let mount = rest.trim_end_matches('/');
    let names_a_page = mount
        .split('/')
        .skip(1)
        .any(|segment| PAGES.contains(&segment));
    (!mount.is_empty() && !names_a_page).then_some(mount)
}

/// `MOUNT/list/FOLDER/`, `MOUNT/show/PATH`, `MOUNT/create`, `MOUNT/edit/PATH`. The first
/// marker wins, so secret paths may have `list`, `show` or `edit` segments of their own.
fn parse_kv(rest: &str) -> Option<(String, KvView)> {
    type MakeView = fn(String) -> KvView;
    let markers: [(&str, MakeView); 3] = [
        ("/list/", KvView::List),
        ("/show/", KvView::Show),
        ("/edit/", KvView::Edit),
    ];
    let first = markers
        .iter()
        .filter_map(|(marker, make)| rest.find(marker).map(|at| (at, *marker, *make)))
        .min_by_key(|(at, _, _)| *at);
    if let Some((at, marker, make)) = first {
        let mount = &rest[..at];
        let path = rest[at + marker.len()..].to_string();
        if mount.is_empty() {
            return None;
        }
        let is_secret_path = !path.is_empty() && !path.ends_with('/');
        return match make(path) {
            KvView::List(folder) => Some((mount.into(), KvView::List(as_folder(&folder)))),
            view if is_secret_path => Some((mount.into(), view)),
            _ => None,
        };
    }
    if let Some(mount) = rest.strip_suffix("/list") {
        return (!mount.is_empty()).then(|| (mount.to_string(), KvView::List(String::new())));
    }
    rest.strip_suffix("/create")
        .filter(|m| !m.is_empty())
        .map(|m| {
            let view = KvView::Create {
                folder: None,
                name: None,
            };
            (m.to_string(), view)
        })
}

/// `MOUNT/k8s/config`, `MOUNT/k8s/roles`, `MOUNT/k8s/roles/new`, `MOUNT/k8s/roles/bulk`,
/// `MOUNT/k8s/role/NAME`. Mount paths may contain `/`; role names cannot.
fn parse_k8s(rest: &str) -> Option<(String, K8sView)> {
    let at = rest.rfind("/k8s/")?;
    let mount = &rest[..at];
    if mount.is_empty() {
        return None;
    }
    let view = match &rest[at + "/k8s/".len()..] {
        "config" => K8sView::Config,
        "roles" => K8sView::Roles,
        "roles/new" => K8sView::NewRole,
        "roles/bulk" => K8sView::Bulk,
        tail => {
            let name = tail.strip_prefix("role/")?;
            if name.is_empty() || name.contains('/') {
                return None;
            }
            K8sView::Role(name.to_string())
        }
    };
    Some((mount.to_string(), view))
}

/// `MOUNT/k8s/config`, `MOUNT/k8s/roles`, `MOUNT/k8s/roles/new`, `MOUNT/k8s/role/NAME`,
/// `MOUNT/k8s/role/NAME/creds`, `MOUNT/k8s/leases` under `/secrets/`. KV addresses are
/// tried first, so a secret path may hold a `k8s` segment.
fn parse_engine(rest: &str) -> Option<(String, EngineView)> {
    let at = rest.rfind("/k8s/")?;
    let mount = &rest[..at];
    if mount.is_empty() {
        return None;
    }
    let view = match &rest[at + "/k8s/".len()..] {
        "config" => EngineView::Config,
        "roles" => EngineView::Roles,
        "roles/new" => EngineView::NewRole,
        "leases" => EngineView::Leases,
        tail => {
            let role = tail.strip_prefix("role/")?;
            let (name, creds) = match role.strip_suffix("/creds") {
                Some(name) => (name, true),
                None => (role, false),
            };
            if name.is_empty() || name.contains('/') {
                return None;
            }
            match creds {
                true => EngineView::Creds(name.to_string()),
                false => EngineView::Role(name.to_string()),
            }
        }
    };
    Some((mount.to_string(), view))
}

fn engine_href(mount: &str, view: &EngineView) -> String {
    let base = format!("/secrets/{}/k8s", encode_path(mount));
    match view {
        EngineView::Config => format!("{base}/config"),
        EngineView::Roles => format!("{base}/roles"),
        EngineView::NewRole => format!("{base}/roles/new"),
        EngineView::Role(name) => format!("{base}/role/{}", encode_path(name)),
        EngineView::Creds(name) => format!("{base}/role/{}/creds", encode_path(name)),
        EngineView::Leases => format!("{base}/leases"),
    }
}

fn kv_href(mount: &str, view: &KvView) -> String {
    let mount = encode_path(mount);
    match view {
        KvView::List(folder) => format!("/secrets/{mount}/list/{}", encode_path(folder)),
        KvView::Show(path) => format!("/secrets/{mount}/show/{}", encode_path(path)),
        KvView::Edit(path) => format!("/secrets/{mount}/edit/{}", encode_path(path)),
        KvView::Create { folder, name } => with_query(
            format!("/secrets/{mount}/create"),
            &[("folder", folder.as_deref()), ("name", name.as_deref())],
        ),
    }
}

fn k8s_href(mount: &str, view: &K8sView) -> String {
    let mount = encode_path(mount);
    match view {
        K8sView::Config => format!("/access/auth/{mount}/k8s/config"),
        K8sView::Roles => format!("/access/auth/{mount}/k8s/roles"),
        K8sView::NewRole => format!("/access/auth/{mount}/k8s/roles/new"),
        K8sView::Bulk => format!("/access/auth/{mount}/k8s/roles/bulk"),
        K8sView::Role(name) => format!("/access/auth/{mount}/k8s/role/{}", encode_path(name)),
    }
}

/// A path whose `/` stay separators; what would end the path or change it is escaped: a
/// browser reads `\` as `/` and drops tabs and line breaks.
fn encode_path(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, LINK_PATH).to_string()
}

/// Escaped in a link's path: controls (and anything beyond ASCII, which the crate always
/// escapes), and `% ? # \` and space.
const LINK_PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b'%')
    .add(b'?')
    .add(b'#')
    .add(b' ')
    .add(b'\\');

/// The address's query, each value decoded once. The router's `use_query_map` decodes
/// twice, like its parameters (see `RoutedPage`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressQuery(Vec<(String, String)>);

impl AddressQuery {
    /// `a=1&b=x%20y` (a leading `?` is ignored); `+` is a space, as in a form's query.
    pub fn parse(search: &str) -> AddressQuery {
        let decode = |text: &str| decode_path(&text.replace('+', " "));
        let pairs = search
            .trim_start_matches('?')
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(key), decode(value))
            });
        AddressQuery(pairs.collect())
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
}

/// The current address's query, decoded once. Made once, beside the routes, so that it
/// outlives every page that reads it (as the router's own query map does): a memo owned
/// by a page would be disposed while that page's last reads still run.
pub fn use_query() -> Memo<AddressQuery> {
    expect_context::<Memo<AddressQuery>>()
}

/// A clicked link reaches the address bar decoded once: leptos_router 0.8 pushes the
/// `decodeURI` of the link's path, so `show/scratch/%252e%252e/victim` became
/// `show/victim` there, and a reload or a copied address opened another secret. When the
/// address bar no longer names what the router matched, it is put back as written.
fn keep_address_as_written(matched: &str) {
    let written = format!("{}{matched}", crate::base::router_base());
    let window = window();
    let location = window.location();
    let Ok(shown) = location.pathname() else {
        return;
    };
    if decode_path(&shown) == decode_path(&written) {
        return;
    }
    let search = location.search().unwrap_or_default();
    let hash = location.hash().unwrap_or_default();
    if let Ok(history) = window.history() {
        let address = format!("{written}{search}{hash}");
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address));
    }
}

/// Undoes `%XX` escapes once; anything else, a stray `%` included, is kept as written.
fn decode_path(path: &str) -> String {
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}

/// Where to go after login: the return target if it is an app path, never another site
/// nor another path of this one; else the home page. Browsers read `\` as `/` and drop tabs
/// and line breaks from a URL, so `/\evil.example/` and `/<TAB>/evil.example/` are
/// `//evil.example/` to them: another site when the app is served at `/`. A `..` segment
/// (`%2e%2e` too, which browsers read the same) climbs out of the base path: behind
/// `kubectl proxy`, to another service of the cluster on the same origin.
pub fn return_target(target: Option<&str>) -> String {
    match target {
        Some(t)
            if t.starts_with('/')
                && !t.starts_with("//")
                && !t.contains('\\')
                && !t.contains(char::is_control)
                && !t.contains("://")
                && !t.starts_with("/login")
                && !has_dot_segment(t) =>
        {
            t.to_string()
        }
        _ => "/".into(),
    }
}

/// Whether the path part of an address has a `.` or `..` segment, escaped or not.
fn has_dot_segment(address: &str) -> bool {
    let path = address.split(['?', '#']).next().unwrap_or_default();
    path.split('/')
        .map(|segment| decode_path(segment).to_ascii_lowercase())
        .any(|segment| segment == "." || segment == "..")
}

/// The path with the router's `search` (which it keeps without its `?`) put back on.
pub fn with_search(path: &str, search: &str) -> String {
    if search.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{search}")
    }
}

fn with_query(path: String, pairs: &[(&str, Option<&str>)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter_map(|(key, value)| value.map(|v| format!("{key}={}", encode_query_value(v))))
        .collect();
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

fn as_folder(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}/")
    }
}

#[component]
pub fn AppRoutes() -> impl IntoView {
    let location = use_location();
    let query = Memo::new(move |_| location.search.with(|search| AddressQuery::parse(search)));
    provide_context(query);
    view! {
        <Routes fallback=|| view! { <Frame><NotFound /></Frame> }>
            <ParentRoute path=path!("") view=Layout>
                <Route path=path!("") view=HomePage />
                <Route path=path!("*rest") view=RoutedPage />
            </ParentRoute>
        </Routes>
    }
}

/// The page for the address: the one place a route becomes a view.
#[component]
fn RoutedPage() -> impl IntoView {
    // Read from the matched address, not the router's `rest` parameter: leptos_router 0.8
    // decodes the parameters of a nested route twice (they are collected into a second
    // `ParamsMap`, which decodes again), so a key named `a%41` would open `aA`, and one
    // named `x/%2e%2e/y` would open `x/../y`. The matched path is the address below the
    // router base as written, and it changes with the match (the browser's location may
    // change earlier, while the page that navigated is still in its handler).
    let matched = use_matched();
    let route = Memo::new(move |_| matched.with(|path| AppRoute::parse(&decode_path(path))));
    Effect::new(move |_| {
        // After the router's own `pushState`, which follows the match.
        let path = matched.get();
        set_timeout(
            move || keep_address_as_written(&path),
            std::time::Duration::ZERO,
        );
    });
    move || {
        crate::state::tasks::provide_page_work();
        page_view(route.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(mount: &str, view: KvView) -> AppRoute {
        AppRoute::Kv {
            mount: mount.into(),
            view,
        }
    }

    #[test]
    fn a_return_target_keeps_its_query() {
        assert_eq!(
            with_search("/secrets/kv/show/x", "version=2"),
            "/secrets/kv/show/x?version=2"
        );
        assert_eq!(with_search("/status", ""), "/status");
        let login = AppRoute::Login {
            reason: None,
            back: Some(with_search("/secrets/kv/show/x", "version=2")),
            tab: None,
        };
        let href = login.href();
        let (_, query) = href.split_once('?').expect("the login address has a query");
        assert_eq!(
            AddressQuery::parse(query).get("return").as_deref(),
            Some("/secrets/kv/show/x?version=2")
        );
    }

    #[test]
    fn every_page_round_trips() {
        let routes = [
            AppRoute::Home,
            AppRoute::Status,
            AppRoute::Kubernetes,
            AppRoute::Init,
            AppRoute::Unseal,
            AppRoute::Mounts(MountKind::Secrets),
            AppRoute::Mounts(MountKind::Auth),
            AppRoute::EnableMount(MountKind::Auth),
            AppRoute::MountSettings {
                kind: MountKind::Secrets,
                mount: "team/kv".into(),
            },
            AppRoute::kv_list("team/kv", "a/b/"),
            AppRoute::kv_list("kv", ""),
            AppRoute::kv_show("kv", "team/list/x"),
            kv("kv", KvView::Edit("a/show/b".into())),
            kv(
                "kv",
                KvView::Create {
                    folder: None,
                    name: None,
                },
            ),
            AppRoute::k8s("team/k8s", K8sView::NewRole),
            AppRoute::k8s("k8s", K8sView::Role("k8s".into())),
            AppRoute::k8s("kubernetes", K8sView::Bulk),
            AppRoute::engine("kubernetes", EngineView::Config),
            AppRoute::engine("team/k8s", EngineView::Roles),
            AppRoute::engine("kubernetes", EngineView::NewRole),
            AppRoute::engine("kubernetes", EngineView::Role("webapp-one".into())),
            AppRoute::engine("kubernetes", EngineView::Creds("roles".into())),
            AppRoute::engine("kubernetes", EngineView::Leases),
            AppRoute::Policies,
            AppRoute::PolicyCreate,
            AppRoute::PolicyTester,
            AppRoute::Policy("webapp-one-read".into()),
            AppRoute::Deliver(DeliverFrom::default()),
            AppRoute::Workloads {
                auth: None,
                namespace: None,
            },
        ];
        for route in routes {
            assert_eq!(
                AppRoute::of_address("", &route.href()),
                route,
                "{}",
                route.href()
            );
        }
    }

    #[test]
    fn kv_addresses_with_slashes_in_mounts_and_page_names_in_paths() {
        assert_eq!(
            AppRoute::parse("/secrets/kv/list"),
            AppRoute::kv_list("kv", "")
        );
        assert_eq!(
            AppRoute::parse("/secrets/kv/list/a/b"),
            AppRoute::kv_list("kv", "a/b/")
        );
        assert_eq!(
            AppRoute::parse("/secrets/kv/list/edit/"),
            AppRoute::kv_list("kv", "edit/")
        );
        assert_eq!(AppRoute::parse("/secrets/kv/show/"), AppRoute::NotFound);
        assert_eq!(
            AppRoute::parse("/secrets/kv/show/folder/"),
            AppRoute::NotFound
        );
        assert_eq!(
            AppRoute::parse("/secrets/kv/configuration"),
            AppRoute::MountSettings {
                kind: MountKind::Secrets,
                mount: "kv".into()
            }
        );
        assert_eq!(
            AppRoute::parse("/secrets/kv/show/configuration"),
            AppRoute::kv_show("kv", "configuration")
        );
    }

    #[test]
    fn a_bare_mount_is_its_folder_or_its_settings() {
        assert_eq!(
            AppRoute::parse("/secrets/team/kv/"),
            AppRoute::kv_list("team/kv", "")
        );
        assert_eq!(
            AppRoute::parse("/access/auth/k8s"),
            AppRoute::MountSettings {
                kind: MountKind::Auth,
                mount: "k8s".into()
            }
        );
        assert_eq!(
            AppRoute::parse("/access/auth/kubernetes/k8s/role/"),
            AppRoute::NotFound
        );
        assert_eq!(AppRoute::parse("/nowhere"), AppRoute::NotFound);
    }

    #[test]
    fn engine_pages_yield_to_kv_addresses() {
        assert_eq!(
            AppRoute::parse("/secrets/kv/show/a/k8s/roles"),
            AppRoute::kv_show("kv", "a/k8s/roles")
        );
        assert_eq!(
            AppRoute::parse("/secrets/kubernetes/k8s/role/a/b/creds"),
            AppRoute::NotFound
        );
        assert_eq!(
            AppRoute::parse("/secrets/kubernetes/k8s/role/creds"),
            AppRoute::engine("kubernetes", EngineView::Role("creds".into()))
        );
    }

    #[test]
    fn names_that_would_change_an_address_are_escaped() {
        let odd = AppRoute::kv_show("kv", "a?b#c d%e");
        assert_eq!(odd.href(), "/secrets/kv/show/a%3Fb%23c%20d%25e");
        let slanted = AppRoute::kv_show("kv", "a\\..\\b\tc");
        assert_eq!(slanted.href(), "/secrets/kv/show/a%5C..%5Cb%09c");
        let back = AppRoute::Login {
            reason: None,
            back: Some("/secrets/kv/list/a%41 b+/".into()),
            tab: None,
        };
        let search = back.href().split_once('?').unwrap().1.to_string();
        assert_eq!(
            AddressQuery::parse(&search).get("return").as_deref(),
            Some("/secrets/kv/list/a%41 b+/")
        );
        for route in [odd, slanted, AppRoute::kv_show("kv", "x/%2e%2e/y%41%")] {
            let address = format!("/ui{}", route.href());
            assert_eq!(AppRoute::of_address("/ui", &address), route, "{address}");
        }
        let login = AppRoute::Login {
            reason: Some("expired".into()),
            back: Some("/secrets/kv/list/a b/".into()),
            tab: Some("auth/k8s".into()),
        };
        assert_eq!(
            login.href(),
            "/login?reason=expired&return=%2Fsecrets%2Fkv%2Flist%2Fa%20b%2F&tab=auth%2Fk8s"
        );
        let create = kv(
            "kv",
            KvView::Create {
                folder: Some("a/".into()),
                name: Some("x".into()),
            },
        );
        assert_eq!(create.href(), "/secrets/kv/create?folder=a%2F&name=x");
        let deliver = AppRoute::Deliver(DeliverFrom {
            mount: Some("kv".into()),
            path: Some("webapps/app_one".into()),
            ..DeliverFrom::default()
        });
        assert_eq!(
            deliver.href(),
            "/kubernetes/deliver?mount=kv&path=webapps%2Fapp_one"
        );
        let workloads = AppRoute::Workloads {
            auth: Some("team/k8s".into()),
            namespace: Some("default".into()),
        };
        assert_eq!(
            workloads.href(),
            "/kubernetes/workloads?auth=team%2Fk8s&namespace=default"
        );
    }
}
