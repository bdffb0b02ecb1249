//! The Kubernetes secrets engine (Vault's vault-plugin-secrets-kubernetes, builtin in
//! OpenBao): a `config` naming the cluster, roles saying what to issue, and `creds/:role`
//! that issues a service-account token under a lease — for an existing service account, or
//! for one it creates and binds to an existing Role/ClusterRole, or to one it generates from
//! rules. Revoking the lease deletes what it created (the Role, the binding, then the
//! service account).

mod client;
mod fields;
mod selector;
mod template;
mod wal;

use super::{Backend, Pending};
use crate::{
    core::{Caller, Ctx, Unsealed},
    leases::Secret,
    mounts::{MountEntry, Table},
    reply::{multierror, Reply, SecretReply, VaultError, VaultResult},
    request::Operation,
    seal::barrier::Barrier,
    ttl::{go_duration, SYSTEM_DEFAULT_TTL, SYSTEM_MAX_TTL},
};
use client::{Client, KubeError, Meta, Owner};
use fields::{FieldError, Fields};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const CONFIG_KEY: &str = "config";
const ROLES: &str = "roles/";
const LOCAL_CA_CERT: &str = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
const LOCAL_JWT: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
const HOST_VARIABLE: &str = "KUBERNETES_SERVICE_HOST";
const PORT_VARIABLE: &str = "KUBERNETES_SERVICE_PORT_HTTPS";
/// The secret type of the engine's leases.
const KUBE_TOKEN: &str = "kube_token";
/// What TokenRequest signs with, for reading a token's lifetime (go-jose's k8s list).
const JWT_ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512",
];

pub struct KubernetesSecrets;

impl Backend for KubernetesSecrets {
    fn table(&self) -> Table {
        Table::Secret
    }

    fn kind(&self) -> &'static str {
        "kubernetes"
    }

    fn exists(
        &self,
        vault: &Unsealed,
        mount: &MountEntry,
        rest: &str,
        _caller: &Caller,
    ) -> VaultResult<Option<bool>> {
        let Some(name) = role_name(rest) else {
            return Ok(None);
        };
        let prefix = Table::Secret.data_prefix(&mount.uuid);
        Ok(Some(load_role(&vault.barrier, &prefix, name)?.is_some()))
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        mount: &'a MountEntry,
        rest: &'a str,
    ) -> Pending<'a, VaultResult> {
        Box::pin(handle(ctx, mount, rest))
    }

    fn revoke<'a>(
        &'a self,
        vault: &'a Unsealed,
        mount: &'a MountEntry,
        secret: &'a Secret,
    ) -> Pending<'a, Result<(), String>> {
        Box::pin(revoke(vault, mount, secret))
    }

    fn roll_back<'a>(&'a self, vault: &'a Unsealed, mount: &'a MountEntry) -> Pending<'a, ()> {
        Box::pin(roll_back(vault, mount))
    }
}

/// `config`, as the plugin stores it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Config {
    kubernetes_host: String,
    kubernetes_ca_cert: String,
    service_account_jwt: String,
    disable_local_ca_jwt: bool,
}

/// A role, stored (and read back) with the plugin's field names.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Role {
    name: String,
    allowed_kubernetes_namespaces: Option<Vec<String>>,
    allowed_kubernetes_namespace_selector: String,
    token_max_ttl: u64,
    token_default_ttl: u64,
    token_default_audiences: Option<Vec<String>>,
    service_account_name: String,
    kubernetes_role_name: String,
    kubernetes_role_type: String,
    generated_role_rules: String,
    name_template: String,
    extra_labels: Option<BTreeMap<String, String>>,
    extra_annotations: Option<BTreeMap<String, String>>,
}

impl Role {
    fn namespaces(&self) -> &[String] {
        self.allowed_kubernetes_namespaces
            .as_deref()
            .unwrap_or_default()
    }

    /// One namespace, no selector: creds may leave the namespace out.
    fn single_namespace(&self) -> Option<&str> {
        match self.namespaces() {
            [only] if self.allowed_kubernetes_namespace_selector.is_empty() && only != "*" => {
                Some(only)
            }
            _ => None,
        }
    }
}

fn role_key(prefix: &str, name: &str) -> String {
    format!("{prefix}{ROLES}{}", name.to_lowercase())
}

