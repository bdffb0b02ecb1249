//! Instructions a server executes while a load runs, counted by valgrind's callgrind.
//! Unlike time, the count repeats to a fraction of a percent whatever else the machine is
//! doing, so two builds can be compared across runs and hosts. It counts user space only:
//! the kernel's share of a request (sockets, wake-ups) is not in it.

use anyhow::{bail, Context, Result};
use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

/// How long callgrind may take to write a dump it was asked for.
const DUMP_TIMEOUT: Duration = Duration::from_secs(60);

/// `valgrind --tool=callgrind`, writing its dumps next to `out_file`; the caller appends
/// the program, its arguments and its environment.
pub fn command(out_file: &Path) -> Command {
    let mut command = Command::new("valgrind");
    command
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()));
    command
}

/// Counts the instructions of one process started with [`command`].
pub struct Counter {
    pid: u32,
    out_file: PathBuf,
    /// Dumps asked for so far: callgrind numbers its dump files `<out_file>.1`, `.2`, ….
    dumps: u32,
}

impl Counter {
    pub fn new(pid: u32, out_file: &Path) -> Counter {
        Counter {
            pid,
            out_file: out_file.to_path_buf(),
            dumps: 0,
        }
    }

    /// Runs `load` and returns its result with the instructions the process executed
    /// meanwhile.
    pub fn count<T>(&mut self, load: impl FnOnce() -> Result<T>) -> Result<(T, u64)> {
        self.control("--zero")?;
        let result = load()?;
        self.control("--dump")?;
        self.dumps += 1;
        let dump = PathBuf::from(format!("{}.{}", self.out_file.display(), self.dumps));
        Ok((result, read_dump(&dump)?))
    }

    fn control(&self, request: &str) -> Result<()> {
        let status = Command::new("callgrind_control")
            .arg(request)
            .arg(self.pid.to_string())
            .output()
            .context("running callgrind_control")?
            .status;
        if !status.success() {
            bail!("callgrind_control {request} {} failed: {status}", self.pid);
        }
        Ok(())
    }
}

/// The instruction count of a dump, once callgrind has finished writing it (its last line
/// is `totals:`).
fn read_dump(dump: &Path) -> Result<u64> {
    let started = Instant::now();
    loop {
        if let Ok(text) = fs::read_to_string(dump) {
            if text.lines().any(|line| line.starts_with("totals:")) {
                return summary(&text).with_context(|| format!("reading {}", dump.display()));
            }
        }
        if started.elapsed() > DUMP_TIMEOUT {
            bail!("callgrind wrote no complete {}", dump.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The `summary:` line of a callgrind dump: the events it counted, instructions alone here.
fn summary(dump: &str) -> Option<u64> {
    dump.lines()
        .find_map(|line| line.strip_prefix("summary:"))
        .and_then(|count| count.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line_is_the_count() {
        let dump = "# callgrind format\nversion: 1\nevents: Ir\nsummary: 396345143\n\nfn=(1) x\n1 2\ntotals: 396345231\n";
        assert_eq!(summary(dump), Some(396_345_143));
        assert_eq!(summary("events: Ir\ntotals: 5\n"), None);
    }
}
