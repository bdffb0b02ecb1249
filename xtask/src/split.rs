//! Splitting the app's WebAssembly at its `#[lazy]` functions (`app/src/page_chunks.rs`),
//! with `wasm_split_cli_support` — the library cargo-leptos calls for `--split`.
//!
//! It works on rustc's output, before `wasm-bindgen`: it needs the linker's relocations,
//! which wasm-bindgen drops. It writes the main module (for wasm-bindgen), one `.wasm` per
//! chunk, a JS "link" module that fetches and instantiates a chunk on first use, and a
//! manifest of which files each lazy function needs (Leptos reads it to preload a page's
//! chunks when the server renders that page).

use crate::stamp::{Fingerprint, Step};
use anyhow::{anyhow, Context, Result};
use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

/// The link module's name as the split main module imports it. Leptos looks for this exact
/// name (22 underscores where a hash goes) when no hash is recorded.
pub const LINK_NAME: &str = "__wasm_split.______________________.js";
/// The manifest's name before hashing, as Leptos looks for it.
pub const MANIFEST_NAME: &str = "__wasm_split_manifest.json";
/// How the link module imports the main JS glue (`initSync`), before the glue is renamed.
pub const MAIN_MODULE: &str = "./vaultdeck.js";

/// Which files each lazy function needs: split name → file stems (chunks shared by several
/// splits, then its own), in the order the link module loads them.
pub type Manifest = BTreeMap<String, Vec<String>>;

/// What the split wrote into its directory.
pub struct Split {
    /// The main module, for wasm-bindgen.
    pub main: PathBuf,
    /// Every chunk's `.wasm`.
    pub chunks: Vec<PathBuf>,
    pub link_js: PathBuf,
    pub manifest: PathBuf,
}

const MAIN_FILE: &str = "main.wasm";

/// Splits `compiled` into `out_dir`, unless this module was already split by this version of
/// the library.
pub fn run(compiled: &Path, out_dir: &Path) -> Result<Split> {
    let mut inputs = Fingerprint::of("wasm-split");
    inputs
        .file("module", compiled)?
        // The library is compiled into xtask: a new xtask may split differently. (When it
        // splits the same, the steps after this one see the same bytes and are skipped.)
        .file("tool", &std::env::current_exe()?)?
        .text("names", &format!("./{LINK_NAME} {MAIN_MODULE}"));
    let step = Step {
        name: "wasm-split",
        stamp: out_dir.with_extension("stamp"),
        outputs: vec![out_dir.to_path_buf()],
    };
    step.run(&inputs, || split_into(compiled, out_dir))?;
    read_split(out_dir)
}

fn split_into(compiled: &Path, out_dir: &Path) -> Result<()> {
    let _ = fs::remove_dir_all(out_dir);
    fs::create_dir_all(out_dir)?;
    let input = fs::read(compiled)?;
    let main_out = out_dir.join(MAIN_FILE);
    // The main module imports the link module by this specifier, which wasm-bindgen copies
    // into the glue's `import`: a browser resolves only `./`-relative ones.
    let link_specifier = format!("./{LINK_NAME}");
    let mut options = wasm_split_cli_support::Options::new(&input);
    options.output_dir = out_dir;
    options.main_out_path = &main_out;
    options.link_name = &link_specifier;
    options.main_module = MAIN_MODULE;
    let split = wasm_split_cli_support::transform(options)
        .map_err(|error| anyhow!("splitting {}: {error:#}", compiled.display()))?;
    let manifest: Manifest = split.prefetch_map.into_iter().collect();
    fs::write(
        out_dir.join(MANIFEST_NAME),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    Ok(())
}

fn read_split(out_dir: &Path) -> Result<Split> {
    let mut chunks: Vec<PathBuf> = fs::read_dir(out_dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.extension().is_some_and(|x| x == "wasm")
                && path.file_name().is_some_and(|n| n != MAIN_FILE)
        })
        .collect();
    chunks.sort();
    Ok(Split {
        main: out_dir.join(MAIN_FILE),
        chunks,
        link_js: out_dir.join(LINK_NAME),
        manifest: out_dir.join(MANIFEST_NAME),
    })
}

pub fn read_manifest(path: &Path) -> Result<Manifest> {
    serde_json::from_slice(&fs::read(path)?).with_context(|| format!("reading {}", path.display()))
}

/// Replaces the module specifier `from` with `to` in the static imports of `js`
/// (`from "…"`, `from '…'`), and nowhere else: wasm-bindgen also uses the link module's name
/// as the key of the imports object, which must stay what the WebAssembly module asks for.
pub fn replace_import_specifier(js: &str, from: &str, to: &str) -> Result<String> {
    let mut replaced = js.to_string();
    let mut count = 0;
    for quote in ['"', '\''] {
        let old = format!("from {quote}{from}{quote}");
        count += replaced.matches(&old).count();
        replaced = replaced.replace(&old, &format!("from {quote}{to}{quote}"));
    }
    if count == 0 {
        anyhow::bail!("no import of {from} to rename");
    }
    Ok(replaced)
}

/// Replaces every quoted `"./{from}"` with `"./{to}"` (the link module names the chunks and
/// the JS glue that way); fails if there is none.
pub fn replace_quoted_path(js: &str, from: &str, to: &str) -> Result<String> {
    let old = format!("\"./{from}\"");
    if !js.contains(&old) {
        anyhow::bail!("the link module never names ./{from}");
    }
    Ok(js.replace(&old, &format!("\"./{to}\"")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_specifiers_are_renamed_but_not_the_imports_object_key() {
        let glue = "import * as import1 from \"./__wasm_split.x.js\";\n\
                    imports[\"./__wasm_split.x.js\"] = import1;\n";
        let renamed = replace_import_specifier(glue, "./__wasm_split.x.js", "./s.1234.js").unwrap();
        assert!(renamed.contains("from \"./s.1234.js\""));
        assert!(renamed.contains("imports[\"./__wasm_split.x.js\"]"));
        assert!(replace_import_specifier(glue, "./other.js", "./y.js").is_err());
    }

    #[test]
    fn quoted_paths_are_renamed_and_a_missing_one_is_an_error() {
        let link = "fetch(new URL(\"./split_kv.wasm\", import.meta.url));";
        let renamed = replace_quoted_path(link, "split_kv.wasm", "split_kv.ab12.wasm").unwrap();
        assert!(renamed.contains("\"./split_kv.ab12.wasm\""));
        assert!(replace_quoted_path(link, "chunk_1.wasm", "x.wasm").is_err());
    }
}
