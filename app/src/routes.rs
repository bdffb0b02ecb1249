//! The one route table of the app. Paths are relative to the router base (the document's
//! base href), so `/status` is `/ui/status` when served at `/ui`.

use crate::components::layout::{Frame, Layout};
use crate::pages::{
    home::HomePage,
    init::InitPage,
    kubernetes::{overview::KubernetesPage, parse_route as parse_k8s_route, KubernetesMountPage},
    kv::KvPage,
    login::LoginPage,
    mounts::{
        configure::ConfigureMountPage, enable::EnableMountPage, list::MountListPage, MountKind,
    },
    not_found::NotFound,
    policies::{
        edit::{PolicyCreatePage, PolicyEditPage},
        list::PolicyListPage,
        tester::PolicyTesterPage,
    },
    status::StatusPage,
    unseal::UnsealPage,
};
use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Route, Routes},
    hooks::use_params_map,
    path,
};

#[component]
pub fn AppRoutes() -> impl IntoView {
    view! {
        <Routes fallback=|| view! { <Frame><NotFound /></Frame> }>
            <ParentRoute path=path!("") view=Layout>
                <Route path=path!("") view=HomePage />
                <Route path=path!("status") view=StatusPage />
                <Route path=path!("kubernetes") view=KubernetesPage />
                <Route path=path!("init") view=InitPage />
                <Route path=path!("unseal") view=UnsealPage />
                <Route path=path!("login") view=LoginPage />
                <Route path=path!("secrets") view=|| view! { <MountListPage kind=MountKind::Secrets /> } />
                <Route path=path!("secrets/enable") view=|| view! { <EnableMountPage kind=MountKind::Secrets /> } />
                <Route path=path!("secrets/*rest") view=|| view! { <MountSubpage kind=MountKind::Secrets /> } />
                <Route path=path!("access/auth") view=|| view! { <MountListPage kind=MountKind::Auth /> } />
                <Route path=path!("access/auth/enable") view=|| view! { <EnableMountPage kind=MountKind::Auth /> } />
                <Route path=path!("access/auth/*rest") view=|| view! { <MountSubpage kind=MountKind::Auth /> } />
                <Route path=path!("access/policies") view=PolicyListPage />
                <Route path=path!("access/policies/create") view=PolicyCreatePage />
                <Route path=path!("access/policies/tester") view=PolicyTesterPage />
                <Route path=path!("access/policies/:name") view=PolicyByName />
            </ParentRoute>
        </Routes>
    }
}

#[component]
fn PolicyByName() -> impl IntoView {
    let params = use_params_map();
    move || {
        let name = params.with(|p| p.get("name")).unwrap_or_default();
        view! { <PolicyEditPage name /> }
    }
}

/// Pages below a mount, whose path may itself contain `/`: `MOUNT/configuration`, and for
/// secrets engines the KV browser (`MOUNT/list/…`, `MOUNT/show/…`, …), for Kubernetes auth
/// methods their configuration and roles (`MOUNT/k8s/…`).
#[component]
fn MountSubpage(kind: MountKind) -> impl IntoView {
    let params = use_params_map();
    move || {
        let rest = params.with(|p| p.get("rest")).unwrap_or_default();
        if let Some(mount) = bare_mount(&rest) {
            // A link to the mount itself: its top folder for secrets, its settings for auth.
            let mount = mount.to_string();
            return match kind {
                MountKind::Secrets => {
                    let view = crate::pages::kv::route::KvView::List(String::new());
                    view! { <KvPage mount view /> }.into_any()
                }
                MountKind::Auth => view! { <ConfigureMountPage kind path=mount /> }.into_any(),
            };
        }
        // Pages inside the mount first: a secret may be named `configuration`.
        match kind {
            MountKind::Auth => {
                if let Some((mount, view)) = parse_k8s_route(&rest) {
                    return view! { <KubernetesMountPage mount view /> }.into_any();
                }
            }
            MountKind::Secrets => {
                if let Some((mount, view)) = crate::pages::kv::route::parse(&rest) {
                    return view! { <KvPage mount view /> }.into_any();
                }
            }
        }
        match rest
            .strip_suffix("/configuration")
            .filter(|m| !m.is_empty())
        {
            Some(mount) => view! { <ConfigureMountPage kind path=mount.to_string() /> }.into_any(),
            None => view! { <NotFound /> }.into_any(),
        }
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

#[cfg(test)]
mod tests {
    use super::bare_mount;

    #[test]
    fn a_bare_mount_is_told_from_its_pages() {
        assert_eq!(bare_mount("kv"), Some("kv"));
        assert_eq!(bare_mount("team/kv/"), Some("team/kv"));
        assert_eq!(bare_mount("kv/list/"), None);
        assert_eq!(bare_mount("kv/show/"), None);
        assert_eq!(bare_mount("kubernetes/k8s/roles"), None);
        assert_eq!(bare_mount("k8s"), Some("k8s"));
        assert_eq!(bare_mount(""), None);
    }
}
