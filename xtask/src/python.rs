//! The tests' Python packages (hvac, helm-python-sdk), in a venv of their own in the tool
//! cache, pinned by `xtask/python-requirements.txt`. A stamp in the venv remembers which
//! requirements were installed, so a second run takes a moment.

use crate::{paths, process, setup};
use anyhow::{Context, Result};
use std::{fs, path::PathBuf, process::Command};

pub fn venv_dir() -> PathBuf {
    paths::tools_dir().join("python")
}

pub fn python() -> PathBuf {
    venv_dir().join("bin/python")
}

pub fn ensure() -> Result<()> {
    let requirements = paths::workspace_root().join("xtask/python-requirements.txt");
    let wanted = crate::site::short_hash(
        &fs::read(&requirements).context("reading python-requirements.txt")?,
    );
    let stamp = venv_dir().join(".vaultdeck-installed");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) && python().is_file() {
        return Ok(());
    }
    if !python().is_file() {
        create_venv()?;
    }
    println!("setup: installing the tests' Python packages (hvac, helm-python-sdk)");
    process::run(
        Command::new(python())
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
    )?;
    fs::write(stamp, wanted)?;
    Ok(())
}

/// `python3 -m venv`, with Debian's python3-venv when the interpreter lacks the module.
fn create_venv() -> Result<()> {
    let has_venv =
        process::output_of(Command::new("python3").args(["-c", "import venv, ensurepip"]));
    if has_venv.is_none() {
        setup::debian_packages(&["python3-venv"])?;
    }
    process::run(Command::new("python3").args(["-m", "venv"]).arg(venv_dir()))
}
