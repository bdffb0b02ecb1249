//! The KV secrets engine, version 1 and version 2, with Vault's paths and semantics.
//!
//! Storage under the mount's prefix: v1 entries at `data/PATH` (the JSON map as written);
//! v2 secrets at `versioned/PATH`, one record holding the key's metadata and its versions;
//! the v2 mount configuration at `config`.

use super::{ready, Backend, Pending};
use crate::{
    core::{Caller, Ctx, Unsealed},
    mounts::{MountEntry, Table},
    reply::{Reply, VaultError, VaultResult},
    request::{Operation, Params},
    seal::barrier::Barrier,
    storage::StorageResult,
    ttl::{go_duration, parse_duration, SYSTEM_DEFAULT_TTL},
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const V1_DATA: &str = "data/";
const V2_SECRETS: &str = "versioned/";
const V2_CONFIG: &str = "config";
const DEFAULT_MAX_VERSIONS: u64 = 10;

/// A point in time, kept as nanoseconds since the epoch.
type Nanos = i64;

fn now() -> Nanos {
    Utc::now().timestamp_nanos_opt().unwrap_or_default()
}

fn render_time(at: Nanos) -> String {
    DateTime::from_timestamp_nanos(at).to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn render_optional_time(at: Option<Nanos>) -> String {
    at.map(render_time).unwrap_or_default()
}

fn key_path(prefix: &str, area: &str, path: &str) -> String {
    format!("{prefix}{area}{path}")
}

fn list_reply(keys: Vec<String>) -> VaultResult {
    if keys.is_empty() {
        return Err(VaultError::not_found());
    }
    Ok(Reply::data(json!({ "keys": keys })))
}

pub struct Kv;

impl Backend for Kv {
    fn table(&self) -> Table {
        Table::Secret
    }

    fn kind(&self) -> &'static str {
        "kv"
    }

    fn exists(
        &self,
        vault: &Unsealed,
        mount: &MountEntry,
        rest: &str,
        _caller: &Caller,
    ) -> VaultResult<Option<bool>> {
        let prefix = Table::Secret.data_prefix(&mount.uuid);
        Ok(exists(&vault.barrier, &prefix, mount, rest)?)
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        mount: &'a MountEntry,
        rest: &'a str,
    ) -> Pending<'a, VaultResult> {
        let prefix = Table::Secret.data_prefix(&mount.uuid);
        ready(handle(ctx, &prefix, mount, rest))
    }
}

/// `Some(exists)` for paths whose writes are create-or-update.
fn exists(
    barrier: &Barrier,
    prefix: &str,
    mount: &MountEntry,
    rest: &str,
) -> StorageResult<Option<bool>> {
    if mount.kv_version() == 1 {
        return Ok(Some(
            barrier.get(&key_path(prefix, V1_DATA, rest))?.is_some(),
        ));
    }
    let secret = rest
        .strip_prefix("data/")
        .or_else(|| rest.strip_prefix("metadata/"));
    match secret {
        Some(path) if !path.is_empty() => Ok(Some(
            barrier.get(&key_path(prefix, V2_SECRETS, path))?.is_some(),
        )),
        _ => Ok(None),
    }
}

fn handle(ctx: &Ctx<'_>, prefix: &str, mount: &MountEntry, rest: &str) -> VaultResult {
    if mount.kv_version() == 2 {
        return V2 {
            ctx,
            barrier: &ctx.vault.barrier,
            prefix,
        }
        .handle(rest);
    }
    let barrier = &ctx.vault.barrier;
    let data = &ctx.request.data;
    match ctx.request.operation {
        Operation::List => list_reply(barrier.list(&key_path(prefix, V1_DATA, rest))?),
        Operation::Read => {
            let stored: Map<String, Value> = barrier
                .get_json(&key_path(prefix, V1_DATA, rest))?
                .ok_or_else(VaultError::not_found)?;
            let lease = lease_of(&stored, mount);
            Ok(Reply::Envelope {
                status: 200,
                data: Some(Value::Object(stored)),
                auth: None,
                warnings: vec![],
                lease_duration: lease,
                renewable: false,
            })
        }
        Operation::Create | Operation::Update => {
            if rest.is_empty() {
                return Err(VaultError::bad_request("missing path"));
            }
            if data.is_empty() {
                return Err(VaultError::bad_request("missing data fields"));
            }
            barrier.put_json(&key_path(prefix, V1_DATA, rest), data)?;
            Ok(Reply::NoContent)
        }
        Operation::Delete => {
            barrier.delete(&key_path(prefix, V1_DATA, rest))?;
            Ok(Reply::NoContent)
        }
        Operation::Patch => Err(VaultError::unsupported_operation()),
    }
}

