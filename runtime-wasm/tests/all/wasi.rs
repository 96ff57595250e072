//! `wasm32-wasip1` guests (ABI.md, "WASI preview 1"): the Rust standard
//! library's WASI parts work on both engines, every one of them through the
//! broker or refused; ABI version 2's raw results; version 1 modules still
//! run.

use morph_runtime_core::Isolation;
use morph_runtime_core::capabilities::audit::Decision;
use serde_json::json;

use crate::on_every_engine;
use crate::support::{Loaded, WAT_BUMP_ALLOCATOR, built_guest, load_module};

on_every_engine!(
    stdout_and_stderr_become_audited_log_records,
    output_counts_in_max_output_kb,
    clocks_and_random_seeds_come_from_the_host,
    files_fail_with_an_ordinary_error,
    exit_ends_the_call_with_a_guest_error,
    version_two_returns_text_and_json_text_unwrapped,
    a_version_one_module_still_runs,
    a_version_mismatch_is_refused_at_load,
);

/// The WASI guest, built by `scripts/build-guests.sh`.
fn wasi_guest() -> Vec<u8> {
    built_guest("wasi-guest/morph_wasi_guest.wasm")
}

const ACTIONS: &str = include_str!("../wasi-guest/actions.yaml");

async fn wasi(engine: &str, limits: &str) -> Loaded {
    load_module(engine, &wasi_guest(), ACTIONS, limits, None)
        .await
        .unwrap()
}

async fn stdout_and_stderr_become_audited_log_records(engine: &str) {
    for isolation in [None, Some(Isolation::Pooled)] {
        let g = load_module(engine, &wasi_guest(), ACTIONS, "", isolation)
            .await
            .unwrap();
        for _ in 0..2 {
            let run = g.host.execute_traced(&g.id, "stdio", json!({})).await;
            assert_eq!(run.result.unwrap(), json!({"printed": 3}), "{engine}");
            let logs: Vec<(String, String)> = run
                .logs
                .iter()
                .map(|l| (l.level.clone(), l.message.clone()))
                .collect();
            assert_eq!(
                logs,
                [
                    ("info".to_owned(), "hello from stdout".to_owned()),
                    ("warn".to_owned(), "a warning on stderr".to_owned()),
                    ("info".to_owned(), "no newline at the end".to_owned()),
                ],
                "{engine} {isolation:?}: a partial line is logged when the call ends, never in the next one"
            );
            let logged: Vec<_> = run
                .audit
                .iter()
                .filter(|r| r.entry.capability == "log")
                .collect();
            assert_eq!(
                logged.len(),
                3,
                "{engine}: every line is a brokered, audited call"
            );
            assert!(logged.iter().all(|r| r.entry.decision == Decision::Allowed));
        }
    }
}

async fn output_counts_in_max_output_kb(engine: &str) {
    let g = wasi(engine, "resource_limits:\n  max_output_kb: 8\n").await;
    // Lines longer than 4 KiB are cut into 4 KiB records.
    let run = g
        .host
        .execute_traced(&g.id, "lines", json!({"count": 1, "width": 5000}))
        .await;
    run.result.unwrap();
    let sizes: Vec<usize> = run.logs.iter().map(|l| l.message.len()).collect();
    assert_eq!(sizes, [4096, 904], "{engine}");
    let e = g
        .host
        .execute(&g.id, "lines", json!({"count": 100, "width": 200}))
        .await
        .unwrap_err();
    assert_eq!(e.code().as_str(), "output_too_large", "{engine}: {e}");
    // The instance is discarded, the extension keeps serving.
    let out = g
        .host
        .execute(&g.id, "lines", json!({"count": 1, "width": 1}))
        .await;
    assert_eq!(out.unwrap(), json!({"printed": 1}));
}

async fn clocks_and_random_seeds_come_from_the_host(engine: &str) {
    let g = wasi(engine, "").await;
    let clock = g.host.execute(&g.id, "clock", json!({})).await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let guest_now = clock["unix_secs"].as_u64().unwrap();
    assert!(guest_now.abs_diff(now) < 60, "{engine}: {clock}");
    assert_eq!(clock["monotonic_ok"], true);
    let first = g.host.execute(&g.id, "hashmap", json!({})).await.unwrap();
    let second = g.host.execute(&g.id, "hashmap", json!({})).await.unwrap();
    assert_eq!(
        first["entries"],
        json!([["alpha", 0], ["beta", 1], ["gamma", 2]]),
        "{engine}"
    );
    assert_ne!(
        first["hash"], second["hash"],
        "{engine}: two fresh instances draw different random seeds"
    );
}

