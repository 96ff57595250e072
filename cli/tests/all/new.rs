//! `morph new` makes a project that runs: `--lang rust` and `--lang c` build
//! to wasm, validate and run; `--lang js|ts|python` run as they are, their
//! entry importing a second module, with the host API's types beside them.
//!
//! The C test needs clang, wasm-ld and wasi-libc (Debian's packages, installed
//! by `scripts/wasm-toolchain.sh`, which `scripts/build-guests.sh` runs) and
//! fails, saying so, without them.

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
    validates_then_greets_and_logs(&project, &dir.path().join("data"));
}

/// `morph validate` passes on the built `project`, and `greet` answers
/// `{"greeting": "Hello, Ada!"}` after one `log` call.
fn validates_then_greets_and_logs(project: &std::path::Path, data: &std::path::Path) {
    let out = morph().arg("validate").arg(project).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = morph()
        .arg("run")
        .arg(project)
        .args([
            "greet",
            "--json",
            "--params",
            r#"{"name":"Ada"}"#,
            "--data-dir",
        ])
        .arg(data)
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
fn the_c_template_builds_to_wasm_and_runs() {
    let clang = Command::new("clang").arg("--version").output();
    assert!(
        clang.as_ref().is_ok_and(|o| o.status.success()),
        "`clang` does not run ({clang:?}): the C template needs clang, wasm-ld and \
         wasi-libc; run scripts/wasm-toolchain.sh"
    );
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("hello-c");
    let out = morph()
        .args(["new", "--lang", "c", "--json"])
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
    for file in [
        "manifest.yaml",
        "extension.c",
        "test.c",
        "build.sh",
        "README.md",
    ] {
        assert!(
            doc["files"].as_array().unwrap().iter().any(|f| f == file),
            "{file} is not listed: {doc}"
        );
    }
    // The project carries the C SDK exactly as sdk/c has it.
    let read = |name: &str| std::fs::read_to_string(project.join(name)).unwrap();
    assert_eq!(read("morph.h"), include_str!("../../../sdk/c/morph.h"));
    assert_eq!(read("morph.c"), include_str!("../../../sdk/c/morph.c"));

    // Its unit tests run natively, the way its README says.
    let test = Command::new(project.join("build.sh"))
        .arg("test")
        .output()
        .unwrap();
    assert!(
        test.status.success() && String::from_utf8_lossy(&test.stdout).contains("tests passed"),
        "{}{}",
        String::from_utf8_lossy(&test.stdout),
        String::from_utf8_lossy(&test.stderr)
    );

    let build = Command::new(project.join("build.sh")).output().unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    // The module names its SDK in the custom section `morph_sdk` (the name's
    // length byte, the name, then the content).
    let wasm = std::fs::read(project.join("extension.wasm")).unwrap();
    let section = b"\x09morph_sdkmorph-sdk-c/";
    assert!(
        wasm.windows(section.len()).any(|w| w == section),
        "no morph_sdk section naming morph-sdk-c"
    );
    validates_then_greets_and_logs(&project, &dir.path().join("data"));
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