fn load_role(barrier: &Barrier, prefix: &str, name: &str) -> VaultResult<Option<Role>> {
    Ok(barrier.get_json(&role_key(prefix, name))?)
}

/// The role name in `roles/NAME`, when it is one the plugin's path pattern accepts.
fn role_name(rest: &str) -> Option<&str> {
    rest.strip_prefix(ROLES)
        .filter(|name| super::userpass::valid_name(name))
}

fn load_config(barrier: &Barrier, prefix: &str) -> VaultResult<Option<Config>> {
    Ok(barrier.get_json(&format!("{prefix}{CONFIG_KEY}"))?)
}

async fn handle(ctx: &Ctx<'_>, mount: &MountEntry, rest: &str) -> VaultResult {
    let prefix = Table::Secret.data_prefix(&mount.uuid);
    let op = ctx.request.operation;
    let writing = matches!(op, Operation::Create | Operation::Update);
    match rest {
        "config" => match op {
            Operation::Read => read_config(ctx, &prefix),
            Operation::Create | Operation::Update => write_config(ctx, &prefix),
            Operation::Delete => {
                ctx.vault.barrier.delete(&format!("{prefix}{CONFIG_KEY}"))?;
                Ok(Reply::NoContent)
            }
            _ => Err(VaultError::unsupported_operation()),
        },
        "check" if op == Operation::Read => check(),
        "roles/" if op == Operation::List => list_roles(ctx, &prefix),
        "check" | "roles/" => Err(VaultError::unsupported_operation()),
        _ => {
            if let Some(name) = role_name(rest) {
                return match op {
                    Operation::Read => read_role(ctx, &prefix, name),
                    Operation::Create | Operation::Update => write_role(ctx, &prefix, name),
                    Operation::Delete => {
                        ctx.vault.barrier.delete(&role_key(&prefix, name))?;
                        Ok(Reply::NoContent)
                    }
                    _ => Err(VaultError::unsupported_operation()),
                };
            }
            match rest.strip_prefix("creds/") {
                Some(name) if super::userpass::valid_name(name) && writing => {
                    creds(ctx, mount, &prefix, name).await
                }
                Some(name) if super::userpass::valid_name(name) => {
                    Err(VaultError::unsupported_operation())
                }
                _ => Err(VaultError::unsupported_path()),
            }
        }
    }
}

/// `GET check`: whether the pod's environment names the cluster (the plugin looks at
/// nothing else).
fn check() -> VaultResult {
    let missing: Vec<&str> = [HOST_VARIABLE, PORT_VARIABLE]
        .into_iter()
        .filter(|name| std::env::var(name).map_or(true, |v| v.is_empty()))
        .collect();
    if missing.is_empty() {
        return Ok(Reply::NoContent);
    }
    Err(VaultError::bad_request(format!(
        "Missing environment variables: {}",
        missing.join(", ")
    )))
}

/// `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT_HTTPS`, when both are set.
fn host_from_environment() -> Option<String> {
    let host = std::env::var(HOST_VARIABLE)
        .ok()
        .filter(|v| !v.is_empty())?;
    let port = std::env::var(PORT_VARIABLE)
        .ok()
        .filter(|v| !v.is_empty())?;
    Some(format!("https://{host}:{port}"))
}

// ---------------------------------------------------------------- config

fn read_config(ctx: &Ctx<'_>, prefix: &str) -> VaultResult {
    let config = load_config(&ctx.vault.barrier, prefix)?.ok_or_else(VaultError::not_found)?;
    // What was stored, not what it falls back to; the JWT is write-only.
    Ok(Reply::data(json!({
        "disable_local_ca_jwt": config.disable_local_ca_jwt,
        "kubernetes_ca_cert": config.kubernetes_ca_cert,
        "kubernetes_host": config.kubernetes_host,
    })))
}

