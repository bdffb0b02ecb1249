//! The corpus in tests/corpus/: policies as people write them, each with the verdict a real
//! OpenBao 2.7 gave it (verdicts.txt) and, for some, the capabilities a token holding it
//! has on some paths (capabilities.txt). record-openbao-verdicts.py made both manifests by
//! sending every file to OpenBao; nothing in them is guessed. The crate must agree with
//! every line.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;
use vaultdeck_policy::{highlight, parse, validate, Acl};

fn corpus() -> PathBuf {
    // Read when the test runs, not baked in when it was built: clones that share one target
    // directory (CI's and a developer's) can run each other's test binaries.
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test"))
        .join("tests/corpus")
}

/// The lines of a manifest, split into words.
fn manifest(name: &str) -> Vec<Vec<String>> {
    let text = fs::read_to_string(corpus().join(name)).expect(name);
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.split_whitespace().map(String::from).collect())
        .collect()
}

/// The case names: files NAME.hcl and NAME.json.
fn cases() -> BTreeSet<String> {
    fs::read_dir(corpus())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("hcl" | "json")
            )
        })
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn text_of(case: &str) -> String {
    ["hcl", "json"]
        .iter()
        .map(|ext| corpus().join(format!("{case}.{ext}")))
        .find(|path| path.exists())
        .map(|path| fs::read_to_string(path).unwrap())
        .unwrap_or_else(|| panic!("no file for case {case}"))
}

fn verdicts() -> Vec<(String, bool)> {
    manifest("verdicts.txt")
        .into_iter()
        .map(|words| match words.as_slice() {
            [case, verdict] if verdict == "accept" || verdict == "reject" => {
                (case.clone(), verdict == "accept")
            }
            other => panic!("verdicts.txt: bad line {other:?}"),
        })
        .collect()
}

#[test]
fn every_case_has_one_verdict() {
    let listed: Vec<String> = verdicts().into_iter().map(|(case, _)| case).collect();
    let unique: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(unique.len(), listed.len(), "a case is listed twice");
    assert_eq!(unique, cases(), "verdicts.txt and the corpus files differ");
}

#[test]
fn the_crate_accepts_and_refuses_what_openbao_does() {
    let mut disagreements = Vec::new();
    for (case, openbao_accepts) in verdicts() {
        let result = parse(&text_of(&case));
        if result.is_ok() != openbao_accepts {
            let ours = match &result {
                Ok(_) => "accepts".to_string(),
                Err(error) => format!("refuses ({error})"),
            };
            let theirs = if openbao_accepts {
                "accepts"
            } else {
                "refuses"
            };
            disagreements.push(format!("{case}: OpenBao {theirs}, the crate {ours}"));
        }
    }
    assert!(disagreements.is_empty(), "\n{}", disagreements.join("\n"));
}

#[test]
fn refusals_point_at_a_line_and_column_in_the_text() {
    for (case, _) in verdicts().into_iter().filter(|(_, accepted)| !accepted) {
        let text = text_of(&case);
        let error = parse(&text).expect_err(&case);
        let position = error
            .position
            .unwrap_or_else(|| panic!("{case}: no position"));
        let lines = text.split('\n').count();
        assert!(
            position.line >= 1 && position.line <= lines && position.column >= 1,
            "{case}: {error} is outside the text"
        );
    }
}

#[test]
fn the_editor_marks_errors_exactly_where_the_parser_refuses() {
    for case in cases() {
        let text = text_of(&case);
        let validation = validate(&text, &[]);
        assert_eq!(
            validation.has_errors(),
            parse(&text).is_err(),
            "{case}: {:?}",
            validation.diagnostics
        );
    }
}

#[test]
fn highlighting_covers_every_case() {
    for case in cases() {
        let text = text_of(&case);
        let rebuilt: String = highlight::tokens(&text)
            .into_iter()
            .map(|(_, range)| &text[range])
            .collect();
        assert_eq!(rebuilt, text, "{case}");
    }
}

/// Where [`Acl`] keeps HashiCorp Vault's answer on purpose: for a path ending in `/`
/// (a listing), Vault tries the glob and `+` rules on the path without its slash first
/// (vault/acl.go, `AllowOperation`); OpenBao tries the path as given first
/// (internal/vault/policy/acl.go). (case, path, Vault's answer.)
const VAULT_LISTING_ORDER: &[(&str, &str, &str)] =
    &[("glob_list_with_trailing_slash", "secret/b/", "read")];

#[test]
fn capabilities_match_openbaos() {
    let mut disagreements = Vec::new();
    for words in manifest("capabilities.txt") {
        let [case, path, openbao] = words.as_slice() else {
            panic!("capabilities.txt: bad line {words:?}");
        };
        let policy = parse(&text_of(case))
            .unwrap_or_else(|error| panic!("{case} is in capabilities.txt but refused: {error}"));
        let ours = Acl::new([&policy]).capabilities(path).reported().join(",");
        let expected = VAULT_LISTING_ORDER
            .iter()
            .find(|(c, p, _)| c == case && p == path)
            .map_or(openbao.as_str(), |(_, _, vault)| vault);
        if ours != expected {
            disagreements.push(format!(
                "{case} {path}: expected {expected} (OpenBao: {openbao}), the crate {ours}"
            ));
        }
    }
    assert!(disagreements.is_empty(), "\n{}", disagreements.join("\n"));
}
