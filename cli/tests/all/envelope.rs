//! `morph run --json` through `morph_cli::run` with the test runtime linked
//! into this test binary (registered by `register_runtime!`).

use serde_json::{Value, json};

use crate::test_runtime::{manifest, package};

struct Outcome {
    code: u8,
    stdout: String,
    stderr: String,
}

fn morph(args: &[&str]) -> Outcome {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["morph"];
    argv.extend_from_slice(args);
    let code = morph_cli::run(argv, &mut out, &mut err);
    Outcome {
        code,
        stdout: String::from_utf8(out).unwrap(),
        stderr: String::from_utf8(err).unwrap(),
    }
}

fn envelope(o: &Outcome) -> Value {
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", o.stdout))
}

fn fixture(permissions: &[&str]) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    package(&pkg, &manifest("cli-test", permissions, ""));
    let data = dir.path().join("data");
    (
        dir,
        pkg.to_string_lossy().into_owned(),
        data.to_string_lossy().into_owned(),
    )
}

#[test]
fn success_envelope_carries_result_and_audit() {
    let (_d, pkg, data) = fixture(&["vault:write"]);
    let o = morph(&[
        "run",
        &pkg,
        "call",
        "--json",
        "--data-dir",
        &data,
        "--params",
        r#"{"capability":"vault.set","request":{"key":"k","value":"v"}}"#,
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let env = envelope(&o);
    assert_eq!(env["ok"], json!(true));
    assert_eq!(env["result"], Value::Null);
    let audit = env["audit"].as_array().unwrap();
    assert_eq!(audit.len(), 2, "an intent, then the outcome");
    assert_eq!(
        (&audit[0]["capability"], &audit[0]["phase"]),
        (&json!("vault.set"), &json!("intent"))
    );
    assert_eq!(audit[1]["capability"], "vault.set");
    assert_eq!(audit[1]["decision"], "allowed");
    assert_eq!(audit[1]["intent_seq"], audit[0]["seq"]);
    assert!(o.stderr.contains("unsigned development package"));
}

#[test]
fn plain_mode_prints_the_result_json() {
    let (_d, pkg, data) = fixture(&[]);
    let o = morph(&[
        "run",
        &pkg,
        "echo",
        "--data-dir",
        &data,
        "--params",
        r#"{"text":"hi"}"#,
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v, json!({"text": "hi", "times": 1}));
}

#[test]
fn a_denied_capability_is_exit_1_with_its_code_and_audit() {
    let (_d, pkg, data) = fixture(&[]);
    let o = morph(&[
        "run",
        &pkg,
        "call",
        "--json",
        "--data-dir",
        &data,
        "--params",
        r#"{"capability":"vault.get","request":{"key":"k"}}"#,
    ]);
    assert_eq!(o.code, 1);
    let env = envelope(&o);
    assert_eq!(env["ok"], json!(false));
    assert_eq!(env["error"]["code"], "permission_denied");
    assert_eq!(env["audit"][0]["decision"], "denied");
}

#[test]
fn guest_errors_are_exit_1_and_usage_errors_exit_2() {
    let (_d, pkg, data) = fixture(&[]);
    let o = morph(&["run", &pkg, "fail", "--json", "--data-dir", &data]);
    assert_eq!(o.code, 1);
    assert_eq!(envelope(&o)["error"]["code"], "guest_error");

    let o = morph(&["run", &pkg, "nope", "--json", "--data-dir", &data]);
    assert_eq!(o.code, 2);
    assert_eq!(envelope(&o)["error"]["code"], "unknown_action");

    let o = morph(&[
        "run",
        &pkg,
        "echo",
        "--json",
        "--data-dir",
        &data,
        "--params",
        "{not json",
    ]);
    assert_eq!(o.code, 2);
    assert_eq!(envelope(&o)["error"]["code"], "invalid_params");

    let o = morph(&["run", &pkg, "echo", "--data-dir", &data]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("error[invalid_params]"), "{}", o.stderr);
}

#[test]
fn usage_errors_still_print_one_envelope_with_json() {
    let (_d, pkg, _data) = fixture(&[]);
    let o = morph(&["run", &pkg, "echo", "--json", "--engine", "bogus"]);
    assert_eq!(o.code, 2);
    let env = envelope(&o);
    assert_eq!(env["ok"], json!(false));
    assert_eq!(env["error"]["code"], "invalid_params");
    assert!(env["error"]["message"].as_str().unwrap().contains("bogus"));
    assert_eq!(env["audit"], json!([]));
}

#[test]
fn the_audit_log_of_a_run_verifies_and_tampering_is_named() {
    let (_d, pkg, data) = fixture(&["vault:write"]);
    for i in 0..3 {
        let params =
            format!(r#"{{"capability":"vault.set","request":{{"key":"k{i}","value":"v"}}}}"#);
        let o = morph(&[
            "run",
            &pkg,
            "call",
            "--data-dir",
            &data,
            "--params",
            &params,
        ]);
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    let o = morph(&["audit", "--verify", "--json", "--data-dir", &data]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    // Three writes, each an intent and an outcome.
    assert_eq!(envelope(&o)["records"], json!(6));

    let log = std::path::Path::new(&data).join("audit/audit.log");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("\"ok\"", "\"denied\"", 1)).unwrap();
    let o = morph(&["audit", "--verify", "--json", "--data-dir", &data]);
    assert_eq!(o.code, 1);
    let report = envelope(&o);
    assert_eq!(report["problem"]["kind"], "bad_hash", "{report}");
    // The first `"ok"` is the outcome of the first write (seq 2, after its
    // intent).
    assert_eq!(report["problem"]["seq"], json!(2));
}

#[test]
fn a_log_rewritten_under_a_new_key_fails_against_the_pinned_key() {
    let (_d, pkg, data) = fixture(&["vault:write"]);
    let set = r#"{"capability":"vault.set","request":{"key":"k","value":"v"}}"#;
    assert_eq!(
        morph(&["run", &pkg, "call", "--data-dir", &data, "--params", set]).code,
        0
    );
    let pinned = morph(&["audit", "--public-key", "--data-dir", &data]);
    assert_eq!(pinned.code, 0);
    let pinned = pinned.stdout.trim().to_owned();
    assert_eq!(pinned.len(), 64);

    // An attacker (the data dir's owner) deletes the audit dir and its key
    // and lets the host start a new chain under a new key: it verifies on
    // its own, but not against the pinned key.
    let audit_dir = std::path::Path::new(&data).join("audit");
    let key = morph_capabilities::audit::signing_key_path(&audit_dir).unwrap();
    std::fs::remove_file(key).unwrap();
    std::fs::remove_dir_all(&audit_dir).unwrap();
    assert_eq!(
        morph(&["run", &pkg, "call", "--data-dir", &data, "--params", set]).code,
        0
    );
    assert_eq!(morph(&["audit", "--verify", "--data-dir", &data]).code, 0);
    let o = morph(&[
        "audit",
        "--verify",
        "--json",
        "--key",
        &pinned,
        "--data-dir",
        &data,
    ]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert_eq!(envelope(&o)["problem"]["kind"], "bad_signature");
}
