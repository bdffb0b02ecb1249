//! The differences between labvault and a real OpenBao that are meant, each with its
//! reason, in one place. A check that meets one of them asks here what to expect; any other
//! difference the conformance suite finds is a labvault bug.
//!
//! labvault follows HashiCorp Vault where OpenBao and Vault differ (Vault's docs and source
//! are the reference), and leaves out what a lab does not need, answering it with a clear
//! error.

use serde_json::Value;
use testvault::Flavor;

/// Service tokens start `hvs.` in HashiCorp Vault 1.10 and later ("Token prefixes",
/// https://developer.hashicorp.com/vault/docs/concepts/tokens#token-prefixes), which
/// labvault follows; OpenBao kept the older `s.`.
pub fn service_token_prefix(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::OpenBao => "s.",
        Flavor::Labvault => "hvs.",
    }
}

/// The errors for a token that does not exist (never did, revoked, expired). Vault answers
/// 403 with `invalid token` and `permission denied` ("Error Responses",
/// https://developer.hashicorp.com/vault/docs/concepts/tokens#error-responses); OpenBao
/// answers only "permission denied".
pub fn invalid_token_errors(flavor: Flavor) -> Vec<&'static str> {
    match flavor {
        Flavor::OpenBao => vec!["permission denied"],
        Flavor::Labvault => vec!["permission denied", "invalid token"],
    }
}

/// The build-time field of `sys/seal-status`: Vault's is `build_date`
/// (https://developer.hashicorp.com/vault/api-docs/system/seal-status); OpenBao renamed it
/// `commit_date`.
pub fn seal_status_date_field(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::OpenBao => "commit_date",
        Flavor::Labvault => "build_date",
    }
}

/// `sys/health` fields Vault has and OpenBao dropped with Vault Enterprise's performance
/// standbys: `performance_standby` (https://developer.hashicorp.com/vault/api-docs/system/health).
/// Like every `vault_only_*` here: the fields the given server lacks.
pub fn vault_only_health_fields(flavor: Flavor) -> &'static [&'static str] {
    match flavor {
        Flavor::OpenBao => &["performance_standby"],
        Flavor::Labvault => &[],
    }
}

/// Fields OpenBao adds to a policy read (`sys/policies/acl/NAME`, `sys/policy/NAME`): its
/// check-and-set and identity-template settings (OpenBao's `readPolicyResponse` in
/// internal/vault/logical_system.go). Vault answers only `name` and `policy`/`rules`.
pub fn openbao_only_policy_fields(flavor: Flavor) -> &'static [&'static str] {
    match flavor {
        Flavor::OpenBao => &[
            "allow_slashes_in_identity_templates",
            "allow_wildcards_in_identity_templates",
            "cas_required",
            "modified",
            "version",
        ],
        Flavor::Labvault => &[],
    }
}

/// Fields OpenBao adds to KV v2 metadata (`current_metadata_version`,
/// `metadata_cas_required`) and config (`metadata_cas_required`): its metadata
/// check-and-set, which Vault's KV v2 (vault-plugin-secrets-kv) does not have.
pub fn openbao_only_kv_metadata_fields(flavor: Flavor) -> &'static [&'static str] {
    match flavor {
        Flavor::OpenBao => &["current_metadata_version", "metadata_cas_required"],
        Flavor::Labvault => &[],
    }
}

/// Vault 1.12 and later put `mount_type` in every response envelope
/// (sdk/logical/translate_response.go, `HTTPResponse.MountType`); OpenBao has no such field.
pub fn mount_type_in_envelope(flavor: Flavor) -> bool {
    flavor == Flavor::Labvault
}

/// The product names in KV v2's "Invalid path" warning: Vault's plugin says "Vault CLI"
/// and `vault kv get` (vault-plugin-secrets-kv backend.go); OpenBao says "OpenBao CLI" and
/// `bao kv get`.
pub fn kv_cli_names(flavor: Flavor) -> (&'static str, &'static str) {
    match flavor {
        Flavor::OpenBao => ("OpenBao", "bao"),
        Flavor::Labvault => ("Vault", "vault"),
    }
}

/// `token_strictly_bind_ip`, a field of OpenBao's token settings (sdk/helper/tokenutil) that
/// Vault's tokenutil does not have: OpenBao reads it back on userpass users and Kubernetes
/// roles.
pub fn openbao_only_token_fields(flavor: Flavor) -> &'static [&'static str] {
    match flavor {
        Flavor::OpenBao => &["token_strictly_bind_ip"],
        Flavor::Labvault => &[],
    }
}

/// The warning for a Kubernetes role without an audience. Vault's plugin warns
/// (vault-plugin-auth-kubernetes path_role.go, v0.24); OpenBao's fork does not, and so
/// answers the write with 204.
pub fn kubernetes_audience_warning(flavor: Flavor, role: &str) -> Option<String> {
    match flavor {
        Flavor::OpenBao => None,
        Flavor::Labvault => Some(format!(
            "Role {role} does not have an audience configured. While audiences are not \
             required, consider specifying one if your use case would benefit from additional \
             JWT claim verification."
        )),
    }
}

