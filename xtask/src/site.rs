//! Building the site the way cargo-leptos does, without its downloads: the app for
//! `wasm32-unknown-unknown` with `hydrate` in the size profile → split into a main module and
//! page chunks (`split.rs`) → `wasm-bindgen --target web` on the main module → `wasm-opt -Oz`
//! on every module → content-hashed names → CSS and static files → `.br`/`.gz` copies; then
//! the server with `ssr`, with Leptos' `hash.txt` beside it.

use crate::{
    paths, process, setup,
    sizes::{self, SiteSizes},
    split::{self, Split},
    stamp::{files_under, Fingerprint, Step},
};
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

const OUTPUT_NAME: &str = "vaultdeck";
const WASM_PROFILE: &str = "wasm-release";

pub struct Built {
    pub site_dir: PathBuf,
    pub server_binary: PathBuf,
    /// `testvault`: a real OpenBao or labvault for the browser tests.
    pub testvault_binary: PathBuf,
    /// `testcluster up`: a real Kubernetes API server for the browser tests.
    pub testcluster_binary: PathBuf,
    /// What the browser downloads, measured against the server just built.
    pub sizes: SiteSizes,
}

/// Content hashes of the bundle, in the `hash.txt` format Leptos reads: the JS glue, the
/// main module, the stylesheet, the split's link module and its manifest.
struct Hashes {
    js: String,
    wasm: String,
    css: String,
    split: String,
    manifest: String,
}

impl Hashes {
    fn file_text(&self) -> String {
        format!(
            "js: {}\nwasm: {}\ncss: {}\nsplit: {}\nmanifest: {}\n",
            self.js, self.wasm, self.css, self.split, self.manifest
        )
    }
}

const WASM_ARGS: [&str; 6] = [
    "--package",
    "vaultdeck-app",
    "--target",
    "wasm32-unknown-unknown",
    "--profile",
    WASM_PROFILE,
];

/// Compiles the app to WebAssembly and returns the module's path.
///
/// Cargo leaves a cdylib's file name unhashed, so every clone that shares this target
/// directory (CI's clone and a developer's both use ~/.cache/vaultdeck) writes the same
/// `vaultdeck_app.wasm`, while cargo's fingerprints are kept per clone: after CI built its
/// commit, cargo called a developer's unchanged clone fresh and the site served CI's app
/// (found when a renamed test id was missing from the page). A marker names the clone whose
/// build the file holds; for any other clone the app's WebAssembly output is cleaned first.
fn build_wasm(root: &Path, target: &Path) -> Result<PathBuf> {
    let output_dir = target.join(format!("wasm32-unknown-unknown/{WASM_PROFILE}"));
    let marker = output_dir.join("vaultdeck_app.built-by");
    let this_clone = root.display().to_string();
    if fs::read_to_string(&marker).ok().as_deref() != Some(this_clone.as_str()) {
        process::run(
            process::cargo()
                .current_dir(root)
                .arg("clean")
                .args(WASM_ARGS),
        )?;
    }
    // `cargo rustc` rather than `cargo build`: the split reads the linker's relocations
    // (`--emit-relocs`), and passing the flag to this crate alone leaves its dependencies'
    // builds as they are (RUSTFLAGS would rebuild them all).
    process::run(
        process::cargo()
            .current_dir(root)
            .args(["rustc", "--lib", "--features", "hydrate"])
            .args(WASM_ARGS)
            .args(["--", "-C", "link-arg=--emit-relocs"]),
    )?;
    fs::write(&marker, &this_clone)?;
    Ok(output_dir.join("vaultdeck_app.wasm"))
}

pub fn build_all(release: bool) -> Result<Built> {
    setup::build_tools()?;
    let site_dir = build_site()?;
    let server_binary = build_server(release, &site_dir)?;
    let sizes = sizes::measure_and_print(&site_dir, &server_binary)?;
    let testvault_binary = server_binary.with_file_name("testvault");
    let testcluster_binary = server_binary.with_file_name("testcluster");
    Ok(Built {
        site_dir,
        server_binary,
        testvault_binary,
        testcluster_binary,
        sizes,
    })
}

