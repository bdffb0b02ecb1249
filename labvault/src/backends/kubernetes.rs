//! The Kubernetes auth method (Vault's vault-plugin-auth-kubernetes): a `config` naming the
//! cluster's API, roles binding service-account names and namespaces to token settings, and
//! a login that reads the service account from the JWT's claims, checks it against the role,
//! and asks the cluster's TokenReview API whether the JWT is genuine and current.

mod jwt;
mod review;

use super::{token_params::TokenParams, Backend, Pending};
use crate::{
    core::{Caller, Ctx, Unsealed},
    mounts::{MountEntry, Table},
    reply::{Reply, VaultError, VaultResult},
    request::{Operation, Params},
    seal::barrier::Barrier,
    tokens::{LoginInfo, NewToken},
    ttl::{go_duration, now_unix, SYSTEM_MAX_TTL},
};
use jwt::{Jwt, JwtError, PublicKey, ServiceAccount};
use review::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

const CONFIG_KEY: &str = "config";
/// Where a pod finds its own CA and token; Vault uses them unless `disable_local_ca_jwt`.
const LOCAL_CA_CERT: &str = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
const LOCAL_JWT: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

const ALIAS_SOURCE_UID: &str = "serviceaccount_uid";
const ALIAS_SOURCE_NAME: &str = "serviceaccount_name";

/// The deprecated role parameters and their `token_*` successors. Vault keeps the old value
/// only while the old name is used, and reads echo the old names that hold a value.
const LEGACY_NAMES: [(&str, &str); 6] = [
    ("policies", "token_policies"),
    ("ttl", "token_ttl"),
    ("max_ttl", "token_max_ttl"),
    ("period", "token_period"),
    ("num_uses", "token_num_uses"),
    ("bound_cidrs", "token_bound_cidrs"),
];

pub struct KubernetesAuth;

impl Backend for KubernetesAuth {
    fn table(&self) -> Table {
        Table::Auth
    }

    fn kind(&self) -> &'static str {
        "kubernetes"
    }

    fn is_login_path(&self, rest: &str) -> bool {
        rest == "login"
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
        let prefix = Table::Auth.data_prefix(&mount.uuid);
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

    /// The plugin re-checks only that the role still exists; changed policies do not stop
    /// a renewal (the token keeps the policies it was issued with).
    fn renew_login(
        &self,
        ctx: &Ctx<'_>,
        mount: &MountEntry,
        login: &LoginInfo,
        increment: u64,
    ) -> VaultResult<Option<u64>> {
        let prefix = Table::Auth.data_prefix(&mount.uuid);
        if load_role(&ctx.vault.barrier, &prefix, &login.subject)?.is_none() {
            return Err(VaultError::internal(crate::reply::multierror(&format!(
                "failed to renew entry: role {} does not exist during renewal",
                login.subject
            ))));
        }
        Ok(Some(increment))
    }
}

/// `config`, stored as the plugin stores it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Config {
    host: String,
    ca_cert: String,
    token_reviewer_jwt: String,
    pem_keys: Vec<String>,
    issuer: String,
    disable_iss_validation: bool,
    disable_local_ca_jwt: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Role {
    bound_service_account_names: Vec<String>,
    bound_service_account_namespaces: Vec<String>,
    audience: String,
    alias_name_source: String,
    token: TokenParams,
    /// The deprecated names last given (`policies`, `ttl`, …).
    legacy: BTreeSet<String>,
}

fn role_key(prefix: &str, name: &str) -> String {
    format!("{prefix}role/{}", name.to_lowercase())
}

fn load_role(barrier: &Barrier, prefix: &str, name: &str) -> VaultResult<Option<Role>> {
    Ok(barrier.get_json(&role_key(prefix, name))?)
}

fn load_config(ctx: &Ctx<'_>, prefix: &str) -> VaultResult<Option<Config>> {
    Ok(ctx
        .vault
        .barrier
        .get_json(&format!("{prefix}{CONFIG_KEY}"))?)
}