/// A write changes the fields it names and keeps the rest. Without `kubernetes_host` in
/// the request it fails unless the environment names the cluster — even when a host is
/// stored (the plugin's check looks at the request only).
fn write_config(ctx: &Ctx<'_>, prefix: &str) -> VaultResult {
    let fields = Fields::of(&ctx.request.data);
    let host = fields
        .string("kubernetes_host")
        .map_err(FieldError::validation)?;
    let disable = fields
        .bool("disable_local_ca_jwt")
        .map_err(FieldError::validation)?;
    let ca_cert = fields
        .string("kubernetes_ca_cert")
        .map_err(FieldError::validation)?;
    let jwt = fields
        .string("service_account_jwt")
        .map_err(FieldError::validation)?;
    let _guard = ctx.vault.writes.lock();
    let mut config = load_config(&ctx.vault.barrier, prefix)?.unwrap_or_default();
    match host {
        Some(host) => config.kubernetes_host = host,
        None if host_from_environment().is_none() => {
            return Err(VaultError::internal(multierror(
                "kubernetes_host was unset and could not be determined from environment variables",
            )))
        }
        None => {}
    }
    if let Some(disable) = disable {
        config.disable_local_ca_jwt = disable;
    }
    if let Some(ca_cert) = ca_cert {
        config.kubernetes_ca_cert = ca_cert;
    }
    if let Some(jwt) = jwt {
        config.service_account_jwt = jwt;
    }
    ctx.vault
        .barrier
        .put_json(&format!("{prefix}{CONFIG_KEY}"), &config)?;
    Ok(Reply::NoContent)
}

/// The client a request uses: the stored config completed as the plugin's
/// `configWithDynamicValues` does (the host from the environment; in a pod, and unless
/// `disable_local_ca_jwt`, the pod's token when none is set and the pod's CA, required,
/// when none is set). Errors are the plugin's texts.
fn client(barrier: &Barrier, prefix: &str) -> Result<Client, String> {
    let mut config = load_config(barrier, prefix)
        .map_err(|e| e.errors.join("; "))?
        .ok_or("could not load backend configuration")?;
    if config.kubernetes_host.is_empty() {
        config.kubernetes_host = host_from_environment().ok_or(
            "kubernetes_host was unset and could not determine it from environment variables",
        )?;
    }
    if !config.disable_local_ca_jwt {
        if config.service_account_jwt.is_empty() {
            config.service_account_jwt = std::fs::read_to_string(LOCAL_JWT).unwrap_or_default();
        }
        if config.kubernetes_ca_cert.is_empty() {
            config.kubernetes_ca_cert = read_local_file(LOCAL_CA_CERT)?;
        }
    }
    Client::new(
        &config.kubernetes_host,
        &config.kubernetes_ca_cert,
        &config.service_account_jwt,
    )
}

/// Reads a file of the pod labvault runs in, with Go's error text.
fn read_local_file(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("open {path}: no such file or directory"),
        _ => format!("open {path}: {e}"),
    })
}

// ---------------------------------------------------------------- roles

fn read_role(ctx: &Ctx<'_>, prefix: &str, name: &str) -> VaultResult {
    let role = load_role(&ctx.vault.barrier, prefix, name)?.ok_or_else(VaultError::not_found)?;
    Ok(Reply::data(
        serde_json::to_value(role).expect("a role serializes"),
    ))
}

fn list_roles(ctx: &Ctx<'_>, prefix: &str) -> VaultResult {
    let names = ctx.vault.barrier.list(&format!("{prefix}{ROLES}"))?;
    if names.is_empty() {
        return Err(VaultError::not_found());
    }
    Ok(Reply::data(json!({ "keys": names })))
}

