//! Vault Agent: its configuration for a plan, the configuration the injector derives from
//! annotations (the mapping, written down once, here), and the configuration "Prove it" runs.
//!
//! One [`AgentConfig`] serves all three, so what is proven is what is generated:
//! [`for_plan`] is what a user who runs the agent themselves gets (the injector's sidecar
//! settings); [`from_annotations`] is what the injector writes for a pod with those
//! annotations (vault-k8s `agent-inject/agent/config.go` `newConfig`); and
//! [`AgentConfig::for_proof`] changes only where files are and how fast a failure ends.
//! A unit test holds `from_annotations(injector::annotations(plan)) == for_plan(plan)`.
//!
//! The agent reads HCL (and JSON); `to_hcl` writes HCL 1 as the agent parses it, template
//! contents in heredocs.

use super::{injector, templates::template, Plan};
use std::collections::BTreeMap;

/// The token Kubernetes mounts in every pod that does not opt out.
pub const POD_TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
/// Where the injector's agents keep their state (an in-memory volume of their own).
pub const AGENT_HOME: &str = "/home/vault";
/// Where the injector's agents write the rendered files, shared with the app's containers.
pub const SECRETS_DIR: &str = "/vault/secrets";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentConfig {
    pub vault_address: String,
    pub ca_cert: Option<String>,
    pub tls_skip_verify: bool,
    /// `vault { retry { num_retries } }`; `None` leaves the agent's default (12).
    pub num_retries: Option<u32>,
    /// `auth/kubernetes`: the agent posts to `MOUNT_PATH/login`.
    pub mount_path: String,
    pub namespace: Option<String>,
    pub role: String,
    pub token_path: String,
    /// Stop instead of retrying a failed login forever.
    pub exit_on_err: bool,
    pub sink_path: String,
    pub pid_file: String,
    /// Render once and exit (the injector's init container), or keep rendering (its sidecar).
    pub exit_after_auth: bool,
    pub exit_on_retry_failure: bool,
    pub templates: Vec<AgentTemplate>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentTemplate {
    pub destination: String,
    pub contents: String,
    pub error_on_missing_key: bool,
}

/// The agent's configuration for a plan, as the injector's sidecar would have it.
pub fn for_plan(plan: &Plan) -> AgentConfig {
    AgentConfig {
        vault_address: plan.vault_addr.trim().into(),
        ca_cert: None,
        tls_skip_verify: false,
        num_retries: None,
        mount_path: plan.auth_path(),
        namespace: plan.namespace_value().map(str::to_string),
        role: plan.role.trim().into(),
        token_path: match plan.audience_value() {
            Some(_) => format!("{}/{}", injector::TOKEN_VOLUME_MOUNT, injector::TOKEN_FILE),
            None => POD_TOKEN_PATH.into(),
        },
        exit_on_err: false,
        sink_path: format!("{AGENT_HOME}/.vault-token"),
        pid_file: format!("{AGENT_HOME}/.pid"),
        exit_after_auth: false,
        exit_on_retry_failure: true,
        templates: plan
            .secrets
            .iter()
            .map(|secret| AgentTemplate {
                destination: format!("{SECRETS_DIR}/{}", secret.name),
                contents: template(secret),
                error_on_missing_key: true,
            })
            .collect(),
    }
}

/// What the injector is started with, that annotations may override.
#[derive(Clone, Debug, Default)]
pub struct InjectorFlags {
    /// `-vault-address` (`AGENT_INJECT_VAULT_ADDR`); the `service` annotation overrides it.
    pub vault_address: String,
    /// The pod's projected `serviceAccountToken` volumes: `(volume name, file path)`.
    pub projected_tokens: Vec<(String, String)>,
}

/// The agent configuration the injector writes for a pod with these annotations: its
/// sidecar's (`exit_after_auth` false; the init container's differs only there).
///
/// The mapping, row by row (vault-k8s v1.7 `annotations.go` and `config.go`):
///
/// | annotation | agent setting | when absent |
/// |---|---|---|
/// | `agent-inject` | nothing is injected unless true | no agent at all |
/// | `service` | `vault.address` | the injector's `-vault-address` |
/// | `auth-path` | `auto_auth.method.mount_path`, verbatim | `auth/kubernetes` |
/// | `namespace` | `auto_auth.method.namespace` | none |
/// | `role` | `auto_auth.method.config.role` | required |
/// | `agent-service-account-token-volume-name` | `config.token_path` = the injector's mount of that projected volume + its `path` | the pod's token |
/// | `agent-inject-secret-NAME` | a `template`, destination `/vault/secrets/name` | — |
/// | `agent-inject-template-NAME` | that template's `contents` | the default `map` template |
/// | `agent-inject-file-NAME` | the destination's file under `/vault/secrets` | NAME lowercased |
/// | `error-on-missing-key-NAME` | `error_on_missing_key` | false |
/// | `template-config-exit-on-retry-failure` | `template_config.exit_on_retry_failure` | true |
/// | `agent-auto-auth-exit-on-err` | `auto_auth.method.exit_on_err` | false |
///
/// Every other `vault.hashicorp.com/` annotation changes what is not modelled here (TLS
/// files inside the agent's container, caching, resources…) and is returned by name in
/// `Err` rather than silently ignored.
pub fn from_annotations(
    annotations: &[(String, String)],
    flags: &InjectorFlags,
) -> Result<AgentConfig, String> {
    let ours: BTreeMap<&str, &str> = annotations
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(injector::PREFIX).map(|k| (k, v.as_str())))
        .collect();
    if !ours.get("agent-inject").copied().is_some_and(parse_bool) {
        return Err(
            "vault.hashicorp.com/agent-inject is not true: the injector leaves this pod alone."
                .into(),
        );
    }
    if let Some(unknown) = ours.keys().find(|k| !is_modelled(k)) {
        return Err(format!(
            "vault.hashicorp.com/{unknown} is not modelled by Vaultdeck."
        ));
    }
    let role = ours.get("role").copied().unwrap_or_default().to_string();
    if role.is_empty() {
        return Err("vault.hashicorp.com/role is required for Kubernetes auth.".into());
    }
    let token_path = match ours.get("agent-service-account-token-volume-name") {
        None => POD_TOKEN_PATH.to_string(),
        Some(volume) => {
            let (_, file) = flags
                .projected_tokens
                .iter()
                .find(|(name, _)| name == volume)
                .ok_or_else(|| format!("The pod has no projected token volume named {volume}."))?;
            format!("{}/{file}", injector::TOKEN_VOLUME_MOUNT)
        }
    };
    Ok(AgentConfig {
        vault_address: ours
            .get("service")
            .map(|s| s.to_string())
            .unwrap_or_else(|| flags.vault_address.clone()),
        ca_cert: None,
        tls_skip_verify: false,
        num_retries: None,
        mount_path: ours
            .get("auth-path")
            .unwrap_or(&"auth/kubernetes")
            .to_string(),
        namespace: ours
            .get("namespace")
            .filter(|n| !n.is_empty())
            .map(|n| n.to_string()),
        role,
        token_path,
        exit_on_err: ours
            .get("agent-auto-auth-exit-on-err")
            .copied()
            .is_some_and(parse_bool),
        sink_path: format!("{AGENT_HOME}/.vault-token"),
        pid_file: format!("{AGENT_HOME}/.pid"),
        exit_after_auth: false,
        exit_on_retry_failure: ours
            .get("template-config-exit-on-retry-failure")
            .is_none_or(|v| parse_bool(v)),
        templates: templates_of(&ours),
    })
}

