//! The Kubernetes test binaries: a real kube-apiserver and kube-controller-manager (v1.20.2),
//! built from Debian bookworm's `kubernetes` *source* package with Debian's Go, since no
//! prebuilt binary can be downloaded. etcd comes from Debian's `etcd-server` package.
//!
//! Everything lives in `tools_dir()/k8s/`: the downloaded source package, the build tree, Go's
//! GOPATH and build cache, and finally `bin/` with the two binaries and `version`, a stamp
//! naming the Debian source version. With the stamp and the binaries in place this step
//! takes a few milliseconds. See shared/k8s-test-cluster.md for the measured facts.

use crate::{paths, process, setup};
use anyhow::{bail, Context, Result};
use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

/// The Debian source package the binaries are built from (bookworm-security).
pub const DEBIAN_SOURCE_VERSION: &str = "1.20.5+really1.20.2-1.1+deb12u1";
/// What `kube-apiserver --version` must print for the build to count.
const KUBERNETES_VERSION: &str = "v1.20.2";
/// Bump when the way of building changes, to make every machine build again.
const RECIPE: u32 = 1;

const BINARIES: &[&str] = &["kube-apiserver", "kube-controller-manager"];

/// What running a test cluster needs: etcd and the PKI tool.
const RUNTIME_PACKAGES: &[&str] = &["etcd-server", "etcd-client", "openssl"];
/// What building the binaries needs on top. Debian's reflect2 v1.0.2 replaces the vendored
/// v1.0.1, which crashes at run time when built with Go >= 1.18.
const BUILD_PACKAGES: &[&str] = &[
    "golang-go",
    "rsync",
    "dpkg-dev",
    "golang-github-modern-go-reflect2-dev",
];
const REFLECT2_FROM_DEBIAN: &str = "/usr/share/gocode/src/github.com/modern-go/reflect2";
const REFLECT2_VENDORED: &str = "vendor/github.com/modern-go/reflect2";

const DEBIAN_SOURCES: &str = "/etc/apt/sources.list.d/debian.sources";
const DEB_SRC_FILE: &str = "/etc/apt/sources.list.d/vaultdeck-deb-src.sources";

/// `tools_dir()/k8s`: everything this step makes.
pub fn k8s_dir() -> PathBuf {
    paths::tools_dir().join("k8s")
}

fn bin_dir() -> PathBuf {
    k8s_dir().join("bin")
}

fn stamp_path() -> PathBuf {
    bin_dir().join("version")
}

fn stamp_text() -> String {
    format!("kubernetes {DEBIAN_SOURCE_VERSION} recipe {RECIPE}\n")
}

/// Installs etcd and openssl, and builds the Kubernetes binaries unless the stamp says they
/// are there already.
pub fn ensure() -> Result<()> {
    if is_built() {
        return setup::debian_packages(RUNTIME_PACKAGES);
    }
    build().context("building the Kubernetes test binaries")
}

