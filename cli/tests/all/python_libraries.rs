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

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

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

/// How many differing paths a failure lists per call.
const MAX_DIFFERENCES: usize = 12;

fn libraries_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python-libraries")
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
        .env("TZ", "UTC")
        .stdin(Stdio::null());
    let out = cmd.output().map_err(|e| {
        format!(
            "cannot run `python3` ({e}): CPython 3 must be on PATH, it is the reference \
             these tests compare Morph with"
        )
    })?;
    if !out.status.success() {
        return Err(format!(
            "CPython failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "CPython printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The result `morph run` gives, or its error (code, message, Python stack).
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
    // What the guest wrote (warnings, prints), without the CLI's own notice.
    let stderr: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("warning: running unsigned development package"))
        .map(str::to_owned)
        .collect();
    if !stderr.is_empty() {
        text.push_str("\nstderr: ");
        text.push_str(stderr.join("\n").trim());
    }
    Err(text)
}

/// Runs every call of `library` under both and asserts the results agree,
/// reporting every call that does not (not only the first).
fn gives_cpythons_results(library: &str) {
    let package = libraries_dir().join(library);
    let data = tempfile::tempdir();
    assert!(data.is_ok(), "temporary data dir: {data:?}");
    let Ok(data) = data else { return };
    let calls = calls(&package);
    let mut failures = Vec::new();
    // A failure every call shares (an import at load) is shown once.
    let mut seen: Vec<(String, String)> = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        let label = format!("{library} call #{i} `{}`", call.action);
        let expected = match cpython(&package, call) {
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
                differences("$", &expected, &actual, &mut diffs);
                let more = diffs.len().saturating_sub(MAX_DIFFERENCES);
                diffs.truncate(MAX_DIFFERENCES);
                let mut text = format!(
                    "{label}: Morph's result differs from CPython's at {} path(s):\n  {}",
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
        "{} of {} calls of the vendored `{library}` do not give CPython's result under \
         `morph run`:\n\n{}\n",
        failures.len(),
        calls.len(),
        failures.join("\n\n")
    );
}

/// Appends a line per place where `actual` differs from `expected`, by JSON
/// path, with both values (long strings shown around their first difference).
fn differences(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let keys: BTreeSet<&String> = e.keys().chain(a.keys()).collect();
            for key in keys {
                let here = format!("{path}.{key}");
                match (e.get(key), a.get(key)) {
                    (Some(ev), Some(av)) => differences(&here, ev, av, out),
                    (Some(ev), None) => {
                        out.push(format!("{here}: missing under Morph (CPython: {ev})"))
                    }
                    (None, Some(av)) => out.push(format!("{here}: only under Morph ({av})")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!(
                    "{path}: {} items under CPython, {} under Morph",
                    e.len(),
                    a.len()
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                differences(&format!("{path}[{i}]"), ev, av, out);
            }
        }
        (Value::String(e), Value::String(a)) if e != a => {
            out.push(format!("{path}: {}", string_difference(e, a)))
        }
        _ if expected != actual => out.push(format!("{path}: CPython {expected}, Morph {actual}")),
        _ => {}
    }
}

/// Two strings that differ, shown around the first character that does.
fn string_difference(expected: &str, actual: &str) -> String {
    const CONTEXT: usize = 60;
    let e: Vec<char> = expected.chars().collect();
    let a: Vec<char> = actual.chars().collect();
    let at = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let start = at.saturating_sub(CONTEXT);
    let window = |s: &[char]| -> String {
        let end = (at + CONTEXT).min(s.len());
        let mut shown: String = s[start.min(s.len())..end].iter().collect();
        if start > 0 {
            shown.insert(0, '…');
        }
        if end < s.len() {
            shown.push('…');
        }
        format!("{shown:?}")
    };
    format!(
        "strings differ at char {at} (lengths {} and {}):\n      CPython {}\n      Morph   {}",
        e.len(),
        a.len(),
        window(&e),
        window(&a)
    )
}

/// Every package directory is tested (and every tested library has one),
/// holds a manifest, an entry, its calls and a license, and vendors source
/// only: no native code, bytecode or caches.
#[test]
fn every_vendored_package_is_tested_and_holds_only_source() {
    let root = libraries_dir();
    let entries = std::fs::read_dir(&root);
    assert!(entries.is_ok(), "{}: {entries:?}", root.display());
    let mut found = BTreeSet::new();
    for entry in entries.into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            found.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
    let listed: BTreeSet<String> = LIBRARIES.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(
        found,
        listed,
        "the packages in {} and the libraries tested here must match",
        root.display()
    );
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
