//! `/login`: a token, a user name and password, or any auth method marked for the login
//! page (`listing_visibility = unauth`). The BFF logs in; the browser never sees a token.
//!
//! The page works two ways. Drawn by the server for a full page load (the first page most
//! people see), it runs no WASM: its form posts itself to the BFF (`POST login`, see
//! `server/src/handlers/login_form.rs`), which logs in and redirects to the page asked for,
//! and its tabs are links; so the first load is this HTML and the stylesheet. Drawn by the
//! running app (after logout, or when a session ends), the same form logs in through
//! `api/session` without leaving the page.

use crate::routes::{return_target, AppRoute};
use crate::{
    api::{self, ApiError, Method},
    components::error_notice::ErrorNotice,
    state::{health::use_vault_health, session::use_session},
    wire::{LoginFields, MountInfo, SealStatus, Secret, SessionEnd, SessionInfo, UiMounts},
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};
use std::collections::BTreeMap;

/// What the server knows when it draws the login page itself (the app asks for the same
/// in the browser): the methods listed for the login page, the seal status (read by
/// `state::health`), and a form login it refused.
#[derive(Clone, Default)]
pub struct LoginPageFacts {
    /// `sys/internal/ui/mounts`' auth methods.
    pub listed: BTreeMap<String, MountInfo>,
    pub seal: Option<SealStatus>,
    pub failed: Option<FailedLogin>,
}

/// A form login the BFF refused: drawn again with Vault's words and what was typed, except
/// the secrets.
#[derive(Clone)]
pub struct FailedLogin {
    pub error: ApiError,
    /// The tab the form was on.
    pub tab: String,
    pub mount: String,
    /// The first field, unless it held a token.
    pub first: String,
    pub return_to: String,
}

/// A tab of the login form.
#[derive(Clone, Debug, PartialEq)]
struct LoginTab {
    /// Its name in the address (`?tab=`): `token`, `userpass`, `auth/PATH` for a listed
    /// mount, `other`.
    key: String,
    /// The method (`token`, `userpass`, `approle`, `kubernetes`, `jwt`), or `other`: the
    /// user picks the method and names its mount.
    method: &'static str,
    label: String,
    /// The mount's path, as listed (editable in the form).
    mount: String,
}

/// The methods the "Other method" tab offers: every one the BFF can log in with.
const OTHER_METHODS: &[(&str, &str)] = &[
    ("approle", "AppRole"),
    ("jwt", "JWT"),
    ("kubernetes", "Kubernetes"),
    ("userpass", "Username & password"),
];

/// Methods the BFF can log in with, by Vault type.
fn method_of(kind: &str) -> Option<&'static str> {
    match kind {
        "userpass" => Some("userpass"),
        "approle" => Some("approle"),
        "kubernetes" => Some("kubernetes"),
        "jwt" => Some("jwt"),
        _ => None,
    }
}

fn tabs_for(listed: &BTreeMap<String, MountInfo>) -> Vec<LoginTab> {
    let fixed = |key: &str, method, label: &str, mount: &str| LoginTab {
        key: key.into(),
        method,
        label: label.into(),
        mount: mount.into(),
    };
    let mut tabs = vec![
        fixed("token", "token", "Token", ""),
        fixed("userpass", "userpass", "Username & password", "userpass"),
    ];
    for (path, mount) in listed {
        let Some(method) = method_of(&mount.kind) else {
            continue;
        };
        let path = path.trim_end_matches('/').to_string();
        if method == "userpass" && path == "userpass" {
            continue;
        }
        let label = if mount.description.is_empty() {
            format!("{} ({path})", mount.kind)
        } else {
            mount.description.clone()
        };
        tabs.push(LoginTab {
            key: format!("auth/{path}"),
            method,
            label,
            mount: path,
        });
    }
    // A method not listed on the login page (most are not: listing is opt-in) is still one
    // the user can log in with, by naming it.
    tabs.push(fixed("other", "other", "Other method", ""));
    tabs
}

/// The tab named in the address (the first when none or an unknown one is), and the
/// method it logs in with: `other/jwt` is the "Other method" tab with JWT chosen.
fn open_tab(tabs: &[LoginTab], wanted: Option<&str>) -> (LoginTab, &'static str) {
    let wanted = wanted.unwrap_or_default();
    if let Some(other) = wanted.strip_prefix("other") {
        let chosen = other.strip_prefix('/').unwrap_or_default();
        let method = OTHER_METHODS
            .iter()
            .find(|(method, _)| *method == chosen)
            .map_or(OTHER_METHODS[0].0, |(method, _)| *method);
        if let Some(tab) = tabs.iter().find(|t| t.method == "other") {
            return (tab.clone(), method);
        }
    }
    let tab = tabs
        .iter()
        .find(|t| t.key == wanted)
        .or_else(|| tabs.first())
        .cloned()
        .expect("the login page always has tabs");
    let method = tab.method;
    (tab, method)
}

