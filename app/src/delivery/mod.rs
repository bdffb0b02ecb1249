//! "Deliver to a pod": what Vaultdeck writes so that a workload gets a KV secret — the Agent
//! injector's Deployment patch, a Secrets Store CSI `SecretProviderClass`, External Secrets
//! Operator objects, and a Vault Agent configuration — from one [`Plan`].
//!
//! Everything here is pure: the page shows what these functions return, the BFF runs the
//! agent configuration they return for "Prove it", and the tests check them against a real
//! agent and a real API server. Facts about each tool (field names, defaults, the paths
//! each one reads) come from the tools' sources; each module names the ones it relies on.

pub mod agent;
pub mod csi;
pub mod eso;
pub mod injector;
pub mod templates;
pub mod workloads;
pub mod yaml;

use serde::{Deserialize, Serialize};

/// The four ways to deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The Vault Agent injector's annotations on a Deployment's pod template.
    Injector,
    /// The Secrets Store CSI driver with Vault's provider.
    Csi,
    /// External Secrets Operator: a `SecretStore` and `ExternalSecret`s.
    Eso,
    /// A Vault Agent configuration, for those who run the agent themselves.
    Agent,
}

impl Method {
    pub const ALL: [Method; 4] = [Method::Injector, Method::Csi, Method::Eso, Method::Agent];

    pub fn key(self) -> &'static str {
        match self {
            Method::Injector => "injector",
            Method::Csi => "csi",
            Method::Eso => "eso",
            Method::Agent => "agent",
        }
    }

    pub fn from_key(key: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.key() == key)
    }

    pub fn title(self) -> &'static str {
        match self {
            Method::Injector => "Agent injector",
            Method::Csi => "Secrets Store CSI",
            Method::Eso => "External Secrets Operator",
            Method::Agent => "Vault Agent configuration",
        }
    }
}

/// How a secret's keys are written into the file the pod reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `KEY=value`, one line per key (a `.env` file).
    EnvFile,
    /// One JSON object of the keys.
    Json,
    /// The value of one key, nothing else.
    OneKey,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::EnvFile, Format::Json, Format::OneKey];

    pub fn key(self) -> &'static str {
        match self {
            Format::EnvFile => "env_file",
            Format::Json => "json",
            Format::OneKey => "one_key",
        }
    }

    pub fn from_key(key: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.key() == key)
    }

    pub fn title(self) -> &'static str {
        match self {
            Format::EnvFile => "env file (KEY=value)",
            Format::Json => "JSON",
            Format::OneKey => "one key's value",
        }
    }
}

/// One KV secret to deliver, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretPick {
    /// The file (and annotation, object) name in the pod, e.g. `app_one`.
    pub name: String,
    /// The KV mount, without slashes at the ends (`kv`, `team/kv`).
    pub mount: String,
    /// 1 or 2.
    pub kv_version: u8,
    /// The secret's path inside the mount (`webapps/app_one`).
    pub path: String,
    /// The keys to deliver, in this order; never empty.
    pub keys: Vec<String>,
    pub format: Format,
}

impl SecretPick {
    /// The path a client reads over Vault's API: `kv/data/webapps/app_one` on KV v2,
    /// `kv/webapps/app_one` on KV v1.
    pub fn api_path(&self) -> String {
        kv_api_path(&self.mount, self.kv_version, &self.path)
    }

    /// Go template expression for the map of the secret's keys: KV v2 answers put them
    /// under `data.data`, KV v1 answers under `data`.
    pub fn data_expression(&self) -> &'static str {
        match self.kv_version {
            2 => ".Data.data",
            _ => ".Data",
        }
    }
}

/// `MOUNT/data/PATH` for KV v2, `MOUNT/PATH` for KV v1.
pub fn kv_api_path(mount: &str, kv_version: u8, path: &str) -> String {
    let mount = mount.trim_matches('/');
    let path = path.trim_matches('/');
    match kv_version {
        2 => format!("{mount}/data/{path}"),
        _ => format!("{mount}/{path}"),
    }
}

