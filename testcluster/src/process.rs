//! Child processes that cannot outlive the tests that started them: spawned from a thread of
//! their own with `PR_SET_PDEATHSIG`, logged to `NAME.log` in a directory, stopped (SIGTERM,
//! then SIGKILL) last-started-first when dropped. Shared by the test cluster and `testvault`.

use anyhow::{Context, Result};
use std::{
    fmt::Write as _,
    fs, io,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

pub fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

struct Process {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

/// The cluster's processes, in start order, and the thread that spawned them. Dropping it
/// stops them.
pub struct Processes {
    list: Vec<Process>,
    dir: PathBuf,
    spawner: Spawner,
}

impl Processes {
    pub fn new(dir: &Path) -> Result<Processes> {
        Ok(Processes {
            list: Vec::new(),
            dir: dir.to_path_buf(),
            spawner: Spawner::new()?,
        })
    }

    /// Starts `program` with stdout and stderr to `NAME.log` in the cluster's directory.
    pub fn spawn(&mut self, name: &'static str, program: &Path, args: &[String]) -> Result<()> {
        let log = self.dir.join(format!("{name}.log"));
        let out = fs::File::create(&log)?;
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        let child = self
            .spawner
            .spawn(command)
            .with_context(|| format!("starting {}", program.display()))?;
        self.list.push(Process { name, child, log });
        Ok(())
    }

    /// Process ids by name, in start order.
    pub fn pids(&self) -> Vec<(&'static str, u32)> {
        self.list.iter().map(|p| (p.name, p.child.id())).collect()
    }

    /// "NAME exited with STATUS" for the first process that is no longer running.
    pub fn first_exited(&mut self) -> Option<String> {
        self.list.iter_mut().find_map(|p| match p.child.try_wait() {
            Ok(Some(status)) => Some(format!("{} exited ({status})", p.name)),
            Ok(None) => None,
            Err(error) => Some(format!("{}: {error}", p.name)),
        })
    }

    pub fn tails(&self) -> String {
        let mut text = String::new();
        for p in &self.list {
            let log = fs::read_to_string(&p.log).unwrap_or_default();
            let _ = write!(
                text,
                "--- last lines of {}.log:\n{}\n",
                p.name,
                last_lines(&log, 25)
            );
        }
        text
    }

    /// Stops the processes, last started first: SIGTERM, then SIGKILL after 10 s.
    pub fn shutdown(&mut self) {
        while let Some(mut p) = self.list.pop() {
            stop_child(&mut p.child, Duration::from_secs(10));
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn stop_child(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    // SAFETY: kill(2) on the pid of our own child, which is not reaped yet, so the pid
    // cannot have been reused.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// A thread that spawns the processes and lives as long as the cluster: with
/// `PR_SET_PDEATHSIG` the kernel kills them when this thread ends, which it does only when the
/// cluster is dropped (after stopping them) or when the whole test process dies.
struct Spawner {
    requests: Option<mpsc::Sender<SpawnRequest>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Spawner {
    fn new() -> Result<Spawner> {
        let (requests, incoming) = mpsc::channel::<SpawnRequest>();
        let thread = thread::Builder::new()
            .name("testcluster-spawner".into())
            .spawn(move || {
                for (mut command, reply) in incoming {
                    // SAFETY: only an async-signal-safe syscall runs between fork and exec.
                    unsafe {
                        command.pre_exec(|| {
                            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                                return Err(io::Error::last_os_error());
                            }
                            Ok(())
                        });
                    }
                    let _ = reply.send(command.spawn());
                }
            })
            .context("starting the spawner thread")?;
        Ok(Spawner {
            requests: Some(requests),
            thread: Some(thread),
        })
    }

    fn spawn(&self, command: Command) -> io::Result<Child> {
        let (reply, answer) = mpsc::channel();
        let gone = || io::Error::other("the spawner thread is gone");
        self.requests
            .as_ref()
            .ok_or_else(gone)?
            .send((command, reply))
            .map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        self.requests.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
