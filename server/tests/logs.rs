//! What the server writes to its log, read from the real binary as a container runtime or
//! `kubectl logs` would: through a pipe, not a terminal.

mod common;

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::mpsc,
    time::Duration,
};

/// Colour codes belong on a terminal only: in a pipe, a file or `kubectl logs` they are
/// bytes like `\x1b[32m` around every level and field name.
#[test]
fn logs_written_to_a_pipe_carry_no_terminal_colour_codes() {
    let site = common::site_dir();
    let mut server = Command::new(env!("CARGO_BIN_EXE_vaultdeck"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--vault-addr",
            "http://127.0.0.1:9",
        ])
        .arg("--site-dir")
        .arg(site.path())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let stdout = server.stdout.take().expect("a piped stdout");
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let listening = std::iter::from_fn(|| lines.recv_timeout(Duration::from_secs(60)).ok())
        .find(|line| line.contains("Vaultdeck listening on"));
    server.kill().expect("the server stops");
    let _ = server.wait();

    let line = listening.expect("the server logged where it listens");
    assert!(!line.contains('\x1b'), "colour codes in {line:?}");
    assert!(line.contains("INFO"), "{line:?}");
}
