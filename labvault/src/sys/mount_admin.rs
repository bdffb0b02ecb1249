//! `sys/mounts` and `sys/auth`: list, enable, read, tune and disable secrets engines and
//! auth methods. One implementation for both tables; their differences are in [`Kind`].

use crate::{
    backends,
    core::Ctx,
    mounts::{normalize_mount_path, MountConfig, MountEntry, Table},
    reply::{Reply, VaultError, VaultResult},
    request::{Operation, Params},
    ttl::{SYSTEM_DEFAULT_TTL, SYSTEM_MAX_TTL},
};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// How the two tables differ in words and rules.
pub struct Kind {
    table: Table,
    /// `secret engine` / `auth engine`, as Vault's messages say.
    noun: &'static str,
    protected: &'static [&'static str],
    singletons: &'static [&'static str],
}

pub fn secrets() -> Kind {
    Kind {
        table: Table::Secret,
        noun: "secret engine mount",
        protected: &["audit/", "auth/", "sys/", "cubbyhole/", "identity/"],
        singletons: &["cubbyhole", "system", "token", "identity"],
    }
}

pub fn auth() -> Kind {
    Kind {
        table: Table::Auth,
        noun: "auth engine",
        protected: &["token/"],
        singletons: &["token"],
    }
}

pub fn list(ctx: &Ctx<'_>, kind: Kind) -> VaultResult {
    match ctx.request.operation {
        Operation::Read => {}
        // A LIST asks for `sys/mounts/`, which neither `mounts$` nor `mounts/(?P<path>.+)`
        // matches in Vault's system backend: no such path, not a wrong operation.
        Operation::List => return Err(VaultError::unsupported_path()),
        _ => return Err(VaultError::unsupported_operation()),
    }
    let mounts = ctx.vault.mounts.read();
    let data: Map<String, Value> = mounts
        .entries(kind.table)
        .iter()
        .map(|m| (m.path.clone(), m.to_json()))
        .collect();
    Ok(Reply::data(Value::Object(data)))
}

/// `sys/mounts/:path[/tune]` and `sys/auth/:path[/tune]`.
pub async fn route(ctx: &Ctx<'_>, kind: Kind, path: &str) -> VaultResult {
    if let Some(mount_path) = path.strip_suffix("/tune") {
        // `sys/mounts/auth/x/tune` tunes an auth method without needing sudo.
        return match (kind.table, mount_path.strip_prefix("auth/")) {
            (Table::Secret, Some(auth_path)) => tune(ctx, auth(), auth_path),
            _ => tune(ctx, kind, mount_path),
        };
    }
    match ctx.request.operation {
        Operation::Read => read(ctx, kind, path),
        Operation::Create | Operation::Update => enable(ctx, kind, path),
        Operation::Delete => disable(ctx, kind, path).await,
        _ => Err(VaultError::unsupported_operation()),
    }
}

fn read(ctx: &Ctx<'_>, kind: Kind, path: &str) -> VaultResult {
    let mounts = ctx.vault.mounts.read();
    let found = match kind.table {
        Table::Secret => mounts
            .route(Table::Secret, &normalize_mount_path(path))
            .map(|(m, _)| m),
        Table::Auth => mounts.find(Table::Auth, path),
    };
    match found {
        Some(mount) => Ok(Reply::data(mount.to_json())),
        None => Err(VaultError::bad_request(format!(
            "No {} at {}",
            kind.noun,
            normalize_mount_path(path)
        ))),
    }
}

/// `type` with Vault's aliases resolved: `kv-v2` is `kv` version 2. `generic` stays as
/// it is, as in Vault: it is served by the KV engine (`backends::engine`) but reported as
/// `generic`, and takes no `version`.
fn resolve_type(requested: &str, options: &mut BTreeMap<String, String>) -> String {
    match requested {
        "kv-v1" => {
            options.insert("version".into(), "1".into());
            "kv".into()
        }
        "kv-v2" => {
            options.insert("version".into(), "2".into());
            "kv".into()
        }
        other => other.to_string(),
    }
}