/// Everything the generators need: checked once, by [`Plan::check`], before any of them runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Vault's address as pods in the cluster reach it, e.g. `http://vault.vault-system.svc:8200`.
    pub vault_addr: String,
    /// A Vault Enterprise / OpenBao namespace, when one is used.
    #[serde(default)]
    pub vault_namespace: Option<String>,
    /// The Kubernetes auth mount, without `auth/` (`kubernetes`, `k8s-cluster1`).
    pub auth_mount: String,
    pub role: String,
    /// The workload's namespace.
    pub namespace: String,
    pub service_account: String,
    /// The Deployment's name, e.g. `webapp-one`.
    pub workload: String,
    /// The container that reads the secrets (for the CSI volume mount).
    pub container: String,
    /// The audience of the service-account token the method presents; `None` for the API
    /// server's default. It must be the role's audience.
    #[serde(default)]
    pub audience: Option<String>,
    pub secrets: Vec<SecretPick>,
    /// CSI only: also sync a Kubernetes Secret per secret (`secretObjects`).
    #[serde(default)]
    pub sync_secret: bool,
}

/// The auth mount the tools assume when none is given: the injector's `auth/kubernetes`,
/// the CSI provider's and ESO's `kubernetes`.
pub const DEFAULT_AUTH_MOUNT: &str = "kubernetes";

/// More secrets than one pod plausibly needs; the proof reads each with the user's token.
pub const MOST_SECRETS: usize = 64;

impl Plan {
    /// What is wrong with the plan, in words for the form; `Ok` when every generator can run.
    pub fn check(&self) -> Result<(), String> {
        let url = self.vault_addr.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(' ') {
            return Err("Vault's address must be an http:// or https:// URL, as pods reach it (e.g. http://vault.vault-system.svc:8200).".into());
        }
        for (what, value) in [
            ("auth mount", &self.auth_mount),
            ("role", &self.role),
            ("namespace", &self.namespace),
            ("service account", &self.service_account),
            ("Deployment", &self.workload),
            ("container", &self.container),
        ] {
            if value.trim().is_empty() {
                return Err(format!("The {what} is required."));
            }
        }
        for (what, value) in [
            ("namespace", &self.namespace),
            ("service account", &self.service_account),
            ("Deployment", &self.workload),
            ("container", &self.container),
        ] {
            if !is_dns_label(value) {
                return Err(format!("The {what} “{value}” is not a Kubernetes name (lowercase letters, digits and -, at most 63)."));
            }
        }
        if self.secrets.is_empty() {
            return Err("Pick at least one secret.".into());
        }
        if self.secrets.len() > MOST_SECRETS {
            return Err(format!(
                "A plan holds at most {MOST_SECRETS} secrets; split it across workloads."
            ));
        }
        let mut names = std::collections::HashSet::new();
        for secret in &self.secrets {
            check_secret(secret)?;
            if !names.insert(secret.name.as_str()) {
                return Err(format!(
                    "Two secrets are named {}: each needs its own file name.",
                    secret.name
                ));
            }
        }
        Ok(())
    }

    /// `auth/MOUNT`, as the injector's `auth-path` and the agent's `mount_path` want it.
    pub fn auth_path(&self) -> String {
        format!("auth/{}", self.auth_mount.trim_matches('/'))
    }

    pub fn uses_default_mount(&self) -> bool {
        self.auth_mount.trim_matches('/') == DEFAULT_AUTH_MOUNT
    }

    pub fn namespace_value(&self) -> Option<&str> {
        self.vault_namespace
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
    }

    pub fn audience_value(&self) -> Option<&str> {
        self.audience
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
    }
}

