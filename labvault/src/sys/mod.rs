//! The system backend (`sys/…`): mount tables, the plugin catalog, leases, policies,
//! capabilities, the UI helpers, and sealing. The endpoints that work while sealed live in
//! [`seal`].

mod capabilities;
mod internal_ui;
pub mod leases;
mod mount_admin;
mod plugins;
mod policy_admin;
pub mod seal;

use crate::{
    core::Ctx,
    reply::{VaultError, VaultResult},
    request::Operation,
};

/// `sys` paths that need no token (beyond the seal endpoints, answered earlier).
pub fn is_unauthenticated(rest: &str) -> bool {
    rest == "internal/ui/mounts" || rest.starts_with("internal/ui/mounts/")
}

/// Root-protected paths: the ACL must also grant `sudo`. Vault's list, `*` as a prefix.
const ROOT_PATHS: &[&str] = &[
    "auth/*",
    "remount",
    "audit",
    "audit/*",
    "raw",
    "raw/*",
    "rotate",
    "config/cors",
    "config/auditing/*",
    "config/ui/headers/*",
    "plugins/catalog/*",
    "plugins/runtimes/catalog/*",
    "revoke-prefix/*",
    "revoke-force/*",
    "leases/revoke-prefix/*",
    "leases/revoke-force/*",
    "leases/lookup/*",
    "leases",
    "internal/inspect/*",
    "seal",
    "step-down",
    "replication/reindex",
    "storage/raft/snapshot-auto/config/*",
];

pub fn requires_sudo(rest: &str, _operation: Operation) -> bool {
    // Listing every lease (`LIST sys/leases/lookup/`) is within `leases/lookup/*` too.
    rest == "leases/lookup/"
        || ROOT_PATHS
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                // `auth/*` covers `auth/userpass` but not the list at `auth` itself.
                Some(prefix) => rest.starts_with(prefix) && rest.len() > prefix.len(),
                None => rest == *pattern,
            })
}

pub async fn handle(ctx: &Ctx<'_>, rest: &str) -> VaultResult {
    let op = ctx.request.operation;
    let segments: Vec<&str> = rest.splitn(2, '/').collect();
    match (segments[0], segments.get(1).copied().unwrap_or("")) {
        ("mounts", "") => mount_admin::list(ctx, mount_admin::secrets()),
        ("mounts", path) => mount_admin::route(ctx, mount_admin::secrets(), path).await,
        ("auth", "") => mount_admin::list(ctx, mount_admin::auth()),
        ("auth", path) => mount_admin::route(ctx, mount_admin::auth(), path).await,
        ("policies", rest) => match rest.strip_prefix("acl") {
            Some(name) => policy_admin::acl(ctx, name.trim_start_matches('/')),
            None => Err(VaultError::unsupported_path()),
        },
        ("policy", name) => policy_admin::legacy(ctx, name),
        ("plugins", rest) => match rest.strip_prefix("catalog") {
            Some(rest) => plugins::handle(ctx, rest),
            None => Err(VaultError::unsupported_path()),
        },
        ("leases", rest) => leases::handle(ctx, rest).await,
        ("capabilities-self" | "capabilities" | "capabilities-accessor", "") => {
            capabilities::handle(ctx, segments[0])
        }
        ("internal", "ui/mounts") if op == Operation::Read => internal_ui::list_mounts(ctx),
        ("internal", path) if path.starts_with("ui/mounts/") && op == Operation::Read => {
            internal_ui::read_mount(ctx, &path["ui/mounts/".len()..])
        }
        ("internal", "ui/resultant-acl") if op == Operation::Read => {
            internal_ui::resultant_acl(ctx)
        }
        ("seal", "") if matches!(op, Operation::Update | Operation::Create) => {
            seal::seal_now(ctx.core)
        }
        ("seal", "") => Err(VaultError::unsupported_operation()),
        ("audit" | "audit-hash", _) => Err(VaultError::left_out("audit devices are")),
        ("namespaces", _) => Err(VaultError::left_out("namespaces are")),
        ("wrapping", _) => Err(VaultError::left_out("response wrapping is")),
        _ => Err(VaultError::unsupported_path()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sudo_paths() {
        assert!(requires_sudo("seal", Operation::Update));
        assert!(requires_sudo("auth/userpass", Operation::Update));
        assert!(requires_sudo("auth/userpass/tune", Operation::Read));
        assert!(!requires_sudo("auth", Operation::Read));
        assert!(!requires_sudo("mounts/kv", Operation::Update));
        assert!(!requires_sudo("policies/acl/x", Operation::Update));
        assert!(requires_sudo("audit", Operation::Read));
    }
}
