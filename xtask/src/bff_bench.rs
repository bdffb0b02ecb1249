//! `cargo xtask bench bff`: what the BFF costs over calling OpenBao directly.
//!
//! One release build of Vaultdeck in front of one `bao server -dev`, one KV v2 secret, and
//! Debian's `wrk` as the client for both: the same request (read the secret), the same
//! client, the same concurrency, measured one after the other in this run. Then the BFF's
//! memory: resident set idle, after the load, and holding 10,000 sessions. Last, the
//! instructions the BFF executes for a read and for a bare request, counted by callgrind:
//! the one figure here that does not move with the host.
//!
//! Everything runs on this machine's loopback: wrk, the BFF and OpenBao share its cores, so
//! the absolute numbers are this machine's; the ratios are the point.

use crate::{
    callgrind, http, openbao, paths,
    served::{self, Served},
    setup, site,
};
use anyhow::{bail, Context, Result};
use std::{
    fs,
    net::SocketAddr,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

/// The dev server's root token: a lab server started and stopped by this benchmark.
const ROOT_TOKEN: &str = "vaultdeck-bench-root";
const SECRET_PATH: &str = "secret/data/bench/app";
const CONCURRENCIES: [u32; 3] = [1, 64, 256];
const SECONDS_PER_RUN: u32 = 10;
const SESSIONS: usize = 10_000;

/// From issue 18.
const TARGET_P50_RATIO: f64 = 1.10;
const TARGET_THROUGHPUT_RATIO: f64 = 0.90;
const TARGET_IDLE_RSS_MB: f64 = 30.0;
const TARGET_SESSIONS_RSS_MB: f64 = 100.0;

pub fn run(built: &site::Built) -> Result<()> {
    setup::debian_packages(&["wrk", "valgrind"])?;
    openbao::ensure()?;
    let work = paths::target_dir().join("bench-bff");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work)?;

    let bao = start_openbao(&work)?;
    write_secret(bao.addr)?;
    let deck = start_vaultdeck(built, &work, bao.addr)?;
    let idle_rss = rss_mb(&deck)?;
    let cookie = log_in(deck.addr, ROOT_TOKEN)?;

    let direct = Target {
        url: format!("http://{}/v1/{SECRET_PATH}", bao.addr),
        headers: vec![format!("X-Vault-Token: {ROOT_TOKEN}")],
    };
    let through = Target {
        url: format!("http://{}/ui/api/vault/v1/{SECRET_PATH}", deck.addr),
        headers: as_the_app(&cookie),
    };
    same_answer(&direct, &through, bao.addr, deck.addr)?;

    let mut rows = Vec::new();
    let mut cpu_rows = Vec::new();
    for connections in CONCURRENCIES {
        let (direct_run, direct_cpu) = measured(&[&bao], || wrk(&direct, connections))?;
        let (through_run, through_cpu) = measured(&[&deck, &bao], || wrk(&through, connections))?;
        cpu_rows.push(CpuPerRead {
            connections,
            openbao_direct: direct_cpu[0] / direct_run.requests as f64,
            vaultdeck: through_cpu[0] / through_run.requests as f64,
            openbao_through: through_cpu[1] / through_run.requests as f64,
        });
        rows.push((connections, direct_run, through_run));
    }
    let after_load_rss = rss_mb(&deck)?;
    let started = Instant::now();
    open_sessions(deck.addr, bao.addr, SESSIONS)?;
    let sessions_took = started.elapsed();
    let sessions_rss = rss_mb(&deck)?;
    let instructions = instructions_per_request(built, &work, bao.addr)?;

    print!("{}", latency_table(&rows));
    print!("{}", cpu_table(&cpu_rows));
    print!(
        "{}",
        memory_table(&MemoryFigures {
            idle: idle_rss,
            after_load: after_load_rss,
            with_sessions: sessions_rss,
            sessions_took,
        })
    );
    print!("{}", instructions_table(&instructions));
    Ok(())
}

/// A URL and the one header that authenticates it.
struct Target {
    url: String,
    /// `Name: value` lines, sent with every request.
    headers: Vec<String>,
}

/// The headers the app sends with its reads: the session cookie, and the mark that lets a
/// read through from a client that sends no `Sec-Fetch-Site` (as neither wrk nor curl does).
fn as_the_app(cookie: &str) -> Vec<String> {
    vec![
        format!("Cookie: {cookie}"),
        "X-Requested-With: vaultdeck".to_string(),
    ]
}

