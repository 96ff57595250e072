//! Popular npm libraries, bundled unchanged with esbuild into Morph packages,
//! give Node's results through the real `morph` binary (issue 29, "npm
//! libraries run unchanged").
//!
//! Each package under `cli/tests/js-libraries/<name>/` holds a `src/main.js`
//! that imports the library and exercises it, the bundle `dist/main.js` that
//! `scripts/js-libraries.sh` builds from it (build output, not committed: CI
//! runs the script before the tests), its `manifest.yaml` (entry: the bundle)
//! and its calls in `calls.json` (`[{"action": .., "params": {..}}, ..]`).
//! Every call runs once as `morph run <package> <action> --params <json>
//! --json` and once under Node on the same bundle (`node
//! testkit/js/reference.mjs <bundle> <action> <json>`, `TZ=UTC`); the two
//! results must be the same JSON value. Node is part of the test: without
//! `node` these tests fail, they do not skip; so does a missing or stale
//! bundle.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::library_calls::{Call, agree, packages_are_exactly, reference_result};

/// One test per bundled library: the identifier is the package directory's
/// name with `-` written `_` (`markdown_it` tests `markdown-it/`).
/// [`libraries`] is the list the layout test checks the directory against.
/// `pending` libraries do not give Node's results yet: their tests are
/// ignored with the reason (run them with `--ignored`), and each is named as
/// unfinished work on the issue.
macro_rules! libraries {
    (passing: [$($name:ident),* $(,)?], pending: [$($pending:ident: $why:literal),* $(,)?] $(,)?) => {
        fn libraries() -> Vec<String> {
            vec![$(package_name(stringify!($name)),)* $(package_name(stringify!($pending))),*]
        }
        $(
            #[test]
            fn $name() {
                gives_nodes_results(&package_name(stringify!($name)));
            }
        )*
        $(
            #[test]
            #[ignore = $why]
            fn $pending() {
                gives_nodes_results(&package_name(stringify!($pending)));
            }
        )*
    };
}

libraries!(
    passing: [
        ajv, d3_dsv, handlebars, he, js_yaml, lodash, markdown_it, marked, moment, ms, mustache,
        qs, semver, uuid, yaml,
    ],
    pending: [],
);

/// The entry every package's manifest names: the bundle the script builds.
const BUNDLE: &str = "dist/main.js";

/// What to run when a bundle is missing or older than its source.
const BUILD_HINT: &str = "run `scripts/js-libraries.sh` (it installs Debian's esbuild and node-* \
                          packages and bundles every test package; CI runs it before the tests)";

fn package_name(test: &str) -> String {
    test.replace('_', "-")
}

fn libraries_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js-libraries")
}

/// `testkit/js/reference.mjs`: `node reference.mjs MODULE ACTION [PARAMS_JSON]`
/// imports the module under Node, calls `init({})` if exported, then
/// `execute`, awaited, with `TZ=UTC`, and prints `JSON.stringify(result)`.
fn node_reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testkit/js/reference.mjs")
}

/// The package's bundle, asserted present and newer than its `src/`.
fn bundle(package: &Path) -> PathBuf {
    let bundle = package.join(BUNDLE);
    let built = std::fs::metadata(&bundle).and_then(|m| m.modified());
    assert!(
        built.is_ok(),
        "no bundle at {}: {BUILD_HINT}",
        bundle.display()
    );
    let Ok(built) = built else { return bundle };
    let mut stack = vec![package.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(changed) = entry.metadata().and_then(|m| m.modified()) {
                assert!(
                    changed <= built,
                    "{} is older than {}: {BUILD_HINT}",
                    bundle.display(),
                    path.display()
                );
            }
        }
    }
    bundle
}

/// The result Node gives, or why it gave none.
fn node(bundle: &Path, call: &Call) -> Result<Value, String> {
    let mut cmd = Command::new("node");
    cmd.arg(node_reference())
        .arg(bundle)
        .arg(&call.action)
        .arg(call.params.to_string())
        .env("TZ", "UTC");
    reference_result("Node", "node", cmd)
}

/// Runs every call of the bundled `library` under Node and `morph run` (on
/// the same bundle) and asserts the results agree.
fn gives_nodes_results(library: &str) {
    let package = libraries_dir().join(library);
    let bundle = bundle(&package);
    agree(library, "bundled", "Node", &package, |call| {
        node(&bundle, call)
    });
}

/// Every package directory is tested (and every tested library has one),
/// holds its source, calls and a manifest whose entry is the bundle, and
/// commits no dependencies (`node_modules`): libraries come from the bundle.
#[test]
fn every_library_package_is_tested_and_bundles_its_source() {
    let root = libraries_dir();
    let listed: Vec<String> = libraries().into_iter().collect();
    packages_are_exactly(&root, &listed);
    for library in &listed {
        let package = root.join(library);
        for file in ["manifest.yaml", "src/main.js", "calls.json"] {
            assert!(
                package.join(file).is_file(),
                "{library}: no {file} in {}",
                package.display()
            );
        }
        let manifest = std::fs::read_to_string(package.join("manifest.yaml")).unwrap_or_default();
        assert!(
            manifest
                .lines()
                .any(|l| l.trim() == format!("entry: {BUNDLE}")),
            "{library}: the manifest's entry must be the bundle, {BUNDLE}"
        );
        assert!(
            !package.join("node_modules").exists(),
            "{library}: no node_modules in a test package (the script bundles from Debian's \
             /usr/share/nodejs)"
        );
    }
}
