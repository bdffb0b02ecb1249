//! What the browser downloads: every chunk of the site (raw and Brotli), and the first load
//! of the login page as the server really sends it. `cargo xtask build` prints both;
//! `cargo xtask bench size` prints them against the budget (DESIGN.md, principle 7).
//!
//! How the server compresses, and so what is counted: files under `pkg/` (the WASM, the JS
//! glue, the CSS) are served from the `.br` copies the build writes with the `brotli` crate
//! at quality 11 (`site::brotli`); pages are never compressed (`kubectl proxy` can only
//! rewrite plain or gzip HTML); other static files go through tower-http's compression
//! (Brotli quality 4) when over 1 KiB. The first load is therefore measured by asking the
//! freshly built server for each file, and counting the body bytes it sends.

use crate::{
    http, paths,
    served::{self, Served},
};
use anyhow::{bail, Context, Result};
use std::{
    fs,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Command,
};

/// Budgets are written in KB of 1000 bytes (the stricter reading of "250 KB").
pub const KB: u64 = 1000;

pub struct Budget {
    /// Everything the browser fetches for the login page: HTML, JS, WASM, CSS (and icon).
    pub first_load: u64,
    /// Any one chunk, compressed.
    pub chunk: u64,
}

/// From issue 18: ≤ 250 KB compressed for the login page's first load, ≤ 150 KB per chunk.
pub const BUDGET: Budget = Budget {
    first_load: 250 * KB,
    chunk: 150 * KB,
};

/// The page whose first load the budget is about, under the default base path. It is
/// drawn by the server alone: its form posts itself, and the WASM comes with the next page.
pub const FIRST_PAGE: &str = "/ui/login";

/// A page the app draws, for what the first page after login loads (the shell's WASM and
/// JS): the status page, the one such page that needs no session to be drawn.
pub const APP_PAGE: &str = "/ui/status";

/// What a browser sends over HTTPS (Chromium's list); the server picks Brotli from it.
const BROWSER_ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// One file of the bundle under `pkg/`.
pub struct Chunk {
    pub file: String,
    pub raw: u64,
    pub brotli: u64,
}

/// One response of the first load, as the server sent it.
pub struct Fetched {
    pub path: String,
    pub raw: u64,
    pub sent: u64,
    /// `Content-Encoding`, `None` when sent plain.
    pub encoding: Option<String>,
}

/// The page itself first, then every file it makes the browser fetch.
pub struct FirstLoad {
    pub fetched: Vec<Fetched>,
}

impl FirstLoad {
    pub fn sent_total(&self) -> u64 {
        self.fetched.iter().map(|f| f.sent).sum()
    }

    pub fn raw_total(&self) -> u64 {
        self.fetched.iter().map(|f| f.raw).sum()
    }
}

pub struct SiteSizes {
    pub chunks: Vec<Chunk>,
    /// What each page group loads on its first visit; empty for an unsplit module.
    pub pages: Vec<PageLoad>,
    /// `None` when the server could not be asked (the reason was printed).
    pub first_load: Option<FirstLoad>,
    /// The first load of [`APP_PAGE`]; `None` as above.
    pub app_load: Option<FirstLoad>,
}

/// What a page group — one `#[lazy]` function of `app/src/page_chunks.rs` — fetches the
/// first time one of its pages is drawn: its own chunk and the chunks it shares with others
/// (the split's manifest lists them).
pub struct PageLoad {
    pub group: String,
    pub files: usize,
    pub raw: u64,
    pub brotli: u64,
}

/// Measures the site just built, serving it with `server_binary`, and prints the sizes.
pub fn measure_and_print(site_dir: &Path, server_binary: &Path) -> Result<SiteSizes> {
    let chunks = chunks(site_dir)?;
    let pages = page_loads(site_dir, &chunks)?;
    let (first_load, app_load) = match measure_first_loads(server_binary, site_dir) {
        Ok((first, app)) => (Some(first), Some(app)),
        Err(error) => {
            eprintln!("sizes: could not measure the first loads of {FIRST_PAGE} and {APP_PAGE}: {error:#}");
            (None, None)
        }
    };
    let sizes = SiteSizes {
        chunks,
        pages,
        first_load,
        app_load,
    };
    print!("{}", sizes_table(&sizes));
    Ok(sizes)
}

