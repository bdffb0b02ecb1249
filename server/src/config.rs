//! Vaultdeck's settings: command-line flags, each with a matching environment variable.
//! The Vault settings use the Vault CLI's variable names; Vaultdeck's own use `VAULTDECK_`.

use clap::{
    builder::BoolishValueParser,
    error::{ContextKind, ContextValue},
    CommandFactory, Parser,
};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

#[derive(Clone, Debug, Parser)]
#[command(
    name = "vaultdeck",
    version,
    about = "A web console for HashiCorp Vault on Kubernetes"
)]
pub struct Config {
    /// Vault's address. When unset, Vaultdeck starts its embedded lab server (labvault).
    #[arg(long, env = "VAULT_ADDR", value_parser = unechoed(parse_http_url))]
    pub vault_addr: Option<reqwest::Url>,

    /// A PEM file with the CA certificate(s) to verify Vault's TLS certificate.
    #[arg(long, env = "VAULT_CACERT")]
    pub vault_cacert: Option<PathBuf>,

    /// Do not verify Vault's TLS certificate (lab use only).
    #[arg(long, env = "VAULT_SKIP_VERIFY", num_args = 0..=1, default_value = "false",
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub vault_skip_verify: bool,

    /// Address and port to listen on.
    #[arg(long, env = "VAULTDECK_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// The path under which Vaultdeck is served, e.g. `/ui` or `/`.
    #[arg(long, env = "VAULTDECK_BASE_PATH", default_value = "/ui", value_parser = parse_base_path)]
    pub base_path: BasePath,

    /// The built site (WASM, JS, CSS, static files). Defaults to `site` beside the binary's
    /// directory, where `cargo xtask` puts it; `LEPTOS_SITE_ROOT` is honoured for cargo-leptos.
    #[arg(long, env = "VAULTDECK_SITE_DIR")]
    pub site_dir: Option<PathBuf>,