/// `bao server -dev`: initialised, unsealed, KV v2 at `secret/`, in memory.
fn start_openbao(work: &Path) -> Result<Served> {
    let addr = served::free_loopback_addr()?;
    let mut command = Command::new(openbao::binary());
    command.args([
        "server",
        "-dev",
        &format!("-dev-root-token-id={ROOT_TOKEN}"),
        &format!("-dev-listen-address={addr}"),
    ]);
    Served::start("openbao", command, addr, &work.join("openbao.log"))
}

/// The release server the benchmark built, in front of `vault`, with its defaults.
fn start_vaultdeck(built: &site::Built, work: &Path, vault: SocketAddr) -> Result<Served> {
    let addr = served::free_loopback_addr()?;
    let mut command = Command::new(&built.server_binary);
    configure_vaultdeck(&mut command, built, &work.join("data"), vault, addr);
    Served::start("vaultdeck", command, addr, &work.join("vaultdeck.log"))
}

fn configure_vaultdeck(
    command: &mut Command,
    built: &site::Built,
    data_dir: &Path,
    vault: SocketAddr,
    addr: SocketAddr,
) {
    command
        .env("VAULT_ADDR", format!("http://{vault}"))
        .env("VAULTDECK_LISTEN", addr.to_string())
        .env("VAULTDECK_SITE_DIR", &built.site_dir)
        .env("VAULTDECK_DATA_DIR", data_dir);
}

/// Instructions per request of a second Vaultdeck, run under callgrind with one worker
/// thread (so that idle workers' polling adds nothing), over one connection: a bare
/// `api/health`, then the read the tables above measure.
fn instructions_per_request(
    built: &site::Built,
    work: &Path,
    vault: SocketAddr,
) -> Result<InstructionsPerRequest> {
    let addr = served::free_loopback_addr()?;
    let out_file = work.join("callgrind.out");
    let mut command = callgrind::command(&out_file);
    command
        .arg(&built.server_binary)
        .env("TOKIO_WORKER_THREADS", "1");
    configure_vaultdeck(
        &mut command,
        built,
        &work.join("data-callgrind"),
        vault,
        addr,
    );
    let deck = Served::start(
        "vaultdeck under callgrind",
        command,
        addr,
        &work.join("vaultdeck-callgrind.log"),
    )?;
    let mut counter = callgrind::Counter::new(deck.pid(), &out_file);
    let cookie = log_in(deck.addr, ROOT_TOKEN)?;
    let mut per_request = |path: &str| -> Result<f64> {
        let target = Target {
            url: format!("http://{}/ui/{path}", deck.addr),
            headers: as_the_app(&cookie),
        };
        let (run, instructions) = counter.count(|| wrk(&target, 1))?;
        Ok(instructions as f64 / run.requests as f64)
    };
    Ok(InstructionsPerRequest {
        health: per_request("api/health")?,
        read: per_request(&format!("api/vault/v1/{SECRET_PATH}"))?,
    })
}

/// Resident set size, from the kernel's own accounting of the process.
fn rss_mb(server: &Served) -> Result<f64> {
    let status = fs::read_to_string(format!("/proc/{}/status", server.pid()))?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc/PID/status")?;
    Ok(kib / 1024.0)
}

/// Runs `load` and returns its result with the CPU time (user + system, in µs) each of
/// `servers` spent meanwhile. On cores shared with the load generator and OpenBao, latency
/// and throughput move with whatever else the machine does; the CPU each process spends
/// per request says what the BFF itself costs.
fn measured<T>(servers: &[&Served], load: impl FnOnce() -> Result<T>) -> Result<(T, Vec<f64>)> {
    let before: Vec<f64> = servers
        .iter()
        .map(|s| cpu_micros(s))
        .collect::<Result<_>>()?;
    let result = load()?;
    let spent = servers
        .iter()
        .zip(before)
        .map(|(server, before)| Ok(cpu_micros(server)? - before))
        .collect::<Result<_>>()?;
    Ok((result, spent))
}