/// Every `.wasm`, `.js` and `.css` under `pkg/` — a directory scan, so that the chunks code
/// splitting will add are listed without naming them — WASM first, largest first.
pub fn chunks(site_dir: &Path) -> Result<Vec<Chunk>> {
    let pkg = site_dir.join("pkg");
    let mut chunks = Vec::new();
    for entry in fs::read_dir(&pkg).with_context(|| format!("reading {}", pkg.display()))? {
        let path = entry?.path();
        let kind = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !["wasm", "js", "css"].contains(&kind) {
            continue;
        }
        chunks.push(Chunk {
            file: format!(
                "pkg/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            ),
            raw: fs::metadata(&path)?.len(),
            brotli: brotli_size(&path)?,
        });
    }
    chunks.sort_by_key(|c| (kind_order(&c.file), std::cmp::Reverse(c.raw)));
    Ok(chunks)
}

/// The page groups of the split's manifest (`pkg/__wasm_split_manifest.HASH.json`), the
/// largest first; none when the site has no manifest.
pub fn page_loads(site_dir: &Path, chunks: &[Chunk]) -> Result<Vec<PageLoad>> {
    let pkg = site_dir.join("pkg");
    let manifest = fs::read_dir(&pkg)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("__wasm_split_manifest.") && name.ends_with(".json")
        });
    let Some(manifest) = manifest else {
        return Ok(Vec::new());
    };
    let mut pages: Vec<PageLoad> = crate::split::read_manifest(&manifest)?
        .into_iter()
        .map(|(split, stems)| page_load(&split, &stems, chunks))
        .collect::<Result<_>>()?;
    pages.sort_by_key(|page| std::cmp::Reverse(page.brotli));
    Ok(pages)
}

fn page_load(split: &str, stems: &[String], chunks: &[Chunk]) -> Result<PageLoad> {
    let mut load = PageLoad {
        group: group_name(split).to_string(),
        files: stems.len(),
        raw: 0,
        brotli: 0,
    };
    for stem in stems {
        let file = format!("pkg/{stem}.wasm");
        let Some(chunk) = chunks.iter().find(|c| c.file == file) else {
            bail!("the split's manifest names {file}, which the site does not have");
        };
        load.raw += chunk.raw;
        load.brotli += chunk.brotli;
    }
    Ok(load)
}

/// `kv_pages_14624805361757986059` → `kv_pages`: Leptos appends a hash of the source
/// location to each lazy function's name.
fn group_name(split: &str) -> &str {
    match split.rsplit_once('_') {
        Some((name, hash)) if !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => split,
    }
}

/// Chunks only shared between page groups (`chunk_N`), listed as one line in the tables.
fn is_shared_chunk(chunk: &Chunk) -> bool {
    chunk.file.starts_with("pkg/chunk_")
}

fn kind_order(file: &str) -> u8 {
    match file.rsplit('.').next() {
        Some("wasm") => 0,
        Some("js") => 1,
        _ => 2,
    }
}

/// The `.br` copy the server sends; computed the same way if the copy is missing.
fn brotli_size(path: &Path) -> Result<u64> {
    let mut br = path.as_os_str().to_owned();
    br.push(".br");
    match fs::metadata(PathBuf::from(br)) {
        Ok(meta) => Ok(meta.len()),
        Err(_) => Ok(crate::site::brotli(&fs::read(path)?)?.len() as u64),
    }
}

/// Starts the server on the site, as `cargo xtask run` would (embedded lab, default base
/// path), asks it for the login page and the app's page and for every file each loads,
/// and stops it.
pub fn measure_first_loads(
    server_binary: &Path,
    site_dir: &Path,
) -> Result<(FirstLoad, FirstLoad)> {
    let server = ProbeServer::start(server_binary, site_dir)?;
    let addr = server.server.addr;
    Ok((first_load(addr, FIRST_PAGE)?, first_load(addr, APP_PAGE)?))
}

