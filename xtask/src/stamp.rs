//! Skipping build steps whose inputs have not changed.
//!
//! Cargo already skips unchanged compiles, but `wasm-bindgen`, `wasm-opt -Oz` and the
//! Brotli copies at quality 11 are plain commands that take most of a minute on these
//! machines even when they would write the very same bytes. Each such step gets a stamp
//! file in the target directory holding a fingerprint of everything its output depends on
//! — the input files' bytes, the tool's version, the flags. The step runs again only when
//! the fingerprint differs from the stamp, or when an output is missing.

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::{
    fs,
    path::{Path, PathBuf},
    time::Instant,
};

/// Accumulates what a step's output depends on, in order, into one SHA-256.
pub struct Fingerprint {
    hasher: Sha256,
}

impl Fingerprint {
    /// `step` names the recipe, so that two steps fed the same bytes differ.
    pub fn of(step: &str) -> Self {
        let mut fingerprint = Fingerprint {
            hasher: Sha256::new(),
        };
        fingerprint.add("step", step.as_bytes());
        fingerprint
    }

    /// A labelled value. Label and value are length-prefixed so that no two different
    /// sequences of inputs can run together into the same bytes ("ab"+"c" vs "a"+"bc").
    pub fn add(&mut self, label: &str, value: &[u8]) -> &mut Self {
        for part in [label.as_bytes(), value] {
            self.hasher.update((part.len() as u64).to_le_bytes());
            self.hasher.update(part);
        }
        self
    }

    pub fn text(&mut self, label: &str, value: &str) -> &mut Self {
        self.add(label, value.as_bytes())
    }

    /// A file's bytes, labelled with `label` (not its path: the same bytes in another
    /// clone or target directory give the same fingerprint).
    pub fn file(&mut self, label: &str, path: &Path) -> Result<&mut Self> {
        let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(self.add(label, &bytes))
    }