fn enable(ctx: &Ctx<'_>, kind: Kind, path: &str) -> VaultResult {
    let data = &ctx.request.data;
    let path = normalize_mount_path(path);
    if path == "/" {
        return Err(VaultError::bad_request("backend path must be specified"));
    }
    let requested = data
        .string("type")
        .map_err(|_| VaultError::bad_request("backend type must be specified as a string"))?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| VaultError::bad_request("backend type must be specified as a string"))?;
    let mut options: BTreeMap<String, String> = options_of(data)?;
    let mount_type = resolve_type(&requested, &mut options);
    check_enable_allowed(&kind, &path, &mount_type, &options)?;
    let mut entry = MountEntry::new(
        &path,
        &mount_type,
        &data
            .string("description")
            .map_err(VaultError::bad_request)?
            .unwrap_or_default(),
    );
    if kind.table == Table::Auth {
        entry.accessor = format!("auth_{}", entry.accessor);
        entry.config.token_type = "default-service".into();
    }
    if let Some(config) = data.object("config").map_err(|_| {
        VaultError::bad_request(format!(
            "unable to convert given {} config information",
            if kind.table == Table::Auth {
                "auth"
            } else {
                "mount"
            }
        ))
    })? {
        apply_config(&mut entry.config, &config, kind.table, check_ttls)?;
    }
    // The framework gives an absent `options` as an empty map, so every mount enabled
    // through the API lists `"options": {}`; only the built-in mounts have null.
    entry.options = Some(options);
    entry.local = data
        .bool("local")
        .map_err(VaultError::bad_request)?
        .unwrap_or(false);
    entry.seal_wrap = data
        .bool("seal_wrap")
        .map_err(VaultError::bad_request)?
        .unwrap_or(false);
    entry.external_entropy_access = data
        .bool("external_entropy_access")
        .map_err(VaultError::bad_request)?
        .unwrap_or(false);

    let _guard = ctx.vault.writes.lock();
    let mut mounts = ctx.vault.mounts.write();
    if let Some(existing) = mounts.conflicting(kind.table, &path) {
        return Err(VaultError::bad_request(format!(
            "path is already in use at {}",
            existing.path
        )));
    }
    mounts.entries_mut(kind.table).push(entry);
    mounts.save(&ctx.vault.barrier, kind.table)?;
    tracing::info!(
        "enabled {} {mount_type} at {}{path}",
        kind.noun,
        kind.table.request_prefix()
    );
    Ok(Reply::NoContent)
}

fn check_enable_allowed(
    kind: &Kind,
    path: &str,
    mount_type: &str,
    options: &BTreeMap<String, String>,
) -> VaultResult<()> {
    if kind.table == Table::Auth && mount_type == "token" {
        return Err(VaultError::bad_request(
            "token credential backend cannot be instantiated",
        ));
    }
    if kind.protected.iter().any(|p| path.starts_with(p)) {
        return Err(VaultError::bad_request(format!("cannot mount \"{path}\"")));
    }
    if kind.singletons.contains(&mount_type) {
        return Err(VaultError::bad_request(format!(
            "mount type of \"{mount_type}\" is not mountable"
        )));
    }
    if !backends::in_catalog(kind.table, mount_type) {
        // Vault's own text for a type it does not know: clients look for it.
        return Err(VaultError::bad_request(format!(
            "plugin not found in the catalog: {mount_type}"
        )));
    }
    if options.contains_key("version") && mount_type != "kv" {
        let noun = if kind.table == Table::Auth {
            "auth method"
        } else {
            "secrets engine"
        };
        return Err(VaultError::bad_request(format!(
            "{noun} \"{mount_type}\" does not allow setting a version"
        )));
    }
    if let Some(version) = options.get("version") {
        if !matches!(version.as_str(), "1" | "2") {
            return Err(VaultError::bad_request(format!(
                "invalid version provided: {version}"
            )));
        }
    }
    Ok(())
}

fn options_of(data: &Map<String, Value>) -> VaultResult<BTreeMap<String, String>> {
    let Some(options) = data.object("options").map_err(VaultError::bad_request)? else {
        return Ok(BTreeMap::new());
    };
    options
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            Value::Number(n) => Ok((k, n.to_string())),
            Value::Bool(b) => Ok((k, b.to_string())),
            _ => Err(VaultError::bad_request(format!(
                "options: {k} must be a string"
            ))),
        })
        .collect()
}

/// A lease TTL setting: seconds, a duration string, or `"system"` (0: the system default).
fn ttl_setting(config: &Map<String, Value>, key: &str, label: &str) -> VaultResult<Option<u64>> {
    match config.get(key) {
        Some(Value::String(s)) if s == "system" || s.is_empty() => Ok(Some(0)),
        Some(_) => config.duration(key).map_err(|_| {
            VaultError::bad_request(format!(
                "unable to parse {label} of {}: invalid duration",
                config.string(key).ok().flatten().unwrap_or_default()
            ))
        }),
        None => Ok(None),
    }
}

