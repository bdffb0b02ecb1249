//! KV v2 metadata and config: a key's settings and custom metadata, and the mount's
//! defaults for every key.

use super::{
    secret::{now, render_optional_time, render_time, Secret},
    V2,
};
use crate::{
    reply::{Reply, VaultError, VaultResult},
    request::{Operation, Params},
    ttl::{go_duration, parse_duration},
};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

impl V2<'_> {
    pub(super) fn config(&self, op: Operation) -> VaultResult {
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
                self.save_settings(&settings)?;
                Ok(Reply::NoContent)
            }
            _ => Err(VaultError::unsupported_operation()),
        }
    }

    pub(super) fn metadata(&self, op: Operation, path: &str) -> VaultResult {
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
                self.remove(path)?;
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
}

impl Secret {
    /// The key's `metadata/` read.
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

/// `delete_version_after` as Vault shows it: a negative one (the mount's "never") as `-1s`.
fn signed_go_duration(seconds: i64) -> String {
    if seconds < 0 {
        "-1s".into()
    } else {
        go_duration(seconds as u64)
    }
}

/// `delete_version_after` as given: seconds or a duration, which may be negative.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_metadata_limits() {
        let long_value: BTreeMap<String, String> = [("k".to_string(), "v".repeat(513))].into();
        let error = validate_custom_metadata(&long_value).unwrap_err().errors[0].clone();
        assert!(error.starts_with("1 error occurred:\n\t* custom_metadata validation failed: length of value for key \"k\" is 513"), "{error}");
    }
}
