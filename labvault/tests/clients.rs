//! Real clients against the server: the `bao` CLI (the same binary as the OpenBao server)
//! and the hvac Python library, each through the flows a new user runs — init, unseal, KV,
//! policies, userpass login, token lookup, and (hvac) Kubernetes auth. Both servers must
//! give the clients what they expect; where they are meant to differ, differences.rs says.
//!
//! hvac lives in the tools venv (`~/.cache/vaultdeck/tools/python`), installed with
//! `python3 -m venv ~/.cache/vaultdeck/tools/python` and
//! `~/.cache/vaultdeck/tools/python/bin/python -m pip install hvac==2.4.0`.

mod common;

use common::{differences, start};
use serde_json::{json, Value};
use std::{path::PathBuf, process::Stdio};
use testvault::TestVault;
use tokio::{io::AsyncWriteExt, process::Command};

/// The hvac release the flows are written against.
const HVAC_VERSION: &str = "2.4.0";
const POLICY: &str = "path \"kv/data/app\" {\n  capabilities = [\"read\"]\n}\n";

// --- the bao CLI ----------------------------------------------------------------------

/// The `bao` CLI pointed at one server, with its own HOME so that the token helper never
/// touches the user's `~/.vault-token`.
struct Cli {
    bao: PathBuf,
    addr: String,
    home: tempfile::TempDir,
    token: Option<String>,
}

/// What a CLI run printed, and whether it succeeded.
struct Ran {
    success: bool,
    stdout: String,
    stderr: String,
}

impl Cli {
    fn new(vault: &TestVault) -> Cli {
        Cli {
            bao: testvault::bao_binary().expect("the bao CLI is installed"),
            addr: vault.url().to_string(),
            home: tempfile::tempdir().expect("a temporary HOME"),
            token: None,
        }
    }

    async fn run(&self, args: &[&str], stdin: Option<&str>) -> Ran {
        let mut command = Command::new(&self.bao);
        command
            .args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("BAO_ADDR", &self.addr)
            .env("VAULT_ADDR", &self.addr)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(token) = &self.token {
            command.env("BAO_TOKEN", token).env("VAULT_TOKEN", token);
        }
        let mut child = command.spawn().expect("bao runs");
        let mut input = child.stdin.take().expect("a stdin pipe");
        input
            .write_all(stdin.unwrap_or("").as_bytes())
            .await
            .expect("bao reads its input");
        drop(input);
        let output = child.wait_with_output().await.expect("bao finishes");
        Ran {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs a command that must succeed; returns what it printed.
    async fn ok(&self, args: &[&str]) -> String {
        self.ok_with_input(args, None).await
    }

    async fn ok_with_input(&self, args: &[&str], stdin: Option<&str>) -> String {
        let ran = self.run(args, stdin).await;
        assert!(
            ran.success,
            "bao {args:?} failed:\n{}\n{}",
            ran.stdout, ran.stderr
        );
        ran.stdout
    }

    async fn json(&self, args: &[&str]) -> Value {
        let printed = self.ok(args).await;
        serde_json::from_str(&printed)
            .unwrap_or_else(|e| panic!("bao {args:?} printed no JSON ({e}): {printed}"))
    }
}

#[tokio::test]
async fn the_bao_cli_initializes_and_unseals_a_fresh_server() {
    let vault = start().await;
    let mut cli = Cli::new(&vault);
    let init = cli
        .json(&[
            "operator",
            "init",
            "-key-shares=3",
            "-key-threshold=2",
            "-format=json",
        ])
        .await;
    let keys = init["unseal_keys_b64"].as_array().expect("unseal keys");
    assert_eq!(keys.len(), 3);
    assert_eq!(init["unseal_threshold"], 2);
    let root = init["root_token"].as_str().expect("a root token");
    assert!(root.starts_with(differences::service_token_prefix(vault.flavor())));
    let first = cli
        .json(&[
            "operator",
            "unseal",
            "-format=json",
            keys[0].as_str().unwrap(),
        ])
        .await;
    assert_eq!(
        (first["sealed"].clone(), first["progress"].clone()),
        (json!(true), json!(1))
    );
    let second = cli
        .json(&[
            "operator",
            "unseal",
            "-format=json",
            keys[1].as_str().unwrap(),
        ])
        .await;
    assert_eq!(second["sealed"], false);
    vault
        .wait_until_active()
        .await
        .expect("the server becomes active");
    cli.token = Some(root.to_string());
    let status = cli.json(&["status", "-format=json"]).await;
    assert_eq!(
        (status["initialized"].clone(), status["sealed"].clone()),
        (json!(true), json!(false))
    );
}

/// A server initialized over HTTP, and the CLI holding its root token.
async fn cli_as_root() -> (TestVault, Cli) {
    let vault = TestVault::initialized(1, 1)
        .await
        .expect("a test Vault starts");
    let mut cli = Cli::new(&vault);
    cli.token = Some(vault.root_token().to_string());
    (vault, cli)
}

#[tokio::test]
async fn the_bao_cli_writes_and_reads_kv_version_2() {
    let (_vault, cli) = cli_as_root().await;
    let enabled = cli
        .ok(&["secrets", "enable", "-path=kv", "-version=2", "kv"])
        .await;
    assert!(
        enabled.contains("Success! Enabled the kv secrets engine at: kv/"),
        "{enabled}"
    );
    cli.ok(&["kv", "put", "kv/app", "password=hunter2", "port=5432"])
        .await;
    let read = cli.json(&["kv", "get", "-format=json", "kv/app"]).await;
    assert_eq!(
        read["data"]["data"],
        json!({ "password": "hunter2", "port": "5432" })
    );
    assert_eq!(read["data"]["metadata"]["version"], 1);
    let field = cli.ok(&["kv", "get", "-field=password", "kv/app"]).await;
    assert_eq!(field, "hunter2");
    let missing = cli.run(&["kv", "get", "kv/missing"], None).await;
    assert!(!missing.success);
    assert!(
        missing.stderr.contains("No value found at kv/data/missing"),
        "{}",
        missing.stderr
    );
}

#[tokio::test]
async fn the_bao_cli_logs_in_with_userpass_and_looks_up_its_token() {
    let (vault, cli) = cli_as_root().await;
    cli.ok_with_input(&["policy", "write", "app", "-"], Some(POLICY))
        .await;
    let read = cli.ok(&["policy", "read", "app"]).await;
    assert_eq!(read.trim_end(), POLICY.trim_end());
    cli.ok(&["auth", "enable", "userpass"]).await;
    cli.ok(&[
        "write",
        "auth/userpass/users/alice",
        "password=correct horse",
        "token_policies=app",
    ])
    .await;
    let mut alice = Cli::new(&vault);
    let login = alice
        .json(&[
            "login",
            "-method=userpass",
            "-no-store",
            "-format=json",
            "username=alice",
            "password=correct horse",
        ])
        .await;
    let token = login["auth"]["client_token"].as_str().expect("a token");
    assert!(token.starts_with(differences::service_token_prefix(vault.flavor())));
    assert_eq!(login["auth"]["policies"], json!(["app", "default"]));
    alice.token = Some(token.to_string());
    let lookup = alice.json(&["token", "lookup", "-format=json"]).await;
    assert_eq!(lookup["data"]["path"], "auth/userpass/login/alice");
    assert_eq!(lookup["data"]["display_name"], "userpass-alice");
    assert_eq!(lookup["data"]["policies"], json!(["app", "default"]));
    let refused = alice.run(&["policy", "list"], None).await;
    assert!(!refused.success);
    assert!(
        refused.stderr.contains("permission denied"),
        "{}",
        refused.stderr
    );
}

// --- hvac -----------------------------------------------------------------------------

fn hvac_python() -> PathBuf {
    testvault::tools_dir().join("python/bin/python")
}

/// hvac of the pinned version, or a failure that says how to get it.
async fn require_hvac() -> PathBuf {
    let python = hvac_python();
    let found = Command::new(&python)
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('hvac'))",
        ])
        .output()
        .await;
    let version = match found {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).trim().to_string()
        }
        _ => panic!(
            "hvac is not installed in {}: run `cargo xtask setup`",
            python.display()
        ),
    };
    assert_eq!(
        version, HVAC_VERSION,
        "hvac {version} is installed, the flows are pinned to {HVAC_VERSION}: run `cargo xtask setup`"
    );
    python
}