/// KV v2 decodes a version's JSON into Go's `interface{}` (path_data.go: `json.Unmarshal`),
/// so every number comes back as a float64: integers beyond 2^53 lose their last digits,
/// `1.0` reads back as `1`. labvault stores what Vault would read back. (KV v1 decodes with
/// `UseNumber` and keeps numbers exactly.)
fn as_go_json_numbers(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .map(|(key, value)| (key, as_go_json_number(value)))
        .collect()
}

fn as_go_json_number(value: Value) -> Value {
    match value {
        Value::Number(number) => float64_number(number.as_f64().unwrap_or_default()),
        Value::Array(items) => Value::Array(items.into_iter().map(as_go_json_number).collect()),
        Value::Object(map) => Value::Object(as_go_json_numbers(map)),
        other => other,
    }
}

/// A float64 as Go's JSON encoder writes it: whole numbers below 1e21 without a fraction.
fn float64_number(float: f64) -> Value {
    const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0; // 2^53
    if float.fract() == 0.0 && float.abs() <= EXACT_INTEGERS {
        return Value::from(float as i64);
    }
    serde_json::Number::from_f64(float).map_or(Value::Null, Value::Number)
}

/// KV v1 reads carry a lease: the `ttl` (or legacy `lease`) field, else the mount default.
fn lease_of(stored: &Map<String, Value>, mount: &MountEntry) -> u64 {
    let from_field = ["ttl", "lease"]
        .iter()
        .find_map(|key| match stored.get(*key) {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => parse_duration(s).ok(),
            _ => None,
        });
    from_field.unwrap_or(if mount.config.default_lease_ttl == 0 {
        SYSTEM_DEFAULT_TTL
    } else {
        mount.config.default_lease_ttl
    })
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct MountSettings {
    max_versions: u64,
    cas_required: bool,
    /// Seconds; negative disables `delete_version_after` for all keys.
    delete_version_after: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Version {
    created: Nanos,
    deletion: Option<Nanos>,
    destroyed: bool,
    data: Option<Map<String, Value>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Secret {
    created: Nanos,
    updated: Nanos,
    current_version: u64,
    oldest_version: u64,
    max_versions: u64,
    cas_required: bool,
    delete_version_after: i64,
    custom_metadata: Option<BTreeMap<String, String>>,
    versions: BTreeMap<u64, Version>,
}

impl Secret {
    fn new(at: Nanos) -> Secret {
        Secret {
            created: at,
            updated: at,
            current_version: 0,
            oldest_version: 0,
            max_versions: 0,
            cas_required: false,
            delete_version_after: 0,
            custom_metadata: None,
            versions: BTreeMap::new(),
        }
    }

    fn version_metadata(&self, number: u64, version: &Version) -> Value {
        json!({
            "created_time": render_time(version.created),
            "custom_metadata": self.custom_metadata,
            "deletion_time": render_optional_time(version.deletion),
            "destroyed": version.destroyed,
            "version": number,
        })
    }

    fn metadata(&self) -> Value {
        let versions: Map<String, Value> = self
            .versions
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    json!({
                        "created_time": render_time(v.created),
                        "deletion_time": render_optional_time(v.deletion),
                        "destroyed": v.destroyed,
                    }),
                )
            })
            .collect();
        json!({
            "cas_required": self.cas_required,
            "created_time": render_time(self.created),
            "current_version": self.current_version,
            "custom_metadata": self.custom_metadata,
            "delete_version_after": signed_go_duration(self.delete_version_after),
            "max_versions": self.max_versions,
            "oldest_version": self.oldest_version,
            "updated_time": render_time(self.updated),
            "versions": versions,
        })
    }
}

