//! `morph package --optimize` through the real `morph` binary: binaryen's
//! `wasm-opt -Oz` shrinks the github-issues example's module on its way into
//! the archive (the directory untouched), the sizes and the SDK's name are
//! printed, the `morph_sdk` section survives, and the archive still runs on
//! both engines; a missing or failing wasm-opt, a module Morph refuses and a
//! package of another runtime are each a clear error with a stable code.
//!
//! These tests need `wasm-opt` (Debian's binaryen, installed by
//! `scripts/wasm-toolchain.sh`; `MORPH_WASM_OPT` names another binary) and
//! fail, saying so, without it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use morph_package::sdk_name::SDK_SECTION;
use morph_package::{Limits, SealedPackage, sdk_name};
use morph_testkit::{PackageSpec, Reply, TestServer};
use serde_json::{Value, json};

/// The name the tests give a module whose build did not name its SDK.
const TEST_SDK: &str = "morph-sdk-test/0.0.1";

fn morph() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_morph"));
    cmd.stdin(Stdio::null());
    cmd.env_remove("MORPH_DATA_DIR")
        .env_remove("MORPH_TRUST_DIR");
    cmd
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Fails the test, saying what to install, when no `wasm-opt` runs.
fn require_wasm_opt() {
    let program = std::env::var_os("MORPH_WASM_OPT")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "wasm-opt".into());
    let ran = Command::new(&program).arg("--version").output();
    assert!(
        ran.as_ref().is_ok_and(|o| o.status.success()),
        "`{}` does not run ({ran:?}): these tests need binaryen's wasm-opt; \
         run scripts/wasm-toolchain.sh (or set MORPH_WASM_OPT)",
        program.to_string_lossy()
    );
}

/// `wasm` with a custom section `name` holding `data` appended.
fn with_custom_section(mut wasm: Vec<u8>, name: &str, data: &[u8]) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let mut body = Vec::new();
    leb(name.len(), &mut body);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    wasm.push(0);
    leb(body.len(), &mut wasm);
    wasm.extend_from_slice(&body);
    wasm
}

/// A copy of examples/github-issues whose manifest allows `host` and whose
/// module names its SDK; returns the directory, the module's bytes and the
/// SDK's name.
fn github_issues(dir: &Path, host: &str) -> (PathBuf, Vec<u8>, String) {
    let example = repo().join("examples/github-issues");
    let wasm = std::fs::read(example.join("extension.wasm"))
        .expect("build the guests first: scripts/build-guests.sh");
    let (wasm, sdk) = match sdk_name(&wasm) {
        Some(sdk) => (wasm, sdk),
        None => (
            with_custom_section(wasm, SDK_SECTION, TEST_SDK.as_bytes()),
            TEST_SDK.to_owned(),
        ),
    };
    let copy = dir.join("github-issues");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::write(copy.join("extension.wasm"), &wasm).unwrap();
    let manifest = std::fs::read_to_string(example.join("manifest.yaml"))
        .unwrap()
        .replace("  - api.github.com", &format!("  - \"{host}\""));
    std::fs::write(copy.join("manifest.yaml"), manifest).unwrap();
    (copy, wasm, sdk)
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `morph args --json`, returns (exit code, envelope).
fn json(cmd: &mut Command) -> (i32, Value) {
    let out = cmd.arg("--json").output().unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        let (stdout, stderr) = text(&out);
        panic!("not one JSON envelope ({e}): stdout {stdout} stderr {stderr}")
    });
    (out.status.code().unwrap(), doc)
}