/// The status of a Kubernetes role write without an audience: 200 where it warns, else 204.
pub fn kubernetes_role_without_audience_status(flavor: Flavor) -> u16 {
    match kubernetes_audience_warning(flavor, "") {
        Some(_) => 200,
        None => 204,
    }
}

/// A Kubernetes config with `disable_local_ca_jwt` and no CA: Vault's plugin falls back to
/// the system's trusted CAs (vault-plugin-auth-kubernetes path_config.go: "If it is not set
/// and disable_local_ca_jwt is true, the system's trusted CA certificate pool will be
/// used"); OpenBao's fork refuses it.
pub fn kubernetes_config_without_ca(flavor: Flavor) -> Result<(), &'static str> {
    match flavor {
        Flavor::OpenBao => {
            Err("kubernetes_ca_cert must be given when disable_local_ca_jwt is true")
        }
        Flavor::Labvault => Ok(()),
    }
}

/// Whether a Kubernetes config's `kubernetes_ca_cert` must hold a PEM certificate: Vault's
/// plugin refuses other text ("The provided CA PEM data contains no valid certificates",
/// vault-plugin-auth-kubernetes path_config.go); OpenBao's older fork stores it unchecked.
pub fn kubernetes_checks_ca_pem(flavor: Flavor) -> bool {
    flavor == Flavor::Labvault
}

/// Config fields Vault's Kubernetes plugin reads back and OpenBao's fork does not have:
/// `use_annotations_as_alias_metadata` (vault-plugin-auth-kubernetes v0.20 and later).
pub fn vault_only_kubernetes_config_fields(flavor: Flavor) -> &'static [&'static str] {
    match flavor {
        Flavor::OpenBao => &["use_annotations_as_alias_metadata"],
        Flavor::Labvault => &[],
    }
}

/// A `pem_keys` entry that holds no key. Vault's plugin names the kinds it reads
/// (vault-plugin-auth-kubernetes path_config.go `parsePublicKeyPEM`); OpenBao's fork uses
/// the SDK's `certutil.ParsePublicKeyPEM`, which also reads Ed25519 keys.
pub fn kubernetes_bad_pem_key_error(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::OpenBao => "data does not contain any valid public keys",
        Flavor::Labvault => "data does not contain any valid RSA or ECDSA public keys",
    }
}

/// Tuning `sys/`, `cubbyhole/` (and the other protected mounts). Vault refuses it whole:
/// `cannot tune "sys/"` (vault/logical_system.go `handleTuneWriteCommon`); OpenBao lets the
/// audit HMAC keys be tuned there and names the refused field (openbao#921).
pub fn untunable_mount_error(flavor: Flavor, path: &str, field: &str) -> String {
    match flavor {
        Flavor::OpenBao => format!("cannot tune parameter {field} of {path}"),
        Flavor::Labvault => format!("cannot tune \"{path}\""),
    }
}

/// The warning when tuning KV from version 1 to 2. Vault builds it where both versions are
/// known (vault/logical_system.go `handleTuneWriteCommon`); OpenBao builds it after a
/// shadowed `optVersion` went out of scope, so it says "to version 0" (a bug).
pub fn kv_upgrade_warning(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::OpenBao => "Upgrading mount from version 1 to version 0. This mount will be unavailable for a brief period and will resume service shortly.",
        Flavor::Labvault => "Upgrading mount from version 1 to version 2. This mount will be unavailable for a brief period and will resume service shortly.",
    }
}

/// The warning on a policy written under a name with capitals. Vault's and OpenBao's
/// `handlePoliciesSet` both add "policy name was converted to NAME"
/// (vault/logical_system.go), but OpenBao 2.7.2 answers 204 without it; labvault keeps the
/// warning the source writes. (Not resolved: where OpenBao drops it.)
pub fn policy_name_converted_warning(flavor: Flavor, lowercased: &str) -> Option<String> {
    match flavor {
        Flavor::OpenBao => None,
        Flavor::Labvault => Some(format!("policy name was converted to {lowercased}")),
    }
}

/// PGP-encrypted unseal keys and root token at `sys/init`: a lab has no use for them, so
/// labvault refuses `pgp_keys` and `root_token_pgp_key` that hold a key.
pub fn pgp_init_refusal(flavor: Flavor) -> Option<&'static str> {
    match flavor {
        Flavor::OpenBao => None,
        Flavor::Labvault => Some(
            "PGP-encrypted key shares (pgp_keys, root_token_pgp_key) are not supported by labvault",
        ),
    }
}

/// labvault on disk keeps its data in a directory, one file per entry, and a path segment
/// may be at most 240 bytes once encoded; a longer name answers 400 naming the limit (as
/// Vault's `file` storage is bound by file-name limits too). OpenBao's raft storage takes
/// any length.
pub fn storage_segment_limit(flavor: Flavor) -> Option<usize> {
    match flavor {
        Flavor::OpenBao => None,
        Flavor::Labvault => Some(240),
    }
}