fn signed_go_duration(seconds: i64) -> String {
    if seconds < 0 {
        "-1s".into()
    } else {
        go_duration(seconds as u64)
    }
}

fn is_deleted(version: &Version, at: Nanos) -> bool {
    version.deletion.is_some_and(|d| d <= at)
}

/// Whether a read reaches a version's data (see `V2::data_with_trailing_slash`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum VersionData {
    Found,
    Unreachable,
}

/// The KV v2 handlers for one request.
struct V2<'a> {
    ctx: &'a Ctx<'a>,
    barrier: &'a Barrier,
    prefix: &'a str,
}

impl V2<'_> {
    fn handle(&self, rest: &str) -> VaultResult {
        let op = self.ctx.request.operation;
        let (area, path) = rest.split_once('/').unwrap_or((rest, ""));
        match (area, path) {
            ("config", "") => self.config(op),
            ("data", p) if !p.is_empty() && !p.ends_with('/') && op != Operation::List => self.data(op, p),
            ("data", p) if p.len() > 1 && op != Operation::List => self.data_with_trailing_slash(op, p),
            ("metadata", p) if op == Operation::List => list_reply(self.barrier.list(&key_path(self.prefix, V2_SECRETS, p))?),
            ("metadata", p) if !p.is_empty() && !p.ends_with('/') => self.metadata(op, p),
            // Vault's encrypted key storage drops a trailing empty segment: `app/` is `app`.
            ("metadata", p) if p.len() > 1 => self.metadata(op, p.trim_end_matches('/')),
            ("delete" | "undelete" | "destroy", p) if !p.is_empty() && matches!(op, Operation::Create | Operation::Update) => {
                self.change_versions(area, p)
            }
            ("subkeys", p) if !p.is_empty() && op == Operation::Read => self.subkeys(p),
            ("data" | "metadata" | "delete" | "undelete" | "destroy", "") if !rest.ends_with('/') => Ok(invalid_path(
                "Non-listing operations on the root of a K/V v2 mount are not supported.".into(),
            )),
            _ => Ok(invalid_path(format!(
                "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv {}' for this operation.",
                cli_verb(op)
            ))),
        }
    }

    fn settings(&self) -> VaultResult<MountSettings> {
        Ok(self
            .barrier
            .get_json(&format!("{}{V2_CONFIG}", self.prefix))?
            .unwrap_or_default())
    }

    fn load(&self, path: &str) -> VaultResult<Option<Secret>> {
        Ok(self
            .barrier
            .get_json(&key_path(self.prefix, V2_SECRETS, path))?)
    }

    fn save(&self, path: &str, secret: &Secret) -> VaultResult<()> {
        Ok(self
            .barrier
            .put_json(&key_path(self.prefix, V2_SECRETS, path), secret)?)
    }

    fn config(&self, op: Operation) -> VaultResult {
        let data = &self.ctx.request.data;
        match op {
            Operation::Read => {
                let settings = self.settings()?;
                Ok(Reply::data(json!({
                    "cas_required": settings.cas_required,
                    "delete_version_after": signed_go_duration(settings.delete_version_after),
                    "max_versions": settings.max_versions,
                })))
            }
            Operation::Create | Operation::Update => {
                let _guard = self.ctx.vault.writes.lock();
                let mut settings = self.settings()?;
                if let Some(max) = data.u64("max_versions").map_err(VaultError::bad_request)? {
                    settings.max_versions = max;
                }
                if let Some(cas) = data.bool("cas_required").map_err(VaultError::bad_request)? {
                    settings.cas_required = cas;
                }
                if let Some(dva) = signed_duration(data, "delete_version_after")? {
                    settings.delete_version_after = if dva < 0 { -1 } else { dva };
                }
                self.barrier
                    .put_json(&format!("{}{V2_CONFIG}", self.prefix), &settings)?;
                Ok(Reply::NoContent)
            }
            _ => Err(VaultError::unsupported_operation()),
        }
    }

    /// `data/app/`: Vault finds the metadata of `app` (its encrypted key storage drops the
    /// trailing empty segment) but salts the version key from `app/`, which holds nothing —
    /// so a delete marks `app`'s latest version and a read of a live version fails (500).
    fn data_with_trailing_slash(&self, op: Operation, path: &str) -> VaultResult {
        let key = path.trim_end_matches('/');
        match op {
            Operation::Read => self.read(key, VersionData::Unreachable),
            Operation::Delete => self.delete_latest(key),
            _ => Err(VaultError::unsupported_operation()),
        }
    }

    fn data(&self, op: Operation, path: &str) -> VaultResult {
        match op {
            Operation::Read => self.read(path, VersionData::Found),
            Operation::Create | Operation::Update | Operation::Patch => {
                self.write(path, op == Operation::Patch)
            }
            Operation::Delete => self.delete_latest(path),
            Operation::List => Err(VaultError::unsupported_operation()),
        }
    }

    fn read(&self, path: &str, version_data: VersionData) -> VaultResult {
        let requested = self
            .ctx
            .request
            .data
            .u64("version")
            .map_err(VaultError::bad_request)?
            .unwrap_or(0);
        let secret = self.load(path)?.ok_or_else(VaultError::not_found)?;
        let number = if requested == 0 {
            secret.current_version
        } else {
            requested
        };
        let version = secret
            .versions
            .get(&number)
            .ok_or_else(VaultError::not_found)?;
        let metadata = secret.version_metadata(number, version);
        if version.destroyed || is_deleted(version, now()) {
            return Ok(Reply::data(json!({ "data": null, "metadata": metadata })).with_status(404));
        }
        if version_data == VersionData::Unreachable {
            return Err(VaultError::internal(crate::reply::multierror(
                "could not find version data",
            )));
        }
        Ok(Reply::data(
            json!({ "data": version.data, "metadata": metadata }),
        ))
    }

    /// A write, or (with `patch`) a JSON merge patch onto the current version.
    fn write(&self, path: &str, patch: bool) -> VaultResult {
        let request = &self.ctx.request.data;
        // `"data": null` is given data to Vault's framework (GetOk finds the key): it makes
        // a version whose data reads back as null. Only a missing key is "no data".
        let given = match request.get("data") {
            Some(Value::Object(map)) => Some(map.clone()),
            Some(Value::Null) => None,
            None => return Err(VaultError::bad_request("no data provided")),
            Some(_) => return Err(VaultError::bad_request("data must be an object")),
        };
        let cas = cas_option(request)?;
        let _guard = self.ctx.vault.writes.lock();
        let settings = self.settings()?;
        let at = now();
        let existing = self.load(path)?;
        if patch && existing.is_none() {
            return Ok(Reply::Bodiless(404));
        }
        let mut secret = existing.unwrap_or_else(|| Secret::new(at));
        check_cas(&secret, &settings, cas)?;
        let new_data = if patch {
            let Some(current) = secret.versions.get(&secret.current_version) else {
                return Ok(Reply::Bodiless(404));
            };
            if current.destroyed || is_deleted(current, at) {
                return Ok(
                    Reply::data(secret.version_metadata(secret.current_version, current))
                        .with_status(404),
                );
            }
            let mut merged = Value::Object(current.data.clone().unwrap_or_default());
            merge_patch(&mut merged, &Value::Object(given.unwrap_or_default()));
            match merged {
                Value::Object(map) => Some(map),
                _ => Some(Map::new()),
            }
        } else {
            given
        };
        let number = add_version(&mut secret, &settings, new_data, at);
        self.save(path, &secret)?;
        let version = &secret.versions[&number];
        Ok(Reply::data(secret.version_metadata(number, version)))
    }

    fn delete_latest(&self, path: &str) -> VaultResult {
        let _guard = self.ctx.vault.writes.lock();
        let Some(mut secret) = self.load(path)? else {
            return Ok(Reply::NoContent);
        };
        let at = now();
        let current = secret.current_version;
        if let Some(version) = secret.versions.get_mut(&current) {
            if !version.destroyed && !is_deleted(version, at) {
                version.deletion = Some(at);
                self.save(path, &secret)?;
            }
        }
        Ok(Reply::NoContent)
    }

    /// `delete/`, `undelete/` and `destroy/` with `{"versions": [...]}`.
    fn change_versions(&self, action: &str, path: &str) -> VaultResult {
        let versions = int_list(&self.ctx.request.data, "versions")?;
        if versions.is_empty() {
            let message = if action == "destroy" {
                "no version number provided"
            } else {
                "No version number provided"
            };
            return Err(VaultError::bad_request(message));
        }
        let _guard = self.ctx.vault.writes.lock();
        let Some(mut secret) = self.load(path)? else {
            return Ok(Reply::NoContent);
        };
        let settings = self.settings()?;
        let at = now();
        let undelete_deadline = deletion_deadline(&secret, &settings, at);
        for number in versions {
            let Some(version) = secret.versions.get_mut(&number) else {
                continue;
            };
            if version.destroyed {
                continue;
            }
            match action {
                "delete" if !is_deleted(version, at) => version.deletion = Some(at),
                "undelete" => version.deletion = undelete_deadline,
                "destroy" => {
                    version.destroyed = true;
                    version.data = None;
                }
                _ => {}
            }
        }
        self.save(path, &secret)?;
        Ok(Reply::NoContent)
    }

    fn metadata(&self, op: Operation, path: &str) -> VaultResult {
        match op {
            Operation::Read => Ok(Reply::data(
                self.load(path)?
                    .ok_or_else(VaultError::not_found)?
                    .metadata(),
            )),
            Operation::Create | Operation::Update | Operation::Patch => {
                self.write_metadata(path, op == Operation::Patch)
            }
            Operation::Delete => {
                let _guard = self.ctx.vault.writes.lock();
                self.barrier
                    .delete(&key_path(self.prefix, V2_SECRETS, path))?;
                Ok(Reply::NoContent)
            }
            Operation::List => Err(VaultError::unsupported_operation()),
        }
    }

    fn write_metadata(&self, path: &str, patch: bool) -> VaultResult {
        let data = &self.ctx.request.data;
        let fields = [
            "max_versions",
            "cas_required",
            "delete_version_after",
            "custom_metadata",
        ];
        let _guard = self.ctx.vault.writes.lock();
        let existing = self.load(path)?;
        if patch && existing.is_none() {
            return Ok(Reply::Bodiless(404));
        }
        if !fields.iter().any(|f| data.has(f)) {
            return Ok(Reply::NoContent);
        }
        let mut secret = existing.unwrap_or_else(|| Secret::new(now()));
        if let Some(max) = data.u64("max_versions").map_err(VaultError::bad_request)? {
            secret.max_versions = max;
        }
        if let Some(cas) = data.bool("cas_required").map_err(VaultError::bad_request)? {
            secret.cas_required = cas;
        }
        if let Some(dva) = signed_duration(data, "delete_version_after")? {
            if dva < 0 {
                return Err(VaultError::bad_request(format!(
                    "cannot provide negative value '{dva}'"
                )));
            }
            secret.delete_version_after = dva;
        }
        if data.has("custom_metadata") {
            secret.custom_metadata = custom_metadata(&secret, data.get("custom_metadata"), patch)?;
        }
        self.save(path, &secret)?;
        let settings = self.settings()?;
        if settings.cas_required && data.bool("cas_required").ok().flatten() == Some(false) {
            return Ok(Reply::Envelope { status: 200, data: None, auth: None, warnings: vec![
                "\"cas_required\" set to false, but is mandated by backend config. This value will be ignored.".into(),
            ], lease_duration: 0, renewable: false });
        }
        Ok(Reply::NoContent)
    }

    fn subkeys(&self, path: &str) -> VaultResult {
        let data = &self.ctx.request.data;
        let requested = data
            .u64("version")
            .map_err(VaultError::bad_request)?
            .unwrap_or(0);
        let depth = data
            .u64("depth")
            .map_err(VaultError::bad_request)?
            .unwrap_or(0);
        let secret = self.load(path)?.ok_or_else(VaultError::not_found)?;
        let number = if requested == 0 {
            secret.current_version
        } else {
            requested
        };
        let version = secret
            .versions
            .get(&number)
            .ok_or_else(VaultError::not_found)?;
        let metadata = secret.version_metadata(number, version);
        if version.destroyed || is_deleted(version, now()) {
            return Ok(
                Reply::data(json!({ "subkeys": null, "metadata": metadata })).with_status(404),
            );
        }
        let values = version.data.clone().unwrap_or_default();
        Ok(Reply::data(
            json!({ "subkeys": subkeys_of(&values, depth, 1), "metadata": metadata }),
        ))
    }
}

