//! `cargo xtask test`: every test, in stages, with one summary at the end.

use crate::{paths, process, python, setup, site};
use anyhow::{bail, Result};
use std::time::{Duration, Instant};

struct Stage {
    name: String,
    outcome: Result<()>,
    took: Duration,
}

/// The Vault servers every integration and browser test runs against, in turn: a real
/// OpenBao (the reference) and labvault (which must agree with it).
const FLAVORS: [&str; 2] = ["openbao", "labvault"];

pub fn run(options: &[String], playwright_args: &[String]) -> Result<()> {
    let rust = !options.iter().any(|o| o == "--e2e-only");
    let e2e = !options.iter().any(|o| o == "--rust-only");
    let flavors = chosen_flavors(options)?;
    let mut stages = Vec::new();

    stages.push(timed("setup".into(), setup::all));
    if stages[0].outcome.is_ok() {
        if rust {
            for flavor in &flavors {
                stages.push(timed(format!("cargo test ({flavor})"), || {
                    cargo_test(flavor)
                }));
            }
            stages.push(timed("helm chart".into(), chart_tests));
        }
        if e2e {
            match site::build_all(false) {
                Ok(built) => {
                    for flavor in &flavors {
                        stages.push(timed(format!("playwright ({flavor})"), || {
                            playwright(&built, flavor, playwright_args)
                        }));
                    }
                }
                Err(error) => stages.push(Stage {
                    name: "build for playwright".into(),
                    outcome: Err(error),
                    took: Duration::ZERO,
                }),
            }
        }
    }
    summarize(&stages)
}

/// `--vault openbao|labvault` limits a run to one server; both by default.
fn chosen_flavors(options: &[String]) -> Result<Vec<&'static str>> {
    let Some(at) = options.iter().position(|o| o == "--vault") else {
        return Ok(FLAVORS.to_vec());
    };
    match options.get(at + 1).map(String::as_str) {
        Some(wanted) => match FLAVORS.iter().find(|f| **f == wanted) {
            Some(flavor) => Ok(vec![flavor]),
            None => bail!("--vault {wanted}: expected one of {}", FLAVORS.join(", ")),
        },
        None => bail!("--vault needs a value: {}", FLAVORS.join(" or ")),
    }
}

fn timed(name: String, work: impl FnOnce() -> Result<()>) -> Stage {
    println!("\n==> {name}");
    let started = Instant::now();
    let outcome = work();
    if let Err(error) = &outcome {
        eprintln!("==> {name} failed: {error:#}");
    }
    Stage {
        name,
        outcome,
        took: started.elapsed(),
    }
}

fn cargo_test(flavor: &str) -> Result<()> {
    process::run(
        process::cargo()
            .current_dir(paths::workspace_root())
            .args(["test", "--workspace", "--no-fail-fast"])
            .env("VAULTDECK_TEST_VAULT", flavor),
    )
}

/// The Helm chart's tests, with Helm itself (helm-python-sdk), installing into a real
/// kube-apiserver (`testcluster`, built by `cargo test` above).
fn chart_tests() -> Result<()> {
    let testcluster = paths::target_dir().join("debug/testcluster");
    process::run(
        process::command(&python::python().to_string_lossy())
            .arg(paths::workspace_root().join("deploy/tests/chart_test.py"))
            .env("TESTCLUSTER_BIN", testcluster),
    )
}

fn playwright(built: &site::Built, flavor: &str, args: &[String]) -> Result<()> {
    let mut command = playwright_command(built, args);
    command
        .env("VAULTDECK_TEST_VAULT", flavor)
        .env("PLAYWRIGHT_OUTPUT_DIR", format!("test-results/{flavor}"));
    process::run(&mut command)
}

pub fn playwright_command(built: &site::Built, args: &[String]) -> std::process::Command {
    let mut command = process::command("npx");
    command
        .current_dir(paths::workspace_root().join("end2end"))
        .args(["playwright", "test"])
        .args(args)
        .env("VAULTDECK_BIN", &built.server_binary)
        .env("TESTVAULT_BIN", &built.testvault_binary)
        .env("TESTCLUSTER_BIN", &built.testcluster_binary)
        .env("VAULTDECK_SITE_DIR", &built.site_dir);
    command
}

/// `cargo xtask screenshots`: the first-lab walk, the Kubernetes flow, the secrets engine's
/// lesson and "Deliver to a pod" in Chromium, saving the README's pictures.
pub fn screenshots() -> Result<()> {
    setup::all()?;
    let built = site::build_all(false)?;
    let dir = paths::workspace_root().join("docs/screenshots");
    std::fs::create_dir_all(&dir)?;
    let runs: [&[&str]; 4] = [
        &["first-lab", "--grep", "fresh Vault"],
        &["kubernetes.spec"],
        &["k8s-engine", "--grep", "the lesson"],
        &["delivery.spec", "--grep", "prove it"],
    ];
    for args in runs {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        process::run(playwright_command(&built, &args).env("VAULTDECK_SCREENSHOTS_DIR", &dir))?;
    }
    println!("screenshots written to {}", dir.display());
    Ok(())
}

fn summarize(stages: &[Stage]) -> Result<()> {
    println!("\n==> summary");
    for stage in stages {
        let verdict = if stage.outcome.is_ok() {
            "passed"
        } else {
            "FAILED"
        };
        println!(
            "  {verdict:<7} {:<26} {:>6.1} s",
            stage.name,
            stage.took.as_secs_f64()
        );
    }
    let failed: Vec<&str> = stages
        .iter()
        .filter(|s| s.outcome.is_err())
        .map(|s| s.name.as_str())
        .collect();
    if failed.is_empty() {
        println!("all tests passed");
        Ok(())
    } else {
        bail!("failed: {}", failed.join(", "))
    }
}