/// The plugin's `pathRolesWrite`: the fields given change the stored role, then the merged
/// role is checked in the plugin's order. Conversion errors come first, without the
/// framework's `Field validation failed` prefix (the path has an existence check).
fn write_role(ctx: &Ctx<'_>, prefix: &str, name: &str) -> VaultResult {
    let name = name.to_lowercase();
    let fields = Fields::of(&ctx.request.data);
    let bad = FieldError::plain;
    let _guard = ctx.vault.writes.lock();
    let mut role = load_role(&ctx.vault.barrier, prefix, &name)?.unwrap_or_else(|| Role {
        name: name.clone(),
        ..Role::default()
    });
    if let Some(namespaces) = fields
        .comma_slice("allowed_kubernetes_namespaces")
        .map_err(bad)?
    {
        role.allowed_kubernetes_namespaces = Some(fields::remove_duplicates(namespaces, true));
    }
    if let Some(selector) = fields
        .string("allowed_kubernetes_namespace_selector")
        .map_err(bad)?
    {
        role.allowed_kubernetes_namespace_selector = selector;
    }
    if let Some(ttl) = fields.duration("token_max_ttl").map_err(bad)? {
        role.token_max_ttl = ttl;
    }
    if let Some(ttl) = fields.duration("token_default_ttl").map_err(bad)? {
        role.token_default_ttl = ttl;
    }
    if let Some(audiences) = fields.comma_slice("token_default_audiences").map_err(bad)? {
        role.token_default_audiences = Some(fields::remove_duplicates(audiences, false));
    }
    let strings = [
        ("service_account_name", &mut role.service_account_name),
        ("kubernetes_role_name", &mut role.kubernetes_role_name),
        ("kubernetes_role_type", &mut role.kubernetes_role_type),
        ("generated_role_rules", &mut role.generated_role_rules),
        ("name_template", &mut role.name_template),
    ];
    for (key, target) in strings {
        if let Some(value) = fields.string(key).map_err(bad)? {
            *target = value;
        }
    }
    if role.kubernetes_role_type.is_empty() {
        role.kubernetes_role_type = "Role".into();
    }
    if let Some(labels) = fields.kv_pairs("extra_labels").map_err(bad)? {
        role.extra_labels = Some(labels);
    }
    if let Some(annotations) = fields.kv_pairs("extra_annotations").map_err(bad)? {
        role.extra_annotations = Some(annotations);
    }
    check_role(&mut role).map_err(VaultError::bad_request)?;
    ctx.vault
        .barrier
        .put_json(&role_key(prefix, &name), &role)?;
    Ok(Reply::NoContent)
}

/// The plugin's checks of a role, in its order and words.
fn check_role(role: &mut Role) -> Result<(), String> {
    if role.namespaces().is_empty() && role.allowed_kubernetes_namespace_selector.is_empty() {
        return Err("one (at least) of allowed_kubernetes_namespaces or allowed_kubernetes_namespace_selector must be set".into());
    }
    let modes = [
        &role.service_account_name,
        &role.kubernetes_role_name,
        &role.generated_role_rules,
    ];
    if modes.iter().filter(|m| !m.is_empty()).count() != 1 {
        return Err("one (and only one) of service_account_name, kubernetes_role_name or generated_role_rules must be set".into());
    }
    if role.token_max_ttl > 0 && role.token_default_ttl > role.token_max_ttl {
        return Err(format!(
            "token_default_ttl {} cannot be greater than token_max_ttl {}",
            go_duration(role.token_default_ttl),
            go_duration(role.token_max_ttl)
        ));
    }
    role.kubernetes_role_type = match role.kubernetes_role_type.to_lowercase().as_str() {
        "role" => "Role".into(),
        "clusterrole" => "ClusterRole".into(),
        _ => return Err("kubernetes_role_type must be either 'Role' or 'ClusterRole'".into()),
    };
    let selector = &role.allowed_kubernetes_namespace_selector;
    if !selector.is_empty() && selector::LabelSelector::parse(selector).is_err() {
        return Err("failed to parse 'allowed_kubernetes_namespace_selector' as k8s.io/api/meta/v1/LabelSelector object".into());
    }
    if !role.generated_role_rules.is_empty()
        && selector::policy_rules(&role.generated_role_rules).is_err()
    {
        return Err(
            "failed to parse 'generated_role_rules' as k8s.io/api/rbac/v1/Policy object".into(),
        );
    }
    name_template(role)
        .map(drop)
        .map_err(|e| format!("unable to initialize name template: {e}"))
}

fn name_template(role: &Role) -> Result<template::Template, String> {
    match role.name_template.as_str() {
        "" => template::Template::parse(template::DEFAULT),
        given => template::Template::parse(given),
    }
}

// ---------------------------------------------------------------- creds

/// What a creds request asks for.
struct CredsRequest {
    namespace: String,
    cluster_role_binding: bool,
    ttl: u64,
    audiences: Vec<String>,
}

const CREDS_FIELDS: &[&str] = &[
    "name",
    "kubernetes_namespace",
    "cluster_role_binding",
    "ttl",
    "audiences",
];

/// A 500 with go-multierror's text: what Vault answers for an error (not an error
/// response) from a handler.
fn failure(text: impl AsRef<str>) -> VaultError {
    VaultError::internal(multierror(text.as_ref()))
}