fn build_site() -> Result<PathBuf> {
    let compiled = build_wasm(&paths::workspace_root(), &paths::target_dir())?;
    let steps = paths::target_dir().join("site-steps");
    let split = split::run(&compiled, &steps.join("wasm-split"))?;
    let bindgen_dir = steps.join("wasm-bindgen");
    run_wasm_bindgen(&split.main, &bindgen_dir)?;
    let bindgen_wasm = bindgen_dir.join(format!("{OUTPUT_NAME}_bg.wasm"));
    let optimised_dir = steps.join("wasm-opt");
    let optimised = optimised_dir.join(format!("{OUTPUT_NAME}.wasm"));
    run_wasm_opt(&bindgen_wasm, &optimised)?;
    let mut chunks = Vec::new();
    for chunk in &split.chunks {
        let output = optimised_dir.join(chunk.file_name().expect("a chunk file"));
        run_wasm_opt(chunk, &output)?;
        chunks.push(output);
    }
    report_sizes(&compiled, &split, &bindgen_wasm, &optimised, &chunks)?;
    let bundle = Bundle {
        js: bindgen_dir.join(format!("{OUTPUT_NAME}.js")),
        wasm: optimised,
        chunks,
        link_js: split.link_js,
        manifest: split.manifest,
    };
    assemble_site(&bundle, &steps.join("site.stamp"))
}

/// `--keep-lld-exports`: the chunks import the main module's memory, table and functions
/// through the exports the linker made; `--no-demangle` keeps the names the split gave them.
const WASM_BINDGEN_FLAGS: &[&str] = &[
    "--target",
    "web",
    "--no-typescript",
    "--keep-lld-exports",
    "--no-demangle",
    "--out-name",
    OUTPUT_NAME,
];

/// `wasm-bindgen` into `out_dir` (`vaultdeck.js`, `vaultdeck_bg.wasm`), unless this module
/// was already bound by this wasm-bindgen with these flags.
fn run_wasm_bindgen(compiled: &Path, out_dir: &Path) -> Result<()> {
    let mut inputs = Fingerprint::of("wasm-bindgen");
    inputs
        .file("module", compiled)?
        .file("tool", &process::which("wasm-bindgen")?)?
        .text("flags", &WASM_BINDGEN_FLAGS.join(" "));
    let step = Step {
        name: "wasm-bindgen",
        stamp: out_dir.with_extension("stamp"),
        outputs: vec![
            out_dir.join(format!("{OUTPUT_NAME}.js")),
            out_dir.join(format!("{OUTPUT_NAME}_bg.wasm")),
        ],
    };
    step.run(&inputs, || {
        let _ = fs::remove_dir_all(out_dir);
        fs::create_dir_all(out_dir)?;
        process::run(
            process::command("wasm-bindgen")
                .args(WASM_BINDGEN_FLAGS)
                .arg("--out-dir")
                .arg(out_dir)
                .arg(compiled),
        )
    })
}

/// `-Oz`, and the WASM features rustc's output uses (wasm-opt refuses them otherwise).
const WASM_OPT_FLAGS: &[&str] = &[
    "-Oz",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-mutable-globals",
];

/// `wasm-opt` from `input` to `output`, unless this very input was already optimised by
/// this wasm-opt with these flags. npm's wasm-opt is a Node script: it is identified by its
/// bytes, as running `--version` costs seconds.
fn run_wasm_opt(input: &Path, output: &Path) -> Result<()> {
    let mut inputs = Fingerprint::of("wasm-opt");
    inputs
        .file("module", input)?
        .file("tool", &process::which("wasm-opt")?)?
        .text("flags", &WASM_OPT_FLAGS.join(" "));
    let step = Step {
        name: "wasm-opt -Oz",
        stamp: output.with_extension("wasm.stamp"),
        outputs: vec![output.to_path_buf()],
    };
    step.run(&inputs, || {
        fs::create_dir_all(output.parent().expect("a file in a directory"))?;
        process::run(
            process::command("wasm-opt")
                .args(WASM_OPT_FLAGS)
                .arg(input)
                .arg("-o")
                .arg(output),
        )
    })
}

/// The JS glue and the optimised WASM, as wasm-bindgen and wasm-opt left them, and what the
/// split added: the optimised chunks, the link module and the manifest.
struct Bundle {
    js: PathBuf,
    wasm: PathBuf,
    chunks: Vec<PathBuf>,
    link_js: PathBuf,
    manifest: PathBuf,
}

/// This file's own source: it decides how the site is laid out and compressed, so a change
/// to it must rebuild the site, and a change elsewhere in xtask need not.
const SITE_RECIPE: &str = include_str!("site.rs");