fn cli_verb(op: Operation) -> &'static str {
    match op {
        Operation::Create | Operation::Update => "put",
        Operation::Patch => "patch",
        Operation::Read => "get",
        Operation::List => "list",
        Operation::Delete => "delete",
    }
}

/// Vault's answer to a path a v2 mount does not serve: 404 with a warning in the body.
fn invalid_path(warning: String) -> Reply {
    Reply::Envelope {
        status: 404,
        data: None,
        auth: None,
        warnings: vec![warning],
        lease_duration: 0,
        renewable: false,
    }
}

fn cas_option(request: &Map<String, Value>) -> VaultResult<Option<u64>> {
    let Some(options) = request.get("options") else {
        return Ok(None);
    };
    let Some(cas) = options.get("cas") else {
        return Ok(None);
    };
    match cas {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| VaultError::bad_request("error parsing check-and-set parameter")),
        Value::String(s) => s
            .parse()
            .map(Some)
            .map_err(|_| VaultError::bad_request("error parsing check-and-set parameter")),
        _ => Err(VaultError::bad_request(
            "error parsing check-and-set parameter",
        )),
    }
}

fn check_cas(secret: &Secret, settings: &MountSettings, cas: Option<u64>) -> VaultResult<()> {
    match cas {
        Some(expected) if expected != secret.current_version => Err(VaultError::bad_request(
            "check-and-set parameter did not match the current version",
        )),
        None if settings.cas_required || secret.cas_required => Err(VaultError::bad_request(
            "check-and-set parameter required for this call",
        )),
        _ => Ok(()),
    }
}

