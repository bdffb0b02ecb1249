//! What the "Deliver to a pod" form holds, as plain values; the plan it makes; the files it
//! writes for each method; and the one check that needs no cluster: the audience.

use crate::delivery::{
    agent, csi, default_name, eso, injector, yaml::documents, Format, Method, Plan, SecretPick,
};
use crate::pages::kubernetes::Role;

#[derive(Clone, Debug, PartialEq)]
pub struct SecretDraft {
    pub mount: String,
    pub kv_version: u8,
    pub path: String,
    /// Comma-separated, as typed.
    pub keys: String,
    pub format: Format,
    pub name: String,
}

impl SecretDraft {
    /// A secret with every key it has, written as an env file named after its path.
    pub fn new(mount: &str, kv_version: u8, path: &str, keys: &[String]) -> SecretDraft {
        SecretDraft {
            mount: mount.trim_matches('/').to_string(),
            kv_version,
            path: path.trim_matches('/').to_string(),
            keys: keys.join(", "),
            format: Format::EnvFile,
            name: default_name(path),
        }
    }

    fn pick(&self) -> SecretPick {
        SecretPick {
            name: self.name.trim().to_string(),
            mount: self.mount.clone(),
            kv_version: self.kv_version,
            path: self.path.clone(),
            keys: keys_of(&self.keys),
            format: self.format,
        }
    }
}

/// The keys in a comma- or space-separated text, in order, each once.
pub fn keys_of(text: &str) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for key in text
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_string());
        }
    }
    keys
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeliveryDraft {
    pub vault_addr: String,
    pub vault_namespace: String,
    pub auth_mount: String,
    pub role: String,
    pub namespace: String,
    pub service_account: String,
    pub workload: String,
    pub container: String,
    pub audience: String,
    pub sync_secret: bool,
    pub secrets: Vec<SecretDraft>,
}

impl DeliveryDraft {
    /// The plan, or what is wrong with the form.
    pub fn plan(&self) -> Result<Plan, String> {
        let optional = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
        let plan = Plan {
            vault_addr: self.vault_addr.trim().trim_end_matches('/').to_string(),
            vault_namespace: optional(&self.vault_namespace),
            auth_mount: self.auth_mount.trim().trim_matches('/').to_string(),
            role: self.role.trim().to_string(),
            namespace: self.namespace.trim().to_string(),
            service_account: self.service_account.trim().to_string(),
            workload: self.workload.trim().to_string(),
            container: self.container.trim().to_string(),
            audience: optional(&self.audience),
            secrets: self.secrets.iter().map(SecretDraft::pick).collect(),
            sync_secret: self.sync_secret,
        };
        plan.check()?;
        Ok(plan)
    }

    /// Fills what the role decides (the account, its namespace, the audience), where the
    /// role names one outright; the Deployment and its container default to the account.
    pub fn follow_role(&mut self, role: &Role) {
        let concrete = |values: &[String]| values.iter().find(|v| !v.contains('*')).cloned();
        if let Some(namespace) = concrete(&role.bound_service_account_namespaces) {
            self.namespace = namespace;
        }
        if let Some(account) = concrete(&role.bound_service_account_names) {
            self.service_account = account;
        }
        self.audience = role.audience.clone();
        if self.workload.trim().is_empty() {
            self.workload = self.service_account.clone();
        }
        if self.container.trim().is_empty() {
            self.container = self.workload.clone();
        }
    }
}

/// Whether the method's token will be for the audience the role accepts. Vault sends the
/// role's audience to TokenReview, or none (the API server's own) when it has none, and the
/// API server accepts a token only for the audience asked about.
pub fn audience_check(
    role_name: &str,
    role_audience: &str,
    sends: Option<&str>,
) -> Result<(), String> {
    let role_audience = role_audience.trim();
    match (role_audience.is_empty(), sends) {
        (true, None) => Ok(()),
        (false, Some(sent)) if sent == role_audience => Ok(()),
        (false, _) => Err(format!(
            "The role {role_name} accepts only tokens for the audience “{role_audience}”, and the manifests would present {}. Set the audience to {role_audience} (the manifests then ask the cluster for a token for it), or clear the role's audience.",
            sends.map(|s| format!("one for “{s}”")).unwrap_or_else(|| "the pod's default token".into())
        )),
        (true, Some(sent)) => Err(format!(
            "The role {role_name} has no audience, so Vault asks the cluster about the API server's own audience, and a token for “{sent}” fails that review. Clear the audience, or give the role the audience {sent}."
        )),
    }
}

/// One file to copy or download, and the command that uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub title: &'static str,
    pub file: String,
    pub text: String,
    pub command: String,
}

