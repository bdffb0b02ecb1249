//! The Secrets Store CSI driver with Vault's provider: a `SecretProviderClass`
//! (`secrets-store.csi.x-k8s.io/v1`, in the pod's namespace) and the pod's volume and mount.
//!
//! Facts from hashicorp/vault-csi-provider (v1.7) `internal/config/config.go` and
//! `internal/provider/provider.go`, and kubernetes-sigs/secrets-store-csi-driver `apis/v1`:
//! every parameter is a string; `objects` is a YAML list *inside a string*; the provider
//! sends a raw `GET /v1/<secretPath>` (no KV v2 rewriting, so v2 paths need `data/`) and
//! with `secretKey` takes that key from the answer's data (descending into `data.data` on
//! v2); `vaultKubernetesMountPath` is the mount *without* `auth/` (default `kubernetes`);
//! `audience` is the audience of the token the provider requests for the pod.

use super::{yaml::Yaml, Plan, SecretPick};

pub const API_VERSION: &str = "secrets-store.csi.x-k8s.io/v1";
pub const DRIVER: &str = "secrets-store.csi.k8s.io";
/// Where the app's container sees the files.
pub const MOUNT_PATH: &str = "/mnt/secrets-store";
pub const VOLUME: &str = "secrets-store";

pub fn class_name(plan: &Plan) -> String {
    format!("{}-vault", plan.workload.trim())
}

/// The file name of one key of one secret: `objectName` must be unique in the class.
pub fn object_name(secret: &SecretPick, key: &str) -> String {
    format!("{}-{key}", secret.name)
}

/// The `objects` parameter: a YAML text, one object per key.
pub fn objects(plan: &Plan) -> String {
    let list: Vec<Yaml> = plan
        .secrets
        .iter()
        .flat_map(|secret| {
            secret.keys.iter().map(move |key| {
                Yaml::map([
                    ("objectName", Yaml::Str(object_name(secret, key))),
                    ("secretPath", Yaml::Str(secret.api_path())),
                    ("secretKey", Yaml::str(key)),
                ])
            })
        })
        .collect();
    Yaml::List(list).to_document()
}

pub fn secret_provider_class(plan: &Plan) -> Yaml {
    let mut parameters = vec![
        ("vaultAddress", Yaml::str(plan.vault_addr.trim())),
        ("roleName", Yaml::str(plan.role.trim())),
    ];
    if !plan.uses_default_mount() {
        parameters.push((
            "vaultKubernetesMountPath",
            Yaml::str(plan.auth_mount.trim_matches('/')),
        ));
    }
    if let Some(namespace) = plan.namespace_value() {
        parameters.push(("vaultNamespace", Yaml::str(namespace)));
    }
    if let Some(audience) = plan.audience_value() {
        parameters.push(("audience", Yaml::str(audience)));
    }
    parameters.push(("objects", Yaml::Str(objects(plan))));
    let mut spec = vec![
        ("provider", Yaml::str("vault")),
        ("parameters", Yaml::map(parameters)),
    ];
    if plan.sync_secret {
        spec.push(("secretObjects", Yaml::List(secret_objects(plan))));
    }
    Yaml::map([
        ("apiVersion", Yaml::str(API_VERSION)),
        ("kind", Yaml::str("SecretProviderClass")),
        (
            "metadata",
            Yaml::map([
                ("name", Yaml::Str(class_name(plan))),
                ("namespace", Yaml::str(plan.namespace.trim())),
            ]),
        ),
        ("spec", Yaml::map(spec)),
    ])
}

/// One synced Kubernetes Secret per Vault secret, its keys named as in Vault. The driver
/// creates it only while a pod mounts the volume, and needs `syncSecret.enabled=true`.
fn secret_objects(plan: &Plan) -> Vec<Yaml> {
    plan.secrets
        .iter()
        .map(|secret| {
            let data = secret
                .keys
                .iter()
                .map(|key| {
                    Yaml::map([
                        ("objectName", Yaml::Str(object_name(secret, key))),
                        ("key", Yaml::str(key)),
                    ])
                })
                .collect();
            Yaml::map([
                ("secretName", Yaml::Str(synced_secret_name(plan, secret))),
                ("type", Yaml::str("Opaque")),
                ("data", Yaml::List(data)),
            ])
        })
        .collect()
}