/// The role name in `role/NAME`, when it is one Vault's path pattern accepts.
fn role_name(rest: &str) -> Option<&str> {
    rest.strip_prefix("role/")
        .filter(|name| super::userpass::valid_name(name))
}

async fn handle(ctx: &Ctx<'_>, mount: &MountEntry, rest: &str) -> VaultResult {
    let prefix = Table::Auth.data_prefix(&mount.uuid);
    let op = ctx.request.operation;
    let writing = matches!(op, Operation::Create | Operation::Update);
    match rest {
        "config" if op == Operation::Read => read_config(ctx, &prefix),
        "config" if writing => write_config(ctx, &prefix),
        "login" if writing => login(ctx, mount, &prefix).await,
        "config" | "login" => Err(VaultError::unsupported_operation()),
        "role/" if op == Operation::List => {
            let roles = ctx.vault.barrier.list(&format!("{prefix}role/"))?;
            if roles.is_empty() {
                return Err(VaultError::not_found());
            }
            Ok(Reply::data(json!({ "keys": roles })))
        }
        _ => match role_name(rest) {
            Some(name) => match op {
                Operation::Read => read_role(ctx, &prefix, name),
                Operation::Create | Operation::Update => write_role(ctx, mount, &prefix, name),
                Operation::Delete => {
                    ctx.vault.barrier.delete(&role_key(&prefix, name))?;
                    Ok(Reply::NoContent)
                }
                _ => Err(VaultError::unsupported_operation()),
            },
            None => Err(VaultError::unsupported_path()),
        },
    }
}

fn read_config(ctx: &Ctx<'_>, prefix: &str) -> VaultResult {
    let config = load_config(ctx, prefix)?.ok_or_else(VaultError::not_found)?;
    Ok(Reply::data(json!({
        "kubernetes_host": config.host,
        "kubernetes_ca_cert": config.ca_cert,
        "pem_keys": config.pem_keys,
        "issuer": config.issuer,
        "disable_iss_validation": config.disable_iss_validation,
        "disable_local_ca_jwt": config.disable_local_ca_jwt,
        // Write-only: a read says whether one is set, never what it is.
        "token_reviewer_jwt_set": !config.token_reviewer_jwt.is_empty(),
        "use_annotations_as_alias_metadata": false,
    })))
}

/// A config write replaces the whole config, as Vault's does: a field left out takes its
/// default (so leaving out `token_reviewer_jwt` clears it).
fn write_config(ctx: &Ctx<'_>, prefix: &str) -> VaultResult {
    let data = &ctx.request.data;
    let bad = VaultError::bad_request;
    let text = |key: &str| -> VaultResult<String> {
        Ok(data.string(key).map_err(bad)?.unwrap_or_default())
    };
    let host = text("kubernetes_host")?;
    if host.is_empty() {
        return Err(VaultError::bad_request("no host provided"));
    }
    let config = Config {
        host,
        ca_cert: text("kubernetes_ca_cert")?,
        token_reviewer_jwt: text("token_reviewer_jwt")?,
        pem_keys: data.strings("pem_keys").map_err(bad)?.unwrap_or_default(),
        issuer: text("issuer")?,
        disable_iss_validation: data
            .bool("disable_iss_validation")
            .map_err(bad)?
            .unwrap_or(true),
        disable_local_ca_jwt: data
            .bool("disable_local_ca_jwt")
            .map_err(bad)?
            .unwrap_or(false),
    };
    // Alias metadata from annotations feeds Vault's identity store, which labvault lacks.
    if data
        .bool("use_annotations_as_alias_metadata")
        .map_err(bad)?
        .unwrap_or(false)
    {
        return Err(VaultError::bad_request(
            "use_annotations_as_alias_metadata is not supported by labvault (it has no identity store)",
        ));
    }
    if !config.ca_cert.is_empty() && jwt::pem_blocks(&config.ca_cert).is_empty() {
        return Err(VaultError::bad_request(
            "The provided CA PEM data contains no valid certificates",
        ));
    }
    for pem in &config.pem_keys {
        PublicKey::from_pem(pem).map_err(bad)?;
    }
    // Vault builds its TLS client here, which needs the pod's CA when none is given.
    if config.ca_cert.is_empty() && !config.disable_local_ca_jwt {
        read_local_file(LOCAL_CA_CERT).map_err(bad)?;
    }
    let _guard = ctx.vault.writes.lock();
    ctx.vault
        .barrier
        .put_json(&format!("{prefix}{CONFIG_KEY}"), &config)?;
    Ok(Reply::NoContent)
}

