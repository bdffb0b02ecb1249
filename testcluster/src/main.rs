//! `testcluster up [--controller-manager]`: starts a test cluster, prints one JSON line
//! `{"api_url","ca_pem","admin_token","kubeconfig"}` on stdout, and keeps it up until
//! SIGTERM or SIGINT, or until stdin closes when stdin is a pipe (so a parent that dies takes
//! the cluster with it). Progress and errors go to stderr.

use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use testcluster::{Options, TestCluster};
use tokio::signal::unix::{signal, SignalKind};

const USAGE: &str = "\
usage: testcluster up [--controller-manager]

Starts etcd and kube-apiserver (and kube-controller-manager) on free loopback ports, prints
one JSON line {\"api_url\",\"ca_pem\",\"admin_token\",\"kubeconfig\"} on stdout, and runs until
SIGTERM/SIGINT, or until stdin closes when it is a pipe.
";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("testcluster: {error:#}");
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut options = Options::default();
    match args.first().map(String::as_str) {
        Some("up") => {}
        Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            return Ok(());
        }
        _ => bail!("expected a command\n\n{USAGE}"),
    }
    for arg in &args[1..] {
        match arg.as_str() {
            "--controller-manager" => options.controller_manager = true,
            other => bail!("unknown option `{other}`\n\n{USAGE}"),
        }
    }

    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut stdin_closed = watch_stdin();

    // A signal during start-up drops the half-started cluster, which stops its processes.
    let cluster = tokio::select! {
        cluster = TestCluster::start_with(options) => cluster?,
        _ = terminate.recv() => return Ok(()),
        _ = interrupt.recv() => return Ok(()),
        _ = &mut stdin_closed => return Ok(()),
    };
    eprintln!(
        "testcluster: {} ready in {:.1} s ({})",
        cluster.api_url(),
        cluster.started_in().as_secs_f64(),
        cluster.dir().display()
    );
    let line = serde_json::json!({
        "api_url": cluster.api_url(),
        "ca_pem": cluster.ca_pem(),
        "admin_token": cluster.admin_token(),
        "kubeconfig": cluster.kubeconfig_path(),
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    drop(stdout);

    let why = tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
        _ = &mut stdin_closed => "stdin closed",
    };
    eprintln!("testcluster: {why}: stopping");
    cluster.stop().await.context("stopping")
}

/// Resolves when stdin reaches end of file, if stdin is a pipe or a socket; never otherwise
/// (stdin from /dev/null or a terminal does not stop the cluster).
fn watch_stdin() -> tokio::sync::oneshot::Receiver<()> {
    use std::os::unix::fs::FileTypeExt;
    let (closed, receiver) = tokio::sync::oneshot::channel();
    let is_pipe = std::fs::metadata("/dev/stdin")
        .map(|m| m.file_type().is_fifo() || m.file_type().is_socket())
        .unwrap_or(false);
    if is_pipe {
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            let mut stdin = std::io::stdin().lock();
            while matches!(stdin.read(&mut buffer), Ok(n) if n > 0) {}
            let _ = closed.send(());
        });
    } else {
        // Keep the sender alive forever so the receiver never resolves.
        std::mem::forget(closed);
    }
    receiver
}
