//! The policy corpus (policy/tests/corpus/) checked against live servers. Its manifests
//! say what OpenBao 2.7.2 made of each policy: `verdicts.txt` whether
//! `PUT sys/policies/acl/NAME` accepted it, `capabilities.txt` what a token holding it may
//! do on some paths. A real OpenBao must still give every verdict (this re-checks the
//! manifest, whatever `VAULTDECK_TEST_VAULT` says), and labvault must give the same.

mod common;

use common::differences;
use serde_json::json;
use std::{fs, path::PathBuf};
use testvault::{Flavor, Mode, TestVault};

fn corpus() -> PathBuf {
    // Read when the test runs, not baked in when it was built: clones that share one target
    // directory (CI's and a developer's) can run each other's test binaries.
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test"))
        .join("../policy/tests/corpus")
}

/// The policy name record-openbao-verdicts.py used for a case.
fn policy_name(case: &str) -> String {
    format!("corpus-{}", case.to_lowercase())
}

/// A case's file, byte for byte (BOMs and CRLF line ends are part of some cases).
fn text_of(case: &str) -> String {
    ["hcl", "json"]
        .iter()
        .map(|ext| corpus().join(format!("{case}.{ext}")))
        .find(|path| path.exists())
        .map(|path| fs::read_to_string(path).expect("a corpus file"))
        .unwrap_or_else(|| panic!("no file for case {case}"))
}

/// `NAME accept|reject` lines.
fn verdicts() -> Vec<(String, bool)> {
    let text = fs::read_to_string(corpus().join("verdicts.txt")).expect("verdicts.txt");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                [case, "accept"] => (case.to_string(), true),
                [case, "reject"] => (case.to_string(), false),
                _ => panic!("verdicts.txt: bad line {line:?}"),
            },
        )
        .collect()
}

/// `NAME PATH caps` lines (caps comma-separated and sorted, empty for none).
fn capability_lines() -> Vec<(String, String, Vec<String>)> {
    let text = fs::read_to_string(corpus().join("capabilities.txt")).expect("capabilities.txt");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let caps = words
                .get(2)
                .map_or(Vec::new(), |c| c.split(',').map(str::to_string).collect());
            (words[0].to_string(), words[1].to_string(), caps)
        })
        .collect()
}

async fn dev_server(flavor: Flavor) -> TestVault {
    let mode = Mode::Dev {
        root_token: "corpus-root".into(),
    };
    TestVault::start(flavor, mode)
        .await
        .expect("a test Vault starts")
}

/// Accepted (204) or not. A connection the server drops (OpenBao's parser panicking on
/// some inputs) is a refusal too, as the recording script counted it.
async fn accepts(http: &reqwest::Client, vault: &TestVault, case: &str) -> bool {
    let answer = http
        .put(format!(
            "{}/v1/sys/policies/acl/{}",
            vault.url(),
            policy_name(case)
        ))
        .header("X-Vault-Token", vault.root_token())
        .json(&json!({ "policy": text_of(case) }))
        .send()
        .await;
    matches!(answer, Ok(response) if response.status().as_u16() == 204)
}

/// Every case whose verdict differs from the manifest, as `NAME: manifest says …`.
async fn verdict_mismatches(vault: &TestVault) -> Vec<String> {
    let http = reqwest::Client::new();
    let mut mismatches = Vec::new();
    for (case, accepted) in verdicts() {
        if accepts(&http, vault, &case).await != accepted {
            let manifest = if accepted { "accept" } else { "reject" };
            mismatches.push(format!("{case}: manifest says {manifest}"));
        }
    }
    mismatches
}

/// A call as root that must get an answer; returns its body.
async fn as_root(
    vault: &TestVault,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let (_, answer) = testvault::call(
        vault.url(),
        method,
        path,
        Some(vault.root_token()),
        Some(body),
    )
    .await
    .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    answer
}

/// What a token holding only `case`'s policy may do on `path`, sorted.
async fn capabilities(vault: &TestVault, case: &str, path: &str) -> Vec<String> {
    let created = as_root(
        vault,
        "POST",
        "auth/token/create",
        json!({ "policies": [policy_name(case)], "no_default_policy": true, "ttl": "10m" }),
    )
    .await;
    let token = created["auth"]["client_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{case}: no token: {created}"))
        .to_string();
    let answer = as_root(
        vault,
        "POST",
        "sys/capabilities",
        json!({ "token": token, "paths": [path] }),
    )
    .await;
    let mut found: Vec<String> = answer["data"][path]
        .as_array()
        .unwrap_or_else(|| panic!("{case} {path}: {answer}"))
        .iter()
        .map(|c| c.as_str().unwrap_or_default().to_string())
        .collect();
    found.sort();
    found
}

async fn capability_mismatches(vault: &TestVault) -> Vec<String> {
    let mut mismatches = Vec::new();
    for (case, path, manifest) in capability_lines() {
        let expected =
            differences::vault_listing_order(vault.flavor(), &case, &path).unwrap_or(manifest);
        let found = capabilities(vault, &case, &path).await;
        if found != expected {
            mismatches.push(format!(
                "{case} {path}: manifest {expected:?}, got {found:?}"
            ));
        }
    }
    mismatches
}

async fn check_corpus(flavor: Flavor) {
    let vault = dev_server(flavor).await;
    let verdicts = verdict_mismatches(&vault).await;
    assert!(
        verdicts.is_empty(),
        "{} disagrees with verdicts.txt on {} case(s):\n{}",
        flavor.name(),
        verdicts.len(),
        verdicts.join("\n")
    );
    let capabilities = capability_mismatches(&vault).await;
    assert!(
        capabilities.is_empty(),
        "{} disagrees with capabilities.txt:\n{}",
        flavor.name(),
        capabilities.join("\n")
    );
}

#[tokio::test]
async fn openbao_still_gives_the_manifests_verdicts() {
    check_corpus(Flavor::OpenBao).await;
}

#[tokio::test]
async fn labvault_gives_the_manifests_verdicts() {
    check_corpus(Flavor::Labvault).await;
}

/// The manifests cover every corpus file, so no case goes unchecked.
#[test]
fn every_corpus_file_has_a_verdict() {
    let listed: Vec<String> = verdicts().into_iter().map(|(case, _)| case).collect();
    let mut files: Vec<String> = fs::read_dir(corpus())
        .expect("the corpus directory")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| {
            matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("hcl" | "json")
            )
        })
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, files);
    assert!(!capability_lines().is_empty());
}