/// The per-secret annotations the mapping understands.
const PER_SECRET: [&str; 4] = [
    "agent-inject-secret-",
    "agent-inject-template-",
    "agent-inject-file-",
    "error-on-missing-key-",
];

fn is_modelled(name: &str) -> bool {
    const WHOLE: [&str; 8] = [
        "agent-inject",
        "role",
        "service",
        "auth-path",
        "namespace",
        "agent-service-account-token-volume-name",
        "template-config-exit-on-retry-failure",
        "agent-auto-auth-exit-on-err",
    ];
    WHOLE.contains(&name) || PER_SECRET.iter().any(|p| name.starts_with(p))
}

/// One template per NAME that has a secret or a template annotation (the injector makes an
/// entry for either), in the order of their names.
fn templates_of(ours: &BTreeMap<&str, &str>) -> Vec<AgentTemplate> {
    let mut names: Vec<&str> = ours
        .keys()
        .filter_map(|k| {
            k.strip_prefix("agent-inject-secret-")
                .or_else(|| k.strip_prefix("agent-inject-template-"))
        })
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let get = |prefix: &str| ours.get(format!("{prefix}{name}").as_str()).copied();
            let path = get("agent-inject-secret-").unwrap_or_default();
            let contents = get("agent-inject-template-")
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| default_template(path));
            let file = get("agent-inject-file-")
                .map(|f| f.trim_start_matches('/').to_string())
                .unwrap_or_else(|| name.to_lowercase());
            AgentTemplate {
                destination: format!("{SECRETS_DIR}/{file}"),
                contents,
                error_on_missing_key: get("error-on-missing-key-").is_some_and(parse_bool),
            }
        })
        .collect()
}