pub fn synced_secret_name(plan: &Plan, secret: &SecretPick) -> String {
    let name = format!("{}-{}", plan.workload.trim(), secret.name);
    name.replace('_', "-")
}

/// The patch that gives the Deployment's pod the volume and its container the mount.
pub fn pod_patch(plan: &Plan) -> Yaml {
    let volume = Yaml::map([
        ("name", Yaml::str(VOLUME)),
        (
            "csi",
            Yaml::map([
                ("driver", Yaml::str(DRIVER)),
                ("readOnly", Yaml::Bool(true)),
                (
                    "volumeAttributes",
                    Yaml::map([("secretProviderClass", Yaml::Str(class_name(plan)))]),
                ),
            ]),
        ),
    ]);
    let container = Yaml::map([
        ("name", Yaml::str(plan.container.trim())),
        (
            "volumeMounts",
            Yaml::List(vec![Yaml::map([
                ("name", Yaml::str(VOLUME)),
                ("mountPath", Yaml::str(MOUNT_PATH)),
                ("readOnly", Yaml::Bool(true)),
            ])]),
        ),
    ]);
    Yaml::map([(
        "spec",
        Yaml::map([(
            "template",
            Yaml::map([(
                "spec",
                Yaml::map([
                    ("serviceAccountName", Yaml::str(plan.service_account.trim())),
                    ("containers", Yaml::List(vec![container])),
                    ("volumes", Yaml::List(vec![volume])),
                ]),
            )]),
        )]),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::tests::lab_plan;

    #[test]
    fn the_class_names_the_provider_the_role_and_each_key_on_the_v2_data_path() {
        let text = secret_provider_class(&lab_plan()).to_document();
        assert_eq!(
            text,
            "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata:\n  name: webapp-one-vault\n  namespace: default\nspec:\n  provider: vault\n  parameters:\n    vaultAddress: http://vault.vault-system.svc:8200\n    roleName: webapp-one\n    objects: |\n      - objectName: app_one-password\n        secretPath: kv/data/webapps/app_one\n        secretKey: password\n"
        );
    }

    #[test]
    fn a_custom_mount_goes_without_auth_and_kv_v1_without_data() {
        let mut plan = lab_plan();
        plan.auth_mount = "k8s-cluster1".into();
        plan.audience = Some("vault".into());
        plan.vault_namespace = Some("team-a".into());
        plan.secrets[0].kv_version = 1;
        let text = secret_provider_class(&plan).to_document();
        assert!(
            text.contains("    vaultKubernetesMountPath: k8s-cluster1\n"),
            "{text}"
        );
        assert!(text.contains("    vaultNamespace: team-a\n"), "{text}");
        assert!(text.contains("    audience: vault\n"), "{text}");
        assert!(text.contains("secretPath: kv/webapps/app_one\n"), "{text}");
    }

    #[test]
    fn several_keys_are_several_objects_and_may_sync_a_secret() {
        let mut plan = lab_plan();
        plan.secrets[0].keys = vec!["username".into(), "password".into()];
        plan.sync_secret = true;
        let objects = objects(&plan);
        assert_eq!(objects.matches("- objectName:").count(), 2, "{objects}");
        let text = secret_provider_class(&plan).to_document();
        assert!(text.contains("  secretObjects:\n  - secretName: webapp-one-app-one\n    type: Opaque\n    data:\n    - objectName: app_one-username\n      key: username\n"), "{text}");
    }

    #[test]
    fn the_pod_mounts_the_class_read_only() {
        let text = pod_patch(&lab_plan()).to_document();
        assert!(text.contains("      containers:\n      - name: webapp-one\n        volumeMounts:\n        - name: secrets-store\n          mountPath: /mnt/secrets-store\n          readOnly: true\n"), "{text}");
        assert!(
            text.contains(
                "          volumeAttributes:\n            secretProviderClass: webapp-one-vault\n"
            ),
            "{text}"
        );
    }
}