/// Reads a file of the pod labvault runs in, with Go's error text.
fn read_local_file(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("open {path}: no such file or directory"),
        _ => format!("open {path}: {e}"),
    })
}

fn read_role(ctx: &Ctx<'_>, prefix: &str, name: &str) -> VaultResult {
    let role = load_role(&ctx.vault.barrier, prefix, name)?.ok_or_else(VaultError::not_found)?;
    let mut shown = role.token.to_json();
    shown.remove("policies");
    shown.insert(
        "bound_service_account_names".into(),
        json!(role.bound_service_account_names),
    );
    shown.insert(
        "bound_service_account_namespaces".into(),
        json!(role.bound_service_account_namespaces),
    );
    shown.insert("bound_service_account_namespace_selector".into(), json!(""));
    if !role.audience.is_empty() {
        shown.insert("audience".into(), json!(role.audience));
    }
    for (old, new) in LEGACY_NAMES {
        let value = shown[new].clone();
        let holds_value = match &value {
            Value::Array(items) => !items.is_empty(),
            Value::Number(n) => n.as_u64() != Some(0),
            _ => false,
        };
        if role.legacy.contains(old) && holds_value {
            shown.insert(old.into(), value);
        }
    }
    shown.insert("alias_name_source".into(), json!(role.alias_name_source));
    Ok(Reply::data(Value::Object(shown)))
}

/// The system view's maximum lease TTL: the mount's, else the system's.
fn mount_max_ttl(mount: &MountEntry) -> u64 {
    match mount.config.max_lease_ttl {
        0 => SYSTEM_MAX_TTL,
        ttl => ttl,
    }
}