/// When a new (or undeleted) version is to be deleted: the smallest non-zero of the mount's
/// and the key's `delete_version_after`, unless the mount disables it.
fn deletion_deadline(secret: &Secret, settings: &MountSettings, at: Nanos) -> Option<Nanos> {
    if settings.delete_version_after < 0 {
        return None;
    }
    let after = [settings.delete_version_after, secret.delete_version_after]
        .into_iter()
        .filter(|d| *d > 0)
        .min()?;
    Some(at + after * 1_000_000_000)
}

/// Appends a version and prunes beyond the effective `max_versions` (the larger of the
/// mount's and the key's, 10 when neither is set). Returns the new version's number.
fn add_version(
    secret: &mut Secret,
    settings: &MountSettings,
    data: Option<Map<String, Value>>,
    at: Nanos,
) -> u64 {
    secret.current_version += 1;
    let number = secret.current_version;
    let deletion = deletion_deadline(secret, settings, at);
    secret.versions.insert(
        number,
        Version {
            created: at,
            deletion,
            destroyed: false,
            data: data.map(as_go_json_numbers),
        },
    );
    secret.updated = at;
    let mut keep = settings.max_versions.max(secret.max_versions);
    if keep == 0 {
        keep = DEFAULT_MAX_VERSIONS;
    }
    if number - secret.oldest_version >= keep {
        let last_pruned = number - keep;
        secret.versions.retain(|n, _| *n > last_pruned);
        secret.oldest_version = last_pruned + 1;
    }
    number
}

