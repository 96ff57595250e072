//! `morph new --lang LANG NAME`: a working extension project to start from.
//!
//! The Rust template builds to `extension.wasm` with `./build.sh`, passes
//! `cargo test` natively and runs with `morph run . greet`. The generated
//! project depends on `morph-sdk` by path when this CLI was built from a
//! Morph checkout that still exists (or `--sdk-path`), else by version.

use std::io::Write;
use std::path::{Path, PathBuf};

use morph_runtime_core::Error;
use serde_json::json;

use crate::args::{Lang, NewArgs};
use crate::output::{EXIT_OK, failure};

const CARGO_TOML: &str = include_str!("../templates/rust/Cargo.toml.tmpl");
const LIB_RS: &str = include_str!("../templates/rust/lib.rs.tmpl");
const MANIFEST: &str = include_str!("../templates/rust/manifest.yaml.tmpl");
const BUILD_SH: &str = include_str!("../templates/rust/build.sh.tmpl");
const README: &str = include_str!("../templates/rust/README.md.tmpl");

pub fn new(args: &NewArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match create(args) {
        Err(e) => failure(out, err, args.json, &e, &[]),
        Ok(files) => {
            if args.json {
                let doc = json!({ "ok": true, "path": args.name, "files": files });
                let _ = writeln!(out, "{doc}");
            } else {
                let _ = writeln!(out, "created {}:", args.name.display());
                for f in &files {
                    let _ = writeln!(out, "  {f}");
                }
                let _ = writeln!(
                    out,
                    "next: cd {} && ./build.sh && morph run . greet --params '{{\"name\":\"Ada\"}}'",
                    args.name.display()
                );
            }
            EXIT_OK
        }
    }
}

fn create(args: &NewArgs) -> Result<Vec<String>, Error> {
    if args.lang != Lang::Rust {
        return Err(Error::RuntimeUnavailable {
            reason: format!(
                "no `{}` runtime is linked into this build, so there is no template for it yet",
                args.lang.as_str()
            ),
        });
    }
    let id = args
        .name
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    if id.is_empty()
        || id.len() > 64
        || !id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(Error::params(
            "NAME",
            "the directory name becomes the extension id: use [a-z0-9][a-z0-9-]*, at most 64 characters",
        ));
    }
    if args.name.exists()
        && std::fs::read_dir(&args.name)
            .map_err(|e| Error::io(format!("reading {}", args.name.display()), e))?
            .next()
            .is_some()
    {
        return Err(Error::params(
            "NAME",
            format!("{} exists and is not empty", args.name.display()),
        ));
    }
    let sdk = match sdk_path(args.sdk_path.as_deref()) {
        Some(path) => format!("path = {}", toml_string(&path.display().to_string())),
        None => format!("version = \"{}\"", env!("CARGO_PKG_VERSION")),
    };
    let crate_name = id.replace('-', "_");
    let fill = |t: &str| {
        t.replace("{{id}}", &id)
            .replace("{{name}}", &id)
            .replace("{{crate}}", &crate_name)
            .replace("{{sdk}}", &sdk)
    };
    let files = [
        ("Cargo.toml", fill(CARGO_TOML)),
        ("manifest.yaml", fill(MANIFEST)),
        ("src/lib.rs", fill(LIB_RS)),
        ("build.sh", fill(BUILD_SH)),
        ("README.md", fill(README)),
        (".gitignore", "/target\nextension.wasm\n".to_owned()),
    ];
    std::fs::create_dir_all(args.name.join("src"))
        .map_err(|e| Error::io(format!("creating {}", args.name.display()), e))?;
    for (rel, text) in &files {
        let path = args.name.join(rel);
        std::fs::write(&path, text)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    }
    make_executable(&args.name.join("build.sh"))?;
    Ok(files.iter().map(|(rel, _)| (*rel).to_owned()).collect())
}

/// `--sdk-path`, else the SDK of the checkout this CLI was built from.
fn sdk_path(explicit: Option<&Path>) -> Option<PathBuf> {
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk/rust");
    explicit
        .map(Path::to_path_buf)
        .or(Some(built_from))
        .and_then(|p| p.canonicalize().ok())
        .filter(|p| p.join("Cargo.toml").is_file())
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io(format!("chmod {}", path.display()), e))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), Error> {
    Ok(())
}