/// The files a method needs, in the order they are applied.
pub fn outputs(plan: &Plan, method: Method) -> Vec<Output> {
    let workload = plan.workload.trim();
    let namespace = plan.namespace.trim();
    match method {
        Method::Injector => vec![Output {
            title: "Patch for the Deployment",
            file: injector::file_name(plan),
            text: injector::patch(plan).to_document(),
            command: injector::command(plan),
        }],
        Method::Csi => {
            let class = format!("{workload}-secret-provider-class.yaml");
            let patch = format!("{workload}-csi-patch.yaml");
            vec![
                Output {
                    title: "SecretProviderClass",
                    command: format!("kubectl apply -f {class}"),
                    file: class,
                    text: csi::secret_provider_class(plan).to_document(),
                },
                Output {
                    title: "The pod's volume and mount (patch for the Deployment)",
                    command: format!(
                        "kubectl patch deployment/{workload} --namespace {namespace} --patch \"$(cat {patch})\""
                    ),
                    file: patch,
                    text: csi::pod_patch(plan).to_document(),
                },
            ]
        }
        Method::Eso => {
            let file = format!("{workload}-external-secrets.yaml");
            vec![Output {
                title: "SecretStore and ExternalSecrets",
                command: format!("kubectl apply -f {file}"),
                file,
                text: documents(&eso::objects(plan)),
            }]
        }
        Method::Agent => {
            let file = format!("{workload}-agent.hcl");
            vec![Output {
                title: "Vault Agent configuration",
                command: format!("vault agent -config={file}"),
                file,
                text: agent::for_plan(plan).to_hcl(),
            }]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> DeliveryDraft {
        DeliveryDraft {
            vault_addr: "http://vault.vault-system.svc:8200/".into(),
            auth_mount: "kubernetes".into(),
            role: "webapp-one".into(),
            secrets: vec![SecretDraft::new(
                "kv",
                2,
                "webapps/app_one",
                &["password".into(), "username".into()],
            )],
            ..DeliveryDraft::default()
        }
    }

    fn lab_role() -> Role {
        Role {
            bound_service_account_names: vec!["webapp-one".into()],
            bound_service_account_namespaces: vec!["default".into()],
            ..Role::default()
        }
    }

    #[test]
    fn a_role_fills_the_account_its_namespace_and_the_workload() {
        let mut draft = draft();
        draft.follow_role(&lab_role());
        assert_eq!(
            (
                draft.namespace.as_str(),
                draft.service_account.as_str(),
                draft.workload.as_str(),
                draft.container.as_str()
            ),
            ("default", "webapp-one", "webapp-one", "webapp-one")
        );
        let plan = draft.plan().unwrap();
        assert_eq!(plan.vault_addr, "http://vault.vault-system.svc:8200");
        assert_eq!(plan.secrets[0].keys, ["password", "username"]);
        assert_eq!(plan.secrets[0].name, "app_one");
        assert_eq!(plan.audience, None);
    }

    #[test]
    fn wildcards_are_not_accounts() {
        let mut draft = draft();
        draft.follow_role(&Role {
            bound_service_account_names: vec!["*".into()],
            bound_service_account_namespaces: vec!["*".into()],
            audience: "vault".into(),
            ..Role::default()
        });
        assert_eq!(draft.service_account, "");
        assert_eq!(draft.audience, "vault");
        assert!(draft.plan().unwrap_err().contains("required"));
    }

    #[test]
    fn keys_are_read_from_what_was_typed() {
        assert_eq!(keys_of(" a, b  c,,a "), ["a", "b", "c"]);
        assert!(keys_of(" , ").is_empty());
    }

    #[test]
    fn the_audience_must_be_the_roles() {
        assert!(audience_check("r", "", None).is_ok());
        assert!(audience_check("r", "vault", Some("vault")).is_ok());
        let missing = audience_check("r", "vault", None).unwrap_err();
        assert!(missing.contains("Set the audience to vault"), "{missing}");
        let extra = audience_check("r", "", Some("vault")).unwrap_err();
        assert!(extra.contains("no audience"), "{extra}");
        assert!(audience_check("r", "vault", Some("other")).is_err());
    }

    #[test]
    fn every_method_writes_its_files_with_a_command() {
        let mut draft = draft();
        draft.follow_role(&lab_role());
        let plan = draft.plan().unwrap();
        let injector = outputs(&plan, Method::Injector);
        assert_eq!(injector[0].file, "webapp-one-vault-patch.yaml");
        assert!(injector[0]
            .text
            .contains("vault.hashicorp.com/role: webapp-one"));
        let csi = outputs(&plan, Method::Csi);
        assert_eq!(csi.len(), 2);
        assert!(csi[0].text.contains("kind: SecretProviderClass"));
        assert!(csi[1]
            .command
            .starts_with("kubectl patch deployment/webapp-one --namespace default"));
        let eso = outputs(&plan, Method::Eso);
        assert!(
            eso[0].text.contains("kind: SecretStore")
                && eso[0].text.contains("kind: ExternalSecret")
        );
        let agent = outputs(&plan, Method::Agent);
        assert!(agent[0].text.contains("auto_auth {"));
        assert_eq!(agent[0].command, "vault agent -config=webapp-one-agent.hcl");
    }
}