/// The plugin's `pathCredentialsRead`: role, namespace, binding kind, then the objects and
/// the token, under a lease.
async fn creds(ctx: &Ctx<'_>, mount: &MountEntry, prefix: &str, name: &str) -> VaultResult {
    let fields = Fields::of(&ctx.request.data);
    let invalid = FieldError::validation;
    let namespace = fields.string("kubernetes_namespace").map_err(invalid)?;
    let cluster_role_binding = fields.bool("cluster_role_binding").map_err(invalid)?;
    let ttl = fields.duration("ttl").map_err(invalid)?;
    let audiences = fields.comma_slice("audiences").map_err(invalid)?;
    let name = name.to_lowercase();
    let role = load_role(&ctx.vault.barrier, prefix, &name)?
        .ok_or_else(|| VaultError::bad_request(format!("role '{name}' does not exist")))?;
    let mut request = CredsRequest {
        namespace: namespace.unwrap_or_default(),
        cluster_role_binding: cluster_role_binding.unwrap_or(false),
        ttl: ttl.unwrap_or(0),
        audiences: audiences.unwrap_or_default(),
    };
    let allowed = namespace_allowed(&ctx.vault.barrier, prefix, &role, &mut request)
        .await
        .map_err(|e| failure(format!("error verifying namespace: {e}")))?;
    if !allowed {
        return Err(VaultError::bad_request(format!("kubernetes_namespace '{}' is not present in role's allowed_kubernetes_namespaces or does not match role's label selector allowed_kubernetes_namespace_selector", request.namespace)));
    }
    if request.cluster_role_binding && role.kubernetes_role_type == "Role" {
        return Err(VaultError::bad_request(
            "a ClusterRoleBinding cannot ref a Role",
        ));
    }
    let mut reply = create_creds(ctx, mount, prefix, &role, &request).await?;
    let unknown = fields.unknown(CREDS_FIELDS);
    if !unknown.is_empty() {
        reply.warnings.push(format!(
            "Endpoint ignored these unrecognized parameters: [{}]",
            unknown.join(" ")
        ));
    }
    Ok(Reply::Secret(Box::new(reply)))
}

/// The plugin's `isValidKubernetesNamespace`: the listed namespaces (or `*`), else the
/// namespace's labels against the selector — either will do.
async fn namespace_allowed(
    barrier: &Barrier,
    prefix: &str,
    role: &Role,
    request: &mut CredsRequest,
) -> Result<bool, String> {
    if request.namespace.is_empty() {
        let only = role.single_namespace().ok_or(
            // Vault's wording; OpenBao's says "OpenBao role" (a listed difference).
            "'kubernetes_namespace' is required unless the Vault role has a single namespace specified",
        )?;
        request.namespace = only.to_string();
        return Ok(true);
    }
    let listed = role.namespaces();
    if listed.iter().any(|n| n == "*" || *n == request.namespace) {
        return Ok(true);
    }
    if role.allowed_kubernetes_namespace_selector.is_empty() {
        return Ok(false);
    }
    let selector = selector::LabelSelector::parse(&role.allowed_kubernetes_namespace_selector)?;
    let client = client(barrier, prefix)?;
    let labels = client
        .namespace_labels(&request.namespace)
        .await
        .map_err(|e| e.to_string())?;
    selector.matches(&labels)
}

/// The mount's default and maximum lease TTLs (its own, else the system's).
fn mount_ttls(mount: &MountEntry) -> (u64, u64) {
    let or = |ttl: u64, system: u64| if ttl == 0 { system } else { ttl };
    (
        or(mount.config.default_lease_ttl, SYSTEM_DEFAULT_TTL),
        or(mount.config.max_lease_ttl, SYSTEM_MAX_TTL),
    )
}