fn check_secret(secret: &SecretPick) -> Result<(), String> {
    if !is_file_name(&secret.name) {
        return Err(format!(
            "“{}” cannot name a file in the pod: use lowercase letters, digits, -, _ and ., starting and ending with a letter or digit, at most {MAX_NAME} characters.",
            secret.name
        ));
    }
    if secret.mount.trim_matches('/').is_empty() || secret.path.trim_matches('/').is_empty() {
        return Err(format!(
            "The secret {} needs a mount and a path.",
            secret.name
        ));
    }
    if ![1, 2].contains(&secret.kv_version) {
        return Err(format!("{} is not a KV mount.", secret.mount));
    }
    if secret.keys.is_empty() {
        return Err(format!("Pick at least one key of {}.", secret.path));
    }
    if secret.format == Format::OneKey && secret.keys.len() != 1 {
        return Err(format!(
            "“One key's value” writes a single key: pick exactly one key of {}.",
            secret.path
        ));
    }
    // Quotes and braces would end the template's strings and actions.
    let unsafe_text = |t: &str| t.contains(['"', '`', '{', '}', '\\', '\n']);
    if unsafe_text(&secret.path) || unsafe_text(&secret.mount) {
        return Err(format!(
            "The path {} cannot be used in a template.",
            secret.path
        ));
    }
    if read_differently_by_the_agent(&secret.api_path()) || secret.mount.contains(':') {
        return Err(format!(
            "The path {} on {} cannot be used in a template: the agent trims a template's path and reads it as a URL, where ?, #, %, a space at the end or a : in the mount would make it read another secret than this one.",
            secret.path, secret.mount
        ));
    }
    if let Some(key) = secret.keys.iter().find(|k| !is_template_key(k)) {
        return Err(format!(
            "The key “{key}” cannot be written by a template: keys must be letters, digits and _ (and not start with a digit)."
        ));
    }
    Ok(())
}

/// Whether the agent would read another path than the one Vaultdeck reads (the read "Prove
/// it" checks the user's token with), given the API path as the template holds it.
/// openbao-template trims spaces and `/` from a `secret` path and then parses it as a URL
/// (`dependency/vault_read.go`): `#…` is dropped, `?…` becomes a query, and `%XX` is
/// decoded by rules that differ from Vaultdeck's at the edges (an encoded `/`). A mount
/// with a `:` would start the URL with a scheme.
fn read_differently_by_the_agent(text: &str) -> bool {
    text.contains(['?', '#', '%']) || text.trim() != text || text.contains(char::is_control)
}

/// The longest file name whose `agent-inject-template-NAME` key still fits the 63
/// characters Kubernetes allows an annotation name.
pub const MAX_NAME: usize = 63 - "agent-inject-template-".len();

/// A file name that also fits an annotation's name: `[a-z0-9]([-a-z0-9_.]*[a-z0-9])?`.
pub fn is_file_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_NAME
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(b))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
}

