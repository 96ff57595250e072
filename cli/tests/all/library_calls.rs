//! The one comparison behind the library suites (`python_libraries`,
//! `js_libraries`): every call of a package's `calls.json` runs under the
//! reference runtime (CPython, Node) and as `morph run <package> <action>
//! --params <json> --json`, and the two results must be the same JSON value;
//! a failure lists where they differ, by JSON path.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// How many differing paths a failure lists per call.
const MAX_DIFFERENCES: usize = 12;

/// One call of a package: an action and its parameters.
pub struct Call {
    /// The action.
    pub action: String,
    /// Its parameters.
    pub params: Value,
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

/// The result `morph run` gives, or its error (code, message, guest stack and what the guest wrote to stderr).
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

/// Asserts that the package directories under `root` are exactly `listed`
/// (every package is tested, every tested library has a package).
pub fn packages_are_exactly(root: &Path, listed: &[String]) {
    let entries = std::fs::read_dir(root);
    assert!(entries.is_ok(), "{}: {entries:?}", root.display());
    let mut found = BTreeSet::new();
    for entry in entries.into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            found.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
    let listed: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(
        found,
        listed,
        "the packages in {} and the libraries tested here must match",
        root.display()
    );
}

/// Runs `cmd`, the reference runtime `name` (the program `program`), and
/// parses the JSON it prints; why it gave none otherwise. The reference is
/// part of the test: a missing program is a failure, not a skip.
pub fn reference_result(name: &str, program: &str, mut cmd: Command) -> Result<Value, String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| {
        format!(
            "cannot run `{program}` ({e}): {name} must be on PATH, it is the reference these \
             tests compare Morph with"
        )
    })?;
    if !out.status.success() {
        return Err(format!(
            "{name} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "{name} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Runs every call of `package` (`library`, described as `kind`) under
/// `run_reference` and under `morph run`, and asserts the results agree,
/// reporting every call that does not (not only the first).
pub fn agree(
    library: &str,
    kind: &str,
    reference: &str,
    package: &Path,
    run_reference: impl Fn(&Call) -> Result<Value, String>,
) {
    let data = tempfile::tempdir();
    assert!(data.is_ok(), "temporary data dir: {data:?}");
    let Ok(data) = data else { return };
    let calls = calls(package);
    let mut failures = Vec::new();
    // A failure every call shares (an import at load) is shown once.
    let mut seen: Vec<(String, String)> = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        let label = format!("{library} call #{i} `{}`", call.action);
        let expected = match run_reference(call) {
            Ok(value) => value,
            Err(why) => {
                failures.push(format!("{label}: no reference result: {why}"));
                continue;
            }
        };
        match morph(package, call, data.path()) {
            Ok(actual) if actual == expected => {}
            Ok(actual) => {
                let mut diffs = Vec::new();
                differences(reference, "$", &expected, &actual, &mut diffs);
                let more = diffs.len().saturating_sub(MAX_DIFFERENCES);
                diffs.truncate(MAX_DIFFERENCES);
                let mut text = format!(
                    "{label}: Morph's result differs from {reference}'s at {} path(s):\n  {}",
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
        "{} of {} calls of the {kind} `{library}` do not give {reference}'s result under \
         `morph run`:\n\n{}\n",
        failures.len(),
        calls.len(),
        failures.join("\n\n")
    );
}

/// Appends a line per place where `actual` (Morph's) differs from `expected`
/// (`reference`'s, e.g. "Node"), by JSON path, with both values (long strings
/// shown around their first difference).
fn differences(
    reference: &str,
    path: &str,
    expected: &Value,
    actual: &Value,
    out: &mut Vec<String>,
) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let keys: BTreeSet<&String> = e.keys().chain(a.keys()).collect();
            for key in keys {
                let here = format!("{path}.{key}");
                match (e.get(key), a.get(key)) {
                    (Some(ev), Some(av)) => differences(reference, &here, ev, av, out),
                    (Some(ev), None) => {
                        out.push(format!("{here}: missing under Morph ({reference}: {ev})"))
                    }
                    (None, Some(av)) => out.push(format!("{here}: only under Morph ({av})")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!(
                    "{path}: {} items under {reference}, {} under Morph",
                    e.len(),
                    a.len()
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                differences(reference, &format!("{path}[{i}]"), ev, av, out);
            }
        }
        (Value::String(e), Value::String(a)) if e != a => {
            out.push(format!("{path}: {}", string_difference(reference, e, a)))
        }
        _ if expected != actual => {
            out.push(format!("{path}: {reference} {expected}, Morph {actual}"))
        }
        _ => {}
    }
}

/// Two strings that differ, shown around the first character that does.
fn string_difference(reference: &str, expected: &str, actual: &str) -> String {
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
        "strings differ at char {at} (lengths {} and {}):\n      {reference:<7} {}\n      Morph   {}",
        e.len(),
        a.len(),
        window(&e),
        window(&a)
    )
}
