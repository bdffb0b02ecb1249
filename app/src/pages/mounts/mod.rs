//! Secrets engines (`sys/mounts`) and auth methods (`sys/auth`): one set of pages for both,
//! their differences in [`MountKind`].

pub mod configure;
pub mod enable;
pub mod list;

use crate::{state::permissions::Permissions, wire::PluginCatalog};
use vaultdeck_policy::Capability;

pub use crate::wire::MountKind;

/// A type offered by the picker, with what it is for.
pub struct TypeChoice {
    pub kind: &'static str,
    pub title: &'static str,
    pub description: &'static str,
}

pub const AUTH_TYPES: &[TypeChoice] = &[
    TypeChoice { kind: "userpass", title: "Username & password", description: "People log in with a user name and password stored in Vault." },
    TypeChoice { kind: "kubernetes", title: "Kubernetes", description: "Pods log in with their service account token, checked by the cluster's TokenReview API." },
    TypeChoice { kind: "approle", title: "AppRole", description: "Machines and applications log in with a role ID and a secret ID." },
    TypeChoice { kind: "jwt", title: "JWT", description: "Log in with a JSON Web Token signed by a trusted issuer." },
    TypeChoice { kind: "oidc", title: "OIDC", description: "Single sign-on through an OpenID Connect provider." },
    TypeChoice { kind: "ldap", title: "LDAP", description: "Users and groups from an LDAP directory." },
    TypeChoice { kind: "github", title: "GitHub", description: "Log in with a GitHub personal access token; teams map to policies." },
    TypeChoice { kind: "cert", title: "TLS certificates", description: "Log in with a client certificate signed by a trusted CA." },
    TypeChoice { kind: "token", title: "Token", description: "Vault's built-in token method; always enabled at token/ and cannot be enabled again." },
];

pub const SECRET_TYPES: &[TypeChoice] = &[
    TypeChoice {
        kind: "kv",
        title: "Key/Value",
        description: "Static secrets. Version 2 keeps a history of versions; version 1 does not.",
    },
    TypeChoice {
        kind: "kubernetes",
        title: "Kubernetes",
        description: "Service account tokens, created on demand in a Kubernetes cluster.",
    },
    TypeChoice {
        kind: "pki",
        title: "PKI",
        description: "X.509 certificates from Vault as a certificate authority.",
    },
    TypeChoice {
        kind: "transit",
        title: "Transit",
        description: "Encryption as a service: Vault holds the keys, applications send data.",
    },
    TypeChoice {
        kind: "database",
        title: "Databases",
        description: "Short-lived database credentials.",
    },
];

impl MountKind {
    pub fn noun(self) -> &'static str {
        match self {
            MountKind::Secrets => "secrets engine",
            MountKind::Auth => "auth method",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            MountKind::Secrets => "Secrets engines",
            MountKind::Auth => "Auth methods",
        }
    }

    /// The app path of the list page.
    pub fn app_root(self) -> &'static str {
        match self {
            MountKind::Secrets => "/secrets",
            MountKind::Auth => "/access/auth",
        }
    }

    pub fn list_path(self) -> &'static str {
        match self {
            MountKind::Secrets => "sys/mounts",
            MountKind::Auth => "sys/auth",
        }
    }

    /// Enable (POST), read and disable (DELETE) one mount.
    pub fn mount_path(self, path: &str) -> String {
        format!("{}/{path}", self.list_path())
    }

    /// Tuning goes through `sys/mounts` for both: `sys/mounts/auth/…/tune` needs no `sudo`.
    pub fn tune_path(self, path: &str) -> String {
        match self {
            MountKind::Secrets => format!("sys/mounts/{path}/tune"),
            MountKind::Auth => format!("sys/mounts/auth/{path}/tune"),
        }
    }

    pub fn types(self) -> &'static [TypeChoice] {
        match self {
            MountKind::Secrets => SECRET_TYPES,
            MountKind::Auth => AUTH_TYPES,
        }
    }

    /// This kind's plugin names in the server's catalog.
    pub fn catalog_names(self, catalog: &PluginCatalog) -> &[String] {
        match self {
            MountKind::Secrets => &catalog.secret,
            MountKind::Auth => &catalog.auth,
        }
    }

    /// Capabilities enabling and disabling need: `sys/auth/*` is root-protected.
    pub fn admin_capabilities(self, write: Capability) -> Vec<Capability> {
        match self {
            MountKind::Secrets => vec![write],
            MountKind::Auth => vec![write, Capability::Sudo],
        }
    }

    /// Whether the token may enable one of these somewhere (`update` on `sys/mounts/…`;
    /// for auth methods also `sudo`, as `sys/auth/*` is root-protected).
    pub fn may_enable(self, permissions: Permissions) -> bool {
        permissions.can_somewhere_under(
            &format!("{}/", self.list_path()),
            &self.admin_capabilities(Capability::Update),
        )
    }

    /// What enabling needs, in words.
    pub fn enabling_needs(self) -> String {
        let names: Vec<&str> = self
            .admin_capabilities(Capability::Update)
            .iter()
            .map(|c| c.as_str())
            .collect();
        format!("“{}” on {}/PATH", names.join("” and “"), self.list_path())
    }

    /// Whether the list shows this mount: as Vault's own UI does, not the system backend and
    /// the identity store, which are Vault's machinery rather than a user's secrets.
    pub fn is_listed(self, path: &str) -> bool {
        !(self == MountKind::Secrets && matches!(path, "sys/" | "identity/"))
    }

    /// Mounts Vault will neither disable nor tune (the token method can be tuned).
    pub fn is_permanent(self, path: &str) -> bool {
        match self {
            MountKind::Secrets => matches!(path, "sys" | "cubbyhole" | "identity"),
            MountKind::Auth => path == "token",
        }
    }

    /// What disabling does, in words, for the confirmation.
    pub fn disable_consequence(self) -> &'static str {
        match self {
            MountKind::Secrets => "Disabling it deletes all of its data, permanently, and revokes its leases.",
            MountKind::Auth => "Disabling it revokes every token it issued: everyone logged in through it is logged out.",
        }
    }
}

/// `kv/` → `kv`: Vault lists mounts with a trailing slash; forms and links use none.
pub fn trim_path(path: &str) -> String {
    path.trim_matches('/').to_string()
}

/// A mount path the user typed: no leading/trailing slashes, no empty or dot segments.
pub fn check_path(path: &str) -> Result<String, String> {
    let trimmed = path.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Err("A path is required.".into());
    }
    if trimmed
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err("The path cannot contain empty, “.” or “..” segments.".into());
    }
    if trimmed
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '?' | '#' | '%' | '*' | '+'))
    {
        return Err("The path cannot contain spaces or any of ? # % * +.".into());
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_paths() {
        assert_eq!(check_path(" /kv/ ").unwrap(), "kv");
        assert_eq!(check_path("team/kv").unwrap(), "team/kv");
        assert!(check_path("").is_err());
        assert!(check_path("a//b").is_err());
        assert!(check_path("a b").is_err());
        assert!(check_path("../x").is_err());
    }

    #[test]
    fn tuning_auth_avoids_sudo() {
        assert_eq!(
            MountKind::Auth.tune_path("userpass"),
            "sys/mounts/auth/userpass/tune"
        );
        assert_eq!(
            MountKind::Secrets.tune_path("team/kv"),
            "sys/mounts/team/kv/tune"
        );
    }
}