/// The injector's `map` default template (vault-k8s `config.go`).
pub fn default_template(path: &str) -> String {
    format!("{{{{ with secret \"{path}\" }}}}{{{{ range $k, $v := .Data }}}}{{{{ $k }}}}: {{{{ $v }}}}\n{{{{ end }}}}{{{{ end }}}}")
}

/// Go's `strconv.ParseBool`, which the injector uses.
pub(crate) fn parse_bool(text: &str) -> bool {
    matches!(text, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// Where a proof runs: Vault as the BFF reaches it (never an address from the request), and
/// a private directory for the token, the rendered files and the agent's own files.
#[derive(Clone, Debug)]
pub struct ProofSite {
    pub vault_address: String,
    pub ca_cert: Option<String>,
    pub tls_skip_verify: bool,
    pub namespace: Option<String>,
    pub dir: String,
}

impl AgentConfig {
    /// The same settings run once, locally: the token file, the rendered files, the sink
    /// and the pid file go into `site.dir`; Vault is the one the BFF uses; one render and
    /// out (`exit_after_auth`, as the injector's init container); a refused login or read
    /// ends the run at once instead of retrying for minutes.
    pub fn for_proof(&self, site: &ProofSite) -> AgentConfig {
        let dir = site.dir.trim_end_matches('/');
        let mut proof = self.clone();
        proof.vault_address = site.vault_address.clone();
        proof.ca_cert = site.ca_cert.clone();
        proof.tls_skip_verify = site.tls_skip_verify;
        proof.namespace = site.namespace.clone();
        proof.num_retries = Some(1);
        proof.token_path = format!("{dir}/token");
        proof.exit_on_err = true;
        proof.sink_path = format!("{dir}/agent-token");
        proof.pid_file = format!("{dir}/agent.pid");
        proof.exit_after_auth = true;
        proof.exit_on_retry_failure = true;
        for template in &mut proof.templates {
            let file = template.destination.rsplit('/').next().unwrap_or_default();
            template.destination = format!("{dir}/secrets/{file}");
        }
        proof
    }

    /// The configuration in HCL.
    pub fn to_hcl(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("pid_file = {}\n", quoted(&self.pid_file)));
        out.push_str(&format!("exit_after_auth = {}\n\n", self.exit_after_auth));
        out.push_str("vault {\n");
        out.push_str(&format!("  address = {}\n", quoted(&self.vault_address)));
        if let Some(ca) = &self.ca_cert {
            out.push_str(&format!("  ca_cert = {}\n", quoted(ca)));
        }
        if self.tls_skip_verify {
            out.push_str("  tls_skip_verify = true\n");
        }
        if let Some(retries) = self.num_retries {
            out.push_str(&format!("  retry {{\n    num_retries = {retries}\n  }}\n"));
        }
        out.push_str("}\n\n");
        out.push_str(&self.auto_auth_hcl());
        out.push_str(&format!(
            "template_config {{\n  exit_on_retry_failure = {}\n}}\n",
            self.exit_on_retry_failure
        ));
        for template in &self.templates {
            out.push_str(&template_hcl(template));
        }
        out
    }

    fn auto_auth_hcl(&self) -> String {
        let mut out = String::from("auto_auth {\n  method \"kubernetes\" {\n");
        out.push_str(&format!("    mount_path = {}\n", quoted(&self.mount_path)));
        if let Some(namespace) = &self.namespace {
            out.push_str(&format!("    namespace = {}\n", quoted(namespace)));
        }
        if self.exit_on_err {
            out.push_str("    exit_on_err = true\n");
        }
        out.push_str("    config = {\n");
        out.push_str(&format!("      role = {}\n", quoted(&self.role)));
        out.push_str(&format!(
            "      token_path = {}\n",
            quoted(&self.token_path)
        ));
        out.push_str("    }\n  }\n\n  sink \"file\" {\n    config = {\n");
        out.push_str(&format!("      path = {}\n", quoted(&self.sink_path)));
        out.push_str("    }\n  }\n}\n\n");
        out
    }
}

fn template_hcl(template: &AgentTemplate) -> String {
    let mut out = String::from("\ntemplate {\n");
    out.push_str(&format!(
        "  destination = {}\n",
        quoted(&template.destination)
    ));
    if template.error_on_missing_key {
        out.push_str("  error_on_missing_key = true\n");
    }
    out.push_str(&format!(
        "  contents = <<{HEREDOC}\n{}\n{HEREDOC}\n}}\n",
        template.contents
    ));
    out
}

/// The heredoc marker; generated templates never hold a line equal to it.
const HEREDOC: &str = "EOT";

/// An HCL string: JSON's escapes are HCL's for the characters that occur here. `${` is
/// the one sequence JSON leaves that HCL 1 reads otherwise: it opens an interpolation, in
/// which the string's closing quote no longer closes it (the file stops parsing). HCL 1 has
/// no escape for `$`, so the brace is written as `\u007b`, which reads back as `{`.
fn quoted(text: &str) -> String {
    serde_json::to_string(text)
        .expect("a string always encodes")
        .replace("${", "$\\u007b")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::{injector, tests::lab_plan, Format, SecretPick};

    fn flags() -> InjectorFlags {
        InjectorFlags {
            vault_address: "http://injector-default:8200".into(),
            projected_tokens: vec![(injector::TOKEN_VOLUME.into(), injector::TOKEN_FILE.into())],
        }
    }

    fn varied_plans() -> Vec<Plan> {
        let mut custom = lab_plan();
        custom.auth_mount = "k8s-cluster1".into();
        custom.vault_namespace = Some("team-a".into());
        custom.audience = Some("vault".into());
        custom.secrets[0].kv_version = 1;
        custom.secrets.push(SecretPick {
            name: "db.json".into(),
            mount: "team/kv".into(),
            kv_version: 2,
            path: "db".into(),
            keys: vec!["user".into(), "password".into()],
            format: Format::Json,
        });
        vec![lab_plan(), custom]
    }

    #[test]
    fn the_injector_derives_from_the_annotations_exactly_the_generated_configuration() {
        for plan in varied_plans() {
            let derived = from_annotations(&injector::annotations(&plan), &flags()).unwrap();
            assert_eq!(derived, for_plan(&plan));
        }
    }

    #[test]
    fn the_mapping_follows_the_injectors_defaults() {
        let annotations = vec![
            (
                "vault.hashicorp.com/agent-inject".to_string(),
                "true".to_string(),
            ),
            ("vault.hashicorp.com/role".into(), "app".into()),
            (
                "vault.hashicorp.com/agent-inject-secret-DB".into(),
                "secret/data/db".into(),
            ),
        ];
        let derived = from_annotations(&annotations, &flags()).unwrap();
        assert_eq!(derived.vault_address, "http://injector-default:8200");
        assert_eq!(derived.mount_path, "auth/kubernetes");
        assert_eq!(derived.token_path, POD_TOKEN_PATH);
        assert!(derived.exit_on_retry_failure);
        assert_eq!(derived.templates[0].destination, "/vault/secrets/db");
        assert_eq!(
            derived.templates[0].contents,
            default_template("secret/data/db")
        );
        assert!(!derived.templates[0].error_on_missing_key);

        let off = vec![(
            "vault.hashicorp.com/agent-inject".to_string(),
            "false".to_string(),
        )];
        assert!(from_annotations(&off, &flags())
            .unwrap_err()
            .contains("leaves this pod alone"));
        let mut cached = annotations.clone();
        cached.push((
            "vault.hashicorp.com/agent-cache-enable".into(),
            "true".into(),
        ));
        assert!(from_annotations(&cached, &flags())
            .unwrap_err()
            .contains("agent-cache-enable"));
    }

    #[test]
    fn a_template_without_its_secret_annotation_still_renders() {
        let annotations = vec![
            (
                "vault.hashicorp.com/agent-inject".to_string(),
                "true".to_string(),
            ),
            ("vault.hashicorp.com/role".into(), "app".into()),
            (
                "vault.hashicorp.com/agent-inject-template-x".into(),
                "{{ with secret \"kv/data/x\" }}{{ end }}".into(),
            ),
        ];
        let derived = from_annotations(&annotations, &flags()).unwrap();
        assert_eq!(derived.templates.len(), 1);
        assert_eq!(derived.templates[0].destination, "/vault/secrets/x");
    }

    #[test]
    fn hcl_has_every_setting_and_the_template_in_a_heredoc() {
        let hcl = for_plan(&lab_plan()).to_hcl();
        for expected in [
            "vault {\n  address = \"http://vault.vault-system.svc:8200\"\n}\n",
            "  method \"kubernetes\" {\n    mount_path = \"auth/kubernetes\"\n",
            "      role = \"webapp-one\"\n",
            "      token_path = \"/var/run/secrets/kubernetes.io/serviceaccount/token\"\n",
            "template {\n  destination = \"/vault/secrets/app_one\"\n  error_on_missing_key = true\n  contents = <<EOT\n{{- with secret \"kv/data/webapps/app_one\" -}}\npassword={{ .Data.data.password }}\n{{ end -}}\nEOT\n}\n",
            "exit_after_auth = false\n",
        ] {
            assert!(hcl.contains(expected), "{expected:?} missing from\n{hcl}");
        }
        assert!(!hcl.contains("namespace"), "{hcl}");
    }

    #[test]
    fn a_proof_changes_only_where_files_are_and_how_fast_it_fails() {
        let plan = lab_plan();
        let site = ProofSite {
            vault_address: "http://127.0.0.1:8200".into(),
            ca_cert: None,
            tls_skip_verify: false,
            namespace: None,
            dir: "/tmp/proof-x/".into(),
        };
        let proof = for_plan(&plan).for_proof(&site);
        assert_eq!(proof.vault_address, "http://127.0.0.1:8200");
        assert_eq!(proof.token_path, "/tmp/proof-x/token");
        assert_eq!(
            proof.templates[0].destination,
            "/tmp/proof-x/secrets/app_one"
        );
        assert!(proof.exit_after_auth && proof.exit_on_err);
        assert_eq!(proof.role, "webapp-one");
        assert_eq!(proof.mount_path, "auth/kubernetes");
        assert_eq!(
            proof.templates[0].contents,
            for_plan(&plan).templates[0].contents
        );
        assert!(proof
            .to_hcl()
            .contains("  retry {\n    num_retries = 1\n  }\n"));
    }

    /// A role or mount name with `${` in it (Vault takes almost any mount name) made the
    /// agent's configuration unreadable; HCL 1 (the policy crate's parser mirrors it) now
    /// reads every such value back as it was.
    #[test]
    fn names_with_interpolation_read_back_as_written() {
        for name in ["a${b}", "x${\"", "$${", "\\${", "{{identity.entity.name}}"] {
            let text = format!("path {} {{ capabilities = [\"read\"] }}", quoted(name));
            let policy = vaultdeck_policy::parse(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(policy.rules[0].path, name, "{text}");
        }
    }
}