/// RFC 7396 JSON merge patch: objects merge recursively, `null` removes, others replace.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let target_map = target.as_object_mut().expect("made an object above");
    for (key, value) in patch_map {
        if value.is_null() {
            target_map.remove(key);
        } else {
            merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// The keys of `map`, which sit at `depth` (the top level is 1), with every value replaced
/// by null. Non-empty objects below are followed while their keys' depth stays within
/// `max_depth` (0: no limit); deeper ones are shown as null, like leaves.
fn subkeys_of(map: &Map<String, Value>, max_depth: u64, depth: u64) -> Value {
    Value::Object(
        map.iter()
            .map(|(key, value)| {
                let shown = match value {
                    Value::Object(inner)
                        if !inner.is_empty() && (max_depth == 0 || depth < max_depth) =>
                    {
                        subkeys_of(inner, max_depth, depth + 1)
                    }
                    _ => Value::Null,
                };
                (key.clone(), shown)
            })
            .collect(),
    )
}

fn signed_duration(data: &Map<String, Value>, key: &str) -> VaultResult<Option<i64>> {
    match data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| VaultError::bad_request(format!("{key}: expected an integer"))),
        Some(Value::String(s)) if s.starts_with('-') => parse_duration(&s[1..])
            .map(|d| Some(-(d as i64)))
            .map_err(VaultError::bad_request),
        Some(_) => data
            .duration(key)
            .map(|d| d.map(|d| d as i64))
            .map_err(VaultError::bad_request),
    }
}