#[tokio::test]
async fn hvac_runs_a_new_users_flows() {
    let python = require_hvac().await;
    let vault = start().await;
    // The clone running the test, not the one that built it (they can share a target).
    let script = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test"),
    )
    .join("tests/clients/hvac_flows.py");
    let output = Command::new(&python)
        .arg(script)
        .env("VAULT_ADDR", vault.url())
        .env_remove("VAULT_TOKEN")
        .output()
        .await
        .expect("python runs");
    assert!(
        output.status.success(),
        "the hvac flows failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).expect("the flows print JSON");
    check_hvac_init(&vault, &seen);
    check_hvac_kv_and_userpass(&vault, &seen);
    check_hvac_kubernetes(&seen);
}

fn check_hvac_init(vault: &TestVault, seen: &Value) {
    let prefix = differences::service_token_prefix(vault.flavor());
    assert_eq!(seen["initialized_before"], false);
    assert_eq!(seen["key_count"], 3);
    assert!(
        seen["root_token"].as_str().unwrap().starts_with(prefix),
        "{seen}"
    );
    assert_eq!(seen["progress_after_one_key"], 1);
    assert_eq!(seen["sealed_after_two_keys"], false);
}

fn check_hvac_kv_and_userpass(vault: &TestVault, seen: &Value) {
    let prefix = differences::service_token_prefix(vault.flavor());
    assert_eq!(seen["kv_password"], "hunter2");
    assert_eq!(seen["kv_version"], 1);
    assert_eq!(seen["policy_text"], POLICY);
    assert_eq!(seen["policies"], json!(["app", "default", "root"]));
    assert_eq!(seen["login_policies"], json!(["app", "default"]));
    assert!(
        seen["login_token"].as_str().unwrap().starts_with(prefix),
        "{seen}"
    );
    assert_eq!(seen["lookup_path"], "auth/userpass/login/alice");
    assert_eq!(seen["lookup_display_name"], "userpass-alice");
    assert_eq!(seen["user_reads_kv"], "hunter2");
    assert_eq!(
        seen["user_lists_policies"],
        json!(["1 error occurred:\n\t* permission denied\n\n"])
    );
}

fn check_hvac_kubernetes(seen: &Value) {
    assert_eq!(seen["k8s_host"], "https://127.0.0.1:6443");
    assert_eq!(seen["k8s_ca"], true);
    assert_eq!(
        seen["k8s_role"],
        json!({
            "bound_service_account_names": ["web"],
            "bound_service_account_namespaces": ["apps"],
            "token_policies": ["app"],
            "token_ttl": 3600,
            "audience": "vault",
        })
    );
    assert_eq!(seen["k8s_roles"], json!(["web"]));
}