    /// Log format: `human` or `json`.
    #[arg(
        long,
        env = "VAULTDECK_LOG_FORMAT",
        value_enum,
        default_value = "human"
    )]
    pub log_format: LogFormat,

    /// Longest time a request may take before the server answers 504 (e.g. `30s`, `2m`).
    #[arg(long, env = "VAULTDECK_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// At most this many requests to Vault at once; more wait for a free connection.
    #[arg(long, env = "VAULTDECK_VAULT_MAX_CONNECTIONS", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub vault_max_connections: u32,

    /// A client must send a request's headers within this long, and a kept-alive
    /// connection that sends nothing for this long is closed (slow or idle clients cannot
    /// hold connections open).
    #[arg(long, env = "VAULTDECK_HEADER_READ_TIMEOUT", default_value = "15s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,

    /// Host names this server answers to (comma-separated; `*.example.com` allowed), besides
    /// IP addresses and `localhost`, which are always accepted. Requests for any other host
    /// get 421: a page that rebinds its own DNS name to this server cannot use it.
    #[arg(long, env = "VAULTDECK_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,

    /// Serve `GET /metrics` (Prometheus' text format) on this address, e.g. `0.0.0.0:9090`.
    /// Off when unset; never on the public listen address.
    #[arg(long, env = "VAULTDECK_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Largest request body accepted, in bytes; larger bodies get 413.
    #[arg(long, env = "VAULTDECK_MAX_BODY_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Where the embedded lab server keeps its (encrypted) data when `VAULT_ADDR` is unset.
    /// Defaults to `vaultdeck` in the user's data directory.
    #[arg(long, env = "VAULTDECK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Where sessions live: `memory` (one replica) or `redis://host:6379/0` (shared by
    /// several replicas).
    #[arg(long, env = "VAULTDECK_SESSION_STORE", default_value = "memory", value_parser = unechoed(parse_session_store))]
    pub session_store: SessionStoreUrl,

    /// A session ends after this long without activity (e.g. `30m`, `8h`).
    #[arg(long, env = "VAULTDECK_SESSION_IDLE_TIMEOUT", default_value = "30m", value_parser = parse_duration)]
    pub session_idle_timeout: Duration,

    /// A kubeconfig file for the cluster, used when Vaultdeck does not run in a pod.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,

    /// The Kubernetes API to use when not running in a pod and `KUBECONFIG` is unset, e.g.
    /// `http://127.0.0.1:8001` from `kubectl proxy`.
    #[arg(long, env = "VAULTDECK_KUBE_API", value_parser = unechoed(parse_http_url))]
    pub kube_api: Option<reqwest::Url>,

    /// Other URLs of the cluster's API server than the one Vaultdeck uses (comma-separated),
    /// e.g. the address Vault reaches it at. A Kubernetes auth mount whose `kubernetes_host`
    /// is one of them counts as configured for this cluster.
    #[arg(long, env = "VAULTDECK_KUBE_HOST_ALIASES", value_delimiter = ',', value_parser = unechoed(parse_http_url))]
    pub kube_host_aliases: Vec<reqwest::Url>,

    /// Offer "Set it up in the cluster" on the Kubernetes configuration pages: Vaultdeck
    /// creates the TokenReview reviewer's (or the secrets engine's) service account, binds
    /// it, and writes its token into the mount's configuration, with its own cluster
    /// identity. Off by default: whoever may update a mount's configuration then gets that
    /// service account's rights in the cluster through Vault (README: Security).
    #[arg(long, env = "VAULTDECK_SET_UP_SERVICE_ACCOUNTS", num_args = 0..=1, default_value = "false",
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub set_up_service_accounts: bool,

    /// Also check Kubernetes roles that have no audience ("Can this pod read it?", "Prove
    /// it"), and let users who may re-point a mount check its roles. Vault sends the test
    /// token where the mount's `kubernetes_host` points, which whoever may write the mount's
    /// configuration can change between Vaultdeck's check and Vault's login: without an
    /// audience the token is one the whole API server accepts; with one, Vault roles
    /// elsewhere that bind the account for it accept it. Off by default (README: Security).
    #[arg(long, env = "VAULTDECK_TEST_LOGINS_WITHOUT_AUDIENCE", num_args = 0..=1, default_value = "false",
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub test_logins_without_audience: bool,

    /// The ClusterRole "Set it up" binds to a Kubernetes secrets engine's service account
    /// (it must exist: the Helm chart creates it with `rbac.setUpServiceAccounts`).
    #[arg(
        long,
        env = "VAULTDECK_ENGINE_CLUSTER_ROLE",
        default_value = "vault-secrets-engine"
    )]
    pub engine_cluster_role: String,

    /// The Vault namespace (Vault Enterprise, OpenBao) sent with every call.
    #[arg(long, env = "VAULT_NAMESPACE")]
    pub vault_namespace: Option<String>,

    /// A `bao` or `vault` binary: with it, "Deliver to a pod" offers "Prove it", which runs
    /// that binary's agent once with the generated configuration against this Vault.
    #[arg(long, env = "VAULTDECK_AGENT_BINARY", value_parser = parse_agent_binary)]
    pub agent_binary: Option<PathBuf>,

    /// Where "Prove it" keeps a run's files (the token, the rendered secrets) while the
    /// agent runs: a private directory per run, removed right after. Default: the system's.
    #[arg(long, env = "VAULTDECK_AGENT_WORK_DIR")]
    pub agent_work_dir: Option<PathBuf>,

    /// Vault's address as pods in the cluster reach it, e.g.
    /// `http://vault.vault-system.svc:8200`: prefilled in the manifests "Deliver to a pod"
    /// writes. Default: `VAULT_ADDR`.
    #[arg(long, env = "VAULTDECK_IN_CLUSTER_VAULT_ADDR", value_parser = unechoed(parse_http_url))]
    pub in_cluster_vault_addr: Option<reqwest::Url>,

    /// The session cookie's `Secure` flag: `auto` (on unless listening on loopback over
    /// plain HTTP), `true` or `false`.
    #[arg(
        long,
        env = "VAULTDECK_COOKIE_SECURE",
        value_enum,
        default_value = "auto"
    )]
    pub cookie_secure: CookieSecure,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CookieSecure {
    Auto,
    True,
    False,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionStoreUrl {
    Memory,
    Redis(String),
}

fn parse_session_store(value: &str) -> Result<SessionStoreUrl, String> {
    match value {
        "memory" | "" => Ok(SessionStoreUrl::Memory),
        url if url.starts_with("redis://") || url.starts_with("rediss://") => {
            Ok(SessionStoreUrl::Redis(url.to_string()))
        }
        _ => Err("must be `memory` or a `redis://` URL".into()),
    }
}

impl Config {
    /// Whether the session cookie carries `Secure`.
    pub fn secure_cookies(&self) -> bool {
        match self.cookie_secure {
            CookieSecure::True => true,
            CookieSecure::False => false,
            CookieSecure::Auto => !self.listen.ip().is_loopback(),
        }
    }

    /// The lab server's data directory: the flag, else `$XDG_DATA_HOME/vaultdeck`, else
    /// `~/.local/share/vaultdeck`.
    pub fn lab_data_dir(&self) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("vaultdeck")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// A validated base path: `/` or `/segment[/segment…]` without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasePath(String);

impl BasePath {
    /// The path routes are nested under: `""` for `/`, else e.g. `/ui`.
    pub fn prefix(&self) -> &str {
        if self.0 == "/" {
            ""
        } else {
            &self.0
        }
    }
}

impl Config {
    /// Parses flags and environment; on a bad value prints one line naming the setting and
    /// exits with status 2 (help and version print as usual).
    pub fn from_env_and_args() -> Config {
        match Config::try_parse() {
            Ok(config) => config,
            Err(error) => exit_with_one_line(error),
        }
    }
}

fn exit_with_one_line(error: clap::Error) -> ! {
    use clap::error::ErrorKind::{DisplayHelp, DisplayVersion};
    if matches!(error.kind(), DisplayHelp | DisplayVersion) {
        error.exit();
    }
    let rendered = error.render().to_string();
    let first_line = rendered
        .lines()
        .next()
        .unwrap_or("invalid settings")
        .trim_start_matches("error: ");
    let env_hint = error
        .get(ContextKind::InvalidArg)
        .and_then(|arg| env_name_of(&arg.to_string()))
        .map(|env| format!(" (environment variable {env})"))
        .unwrap_or_default();
    eprintln!("vaultdeck: {first_line}{env_hint}");
    std::process::exit(2);
}

/// The environment variable of the flag named in a clap error, e.g. `--listen <LISTEN>`.
fn env_name_of(flag: &str) -> Option<String> {
    let long = flag.trim_start_matches("--").split([' ', '=']).next()?;
    Config::command()
        .get_arguments()
        .find(|arg| arg.get_long() == Some(long))
        .and_then(|arg| arg.get_env())
        .map(|env| env.to_string_lossy().into_owned())
}

/// A value parser whose refusal does not repeat the value: an address may hold a user name
/// and password (`redis://:password@…`, a proxy's credentials in `VAULT_ADDR`), and clap's
/// own message for a refused value quotes it, on a terminal or into a pod's log.
fn unechoed<T>(parse: fn(&str) -> Result<T, String>) -> Unechoed<T> {
    Unechoed(parse)
}

#[derive(Clone)]
struct Unechoed<T>(fn(&str) -> Result<T, String>);

impl<T: Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Unechoed<T> {
    type Value = T;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let name = arg.map(|a| a.to_string()).unwrap_or_default();
        let refused = |reason: &str| {
            let mut error = clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value for '{name}': {reason} (the value is not repeated: it may hold a password)\n"),
            )
            .with_cmd(command);
            // Named as clap's own refusals name it, for the environment variable's hint.
            error.insert(ContextKind::InvalidArg, ContextValue::String(name.clone()));
            error
        };
        let text = value.to_str().ok_or_else(|| refused("not UTF-8"))?;
        (self.0)(text).map_err(|reason| refused(&reason))
    }
}

