//! `/login`: a token, a user name and password, or any auth method marked for the login
//! page (`listing_visibility = unauth`). The BFF logs in; the browser never sees a token.

use crate::routes::AppRoute;
use crate::{
    api::{self, Method},
    components::error_notice::ErrorNotice,
    state::{health::use_vault_health, hydration::is_hydrated, session::use_session},
    wire::{LoginRequest, MountInfo, Secret, SessionEnd, SessionInfo, UiMounts},
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};
use std::collections::BTreeMap;

/// A tab of the login form.
#[derive(Clone, Debug, PartialEq)]
struct LoginTab {
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
    let mut tabs = vec![
        LoginTab {
            method: "token",
            label: "Token".into(),
            mount: String::new(),
        },
        LoginTab {
            method: "userpass",
            label: "Username & password".into(),
            mount: "userpass".into(),
        },
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
            method,
            label,
            mount: path,
        });
    }
    // A method not listed on the login page (most are not: listing is opt-in) is still one
    // the user can log in with, by naming it.
    tabs.push(LoginTab {
        method: "other",
        label: "Other method".into(),
        mount: String::new(),
    });
    tabs
}

/// A return target is an app path, never another site. Browsers read `\` as `/` and drop
/// tabs and line breaks from a URL, so `/\evil.example/` and `/<TAB>/evil.example/` are
/// `//evil.example/` to them: another site when the app is served at `/`.
fn safe_return(target: Option<String>) -> String {
    match target {
        Some(t)
            if t.starts_with('/')
                && !t.starts_with("//")
                && !t.contains('\\')
                && !t.contains(char::is_control)
                && !t.contains("://")
                && !t.starts_with("/login") =>
        {
            t
        }
        _ => "/".into(),
    }
}

fn reason_message(reason: &str) -> &'static str {
    SessionEnd::from_code(reason).map_or(SessionEnd::Missing.message(), SessionEnd::message)
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = crate::routes::use_query();
    let health = use_vault_health();
    let listed = LocalResource::new(|| async {
        api::vault_data::<UiMounts>("sys/internal/ui/mounts").await
    });
    let tabs = Memo::new(move |_| {
        let mounts = listed
            .get()
            .and_then(Result::ok)
            .map(|m| m.auth)
            .unwrap_or_default();
        tabs_for(&mounts)
    });
    let selected = RwSignal::new(0usize);
    let reason = move || query.with(|q| q.get("reason")).map(|r| reason_message(&r));
    view! {
        <section class="card narrow">
            <h1>"Log in to Vault"</h1>
            {move || reason().map(|text| view! { <div class="alert alert-info" role="status" data-testid="login-reason">{text}</div> })}
            {move || health.seal().filter(|s| s.sealed).map(|_| view! {
                <div class="alert alert-warn">"Vault is sealed: " <A href=AppRoute::Unseal.link()>"unseal it"</A> " before logging in."</div>
            })}
            <div class="tabs" role="tablist" aria-label="Login method">
                {move || tabs.get().into_iter().enumerate().map(|(index, tab)| view! {
                    <button
                        type="button"
                        role="tab"
                        class="tab"
                        aria-selected=move || (selected.get() == index).to_string()
                        on:click=move |_| selected.set(index)
                        data-testid=format!("login-tab-{}", tab.method)
                    >
                        {tab.label.clone()}
                    </button>
                }).collect_view()}
            </div>
            {move || tabs.get().get(selected.get()).cloned().map(|tab| view! { <LoginForm tab /> })}
        </section>
    }
}

#[component]
fn LoginForm(tab: LoginTab) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let query = crate::routes::use_query();
    let mount = RwSignal::new(tab.mount.clone());
    let first = RwSignal::new(String::new());
    let second = RwSignal::new(String::new());
    let error = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let picks_method = tab.method == "other";
    let chosen = RwSignal::new(if picks_method {
        OTHER_METHODS[0].0
    } else {
        tab.method
    });
    // The mount path follows the chosen method until the user edits it.
    Effect::new(move |_| {
        if picks_method {
            mount.set(chosen.get().to_string());
        }
    });
    let labels = move || match chosen.get() {
        "token" => ("Token", ""),
        "userpass" => ("Username", "Password"),
        "approle" => ("Role ID", "Secret ID"),
        "kubernetes" => ("Role", "JWT (service account token)"),
        _ => ("Role", "JWT"),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let method = chosen.get_untracked();
        let mount_value = Some(mount.get_untracked()).filter(|m| !m.trim().is_empty());
        let (a, b) = (first.get_untracked(), second.get_untracked());
        let request = match method {
            "token" => LoginRequest::Token { token: Secret(a) },
            "userpass" => LoginRequest::Userpass {
                mount: mount_value,
                username: a,
                password: Secret(b),
            },
            "approle" => LoginRequest::Approle {
                mount: mount_value,
                role_id: a,
                secret_id: Secret(b),
            },
            "kubernetes" => LoginRequest::Kubernetes {
                mount: mount_value,
                role: a,
                jwt: Secret(b),
            },
            _ => LoginRequest::Jwt {
                mount: mount_value,
                role: a,
                jwt: Secret(b),
            },
        };
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        crate::state::tasks::spawn_owned(async move {
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
                    let target = safe_return(query.with_untracked(|q| q.get("return")));
                    navigate(&target, Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let secret_first = tab.method == "token";
    view! {
        <form class="form" on:submit=submit data-testid=format!("login-form-{}", tab.method)>
            {picks_method.then(|| view! {
                <label class="field">
                    <span>"Method"</span>
                    <select
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            if let Some((method, _)) = OTHER_METHODS.iter().find(|(m, _)| *m == value) {
                                chosen.set(method);
                            }
                        }
                        data-testid="login-method"
                    >
                        {OTHER_METHODS.iter().map(|(method, label)| view! {
                            <option value=*method selected=move || chosen.get() == *method>{*label}</option>
                        }).collect_view()}
                    </select>
                </label>
            })}
            {(tab.method != "token").then(|| view! {
                <label class="field">
                    <span>"Mount path"</span>
                    <input type="text" bind:value=mount autocomplete="off" data-testid="login-mount" />
                </label>
            })}
            <label class="field">
                <span>{move || labels().0}</span>
                <input
                    type=if secret_first { "password" } else { "text" }
                    bind:value=first
                    autocomplete=if secret_first { "off" } else { "username" }
                    required
                    data-testid="login-first"
                />
            </label>
            {(tab.method != "token").then(|| view! {
                <label class="field">
                    <span>{move || labels().1}</span>
                    // Only a password is for the browser's password manager to keep; a
                    // Secret ID or a JWT saved (and synced) there outlives its purpose.
                    <input type="password" bind:value=second required data-testid="login-second"
                        autocomplete=move || if chosen.get() == "userpass" { "current-password" } else { "off" } />
                </label>
            })}
            {move || error.get().map(|error| view! { <ErrorNotice error context="Login failed." /> })}
            <button type="submit" class="button button-primary" disabled=move || busy.get() || !is_hydrated() data-testid="login-submit">
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
            safe_return(Some("/secrets/kv/list/".into())),
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
        ] {
            assert_eq!(safe_return(Some(hostile.into())), "/", "{hostile}");
        }
        assert_eq!(safe_return(None), "/");
        assert_eq!(
            safe_return(Some("/secrets/kv/show/my secret?version=2".into())),
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
    }
}
