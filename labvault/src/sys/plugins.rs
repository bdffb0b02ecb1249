//! `sys/plugins/catalog`: which engine types can be mounted — labvault's builtin ones only
//! (it runs no external plugins). Clients such as Vaultdeck's "enable" page read it to offer
//! exactly what the server has.

use crate::{
    backends,
    core::Ctx,
    mounts::Table,
    reply::{Reply, VaultError, VaultResult},
    request::Operation,
};
use serde_json::{json, Value};

/// The version a builtin plugin reports, like Vault's `v1.17.0+builtin.vault`.
fn builtin_version() -> String {
    format!("v{}", crate::VERSION)
}

/// Plugin types by their catalog name (`auth`, `secret`, `database`).
fn table_of(kind: &str) -> Result<Option<Table>, VaultError> {
    match kind {
        "auth" => Ok(Some(Table::Auth)),
        "secret" => Ok(Some(Table::Secret)),
        // A type Vault knows, of which labvault has no plugin at all.
        "database" => Ok(None),
        _ => Err(VaultError::unsupported_operation()),
    }
}

fn names_of(table: Option<Table>) -> Vec<&'static str> {
    table.map(backends::catalog).unwrap_or_default()
}

pub fn handle(ctx: &Ctx<'_>, rest: &str) -> VaultResult {
    let op = ctx.request.operation;
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    match (parts.as_slice(), op) {
        ([], Operation::Read) => Ok(Reply::data(whole_catalog())),
        ([kind], Operation::List) => {
            let keys = names_of(table_of(kind)?);
            Ok(Reply::data(json!({ "keys": keys })))
        }
        ([kind, name], Operation::Read) => {
            let found = names_of(table_of(kind)?).contains(name);
            if !found {
                return Err(VaultError::not_found());
            }
            Ok(Reply::data(json!({
                "args": null, "builtin": true, "command": "", "deprecation_status": "supported",
                "name": name, "sha256": "", "version": builtin_version(),
            })))
        }
        _ => Err(VaultError::unsupported_operation()),
    }
}

fn whole_catalog() -> Value {
    let mut detailed = Vec::new();
    for (kind, table) in [("auth", Table::Auth), ("secret", Table::Secret)] {
        for name in backends::catalog(table) {
            detailed.push(json!({
                "builtin": true, "deprecation_status": "supported", "name": name,
                "type": kind, "version": builtin_version(),
            }));
        }
    }
    json!({
        "auth": backends::catalog(Table::Auth),
        "secret": backends::catalog(Table::Secret),
        "database": [],
        "detailed": detailed,
    })
}
