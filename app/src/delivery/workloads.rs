//! "Workloads": what a live workload's `vault.hashicorp.com/*` pod-template annotations ask
//! of the injector, and the mistakes the course documents warn about that can be seen
//! without logging in — a KV v2 path without `data/`, a role on another auth mount than the
//! annotated one, a template with no secret. Whether the role lets the workload read its
//! secrets is the pod check's job (a real login); this module names what to check.
//!
//! The annotation meanings are the injector's, as [`super::agent::from_annotations`] maps
//! them: `auth-path` is read verbatim and defaults to `auth/kubernetes`; an entry exists for
//! every NAME with a secret or a template annotation.

use super::{agent::parse_bool, injector::PREFIX, kv_api_path, DEFAULT_AUTH_MOUNT};
use std::collections::BTreeMap;

/// The injector's reading of one workload's annotations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injection {
    /// `role`; empty when the annotation is missing.
    pub role: String,
    /// The auth mount `auth-path` names, without `auth/` (`kubernetes` by default).
    pub auth_mount: String,
    /// `(NAME, path)` of every `agent-inject-secret-NAME`, in NAME order.
    pub secrets: Vec<(String, String)>,
    /// Every NAME with an `agent-inject-template-NAME` and no `agent-inject-secret-NAME`.
    pub templates_without_secret: Vec<String>,
}

/// What the annotations ask for, or `None` when `agent-inject` is not true (the injector
/// leaves such a pod alone, so there is nothing to check).
pub fn injection(annotations: &BTreeMap<String, String>) -> Option<Injection> {
    let get = |name: &str| annotations.get(&format!("{PREFIX}{name}"));
    if !get("agent-inject").is_some_and(|v| parse_bool(v)) {
        return None;
    }
    let named = |prefix: &str| -> BTreeMap<String, String> {
        let full = format!("{PREFIX}{prefix}");
        annotations
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(&full).map(|n| (n.to_string(), v.clone())))
            .collect()
    };
    let secrets = named("agent-inject-secret-");
    let templates = named("agent-inject-template-");
    Some(Injection {
        role: get("role")
            .map(|r| r.trim().to_string())
            .unwrap_or_default(),
        auth_mount: auth_mount_of(get("auth-path").map(String::as_str)),
        templates_without_secret: templates
            .into_keys()
            .filter(|name| !secrets.contains_key(name))
            .collect(),
        secrets: secrets.into_iter().collect(),
    })
}

/// The mount an `auth-path` value names: the injector hands the value to the agent as its
/// `mount_path`, so `auth/k8s` and `auth/k8s/` are the mount `k8s`.
fn auth_mount_of(auth_path: Option<&str>) -> String {
    let path = auth_path.map(|p| p.trim().trim_matches('/')).unwrap_or("");
    let mount = path.strip_prefix("auth/").unwrap_or(path).trim_matches('/');
    match mount {
        "" => DEFAULT_AUTH_MOUNT.to_string(),
        mount => mount.to_string(),
    }
}

/// A KV mount as the mounts listing shows it: its path without slashes, and its version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvMount {
    pub path: String,
    pub version: u8,
}

/// What is known without a login: the KV mounts, and the Kubernetes auth mounts that hold
/// a role of the annotated name.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub kv_mounts: Vec<KvMount>,
    pub role_found_on: Vec<String>,
}

/// An annotation mistake, with what to write instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lint {
    /// No `role` annotation: the agent cannot log in.
    NoRole,
    /// `agent-inject-secret-NAME` names a KV v2 secret without the API's `data/` segment.
    MissingData {
        name: String,
        path: String,
        fixed: String,
    },
    /// The role is not on the annotated auth mount, but on these others.
    RoleOnOtherMount {
        role: String,
        annotated: String,
        found_on: Vec<String>,
    },
    /// `agent-inject-template-NAME` without `agent-inject-secret-NAME`.
    TemplateWithoutSecret { name: String },
}