fn reason_message(reason: &str) -> &'static str {
    SessionEnd::from_code(reason).map_or(SessionEnd::Missing.message(), SessionEnd::message)
}

/// The login page's address with another tab open, keeping why and where back to.
fn tab_link(tab: &str) -> String {
    let query = crate::routes::use_query();
    query.with_untracked(|q| {
        AppRoute::Login {
            reason: q.get("reason"),
            back: q.get("return"),
            tab: Some(tab.to_string()),
        }
        .link()
    })
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = crate::routes::use_query();
    let health = use_vault_health();
    let facts = use_context::<LoginPageFacts>();
    let failed = facts.as_ref().and_then(|f| f.failed.clone());
    let server_listed = facts.as_ref().map(|f| f.listed.clone());
    let listed = LocalResource::new(|| async {
        api::vault_data::<UiMounts>("sys/internal/ui/mounts").await
    });
    let tabs = Memo::new(move |_| {
        let mounts = server_listed.clone().unwrap_or_else(|| {
            listed
                .get()
                .and_then(Result::ok)
                .map(|m| m.auth)
                .unwrap_or_default()
        });
        tabs_for(&mounts)
    });
    let failed_tab = failed.as_ref().map(|f| f.tab.clone());
    let wanted = Memo::new(move |_| query.with(|q| q.get("tab")).or_else(|| failed_tab.clone()));
    let sealed = move || health.seal().is_some_and(|seal| seal.sealed);
    let reason = move || query.with(|q| q.get("reason")).map(|r| reason_message(&r));
    view! {
        <section class="card narrow">
            <h1>"Log in to Vault"</h1>
            {move || reason().map(|text| view! { <div class="alert alert-info" role="status" data-testid="login-reason">{text}</div> })}
            {move || sealed().then(|| view! {
                <div class="alert alert-warn" data-testid="login-sealed">"Vault is sealed: " <A href=AppRoute::Unseal.link()>"unseal it"</A> " before logging in."</div>
            })}
            <div class="tabs" role="tablist" aria-label="Login method">
                {move || {
                    let open = open_tab(&tabs.get(), wanted.get().as_deref()).0.key;
                    tabs.get().into_iter().map(|tab| view! {
                        // Plain links (the router's `A` marks every one of them as the
                        // current page): the running app's router still follows them.
                        <a
                            href=tab_link(&tab.key)
                            role="tab"
                            class="tab"
                            aria-selected=(tab.key == open).to_string()
                            data-testid=format!("login-tab-{}", tab.method)
                        >
                            {tab.label.clone()}
                        </a>
                    }).collect_view()
                }}
            </div>
            {move || {
                let (tab, method) = open_tab(&tabs.get(), wanted.get().as_deref());
                let failed = failed.clone().filter(|f| f.tab == tab_key(&tab, method));
                view! { <LoginForm tab method failed /> }
            }}
        </section>
    }
}

/// The address's name for a tab with its method chosen.
fn tab_key(tab: &LoginTab, method: &str) -> String {
    if tab.method == "other" {
        format!("other/{method}")
    } else {
        tab.key.clone()
    }
}

