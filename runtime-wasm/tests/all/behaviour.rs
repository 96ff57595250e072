//! Values cross the ABI intact; guest errors and panics are reported as such.

use serde_json::json;

use crate::on_every_engine;
use crate::support::{GuestOptions, load_guest};

on_every_engine!(
    echoes_every_json_type,
    echoes_a_one_mebibyte_payload,
    echoes_a_sixteen_mebibyte_payload_within_raised_limits,
    guest_errors_carry_the_message,
    guest_panics_are_crashes_with_the_message,
    unknown_actions_never_reach_the_guest,
);

async fn echoes_every_json_type(engine: &str) {
    let g = load_guest(engine, GuestOptions::default()).await;
    for value in [
        json!(null),
        json!(true),
        json!(-12345678901234i64),
        json!(u64::MAX),
        json!(3.5e-7),
        json!("héllo ✓ 𝄞 \u{0} \"quoted\""),
        json!([1, [2, [3, [4, {"deep": [null]}]]]]),
        json!({"a": {"b": {"c": [true, false]}}, "ünï": "cødé"}),
    ] {
        let out = g.run("echo", json!({"value": value})).await.unwrap();
        assert_eq!(out, json!({"value": value}), "{engine}");
    }
}

async fn echoes_a_one_mebibyte_payload(engine: &str) {
    let g = load_guest(
        engine,
        GuestOptions {
            limits: "  max_output_kb: 4096\n",
            ..Default::default()
        },
    )
    .await;
    let big = "é".repeat(512 * 1024); // 1 MiB of UTF-8
    let out = g.run("echo", json!({"value": big})).await.unwrap();
    assert_eq!(out["value"].as_str().unwrap().len(), 1024 * 1024);
}

/// THREATS.md, "Guests reaching the host without the broker": wasm, the memory
/// view is re-fetched after anything that can grow memory (the allocator grows
/// memory for the input, on every engine).
async fn echoes_a_sixteen_mebibyte_payload_within_raised_limits(engine: &str) {
    let g = load_guest(
        engine,
        GuestOptions {
            limits: "  max_output_kb: 65536\n  max_memory_mb: 1024\n",
            ..Default::default()
        },
    )
    .await;
    let big = "x".repeat(16 << 20);
    let out = g.run("echo", json!({"value": big})).await;
    let out = out.unwrap_or_else(|e| panic!("{engine}: {e}"));
    assert_eq!(
        out["value"].as_str().map(str::len),
        Some(16 << 20),
        "{engine}"
    );
}

async fn guest_errors_carry_the_message(engine: &str) {
    let g = load_guest(engine, GuestOptions::default()).await;
    let err = g
        .run("fail", json!({"message": "the issue tracker said no"}))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error");
    assert!(
        err.to_string().contains("the issue tracker said no"),
        "{err}"
    );
    g.still_serves().await;
}

async fn guest_panics_are_crashes_with_the_message(engine: &str) {
    let g = load_guest(engine, GuestOptions::default()).await;
    let err = g
        .run("panic", json!({"message": "index out of range"}))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "guest_crash");
    assert!(err.to_string().contains("index out of range"), "{err}");
    g.still_serves().await;
}

async fn unknown_actions_never_reach_the_guest(engine: &str) {
    let g = load_guest(engine, GuestOptions::default()).await;
    assert_eq!(g.code("no_such_action", json!({})).await, "unknown_action");
    g.still_serves().await;
}