/// The page at `page_path` and every file it makes the browser fetch.
fn first_load(addr: SocketAddr, page_path: &str) -> Result<FirstLoad> {
    let (page, html) = fetch(addr, page_path)?;
    let html = String::from_utf8_lossy(&html);
    let base = base_href(&html).unwrap_or_else(|| "/ui/".to_string());
    let mut fetched = vec![page];
    let mut queue: Vec<String> = loaded_resources(&html)
        .iter()
        .filter_map(|reference| resolve(&base, reference))
        .collect();
    queue.reverse();
    while let Some(path) = queue.pop() {
        if fetched.iter().any(|f| f.path == path) {
            continue;
        }
        let (file, body) = fetch(addr, &path)?;
        fetched.push(file);
        // A module's static imports load with it (the JS glue imports the split's link
        // module); dynamic ones (`fetch` of a chunk) do not.
        if path.ends_with(".js") {
            let text = String::from_utf8_lossy(&body);
            for import in static_imports(&text) {
                if let Some(imported) = resolve(&path, &import) {
                    queue.push(imported);
                }
            }
        }
    }
    Ok(FirstLoad { fetched })
}

/// The relative specifiers of a JS module's static imports (`… from "./x.js"`).
fn static_imports(js: &str) -> Vec<String> {
    let mut found = Vec::new();
    for quote in ['"', '\''] {
        let opener = format!("from {quote}./");
        let mut rest = js;
        while let Some(at) = rest.find(&opener) {
            rest = &rest[at + opener.len() - 2..];
            let end = rest.find(quote).unwrap_or(rest.len());
            found.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    found
}

/// Asks twice: as a browser would (what is sent), and without compression (the raw size,
/// and the plain body to read links from).
fn fetch(addr: SocketAddr, path: &str) -> Result<(Fetched, Vec<u8>)> {
    let as_browser = http::get(addr, path, Some(BROWSER_ACCEPT_ENCODING))?;
    let plain = http::get(addr, path, None)?;
    for response in [&as_browser, &plain] {
        if response.status != 200 {
            bail!("GET {path} answered {}", response.status);
        }
    }
    let fetched = Fetched {
        path: path.to_string(),
        raw: plain.body.len() as u64,
        sent: as_browser.body.len() as u64,
        encoding: as_browser.header("content-encoding").map(str::to_string),
    };
    Ok((fetched, plain.body))
}

/// The server on the site, with a throwaway lab data directory.
struct ProbeServer {
    // Fields drop in order: the server stops before its data directory is removed.
    server: Served,
    _data_dir: RemovedOnDrop,
}

/// A directory removed when dropped.
struct RemovedOnDrop(PathBuf);

impl Drop for RemovedOnDrop {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

impl ProbeServer {
    fn start(binary: &Path, site_dir: &Path) -> Result<Self> {
        let work = paths::target_dir().join("size-probe");
        let data_dir = work.join("data");
        let _ = fs::remove_dir_all(&work);
        fs::create_dir_all(&work)?;
        let addr = served::free_loopback_addr()?;
        let mut command = Command::new(binary);
        command
            .env_remove("VAULT_ADDR")
            .env("VAULTDECK_LISTEN", addr.to_string())
            .env("VAULTDECK_BASE_PATH", "/ui")
            .env("VAULTDECK_SITE_DIR", site_dir)
            .env("VAULTDECK_DATA_DIR", &data_dir)
            .env("RUST_LOG", "warn");
        let server = Served::start("the server", command, addr, &work.join("server.log"))?;
        Ok(ProbeServer {
            server,
            _data_dir: RemovedOnDrop(data_dir),
        })
    }
}

/// The page's `<base href>`, which its relative links resolve against.
fn base_href(html: &str) -> Option<String> {
    tags(html)
        .find(|(name, _)| name == "base")
        .and_then(|(_, attributes)| attribute(attributes, "href"))
}

/// What the page makes the browser fetch while loading: stylesheets, icons, (module)
/// preloads and scripts, images. Links the user may follow (`<a href>`), and hints for
/// later (`prefetch`), are not part of the first load.
fn loaded_resources(html: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (name, attributes) in tags(html) {
        let reference = match name.as_str() {
            "link" if link_loads_now(attributes) => attribute(attributes, "href"),
            "script" | "img" => attribute(attributes, "src"),
            _ => None,
        };
        if let Some(reference) = reference {
            if !found.contains(&reference) {
                found.push(reference);
            }
        }
    }
    found
}

fn link_loads_now(attributes: &str) -> bool {
    let rel = attribute(attributes, "rel").unwrap_or_default();
    rel.split_whitespace().any(|r| {
        ["stylesheet", "icon", "modulepreload", "preload"]
            .contains(&r.to_ascii_lowercase().as_str())
    })
}

/// The opening tags of an HTML document: (lower-case name, the text of its attributes).
fn tags(html: &str) -> impl Iterator<Item = (String, &str)> {
    html.split('<').skip(1).filter_map(|rest| {
        let tag = &rest[..rest.find('>')?];
        let name_end = tag
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tag.len());
        (name_end > 0).then(|| (tag[..name_end].to_ascii_lowercase(), &tag[name_end..]))
    })
}

/// The value of `name="…"` (or `'…'`, or unquoted) in a tag's attribute text.
fn attribute(attributes: &str, name: &str) -> Option<String> {
    let lower = attributes.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(name) {
        let start = from + found;
        from = start + name.len();
        let preceded_by_space = lower[..start].ends_with(|c: char| c.is_ascii_whitespace());
        let after_name = attributes[from..].trim_start();
        let Some(value) = after_name.strip_prefix('=').map(str::trim_start) else {
            continue; // the name inside a value, or an attribute without one
        };
        if !preceded_by_space {
            continue; // the end of a longer name: `data-href`
        }
        let value = match value.chars().next() {
            Some(quote @ ('"' | '\'')) => value[1..].split(quote).next(),
            _ => value
                .split(|c: char| c.is_ascii_whitespace() || c == '/')
                .next(),
        };
        return value.map(str::to_string);
    }
    None
}

/// A reference from the page as a path on the same server, or `None` when it is not one
/// (another origin, `data:`, a fragment).
fn resolve(base: &str, reference: &str) -> Option<String> {
    let external = ["http:", "https:", "data:", "blob:", "//", "#"];
    if reference.is_empty() || external.iter().any(|p| reference.starts_with(p)) {
        return None;
    }
    if reference.starts_with('/') {
        return Some(reference.to_string());
    }
    let base_dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
    Some(format!(
        "{base_dir}{}",
        reference.strip_prefix("./").unwrap_or(reference)
    ))
}

/// `1234567` → `1234.6 KB`.
pub fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / KB as f64)
}

