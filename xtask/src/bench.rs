//! `cargo xtask bench [NAME]`: measurements of what users run — release builds — printed
//! against their targets with ratios. They assert nothing: a number over its target is
//! news, not a failed test.

use crate::{bff_bench, process, setup, site, sizes, test};
use anyhow::{bail, Result};

/// Every benchmark, in the order a plain `cargo xtask bench` runs them (cheapest first).
const BENCHMARKS: [&str; 5] = ["size", "bff", "first-load", "navigation", "kv"];

pub fn run(options: &[String]) -> Result<()> {
    let chosen: Vec<&str> = match options.first() {
        Some(name) if BENCHMARKS.contains(&name.as_str()) => vec![name.as_str()],
        Some(name) => bail!(
            "unknown benchmark `{name}` (known: {})",
            BENCHMARKS.join(", ")
        ),
        None => BENCHMARKS.to_vec(),
    };
    // The size benchmark needs only the build tools; the browser ones need Chromium too.
    if chosen.iter().any(|name| *name != "size") {
        setup::all()?;
    }
    let built = site::build_all(true)?;
    for name in chosen {
        match name {
            "size" => size(&built)?,
            "bff" => bff_bench::run(&built)?,
            browser_bench => in_chromium(&built, browser_bench)?,
        }
    }
    Ok(())
}

/// The sizes the build just measured (from the release server), against the budget.
fn size(built: &site::Built) -> Result<()> {
    let rows = sizes::budget_rows(&built.sizes, &sizes::BUDGET)?;
    print!("{}", sizes::budget_table(&rows));
    Ok(())
}

/// `end2end/bench/NAME.bench.ts` in Chromium, against the built server.
fn in_chromium(built: &site::Built, name: &str) -> Result<()> {
    let mut command = test::playwright_command(
        built,
        &[
            "--config".into(),
            "playwright.bench.config.ts".into(),
            format!("{name}.bench"),
        ],
    );
    process::run(command.env("PLAYWRIGHT_REPORTER", "list"))
}