/// CPU time the process has used so far, from `/proc/PID/stat` (`utime` + `stime`).
fn cpu_micros(server: &Served) -> Result<f64> {
    let stat = fs::read_to_string(format!("/proc/{}/stat", server.pid()))?;
    let ticks = cpu_ticks(&stat).context("reading utime and stime from /proc/PID/stat")?;
    Ok(ticks as f64 * 1e6 / clock_ticks_per_second()?)
}

/// `utime` and `stime` are fields 14 and 15; the second field (the command name, in
/// parentheses) may hold spaces, so counting starts after its closing parenthesis.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |number: usize| fields.get(number - 3)?.parse::<u64>().ok();
    Some(field(14)? + field(15)?)
}

fn clock_ticks_per_second() -> Result<f64> {
    let output = Command::new("getconf").arg("CLK_TCK").output()?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .context("getconf CLK_TCK")
}

/// A secret of a realistic size: a few fields, as a database credential would have.
fn write_secret(bao: SocketAddr) -> Result<()> {
    let body = r#"{"data":{"username":"app","password":"correct-horse-battery-staple","host":"db.internal:5432","database":"orders"}}"#;
    let answer = http::request(
        bao,
        "POST",
        &format!("/v1/{SECRET_PATH}"),
        &[("X-Vault-Token", ROOT_TOKEN)],
        Some(body),
    )?;
    if answer.status != 200 {
        bail!("writing the secret answered {}", answer.status);
    }
    Ok(())
}

/// A token login through the BFF, as the app does it; returns the `Cookie` header's value.
fn log_in(deck: SocketAddr, token: &str) -> Result<String> {
    let body = format!(r#"{{"method":"token","token":"{token}"}}"#);
    let answer = http::request(
        deck,
        "POST",
        "/ui/api/session",
        &[
            ("X-Requested-With", "vaultdeck"),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        Some(&body),
    )?;
    if answer.status != 200 {
        bail!("logging in through Vaultdeck answered {}", answer.status);
    }
    let set_cookie = answer
        .header("set-cookie")
        .context("the login set no cookie")?;
    Ok(set_cookie
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string())
}

/// Both routes must return the same secret, or the comparison would mean nothing.
fn same_answer(direct: &Target, through: &Target, bao: SocketAddr, deck: SocketAddr) -> Result<()> {
    let secret = |addr: SocketAddr, target: &Target| -> Result<serde_json::Value> {
        let path = target
            .url
            .split_once(&addr.to_string())
            .map_or("/", |(_, p)| p);
        let headers: Vec<(&str, &str)> = target
            .headers
            .iter()
            .map(|line| line.split_once(": ").expect("a header line"))
            .collect();
        let answer = http::request(addr, "GET", path, &headers, None)?;
        if answer.status != 200 {
            bail!("GET {} answered {}", target.url, answer.status);
        }
        let body: serde_json::Value = serde_json::from_slice(&answer.body)
            .with_context(|| format!("GET {} did not answer JSON", target.url))?;
        Ok(body["data"]["data"].clone())
    };
    let (from_openbao, from_deck) = (secret(bao, direct)?, secret(deck, through)?);
    if from_openbao.is_null() || from_openbao != from_deck {
        bail!("Vaultdeck and OpenBao return different secrets: {from_openbao} / {from_deck}");
    }
    Ok(())
}

/// What one wrk run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct WrkRun {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests_per_second: f64,
    pub requests: u64,
}

fn wrk(target: &Target, connections: u32) -> Result<WrkRun> {
    let threads = connections.min(2).to_string();
    let output = Command::new("wrk")
        .args(["--latency", "-t", &threads, "-c", &connections.to_string()])
        .args(["-d", &format!("{SECONDS_PER_RUN}s")])
        .args(target.headers.iter().flat_map(|line| ["-H", line.as_str()]))
        // wrk gives up on an answer after 2 s and counts a socket error; on two cores shared
        // by 256 connections, OpenBao's slowest answers take longer. A slow answer is
        // latency, and belongs in the p99.
        .args(["--timeout", &format!("{SECONDS_PER_RUN}s")])
        .arg(&target.url)
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_wrk(&text).with_context(|| format!("reading wrk's report:\n{text}"))
}

/// Reads wrk's `--latency` report; a run with errors or non-2xx answers is refused, as its
/// numbers would describe failures.
pub fn parse_wrk(report: &str) -> Result<WrkRun> {
    for line in report.lines().map(str::trim) {
        if line.starts_with("Non-2xx or 3xx responses:") || line.starts_with("Socket errors:") {
            bail!("the run had errors: {line}");
        }
    }
    let percentile = |label: &str| -> Result<f64> {
        let line = report
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with(label))
            .with_context(|| format!("no {label} line"))?;
        parse_duration_ms(line[label.len()..].trim())
    };
    let requests_per_second = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
        .and_then(|value| value.trim().parse().ok())
        .context("no Requests/sec line")?;
    let requests = report
        .lines()
        .find_map(|line| line.trim().split_once(" requests in "))
        .and_then(|(count, _)| count.parse().ok())
        .filter(|&count| count > 0)
        .context("no `N requests in` line")?;
    Ok(WrkRun {
        p50_ms: percentile("50%")?,
        p99_ms: percentile("99%")?,
        requests_per_second,
        requests,
    })
}