/// The build's table: every chunk raw and Brotli, then the first load file by file.
pub fn sizes_table(sizes: &SiteSizes) -> String {
    let mut out =
        String::from("\nsizes (KB = 1000 bytes; Brotli: the quality-11 copies the server sends)\n");
    out += &format!("  {:<60} {:>12} {:>12}\n", "chunk", "raw", "Brotli");
    for chunk in sizes.chunks.iter().filter(|c| !is_shared_chunk(c)) {
        out += &format!(
            "  {:<60} {:>12} {:>12}\n",
            chunk.file,
            kb(chunk.raw),
            kb(chunk.brotli)
        );
    }
    let shared: Vec<&Chunk> = sizes.chunks.iter().filter(|c| is_shared_chunk(c)).collect();
    if let Some(largest) = shared.iter().map(|c| c.brotli).max() {
        out += &format!(
            "  {:<60} {:>12} {:>12}  (largest {})\n",
            format!("pkg/chunk_*.wasm: {} shared chunks", shared.len()),
            kb(shared.iter().map(|c| c.raw).sum()),
            kb(shared.iter().map(|c| c.brotli).sum()),
            kb(largest)
        );
    }
    if !sizes.pages.is_empty() {
        out += "what a page group fetches on its first visit (its chunk and the shared ones)\n";
        out += &format!("  {:<60} {:>12} {:>12}\n", "page group", "raw", "Brotli");
        for page in &sizes.pages {
            out += &format!(
                "  {:<60} {:>12} {:>12}\n",
                format!("{} ({} files)", page.group, page.files),
                kb(page.raw),
                kb(page.brotli)
            );
        }
    }
    let (Some(first), Some(app)) = (&sizes.first_load, &sizes.app_load) else {
        return out + "  first load: not measured (see above)\n";
    };
    out += &load_table(FIRST_PAGE, first);
    out += &load_table(APP_PAGE, app);
    out
}

