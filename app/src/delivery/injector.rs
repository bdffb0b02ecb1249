//! The Vault Agent injector: annotations on a Deployment's pod template (never on the
//! Deployment itself — the webhook reads the Pod's), written as the patch the course applies
//! with `kubectl patch deployment/webapp-one --patch …`, with `serviceAccountName`.
//!
//! Annotation names and meanings: hashicorp/vault-k8s `agent-inject/agent/annotations.go`
//! (v1.7). The injector reads `auth-path` verbatim as the agent's `mount_path`, so it
//! includes `auth/`; it has no audience annotation: a token for an audience comes from a
//! projected `serviceAccountToken` volume named by `agent-service-account-token-volume-name`.

use super::{templates::template, yaml::Yaml, Plan};

pub const PREFIX: &str = "vault.hashicorp.com/";

/// The projected token volume the patch adds when the role wants an audience.
pub const TOKEN_VOLUME: &str = "vault-token";
/// Its file inside the volume.
pub const TOKEN_FILE: &str = "token";
/// Where the injector mounts that volume in its containers when no app container mounts it
/// (vault-k8s `agent.go`, `DefaultServiceAccountMount`).
pub const TOKEN_VOLUME_MOUNT: &str = "/var/run/secrets/vault.hashicorp.com/serviceaccount";
/// The shortest lifetime a projected token may ask for.
pub const TOKEN_SECONDS: i64 = 600;

/// The annotations, in the order they are written.
pub fn annotations(plan: &Plan) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, value: String| out.push((format!("{PREFIX}{name}"), value));
    add("agent-inject", "true".into());
    add("role", plan.role.trim().into());
    add("service", plan.vault_addr.trim().into());
    if !plan.uses_default_mount() {
        add("auth-path", plan.auth_path());
    }
    if let Some(namespace) = plan.namespace_value() {
        add("namespace", namespace.into());
    }
    if plan.audience_value().is_some() {
        add(
            "agent-service-account-token-volume-name",
            TOKEN_VOLUME.into(),
        );
    }
    for secret in &plan.secrets {
        add(
            &format!("agent-inject-secret-{}", secret.name),
            secret.api_path(),
        );
        add(
            &format!("agent-inject-template-{}", secret.name),
            template(secret),
        );
        // A key the secret does not have fails the render instead of writing `<no value>`.
        add(
            &format!("error-on-missing-key-{}", secret.name),
            "true".into(),
        );
    }
    out
}

/// The strategic-merge patch for the Deployment.
pub fn patch(plan: &Plan) -> Yaml {
    let annotations = Yaml::map(
        annotations(plan)
            .into_iter()
            .map(|(name, value)| (name, Yaml::Str(value))),
    );
    let mut pod_spec = vec![(
        "serviceAccountName".to_string(),
        Yaml::str(plan.service_account.trim()),
    )];
    if let Some(audience) = plan.audience_value() {
        pod_spec.push(("volumes".into(), Yaml::List(vec![token_volume(audience)])));
    }
    Yaml::map([(
        "spec",
        Yaml::map([(
            "template",
            Yaml::map([
                ("metadata", Yaml::map([("annotations", annotations)])),
                ("spec", Yaml::Map(pod_spec)),
            ]),
        )]),
    )])
}

/// A projected service-account token for `audience`, for the agent to log in with.
fn token_volume(audience: &str) -> Yaml {
    Yaml::map([
        ("name", Yaml::str(TOKEN_VOLUME)),
        (
            "projected",
            Yaml::map([(
                "sources",
                Yaml::List(vec![Yaml::map([(
                    "serviceAccountToken",
                    Yaml::map([
                        ("audience", Yaml::str(audience)),
                        ("expirationSeconds", Yaml::Int(TOKEN_SECONDS)),
                        ("path", Yaml::str(TOKEN_FILE)),
                    ]),
                )])]),
            )]),
        ),
    ])
}

/// The file the patch goes into, and the command that applies it.
pub fn file_name(plan: &Plan) -> String {
    format!("{}-vault-patch.yaml", plan.workload.trim())
}