/// wrk's durations: `612.00us`, `1.23ms`, `2.01s`, `1.50m`.
fn parse_duration_ms(text: &str) -> Result<f64> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .with_context(|| format!("no unit in `{text}`"))?;
    let value: f64 = text[..split].parse()?;
    let factor = match &text[split..] {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        unit => bail!("unknown unit `{unit}`"),
    };
    Ok(value * factor)
}

/// `count` token logins through the BFF, four at a time, each leaving a session behind.
/// Each with a token of its own, as `count` users would: one token holds at most
/// `MOST_SESSIONS_PER_TOKEN` sessions.
fn open_sessions(deck: SocketAddr, bao: SocketAddr, count: usize) -> Result<()> {
    const WORKERS: usize = 4;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|worker| {
                scope.spawn(move || -> Result<()> {
                    for _ in (worker..count).step_by(WORKERS) {
                        log_in(deck, &new_token(bao)?)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("a login worker panicked")?;
        }
        Ok(())
    })
}

/// A child token of the dev server's root token, straight from OpenBao.
fn new_token(bao: SocketAddr) -> Result<String> {
    let answer = http::request(
        bao,
        "POST",
        "/v1/auth/token/create",
        &[("X-Vault-Token", ROOT_TOKEN)],
        Some(r#"{"policies":["default"],"ttl":"1h"}"#),
    )?;
    if answer.status != 200 {
        bail!("creating a token answered {}", answer.status);
    }
    let created: serde_json::Value = serde_json::from_slice(&answer.body)?;
    created["auth"]["client_token"]
        .as_str()
        .map(str::to_string)
        .context("OpenBao's answer named no token")
}

fn latency_table(rows: &[(u32, WrkRun, WrkRun)]) -> String {
    let mut table = format!(
        "\nBFF overhead: read one KV v2 secret, wrk {SECONDS_PER_RUN} s per run, same client\n\
         {:>5}  {:>22}  {:>22}  {:>22}  {:>7}  {:>7}\n",
        "conns",
        "p50 ms (direct/deck)",
        "p99 ms (direct/deck)",
        "req/s (direct/deck)",
        "p50 ×",
        "req/s ×"
    );
    for (connections, direct, deck) in rows {
        let p50_ratio = deck.p50_ms / direct.p50_ms;
        let throughput_ratio = deck.requests_per_second / direct.requests_per_second;
        table.push_str(&format!(
            "{connections:>5}  {:>22}  {:>22}  {:>22}  {:>6.2}{}  {:>6.2}{}\n",
            format!("{:.3} / {:.3}", direct.p50_ms, deck.p50_ms),
            format!("{:.3} / {:.3}", direct.p99_ms, deck.p99_ms),
            format!(
                "{:.0} / {:.0}",
                direct.requests_per_second, deck.requests_per_second
            ),
            p50_ratio,
            verdict(p50_ratio <= TARGET_P50_RATIO),
            throughput_ratio,
            verdict(throughput_ratio >= TARGET_THROUGHPUT_RATIO),
        ));
    }
    table.push_str(&format!(
        "targets: p50 ≤ {TARGET_P50_RATIO:.2}× direct, throughput ≥ {TARGET_THROUGHPUT_RATIO:.2}× direct \
         (✓ met, ✗ missed)\n"
    ));
    table
}

/// CPU time per read (µs) at one concurrency.
struct CpuPerRead {
    connections: u32,
    openbao_direct: f64,
    vaultdeck: f64,
    openbao_through: f64,
}

fn cpu_table(rows: &[CpuPerRead]) -> String {
    let mut table = format!(
        "\nCPU time per read (user + system, µs), from /proc/PID/stat over the runs above\n\
         {:>5}  {:>15}  {:>16}  {:>10}  {:>17}\n",
        "conns", "OpenBao direct", "OpenBao via BFF", "Vaultdeck", "Vaultdeck/OpenBao"
    );
    for row in rows {
        table.push_str(&format!(
            "{:>5}  {:>15.0}  {:>16.0}  {:>10.0}  {:>16.2}×\n",
            row.connections,
            row.openbao_direct,
            row.openbao_through,
            row.vaultdeck,
            row.vaultdeck / row.openbao_through,
        ));
    }
    table
}

struct InstructionsPerRequest {
    health: f64,
    read: f64,
}

fn instructions_table(figures: &InstructionsPerRequest) -> String {
    format!(
        "\nBFF instructions per request (callgrind: user space only, one worker thread, \
         wrk -c 1, {SECONDS_PER_RUN} s each)\n\
         api/health, answered by the BFF alone   {:>9.0}\n\
         read one secret, through to OpenBao      {:>9.0}  ({:.1}× a bare request)\n",
        figures.health,
        figures.read,
        figures.read / figures.health,
    )
}

struct MemoryFigures {
    idle: f64,
    after_load: f64,
    with_sessions: f64,
    sessions_took: Duration,
}

fn memory_table(figures: &MemoryFigures) -> String {
    format!(
        "\nBFF memory (resident set, release build)\n\
         idle                      {:>7.1} MB  target ≤ {TARGET_IDLE_RSS_MB:.0} MB {}\n\
         after the runs above      {:>7.1} MB\n\
         with {SESSIONS} sessions      {:>7.1} MB  target ≤ {TARGET_SESSIONS_RSS_MB:.0} MB {}  \
         ({SESSIONS} logins in {:.1} s)\n",
        figures.idle,
        verdict(figures.idle <= TARGET_IDLE_RSS_MB),
        figures.after_load,
        figures.with_sessions,
        verdict(figures.with_sessions <= TARGET_SESSIONS_RSS_MB),
        figures.sessions_took.as_secs_f64(),
    )
}

fn verdict(met: bool) -> &'static str {
    if met {
        "✓"
    } else {
        "✗"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "\
Running 10s test @ http://127.0.0.1:8200/v1/secret/data/bench/app
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.10ms    1.20ms  31.02ms   80.12%
    Req/Sec     7.81k   512.33     8.90k    70.00%
  Latency Distribution
     50%  612.00us
     75%    3.90ms
     90%    5.01ms
     99%    1.02s
  155432 requests in 10.01s, 80.12MB read
Requests/sec:  15527.67
Transfer/sec:      8.00MB
";

    #[test]
    fn reads_percentiles_in_any_unit_and_the_rate() {
        let run = parse_wrk(REPORT).unwrap();
        assert_eq!(
            run,
            WrkRun {
                p50_ms: 0.612,
                p99_ms: 1020.0,
                requests_per_second: 15527.67,
                requests: 155432,
            }
        );
    }

    #[test]
    fn refuses_runs_with_errors_or_failed_answers() {
        let failed = REPORT.replace(
            "Requests/sec",
            "  Non-2xx or 3xx responses: 3\nRequests/sec",
        );
        assert!(parse_wrk(&failed).is_err());
        let errors = REPORT.replace(
            "Requests/sec",
            "  Socket errors: connect 0, read 2, write 0, timeout 0\nRequests/sec",
        );
        assert!(parse_wrk(&errors).is_err());
    }

    #[test]
    fn cpu_time_is_read_after_the_command_name() {
        let stat = "4242 (tokio worker) S 1 4242 4242 0 -1 4194560 900 0 0 0 1234 56 0 0 20 0 3 0";
        assert_eq!(cpu_ticks(stat), Some(1290));
        assert_eq!(cpu_ticks("4242 (cut short) S 1"), None);
    }

    #[test]
    fn refuses_a_report_without_the_distribution() {
        let without: String = REPORT
            .lines()
            .filter(|line| !line.trim_start().starts_with("99%"))
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(parse_wrk(&without).is_err());
    }
}
