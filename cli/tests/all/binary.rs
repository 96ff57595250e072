//! The real `morph` binary, for behaviour that needs no runtime linked into it.

use std::process::Command;

use serde_json::Value;

fn morph() -> Command {
    Command::new(env!("CARGO_BIN_EXE_morph"))
}

const MANIFEST: &str = r#"extension_id: lonely
version: 0.3.0
metadata:
  name: Lonely
  description: Asks for a runtime this binary does not link
runtime: lua
entry: main.lua
permissions: [http:read, vault:read]
allowed_hosts: ["api.example.com", "*.example.org:8443"]
resource_limits:
  max_execution_ms: 5000
actions:
  - name: ping
    description: Answers pong
    ai_access: execute
"#;

fn package() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("lonely");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("manifest.yaml"), MANIFEST).unwrap();
    std::fs::write(
        pkg.join("main.lua"),
        "function execute(action, params) return 'pong' end\n",
    )
    .unwrap();
    (dir, pkg)
}

#[test]
fn run_with_a_runtime_that_is_not_linked_is_runtime_unavailable_exit_2() {
    let (dir, pkg) = package();
    let out = morph()
        .args(["run", pkg.to_str().unwrap(), "ping", "--json", "--data-dir"])
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let env: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(env["ok"], Value::Bool(false));
    assert_eq!(env["error"]["code"], "runtime_unavailable");
    assert!(env["audit"].as_array().unwrap().is_empty());
}

#[test]
fn validate_accepts_a_good_package_and_refuses_a_bad_manifest() {
    let (_dir, pkg) = package();
    let out = morph()
        .args(["validate", pkg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("lonely 0.3.0"));

    std::fs::write(
        pkg.join("manifest.yaml"),
        MANIFEST.replace("max_execution_ms: 5000", "max_execution_ms: 0"),
    )
    .unwrap();
    let out = morph()
        .args(["validate", "--json", pkg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let env: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(env["error"]["code"], "invalid_manifest");
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("resource_limits.max_execution_ms")
    );
}

#[test]
fn inspect_explains_permissions_hosts_and_limits() {
    let (_dir, pkg) = package();
    let out = morph()
        .args(["inspect", pkg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("http:read"), "{text}");
    assert!(text.contains("GET/HEAD"), "{text}");
    assert!(text.contains("*.example.org:8443"), "{text}");
    assert!(text.contains("not linked"), "{text}");
    assert!(text.contains("max_execution_ms"), "{text}");

    let out = morph()
        .args(["inspect", "--json", pkg.to_str().unwrap()])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let granted: Vec<&str> = doc["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["granted"] == Value::Bool(true))
        .map(|p| p["permission"].as_str().unwrap())
        .collect();
    assert_eq!(granted, vec!["http:read", "vault:read"]);
    assert_eq!(doc["runtime_linked"], Value::Bool(false));
}

#[test]
fn a_missing_package_is_a_clear_exit_2() {
    let out = morph()
        .args(["run", "/definitely/not/here", "ping", "--json"])
        .env("MORPH_DATA_DIR", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let env: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(env["error"]["code"], "invalid_package");
}

/// The repository root (the examples live there).
fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `morph run EXAMPLE ACTION --json --engine ENGINE --params PARAMS
/// --data-dir DATA`, which must succeed: its envelope and its stderr.
fn run_json(
    example: &std::path::Path,
    action: &str,
    engine: &str,
    params: &str,
    data: &std::path::Path,
) -> (Value, String) {
    let out = morph()
        .args(["run", example.to_str().unwrap(), action, "--json"])
        .args(["--engine", engine, "--params", params])
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{engine} {action}: {stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

#[test]
fn run_the_task_digest_example_on_both_engines_with_logs_on_stderr() {
    let example = repo().join("examples/task-digest");
    assert!(
        example.join("extension.wasm").exists(),
        "build the guests first: scripts/build-guests.sh"
    );
    let data = tempfile::tempdir().unwrap();
    for (engine, title) in [("wasmer", "Write the docs"), ("wasmi", "Ship it")] {
        // `add` logs through the broker while the CLI is writing: this once
        // deadlocked on a held stderr lock.
        let params = format!(r#"{{"title":"{title}"}}"#);
        let (env, stderr) = run_json(&example, "add", engine, &params, data.path());
        assert_eq!(env["result"]["title"], title);
        let caps: Vec<&str> = env["audit"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["capability"].as_str().unwrap())
            .collect();
        // The task's intent and its outcome, then the log line.
        assert_eq!(caps, vec!["data.create_task", "data.create_task", "log"]);
        assert_eq!(env["audit"][0]["phase"], "intent");
        assert_eq!(env["audit"][1]["phase"], "outcome");
        assert!(stderr.contains("added task"), "{stderr}");
    }
    let out = morph()
        .args(["run", example.to_str().unwrap(), "digest"])
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["total"], 2);
    let digest = std::fs::read_to_string(data.path().join("files/task-digest/digest.md")).unwrap();
    assert!(digest.contains("Ship it"), "{digest}");

    let out = morph()
        .args(["audit", "--verify"])
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // Two task writes and the digest file (an intent and an outcome each),
    // and three log lines.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("ok: 9 records"), "{text}");
}

#[test]
fn conformance_prints_a_certificate_per_engine() {
    let out = morph()
        .args([
            "conformance",
            "--runtime",
            "wasm",
            "--only",
            "json.",
            "--only",
            "limits.stack",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let certs = doc["result"].as_array().unwrap();
    let engines: Vec<&str> = certs
        .iter()
        .map(|c| c["runtime"]["engine"].as_str().unwrap())
        .collect();
    assert_eq!(engines, ["wasmer", "wasmi"]);
    for c in certs {
        assert_eq!(c["failed"], 0, "{c}");
        assert_eq!(c["passed"], 6, "{c}");
        let stack = c["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == "limits.stack")
            .unwrap();
        assert_eq!(stack["limit"], serde_json::json!(["stack", "hard"]));
    }
}

#[test]
fn conformance_refuses_an_unknown_runtime_with_exit_2() {
    let out = morph()
        .args(["conformance", "--runtime", "cobol", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "invalid_params");
}

/// The C example (`examples/c-hello`, on `sdk/c`, built with Debian's clang
/// and wasi-libc by `scripts/build-guests.sh`) runs through `morph run` on
/// both engines; its `printf` lines arrive as audited `log` records.
#[test]
fn run_the_c_example_on_both_engines() {
    let example = repo().join("examples/c-hello");
    assert!(
        example.join("extension.wasm").exists(),
        "build the guests first: scripts/build-guests.sh"
    );
    for engine in ["wasmer", "wasmi"] {
        let data = tempfile::tempdir().unwrap();
        let run =
            |action: &str, params: &str| run_json(&example, action, engine, params, data.path()).0;
        let hello = run("hello", r#"{"name":"Zoë \"Z\""}"#);
        assert_eq!(
            hello["result"],
            serde_json::json!({"greeting": "Hello, Zoë \"Z\"!"}),
            "{engine}"
        );
        let printed = run("print", r#"{"count":2}"#);
        assert!(printed["result"].is_string(), "{engine}: {printed}");
        let logs: Vec<&str> = printed["audit"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["capability"].as_str().unwrap())
            .collect();
        assert_eq!(logs, ["log", "log", "log"], "{engine}: {printed}");
        let out = morph()
            .args(["audit", "--verify"])
            .arg("--data-dir")
            .arg(data.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{engine}");
    }
}