#[component]
fn LoginForm(tab: LoginTab, method: &'static str, failed: Option<FailedLogin>) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let query = crate::routes::use_query();
    let key = tab_key(&tab, method);
    let default_mount = if tab.method == "other" {
        method.to_string()
    } else {
        tab.mount.clone()
    };
    let mount = RwSignal::new(failed.as_ref().map_or(default_mount, |f| f.mount.clone()));
    let first = RwSignal::new(failed.as_ref().map(|f| f.first.clone()).unwrap_or_default());
    let second = RwSignal::new(String::new());
    let error = RwSignal::new(failed.as_ref().map(|f| f.error.clone()));
    let busy = RwSignal::new(false);
    let return_to = failed
        .as_ref()
        .map(|f| f.return_to.clone())
        .or_else(|| query.with_untracked(|q| q.get("return")))
        .unwrap_or_default();
    let (first_label, second_label) = match method {
        "token" => ("Token", ""),
        "userpass" => ("Username", "Password"),
        "approle" => ("Role ID", "Secret ID"),
        "kubernetes" => ("Role", "JWT (service account token)"),
        _ => ("Role", "JWT"),
    };
    let fields = {
        let (key, return_to) = (key.clone(), return_to.clone());
        move || LoginFields {
            method: method.to_string(),
            mount: mount.get_untracked(),
            first: first.get_untracked(),
            second: Secret(second.get_untracked()),
            tab: key.clone(),
            return_to: return_to.clone(),
        }
    };
    // In the running app the form logs in without leaving the page; without the app, the
    // browser posts it (the `name`s below) and the server answers with the next page.
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let fields = fields();
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        crate::state::tasks::spawn_owned(async move {
            let request = fields.request();
            match api::send_json::<SessionInfo, _>(Method::POST, "api/session", Some(&request))
                .await
            {
                Ok(info) => {
                    session.set_info(info);
                    session.loaded.set(true);
                    // The secret fields are cleared once they have done their job.
                    second.set(String::new());
                    if method == "token" {
                        first.set(String::new());
                    }
                    navigate(&return_target(Some(&fields.return_to)), Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let secret_first = method == "token";
    let action = AppRoute::login().link();
    view! {
        <form class="form" method="post" action=action on:submit=submit data-testid=format!("login-form-{}", tab.method)>
            <input type="hidden" name="method" value=method />
            <input type="hidden" name="tab" value=key />
            <input type="hidden" name="return" value=return_to />
            {(tab.method == "other").then(|| view! {
                <div class="field">
                    <span>"Method"</span>
                    <div class="tabs tabs-small" data-testid="login-method">
                        {OTHER_METHODS.iter().map(|(choice, label)| view! {
                            <a
                                href=tab_link(&format!("other/{choice}"))
                                class="tab"
                                aria-current=(*choice == method).then_some("true")
                                data-testid=format!("login-method-{choice}")
                            >
                                {*label}
                            </a>
                        }).collect_view()}
                    </div>
                </div>
            })}
            {(method != "token").then(|| view! {
                <label class="field">
                    <span>"Mount path"</span>
                    <input type="text" name="mount" value=mount.get_untracked() bind:value=mount autocomplete="off" data-testid="login-mount" />
                </label>
            })}
            <label class="field">
                <span>{first_label}</span>
                <input
                    type=if secret_first { "password" } else { "text" }
                    name="first"
                    // The attribute is for the server's HTML (the posted form's fields
                    // are drawn again after a refusal); the binding for the running app.
                    value=first.get_untracked()
                    bind:value=first
                    autocomplete=if secret_first { "off" } else { "username" }
                    required
                    data-testid="login-first"
                />
            </label>
            {(method != "token").then(|| view! {
                <label class="field">
                    <span>{second_label}</span>
                    // Only a password is for the browser's password manager to keep; a
                    // Secret ID or a JWT saved (and synced) there outlives its purpose.
                    <input type="password" name="second" bind:value=second required data-testid="login-second"
                        autocomplete=if method == "userpass" { "current-password" } else { "off" } />
                </label>
            })}
            {move || error.get().map(|error| view! { <ErrorNotice error context="Login failed." /> })}
            <button type="submit" class="button button-primary" disabled=move || busy.get() data-testid="login-submit">
                {move || if busy.get() { "Logging in…" } else { "Log in" }}
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_targets_stay_in_the_app() {
        assert_eq!(
            return_target(Some("/secrets/kv/list/")),
            "/secrets/kv/list/"
        );
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "/login?x",
            "/\\evil.example/",
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/%0A/x\r",
            "/../../other-app/",
            "/secrets/../../x",
            "/%2e%2E/other-app/",
            "/./x",
        ] {
            assert_eq!(return_target(Some(hostile)), "/", "{hostile}");
        }
        assert_eq!(return_target(None), "/");
        assert_eq!(
            return_target(Some("/secrets/kv/show/my secret?version=2")),
            "/secrets/kv/show/my secret?version=2"
        );
    }

    #[test]
    fn listed_mounts_become_tabs() {
        let mut listed = BTreeMap::new();
        listed.insert(
            "kubernetes/".to_string(),
            MountInfo {
                kind: "kubernetes".into(),
                ..MountInfo::default()
            },
        );
        listed.insert(
            "github/".to_string(),
            MountInfo {
                kind: "github".into(),
                ..MountInfo::default()
            },
        );
        let tabs = tabs_for(&listed);
        assert_eq!(
            tabs.iter().map(|t| t.method).collect::<Vec<_>>(),
            vec!["token", "userpass", "kubernetes", "other"]
        );
        assert_eq!(tabs[2].mount, "kubernetes");
        assert_eq!(tabs[2].key, "auth/kubernetes");
    }

    #[test]
    fn the_address_names_the_open_tab_and_the_other_method() {
        let mut listed = BTreeMap::new();
        listed.insert(
            "ci/".to_string(),
            MountInfo {
                kind: "jwt".into(),
                ..MountInfo::default()
            },
        );
        let tabs = tabs_for(&listed);
        let opened = |wanted: Option<&str>| {
            let (tab, method) = open_tab(&tabs, wanted);
            (tab.key, method)
        };
        assert_eq!(opened(None), ("token".into(), "token"));
        assert_eq!(opened(Some("no-such-tab")), ("token".into(), "token"));
        assert_eq!(opened(Some("auth/ci")), ("auth/ci".into(), "jwt"));
        assert_eq!(opened(Some("other")), ("other".into(), "approle"));
        assert_eq!(
            opened(Some("other/kubernetes")),
            ("other".into(), "kubernetes")
        );
        assert_eq!(opened(Some("other/github")), ("other".into(), "approle"));
    }
}
