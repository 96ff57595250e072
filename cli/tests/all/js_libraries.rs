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

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::json_diff::differences;

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

/// How many differing paths a failure lists per call.
const MAX_DIFFERENCES: usize = 12;

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

/// One call of a package: an action and its parameters.
struct Call {
    action: String,
    params: Value,
}

/// The package's `calls.json`.
fn calls(package: &Path) -> Vec<Call> {
    let path = package.join("calls.json");
    let text = std::fs::read_to_string(&path);
    assert!(text.is_ok(), "cannot read {}: {:?}", path.display(), text);
    let doc: Result<Value, _> = serde_json::from_str(&text.unwrap_or_default());
    assert!(doc.is_ok(), "{} is not JSON: {:?}", path.display(), doc);
    let doc = doc.unwrap_or_default();
    let list = doc.as_array().cloned().unwrap_or_default();
    assert!(!list.is_empty(), "{} lists no calls", path.display());
    list.into_iter()
        .map(|call| {
            let action = call["action"].as_str().map(str::to_owned);
            assert!(
                action.is_some() && call["params"].is_object(),
                "{}: every call needs a string `action` and an object `params`: {call}",
                path.display()
            );
            Call {
                action: action.unwrap_or_default(),
                params: call["params"].clone(),
            }
        })
        .collect()
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
    let out = Command::new("node")
        .arg(node_reference())
        .arg(bundle)
        .arg(&call.action)
        .arg(call.params.to_string())
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "cannot run `node` ({e}): Node must be on PATH, it is the reference these \
                 tests compare Morph with"
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "Node failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "Node printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The result `morph run` gives, or its error (code, message, JS stack).
fn morph(package: &Path, call: &Call, data: &Path) -> Result<Value, String> {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_morph"))
        .arg("run")
        .arg(package)
        .arg(&call.action)
        .arg("--params")
        .arg(call.params.to_string())
        .arg("--json")
        .arg("--data-dir")
        .arg(data)
        .env("TZ", "UTC")
        .env_remove("MORPH_DATA_DIR")
        .env_remove("MORPH_LOG")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run morph: {e}"))?;
    let envelope: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "morph printed no JSON envelope ({e}, {}): stdout {} stderr {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    if envelope["ok"] == Value::Bool(true) {
        return Ok(envelope["result"].clone());
    }
    let error = &envelope["error"];
    let mut text = format!(
        "morph failed ({}): [{}] {}",
        out.status,
        error["code"].as_str().unwrap_or("?"),
        error["message"].as_str().unwrap_or("?")
    );
    if let Some(stack) = error["stack"].as_str() {
        text.push('\n');
        text.push_str(stack);
    }
    Err(text)
}

/// Runs every call of `library` under both and asserts the results agree,
/// reporting every call that does not (not only the first).
fn gives_nodes_results(library: &str) {
    let package = libraries_dir().join(library);
    let bundle = bundle(&package);
    let data = tempfile::tempdir();
    assert!(data.is_ok(), "temporary data dir: {data:?}");
    let Ok(data) = data else { return };
    let calls = calls(&package);
    let mut failures = Vec::new();
    // A failure every call shares (an error at load) is shown once.
    let mut seen: Vec<(String, String)> = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        let label = format!("{library} call #{i} `{}`", call.action);
        let expected = match node(&bundle, call) {
            Ok(value) => value,
            Err(why) => {
                failures.push(format!("{label}: no reference result: {why}"));
                continue;
            }
        };
        match morph(&package, call, data.path()) {
            Ok(actual) if actual == expected => {}
            Ok(actual) => {
                let mut diffs = Vec::new();
                differences("Node", "$", &expected, &actual, &mut diffs);
                let more = diffs.len().saturating_sub(MAX_DIFFERENCES);
                diffs.truncate(MAX_DIFFERENCES);
                let mut text = format!(
                    "{label}: Morph's result differs from Node's at {} path(s):\n  {}",
                    diffs.len() + more,
                    diffs.join("\n  ")
                );
                if more > 0 {
                    text.push_str(&format!("\n  ... and {more} more"));
                }
                failures.push(text);
            }
            Err(why) => match seen.iter().find(|(text, _)| *text == why) {
                Some((_, first)) => failures.push(format!("{label}: the same failure as {first}")),
                None => {
                    failures.push(format!("{label}: {why}"));
                    seen.push((why, label));
                }
            },
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} calls of the bundled `{library}` do not give Node's result under \
         `morph run`:\n\n{}\n",
        failures.len(),
        calls.len(),
        failures.join("\n\n")
    );
}

/// Every package directory is tested (and every tested library has one),
/// holds its source, calls and a manifest whose entry is the bundle, and
/// commits no dependencies (`node_modules`): libraries come from the bundle.
#[test]
fn every_library_package_is_tested_and_bundles_its_source() {
    let root = libraries_dir();
    let entries = std::fs::read_dir(&root);
    assert!(entries.is_ok(), "{}: {entries:?}", root.display());
    let mut found = BTreeSet::new();
    for entry in entries.into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            found.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
    let listed: BTreeSet<String> = libraries().into_iter().collect();
    assert_eq!(
        found,
        listed,
        "the packages in {} and the libraries tested here must match",
        root.display()
    );
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