/// Applies the settings given; `check_ttls` is the enable or the tune check, whose
/// conditions and texts differ in Vault (`handleMount` vs `handleTuneWriteCommon`).
fn apply_config(
    config: &mut MountConfig,
    given: &Map<String, Value>,
    table: Table,
    check_ttls: fn(&MountConfig) -> VaultResult<()>,
) -> VaultResult<()> {
    if let Some(ttl) = ttl_setting(given, "default_lease_ttl", "default TTL")? {
        config.default_lease_ttl = ttl;
    }
    if let Some(ttl) = ttl_setting(given, "max_lease_ttl", "max TTL")? {
        config.max_lease_ttl = ttl;
    }
    check_ttls(config)?;
    if let Some(v) = given
        .bool("force_no_cache")
        .map_err(VaultError::bad_request)?
    {
        config.force_no_cache = v;
    }
    if let Some(visibility) = given
        .string("listing_visibility")
        .map_err(VaultError::bad_request)?
    {
        if !matches!(visibility.as_str(), "" | "hidden" | "unauth") {
            return Err(VaultError::bad_request(format!(
                "invalid listing_visibility {visibility}"
            )));
        }
        config.listing_visibility = visibility;
    }
    if let Some(token_type) = given
        .string("token_type")
        .map_err(VaultError::bad_request)?
    {
        if table != Table::Auth {
            return Err(VaultError::bad_request(
                "'token_type' can only be modified on auth mounts",
            ));
        }
        if !matches!(
            token_type.as_str(),
            "default-service" | "default-batch" | "service" | "batch"
        ) {
            return Err(VaultError::bad_request("invalid value for 'token_type'"));
        }
        config.token_type = token_type;
    }
    let lists = [
        (
            "audit_non_hmac_request_keys",
            &mut config.audit_non_hmac_request_keys,
        ),
        (
            "audit_non_hmac_response_keys",
            &mut config.audit_non_hmac_response_keys,
        ),
        (
            "passthrough_request_headers",
            &mut config.passthrough_request_headers,
        ),
        (
            "allowed_response_headers",
            &mut config.allowed_response_headers,
        ),
    ];
    for (key, target) in lists {
        if let Some(values) = given.strings(key).map_err(VaultError::bad_request)? {
            *target = values;
        }
    }
    Ok(())
}

fn check_ttls(config: &MountConfig) -> VaultResult<()> {
    let (default, max) = (config.default_lease_ttl, config.max_lease_ttl);
    if max != 0 && default > max {
        return Err(VaultError::bad_request(
            "given default lease TTL greater than given max lease TTL",
        ));
    }
    if max == 0 && default > SYSTEM_MAX_TTL {
        return Err(VaultError::bad_request(format!(
            "given default lease TTL greater than system max lease TTL of {SYSTEM_MAX_TTL}"
        )));
    }
    Ok(())
}

/// Tuning only refuses a max below the default when both are set.
fn check_tuned_ttls(config: &MountConfig) -> VaultResult<()> {
    let (default, max) = (config.default_lease_ttl, config.max_lease_ttl);
    if default != 0 && max != 0 && max < default {
        return Err(VaultError::bad_request(format!(
            "backend max lease TTL of {max} would be less than backend default lease TTL of {default}"
        )));
    }
    Ok(())
}

async fn disable(ctx: &Ctx<'_>, kind: Kind, path: &str) -> VaultResult {
    let path = normalize_mount_path(path);
    if kind.table == Table::Secret {
        // Disabling an engine revokes its leases first, as Vault's unmount does for every
        // engine (each secret taken back by the engine's `revoke`); if one cannot be
        // revoked, the engine stays.
        super::leases::revoke_under(ctx, &path, true, false).await?;
    }
    if kind.table == Table::Auth && path == "token/" {
        return Err(VaultError::bad_request(
            "token credential backend cannot be disabled",
        ));
    }
    if kind.table == Table::Secret && ["sys/", "cubbyhole/", "identity/"].contains(&path.as_str()) {
        return Err(VaultError::bad_request(format!(
            "cannot unmount \"{path}\""
        )));
    }
    let _guard = ctx.vault.writes.lock();
    let removed = {
        let mut mounts = ctx.vault.mounts.write();
        let entries = mounts.entries_mut(kind.table);
        let Some(index) = entries.iter().position(|m| m.path == path) else {
            // Vault answers success for a missing mount, so as not to reveal which exist.
            return Ok(Reply::NoContent);
        };
        let removed = entries.remove(index);
        mounts.save(&ctx.vault.barrier, kind.table)?;
        removed
    };
    if kind.table == Table::Auth {
        let revoked = ctx
            .vault
            .tokens()
            .revoke_by_path_prefix(&format!("auth/{path}"))?;
        tracing::info!("disabled auth method at auth/{path}; revoked {revoked} tokens it issued");
    } else {
        tracing::info!("disabled secrets engine at {path}");
    }
    ctx.vault
        .barrier
        .delete_tree(&kind.table.data_prefix(&removed.uuid))?;
    Ok(Reply::NoContent)
}

