//! Running commands with the project's environment, and saying what runs.

use anyhow::{bail, Context, Result};
use std::{path::Path, process::Command};

/// A command with `CARGO_TARGET_DIR` set and the tool directories first on `PATH`.
pub fn command(program: &str) -> Command {
    let mut command = Command::new(program);
    command.env("CARGO_TARGET_DIR", crate::paths::target_dir());
    command.env("PATH", tool_path());
    command
}

pub fn cargo() -> Command {
    command(&std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn tool_path() -> std::ffi::OsString {
    let tools = crate::paths::tools_dir();
    let node_bin = crate::paths::workspace_root().join("xtask/node_modules/.bin");
    let mut dirs = vec![tools.join("bin"), node_bin];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).expect("PATH entries are valid")
}

/// The file `command(program)` would run: the first match on the tool `PATH`.
pub fn which(program: &str) -> Result<std::path::PathBuf> {
    std::env::split_paths(&tool_path())
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .with_context(|| format!("{program} is not installed (cargo xtask setup installs it)"))
}

/// Runs the command, echoing it first; fails with its exit status.
pub fn run(command: &mut Command) -> Result<()> {
    println!("$ {}", describe(command));
    let status = command.status().with_context(|| {
        format!(
            "could not start {}",
            command.get_program().to_string_lossy()
        )
    })?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(command));
    }
    Ok(())
}

/// Runs the command and returns its standard output, or `None` if it cannot run or fails.
pub fn output_of(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

pub fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    if let Some(dir) = command.get_current_dir() {
        text = format!("(cd {}) {text}", short(dir));
    }
    text
}

fn short(path: &Path) -> String {
    let root = crate::paths::workspace_root();
    path.strip_prefix(&root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}
