//! `cargo xtask`: the project's commands. Set-up, build, run, test and bench, driven from
//! Rust so that nothing but registry packages is ever downloaded.

mod bench;
mod bff_bench;
mod callgrind;
mod http;
mod k8s;
mod openbao;
mod paths;
mod process;
mod python;
mod served;
mod setup;
mod site;
mod sizes;
mod split;
mod stamp;
mod test;

use anyhow::{bail, Result};
use std::{
    net::{SocketAddr, ToSocketAddrs},
    time::{Duration, Instant},
};

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  setup            install what building and testing need (idempotent; the first run
                   builds the Kubernetes test binaries from Debian's source, 5-10 min)
  build [--release]
                   build the site (WASM, JS, CSS) and the vaultdeck server (debug unless
                   --release), and print the size of every chunk and of the first load
  run [--debug] [--openbao] [-- <vaultdeck flags>]
                   build and start Vaultdeck at http://127.0.0.1:3000/ui: a release build
                   of the server, or a debug one (quicker to rebuild) with --debug
                   (starts the embedded labvault when VAULT_ADDR is not set; with
                   --openbao, in front of a real OpenBao kept in the data directory)
  test [--rust-only | --e2e-only] [--vault openbao|labvault] [-- <playwright args>]
                   every test: cargo test --workspace, then Playwright in Chromium, each
                   against a real OpenBao and again against labvault (or the one named)
  screenshots      regenerate the README's screenshots (docs/screenshots/) in Chromium
  bench [size | bff | first-load | kv]
                   benchmarks on release builds, all of them without a name; they print
                   measurements against their targets and assert nothing:
                   size: chunks and the login page's first load against the size budget;
                   bff: reading a secret through Vaultdeck against reading it from OpenBao
                   directly (wrk, same concurrency), and the server's memory;
                   first-load: the login page against OpenBao's own UI, in Chromium;
                   kv: a folder of 100,000 keys

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
        // Release unless asked otherwise: what users run, and fast on every request.
        "run" => run(
            !options.iter().any(|o| o == "--debug"),
            options.iter().any(|o| o == "--openbao"),
            passthrough,
        ),
        "test" => test::run(&options, passthrough),
        "screenshots" => test::screenshots(),
        "bench" => bench::run(&options),
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
    let started = Instant::now();
    let built = site::build_all(release)?;
    let built_after = started.elapsed();
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
    let listen = listen_address(server_args, std::env::var("VAULTDECK_LISTEN").ok());
    let status = command.spawn().and_then(|mut server| {
        report_when_listening(listen, started, built_after);
        server.wait()
    });
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

/// Prints, from a thread, how long after `cargo xtask run` began the server accepted
/// connections, and how much of that was building (or finding nothing to rebuild).
fn report_when_listening(listen: Option<SocketAddr>, started: Instant, built_after: Duration) {
    let Some(addr) = listen else { return };
    std::thread::spawn(move || {
        if http::wait_until_listening(addr, Duration::from_secs(300)) {
            println!(
                "xtask: Vaultdeck listens on {addr}, {:.1} s after `cargo xtask run` started \
                 (build steps: {:.1} s)",
                started.elapsed().as_secs_f64(),
                built_after.as_secs_f64()
            );
        }
    });
}

/// The address to connect to for the one the server will listen on: `--listen` among its
/// flags, else `VAULTDECK_LISTEN`, else the default; an unspecified host (`0.0.0.0`, `[::]`)
/// is reached on loopback.
fn listen_address(server_args: &[String], env: Option<String>) -> Option<SocketAddr> {
    let from_flag =
        server_args
            .iter()
            .enumerate()
            .find_map(|(i, arg)| match arg.strip_prefix("--listen") {
                Some("") => server_args.get(i + 1).cloned(),
                Some(value) => value.strip_prefix('=').map(str::to_string),
                None => None,
            });
    let text = from_flag.or(env).unwrap_or_else(|| "127.0.0.1:3000".into());
    let mut addr = text.to_socket_addrs().ok()?.next()?;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    Some(addr)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn finds_the_listen_address_where_the_server_does() {
        let addr = |args_: &[&str], env: Option<&str>| {
            listen_address(&args(args_), env.map(str::to_string)).map(|a| a.to_string())
        };
        assert_eq!(addr(&[], None).as_deref(), Some("127.0.0.1:3000"));
        assert_eq!(
            addr(&[], Some("127.0.0.1:4000")).as_deref(),
            Some("127.0.0.1:4000")
        );
        let flag = ["--base-path", "/", "--listen", "0.0.0.0:8080"];
        assert_eq!(
            addr(&flag, Some("127.0.0.1:4000")).as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(
            addr(&["--listen=[::]:9000"], None).as_deref(),
            Some("[::1]:9000")
        );
        assert_eq!(
            addr(&["--listen-other", "x"], None).as_deref(),
            Some("127.0.0.1:3000")
        );
    }
}