fn tune(ctx: &Ctx<'_>, kind: Kind, path: &str) -> VaultResult {
    let path = normalize_mount_path(path);
    let protected = ["cubbyhole/", "sys/", "audit/", "identity/"];
    if kind.table == Table::Secret && protected.iter().any(|p| path.starts_with(p)) {
        return Err(VaultError::bad_request(format!("cannot tune \"{path}\"")));
    }
    match ctx.request.operation {
        Operation::Read => {
            let mounts = ctx.vault.mounts.read();
            let mount = mounts.find(kind.table, &path).ok_or_else(|| {
                VaultError::bad_request(format!(
                    "cannot fetch sysview for path \"{}{path}\"",
                    kind.table.request_prefix()
                ))
            })?;
            Ok(Reply::data(tune_view(mount, kind.table)))
        }
        Operation::Create | Operation::Update => write_tune(ctx, kind, &path),
        _ => Err(VaultError::unsupported_operation()),
    }
}

/// Effective settings, as `GET …/tune` shows them.
fn tune_view(mount: &MountEntry, table: Table) -> Value {
    let effective = |ttl: u64, system: u64| if ttl == 0 { system } else { ttl };
    let mut view = json!({
        "description": mount.description,
        "default_lease_ttl": effective(mount.config.default_lease_ttl, SYSTEM_DEFAULT_TTL),
        "max_lease_ttl": effective(mount.config.max_lease_ttl, SYSTEM_MAX_TTL),
        "force_no_cache": mount.config.force_no_cache,
    });
    if table == Table::Auth {
        view["token_type"] = json!(mount.config.token_type);
    }
    if !mount.config.listing_visibility.is_empty() {
        view["listing_visibility"] = json!(mount.config.listing_visibility);
    }
    if let Some(options) = mount.options.as_ref().filter(|o| !o.is_empty()) {
        view["options"] = json!(options);
    }
    let lists = [
        (
            "audit_non_hmac_request_keys",
            &mount.config.audit_non_hmac_request_keys,
        ),
        (
            "audit_non_hmac_response_keys",
            &mount.config.audit_non_hmac_response_keys,
        ),
        (
            "passthrough_request_headers",
            &mount.config.passthrough_request_headers,
        ),
        (
            "allowed_response_headers",
            &mount.config.allowed_response_headers,
        ),
    ];
    for (key, values) in lists {
        if !values.is_empty() {
            view[key] = json!(values);
        }
    }
    view
}

fn write_tune(ctx: &Ctx<'_>, kind: Kind, path: &str) -> VaultResult {
    let data = &ctx.request.data;
    let _guard = ctx.vault.writes.lock();
    let mut mounts = ctx.vault.mounts.write();
    let Some(mount) = mounts
        .entries_mut(kind.table)
        .iter_mut()
        .find(|m| m.path == path)
    else {
        return Err(VaultError::bad_request(format!(
            "tune of path \"{}{path}\" failed: no mount entry found",
            kind.table.request_prefix()
        )));
    };
    let mut updated = mount.clone();
    if kind.table == Table::Auth && path == "token/" && data.has("token_type") {
        return Err(VaultError::bad_request(
            "'token_type' cannot be set for 'token' or 'ns_token' auth mounts",
        ));
    }
    apply_config(&mut updated.config, data, kind.table, check_tuned_ttls)?;
    if let Some(description) = data
        .string("description")
        .map_err(VaultError::bad_request)?
    {
        updated.description = description;
    }
    let mut warning = None;
    let mut upgrade_to_v2 = false;
    if data.has("options") {
        let options = options_of(data)?;
        let mut merged = updated.options.clone().unwrap_or_default();
        for (key, value) in options {
            if key == "version" {
                if updated.kind != "kv" {
                    return Err(VaultError::bad_request(format!(
                        "secrets engine \"{}\" does not allow setting a version",
                        updated.kind
                    )));
                }
                match (updated.kv_version(), value.as_str()) {
                    (2, "1") => {
                        return Err(VaultError::bad_request(
                            "cannot downgrade mount from version 2",
                        ))
                    }
                    (1, "2") => {
                        upgrade_to_v2 = true;
                        warning = Some("Upgrading mount from version 1 to version 2. This mount will be unavailable for a brief period and will resume service shortly.");
                    }
                    (_, "1" | "2") => {}
                    (_, other) => {
                        return Err(VaultError::bad_request(format!(
                            "invalid version provided: {other}"
                        )))
                    }
                }
                merged.insert(key, value);
            } else if value.is_empty() {
                merged.remove(&key);
            } else {
                merged.insert(key, value);
            }
        }
        updated.options = (!merged.is_empty()).then_some(merged);
    }
    if upgrade_to_v2 {
        backends::kv::upgrade_to_v2(&ctx.vault.barrier, &kind.table.data_prefix(&updated.uuid))?;
    }
    *mount = updated;
    mounts.save(&ctx.vault.barrier, kind.table)?;
    Ok(match warning {
        Some(text) => Reply::Envelope {
            status: 200,
            data: None,
            auth: None,
            warnings: vec![text.into()],
            lease_duration: 0,
            renewable: false,
        },
        None => Reply::NoContent,
    })
}