impl Lint {
    /// The mistake, in words.
    pub fn problem(&self) -> String {
        match self {
            Lint::NoRole => {
                format!("{PREFIX}role is missing: the agent has no role to log in with.")
            }
            Lint::MissingData { name, path, .. } => format!(
                "{PREFIX}agent-inject-secret-{name} reads {path}, but its mount is KV version 2, \
                 whose API path has data/ after the mount: the agent gets no secret there."
            ),
            Lint::RoleOnOtherMount {
                role,
                annotated,
                found_on,
            } => format!(
                "The role {role} is not on auth/{annotated}, the mount the annotations name, \
                 but on {}.",
                found_on
                    .iter()
                    .map(|m| format!("auth/{m}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Lint::TemplateWithoutSecret { name } => format!(
                "{PREFIX}agent-inject-template-{name} has no {PREFIX}agent-inject-secret-{name}: \
                 the injector renders it with no secret path, and the file stays empty."
            ),
        }
    }

    /// What to change.
    pub fn fix(&self) -> String {
        match self {
            Lint::NoRole => format!("Add {PREFIX}role with the Kubernetes auth role that binds this workload's service account."),
            Lint::MissingData { name, fixed, .. } => {
                format!("Set {PREFIX}agent-inject-secret-{name} to {fixed} (and use the same path in its template).")
            }
            Lint::RoleOnOtherMount { found_on, .. } => format!(
                "Set {PREFIX}auth-path to auth/{} — or create the role on the annotated mount.",
                found_on[0]
            ),
            Lint::TemplateWithoutSecret { name } => {
                format!("Add {PREFIX}agent-inject-secret-{name} with the secret's path, or remove the template.")
            }
        }
    }
}

/// The mistakes in `injection` that `facts` reveal, in annotation order.
pub fn lint(injection: &Injection, facts: &Facts) -> Vec<Lint> {
    let mut found = Vec::new();
    if injection.role.is_empty() {
        found.push(Lint::NoRole);
    } else if !facts.role_found_on.is_empty()
        && !facts.role_found_on.contains(&injection.auth_mount)
    {
        found.push(Lint::RoleOnOtherMount {
            role: injection.role.clone(),
            annotated: injection.auth_mount.clone(),
            found_on: facts.role_found_on.clone(),
        });
    }
    for (name, path) in &injection.secrets {
        if let Some(fixed) = missing_data(path, &facts.kv_mounts) {
            found.push(Lint::MissingData {
                name: name.clone(),
                path: path.clone(),
                fixed,
            });
        }
    }
    for name in &injection.templates_without_secret {
        found.push(Lint::TemplateWithoutSecret { name: name.clone() });
    }
    found
}

/// The KV mount a path is under: the longest mount path that is a whole-segment prefix.
fn mount_of<'a>(path: &str, mounts: &'a [KvMount]) -> Option<(&'a KvMount, String)> {
    mounts
        .iter()
        .filter_map(|m| {
            let rest = path.strip_prefix(m.path.as_str())?.strip_prefix('/')?;
            Some((m, rest.to_string()))
        })
        .max_by_key(|(m, _)| m.path.len())
}

/// The right API path when `path` reads a KV v2 secret without `data/` (a path under
/// `metadata/` is the secret's metadata, which a template may mean to read).
fn missing_data(path: &str, mounts: &[KvMount]) -> Option<String> {
    let path = path.trim().trim_matches('/');
    let (mount, rest) = mount_of(path, mounts)?;
    let has_segment = rest.starts_with("data/") || rest.starts_with("metadata/");
    (mount.version == 2 && !has_segment && !rest.is_empty())
        .then(|| kv_api_path(&mount.path, 2, &rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (format!("{PREFIX}{k}"), v.to_string()))
            .collect()
    }

    fn facts(found_on: &[&str]) -> Facts {
        Facts {
            kv_mounts: vec![
                KvMount {
                    path: "kv".into(),
                    version: 2,
                },
                KvMount {
                    path: "kv1".into(),
                    version: 1,
                },
                KvMount {
                    path: "team/kv".into(),
                    version: 2,
                },
            ],
            role_found_on: found_on.iter().map(|m| m.to_string()).collect(),
        }
    }

    #[test]
    fn a_pod_without_agent_inject_true_is_not_checked() {
        assert_eq!(injection(&annotations(&[("role", "webapp-one")])), None);
        assert_eq!(
            injection(&annotations(&[("agent-inject", "false"), ("role", "x")])),
            None
        );
        assert!(injection(&annotations(&[("agent-inject", "True")])).is_some());
    }

    #[test]
    fn the_injector_reads_the_role_the_mount_and_each_secret() {
        let read = injection(&annotations(&[
            ("agent-inject", "true"),
            ("role", "webapp-one"),
            ("auth-path", "auth/k8s-cluster1/"),
            ("agent-inject-secret-b", "kv/data/b"),
            ("agent-inject-secret-a", "kv/data/a"),
            ("agent-inject-template-a", "{{ … }}"),
        ]))
        .unwrap();
        assert_eq!(read.role, "webapp-one");
        assert_eq!(read.auth_mount, "k8s-cluster1");
        assert_eq!(
            read.secrets,
            vec![
                ("a".into(), "kv/data/a".into()),
                ("b".into(), "kv/data/b".into())
            ]
        );
        assert!(read.templates_without_secret.is_empty());
        let default = injection(&annotations(&[("agent-inject", "true")])).unwrap();
        assert_eq!(default.auth_mount, "kubernetes");
    }

    #[test]
    fn a_v2_path_without_data_is_named_with_its_fix() {
        let read = injection(&annotations(&[
            ("agent-inject", "true"),
            ("role", "webapp-one"),
            ("agent-inject-secret-app", "kv/webapps/app_one"),
            ("agent-inject-secret-ok", "kv/data/webapps/app_one"),
            ("agent-inject-secret-meta", "kv/metadata/webapps/app_one"),
            ("agent-inject-secret-v1", "kv1/webapps/app_one"),
            ("agent-inject-secret-team", "team/kv/db"),
            ("agent-inject-secret-other", "secret/x"),
        ]))
        .unwrap();
        let found = lint(&read, &facts(&["kubernetes"]));
        assert_eq!(
            found,
            vec![
                Lint::MissingData {
                    name: "app".into(),
                    path: "kv/webapps/app_one".into(),
                    fixed: "kv/data/webapps/app_one".into(),
                },
                Lint::MissingData {
                    name: "team".into(),
                    path: "team/kv/db".into(),
                    fixed: "team/kv/data/db".into(),
                },
            ]
        );
        assert!(found[0]
            .fix()
            .contains("agent-inject-secret-app to kv/data/webapps/app_one"));
    }

    #[test]
    fn the_longest_mount_decides_the_version() {
        let mounts = vec![
            KvMount {
                path: "team".into(),
                version: 1,
            },
            KvMount {
                path: "team/kv".into(),
                version: 2,
            },
        ];
        assert_eq!(
            missing_data("team/kv/db", &mounts),
            Some("team/kv/data/db".into())
        );
        assert_eq!(missing_data("team/db", &mounts), None);
        assert_eq!(missing_data("teamkv/db", &mounts), None);
    }

    #[test]
    fn a_role_on_another_mount_and_a_lonely_template_are_mistakes() {
        let read = injection(&annotations(&[
            ("agent-inject", "true"),
            ("role", "webapp-one"),
            ("agent-inject-template-config", "{{ … }}"),
        ]))
        .unwrap();
        let found = lint(&read, &facts(&["k8s-cluster1"]));
        assert_eq!(
            found,
            vec![
                Lint::RoleOnOtherMount {
                    role: "webapp-one".into(),
                    annotated: "kubernetes".into(),
                    found_on: vec!["k8s-cluster1".into()],
                },
                Lint::TemplateWithoutSecret {
                    name: "config".into()
                },
            ]
        );
        assert!(found[0].fix().contains("auth-path to auth/k8s-cluster1"));
        assert!(lint(&read, &facts(&["kubernetes", "k8s-cluster1"])).len() == 1);
        assert!(
            lint(&read, &facts(&[])).len() == 1,
            "a missing role is the login's finding"
        );
    }

    #[test]
    fn no_role_is_a_mistake() {
        let read = injection(&annotations(&[("agent-inject", "true")])).unwrap();
        assert_eq!(lint(&read, &Facts::default()), vec![Lint::NoRole]);
    }
}