/// The plugin's `pathRoleCreateUpdate`, in its order of checks.
fn write_role(ctx: &Ctx<'_>, mount: &MountEntry, prefix: &str, name: &str) -> VaultResult {
    let data = &ctx.request.data;
    let bad = VaultError::bad_request;
    let _guard = ctx.vault.writes.lock();
    let existing = load_role(&ctx.vault.barrier, prefix, name)?;
    let mut role = existing.unwrap_or_else(|| Role {
        bound_service_account_names: Vec::new(),
        bound_service_account_namespaces: Vec::new(),
        audience: String::new(),
        alias_name_source: String::new(),
        token: TokenParams::default(),
        legacy: BTreeSet::new(),
    });
    role.token.update_from(data)?;
    apply_legacy_names(&mut role, data)?;
    let max_ttl = mount_max_ttl(mount);
    if role.token.period > max_ttl {
        return Err(bad(format!(
            "token period of '{:?}' is greater than the backend's maximum lease TTL of '{:?}'",
            go_duration(role.token.period),
            go_duration(max_ttl)
        )));
    }
    let mut warnings = Vec::new();
    if role.token.max_ttl > max_ttl {
        warnings.push("max_ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated".to_string());
    }
    if let Some(names) = data.strings("bound_service_account_names").map_err(bad)? {
        role.bound_service_account_names = names;
    }
    let names = &role.bound_service_account_names;
    if names.is_empty() {
        return Err(VaultError::bad_request(
            "\"bound_service_account_names\" can not be empty",
        ));
    }
    if names.len() > 1 && names.iter().any(|n| n == "*") {
        return Err(VaultError::bad_request("can not mix \"*\" with values"));
    }
    if let Some(namespaces) = data
        .strings("bound_service_account_namespaces")
        .map_err(bad)?
    {
        role.bound_service_account_namespaces = namespaces;
    }
    if data
        .string("bound_service_account_namespace_selector")
        .map_err(bad)?
        .is_some_and(|s| !s.is_empty())
    {
        return Err(VaultError::bad_request(
            "bound_service_account_namespace_selector is not supported by labvault",
        ));
    }
    let namespaces = &role.bound_service_account_namespaces;
    if namespaces.is_empty() {
        return Err(VaultError::bad_request("\"bound_service_account_namespaces\" can not be empty if \"bound_service_account_namespace_selector\" is not set"));
    }
    if namespaces.len() > 1 && namespaces.iter().any(|n| n == "*") {
        return Err(VaultError::bad_request("can not mix \"*\" with values"));
    }
    if let Some(audience) = data.string("audience").map_err(bad)? {
        role.audience = audience;
    }
    if role.audience.trim().is_empty() {
        // The text of vault-plugin-auth-kubernetes v0.24 (path_role.go), since audiences
        // stay optional from Vault 1.21 on.
        warnings.push(format!("Role {name} does not have an audience configured. While audiences are not required, consider specifying one if your use case would benefit from additional JWT claim verification."));
    }
    // Roles from before alias_name_source existed get the default; an explicit "" on a
    // role that has a source is refused below, as in Vault.
    match data.string("alias_name_source").map_err(bad)? {
        Some(source) if !(source.is_empty() && role.alias_name_source.is_empty()) => {
            role.alias_name_source = source
        }
        _ if role.alias_name_source.is_empty() => role.alias_name_source = ALIAS_SOURCE_UID.into(),
        _ => {}
    }
    if ![ALIAS_SOURCE_UID, ALIAS_SOURCE_NAME].contains(&role.alias_name_source.as_str()) {
        return Err(bad(format!(
            "invalid alias_name_source, must be one of: {ALIAS_SOURCE_UID}, {ALIAS_SOURCE_NAME}"
        )));
    }
    ctx.vault.barrier.put_json(&role_key(prefix, name), &role)?;
    if warnings.is_empty() {
        return Ok(Reply::NoContent);
    }
    // Vault answers a write that only warns with 200, `data` null and the warnings.
    Ok(Reply::Envelope {
        status: 200,
        data: None,
        auth: None,
        warnings,
        lease_duration: 0,
        renewable: false,
    })
}

/// tokenutil's `UpgradeValue` bookkeeping: a deprecated name given alone is remembered; a
/// `token_*` name given without its old one forgets it. TokenParams already took the values;
/// only `num_uses` has no alias there.
fn apply_legacy_names(role: &mut Role, data: &Map<String, Value>) -> VaultResult<()> {
    if !data.has("token_num_uses") {
        if let Some(uses) = data.u64("num_uses").map_err(VaultError::bad_request)? {
            role.token.num_uses = uses;
        }
    }
    for (old, new) in LEGACY_NAMES {
        match (data.has(old), data.has(new)) {
            (true, _) => {
                role.legacy.insert(old.to_string());
            }
            (false, true) => {
                role.legacy.remove(old);
            }
            (false, false) => {}
        }
    }
    Ok(())
}

/// ryanuber/go-glob, which the plugin matches bound names and namespaces with: `*` matches
/// any run of characters, nothing else is special.
pub(crate) fn glob(pattern: &str, subject: &str) -> bool {
    if pattern.is_empty() {
        return subject.is_empty();
    }
    if pattern == "*" {
        return true;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return subject == pattern;
    }
    let leading = pattern.starts_with('*');
    let trailing = pattern.ends_with('*');
    let last = parts.len() - 1;
    let mut rest = subject;
    for (i, part) in parts[..last].iter().enumerate() {
        let Some(at) = rest.find(part) else {
            return false;
        };
        if i == 0 && !leading && at != 0 {
            return false;
        }
        rest = &rest[at + part.len()..];
    }
    trailing || rest.ends_with(parts[last])
}

