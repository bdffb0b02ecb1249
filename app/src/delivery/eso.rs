//! External Secrets Operator: a `SecretStore` per KV mount (Vault provider, Kubernetes
//! auth) and an `ExternalSecret` per secret, making a Kubernetes Secret the pod can use.
//!
//! Facts from external-secrets/external-secrets (v2.9) `apis/externalsecrets/v1` and
//! `providers/v1/vault`: the API is `external-secrets.io/v1`; `provider.vault.path` is the
//! KV mount alone and `version` its KV version (`v2` is the default); with `path` set,
//! `remoteRef.key` is the secret's path inside the mount (ESO adds `data/` on v2);
//! `auth.kubernetes.mountPath` is the auth mount *without* `auth/`; with
//! `serviceAccountRef` the controller asks the cluster for a token of that account, for
//! its `audiences`. OpenBao's own ESO provider has no Kubernetes auth, so the Vault
//! provider serves both servers.

use super::{yaml::Yaml, Plan, SecretPick};

pub const API_VERSION: &str = "external-secrets.io/v1";

/// The KV mounts the plan reads, each with its version, in order of first use.
fn mounts(plan: &Plan) -> Vec<(String, u8)> {
    let mut mounts: Vec<(String, u8)> = Vec::new();
    for secret in &plan.secrets {
        let mount = secret.mount.trim_matches('/').to_string();
        if !mounts.iter().any(|(m, _)| m == &mount) {
            mounts.push((mount, secret.kv_version));
        }
    }
    mounts
}

/// A store's name: the workload and the mount (`webapp-one-kv`).
pub fn store_name(plan: &Plan, mount: &str) -> String {
    let mount: String = mount
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{}-{}", plan.workload.trim(), mount.trim_matches('-'))
}

pub fn secret_store(plan: &Plan, mount: &str, kv_version: u8) -> Yaml {
    let mut account = vec![("name", Yaml::str(plan.service_account.trim()))];
    if let Some(audience) = plan.audience_value() {
        account.push(("audiences", Yaml::List(vec![Yaml::str(audience)])));
    }
    let kubernetes = Yaml::map([
        ("mountPath", Yaml::str(plan.auth_mount.trim_matches('/'))),
        ("role", Yaml::str(plan.role.trim())),
        ("serviceAccountRef", Yaml::map(account)),
    ]);
    let mut vault = vec![
        ("server", Yaml::str(plan.vault_addr.trim())),
        ("path", Yaml::str(mount)),
        ("version", Yaml::Str(format!("v{kv_version}"))),
    ];
    if let Some(namespace) = plan.namespace_value() {
        vault.push(("namespace", Yaml::str(namespace)));
    }
    vault.push(("auth", Yaml::map([("kubernetes", kubernetes)])));
    Yaml::map([
        ("apiVersion", Yaml::str(API_VERSION)),
        ("kind", Yaml::str("SecretStore")),
        ("metadata", metadata(&store_name(plan, mount), plan)),
        (
            "spec",
            Yaml::map([("provider", Yaml::map([("vault", Yaml::map(vault))]))]),
        ),
    ])
}

/// The Kubernetes Secret an `ExternalSecret` makes: `webapp-one-app-one`.
pub fn target_name(plan: &Plan, secret: &SecretPick) -> String {
    format!("{}-{}", plan.workload.trim(), secret.name).replace('_', "-")
}

pub fn external_secret(plan: &Plan, secret: &SecretPick) -> Yaml {
    let data = secret
        .keys
        .iter()
        .map(|key| {
            Yaml::map([
                ("secretKey", Yaml::str(key)),
                (
                    "remoteRef",
                    Yaml::map([
                        ("key", Yaml::str(secret.path.trim_matches('/'))),
                        ("property", Yaml::str(key)),
                    ]),
                ),
            ])
        })
        .collect();
    let target = target_name(plan, secret);
    Yaml::map([
        ("apiVersion", Yaml::str(API_VERSION)),
        ("kind", Yaml::str("ExternalSecret")),
        ("metadata", metadata(&target, plan)),
        (
            "spec",
            Yaml::map([
                ("refreshInterval", Yaml::str("1h")),
                (
                    "secretStoreRef",
                    Yaml::map([
                        ("name", Yaml::Str(store_name(plan, &secret.mount))),
                        ("kind", Yaml::str("SecretStore")),
                    ]),
                ),
                (
                    "target",
                    Yaml::map([
                        ("name", Yaml::Str(target)),
                        ("creationPolicy", Yaml::str("Owner")),
                    ]),
                ),
                ("data", Yaml::List(data)),
            ]),
        ),
    ])
}

fn metadata(name: &str, plan: &Plan) -> Yaml {
    Yaml::map([
        ("name", Yaml::str(name)),
        ("namespace", Yaml::str(plan.namespace.trim())),
    ])
}

/// Every object, stores first.
pub fn objects(plan: &Plan) -> Vec<Yaml> {
    let stores = mounts(plan)
        .into_iter()
        .map(|(mount, version)| secret_store(plan, &mount, version));
    let secrets = plan.secrets.iter().map(|s| external_secret(plan, s));
    stores.chain(secrets).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::{tests::lab_plan, yaml::documents, Format};

    #[test]
    fn the_store_logs_in_as_the_service_account_and_reads_kv_v2() {
        let text = secret_store(&lab_plan(), "kv", 2).to_document();
        assert_eq!(
            text,
            "apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata:\n  name: webapp-one-kv\n  namespace: default\nspec:\n  provider:\n    vault:\n      server: http://vault.vault-system.svc:8200\n      path: kv\n      version: v2\n      auth:\n        kubernetes:\n          mountPath: kubernetes\n          role: webapp-one\n          serviceAccountRef:\n            name: webapp-one\n"
        );
    }

    #[test]
    fn each_secret_reads_its_keys_by_their_path_inside_the_mount() {
        let plan = lab_plan();
        let text = external_secret(&plan, &plan.secrets[0]).to_document();
        assert!(
            text.contains("  secretStoreRef:\n    name: webapp-one-kv\n    kind: SecretStore\n"),
            "{text}"
        );
        assert!(
            text.contains("  target:\n    name: webapp-one-app-one\n"),
            "{text}"
        );
        assert!(text.contains("  data:\n  - secretKey: password\n    remoteRef:\n      key: webapps/app_one\n      property: password\n"), "{text}");
    }

    #[test]
    fn a_store_per_mount_with_its_version_a_custom_auth_mount_and_an_audience() {
        let mut plan = lab_plan();
        plan.auth_mount = "k8s-cluster1".into();
        plan.audience = Some("vault".into());
        plan.secrets.push(crate::delivery::SecretPick {
            name: "legacy".into(),
            mount: "kv1".into(),
            kv_version: 1,
            path: "legacy/app".into(),
            keys: vec!["token".into()],
            format: Format::OneKey,
        });
        let all = objects(&plan);
        assert_eq!(all.len(), 4);
        let text = documents(&all);
        assert!(
            text.contains("      path: kv1\n      version: v1\n"),
            "{text}"
        );
        assert!(
            text.contains("          mountPath: k8s-cluster1\n"),
            "{text}"
        );
        assert!(
            text.contains("            audiences:\n            - vault\n"),
            "{text}"
        );
        assert_eq!(text.matches("\nkind: SecretStore\n").count(), 2);
        assert_eq!(text.matches("\nkind: ExternalSecret\n").count(), 2);
    }
}