/// The plugin's `createCreds`.
async fn create_creds(
    ctx: &Ctx<'_>,
    mount: &MountEntry,
    prefix: &str,
    role: &Role,
    request: &CredsRequest,
) -> VaultResult<SecretReply> {
    let client = client(&ctx.vault.barrier, prefix).map_err(failure)?;
    let template = name_template(role)
        .map_err(|e| failure(format!("unable to initialize name template: {e}")))?;
    let generated = template
        .generate(&template::Data {
            display_name: &ctx.caller()?.entry.display_name,
            role_name: &role.name,
        })
        .map_err(|e| failure(format!("failed to generate name: {e}")))?;
    let (ttl, mut warnings) = lease_ttl(mount, role, request);
    let audiences = if request.audiences.is_empty() {
        role.token_default_audiences.clone().unwrap_or_default()
    } else {
        request.audiences.clone()
    };
    let maker = Maker {
        client: &client,
        barrier: &ctx.vault.barrier,
        prefix,
        role,
        request,
        generated: &generated,
        labels: role.extra_labels.clone().unwrap_or_default(),
    };
    let created = maker.make(ttl, &audiences).await.map_err(failure)?;
    let mut secret_ttl = ttl;
    let token_ttl = token_lifetime(&created.token).map_err(|e| {
        failure(format!(
            "failed to read TTL of created Kubernetes token for {}/{generated}: {e}",
            request.namespace
        ))
    })?;
    if token_ttl > ttl {
        warnings.push(format!("the created Kubernetes service accout token TTL {} is greater than the Vault lease TTL {}", go_duration(token_ttl), go_duration(ttl)));
    } else if token_ttl < ttl {
        warnings.push(format!("the created Kubernetes service accout token TTL {} is less than the Vault lease TTL {}; capping the lease TTL accordingly", go_duration(token_ttl), go_duration(ttl)));
        secret_ttl = token_ttl;
    }
    // Everything was made: nothing to roll back.
    if let Some(id) = &created.wal_id {
        wal::delete(&ctx.vault.barrier, prefix, id)
            .map_err(|e| failure(format!("error deleting WAL: {e}")))?;
    }
    Ok(SecretReply {
        data: json!({
            "service_account_name": created.service_account,
            "service_account_namespace": request.namespace,
            "service_account_token": created.token,
        }),
        warnings,
        secret: Secret {
            kind: KUBE_TOKEN.into(),
            ttl: secret_ttl,
            max_ttl: role.token_max_ttl,
            renewable: false,
            internal: created.internal(role, request),
        },
        lease_id: String::new(),
    })
}

/// The TTL asked for (the request's, the role's default, the mount's default), capped by
/// the role's and the mount's maximum, with the plugin's warnings.
fn lease_ttl(mount: &MountEntry, role: &Role, request: &CredsRequest) -> (u64, Vec<String>) {
    let (mount_default, mount_max) = mount_ttls(mount);
    let mut ttl = match (request.ttl, role.token_default_ttl) {
        (0, 0) => mount_default,
        (0, default) => default,
        (asked, _) => asked,
    };
    let mut warnings = Vec::new();
    if role.token_max_ttl > 0 && ttl > role.token_max_ttl {
        warnings.push(format!(
            "ttl of {} is greater than the role's token_max_ttl of {}; capping accordingly",
            go_duration(ttl),
            go_duration(role.token_max_ttl)
        ));
        ttl = role.token_max_ttl;
    }
    if ttl > mount_max {
        // Vault's wording; OpenBao's says "OpenBao's max lease ttl".
        warnings.push(format!(
            "ttl of {} is greater than Vault's max lease ttl {}; capping accordingly",
            go_duration(ttl),
            go_duration(mount_max)
        ));
        ttl = mount_max;
    }
    (ttl, warnings)
}

/// What one creds request made in the cluster.
struct Created {
    token: String,
    service_account: String,
    created_service_account: String,
    created_binding: String,
    created_role: String,
    /// The write-ahead log's note, removed once the request has succeeded.
    wal_id: Option<String>,
}

impl Created {
    fn for_existing(token: String, account: &str) -> Created {
        Created {
            token,
            service_account: account.to_string(),
            created_service_account: String::new(),
            created_binding: String::new(),
            created_role: String::new(),
            wal_id: None,
        }
    }

    fn for_generated(token: String, name: &str, role_too: bool, wal_id: String) -> Created {
        Created {
            token,
            service_account: name.to_string(),
            created_service_account: name.to_string(),
            created_binding: name.to_string(),
            created_role: if role_too {
                name.to_string()
            } else {
                String::new()
            },
            wal_id: Some(wal_id),
        }
    }

    /// What revoking needs (the plugin's lease internal data).
    fn internal(&self, role: &Role, request: &CredsRequest) -> Map<String, Value> {
        let internal = json!({
            "role": role.name,
            "service_account_namespace": request.namespace,
            "cluster_role_binding": request.cluster_role_binding,
            "created_service_account": self.created_service_account,
            "created_role_binding": self.created_binding,
            "created_role": self.created_role,
            "created_role_type": role.kubernetes_role_type,
        });
        internal.as_object().cloned().unwrap_or_default()
    }
}

