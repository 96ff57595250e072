//! Every limit of the brief's section 6 ends the call with its code, and the
//! host (and the extension) carry on afterwards.

use serde_json::json;

use crate::support::{guest, load};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_infinite_loop_is_a_timeout() {
    let g = load(guest("loop").limits("max_execution_ms: 300"), None).await;
    let started = std::time::Instant::now();
    assert_eq!(g.code("loop_forever", json!({})).await, "timeout");
    // Stopped by the runtime's own watchdog, not the host's backstop grace.
    assert!(started.elapsed() < std::time::Duration::from_millis(300 + 200));
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbounded_recursion_is_stack_overflow() {
    let g = load(guest("recurse"), None).await;
    assert_eq!(
        g.run("recurse", json!({"depth": 100})).await.unwrap(),
        json!(100)
    );
    assert_eq!(
        g.code("recurse", json!({"depth": 100_000_000})).await,
        "stack_overflow"
    );
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_result_is_output_too_large() {
    let g = load(guest("output").limits("max_output_kb: 64"), None).await;
    assert_eq!(
        g.code("big_output", json!({"bytes": 10 * 1024 * 1024}))
            .await,
        "output_too_large"
    );
    let ok = g.run("big_output", json!({"bytes": 1000})).await.unwrap();
    assert_eq!(ok.as_str().unwrap().len(), 1000);
}

/// THREATS.md, "Exhausting the host": output is counted while it streams (logs
/// count toward `max_output_kb`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_count_toward_the_output_limit() {
    let g = load(guest("logs").limits("max_output_kb: 4"), None).await;
    let line = "x".repeat(1000);
    assert_eq!(
        g.code("log", json!({"message": line, "times": 10})).await,
        "output_too_large"
    );
    g.run("log", json!({"message": "short", "times": 2}))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_below_the_cap_works() {
    let g = load(guest("memory").limits("max_memory_mb: 32"), None).await;
    // The memory cap is soft (README): single big allocations are refused
    // (hostile.rs), growth in small steps is stopped by the deadline.
    let out = g.run("grow_memory", json!({"mb": 8})).await.unwrap();
    assert_eq!(out, json!(8));
    g.still_serves().await;
}
