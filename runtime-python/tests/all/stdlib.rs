//! The standard-library tour (issue 28): `tests/guest/stdlib` touches every
//! module Morph promises to Python authors, and its `tour` action must return,
//! module by module, exactly what the same program returns under CPython
//! (`morph_testkit::cpython_reference` runs it there). `python3` is required: a
//! machine without it fails this test rather than skipping it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// Where the guests live.
fn guests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guest")
}

/// `python3` with the environment cleared but for the clock zone, the hash
/// seed and `PATH` (to find it): the reference runs as `-I` would run it,
/// except that `PYTHONHASHSEED` holds.
fn python3() -> Command {
    let mut cmd = Command::new("python3");
    cmd.env_clear().env("TZ", "UTC").env("PYTHONHASHSEED", "0");
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

/// `python3`'s version, for the failure messages.
fn cpython_version() -> String {
    let out = python3()
        .args(["-c", "import sys; print(sys.version.split()[0])"])
        .output()
        .unwrap_or_else(|e| panic!("python3 (CPython 3, the reference) must be on PATH: {e}"));
    assert!(out.status.success(), "python3 -c failed: {}", out.status);
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// What `action` of the package in `pkg` returns under CPython.
fn cpython(pkg: &Path, action: &str, params: &Value) -> Value {
    let out = python3()
        .arg(morph_testkit::cpython_reference())
        .arg(pkg)
        .arg(action)
        .arg(params.to_string())
        .output()
        .unwrap_or_else(|e| panic!("python3 (CPython 3, the reference) must be on PATH: {e}"));
    assert!(
        out.status.success(),
        "CPython run of {action} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "reference.py printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The message of a section that raised (`{"error": "Type: message"}`).
fn section_error(v: &Value) -> Option<&str> {
    match v.as_object() {
        Some(o) if o.len() == 1 => o.get("error").and_then(Value::as_str),
        _ => None,
    }
}

/// `v` as one line of JSON, cut at `max` characters.
fn show(v: Option<&Value>, max: usize) -> String {
    let Some(v) = v else {
        return "(missing)".to_owned();
    };
    let text = v.to_string();
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}… ({} chars)", &text[..cut], text.chars().count()),
        None => text,
    }
}

/// How section `name` differs: the error Morph raised, or every differing
/// part with both values.
fn describe(name: &str, morph: Option<&Value>, cpython: Option<&Value>) -> String {
    if let Some(error) = morph.and_then(section_error) {
        return format!("{name}: raises under Morph: {error}");
    }
    let (Some(Value::Object(m)), Some(Value::Object(c))) = (morph, cpython) else {
        return format!(
            "{name}:\n    morph:   {}\n    cpython: {}",
            show(morph, 1500),
            show(cpython, 1500)
        );
    };
    let keys: BTreeSet<&String> = m.keys().chain(c.keys()).collect();
    let mut lines = vec![format!("{name}:")];
    for key in keys {
        let (a, b) = (m.get(key), c.get(key));
        if a != b {
            lines.push(format!(
                "  {key}:\n    morph:   {}\n    cpython: {}",
                show(a, 1500),
                show(b, 1500)
            ));
        }
    }
    lines.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stdlib_tour_matches_cpython_module_by_module() {
    let t = crate::support::host(None);
    let pkg = t.dir.path().join("stdlib-tour");
    std::fs::create_dir_all(&pkg).unwrap();
    for file in ["main.py", "manifest.yaml"] {
        std::fs::copy(guests().join("stdlib").join(file), pkg.join(file)).unwrap();
    }

    let version = cpython_version();
    let reference = cpython(&pkg, "tour", &json!({}));
    let reference = reference.as_object().expect("the tour returns an object");
    let broken: Vec<String> = reference
        .iter()
        .filter_map(|(name, v)| section_error(v).map(|e| format!("{name}: {e}")))
        .collect();
    assert!(
        broken.is_empty(),
        "the tour itself fails under CPython {version}, fix tests/guest/stdlib/main.py:\n{}",
        broken.join("\n")
    );

    let id = t.host.load(&pkg, json!({})).await.unwrap();
    let morph = t.run(&id, "tour", json!({})).await.unwrap_or_else(|e| {
        panic!(
            "the tour call failed under Morph ({}): {e}",
            e.code().as_str()
        )
    });
    let morph = morph.as_object().expect("the tour returns an object");

    let names: BTreeSet<&String> = reference.keys().chain(morph.keys()).collect();
    let differing: Vec<String> = names
        .iter()
        .filter(|name| morph.get(name.as_str()) != reference.get(name.as_str()))
        .map(|name| describe(name, morph.get(name.as_str()), reference.get(name.as_str())))
        .collect();
    assert!(
        differing.is_empty(),
        "{} of {} modules differ between Morph and CPython {version}:\n\n{}",
        differing.len(),
        names.len(),
        differing.join("\n\n")
    );
}