    pub fn hex(&self) -> String {
        self.hasher
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// What a stamp file holds: the fingerprint of the inputs a step ran with, and of the
/// outputs it left. Recording the outputs too means a step is redone when something else
/// rewrote them — another clone's older `cargo xtask`, sharing this target directory,
/// replacing the site with its own.
#[derive(Debug, PartialEq)]
pub struct Record {
    pub inputs: String,
    pub outputs: String,
}

impl Record {
    fn text(&self) -> String {
        format!("inputs {}\noutputs {}\n", self.inputs, self.outputs)
    }

    fn parse(text: &str) -> Option<Record> {
        let mut lines = text.lines();
        let inputs = lines.next()?.strip_prefix("inputs ")?;
        let outputs = lines.next()?.strip_prefix("outputs ")?;
        Some(Record {
            inputs: inputs.to_string(),
            outputs: outputs.to_string(),
        })
    }
}

/// The decision, kept pure: a step may be skipped only when its stamp records exactly the
/// current inputs, and outputs that are still there unchanged (`None`: some are missing).
pub fn may_skip(recorded: Option<&Record>, inputs: &str, outputs: Option<&str>) -> bool {
    match (recorded, outputs) {
        (Some(recorded), Some(outputs)) => recorded.inputs == inputs && recorded.outputs == outputs,
        _ => false,
    }
}

/// One step of the build that can be skipped: its stamp file and the outputs it makes
/// (files, or directories taken whole).
pub struct Step<'a> {
    pub name: &'a str,
    pub stamp: PathBuf,
    pub outputs: Vec<PathBuf>,
}

impl Step<'_> {
    /// Runs `work` unless the stamp says these inputs already produced the outputs as they
    /// are; prints which, and how long the work took. The stamp is removed before the work
    /// starts and written only once it succeeded, so an interrupted step is never taken as
    /// done.
    pub fn run(&self, inputs: &Fingerprint, work: impl FnOnce() -> Result<()>) -> Result<()> {
        let inputs = inputs.hex();
        let recorded = fs::read_to_string(&self.stamp)
            .ok()
            .and_then(|text| Record::parse(&text));
        if may_skip(
            recorded.as_ref(),
            &inputs,
            self.outputs_fingerprint()?.as_deref(),
        ) {
            println!("{}: inputs unchanged, skipped", self.name);
            return Ok(());
        }
        let _ = fs::remove_file(&self.stamp);
        let started = Instant::now();
        work()?;
        let Some(outputs) = self.outputs_fingerprint()? else {
            bail!("{}: finished without writing all its outputs", self.name);
        };
        if let Some(dir) = self.stamp.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&self.stamp, Record { inputs, outputs }.text())
            .with_context(|| format!("writing {}", self.stamp.display()))?;
        println!(
            "{}: done in {:.1} s",
            self.name,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// The bytes of every output, or `None` if one is missing.
    fn outputs_fingerprint(&self) -> Result<Option<String>> {
        let mut fingerprint = Fingerprint::of("outputs");
        for output in &self.outputs {
            if !output.exists() {
                return Ok(None);
            }
            if output.is_dir() {
                for (relative, path) in files_under(output)? {
                    fingerprint.file(&relative, &path)?;
                }
            } else {
                fingerprint.file("file", output)?;
            }
        }
        Ok(Some(fingerprint.hex()))
    }
}

/// Every file under `dir`, as (path relative to `dir`, path), in a stable order.
pub fn files_under(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in
            fs::read_dir(&current).with_context(|| format!("reading {}", current.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir)?.to_string_lossy().into_owned();
                files.push((relative, path));
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fingerprint(parts: &[(&str, &str)]) -> String {
        let mut f = Fingerprint::of("step");
        for (label, value) in parts {
            f.text(label, value);
        }
        f.hex()
    }

    #[test]
    fn same_inputs_give_the_same_fingerprint() {
        let inputs = [("wasm", "bytes"), ("version", "0.2.130")];
        assert_eq!(fingerprint(&inputs), fingerprint(&inputs));
    }

    #[test]
    fn any_changed_input_changes_the_fingerprint() {
        let base = fingerprint(&[("wasm", "bytes"), ("version", "0.2.130"), ("flags", "-Oz")]);
        assert_ne!(
            base,
            fingerprint(&[("wasm", "bytez"), ("version", "0.2.130"), ("flags", "-Oz")])
        );
        assert_ne!(
            base,
            fingerprint(&[("wasm", "bytes"), ("version", "0.2.131"), ("flags", "-Oz")])
        );
        assert_ne!(
            base,
            fingerprint(&[("wasm", "bytes"), ("version", "0.2.130"), ("flags", "-O3")])
        );
    }

    #[test]
    fn inputs_cannot_run_together() {
        assert_ne!(fingerprint(&[("a", "bc")]), fingerprint(&[("ab", "c")]));
        assert_ne!(
            fingerprint(&[("x", "ab"), ("y", "c")]),
            fingerprint(&[("x", "a"), ("y", "bc")])
        );
    }

    #[test]
    fn the_step_name_is_part_of_the_fingerprint() {
        let mut bindgen = Fingerprint::of("wasm-bindgen");
        let mut opt = Fingerprint::of("wasm-opt");
        bindgen.text("input", "same");
        opt.text("input", "same");
        assert_ne!(bindgen.hex(), opt.hex());
    }

    fn record(inputs: &str, outputs: &str) -> Record {
        Record {
            inputs: inputs.into(),
            outputs: outputs.into(),
        }
    }

    #[test]
    fn skips_only_when_inputs_and_outputs_are_as_recorded() {
        let stamp = record("in", "out");
        assert!(may_skip(Some(&stamp), "in", Some("out")));
        assert!(
            !may_skip(Some(&stamp), "in2", Some("out")),
            "changed inputs"
        );
        assert!(
            !may_skip(Some(&stamp), "in", Some("out2")),
            "outputs rewritten by someone else"
        );
        assert!(!may_skip(Some(&stamp), "in", None), "an output was deleted");
        assert!(
            !may_skip(None, "in", Some("out")),
            "never ran, or was interrupted"
        );
    }

    #[test]
    fn a_stamp_reads_back_what_was_written() {
        let stamp = record("abc", "def");
        assert_eq!(Record::parse(&stamp.text()), Some(stamp));
        assert_eq!(
            Record::parse("abc"),
            None,
            "a stamp in another format is no stamp"
        );
    }

    #[test]
    fn a_step_runs_once_then_skips_until_an_input_changes() {
        let dir = std::env::temp_dir().join(format!("xtask-stamp-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let output = dir.join("out");
        let step = Step {
            name: "test step",
            stamp: dir.join("out.stamp"),
            outputs: vec![output.clone()],
        };
        let mut runs = 0;
        let mut build = |input: &str| {
            let mut f = Fingerprint::of("test");
            f.text("input", input);
            step.run(&f, || {
                runs += 1;
                fs::write(&output, input)?;
                Ok(())
            })
            .unwrap();
        };
        build("one");
        build("one");
        build("two");
        fs::remove_file(&output).unwrap();
        build("two");
        fs::write(&output, "changed by someone else").unwrap();
        build("two");
        assert_eq!(
            runs, 4,
            "ran for `one`, `two`, after the output was deleted, and rewritten"
        );

        let failing = step.run(&Fingerprint::of("other"), || anyhow::bail!("broke"));
        assert!(failing.is_err());
        assert!(!step.stamp.exists(), "a failed step leaves no stamp");
        fs::remove_dir_all(&dir).unwrap();
    }
}