/// Where a creds request makes its objects: the cluster, the mount's storage (for the
/// write-ahead log), the role, the request and the generated name.
struct Maker<'a> {
    client: &'a Client,
    barrier: &'a Barrier,
    prefix: &'a str,
    role: &'a Role,
    request: &'a CredsRequest,
    generated: &'a str,
    labels: BTreeMap<String, String>,
}

impl Maker<'_> {
    fn ns(&self) -> &str {
        &self.request.namespace
    }

    /// An object under the generated name, in the request's namespace unless cluster-wide.
    fn object(&self, cluster_scoped: bool, owner: Option<Owner>) -> Object {
        Object {
            name: self.generated.to_string(),
            namespace: (!cluster_scoped).then(|| self.ns().to_string()),
            owner,
        }
    }

    async fn token(&self, account: &str, ttl: u64, audiences: &[String]) -> Result<String, String> {
        self.client
            .create_token(self.ns(), account, ttl, audiences)
            .await
            .map_err(|e: KubeError| {
                format!(
                    "failed to create a service account token for {}/{account}: {e}",
                    self.ns()
                )
            })
    }

    /// The objects and the token, in the plugin's order for each kind of role. A failure
    /// leaves what was already made, and the note in the write-ahead log that rolls it back.
    async fn make(&self, ttl: u64, audiences: &[String]) -> Result<Created, String> {
        let role = self.role;
        if !role.service_account_name.is_empty() {
            let token = self
                .token(&role.service_account_name, ttl, audiences)
                .await?;
            return Ok(Created::for_existing(token, &role.service_account_name));
        }
        let generating = !role.generated_role_rules.is_empty();
        let (wal_id, bound_role, role_owner) = if generating {
            let (wal_id, owner) = self.generate_role().await?;
            (wal_id, self.generated.to_string(), Some(owner))
        } else {
            let made = wal::Made::Binding {
                namespace: self.ns().to_string(),
                name: self.generated.to_string(),
                is_cluster: self.request.cluster_role_binding,
            };
            let wal_id = wal::put(self.barrier, self.prefix, made)
                .map_err(|e| format!("error writing role binding WAL: {e}"))?;
            (wal_id, role.kubernetes_role_name.clone(), None)
        };
        let binding_owner = self.bind(&bound_role, role_owner.clone()).await?;
        // The service account is owned by the generated role, else by the binding.
        let account = self.object(false, Some(role_owner.unwrap_or(binding_owner)));
        self.client
            .create_service_account(&account.meta(&self.labels, role))
            .await
            .map_err(|e| {
                format!(
                    "failed to create service account '{}/{}': {e}",
                    self.ns(),
                    self.generated
                )
            })?;
        let token = self.token(self.generated, ttl, audiences).await?;
        Ok(Created::for_generated(
            token,
            self.generated,
            generating,
            wal_id,
        ))
    }

    /// The Role or ClusterRole from the role's rules, noted in the write-ahead log first.
    async fn generate_role(&self) -> Result<(String, Owner), String> {
        let role = self.role;
        let failed = |e: &dyn std::fmt::Display| {
            format!(
                "failed to create Role/ClusterRole '{}/{}: {e}",
                self.ns(),
                self.generated
            )
        };
        let made = wal::Made::Role {
            namespace: self.ns().to_string(),
            name: self.generated.to_string(),
            role_type: role.kubernetes_role_type.clone(),
        };
        let wal_id = wal::put(self.barrier, self.prefix, made)
            .map_err(|e| format!("error writing service account WAL: {e}"))?;
        let rules = selector::policy_rules(&role.generated_role_rules).map_err(|e| failed(&e))?;
        let target = self.object(role.kubernetes_role_type == "ClusterRole", None);
        let owner = self
            .client
            .create_role(&target.meta(&self.labels, role), &rules)
            .await
            .map_err(|e| failed(&e))?;
        Ok((wal_id, owner))
    }

    /// The RoleBinding (or, when asked, ClusterRoleBinding) of the generated account to
    /// `bound_role`, a roleRef of the role's `kubernetes_role_type`.
    async fn bind(&self, bound_role: &str, owner: Option<Owner>) -> Result<Owner, String> {
        let binding = self.object(self.request.cluster_role_binding, owner);
        self.client
            .create_binding(
                &binding.meta(&self.labels, self.role),
                self.ns(),
                &self.role.kubernetes_role_type,
                bound_role,
            )
            .await
            .map_err(|e| {
                format!(
                    "failed to create RoleBinding/ClusterRoleBinding '{}' for {bound_role}: {e}",
                    self.generated
                )
            })
    }
}

