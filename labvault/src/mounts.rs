//! The mount tables: secrets engines (`sys/mounts`) and auth methods (`sys/auth`), and
//! routing a request path to the mount that serves it.

use crate::{seal::barrier::Barrier, storage::StorageResult};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const SECRET_TABLE: &str = "core/mounts";
pub const AUTH_TABLE: &str = "core/auth";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MountConfig {
    /// 0 means the system default (768h).
    pub default_lease_ttl: u64,
    pub max_lease_ttl: u64,
    pub force_no_cache: bool,
    /// `""` (hidden from unauthenticated listing), `"unauth"` or `"hidden"`.
    pub listing_visibility: String,
    /// Auth mounts: `default-service`, `default-batch`, `service`, `batch`.
    pub token_type: String,
    pub audit_non_hmac_request_keys: Vec<String>,
    pub audit_non_hmac_response_keys: Vec<String>,
    pub passthrough_request_headers: Vec<String>,
    pub allowed_response_headers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MountEntry {
    /// The mount path with a trailing slash, without `auth/` for auth methods: `kv/`.
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    pub accessor: String,
    pub uuid: String,
    pub config: MountConfig,
    pub options: Option<BTreeMap<String, String>>,
    pub local: bool,
    pub seal_wrap: bool,
    pub external_entropy_access: bool,
}

/// The mount types labvault implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Secret,
    Auth,
}

impl Table {
    pub fn storage_key(self) -> &'static str {
        match self {
            Table::Secret => SECRET_TABLE,
            Table::Auth => AUTH_TABLE,
        }
    }

    /// The prefix requests to this table's mounts carry: `""` or `auth/`.
    pub fn request_prefix(self) -> &'static str {
        match self {
            Table::Secret => "",
            Table::Auth => "auth/",
        }
    }

    /// Where a mount's data lives behind the barrier: `logical/UUID/` or `auth/UUID/`.
    pub fn data_prefix(self, uuid: &str) -> String {
        match self {
            Table::Secret => format!("logical/{uuid}/"),
            Table::Auth => format!("auth/{uuid}/"),
        }
    }
}

impl MountEntry {
    pub fn new(path: &str, kind: &str, description: &str) -> MountEntry {
        MountEntry {
            path: normalize_mount_path(path),
            kind: kind.to_string(),
            description: description.to_string(),
            accessor: format!(
                "{}_{:08x}",
                kind.replace('-', "_"),
                rand::rng().random::<u32>()
            ),
            uuid: uuid::Uuid::new_v4().to_string(),
            config: MountConfig::default(),
            options: None,
            local: false,
            seal_wrap: false,
            external_entropy_access: false,
        }
    }

    pub fn kv_version(&self) -> u8 {
        match self
            .options
            .as_ref()
            .and_then(|o| o.get("version"))
            .map(String::as_str)
        {
            Some("2") => 2,
            _ => 1,
        }
    }

    /// The entry as `sys/mounts`, `sys/auth` and `sys/internal/ui/mounts/:path` show it.
    pub fn to_json(&self) -> Value {
        let mut info = json!({
            "type": self.kind,
            "description": self.description,
            "accessor": self.accessor,
            "uuid": self.uuid,
            "config": self.config_json(),
            "options": self.options,
            "local": self.local,
            "seal_wrap": self.seal_wrap,
            "external_entropy_access": self.external_entropy_access,
            "plugin_version": "",
            "running_plugin_version": format!("v{}+builtin", crate::VERSION),
            "running_sha256": "",
        });
        // Vault reports a deprecation status only for engines in its builtin registry; the
        // core mounts have none and the field is left out, not null.
        if !matches!(
            self.kind.as_str(),
            "system" | "identity" | "cubbyhole" | "token"
        ) {
            info["deprecation_status"] = json!("supported");
        }
        info
    }