/// The site directory: the bundle under content-hashed names, the stylesheet, the public
/// files, their Brotli and gzip copies, and `hash.txt`. Skipped when none of those inputs
/// changed, nor the code that lays them out.
fn assemble_site(bundle: &Bundle, stamp: &Path) -> Result<PathBuf> {
    let root = paths::workspace_root();
    let site = paths::site_dir();
    let mut inputs = Fingerprint::of("site");
    inputs
        .file("js", &bundle.js)?
        .file("wasm", &bundle.wasm)?
        .file("link", &bundle.link_js)?
        .file("manifest", &bundle.manifest)?
        .text("recipe", SITE_RECIPE);
    for chunk in &bundle.chunks {
        inputs.file("chunk", chunk)?;
    }
    for (relative, path) in files_under(&root.join("style"))? {
        inputs.file(&format!("style/{relative}"), &path)?;
    }
    for (relative, path) in files_under(&root.join("public"))? {
        inputs.file(&format!("public/{relative}"), &path)?;
    }
    let step = Step {
        name: "site (hashed names, CSS, public files, .br/.gz copies)",
        stamp: stamp.to_path_buf(),
        outputs: vec![site.clone()],
    };
    step.run(&inputs, || write_site(bundle, &root, &site))?;
    Ok(site)
}

fn write_site(bundle: &Bundle, root: &Path, site: &Path) -> Result<()> {
    let staging = paths::target_dir().join("site.staging");
    let _ = fs::remove_dir_all(&staging);
    let pkg = staging.join("pkg");
    fs::create_dir_all(&pkg)?;
    let modules = write_modules(bundle, &pkg)?;
    let hashes = Hashes {
        js: modules.js,
        wasm: copy_with_hash(&bundle.wasm, &pkg, OUTPUT_NAME, "wasm")?,
        css: write_stylesheet(&root.join("style"), &pkg)?,
        split: modules.split,
        manifest: modules.manifest,
    };
    copy_dir(&root.join("public"), &staging)?;
    precompress(&pkg)?;
    fs::write(staging.join("hash.txt"), hashes.file_text())?;

    let _ = fs::remove_dir_all(site);
    fs::rename(&staging, site).context("moving the built site into place")?;
    println!("site: built in {}", site.display());
    Ok(())
}

/// The hashes `write_modules` gave the JS glue, the link module and the manifest.
struct ModuleHashes {
    js: String,
    split: String,
    manifest: String,
}

/// The chunks, the link module, the manifest and the JS glue under content-hashed names, each
/// naming the others by their hashed names.
///
/// The glue imports the link module and the link module imports the glue, so neither name
/// can be a hash of the final file. The link module's name hashes what decides its content
/// (its text with the chunks' hashed names, and the glue as wasm-bindgen wrote it); the
/// glue's name hashes its final text, which names the link module; the link module then names
/// the glue. Every name still changes whenever its file's content does.
fn write_modules(bundle: &Bundle, pkg: &Path) -> Result<ModuleHashes> {
    let mut link = fs::read_to_string(&bundle.link_js)?;
    let mut manifest = split::read_manifest(&bundle.manifest)?;
    for chunk in &bundle.chunks {
        let stem = chunk.file_stem().expect("a chunk file").to_string_lossy();
        let hashed_stem = format!("{stem}.{}", copy_with_hash(chunk, pkg, &stem, "wasm")?);
        link = split::replace_quoted_path(
            &link,
            &format!("{stem}.wasm"),
            &format!("{hashed_stem}.wasm"),
        )?;
        for stems in manifest.values_mut() {
            for listed in stems.iter_mut().filter(|listed| **listed == stem) {
                *listed = hashed_stem.clone();
            }
        }
    }
    let glue = fs::read_to_string(&bundle.js)?;
    let split_hash = short_hash(format!("{link}\n{glue}").as_bytes());
    let glue = split::replace_import_specifier(
        &glue,
        &format!("./{}", split::LINK_NAME),
        &format!("./__wasm_split.{split_hash}.js"),
    )?;
    let js_hash = short_hash(glue.as_bytes());
    fs::write(pkg.join(format!("{OUTPUT_NAME}.{js_hash}.js")), &glue)?;
    let link = split::replace_quoted_path(
        &link,
        split::MAIN_MODULE.trim_start_matches("./"),
        &format!("{OUTPUT_NAME}.{js_hash}.js"),
    )?;
    fs::write(pkg.join(format!("__wasm_split.{split_hash}.js")), link)?;
    let manifest = serde_json::to_string_pretty(&manifest)?;
    let manifest_hash = short_hash(manifest.as_bytes());
    fs::write(
        pkg.join(format!("__wasm_split_manifest.{manifest_hash}.json")),
        manifest,
    )?;
    Ok(ModuleHashes {
        js: js_hash,
        split: split_hash,
        manifest: manifest_hash,
    })
}