/// A key that `.Data.data.KEY` reaches in a Go template: an identifier.
pub fn is_template_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A DNS-1123 label: what Kubernetes accepts as a namespace or a container name.
pub fn is_dns_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// A file name for a secret path: its last segment, lowercased, with what a file name
/// cannot hold replaced by `-`.
pub fn default_name(path: &str) -> String {
    let last = path
        .trim_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let cleaned: String = last
        .to_ascii_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' | '.' => c,
            _ => '-',
        })
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let name: String = trimmed.chars().take(MAX_NAME).collect();
    match name.is_empty() {
        true => "secret".into(),
        false => name
            .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
            .into(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The course's lab: `kv/webapps/app_one` (KV v2) for `webapp-one` in `default`.
    pub fn lab_plan() -> Plan {
        Plan {
            vault_addr: "http://vault.vault-system.svc:8200".into(),
            vault_namespace: None,
            auth_mount: "kubernetes".into(),
            role: "webapp-one".into(),
            namespace: "default".into(),
            service_account: "webapp-one".into(),
            workload: "webapp-one".into(),
            container: "webapp-one".into(),
            audience: None,
            secrets: vec![SecretPick {
                name: "app_one".into(),
                mount: "kv".into(),
                kv_version: 2,
                path: "webapps/app_one".into(),
                keys: vec!["password".into()],
                format: Format::EnvFile,
            }],
            sync_secret: false,
        }
    }

    #[test]
    fn api_paths_follow_the_kv_version() {
        assert_eq!(
            kv_api_path("kv", 2, "webapps/app_one"),
            "kv/data/webapps/app_one"
        );
        assert_eq!(kv_api_path("/team/kv/", 2, "/a/b"), "team/kv/data/a/b");
        assert_eq!(
            kv_api_path("kv1", 1, "webapps/app_one"),
            "kv1/webapps/app_one"
        );
    }

    #[test]
    fn the_lab_plan_is_complete() {
        assert_eq!(lab_plan().check(), Ok(()));
        assert_eq!(lab_plan().auth_path(), "auth/kubernetes");
    }

    #[test]
    fn plans_the_tools_would_refuse_are_refused_first() {
        let mut plan = lab_plan();
        plan.vault_addr = "vault:8200".into();
        assert!(plan.check().unwrap_err().contains("http://"));
        let mut plan = lab_plan();
        plan.secrets[0].keys.clear();
        assert!(plan.check().unwrap_err().contains("at least one key"));
        let mut plan = lab_plan();
        plan.secrets[0].format = Format::OneKey;
        plan.secrets[0].keys.push("username".into());
        assert!(plan.check().unwrap_err().contains("exactly one key"));
        let mut plan = lab_plan();
        plan.secrets.push(plan.secrets[0].clone());
        assert!(plan.check().unwrap_err().contains("Two secrets"));
        let mut plan = lab_plan();
        plan.secrets = (0..=MOST_SECRETS)
            .map(|n| SecretPick {
                name: format!("s{n}"),
                ..lab_plan().secrets[0].clone()
            })
            .collect();
        assert!(plan.check().unwrap_err().contains("at most 64"));
        plan.secrets.pop();
        assert_eq!(plan.check(), Ok(()));
        let mut plan = lab_plan();
        plan.secrets[0].path = "a\"}}{{ .Data }}".into();
        assert!(plan.check().is_err());
        let mut plan = lab_plan();
        plan.secrets[0].keys = vec!["db-password".into()];
        assert!(plan.check().unwrap_err().contains("db-password"));
        let mut plan = lab_plan();
        plan.namespace = "Default".into();
        assert!(plan.check().is_err());
        let mut plan = lab_plan();
        plan.secrets[0].name = "x".repeat(MAX_NAME + 1);
        assert!(plan.check().is_err());
        for path in [
            "app#p",
            "app?version=1",
            "app%5Fone",
            "app ",
            "app /",
            "a\tb",
        ] {
            let mut plan = lab_plan();
            plan.secrets[0].path = path.into();
            assert!(plan.check().unwrap_err().contains("as a URL"), "{path}");
        }
        let mut plan = lab_plan();
        plan.secrets[0].path = "team a/My Secret".into();
        assert_eq!(plan.check(), Ok(()), "a space inside a path reads the same");
        let mut plan = lab_plan();
        plan.secrets[0].mount = " kv".into();
        assert!(plan.check().unwrap_err().contains("as a URL"));
        let mut plan = lab_plan();
        plan.secrets[0].mount = "kv:".into();
        assert!(plan.check().unwrap_err().contains("as a URL"));
    }

    #[test]
    fn default_names_are_file_names() {
        assert_eq!(default_name("webapps/app_one"), "app_one");
        assert_eq!(default_name("a/My Secret!"), "my-secret");
        assert_eq!(default_name("/"), "secret");
        assert!(is_file_name(&default_name(&"x".repeat(100))));
    }
}