/// One page's first load, file by file.
fn load_table(page: &str, load: &FirstLoad) -> String {
    let mut out =
        format!("first load of {page}, as the server sends it to a browser accepting Brotli\n");
    out += &format!(
        "  {:<60} {:>12} {:>12}  {}\n",
        "request", "raw", "sent", "as"
    );
    for f in &load.fetched {
        let encoding = f.encoding.as_deref().unwrap_or("plain");
        out += &format!(
            "  {:<60} {:>12} {:>12}  {encoding}\n",
            f.path,
            kb(f.raw),
            kb(f.sent)
        );
    }
    out += &format!(
        "  {:<60} {:>12} {:>12}  (budget: cargo xtask bench size)\n",
        format!("total, {} requests", load.fetched.len()),
        kb(load.raw_total()),
        kb(load.sent_total())
    );
    out
}

/// One line of `cargo xtask bench size`.
pub struct BudgetRow {
    pub metric: String,
    pub measured: u64,
    pub budget: u64,
}

impl BudgetRow {
    /// Measured over budget: 1.00 is exactly at the budget, above 1 is over.
    pub fn ratio(&self) -> f64 {
        self.measured as f64 / self.budget as f64
    }
}

/// The first load against its budget, then what each page group's first visit fetches (or,
/// for an unsplit module, every chunk) against the per-chunk budget.
pub fn budget_rows(sizes: &SiteSizes, budget: &Budget) -> Result<Vec<BudgetRow>> {
    let (Some(load), Some(app)) = (&sizes.first_load, &sizes.app_load) else {
        bail!("the first loads of {FIRST_PAGE} and {APP_PAGE} could not be measured (see above)");
    };
    let mut rows = vec![
        BudgetRow {
            metric: format!(
                "first load of {FIRST_PAGE} ({} requests, sent)",
                load.fetched.len()
            ),
            measured: load.sent_total(),
            budget: budget.first_load,
        },
        // Not the budget's page, but what the page after login costs, against the same
        // figure: the WASM the login page no longer brings is paid there.
        BudgetRow {
            metric: format!(
                "first load of the app, {APP_PAGE} ({} requests, sent)",
                app.fetched.len()
            ),
            measured: app.sent_total(),
            budget: budget.first_load,
        },
    ];
    // A page's chunk is what its first visit fetches; without a split, every file is one.
    if sizes.pages.is_empty() {
        rows.extend(sizes.chunks.iter().map(|chunk| BudgetRow {
            metric: format!("chunk {} (Brotli)", chunk.file),
            measured: chunk.brotli,
            budget: budget.chunk,
        }));
    } else {
        rows.extend(sizes.pages.iter().map(|page| BudgetRow {
            metric: format!(
                "pages {}, first visit ({} files, Brotli)",
                page.group, page.files
            ),
            measured: page.brotli,
            budget: budget.chunk,
        }));
    }
    Ok(rows)
}

