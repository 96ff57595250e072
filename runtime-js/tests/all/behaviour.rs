//! Values cross intact; guest errors carry message and stack; unknown
//! actions never reach the guest. (The wasm suite's behaviour tests.)

use serde_json::json;

use crate::support::{GuestOptions, load_guest};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoes_every_json_type() {
    let g = load_guest(GuestOptions::default()).await;
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
        assert_eq!(out, json!({"value": value}));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoes_a_one_mebibyte_payload() {
    let g = load_guest(GuestOptions {
        limits: "max_output_kb: 4096",
        ..Default::default()
    })
    .await;
    let big = "é".repeat(512 * 1024); // 1 MiB of UTF-8
    let out = g.run("echo", json!({"value": big})).await.unwrap();
    assert_eq!(out["value"].as_str().unwrap().len(), 1024 * 1024);
}

/// THREATS.md, "Guests reaching the host without the broker": JS, no absolute
/// host paths in error stacks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_errors_carry_the_message_and_stack() {
    let g = load_guest(GuestOptions::default()).await;
    let err = g
        .run("fail", json!({"message": "the issue tracker said no"}))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error");
    assert!(
        err.to_string().contains("the issue tracker said no"),
        "{err}"
    );
    let stack = err.guest_stack().expect("a stack");
    assert!(stack.contains("index.js:"), "file and line: {stack}");
    assert!(!stack.contains("/tmp"), "no host paths: {stack}");
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_execute_settles_inside_the_call() {
    let g = load_guest(GuestOptions::default()).await;
    let out = g
        .run("async_echo", json!({"value": [1, "x"]}))
        .await
        .unwrap();
    assert_eq!(out, json!({"value": [1, "x"]}));
    let err = g
        .run("async_fail", json!({"message": "rejected"}))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error");
    assert!(err.to_string().contains("rejected"), "{err}");
    assert_eq!(g.code("never_settles", json!({})).await, "guest_crash");
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_actions_never_reach_the_guest() {
    let g = load_guest(GuestOptions::default()).await;
    assert_eq!(g.code("no_such_action", json!({})).await, "unknown_action");
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thrown_object_cannot_claim_a_code_it_was_not_given() {
    let g = load_guest(GuestOptions::default()).await;
    let err = g.run("throw_object", json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error");
    assert!(err.to_string().contains("plain object"), "{err}");
}
