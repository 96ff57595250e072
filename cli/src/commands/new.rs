//! `morph new --lang LANG NAME`: a working extension project to start from.
//!
//! The Rust template builds to `extension.wasm` with `./build.sh`, passes
//! `cargo test` natively and runs with `morph run . greet`. The generated
//! project depends on `morph-sdk` by path when this CLI was built from a
//! Morph checkout that still exists (or `--sdk-path`), else by version. The
//! C template builds the same way with clang (wasm32-wasi, a reactor) and
//! carries its own copy of the C SDK (`sdk/c`'s `morph.h` and `morph.c`,
//! compiled into this binary), so it needs no Morph checkout. The
//! JavaScript, TypeScript and Python templates run as they are (no build
//! step, no `tsc`): `morph run . greet`. Each has an entry that imports a
//! second module, and the host API's types (`morph.d.ts`, `morph.pyi`).

use std::io::Write;
use std::path::{Path, PathBuf};

use morph_runtime_core::Error;
use serde_json::json;

use crate::args::{Lang, NewArgs};
use crate::output::{EXIT_OK, failure};

/// A template file: where it goes in the project, and its text.
type Template = (&'static str, &'static str);

/// `(file, text of templates/<lang>/<file>.tmpl)`.
macro_rules! template {
    ($lang:literal, $file:literal) => {
        (
            $file,
            include_str!(concat!("../templates/", $lang, "/", $file, ".tmpl")),
        )
    };
}

const RUST: &[Template] = &[
    template!("rust", "Cargo.toml"),
    template!("rust", "manifest.yaml"),
    ("src/lib.rs", include_str!("../templates/rust/lib.rs.tmpl")),
    template!("rust", "build.sh"),
    template!("rust", "README.md"),
    (".gitignore", "/target\nextension.wasm\n"),
];

const C: &[Template] = &[
    template!("c", "manifest.yaml"),
    template!("c", "extension.c"),
    template!("c", "test.c"),
    ("morph.h", include_str!("../../../sdk/c/morph.h")),
    ("morph.c", include_str!("../../../sdk/c/morph.c")),
    template!("c", "build.sh"),
    template!("c", "README.md"),
    (".gitignore", "/build\nextension.wasm\n"),
];

/// The host API's types, shipped in the JS and TS projects for editors.
const MORPH_D_TS: Template = ("morph.d.ts", include_str!("../../../sdk/js/morph.d.ts"));

const JS: &[Template] = &[
    template!("js", "manifest.yaml"),
    template!("js", "index.js"),
    template!("js", "greeting.js"),
    MORPH_D_TS,
    template!("js", "README.md"),
];

const TS: &[Template] = &[
    template!("ts", "manifest.yaml"),
    template!("ts", "main.ts"),
    template!("ts", "greeting.ts"),
    MORPH_D_TS,
    template!("ts", "README.md"),
];

const PYTHON: &[Template] = &[
    template!("python", "manifest.yaml"),
    template!("python", "main.py"),
    template!("python", "greeting.py"),
    ("morph.pyi", include_str!("../../../sdk/python/morph.pyi")),
    template!("python", "README.md"),
];

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
                let build = if args.lang.is_built() {
                    "./build.sh && "
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "next: cd {} && {build}morph run . greet --params '{{\"name\":\"Ada\"}}'",
                    args.name.display()
                );
            }
            EXIT_OK
        }
    }
}

fn create(args: &NewArgs) -> Result<Vec<String>, Error> {
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
    let templates = match args.lang {
        Lang::Rust => RUST,
        Lang::C => C,
        Lang::Js => JS,
        Lang::Ts => TS,
        Lang::Python => PYTHON,
    };
    let files: Vec<(&str, String)> = templates.iter().map(|(rel, t)| (*rel, fill(t))).collect();
    for (rel, text) in &files {
        let path = args.name.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        }
        std::fs::write(&path, text)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    }
    if args.lang.is_built() {
        make_executable(&args.name.join("build.sh"))?;
    }
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