fn build_server(release: bool, site_dir: &Path) -> Result<PathBuf> {
    let mut cargo = process::cargo();
    cargo.current_dir(paths::workspace_root()).args([
        "build",
        "--package",
        "vaultdeck",
        "--bin",
        "vaultdeck",
        "--package",
        "testvault",
        "--bin",
        "testvault",
        "--package",
        "testcluster",
        "--bin",
        "testcluster",
    ]);
    if release {
        cargo.arg("--release");
    }
    process::run(&mut cargo)?;
    let profile_dir = paths::target_dir().join(if release { "release" } else { "debug" });
    // Leptos looks for the hashes beside the running executable.
    fs::copy(site_dir.join("hash.txt"), profile_dir.join("hash.txt"))?;
    Ok(profile_dir.join("vaultdeck"))
}

/// Hex of the first 8 bytes of SHA-256: short, and plenty to tell builds apart.
pub fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `from` → `pkg/STEM.HASH.EXT`; returns the hash.
fn copy_with_hash(from: &Path, pkg: &Path, stem: &str, extension: &str) -> Result<String> {
    let hash = short_hash(&fs::read(from)?);
    fs::copy(from, pkg.join(format!("{stem}.{hash}.{extension}")))?;
    Ok(hash)
}

/// All of `style/*.css`, in name order, as one hashed stylesheet (plain CSS: nothing to
/// download, nothing to compile).
fn write_stylesheet(style_dir: &Path, pkg: &Path) -> Result<String> {
    let mut sheets: Vec<PathBuf> = fs::read_dir(style_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "css"))
        .collect();
    sheets.sort();
    let mut css = String::new();
    for sheet in &sheets {
        css.push_str(&fs::read_to_string(sheet)?);
        css.push('\n');
    }
    let hash = short_hash(css.as_bytes());
    fs::write(pkg.join(format!("{OUTPUT_NAME}.{hash}.css")), css)?;
    Ok(hash)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            fs::create_dir_all(&target)?;
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Brotli and gzip copies beside every file, served as they are by the server.
fn precompress(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            precompress(&path)?;
            continue;
        }
        let data = fs::read(&path)?;
        fs::write(with_suffix(&path, "br"), brotli(&data)?)?;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(&data)?;
        fs::write(with_suffix(&path, "gz"), gzip.finish()?)?;
    }
    Ok(())
}

/// Brotli as the server sends the bundle: the best quality (11) and a 4 MiB window (22),
/// affordable because it is done once per build, not per request.
pub fn brotli(data: &[u8]) -> Result<Vec<u8>> {
    const QUALITY: u32 = 11;
    const WINDOW_BITS: u32 = 22;
    let mut compressed = Vec::new();
    {
        let mut writer =
            brotli::CompressorWriter::new(&mut compressed, 64 * 1024, QUALITY, WINDOW_BITS);
        writer.write_all(data)?;
    }
    Ok(compressed)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

fn report_sizes(
    compiled: &Path,
    split: &Split,
    bindgen: &Path,
    optimised: &Path,
    chunks: &[PathBuf],
) -> Result<()> {
    let size = |p: &Path| fs::metadata(p).map(|m| m.len());
    let split_chunks: u64 = split
        .chunks
        .iter()
        .map(|c| size(c))
        .sum::<std::io::Result<u64>>()?;
    let chunks_optimised: u64 = chunks
        .iter()
        .map(|c| size(c))
        .sum::<std::io::Result<u64>>()?;
    println!(
        "wasm: {} from rustc; split into main {} + {} chunks {}; main {} after wasm-bindgen; \
         after wasm-opt -Oz main {} + chunks {}",
        sizes::kb(size(compiled)?),
        sizes::kb(size(&split.main)?),
        split.chunks.len(),
        sizes::kb(split_chunks),
        sizes::kb(size(bindgen)?),
        sizes::kb(size(optimised)?),
        sizes::kb(chunks_optimised),
    );
    Ok(())
}