/// One object to create: its name, namespace (none: cluster-scoped) and owner.
struct Object {
    name: String,
    namespace: Option<String>,
    owner: Option<Owner>,
}

impl Object {
    fn meta<'a>(&'a self, labels: &'a BTreeMap<String, String>, role: &'a Role) -> Meta<'a> {
        Meta {
            name: &self.name,
            namespace: self.namespace.as_deref(),
            labels,
            annotations: role.extra_annotations.as_ref(),
            owner: self.owner.as_ref(),
        }
    }
}

/// `exp - iat` of a TokenRequest token, read without verifying it (the plugin's
/// `getTokenTTL`).
fn token_lifetime(token: &str) -> Result<u64, String> {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err("go-jose/go-jose: compact JWS format must have three parts".into());
    }
    let decode = |part: &str| -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    };
    let header = decode(parts[0])?;
    let algorithm = header["alg"].as_str().unwrap_or_default();
    if !JWT_ALGORITHMS.contains(&algorithm) {
        return Err(format!(
            "go-jose/go-jose: unexpected signature algorithm \"{algorithm}\"; expected {JWT_ALGORITHMS:?}"
        ));
    }
    let claims = decode(parts[1])?;
    let claim = |key: &str| claims[key].as_f64().unwrap_or(0.0) as i64;
    Ok((claim("exp") - claim("iat")).max(0) as u64)
}

// ---------------------------------------------------------------- revoke

/// The periodic rollback of the mount's write-ahead log (Vault's rollback manager runs it
/// every minute). Without a usable config there is nothing it can do yet.
async fn roll_back(vault: &Unsealed, mount: &MountEntry) {
    let prefix = Table::Secret.data_prefix(&mount.uuid);
    let Ok(client) = client(&vault.barrier, &prefix) else {
        return;
    };
    if let Err(error) = wal::roll_back(&vault.barrier, &prefix, &client).await {
        tracing::error!(
            "rolling back the write-ahead log of {}: {error}",
            mount.path
        );
    }
}

/// The plugin's `kubeTokenRevoke`: deletes the generated Role, the binding, then the service
/// account (each only if this lease created it; one already gone is no error). All three
/// are tried; as in the plugin, a failed Role or service-account delete replaces the errors
/// gathered so far rather than adding to them.
async fn revoke(vault: &Unsealed, mount: &MountEntry, secret: &Secret) -> Result<(), String> {
    let client = client(&vault.barrier, &Table::Secret.data_prefix(&mount.uuid))?;
    let text = |key: &str| {
        secret
            .internal
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let ns = text("service_account_namespace");
    let cluster = secret.internal.get("cluster_role_binding") == Some(&Value::Bool(true));
    let (account, binding, role, role_kind) = (
        text("created_service_account"),
        text("created_role_binding"),
        text("created_role"),
        text("created_role_type"),
    );
    let mut errors: Vec<String> = Vec::new();
    if !role.is_empty() {
        if let Err(e) = client
            .delete(&Client::role_path(&ns, &role, &role_kind))
            .await
        {
            errors = vec![format!("failed to delete {role_kind} '{ns}/{role}': {e}")];
        }
    }
    if !binding.is_empty() {
        if let Err(e) = client
            .delete(&Client::binding_path(&ns, &binding, cluster))
            .await
        {
            let kind = if cluster {
                "ClusterRoleBinding"
            } else {
                "RoleBinding"
            };
            errors.push(format!("failed to delete {kind} '{ns}/{binding}: {e}"));
        }
    }
    if !account.is_empty() {
        if let Err(e) = client
            .delete(&Client::service_account_path(&ns, &account))
            .await
        {
            errors = vec![format!(
                "failed to delete ServiceAccount '{ns}/{account}': {e}"
            )];
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(multierror(&errors[0])),
        n => Err(format!(
            "{n} errors occurred:\n{}\n\n",
            errors
                .iter()
                .map(|e| format!("\t* {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        )),
    }
}
