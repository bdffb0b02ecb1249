//! `testvault`: starts a test Vault for the browser tests and prints how to reach it as one
//! JSON line (`{"flavor", "url", "root_token", "unseal_keys"}`, the token `null` and the
//! keys empty for a fresh server), then runs until stdin
//! closes or it is told to stop. The Playwright helpers start it as a child process.
//!
//! usage: testvault [--flavor openbao|labvault] [--dev [--root-token TOKEN] | --fresh]

use anyhow::{bail, Result};
use testvault::{Flavor, Mode, TestVault};
use tokio::io::AsyncReadExt;

#[tokio::main]
async fn main() -> Result<()> {
    let (flavor, mode) = options(std::env::args().skip(1).collect())?;
    let vault = TestVault::start(flavor, mode).await?;
    println!(
        "{}",
        serde_json::json!({
            "flavor": vault.flavor().name(),
            "url": vault.url(),
            "root_token": vault.root_token_if_any(),
            "unseal_keys": vault.unseal_keys(),
        })
    );
    wait_for_stop().await;
    drop(vault);
    Ok(())
}

fn options(args: Vec<String>) -> Result<(Flavor, Mode)> {
    let mut flavor = Flavor::from_env();
    let mut dev = false;
    let mut root_token = String::from("root");
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--flavor" => {
                flavor = match args.next().as_deref() {
                    Some("openbao") => Flavor::OpenBao,
                    Some("labvault") => Flavor::Labvault,
                    other => bail!("--flavor openbao|labvault, not {other:?}"),
                }
            }
            "--dev" => dev = true,
            "--fresh" => dev = false,
            "--root-token" => match args.next() {
                Some(token) => root_token = token,
                None => bail!("--root-token needs a value"),
            },
            other => bail!("unknown argument {other}"),
        }
    }
    let mode = if dev {
        Mode::Dev { root_token }
    } else {
        Mode::Fresh
    };
    Ok((flavor, mode))
}

/// Until stdin closes (the parent went away) or SIGTERM/SIGINT arrives.
async fn wait_for_stop() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).expect("a SIGTERM handler");
    let mut stdin = tokio::io::stdin();
    let mut buffer = [0u8; 64];
    let stdin_closed = async {
        while let Ok(n) = stdin.read(&mut buffer).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = stdin_closed => {}
    }
}
