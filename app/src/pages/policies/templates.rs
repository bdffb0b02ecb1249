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

    /// The policy text for `mount` (no slashes around it) and `path`, or why a template
    /// cannot be written for them. The mount is often one the list offered, and mounts are
    /// named by whoever may enable one: a name that closed the template's string could add
    /// rules of its own to the policy (off to the right of a line the admin reads as
    /// harmless), and a `+` segment or ACL templating would make it match other mounts. The
    /// path is the admin's own: globs and templating there are theirs to write.
    pub fn render(self, mount: &str, path: &str) -> Result<String, String> {
        let mount = mount.trim_matches('/');
        let path = path.trim_matches('/');
        match self.needs() {
            Needs::KvPath { .. } => {
                plain_mount(mount)?;
                plain_name("path", path)?;
            }
            Needs::AuthMount => plain_mount(mount)?,
            Needs::Nothing => {}
        }
        Ok(match self {
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
        })
    }
}

/// Characters a template does not write into a policy: those that end or escape its string
/// or comment (`"`, `\\`, line breaks and other controls) and `$`, which starts HCL's
/// interpolation (`${`), inside which a quote no longer ends the string. Braces alone are
/// Vault's ACL templating (`{{identity.entity.name}}`) and are written.
fn plain_name(what: &str, name: &str) -> Result<(), String> {
    let odd = |c: char| c.is_control() || matches!(c, '"' | '\\' | '$');
    match name.chars().find(|&c| odd(c)) {
        None => Ok(()),
        Some(c) => Err(format!(
            "The {what} “{}” has a character a template does not write ({}). Write this \
             policy by hand, or pick another {what}.",
            name.escape_debug(),
            c.escape_debug()
        )),
    }
}

/// A mount as a template writes it: a plain name, and no pattern. In a policy path a `+`
/// segment matches any name, and `{{…}}` is filled in per requester (ACL templating), so
/// either would grant the same on other mounts than the one picked.
fn plain_mount(mount: &str) -> Result<(), String> {
    plain_name("mount", mount)?;
    let pattern = if mount.split('/').any(|segment| segment == "+") {
        "a “+” segment, which in a policy matches any name"
    } else if mount.contains(['{', '}']) {
        "braces, which Vault fills in for each requester (ACL templating)"
    } else {
        return Ok(());
    };
    Err(format!(
        "The mount “{mount}” has {pattern}: the template would grant the same on other \
         mounts. Write this policy by hand, or pick another mount."
    ))
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
            let text = template.render("kv", "webapps/app_one").unwrap();
            let text = if template == Template::KubernetesRoleAdmin {
                template.render("kubernetes", "").unwrap()
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
            vaultdeck_policy::parse(&Template::ReadListFolder.render("kv/", "/webapps/").unwrap())
                .unwrap();
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
        let policy = vaultdeck_policy::parse(
            &Template::ReadSecret
                .render("kv", "webapps/app_one")
                .unwrap(),
        )
        .unwrap();
        let acl = Acl::new([&policy]);
        assert!(acl
            .decide("kv/data/webapps/app_one", false)
            .allows(Capability::Read));
        assert!(!acl
            .decide("kv/data/webapps/app_two", false)
            .allows(Capability::Read));
    }

    /// Reviewer finding (stop 28): a mount named by someone who may only enable mounts
    /// closed the template's string and added a rule granting `sudo` on `sys/*`, out of
    /// sight on the same line (OpenBao 2.7 accepts the name). Such names are refused, and
    /// nothing is written.
    #[test]
    fn a_mount_name_cannot_add_rules_to_a_template() {
        let planted = format!(
            "team-x\" {{capabilities=[\"read\"]}}{}path \"sys/*\" \
             {{capabilities=[\"create\",\"read\",\"update\",\"delete\",\"list\",\"sudo\"]}} path \"team-x",
            " ".repeat(200)
        );
        let broken_line = "kv\npath \"sys/*\" { capabilities = [\"sudo\"] }\n#";
        let templates = [
            Template::ReadSecret,
            Template::ManageFolder,
            Template::KubernetesRoleAdmin,
        ];
        for mount in [planted.as_str(), broken_line, "kv${x}"] {
            for template in templates {
                let refusal = template.render(mount, "app").unwrap_err();
                assert!(refusal.contains("does not write"), "{refusal}");
            }
        }
        for mount in ["+", "team/+"] {
            let refusal = Template::ReadSecret.render(mount, "app").unwrap_err();
            assert!(refusal.contains("matches any name"), "{refusal}");
        }
        let templated = "{{identity.entity.aliases.auth_userpass_1.name}}";
        for template in templates {
            let refusal = template.render(templated, "app").unwrap_err();
            assert!(refusal.contains("ACL templating"), "{refusal}");
        }
        let refusal = Template::ReadSecret
            .render("kv", "app\" {} path \"sys/*")
            .unwrap_err();
        assert!(refusal.starts_with("The path"), "{refusal}");
        // A field the template does not use is not checked: it is not on the form.
        assert!(Template::KubernetesRoleAdmin
            .render("kubernetes", "app\"")
            .is_ok());
        assert!(Template::Default.render("+", "\"").is_ok());
        // Ordinary names, nested mounts, spaces, `c++`, and ACL templating in the path (the
        // admin's own) are written.
        let text = Template::ReadSecret.render("team/kv", "my app/db").unwrap();
        assert!(text.contains("path \"team/kv/data/my app/db\""), "{text}");
        let text = Template::ReadSecret
            .render("c++", "users/{{identity.entity.name}}")
            .unwrap();
        assert!(
            text.contains("path \"c++/data/users/{{identity.entity.name}}\""),
            "{text}"
        );
    }
}
