//! Starting points for new policies, filled with the mount and path the user picks.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    ReadSecret,
    ReadListFolder,
    ManageFolder,
    KubernetesRoleAdmin,
    Default,
}

impl Template {
    pub const ALL: [Template; 5] = [
        Template::ReadSecret,
        Template::ReadListFolder,
        Template::ManageFolder,
        Template::KubernetesRoleAdmin,
        Template::Default,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Template::ReadSecret => "read-secret",
            Template::ReadListFolder => "read-list-folder",
            Template::ManageFolder => "manage-folder",
            Template::KubernetesRoleAdmin => "kubernetes-role-admin",
            Template::Default => "default",
        }
    }

    pub fn from_id(id: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.id() == id)
    }

    pub fn title(self) -> &'static str {
        match self {
            Template::ReadSecret => "Read one KV v2 secret",
            Template::ReadListFolder => "Read and list a KV v2 folder",
            Template::ManageFolder => "Manage a KV v2 folder",
            Template::KubernetesRoleAdmin => "Administer Kubernetes auth roles",
            Template::Default => "Vault's default policy",
        }
    }

    /// What the template needs: a KV mount and path, an auth mount, or nothing.
    pub fn needs(self) -> Needs {
        match self {
            Template::ReadSecret => Needs::KvPath {
                path_label: "Secret path",
            },
            Template::ReadListFolder | Template::ManageFolder => Needs::KvPath {
                path_label: "Folder",
            },
            Template::KubernetesRoleAdmin => Needs::AuthMount,
            Template::Default => Needs::Nothing,
        }
    }

    /// The policy text for `mount` (no slashes around it) and `path`.
    pub fn render(self, mount: &str, path: &str) -> String {
        let mount = mount.trim_matches('/');
        let path = path.trim_matches('/');
        match self {
            Template::ReadSecret => format!(
                "# Read the secret {mount}/{path} (KV version 2 reads go through data/).\n\
                 path \"{mount}/data/{path}\" {{\n  capabilities = [\"read\"]\n}}\n"
            ),
            Template::ReadListFolder => format!(
                "# Read every secret under {mount}/{path}/ and list the folder.\n\
                 path \"{mount}/data/{path}/*\" {{\n  capabilities = [\"read\"]\n}}\n\n\
                 path \"{mount}/metadata/{path}/*\" {{\n  capabilities = [\"list\"]\n}}\n"
            ),
            Template::ManageFolder => format!(
                "# Create, change and remove secrets under {mount}/{path}/, with their versions.\n\
                 path \"{mount}/data/{path}/*\" {{\n  capabilities = [\"create\", \"read\", \"update\", \"patch\", \"delete\"]\n}}\n\n\
                 path \"{mount}/metadata/{path}/*\" {{\n  capabilities = [\"read\", \"list\", \"delete\"]\n}}\n\n\
                 path \"{mount}/delete/{path}/*\" {{\n  capabilities = [\"update\"]\n}}\n\n\
                 path \"{mount}/undelete/{path}/*\" {{\n  capabilities = [\"update\"]\n}}\n\n\
                 path \"{mount}/destroy/{path}/*\" {{\n  capabilities = [\"update\"]\n}}\n"
            ),
            Template::KubernetesRoleAdmin => format!(
                "# Configure the Kubernetes auth method at auth/{mount}/ and manage its roles.\n\
                 path \"auth/{mount}/config\" {{\n  capabilities = [\"read\", \"update\"]\n}}\n\n\
                 path \"auth/{mount}/role/*\" {{\n  capabilities = [\"create\", \"read\", \"update\", \"delete\", \"list\"]\n}}\n"
            ),
            Template::Default => vaultdeck_policy::DEFAULT_POLICY.to_string(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    KvPath { path_label: &'static str },
    AuthMount,
    Nothing,
}

#[cfg(test)]
mod tests {
    use super::*;
    use vaultdeck_policy::{validate, Acl, Capability, MountHint};

    fn mounts() -> Vec<MountHint> {
        vec![
            MountHint {
                path: "kv/".into(),
                kind: "kv".into(),
                kv_version: Some(2),
            },
            MountHint {
                path: "auth/kubernetes/".into(),
                kind: "kubernetes".into(),
                kv_version: None,
            },
        ]
    }

    #[test]
    fn every_template_is_clean() {
        for template in Template::ALL {
            let text = template.render("kv", "webapps/app_one");
            let text = if template == Template::KubernetesRoleAdmin {
                template.render("kubernetes", "")
            } else {
                text
            };
            let validation = validate(&text, &mounts());
            assert!(
                validation
                    .diagnostics
                    .iter()
                    .all(|d| d.severity == vaultdeck_policy::Severity::Note),
                "{template:?}: {:?}",
                validation.diagnostics
            );
        }
    }

    #[test]
    fn templates_grant_what_they_say() {
        let policy =
            vaultdeck_policy::parse(&Template::ReadListFolder.render("kv/", "/webapps/")).unwrap();
        let acl = Acl::new([&policy]);
        assert!(acl
            .decide("kv/data/webapps/app_one", false)
            .allows(Capability::Read));
        assert!(acl
            .decide("kv/metadata/webapps/", true)
            .allows(Capability::List));
        assert!(!acl
            .decide("kv/data/webapps/app_one", false)
            .allows(Capability::Update));
        let policy =
            vaultdeck_policy::parse(&Template::ReadSecret.render("kv", "webapps/app_one")).unwrap();
        let acl = Acl::new([&policy]);
        assert!(acl
            .decide("kv/data/webapps/app_one", false)
            .allows(Capability::Read));
        assert!(!acl
            .decide("kv/data/webapps/app_two", false)
            .allows(Capability::Read));
    }
}
