//! `cargo xtask`: the project's commands. Set-up, build, run, test and bench, driven from
//! Rust so that nothing but registry packages is ever downloaded.

mod k8s;
mod openbao;
mod paths;
mod process;
mod python;
mod setup;
mod site;
mod test;

use anyhow::{bail, Result};

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  setup            install what building and testing need (idempotent; the first run
                   builds the Kubernetes test binaries from Debian's source, 5-10 min)
  build [--release]
                   build the site (WASM, JS, CSS) and the vaultdeck server
  run [--release] [--openbao] [-- <vaultdeck flags>]
                   build and start Vaultdeck at http://127.0.0.1:3000/ui
                   (starts the embedded labvault when VAULT_ADDR is not set; with
                   --openbao, in front of a real OpenBao kept in the data directory)
  test [--rust-only | --e2e-only] [--vault openbao|labvault] [-- <playwright args>]
                   every test: cargo test --workspace, then Playwright in Chromium, each
                   against a real OpenBao and again against labvault (or the one named)
  screenshots      regenerate the README's screenshots (docs/screenshots/) in Chromium
  bench kv         benchmark a folder of 100,000 keys (release builds; prints, asserts nothing)

environment:
  CARGO_TARGET_DIR   build cache (default ~/.cache/vaultdeck/target)
  VAULTDECK_TOOLS    tool cache  (default ~/.cache/vaultdeck/tools)
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(error) = dispatch(&args) {
        eprintln!("xtask: {error:#}");
        std::process::exit(1);
    }
}

fn dispatch(args: &[String]) -> Result<()> {
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => {
            print!("{USAGE}");
            return Ok(());
        }
    };
    let (options, passthrough) = split_at_double_dash(rest);
    let release = options.iter().any(|o| o == "--release");
    match command {
        "setup" => setup::all(),
        "build" => site::build_all(release).map(|_| ()),
        "run" => run(
            release,
            options.iter().any(|o| o == "--openbao"),
            passthrough,
        ),
        "test" => test::run(&options, passthrough),
        "screenshots" => test::screenshots(),
        "bench" => test::bench(&options),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}

fn split_at_double_dash(args: &[String]) -> (Vec<String>, &[String]) {
    match args.iter().position(|a| a == "--") {
        Some(i) => (args[..i].to_vec(), &args[i + 1..]),
        None => (args.to_vec(), &[]),
    }
}

fn run(release: bool, openbao: bool, server_args: &[String]) -> Result<()> {
    let built = site::build_all(release)?;
    let mut command = std::process::Command::new(&built.server_binary);
    command
        .args(server_args)
        .env("VAULTDECK_SITE_DIR", &built.site_dir);
    let mut vault = None;
    if openbao {
        // Beside the embedded lab's data, never inside it.
        let mut data_dir = lab_data_dir().into_os_string();
        data_dir.push("-openbao");
        let data_dir = std::path::PathBuf::from(data_dir);
        let (child, addr) = openbao::start_lab_server(&data_dir)?;
        println!(
            "\nOpenBao listens at {addr} (data in {}); it starts sealed.",
            data_dir.display()
        );
        command.env("VAULT_ADDR", &addr);
        vault = Some(child);
    }
    // The server prints the address it listens on (`--listen`, `--base-path` may change it).
    println!("\nStarting Vaultdeck (default http://127.0.0.1:3000/ui; Ctrl-C to stop)\n");
    let status = command.status();
    if let Some(mut vault) = vault {
        let _ = vault.kill();
        let _ = vault.wait();
    }
    let status = status?;
    if !status.success() {
        bail!("vaultdeck exited with {status}");
    }
    Ok(())
}

/// Where Vaultdeck keeps lab data: `VAULTDECK_DATA_DIR`, else the user's data directory
/// (as the server itself decides).
fn lab_data_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("VAULTDECK_DATA_DIR") {
        return dir.into();
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/share"))
        })
        .unwrap_or_else(|| ".".into());
    base.join("vaultdeck")
}
