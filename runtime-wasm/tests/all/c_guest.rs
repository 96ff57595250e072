//! A hostile C guest on `sdk/c` (`runtime-wasm/tests/c-guest/hostile.c`,
//! built with Debian's clang and wasi-libc by `scripts/build-guests.sh`):
//! writes past its memory, bad pointers to `morph.call` and
//! `morph.response`, WASI from libc, exits, loops, allocation until failure.
//! Each ends in an error code or an ordinary answer on both engines, never
//! a host crash, and the extension keeps serving.

use serde_json::{Value, json};

use crate::on_every_engine;
use crate::support::{Loaded, built_guest, load_module};

on_every_engine!(
    memory_faults_and_bad_pointers_end_in_guest_crash,
    a_bad_response_length_is_an_ordinary_minus_one,
    libc_reaches_wasi_and_wasi_reaches_only_the_broker,
    exit_loops_and_allocation_end_with_their_codes,
);

fn hostile_wasm() -> Vec<u8> {
    built_guest("c-guest/hostile.wasm")
}

const ACTIONS: &str = include_str!("../c-guest/actions.yaml");
const LIMITS: &str = "resource_limits:\n  max_execution_ms: 2000\n  max_memory_mb: 16\n";

async fn hostile(engine: &str) -> Loaded {
    load_module(engine, &hostile_wasm(), ACTIONS, LIMITS, None)
        .await
        .unwrap()
}

impl Loaded {
    async fn code(&self, action: &str) -> String {
        match self.host.execute(&self.id, action, json!({})).await {
            Ok(v) => panic!("{action} answered {v}"),
            Err(e) => format!("{}: {e}", e.code().as_str()),
        }
    }

    async fn still_serves(&self) {
        let v = json!({"value": [1, "two", {"three": null}]});
        let out = self.host.execute(&self.id, "echo", v.clone()).await;
        assert_eq!(out.unwrap(), v);
    }
}

async fn memory_faults_and_bad_pointers_end_in_guest_crash(engine: &str) {
    let g = hostile(engine).await;
    g.still_serves().await;
    for (action, needle) in [
        ("oob_write", "guest_crash"),
        ("bad_call", "out-of-bounds buffer"),
        ("panic", "guest panicked: hostile panic"),
    ] {
        let code = g.code(action).await;
        assert!(code.starts_with("guest_crash"), "{engine} {action}: {code}");
        assert!(code.contains(needle), "{engine} {action}: {code}");
        g.still_serves().await;
    }
}

async fn a_bad_response_length_is_an_ordinary_minus_one(engine: &str) {
    let g = hostile(engine).await;
    let out = g
        .host
        .execute(&g.id, "bad_response", json!({}))
        .await
        .unwrap();
    assert_eq!(out["wrong_len"], -1, "{engine}: {out}");
    assert_eq!(out["right_len"], 0, "{engine}: {out}");
    assert_eq!(out["again"], -1, "{engine}: nothing pending twice: {out}");
}

async fn libc_reaches_wasi_and_wasi_reaches_only_the_broker(engine: &str) {
    let g = hostile(engine).await;
    let run = g.host.execute_traced(&g.id, "printf", json!({})).await;
    assert_eq!(run.result.unwrap(), Value::Null, "{engine}");
    let logs: Vec<(&str, &str)> = run
        .logs
        .iter()
        .map(|l| (l.level.as_str(), l.message.as_str()))
        .collect();
    assert_eq!(
        logs,
        [
            ("info", "hostile stdout 1"),
            ("info", "hostile stdout 2"),
            ("warn", "hostile stderr"),
        ],
        "{engine}"
    );
    let opened = g.host.execute(&g.id, "fopen", json!({})).await.unwrap();
    assert_eq!(opened["opened"], false, "{engine}: {opened}");
    assert!(opened["errno"].as_i64().unwrap() > 0, "{engine}: {opened}");
    let entropy = g
        .host
        .execute(&g.id, "clock_random", json!({}))
        .await
        .unwrap();
    assert_eq!(entropy["time_positive"], true, "{engine}: {entropy}");
    let random = entropy["random"].as_str().unwrap();
    assert_eq!(random.len(), 32, "{engine}: {entropy}");
    let again = g
        .host
        .execute(&g.id, "clock_random", json!({}))
        .await
        .unwrap();
    assert_ne!(again["random"], entropy["random"], "{engine}");
}

async fn exit_loops_and_allocation_end_with_their_codes(engine: &str) {
    let g = hostile(engine).await;
    for (action, expected) in [
        (
            "exit0",
            "guest_error: guest error: the guest exited without a result",
        ),
        (
            "exit3",
            "guest_error: guest error: the guest exited with status 3",
        ),
        ("spin", "timeout"),
        ("grow", "memory_limit"),
    ] {
        let code = g.code(action).await;
        assert!(code.starts_with(expected), "{engine} {action}: {code}");
        g.still_serves().await;
    }
}