pub fn command(plan: &Plan) -> String {
    format!(
        "kubectl patch deployment/{} --namespace {} --patch \"$(cat {})\"",
        plan.workload.trim(),
        plan.namespace.trim(),
        file_name(plan)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::{tests::lab_plan, Format, SecretPick};

    fn value<'a>(annotations: &'a [(String, String)], name: &str) -> Option<&'a str> {
        annotations
            .iter()
            .find(|(n, _)| n == &format!("{PREFIX}{name}"))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_labs_patch_names_the_role_the_account_and_the_v2_path() {
        let plan = lab_plan();
        let text = patch(&plan).to_document();
        assert!(text.starts_with("spec:\n  template:\n    metadata:\n      annotations:\n        vault.hashicorp.com/agent-inject: \"true\"\n"), "{text}");
        assert!(
            text.contains("        vault.hashicorp.com/role: webapp-one\n"),
            "{text}"
        );
        assert!(text.contains("        vault.hashicorp.com/agent-inject-secret-app_one: kv/data/webapps/app_one\n"), "{text}");
        assert!(text.contains("        vault.hashicorp.com/agent-inject-template-app_one: |-\n          {{- with secret \"kv/data/webapps/app_one\" -}}\n          password={{ .Data.data.password }}\n"), "{text}");
        assert!(
            text.ends_with("    spec:\n      serviceAccountName: webapp-one\n"),
            "{text}"
        );
        let annotations = annotations(&plan);
        assert_eq!(
            value(&annotations, "auth-path"),
            None,
            "the default mount needs none"
        );
        assert_eq!(value(&annotations, "namespace"), None);
        assert_eq!(
            value(&annotations, "service"),
            Some("http://vault.vault-system.svc:8200")
        );
        assert_eq!(
            command(&plan),
            "kubectl patch deployment/webapp-one --namespace default --patch \"$(cat webapp-one-vault-patch.yaml)\""
        );
    }

    #[test]
    fn a_custom_mount_a_namespace_and_kv_v1_are_spelled_as_the_injector_reads_them() {
        let mut plan = lab_plan();
        plan.auth_mount = "k8s-cluster1".into();
        plan.vault_namespace = Some("team-a".into());
        plan.secrets[0].kv_version = 1;
        plan.secrets[0].mount = "kv1".into();
        let annotations = annotations(&plan);
        assert_eq!(value(&annotations, "auth-path"), Some("auth/k8s-cluster1"));
        assert_eq!(value(&annotations, "namespace"), Some("team-a"));
        assert_eq!(
            value(&annotations, "agent-inject-secret-app_one"),
            Some("kv1/webapps/app_one")
        );
        assert!(value(&annotations, "agent-inject-template-app_one")
            .unwrap()
            .contains(".Data.password"));
    }

    #[test]
    fn several_secrets_get_a_file_each() {
        let mut plan = lab_plan();
        plan.secrets.push(SecretPick {
            name: "db.json".into(),
            mount: "team/kv".into(),
            kv_version: 2,
            path: "db".into(),
            keys: vec!["user".into(), "password".into()],
            format: Format::Json,
        });
        let annotations = annotations(&plan);
        assert_eq!(
            value(&annotations, "agent-inject-secret-app_one"),
            Some("kv/data/webapps/app_one")
        );
        assert_eq!(
            value(&annotations, "agent-inject-secret-db.json"),
            Some("team/kv/data/db")
        );
        assert_eq!(
            value(&annotations, "error-on-missing-key-db.json"),
            Some("true")
        );
        for (name, _) in &annotations {
            let local = name.strip_prefix(PREFIX).unwrap();
            assert!(local.len() <= 63, "{name} is too long for an annotation");
        }
    }

    #[test]
    fn an_audience_comes_from_a_projected_token_volume() {
        let mut plan = lab_plan();
        plan.audience = Some("vault".into());
        let annotations = annotations(&plan);
        assert_eq!(
            value(&annotations, "agent-service-account-token-volume-name"),
            Some(TOKEN_VOLUME)
        );
        let text = patch(&plan).to_document();
        assert!(text.contains("      volumes:\n      - name: vault-token\n        projected:\n          sources:\n          - serviceAccountToken:\n              audience: vault\n              expirationSeconds: 600\n              path: token\n"), "{text}");
    }
}