fn is_built() -> bool {
    fs::read_to_string(stamp_path()).ok().as_deref() == Some(stamp_text().as_str())
        && BINARIES
            .iter()
            .all(|name| is_executable(&bin_dir().join(name)))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn build() -> Result<()> {
    let started = Instant::now();
    let dir = k8s_dir();
    println!(
        "k8s: building kube-apiserver and kube-controller-manager {KUBERNETES_VERSION} from \
         Debian's source package {DEBIAN_SOURCE_VERSION} in {} \
         (5 to 10 minutes and about 2 GB of disk, once)",
        dir.display()
    );
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;

    println!("k8s: [1/6] apt: deb-src entry and build packages");
    deb_src_entry()?;
    setup::apt_get(&["update", "-qq"])?;
    install_build_packages()?;

    println!("k8s: [2/6] downloading the source package");
    let dsc = download_source(&dir.join("download"))?;

    println!("k8s: [3/6] unpacking it");
    let src = dir.join("src");
    if src.exists() {
        fs::remove_dir_all(&src).with_context(|| format!("removing {}", src.display()))?;
    }
    // --no-copy: leave the orig tarball in download/, not beside the unpacked tree.
    process::run(
        Command::new("dpkg-source")
            .args(["--no-copy", "-x"])
            .arg(&dsc)
            .arg(&src),
    )?;

    println!("k8s: [4/6] replacing the vendored reflect2 v1.0.1 with Debian's v1.0.2");
    replace_reflect2(&src)?;

    println!("k8s: [5/6] make (Go build; the long part)");
    let build_started = Instant::now();
    make(&dir, &src)?;
    let build_took = build_started.elapsed();
    println!(
        "k8s: make took {:.0} s ({:.1} min)",
        build_took.as_secs_f64(),
        build_took.as_secs_f64() / 60.0
    );

    println!(
        "k8s: [6/6] installing the binaries in {}",
        bin_dir().display()
    );
    install_binaries(&src)?;
    // The build tree is not needed any more: a rebuild unpacks afresh, and the Go build
    // cache (kept) makes it quick.
    fs::remove_dir_all(&src).with_context(|| format!("removing {}", src.display()))?;
    fs::remove_dir_all(dir.join("gopath"))?;
    fs::write(stamp_path(), stamp_text())?;
    println!(
        "k8s: done in {:.0} s ({:.1} min)",
        started.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}

/// A `deb-src` twin of every `deb` stanza of Debian's sources, in a file of our own.
fn deb_src_entry() -> Result<()> {
    if Path::new(DEB_SRC_FILE).exists() {
        return Ok(());
    }
    let sources =
        fs::read_to_string(DEBIAN_SOURCES).with_context(|| format!("reading {DEBIAN_SOURCES}"))?;
    let text = deb_src_stanzas(&sources);
    if text.is_empty() {
        bail!("{DEBIAN_SOURCES} has no `Types: deb` stanza to mirror as deb-src");
    }
    println!("k8s: adding {DEB_SRC_FILE}");
    write_as_root(Path::new(DEB_SRC_FILE), &text)
}

/// The `Types: deb` stanzas of a deb822 sources file, as `Types: deb-src` with the same
/// URIs, Suites, Components and Signed-By.
fn deb_src_stanzas(sources: &str) -> String {
    let mut out = String::new();
    for stanza in sources.split("\n\n") {
        let fields: Vec<(&str, &str)> = stanza
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        let is_deb = field("Types").is_some_and(|t| t.split_whitespace().any(|t| t == "deb"));
        if !is_deb {
            continue;
        }
        out.push_str("Types: deb-src\n");
        for name in ["URIs", "Suites", "Components", "Signed-By"] {
            if let Some(value) = field(name) {
                out.push_str(&format!("{name}: {value}\n"));
            }
        }
        out.push('\n');
    }
    out
}

fn write_as_root(path: &Path, text: &str) -> Result<()> {
    let is_root =
        process::output_of(Command::new("id").arg("-u")).is_some_and(|id| id.trim() == "0");
    if is_root {
        return fs::write(path, text).with_context(|| format!("writing {}", path.display()));
    }
    let mut tee = Command::new("sudo")
        .args(["-n", "tee"])
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("starting sudo tee")?;
    tee.stdin
        .take()
        .expect("piped stdin")
        .write_all(text.as_bytes())?;
    if !tee.wait()?.success() {
        bail!("could not write {} with sudo", path.display());
    }
    Ok(())
}

fn install_build_packages() -> Result<()> {
    let missing: Vec<&str> = BUILD_PACKAGES
        .iter()
        .chain(RUNTIME_PACKAGES)
        .copied()
        .filter(|p| !setup::debian_package_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    setup::apt_get(&install)
}

/// `apt-get source --download-only` of the pinned version (apt checks the files against the
/// signed index); returns the `.dsc`.
fn download_source(download: &Path) -> Result<PathBuf> {
    fs::create_dir_all(download)?;
    let dsc = download.join(format!("kubernetes_{DEBIAN_SOURCE_VERSION}.dsc"));
    process::run(
        Command::new("apt-get")
            .args(["source", "--download-only", "-qq"])
            .arg(format!("kubernetes={DEBIAN_SOURCE_VERSION}"))
            .current_dir(download),
    )
    .context("the deb-src entry may be missing or its lists stale: try `apt-get update`")?;
    if !dsc.is_file() {
        bail!("apt-get source did not leave {}", dsc.display());
    }
    Ok(dsc)
}

/// Step 4 of the facts: the vendored reflect2's `.go` and `.s` files replaced by Debian's
/// v1.0.2 (without tests).
fn replace_reflect2(src: &Path) -> Result<()> {
    let is_code = |p: &Path| {
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        (name.ends_with(".go") && !name.ends_with("_test.go")) || name.ends_with(".s")
    };
    let vendored = src.join(REFLECT2_VENDORED);
    for path in files_in(&vendored)? {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.ends_with(".go") || name.ends_with(".s") {
            fs::remove_file(&path)?;
        }
    }
    let mut copied = 0;
    for path in files_in(Path::new(REFLECT2_FROM_DEBIAN))? {
        if is_code(&path) {
            fs::copy(&path, vendored.join(path.file_name().expect("a file")))?;
            copied += 1;
        }
    }
    if copied == 0 {
        bail!("no reflect2 sources in {REFLECT2_FROM_DEBIAN}");
    }
    Ok(())
}

fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// The build as `debian/rules` does it: a GOPATH with `src/k8s.io/kubernetes` pointing at the
/// source, CGO off, no module proxy, then `make WHAT=...`. Kubernetes' scripts set their own
/// GOPATH and GOCACHE inside `_output/local/go`; that cache is linked to `gocache/` so it
/// outlives the build tree.
fn make(dir: &Path, src: &Path) -> Result<()> {
    let gopath = dir.join("gopath");
    let gocache = dir.join("gocache");
    let home = dir.join("home");
    let link = gopath.join("src/k8s.io/kubernetes");
    fs::create_dir_all(link.parent().expect("has a parent"))?;
    fs::create_dir_all(&gocache)?;
    fs::create_dir_all(&home)?;
    if link.symlink_metadata().is_ok() {
        fs::remove_file(&link)?;
    }
    std::os::unix::fs::symlink(src, &link)?;
    let kube_gopath = src.join("_output/local/go");
    fs::create_dir_all(&kube_gopath)?;
    std::os::unix::fs::symlink(&gocache, kube_gopath.join("cache"))?;

    let path = std::env::join_paths(
        std::iter::once(PathBuf::from("/usr/lib/go/bin")).chain(
            std::env::var_os("PATH")
                .iter()
                .flat_map(std::env::split_paths),
        ),
    )?;
    let what = BINARIES
        .iter()
        .map(|b| format!("cmd/{b}"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut make = Command::new("make");
    make.arg(format!("WHAT={what}"))
        .current_dir(src)
        .env("GOPATH", &gopath)
        .env("GOCACHE", &gocache)
        .env("HOME", &home)
        .env("PATH", path)
        .env("CGO_ENABLED", "0")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env("GOTOOLCHAIN", "local");
    println!(
        "k8s: env GOPATH={} GOCACHE={} HOME={} CGO_ENABLED=0 GOPROXY=off",
        gopath.display(),
        gocache.display(),
        home.display()
    );
    process::run(&mut make)
}

/// Checks the version the built apiserver reports, then copies both binaries into `bin/`
/// (through a temporary name, so a half-copied binary never looks installed).
fn install_binaries(src: &Path) -> Result<()> {
    let output = src.join("_output/bin");
    let reported = process::output_of(Command::new(output.join("kube-apiserver")).arg("--version"))
        .context("the built kube-apiserver does not run")?;
    if !reported.contains(KUBERNETES_VERSION) {
        bail!(
            "the built kube-apiserver reports `{}`, not {KUBERNETES_VERSION}",
            reported.trim()
        );
    }
    println!("k8s: built {}", reported.trim());
    let bin = bin_dir();
    fs::create_dir_all(&bin)?;
    let _ = fs::remove_file(stamp_path());
    for name in BINARIES {
        let from = output.join(name);
        let partial = bin.join(format!(".{name}.partial"));
        fs::copy(&from, &partial).with_context(|| format!("copying {}", from.display()))?;
        fs::rename(&partial, bin.join(name))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb_src_mirrors_deb_stanzas() {
        let sources = "Types: deb\n# a comment: here\nURIs: http://deb.debian.org/debian\n\
                       Suites: bookworm bookworm-updates\nComponents: main\n\
                       Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n\
                       Types: deb-src\nURIs: http://x\nSuites: y\nComponents: main\n";
        assert_eq!(
            deb_src_stanzas(sources),
            "Types: deb-src\nURIs: http://deb.debian.org/debian\n\
             Suites: bookworm bookworm-updates\nComponents: main\n\
             Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        );
    }
}
