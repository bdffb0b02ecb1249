//! KV v2 data: read, write and patch a key's versions, delete, undelete and destroy
//! them, and their subkeys.

use super::{
    secret::{add_version, deletion_deadline, now, MountSettings, Secret, Version},
    V2,
};
use crate::{
    reply::{Reply, VaultError, VaultResult},
    request::{Operation, Params},
};
use serde_json::{json, Map, Value};

/// Whether a read reaches a version's data (see `V2::data_with_trailing_slash`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum VersionData {
    Found,
    Unreachable,
}

impl V2<'_> {
    /// `data/app/`: Vault finds the metadata of `app` (its encrypted key storage drops the
    /// trailing empty segment) but salts the version key from `app/`, which holds nothing —
    /// so a delete marks `app`'s latest version and a read of a live version fails (500).
    pub(super) fn data_with_trailing_slash(&self, op: Operation, path: &str) -> VaultResult {
        let key = path.trim_end_matches('/');
        match op {
            Operation::Read => self.read(key, VersionData::Unreachable),
            Operation::Delete => self.delete_latest(key),
            _ => Err(VaultError::unsupported_operation()),
        }
    }

    pub(super) fn data(&self, op: Operation, path: &str) -> VaultResult {
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
        let requested = self.requested_version()?;
        let (version, metadata) = self.version_of(path, requested)?;
        if !version.is_readable(now()) {
            return Ok(unreadable("data", metadata));
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

    /// The `version` a read asks for; 0 (or none) is the current one.
    fn requested_version(&self) -> VaultResult<u64> {
        let requested = self.ctx.request.data.u64("version");
        Ok(requested.map_err(VaultError::bad_request)?.unwrap_or(0))
    }

    /// A version of the key at `path` (0: the current one) with its metadata; not found
    /// when the key or that version does not exist.
    fn version_of(&self, path: &str, requested: u64) -> VaultResult<(Version, Value)> {
        let mut secret = self.load(path)?.ok_or_else(VaultError::not_found)?;
        let number = if requested == 0 {
            secret.current_version
        } else {
            requested
        };
        let version = secret
            .versions
            .remove(&number)
            .ok_or_else(VaultError::not_found)?;
        let metadata = secret.version_metadata(number, &version);
        Ok((version, metadata))
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
            if !current.is_readable(at) {
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
            if version.is_readable(at) {
                version.deletion = Some(at);
                self.save(path, &secret)?;
            }
        }
        Ok(Reply::NoContent)
    }

    /// `delete/`, `undelete/` and `destroy/` with `{"versions": [...]}`.
    pub(super) fn change_versions(&self, action: &str, path: &str) -> VaultResult {
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
                "delete" if !version.is_deleted(at) => version.deletion = Some(at),
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

    pub(super) fn subkeys(&self, path: &str) -> VaultResult {
        let requested = self.requested_version()?;
        let depth = self
            .ctx
            .request
            .data
            .u64("depth")
            .map_err(VaultError::bad_request)?
            .unwrap_or(0);
        let (version, metadata) = self.version_of(path, requested)?;
        if !version.is_readable(now()) {
            return Ok(unreadable("subkeys", metadata));
        }
        let values = version.data.unwrap_or_default();
        Ok(Reply::data(
            json!({ "subkeys": subkeys_of(&values, depth, 1), "metadata": metadata }),
        ))
    }
}

/// A destroyed or deleted version: 404, with its metadata and `field` null.
fn unreadable(field: &str, metadata: Value) -> Reply {
    Reply::data(json!({ field: null, "metadata": metadata })).with_status(404)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
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
}
