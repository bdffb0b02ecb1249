//! KV v2's stored record of a key — its metadata and versions — and the rules for adding
//! and deleting versions, shared by the data and metadata handlers.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const DEFAULT_MAX_VERSIONS: u64 = 10;

/// A point in time, kept as nanoseconds since the epoch.
pub(super) type Nanos = i64;

pub(super) fn now() -> Nanos {
    Utc::now().timestamp_nanos_opt().unwrap_or_default()
}

pub(super) fn render_time(at: Nanos) -> String {
    DateTime::from_timestamp_nanos(at).to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub(super) fn render_optional_time(at: Option<Nanos>) -> String {
    at.map(render_time).unwrap_or_default()
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
/// The v2 mount's `config`: defaults for every key.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct MountSettings {
    pub(super) max_versions: u64,
    pub(super) cas_required: bool,
    /// Seconds; negative disables `delete_version_after` for all keys.
    pub(super) delete_version_after: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Version {
    pub(super) created: Nanos,
    /// When it is (or is to be) deleted: a deletion may be set for later.
    pub(super) deletion: Option<Nanos>,
    pub(super) destroyed: bool,
    pub(super) data: Option<Map<String, Value>>,
}

impl Version {
    pub(super) fn is_deleted(&self, at: Nanos) -> bool {
        self.deletion.is_some_and(|d| d <= at)
    }

    /// Whether its data can be read at `at`: neither destroyed nor deleted.
    pub(super) fn is_readable(&self, at: Nanos) -> bool {
        !self.destroyed && !self.is_deleted(at)
    }
}

/// A key as stored: its metadata and the versions it keeps.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Secret {
    pub(super) created: Nanos,
    pub(super) updated: Nanos,
    pub(super) current_version: u64,
    pub(super) oldest_version: u64,
    pub(super) max_versions: u64,
    pub(super) cas_required: bool,
    pub(super) delete_version_after: i64,
    pub(super) custom_metadata: Option<BTreeMap<String, String>>,
    pub(super) versions: BTreeMap<u64, Version>,
}

impl Secret {
    pub(super) fn new(at: Nanos) -> Secret {
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

    /// A version's `metadata`, as data reads and writes answer it.
    pub(super) fn version_metadata(&self, number: u64, version: &Version) -> Value {
        json!({
            "created_time": render_time(version.created),
            "custom_metadata": self.custom_metadata,
            "deletion_time": render_optional_time(version.deletion),
            "destroyed": version.destroyed,
            "version": number,
        })
    }
}

/// When a new (or undeleted) version is to be deleted: the smallest non-zero of the mount's
/// and the key's `delete_version_after`, unless the mount disables it.
pub(super) fn deletion_deadline(
    secret: &Secret,
    settings: &MountSettings,
    at: Nanos,
) -> Option<Nanos> {
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
pub(super) fn add_version(
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
}
