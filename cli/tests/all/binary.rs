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
runtime: python
entry: main.py
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
        pkg.join("main.py"),
        "def execute(action, params):\n    return 'pong'\n",
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