fn parse_http_url(value: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(value).map_err(|e| format!("not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("scheme must be http or https, not {other}")),
    }
}

/// An agent binary: an executable file named `bao` or `vault` (the only agents whose
/// configuration Vaultdeck writes).
fn parse_agent_binary(value: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(value);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name != "bao" && name != "vault" {
        return Err("must name a `bao` or `vault` binary".into());
    }
    if !path.is_file() {
        return Err(format!("{value} is not a file"));
    }
    Ok(path)
}

fn parse_base_path(value: &str) -> Result<BasePath, String> {
    if value == "/" {
        return Ok(BasePath(value.to_string()));
    }
    let trimmed = value.trim_end_matches('/');
    let valid = trimmed.starts_with('/')
        && trimmed[1..].split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c))
        });
    if valid {
        Ok(BasePath(trimmed.to_string()))
    } else {
        Err("must be `/` or a path like `/ui` (letters, digits, `-_.~`, separated by `/`)".into())
    }
}

/// Durations as Vault writes them: `90s`, `30m`, `1h`, `1h30m`, or plain seconds — read by
/// the same parser as the app's duration fields.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    match vaultdeck_app::durations::parse(value)? {
        Some(seconds) => Ok(Duration::from_secs(seconds)),
        None => Err("a duration is required, e.g. 30s, 5m or 1h".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths() {
        assert_eq!(parse_base_path("/ui").unwrap().prefix(), "/ui");
        assert_eq!(parse_base_path("/ui/").unwrap().prefix(), "/ui");
        assert_eq!(parse_base_path("/").unwrap().prefix(), "");
        assert_eq!(parse_base_path("/a/b-c").unwrap().prefix(), "/a/b-c");
        for bad in ["ui", "/ui//x", "/../x", "/a b", "/<script>"] {
            assert!(parse_base_path(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("45").unwrap(), Duration::from_secs(45));
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn a_refused_address_is_not_repeated_as_it_may_hold_a_password() {
        for (flag, value) in [
            ("--session-store", "valkey://:hunter2@cache:6379/0"),
            ("--vault-addr", "ftp://user:hunter2@vault:8200"),
            ("--kube-api", "ftp://user:hunter2@api"),
            ("--in-cluster-vault-addr", "http://user:hunter2@[bad"),
        ] {
            let refused = Config::try_parse_from(["vaultdeck", flag, value])
                .map(|_| ())
                .expect_err(value);
            let message = refused.to_string();
            assert!(!message.contains("hunter2"), "{message}");
            assert!(message.contains(flag), "{message}");
            let named = refused.get(ContextKind::InvalidArg).map(|a| a.to_string());
            let env = named.as_deref().and_then(env_name_of);
            assert!(env.is_some_and(|e| e.starts_with("VAULT")), "{named:?}");
        }
    }

    #[test]
    fn session_stores() {
        assert_eq!(
            parse_session_store("memory").unwrap(),
            SessionStoreUrl::Memory
        );
        assert!(matches!(
            parse_session_store("redis://127.0.0.1:6379/0").unwrap(),
            SessionStoreUrl::Redis(_)
        ));
        assert!(parse_session_store("postgres://x").is_err());
    }

    #[test]
    fn error_names_the_environment_variable() {
        assert_eq!(
            env_name_of("--listen <LISTEN>").as_deref(),
            Some("VAULTDECK_LISTEN")
        );
        assert_eq!(
            env_name_of("--vault-addr <VAULT_ADDR>").as_deref(),
            Some("VAULT_ADDR")
        );
    }
}