fn int_list(data: &Map<String, Value>, key: &str) -> VaultResult<Vec<u64>> {
    let invalid = || VaultError::bad_request(format!("{key}: expected a list of integers"));
    match data.get(key) {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Number(n) => n.as_u64().ok_or_else(invalid),
                Value::String(s) => s.trim().parse().map_err(|_| invalid()),
                _ => Err(invalid()),
            })
            .collect(),
        Some(Value::Number(n)) => n.as_u64().map(|n| vec![n]).ok_or_else(invalid),
        Some(Value::String(s)) => s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| p.trim().parse().map_err(|_| invalid()))
            .collect(),
        Some(_) => Err(invalid()),
    }
}

/// Validates (Vault's limits) and applies `custom_metadata`: a write replaces the map; a
/// patch merges it, `null` removing a key.
fn custom_metadata(
    secret: &Secret,
    given: Option<&Value>,
    patch: bool,
) -> VaultResult<Option<BTreeMap<String, String>>> {
    let given = match given {
        None | Some(Value::Null) => {
            return Ok(if patch {
                secret.custom_metadata.clone()
            } else {
                None
            })
        }
        Some(Value::Object(map)) => map,
        Some(_) => return Err(VaultError::bad_request("custom_metadata must be a map")),
    };
    let mut result = if patch {
        secret.custom_metadata.clone().unwrap_or_default()
    } else {
        BTreeMap::new()
    };
    for (key, value) in given {
        match value {
            Value::Null => {
                result.remove(key);
            }
            Value::String(s) => {
                result.insert(key.clone(), s.clone());
            }
            other => {
                result.insert(key.clone(), other.to_string());
            }
        }
    }
    validate_custom_metadata(&result)?;
    Ok(Some(result))
}