async fn files_fail_with_an_ordinary_error(engine: &str) {
    let g = wasi(engine, "").await;
    for path in ["/etc/passwd", "relative.txt", "/"] {
        let out = g
            .host
            .execute(&g.id, "read_file", json!({"path": path}))
            .await
            .unwrap();
        let error = out["error"].as_str().unwrap();
        // No directory is preopened: std answers with an ordinary I/O
        // error (wasi-libc finds no descriptor to resolve the path under).
        assert!(
            error.contains("os error") || error.contains("pre-opened"),
            "{engine} {path}: {error}"
        );
    }
}

async fn exit_ends_the_call_with_a_guest_error(engine: &str) {
    let g = wasi(engine, "").await;
    for (code, message) in [
        (0, "the guest exited without a result"),
        (3, "the guest exited with status 3"),
    ] {
        let e = g
            .host
            .execute(&g.id, "exit", json!({"code": code}))
            .await
            .unwrap_err();
        assert_eq!(e.code().as_str(), "guest_error", "{engine}: {e}");
        assert!(e.to_string().contains(message), "{engine}: {e}");
    }
    let clock = g.host.execute(&g.id, "clock", json!({})).await;
    assert!(clock.is_ok(), "{engine}: the extension still serves");
}

async fn version_two_returns_text_and_json_text_unwrapped(engine: &str) {
    let g = wasi(engine, "").await;
    let text = "quotes \" and \\ and ✓, unescaped by the guest";
    let out = g
        .host
        .execute(&g.id, "text", json!({"text": text}))
        .await
        .unwrap();
    assert_eq!(out, json!(text));
    let params = json!({"nested": [1, {"two": null}], "s": "é"});
    let out = g.host.execute(&g.id, "raw", params.clone()).await.unwrap();
    assert_eq!(
        out, params,
        "{engine}: the params arrive as the host's JSON text"
    );
}

/// A version 1 module written by hand: `morph_execute(ptr, len)` echoes the
/// `{"action", "params"}` input inside an `{"ok": ...}` envelope.
const VERSION_ONE: &str = r#"(module
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"ok\":")
  (func (export "morph_abi_version") (result i32) (i32.const 1))
  ALLOCATOR
  (func (export "morph_execute") (param $ptr i32) (param $len i32) (result i64)
    (local $out i32)
    (local.set $out (call $alloc (i32.add (local.get $len) (i32.const 7))))
    (memory.copy (local.get $out) (i32.const 0) (i32.const 6))
    (memory.copy (i32.add (local.get $out) (i32.const 6)) (local.get $ptr) (local.get $len))
    (i32.store8 (i32.add (local.get $out) (i32.add (local.get $len) (i32.const 6))) (i32.const 125))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
      (i64.extend_i32_u (i32.add (local.get $len) (i32.const 7))))))"#;

const ECHO_ACTION: &str =
    "actions:\n  - {name: echo, description: Echoes, parameters: [{name: x, type: any}]}\n";

async fn a_version_one_module_still_runs(engine: &str) {
    let wasm = wat::parse_str(VERSION_ONE.replace("ALLOCATOR", WAT_BUMP_ALLOCATOR)).unwrap();
    let g = load_module(engine, &wasm, ECHO_ACTION, "", None)
        .await
        .unwrap();
    let out = g.host.execute(&g.id, "echo", json!({"x": [1, 2]})).await;
    assert_eq!(
        out.unwrap(),
        json!({"action": "echo", "params": {"x": [1, 2]}}),
        "{engine}: version 1 gets the JSON envelope as input"
    );
}

async fn a_version_mismatch_is_refused_at_load(engine: &str) {
    // A version 1 signature claiming version 2, and a version 3.
    for claimed in ["2", "3"] {
        let wat = VERSION_ONE
            .replace("ALLOCATOR", WAT_BUMP_ALLOCATOR)
            .replace(
                "(result i32) (i32.const 1))",
                &format!("(result i32) (i32.const {claimed}))"),
            );
        let wasm = wat::parse_str(&wat).unwrap();
        let e = load_module(engine, &wasm, ECHO_ACTION, "", None)
            .await
            .err()
            .expect("a mismatched version loads");
        assert_eq!(e.code().as_str(), "invalid_package", "{engine}: {e}");
        assert!(e.to_string().contains("morph_abi_version"), "{e}");
    }
}
