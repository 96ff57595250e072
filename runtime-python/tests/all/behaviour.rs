//! Values cross intact; guest errors carry message and traceback.

use serde_json::json;

use crate::support::{guest, load};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoes_every_json_type() {
    let g = load(guest("echo"), None).await;
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
    let g = load(guest("big").limits("max_output_kb: 4096"), None).await;
    let big = "é".repeat(512 * 1024);
    let out = g.run("echo", json!({"value": big})).await.unwrap();
    assert_eq!(out["value"].as_str().unwrap().len(), 1024 * 1024);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_errors_carry_the_message_and_traceback() {
    let g = load(guest("fail"), None).await;
    let err = g
        .run("fail", json!({"message": "the issue tracker said no"}))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error");
    assert!(
        err.to_string().contains("the issue tracker said no"),
        "{err}"
    );
    let err = g.run("traceback", json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error");
    let stack = err.guest_stack().unwrap();
    assert!(stack.contains("File \"main.py\", line"), "{stack}");
    assert!(stack.contains("in inner"), "{stack}");
    assert!(stack.contains("ValueError: deep inside"), "{stack}");
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_exit_is_a_crash_with_the_message() {
    let g = load(guest("panic"), None).await;
    let err = g
        .run("panic", json!({"message": "index out of range"}))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "guest_crash");
    assert!(err.to_string().contains("index out of range"), "{err}");
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_actions_never_reach_the_guest() {
    let g = load(guest("unknown"), None).await;
    assert_eq!(g.code("no_such_action", json!({})).await, "unknown_action");
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_goes_to_the_call_logs() {
    let g = load(guest("print"), None).await;
    let exec =
        g.t.host
            .execute_traced(&g.id, "print", json!({"message": "hello from print"}))
            .await;
    exec.result.unwrap();
    let lines: Vec<(String, String)> = exec
        .logs
        .iter()
        .map(|l| (l.level.clone(), l.message.clone()))
        .collect();
    assert!(
        lines.contains(&("info".into(), "hello from print".into())),
        "{lines:?}"
    );
    assert!(
        lines.contains(&("warn".into(), "to stderr".into())),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_module_round_trips() {
    let g = load(guest("json"), None).await;
    let out = g
        .run(
            "json_roundtrip",
            json!({"value": {"b": [1, 2.5, null], "a": "ü"}}),
        )
        .await
        .unwrap();
    // CPython's `json`, byte for byte (separators, ensure_ascii).
    assert_eq!(
        out["text"],
        json!(r#"{"a": "\u00fc", "b": [1, 2.5, null]}"#)
    );
    assert_eq!(out["back"], json!({"b": [1, 2.5, null], "a": "ü"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syntax_errors_and_missing_execute_are_refused_at_load() {
    let t = crate::support::host(None);
    let bad = morph_testkit::PackageSpec::new(
        "bad",
        "python",
        "main.py",
        "def execute(:\n",
        "actions:\n  - {name: go, description: Goes}",
    );
    let err = t.load(&bad, json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_package", "{err}");
    let none = morph_testkit::PackageSpec::new(
        "none",
        "python",
        "main.py",
        "x = 1\n",
        "actions:\n  - {name: go, description: Goes}",
    );
    let err = t.load(&none, json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_package", "{err}");
    assert!(err.to_string().contains("execute"), "{err}");
}