/// The capabilities on a listing path (ending in `/`) that a glob rule and a `+` rule both
/// match. Vault tries the glob and `+` rules on the path without its slash first
/// (vault/acl.go, `AllowOperation`); OpenBao tries the path as given first
/// (internal/vault/policy/acl.go). labvault's ACL (the policy crate's `Acl`) keeps Vault's
/// order, so for these corpus cases it answers Vault's capabilities, not the manifest's.
pub fn vault_listing_order(flavor: Flavor, case: &str, path: &str) -> Option<Vec<String>> {
    const VAULT_ANSWERS: &[(&str, &str, &str)] =
        &[("glob_list_with_trailing_slash", "secret/b/", "read")];
    if flavor == Flavor::OpenBao {
        return None;
    }
    VAULT_ANSWERS
        .iter()
        .find(|(c, p, _)| *c == case && *p == path)
        .map(|(_, _, caps)| caps.split(',').map(str::to_string).collect())
}

/// `sys/leader` on a sealed server. Vault's `Core.Leader` reports "HA not enabled" before
/// it looks at the seal (vault/core.go), so a server on non-HA storage — labvault's file
/// storage — answers 200 with `ha_enabled: false`; OpenBao's tests run on raft, an HA
/// storage, where a sealed server answers 503 "Vault is sealed".
pub fn sealed_leader_answer(flavor: Flavor) -> (u16, Option<&'static str>) {
    match flavor {
        Flavor::OpenBao => (503, Some("Vault is sealed")),
        Flavor::Labvault => (200, None),
    }
}

/// What labvault leaves out, because a lab has no use for it: AppRole, JWT/OIDC and other
/// auth methods, response wrapping, batch tokens, token roles, the identity store, audit
/// devices, namespaces (and PGP at init, above). OpenBao has them; labvault answers 400
/// saying so, rather than 404 as if the path did not exist or acting as if a header were
/// not there (which would hand a secret out unwrapped, or act in the root namespace).
pub fn left_out(flavor: Flavor, feature: &str) -> Option<String> {
    match flavor {
        Flavor::OpenBao => None,
        Flavor::Labvault => Some(format!("{feature} not supported by labvault")),
    }
}

/// Enabling an auth method or secrets engine labvault does not have (AppRole, JWT, …):
/// labvault answers as Vault does for a type it does not know, "plugin not found in the
/// catalog: TYPE", the text clients look for.
pub fn left_out_plugin(flavor: Flavor, kind: &str) -> Option<String> {
    match flavor {
        Flavor::OpenBao => None,
        Flavor::Labvault => Some(format!("plugin not found in the catalog: {kind}")),
    }
}

/// The product name in the Kubernetes secrets engine's texts: Vault's plugin says "Vault"
/// (vault-plugin-secrets-kubernetes path_creds.go: "unless the Vault role has a single
/// namespace", "Vault's max lease ttl", "the Vault lease TTL"); OpenBao's copy says
/// "OpenBao". labvault follows Vault.
pub fn kubernetes_secrets_product(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::OpenBao => "OpenBao",
        Flavor::Labvault => "Vault",
    }
}

/// `LIST <mount>/roles` with `after` and `limit`: OpenBao pages the list (its copy of the
/// plugin lists with `Storage.ListPage`); Vault's plugin has no such fields and lists every
/// role, as labvault does.
pub fn kubernetes_secrets_roles_paginate(flavor: Flavor) -> bool {
    flavor == Flavor::OpenBao
}

/// A Kubernetes secrets role's `name_template` using what Go's text/template has beyond
/// pipelines of functions (`if`, `range`, variables) or the SDK's `timestamp` (Go's time
/// layouts): OpenBao's Go templates take it; labvault's name templates leave it out and
/// refuse the role, naming what they do not support.
pub fn kubernetes_name_template_refusal(flavor: Flavor, what: &str) -> Option<String> {
    match flavor {
        Flavor::OpenBao => None,
        Flavor::Labvault => Some(format!(
            "unable to initialize name template: unable to parse template: template: template:1: labvault's name templates do not support {what:?}"
        )),
    }
}

/// `LIST sys/leases/lookup/`: OpenBao's expiration manager keeps every token's lease too
/// (under `auth/…`, named by a salted hash of the token); labvault's tokens live in its
/// token store only, so its lease listing holds the secrets' leases alone.
pub fn token_leases_listed(flavor: Flavor) -> bool {
    flavor == Flavor::OpenBao
}

/// Removes the fields `extra` names from a JSON object, for comparing shapes across the
/// two servers once the listed extras are accounted for.
pub fn without_fields(value: &Value, extra: &[&str]) -> Value {
    let mut value = value.clone();
    if let Some(object) = value.as_object_mut() {
        for field in extra {
            object.remove(*field);
        }
    }
    value
}