    fn config_json(&self) -> Value {
        let mut config = json!({
            "default_lease_ttl": self.config.default_lease_ttl,
            "max_lease_ttl": self.config.max_lease_ttl,
            "force_no_cache": self.config.force_no_cache,
        });
        let extra = [
            (
                "listing_visibility",
                json!(self.config.listing_visibility),
                !self.config.listing_visibility.is_empty(),
            ),
            (
                "token_type",
                json!(self.config.token_type),
                !self.config.token_type.is_empty(),
            ),
            (
                "audit_non_hmac_request_keys",
                json!(self.config.audit_non_hmac_request_keys),
                !self.config.audit_non_hmac_request_keys.is_empty(),
            ),
            (
                "audit_non_hmac_response_keys",
                json!(self.config.audit_non_hmac_response_keys),
                !self.config.audit_non_hmac_response_keys.is_empty(),
            ),
            (
                "passthrough_request_headers",
                json!(self.config.passthrough_request_headers),
                !self.config.passthrough_request_headers.is_empty(),
            ),
            (
                "allowed_response_headers",
                json!(self.config.allowed_response_headers),
                !self.config.allowed_response_headers.is_empty(),
            ),
        ];
        for (key, value, present) in extra {
            if present {
                config[key] = value;
            }
        }
        config
    }
}

/// `kv` → `kv/`; leading slashes dropped.
pub fn normalize_mount_path(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    format!("{trimmed}/")
}

/// Both tables, as loaded into memory while unsealed.
#[derive(Clone, Debug, Default)]
pub struct MountTables {
    pub secret: Vec<MountEntry>,
    pub auth: Vec<MountEntry>,
}

impl MountTables {
    pub fn load(barrier: &Barrier) -> StorageResult<MountTables> {
        Ok(MountTables {
            secret: barrier.get_json(SECRET_TABLE)?.unwrap_or_default(),
            auth: barrier.get_json(AUTH_TABLE)?.unwrap_or_default(),
        })
    }

    pub fn save(&self, barrier: &Barrier, table: Table) -> StorageResult<()> {
        barrier.put_json(table.storage_key(), self.entries(table))
    }

    pub fn entries(&self, table: Table) -> &Vec<MountEntry> {
        match table {
            Table::Secret => &self.secret,
            Table::Auth => &self.auth,
        }
    }

    pub fn entries_mut(&mut self, table: Table) -> &mut Vec<MountEntry> {
        match table {
            Table::Secret => &mut self.secret,
            Table::Auth => &mut self.auth,
        }
    }

    pub fn find(&self, table: Table, path: &str) -> Option<&MountEntry> {
        let wanted = normalize_mount_path(path);
        self.entries(table).iter().find(|m| m.path == wanted)
    }

    /// The mount serving `path` (a request path without `auth/`), by longest prefix, with
    /// the rest of the path below the mount.
    pub fn route<'p>(&self, table: Table, path: &'p str) -> Option<(&MountEntry, &'p str)> {
        self.entries(table)
            .iter()
            .filter(|m| path.starts_with(&m.path) || format!("{path}/") == m.path)
            .max_by_key(|m| m.path.len())
            .map(|m| (m, path.get(m.path.len()..).unwrap_or("")))
    }

    /// Whether a new mount at `path` would collide with an existing one (same path, or one
    /// nested inside the other), as Vault refuses.
    pub fn conflicting(&self, table: Table, path: &str) -> Option<&MountEntry> {
        let wanted = normalize_mount_path(path);
        self.entries(table)
            .iter()
            .find(|m| wanted.starts_with(&m.path) || m.path.starts_with(&wanted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_longest_prefix() {
        let tables = MountTables {
            secret: vec![
                MountEntry::new("kv", "kv", ""),
                MountEntry::new("team/kv", "kv", ""),
                MountEntry::new("team", "kv", ""),
            ],
            auth: vec![],
        };
        let (mount, rest) = tables.route(Table::Secret, "team/kv/data/app").unwrap();
        assert_eq!((mount.path.as_str(), rest), ("team/kv/", "data/app"));
        let (mount, rest) = tables.route(Table::Secret, "team/other").unwrap();
        assert_eq!((mount.path.as_str(), rest), ("team/", "other"));
        let (mount, rest) = tables.route(Table::Secret, "kv").unwrap();
        assert_eq!((mount.path.as_str(), rest), ("kv/", ""));
        assert!(tables.route(Table::Secret, "kvx/a").is_none());
        assert!(tables.conflicting(Table::Secret, "kv/sub").is_some());
        assert!(tables.conflicting(Table::Secret, "k").is_none());
    }
}