fn validate_custom_metadata(map: &BTreeMap<String, String>) -> VaultResult<()> {
    let wrap = |problems: Vec<String>| {
        let count = problems.len();
        let items: String = problems
            .iter()
            .map(|p| format!("\t* custom_metadata validation failed: {p}\n"))
            .collect();
        let header = if count == 1 {
            "1 error occurred:".to_string()
        } else {
            format!("{count} errors occurred:")
        };
        VaultError::bad_request(format!("{header}\n{items}\n"))
    };
    if map.len() > 64 {
        return Err(wrap(vec![format!(
            "payload must contain at most 64 keys, provided {}",
            map.len()
        )]));
    }
    let mut problems = Vec::new();
    for (key, value) in map {
        if key.is_empty() || key.len() > 128 {
            problems.push(format!(
                "length of key {key:?} is {} but must be 0 < len(key) <= 128",
                key.len()
            ));
        }
        if value.is_empty() || value.len() > 512 {
            problems.push(format!(
                "length of value for key {key:?} is {} but must be 0 < len(value) <= 512",
                value.len()
            ));
        }
        if key.chars().any(|c| c.is_control()) {
            problems.push(format!(
                "key {key:?} ({key}) contains unprintable characters"
            ));
        }
        if value.chars().any(|c| c.is_control()) {
            problems.push(format!(
                "value for key {key:?} contains unprintable characters"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(wrap(problems))
    }
}

/// Turns a v1 mount's entries into v2 secrets, each as version 1 (tuning `version` to 2).
pub fn upgrade_to_v2(barrier: &Barrier, prefix: &str) -> StorageResult<()> {
    fn walk(barrier: &Barrier, prefix: &str, folder: &str) -> StorageResult<()> {
        for child in barrier.list(&key_path(prefix, V1_DATA, folder))? {
            let path = format!("{folder}{child}");
            if child.ends_with('/') {
                walk(barrier, prefix, &path)?;
                continue;
            }
            let Some(data) =
                barrier.get_json::<Map<String, Value>>(&key_path(prefix, V1_DATA, &path))?
            else {
                continue;
            };
            let at = now();
            let mut secret = Secret::new(at);
            add_version(&mut secret, &MountSettings::default(), Some(data), at);
            barrier.put_json(&key_path(prefix, V2_SECRETS, &path), &secret)?;
            barrier.delete(&key_path(prefix, V1_DATA, &path))?;
        }
        Ok(())
    }
    walk(barrier, prefix, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn pruning_keeps_the_newest_versions() {
        let mut secret = Secret::new(0);
        let settings = MountSettings {
            max_versions: 2,
            ..Default::default()
        };
        for i in 1..=4 {
            add_version(&mut secret, &settings, Some(map(json!({ "i": i }))), i);
        }
        assert_eq!(
            secret.versions.keys().copied().collect::<Vec<_>>(),
            vec![3, 4]
        );
        assert_eq!(secret.oldest_version, 3);
        assert_eq!(secret.current_version, 4);
    }

    #[test]
    fn the_larger_max_versions_wins_and_ten_is_the_default() {
        let mut secret = Secret::new(0);
        secret.max_versions = 3;
        let settings = MountSettings {
            max_versions: 5,
            ..Default::default()
        };
        for i in 1..=7 {
            add_version(&mut secret, &settings, Some(Map::new()), i);
        }
        assert_eq!(secret.versions.len(), 5);
        let mut fresh = Secret::new(0);
        for i in 1..=12 {
            add_version(&mut fresh, &MountSettings::default(), Some(Map::new()), i);
        }
        assert_eq!(fresh.versions.len(), 10);
        assert_eq!(fresh.oldest_version, 3);
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({ "a": "b", "c": { "d": "e", "f": "g" }, "keep": 1 });
        merge_patch(
            &mut target,
            &json!({ "a": "z", "c": { "f": null }, "new": [1, 2] }),
        );
        assert_eq!(
            target,
            json!({ "a": "z", "c": { "d": "e" }, "keep": 1, "new": [1, 2] })
        );
    }

    #[test]
    fn subkeys_replace_leaves_with_null() {
        let value =
            map(json!({ "foo": "x", "bar": { "baz": 1, "deep": { "x": 1 } }, "empty": {} }));
        assert_eq!(
            subkeys_of(&value, 0, 1),
            json!({ "foo": null, "bar": { "baz": null, "deep": { "x": null } }, "empty": null })
        );
        assert_eq!(
            subkeys_of(&value, 1, 1),
            json!({ "foo": null, "bar": null, "empty": null })
        );
        assert_eq!(
            subkeys_of(&value, 2, 1),
            json!({ "foo": null, "bar": { "baz": null, "deep": null }, "empty": null })
        );
    }

    #[test]
    fn cas_rules() {
        let mut secret = Secret::new(0);
        let settings = MountSettings::default();
        assert!(check_cas(&secret, &settings, Some(0)).is_ok());
        add_version(&mut secret, &settings, Some(Map::new()), 1);
        assert_eq!(
            check_cas(&secret, &settings, Some(0)).unwrap_err().errors[0],
            "check-and-set parameter did not match the current version"
        );
        let required = MountSettings {
            cas_required: true,
            ..Default::default()
        };
        assert_eq!(
            check_cas(&secret, &required, None).unwrap_err().errors[0],
            "check-and-set parameter required for this call"
        );
    }

    #[test]
    fn custom_metadata_limits() {
        let long_value: BTreeMap<String, String> = [("k".to_string(), "v".repeat(513))].into();
        let error = validate_custom_metadata(&long_value).unwrap_err().errors[0].clone();
        assert!(error.starts_with("1 error occurred:\n\t* custom_metadata validation failed: length of value for key \"k\" is 513"), "{error}");
    }
}
