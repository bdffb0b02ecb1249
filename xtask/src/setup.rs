//! `cargo xtask setup`: everything building and testing need, installed from registries only
//! (crates.io, npm, Debian). Each step checks first, so a second run takes a second.

use crate::{k8s, openbao, paths, process, python};
use anyhow::{bail, Context, Result};
use std::{fs, path::Path, process::Command};

/// Debian packages the tests use: the browser Playwright drives, and Redis for the
/// session-store tests.
const DEBIAN_PACKAGES: &[&str] = &["chromium", "redis-server"];

pub fn all() -> Result<()> {
    build_tools()?;
    test_tools()?;
    println!("setup: everything is in place");
    Ok(())
}

/// What `cargo xtask build` needs: the WASM target, wasm-bindgen, wasm-opt.
pub fn build_tools() -> Result<()> {
    wasm_target()?;
    wasm_bindgen()?;
    npm_ci(&paths::workspace_root().join("xtask"))
}

/// What `cargo xtask test` needs on top: Debian's Chromium and Redis, Playwright, OpenBao
/// (the real server every test runs against), the Python packages (hvac, Helm as a
/// library), and the Kubernetes test cluster's binaries (etcd, and kube-apiserver built
/// from source once).
pub fn test_tools() -> Result<()> {
    debian_packages(DEBIAN_PACKAGES)?;
    npm_ci(&paths::workspace_root().join("end2end"))?;
    openbao::ensure()?;
    python::ensure()?;
    k8s::ensure()
}

fn wasm_target() -> Result<()> {
    let installed =
        process::output_of(Command::new("rustup").args(["target", "list", "--installed"]))
            .unwrap_or_default();
    if installed
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    process::run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// wasm-bindgen-cli must match the `wasm-bindgen` crate in Cargo.lock exactly. It is
/// installed without `--locked`: its own lockfile pins a crate the registry no longer serves.
fn wasm_bindgen() -> Result<()> {
    let wanted = locked_version("wasm-bindgen")?;
    let binary = paths::tools_dir().join("bin/wasm-bindgen");
    let found = process::output_of(Command::new(&binary).arg("--version")).unwrap_or_default();
    if found.split_whitespace().nth(1) == Some(wanted.as_str()) {
        return Ok(());
    }
    println!("setup: installing wasm-bindgen-cli {wanted} (a few minutes, once)");
    process::run(
        process::cargo()
            .args([
                "install",
                "wasm-bindgen-cli",
                "--force",
                "--version",
                &wanted,
                "--root",
            ])
            .arg(paths::tools_dir()),
    )
}

/// The version of `crate_name` recorded in the workspace's Cargo.lock.
pub fn locked_version(crate_name: &str) -> Result<String> {
    let lock = fs::read_to_string(paths::workspace_root().join("Cargo.lock"))
        .context("reading Cargo.lock")?;
    let needle = format!("name = \"{crate_name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == needle {
            if let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
            {
                return Ok(version.trim_matches('"').to_string());
            }
        }
    }
    bail!("{crate_name} is not in Cargo.lock")
}

pub fn debian_packages(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !debian_package_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("setup: installing Debian packages: {}", missing.join(" "));
    apt_get(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq"];
    install.extend(&missing);
    apt_get(&install)
}

pub fn debian_package_installed(package: &str) -> bool {
    process::output_of(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .is_some_and(|status| status.contains("install ok installed"))
}

/// apt-get as root, or through `sudo -n` when we are not root.
pub fn apt_get(args: &[&str]) -> Result<()> {
    let is_root =
        process::output_of(Command::new("id").arg("-u")).is_some_and(|id| id.trim() == "0");
    let mut command = if is_root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", "apt-get"]);
        sudo
    };
    command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    process::run(&mut command)
}

/// `npm ci` when `package-lock.json` changed since the last install (a stamp in
/// node_modules remembers which lockfile was installed).
fn npm_ci(dir: &Path) -> Result<()> {
    let lock = fs::read(dir.join("package-lock.json"))
        .with_context(|| format!("reading {}/package-lock.json", dir.display()))?;
    let digest = crate::site::short_hash(&lock);
    let stamp = dir.join("node_modules/.vaultdeck-installed");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(digest.as_str()) {
        return Ok(());
    }
    process::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir)
            // Playwright must never fetch its own browsers: tests use Debian's Chromium.
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
    )?;
    fs::write(stamp, digest)?;
    Ok(())
}