#[test]
fn optimize_shrinks_the_module_keeps_the_sdk_name_and_the_archive_still_runs() {
    require_wasm_opt();
    let server = TestServer::start(|seen| {
        if seen.path == "/repos/acme/widgets/issues/7" {
            Reply::json(
                200,
                &json!({"number": 7, "title": "Flaky build", "state": "open", "body": "Tuesdays"}),
            )
        } else {
            Reply::json(404, &json!({"message": "Not Found"}))
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let (dir, source, sdk) = github_issues(tmp.path(), &server.host());

    // The human form: the sizes line, the SDK, then what was packaged.
    let file = tmp.path().join("github-issues.morph");
    let out = morph()
        .args(["package", s(&dir), "-o", s(&file), "--optimize"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let module = SealedPackage::open(&file, &Limits::default())
        .unwrap()
        .files()["extension.wasm"]
        .clone();
    let (before, after) = (source.len(), module.len());
    assert!(after < before, "{after} bytes is not smaller than {before}");
    let change = (after as f64 - before as f64) * 100.0 / before as f64;
    let sizes = format!("extension.wasm: {before} -> {after} bytes ({change:+.1}%)\n");
    assert!(stdout.starts_with(&sizes), "{stdout}");
    assert!(stdout.contains(&format!("\nsdk: {sdk}\n")), "{stdout}");
    assert!(stdout.contains("packaged github-issues 0.1.0"), "{stdout}");
    println!("{}", sizes.trim_end());

    // The directory is untouched; the section survived, and Morph accepts
    // the module.
    assert_eq!(std::fs::read(dir.join("extension.wasm")).unwrap(), source);
    assert_eq!(sdk_name(&module), Some(sdk.clone()));

    // The JSON form says the same, and wasm-opt is deterministic: the same
    // archive again.
    let again = tmp.path().join("again.morph");
    let (code, doc) = json(morph().args(["package", s(&dir), "-o", s(&again), "--optimize"]));
    assert_eq!(code, 0, "{doc}");
    let result = &doc["result"];
    assert_eq!(
        result["optimized"],
        json!({"module": "extension.wasm", "before": before, "after": after})
    );
    assert_eq!(result["sdk"], sdk);
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&file).unwrap()
    );

    // `morph inspect` shows the SDK too.
    let out = morph().args(["inspect", s(&dir)]).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains(&format!("  sdk:     {sdk}\n")), "{stdout}");
    let (_, doc) = json(morph().args(["inspect", s(&dir)]));
    assert_eq!(doc["sdk"], sdk);

    // The optimized archive runs on both engines.
    let config = json!({"api_base": server.url("")}).to_string();
    for engine in ["wasmer", "wasmi"] {
        let data = tmp.path().join(format!("data-{engine}"));
        let (code, doc) = json(morph().args([
            "run",
            s(&file),
            "get_issue",
            "--params",
            r#"{"repo":"acme/widgets","number":7}"#,
            "--config",
            &config,
            "--engine",
            engine,
            "--allow-unsigned",
            "--data-dir",
            s(&data),
        ]));
        assert_eq!(code, 0, "{engine}: {doc}");
        assert_eq!(
            doc["result"],
            json!({"number": 7, "title": "Flaky build", "state": "open", "body": "Tuesdays"}),
            "{engine}"
        );
    }
}

#[test]
fn without_optimize_the_module_is_archived_as_is_and_its_sdk_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, source, sdk) = github_issues(tmp.path(), "127.0.0.1:9");
    let file = tmp.path().join("plain.morph");
    let (code, doc) = json(morph().args(["package", s(&dir), "-o", s(&file)]));
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["result"]["optimized"], Value::Null);
    assert_eq!(doc["result"]["sdk"], sdk);
    let archived = SealedPackage::open(&file, &Limits::default()).unwrap();
    assert_eq!(archived.files()["extension.wasm"], source);
}

#[test]
fn a_missing_wasm_opt_is_a_clear_io_error_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _, _) = github_issues(tmp.path(), "127.0.0.1:9");
    let file = tmp.path().join("never.morph");
    let args = ["package", s(&dir), "-o", s(&file), "--optimize"];

    let (code, doc) = json(morph().args(args).env("MORPH_WASM_OPT", "/nonexistent"));
    assert_eq!(code, 2, "{doc}");
    assert_eq!(doc["error"]["code"], "io", "{doc}");
    let message = doc["error"]["message"].as_str().unwrap();
    for needle in ["/nonexistent", "MORPH_WASM_OPT", "binaryen", "--optimize"] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    assert!(!file.exists());

    let out = morph()
        .args(args)
        .env("MORPH_WASM_OPT", "/nonexistent")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stderr.starts_with("error[io]: "), "{stderr}");
    assert!(!file.exists());
}

#[test]
fn a_failing_wasm_opt_is_internal_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _, _) = github_issues(tmp.path(), "127.0.0.1:9");
    let file = tmp.path().join("never.morph");
    let (code, doc) = json(
        morph()
            .args(["package", s(&dir), "-o", s(&file), "--optimize"])
            .env("MORPH_WASM_OPT", "false"),
    );
    assert_eq!(code, 2, "{doc}");
    assert_eq!(doc["error"]["code"], "internal", "{doc}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`false` failed on extension.wasm")
            && message.contains("without --optimize"),
        "{message}"
    );
    assert!(!file.exists());
}

#[test]
fn a_module_morph_refuses_is_invalid_package_before_wasm_opt_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PackageSpec::new(
        "not-wasm",
        "wasm",
        "extension.wasm",
        b"\0asm\x01\0\0\0\x7f".to_vec(),
        "actions:\n  - {name: ping, description: Answers}\n",
    )
    .write(tmp.path());
    let (code, doc) = json(
        morph()
            .args(["package", s(&dir), "--optimize", "-o"])
            .arg(tmp.path().join("never.morph"))
            // Never reached: the module is checked first.
            .env("MORPH_WASM_OPT", "/nonexistent"),
    );
    assert_eq!(code, 2, "{doc}");
    assert_eq!(doc["error"]["code"], "invalid_package", "{doc}");
}

#[test]
fn optimize_on_a_package_of_another_runtime_is_invalid_params() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = PackageSpec::new(
        "plain-js",
        "js",
        "index.js",
        "export function execute() { return 1; }\n",
        "actions:\n  - {name: ping, description: Answers}\n",
    )
    .write(tmp.path());
    let file = tmp.path().join("never.morph");
    let (code, doc) = json(morph().args(["package", s(&dir), "-o", s(&file), "--optimize"]));
    assert_eq!(code, 2, "{doc}");
    assert_eq!(doc["error"]["code"], "invalid_params", "{doc}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`runtime: wasm` packages only") && message.contains("`runtime: js`"),
        "{message}"
    );
    assert!(!file.exists());
    // Without the flag it packages, and there is no SDK to show.
    let (code, doc) = json(morph().args(["package", s(&dir), "-o", s(&file)]));
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["result"]["sdk"], Value::Null);
}