fn any_glob(patterns: &[String], subject: &str) -> bool {
    patterns.iter().any(|p| glob(p, subject))
}

/// The configuration as a login uses it: in a pod, and unless `disable_local_ca_jwt`, the
/// pod's token reviews when no reviewer JWT is set (best effort, else the client's JWT does),
/// and the pod's CA is trusted when no CA is set (required).
fn connection(config: &Config) -> VaultResult<Connection> {
    let mut connection = Connection {
        host: config.host.clone(),
        ca_cert: config.ca_cert.clone(),
        reviewer_jwt: config.token_reviewer_jwt.clone(),
    };
    if !config.disable_local_ca_jwt {
        if connection.reviewer_jwt.is_empty() {
            connection.reviewer_jwt = read_local_file(LOCAL_JWT).unwrap_or_default();
        }
        if connection.ca_cert.is_empty() {
            connection.ca_cert = read_local_file(LOCAL_CA_CERT).map_err(VaultError::internal)?;
        }
    }
    Ok(connection)
}

/// A required string parameter of the login, with the plugin's `missing …` answer.
fn required(data: &Map<String, Value>, key: &str) -> VaultResult<String> {
    data.string(key)
        .map_err(VaultError::bad_request)?
        .filter(|v| !v.is_empty())
        .ok_or_else(|| VaultError::bad_request(format!("missing {key}")))
}

/// A refusal Vault gives as a bare "permission denied"; the reason goes to the log only, as
/// Vault's does (at debug there; labvault is a lab, so its operator sees it).
fn denied(mount: &MountEntry, role: &str, reason: &str) -> VaultError {
    tracing::warn!(
        "kubernetes login at auth/{} for role {role:?} denied: {reason}",
        mount.path.trim_end_matches('/')
    );
    VaultError::permission_denied()
}

/// The plugin's `pathLogin`: role, config, the JWT's claims and the role's bindings, the
/// TokenReview, then a token.
async fn login(ctx: &Ctx<'_>, mount: &MountEntry, prefix: &str) -> VaultResult {
    let data = &ctx.request.data;
    let role_name = required(data, "role")?;
    let jwt_text = required(data, "jwt")?;
    let role = load_role(&ctx.vault.barrier, prefix, &role_name)?
        .ok_or_else(|| VaultError::bad_request(format!("invalid role name {role_name:?}")))?;
    let config = load_config(ctx, prefix)?
        .ok_or_else(|| VaultError::internal("could not load backend configuration"))?;
    let connection = connection(&config)?;
    let keys = config
        .pem_keys
        .iter()
        .map(|pem| PublicKey::from_pem(pem))
        .collect::<Result<Vec<_>, _>>()
        .map_err(VaultError::internal)?;
    let token = Jwt::parse(&jwt_text).map_err(|e| {
        denied(
            mount,
            &role_name,
            &format!("error verifying token signature: {e}"),
        )
    })?;
    let issuer = (!config.disable_iss_validation && !config.issuer.is_empty())
        .then_some(config.issuer.as_str());
    let audience = (!role.audience.trim().is_empty()).then_some(role.audience.as_str());
    match token.validate(&keys, issuer, audience, now_unix()) {
        Ok(()) => {}
        Err(JwtError::Unverified(reason)) => return Err(denied(mount, &role_name, &reason)),
        Err(JwtError::Claims(text)) => return Err(VaultError::new(403, text)),
    }
    let account = ServiceAccount::from_claims(&token.claims);
    check_bindings(&role, &account)?;
    if account.uid.is_empty() {
        return Err(VaultError::internal("could not parse UID from claims"));
    }
    if role.alias_name_source == ALIAS_SOURCE_NAME
        && (account.namespace.is_empty() || account.name.is_empty())
    {
        return Err(VaultError::internal(
            "service account namespace and name must be set",
        ));
    }
    // Without a role audience the review asks for the token's own audiences. (The plugin
    // tests the untrimmed audience here, unlike for the claim check above.)
    let audiences = if role.audience.is_empty() {
        token.audiences()
    } else {
        vec![role.audience.clone()]
    };
    let reviewed = review::review(&connection, &jwt_text, &audiences)
        .await
        .map_err(|reason| denied(mount, &role_name, &reason))?;
    let mismatch = if reviewed.name != account.name {
        Some("JWT names did not match")
    } else if reviewed.uid != account.uid {
        Some("JWT UIDs did not match")
    } else if reviewed.namespace != account.namespace {
        Some("JWT namepaces did not match")
    } else {
        None
    };
    if let Some(reason) = mismatch {
        return Err(denied(mount, &role_name, reason));
    }
    issue_token(ctx, mount, &role_name, &role, &account)
}

