//! Running the agent once for "Prove it": a private directory holding the pod's token, the
//! configuration and what the agent renders; the agent with an empty environment (nothing
//! of the BFF's — no `VAULT_TOKEN`, no `VAULT_ADDR` — reaches it), a time limit, and its log
//! with the tokens taken out. The directory goes when the run is dropped.

use crate::error::ApiError;
use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};
use tokio::process::Command;
use vaultdeck_app::wire::delivery::AgentRun;

/// Long enough for a login and a render; a run that fails fails fast (one retry, and the
/// agent stops on a refused login), so this only ends an agent that hangs.
const TIME_LIMIT: Duration = Duration::from_secs(20);
/// The log lines returned: enough to see why a run failed.
const LOG_LINES: usize = 40;
/// Rendered files larger than this are not read back.
const MAX_FILE: u64 = 64 * 1024;

/// A run's private directory (mode 0700, as `tempfile` makes it).
pub struct RunDir {
    dir: tempfile::TempDir,
}

impl RunDir {
    pub fn create(parent: Option<&Path>) -> Result<RunDir, ApiError> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("vaultdeck-proof-");
        let made = match parent {
            Some(parent) => builder.tempdir_in(parent),
            None => builder.tempdir(),
        };
        let dir =
            made.map_err(|e| ApiError::Internal(format!("no directory for the agent: {e}")))?;
        // tempfile leaves the mode to the umask (0755 under the usual 022); the token and the
        // rendered secrets inside must be the BFF user's alone.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .map_err(|e| ApiError::Internal(format!("no private directory for the agent: {e}")))?;
        std::fs::create_dir(dir.path().join("secrets"))
            .map_err(|e| ApiError::Internal(format!("no directory for the agent: {e}")))?;
        Ok(RunDir { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn path_text(&self) -> String {
        self.dir.path().to_string_lossy().into_owned()
    }

    /// Writes a file only the BFF's user may read.
    pub fn write_private(&self, name: &str, content: &str) -> Result<PathBuf, ApiError> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.dir.path().join(name);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| ApiError::Internal(format!("could not write {name}: {e}")))?;
        file.write_all(content.as_bytes())
            .map_err(|e| ApiError::Internal(format!("could not write {name}: {e}")))?;
        Ok(path)
    }

    /// A file the agent wrote, if it did (and it is not too large to be a rendered secret).
    pub fn read(&self, relative: &str) -> Option<String> {
        let path = self.dir.path().join(relative);
        let size = std::fs::metadata(&path).ok()?.len();
        if size > MAX_FILE {
            return None;
        }
        std::fs::read_to_string(path).ok()
    }

    /// Removes the directory and everything in it.
    pub fn remove(self) {
        let shown = self.path_text();
        if let Err(error) = self.dir.close() {
            tracing::warn!(dir = %shown, "removing a proof's directory failed: {error}");
        }
    }
}

/// How a run ended, with the agent's whole log: [`Finished::report`] takes the tokens out.
pub struct Finished {
    run: AgentRun,
    log: String,
}

impl Finished {
    fn failed(message: String) -> Finished {
        Finished {
            run: AgentRun::default(),
            log: message,
        }
    }

    /// The run, with the last lines of its log and each of `secrets` removed from them.
    pub fn report(self, secrets: &[&str]) -> AgentRun {
        AgentRun {
            log: log_tail(&self.log, secrets),
            ..self.run
        }
    }
}

/// Runs `AGENT agent -config=CONFIG` in `dir` with nothing of the BFF's environment, until
/// it exits or the time limit ends it.
pub async fn run_agent(agent: &Path, config: &Path, dir: &Path) -> Finished {
    let mut command = Command::new(agent);
    command
        .arg("agent")
        .arg(format!("-config={}", config.display()))
        .env_clear()
        .env("HOME", dir)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = match command.spawn() {
        Ok(child) => child,
        Err(error) => return Finished::failed(format!("the agent could not be started: {error}")),
    };
    match tokio::time::timeout(TIME_LIMIT, child.wait_with_output()).await {
        Ok(Ok(output)) => {
            let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&output.stderr));
            Finished {
                run: AgentRun {
                    ok: output.status.success(),
                    exit_code: output.status.code(),
                    ..AgentRun::default()
                },
                log: text,
            }
        }
        Ok(Err(error)) => Finished::failed(format!("the agent failed: {error}")),
        // The future owned the child: dropping it killed the agent (`kill_on_drop`).
        Err(_) => Finished {
            run: AgentRun {
                timed_out: true,
                ..AgentRun::default()
            },
            log: format!(
                "the agent did not finish within {} s and was stopped",
                TIME_LIMIT.as_secs()
            ),
        },
    }
}

/// `text` with each of `secrets` replaced wherever it appears.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut scrubbed = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        scrubbed = scrubbed.replace(secret, "(redacted)");
    }
    scrubbed
}

/// The last lines of the log, each secret replaced wherever it appears.
pub fn log_tail(text: &str, secrets: &[&str]) -> Vec<String> {
    let lines: Vec<String> = scrub(text, secrets)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.chars().take(400).collect())
        .collect();
    let skip = lines.len().saturating_sub(LOG_LINES);
    lines.into_iter().skip(skip).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_reach_the_log_that_is_returned() {
        let log = "a\nlogin with eyJhbGciOiJSUzI1NiJ9.payload.sig\n\nsink wrote s.abcdefgh12345\n";
        let tail = log_tail(
            log,
            &["eyJhbGciOiJSUzI1NiJ9.payload.sig", "s.abcdefgh12345"],
        );
        assert_eq!(
            tail,
            ["a", "login with (redacted)", "sink wrote (redacted)"]
        );
        let long: String = (0..100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(log_tail(&long, &[]).len(), LOG_LINES);
    }

    #[tokio::test]
    async fn a_run_directory_is_private_and_goes_away() {
        use std::os::unix::fs::PermissionsExt;
        let run = RunDir::create(None).unwrap();
        let token = run.write_private("token", "jwt").unwrap();
        assert_eq!(
            std::fs::metadata(&token).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(run.path()).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let path = run.path().to_path_buf();
        run.remove();
        assert!(!path.exists());
    }
}
