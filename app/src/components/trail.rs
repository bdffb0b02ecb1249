//! The breadcrumb of the app shell, for pages below a section that have none of their own
//! (the KV browser and the Kubernetes pages draw theirs, with folders and roles).

use crate::base::{app_path, href};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

/// One step: its words, and where it leads (none for the page itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub label: String,
    pub link: Option<String>,
}

fn link(label: &str, to: &str) -> Step {
    Step {
        label: label.to_string(),
        link: Some(to.to_string()),
    }
}

fn here(label: impl Into<String>) -> Step {
    Step {
        label: label.into(),
        link: None,
    }
}

/// The trail for an app path (without the base), empty where the shell shows none: top-level
/// pages (the navigation says where you are) and pages with their own breadcrumb.
pub fn trail(path: &str) -> Vec<Step> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["secrets", "enable"] => vec![
            link("Secrets engines", "/secrets"),
            here("Enable a secrets engine"),
        ],
        ["access", "auth", "enable"] => vec![
            link("Auth methods", "/access/auth"),
            here("Enable an auth method"),
        ],
        ["secrets", mount @ .., "configuration"] if is_mount(mount) => vec![
            link("Secrets engines", "/secrets"),
            here(format!("{}/ configuration", mount.join("/"))),
        ],
        ["access", "auth", mount @ .., "configuration"] if is_mount(mount) => vec![
            link("Auth methods", "/access/auth"),
            here(format!("{}/ configuration", mount.join("/"))),
        ],
        ["access", "policies", "create"] => {
            vec![link("Policies", "/access/policies"), here("New policy")]
        }
        ["access", "policies", "tester"] => {
            vec![link("Policies", "/access/policies"), here("Policy tester")]
        }
        ["access", "policies", name] => vec![link("Policies", "/access/policies"), here(*name)],
        _ => Vec::new(),
    }
}

/// Whether these segments name a mount rather than a page inside one (`kv/show/a` is the
/// secret `a`, whose name may well be `configuration`).
fn is_mount(segments: &[&str]) -> bool {
    const INSIDE: [&str; 5] = ["list", "show", "edit", "create", "k8s"];
    !segments.is_empty() && !segments[1..].iter().any(|s| INSIDE.contains(s))
}

#[component]
pub fn ShellTrail() -> impl IntoView {
    let location = use_location();
    move || {
        let steps = trail(&app_path(&location.pathname.get()));
        (!steps.is_empty()).then(|| {
            view! {
                <nav class="breadcrumb" aria-label="Breadcrumb" data-testid="shell-trail">
                    {steps.into_iter().map(|step| match step.link {
                        Some(to) => view! { <A href=href(&to)>{step.label}</A><span aria-hidden="true">"›"</span> }.into_any(),
                        None => view! { <span aria-current="page">{step.label}</span> }.into_any(),
                    }).collect_view()}
                </nav>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_below_a_section_lead_back_to_it() {
        assert_eq!(
            trail("/access/auth/team/userpass/configuration"),
            vec![
                link("Auth methods", "/access/auth"),
                here("team/userpass/ configuration")
            ]
        );
        assert_eq!(
            trail("/access/policies/webapp-one-read"),
            vec![
                link("Policies", "/access/policies"),
                here("webapp-one-read")
            ]
        );
        assert_eq!(
            trail("/secrets/enable")[0],
            link("Secrets engines", "/secrets")
        );
    }

    #[test]
    fn top_level_pages_and_pages_with_their_own_trail_get_none() {
        for path in [
            "/",
            "/secrets",
            "/status",
            "/secrets/kv/list/a/",
            "/secrets/kv/show/a/configuration",
            "/access/auth/kubernetes/k8s/roles",
        ] {
            assert!(trail(path).is_empty(), "{path}");
        }
    }
}