/// The role's bound names, then namespaces; `*` alone means any.
fn check_bindings(role: &Role, account: &ServiceAccount) -> VaultResult<()> {
    let names = &role.bound_service_account_names;
    let any_name = names.len() == 1 && names[0] == "*";
    if !any_name && !any_glob(names, &account.name) {
        return Err(VaultError::new(403, "service account name not authorized"));
    }
    let namespaces = &role.bound_service_account_namespaces;
    let allowed = !namespaces.is_empty()
        && (namespaces[0] == "*" || any_glob(namespaces, &account.namespace));
    if !allowed {
        return Err(VaultError::new(403, "namespace not authorized"));
    }
    Ok(())
}

fn issue_token(
    ctx: &Ctx<'_>,
    mount: &MountEntry,
    role_name: &str,
    role: &Role,
    account: &ServiceAccount,
) -> VaultResult {
    let policies = role.token.token_policies();
    if policies.iter().any(|p| p == "root") {
        return Err(VaultError::bad_request(
            "auth methods cannot create root tokens",
        ));
    }
    let meta = BTreeMap::from([
        ("service_account_uid".to_string(), account.uid.clone()),
        ("service_account_name".to_string(), account.name.clone()),
        (
            "service_account_namespace".to_string(),
            account.namespace.clone(),
        ),
        (
            "service_account_secret_name".to_string(),
            account.secret_name.clone(),
        ),
        ("role".to_string(), role_name.to_string()),
    ]);
    let params = &role.token;
    let (token, entry) = ctx.vault.tokens().create(NewToken {
        id: None,
        policies: policies.clone(),
        path: format!("auth/{}login", mount.path),
        meta,
        // The plugin names the token NAMESPACE-NAME; core puts the mount path in front.
        display_name: super::login_display_name(
            mount,
            &format!("{}-{}", account.namespace, account.name),
        ),
        num_uses: params.num_uses,
        ttl: params.ttl,
        default_ttl: mount.config.default_lease_ttl,
        max_ttl: if params.max_ttl > 0 {
            params.max_ttl
        } else {
            mount.config.max_lease_ttl
        },
        explicit_max_ttl: params.explicit_max_ttl,
        period: params.period,
        renewable: true,
        parent_hash: None,
        no_expiry: false,
        login: Some(LoginInfo {
            mount: mount.path.clone(),
            subject: role_name.to_string(),
            policies,
        }),
    })?;
    Ok(Reply::auth(entry.auth_block(&token)))
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_as_go_glob_does() {
        for (pattern, subject, expected) in [
            ("*", "anything", true),
            ("web", "web", true),
            ("web", "web2", false),
            ("app-*", "app-web", true),
            ("app-*", "db", false),
            ("*-prod", "api-prod", true),
            ("*-prod", "api-prod-2", false),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxc", false),
            ("", "", true),
            ("", "x", false),
        ] {
            assert_eq!(glob(pattern, subject), expected, "{pattern} ~ {subject}");
        }
    }
}
