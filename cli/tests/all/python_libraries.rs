//! Popular pure-Python libraries, vendored unchanged into Morph packages,
//! give CPython's results through the real `morph` binary (brief section 13,
//! "Libraries"; issue 28).
//!
//! Each package under `cli/tests/python-libraries/<name>/` holds the library's
//! `.py` files beside a `main.py` that exercises it, and lists its calls in
//! `calls.json` (`[{"action": .., "params": {..}}, ..]`). Every call runs once
//! as `morph run <package> <action> --params <json> --json` and once under
//! CPython (`python3 testkit/python/reference.py <package> <action> <json>`, standard library
//! only, `PYTHONHASHSEED=0`, `TZ=UTC`); the two results must be the same JSON
//! value. CPython is part of the test: without `python3` these tests fail,
//! they do not skip.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::library_calls::{Call, agree, packages_are_exactly, reference_result};

/// One test per vendored library (the package directory of the same name),
/// and [`LIBRARIES`], the list the layout test checks the directory against.
/// `pending` libraries do not give CPython's results yet: their tests are
/// ignored with the reason (run them with `--ignored`), and each is named as
/// unfinished work on the issue.
macro_rules! libraries {
    (passing: [$($name:ident),* $(,)?], pending: [$($pending:ident: $why:literal),* $(,)?] $(,)?) => {
        const LIBRARIES: &[&str] = &[$(stringify!($name),)* $(stringify!($pending)),*];
        $(
            #[test]
            fn $name() {
                gives_cpythons_results(stringify!($name));
            }
        )*
        $(
            #[test]
            #[ignore = $why]
            fn $pending() {
                gives_cpythons_results(stringify!($pending));
            }
        )*
    };
}

libraries!(
    passing: [attrs, dateutil, idna, jinja2, markdown, mistune, pyparsing, tabulate, tomli],
    pending: [
        packaging: "packaging.tags imports subprocess at the top, which the sandbox keeps absent; markers read platform.machine() (os.uname, refused)",
    ],
);

/// Files that must never be vendored: native code, bytecode, C sources, stubs.
const FORBIDDEN_EXTENSIONS: &[&str] = &["so", "pyd", "dll", "dylib", "pyc", "pyo", "c", "pyi"];

fn libraries_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python-libraries")
}

/// The result CPython gives, or why it gave none.
fn cpython(package: &Path, call: &Call) -> Result<Value, String> {
    let mut cmd = Command::new("python3");
    // reference.py re-executes itself with -S -s -B and a clean PYTHON*
    // environment when these do not already hold.
    cmd.arg(morph_testkit::cpython_reference())
        .arg(package)
        .arg(&call.action)
        .arg(call.params.to_string())
        .env("PYTHONHASHSEED", "0")
        .env("TZ", "UTC");
    reference_result("CPython", "python3", cmd)
}

/// Runs every call of the vendored `library` under CPython and `morph run`
/// and asserts the results agree.
fn gives_cpythons_results(library: &str) {
    let package = libraries_dir().join(library);
    agree(library, "vendored", "CPython", &package, |call| {
        cpython(&package, call)
    });
}

/// Every package directory is tested (and every tested library has one),
/// holds a manifest, an entry, its calls and a license, and vendors source
/// only: no native code, bytecode or caches.
#[test]
fn every_vendored_package_is_tested_and_holds_only_source() {
    let root = libraries_dir();
    let listed: Vec<String> = LIBRARIES.iter().map(|s| (*s).to_owned()).collect();
    packages_are_exactly(&root, &listed);
    for library in LIBRARIES {
        let package = root.join(library);
        for file in ["manifest.yaml", "main.py", "calls.json"] {
            assert!(
                package.join(file).is_file(),
                "{library}: no {file} in {}",
                package.display()
            );
        }
        let has_license = std::fs::read_dir(&package)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("LICENSE"));
        assert!(has_license, "{library}: the vendored license is missing");
    }
    let mut stack = vec![root];
    let mut bad = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name == "__pycache__" {
                    bad.push(path.clone());
                }
                stack.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| FORBIDDEN_EXTENSIONS.contains(&e))
            {
                bad.push(path);
            }
        }
    }
    assert!(
        bad.is_empty(),
        "vendor .py sources only (no native code, bytecode or caches): {bad:?}"
    );
}