pub fn budget_table(rows: &[BudgetRow]) -> String {
    let mut out = String::from("\nsize benchmark (KB = 1000 bytes; a measurement, not a test)\n");
    let width = rows
        .iter()
        .map(|r| r.metric.len())
        .max()
        .unwrap_or(0)
        .max(52);
    out += &format!(
        "  {:<width$} {:>12} {:>12}  ratio\n",
        "metric", "measured", "budget"
    );
    for row in rows {
        let verdict = if row.measured > row.budget {
            "over"
        } else {
            "within"
        };
        out += &format!(
            "  {:<width$} {:>12} {:>12}  {:.2}× budget, {verdict}\n",
            row.metric,
            kb(row.measured),
            kb(row.budget),
            row.ratio()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN_PAGE: &str = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/>
        <base href="/ui/"/><link rel="icon" href="favicon.svg" type="image/svg+xml"/>
        <link rel="stylesheet" id="leptos" href="./pkg/vaultdeck.aa.css"/>
        <link rel="modulepreload" href="./pkg/vaultdeck.bb.js" nonce="n"/>
        <link rel="preload" href="./pkg/vaultdeck.cc.wasm" as="fetch" type="application/wasm" crossorigin=""/>
        <link rel="prefetch" href="./pkg/later.wasm"/>
        <script type="module" nonce="n">import('./pkg/vaultdeck.bb.js')</script>
        </head><body><a href="secrets">Secrets</a><img src='data:image/png;base64,xx'>
        <img src=logo.png alt=""></body></html>"#;

    fn fetched(path: &str, raw: u64, sent: u64) -> Fetched {
        Fetched {
            path: path.into(),
            raw,
            sent,
            encoding: None,
        }
    }

    fn sizes() -> SiteSizes {
        SiteSizes {
            chunks: vec![
                Chunk {
                    file: "pkg/a.wasm".into(),
                    raw: 900_000,
                    brotli: 300_000,
                },
                Chunk {
                    file: "pkg/a.js".into(),
                    raw: 30_000,
                    brotli: 7_500,
                },
            ],
            pages: Vec::new(),
            first_load: Some(FirstLoad {
                fetched: vec![
                    fetched("/ui/login", 6_000, 6_000),
                    fetched("/ui/pkg/a.js", 30_000, 7_500),
                    fetched("/ui/pkg/a.wasm", 900_000, 300_000),
                ],
            }),
            app_load: Some(FirstLoad {
                fetched: vec![
                    fetched("/ui/status", 7_000, 7_000),
                    fetched("/ui/pkg/a.js", 30_000, 7_500),
                    fetched("/ui/pkg/a.wasm", 900_000, 300_000),
                ],
            }),
        }
    }

    #[test]
    fn finds_what_the_page_loads_and_nothing_it_only_links() {
        assert_eq!(
            loaded_resources(LOGIN_PAGE),
            [
                "favicon.svg",
                "./pkg/vaultdeck.aa.css",
                "./pkg/vaultdeck.bb.js",
                "./pkg/vaultdeck.cc.wasm",
                "data:image/png;base64,xx",
                "logo.png"
            ]
        );
        assert_eq!(base_href(LOGIN_PAGE).as_deref(), Some("/ui/"));
    }

    #[test]
    fn resolves_against_the_base_and_drops_other_origins() {
        assert_eq!(
            resolve("/ui/", "./pkg/a.js").as_deref(),
            Some("/ui/pkg/a.js")
        );
        assert_eq!(
            resolve("/ui/", "favicon.svg").as_deref(),
            Some("/ui/favicon.svg")
        );
        assert_eq!(resolve("/ui/login", "x.css").as_deref(), Some("/ui/x.css"));
        assert_eq!(
            resolve("/ui/", "/other/x.css").as_deref(),
            Some("/other/x.css")
        );
        for external in [
            "data:image/png;base64,xx",
            "https://cdn/x.js",
            "//cdn/x.js",
            "#top",
        ] {
            assert_eq!(resolve("/ui/", external), None, "{external}");
        }
    }

    #[test]
    fn reads_attributes_however_quoted_and_not_inside_other_names() {
        let tag = r#" data-href="no" rel=icon href='yes.svg' crossorigin"#;
        assert_eq!(attribute(tag, "href").as_deref(), Some("yes.svg"));
        assert_eq!(attribute(tag, "rel").as_deref(), Some("icon"));
        assert_eq!(attribute(tag, "src"), None);
    }

    #[test]
    fn static_imports_are_followed_and_dynamic_fetches_are_not() {
        let glue = "import * as import1 from \"./__wasm_split.ab.js\";\n\
                    import { x } from './helper.js';\n\
                    fetch(new URL(\"./chunk.wasm\", import.meta.url));";
        assert_eq!(
            static_imports(glue),
            vec![
                "./__wasm_split.ab.js".to_string(),
                "./helper.js".to_string()
            ]
        );
        assert_eq!(
            resolve("/ui/pkg/vaultdeck.1.js", "./__wasm_split.ab.js").as_deref(),
            Some("/ui/pkg/__wasm_split.ab.js")
        );
    }

    #[test]
    fn first_load_totals_add_up_every_request() {
        let load = sizes().first_load.unwrap();
        assert_eq!(load.sent_total(), 6_000 + 7_500 + 300_000);
        assert_eq!(load.raw_total(), 6_000 + 30_000 + 900_000);
    }

    #[test]
    fn budget_rows_compare_the_first_load_then_each_chunk() {
        let rows = budget_rows(&sizes(), &BUDGET).unwrap();
        let summary: Vec<(u64, u64)> = rows.iter().map(|r| (r.measured, r.budget)).collect();
        assert_eq!(
            summary,
            [
                (313_500, 250_000),
                (314_500, 250_000),
                (300_000, 150_000),
                (7_500, 150_000)
            ]
        );
        assert!((rows[0].ratio() - 1.254).abs() < 1e-9);
        assert!(rows[1].metric.contains("/ui/status"));
        assert!((rows[2].ratio() - 2.0).abs() < 1e-9);
        assert!((rows[3].ratio() - 0.05).abs() < 1e-9);
    }

    fn chunk(file: &str, brotli: u64) -> Chunk {
        Chunk {
            file: file.into(),
            raw: brotli * 3,
            brotli,
        }
    }

    #[test]
    fn a_page_group_counts_its_chunk_and_the_shared_ones_and_the_budget_follows_groups() {
        let chunks = [
            chunk("pkg/vaultdeck.1.wasm", 200_000),
            chunk("pkg/split_kv_pages_77.2.wasm", 100_000),
            chunk("pkg/chunk_1.3.wasm", 30_000),
            chunk("pkg/chunk_2.4.wasm", 40_000),
        ];
        let stems = [
            "chunk_1.3".to_string(),
            "chunk_2.4".into(),
            "split_kv_pages_77.2".into(),
        ];
        let kv = page_load("kv_pages_1234", &stems, &chunks).unwrap();
        assert_eq!(
            (kv.group.as_str(), kv.files, kv.brotli),
            ("kv_pages", 3, 170_000)
        );
        assert!(page_load("x_1", &["missing".to_string()], &chunks).is_err());

        let mut split = sizes();
        split.chunks = chunks.into();
        split.pages = vec![kv];
        let rows = budget_rows(&split, &BUDGET).unwrap();
        let summary: Vec<(u64, u64)> = rows.iter().map(|r| (r.measured, r.budget)).collect();
        assert_eq!(
            summary,
            [(313_500, 250_000), (314_500, 250_000), (170_000, 150_000)]
        );
        let table = sizes_table(&split);
        assert!(table.contains("2 shared chunks"), "{table}");
        assert!(table.contains("kv_pages (3 files)"), "{table}");
        assert!(!table.contains("pkg/chunk_1.3.wasm"), "{table}");
    }

    #[test]
    fn group_names_lose_only_a_numeric_suffix() {
        assert_eq!(group_name("kv_pages_14624805361757986059"), "kv_pages");
        assert_eq!(group_name("kv_pages"), "kv_pages");
        assert_eq!(group_name("policy_pages_x1"), "policy_pages_x1");
    }

    #[test]
    fn the_tables_print_kilobytes_of_1000_bytes_and_ratios() {
        assert_eq!(kb(250_000), "250.0 KB");
        assert_eq!(kb(1_234_567), "1234.6 KB");
        let table = budget_table(&budget_rows(&sizes(), &BUDGET).unwrap());
        assert!(table.contains("313.5 KB"), "{table}");
        assert!(table.contains("1.25× budget, over"), "{table}");
        assert!(table.contains("0.05× budget, within"), "{table}");
        let build = sizes_table(&sizes());
        assert!(build.contains("total, 3 requests"), "{build}");
        assert!(build.contains("936.0 KB"), "{build}");
    }

    #[test]
    fn no_budget_verdict_without_a_measured_first_load() {
        let mut unmeasured = sizes();
        unmeasured.first_load = None;
        assert!(budget_rows(&unmeasured, &BUDGET).is_err());
        assert!(sizes_table(&unmeasured).contains("not measured"));
    }
}
