//! `morph new` makes a project that runs: `--lang rust` builds to wasm,
//! validates and runs; `--lang js|ts|python` run as they are, their entry
//! importing a second module, with the host API's types beside them.

use std::process::Command;

use serde_json::Value;

fn morph() -> Command {
    Command::new(env!("CARGO_BIN_EXE_morph"))
}

#[test]
fn the_rust_template_builds_to_wasm_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("hello-ext");
    let out = morph()
        .args(["new", "--lang", "rust", "--json"])
        .arg(&project)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "manifest.yaml")
    );

    // Build it the way its README says, sharing the guests' target dir so
    // serde is not compiled again for wasm32.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("target"))
        .join("guests");
    let build = Command::new(project.join("build.sh"))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    assert!(project.join("extension.wasm").is_file());

    let out = morph().arg("validate").arg(&project).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = morph()
        .arg("run")
        .arg(&project)
        .args([
            "greet",
            "--json",
            "--params",
            r#"{"name":"Ada"}"#,
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(env["result"]["greeting"], "Hello, Ada!");
    assert_eq!(env["audit"][0]["capability"], "log");
}

#[test]
fn new_refuses_bad_names_and_existing_projects() {
    let dir = tempfile::tempdir().unwrap();
    let out = morph()
        .args(["new", "--lang", "rust", "--json"])
        .arg(dir.path().join("Bad_Name"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let env: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(env["error"]["code"], "invalid_params");

    let taken = dir.path().join("taken");
    std::fs::create_dir_all(&taken).unwrap();
    std::fs::write(taken.join("keep.txt"), "mine").unwrap();
    let out = morph()
        .args(["new", "--lang", "rust"])
        .arg(&taken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(taken.join("keep.txt")).unwrap(),
        "mine"
    );
}

/// `morph new --lang LANG` then `morph run . greet` with nothing in between;
/// the project holds `files`.
fn template_runs_as_it_is(lang: &str, files: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join(format!("hello-{lang}"));
    let out = morph()
        .args(["new", "--lang", lang])
        .arg(&project)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in files {
        assert!(project.join(file).is_file(), "{file} is missing");
    }
    let run = morph()
        .args(["run"])
        .arg(&project)
        .args([
            "greet",
            "--params",
            r#"{"name":"Ada"}"#,
            "--json",
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    let doc: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(doc["result"]["greeting"], "Hello, Ada!", "{doc}");
}

#[test]
fn the_js_template_runs_as_it_is() {
    template_runs_as_it_is("js", &["index.js", "greeting.js", "morph.d.ts"]);
}

#[test]
fn the_ts_template_runs_as_it_is() {
    template_runs_as_it_is("ts", &["main.ts", "greeting.ts", "morph.d.ts"]);
}

#[test]
fn the_python_template_runs_as_it_is() {
    template_runs_as_it_is("python", &["main.py", "greeting.py", "morph.pyi"]);
}
