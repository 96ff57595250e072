//! Every limit of the brief's section 6 ends the call with its code, and the
//! host (and the extension) carry on afterwards.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{GuestOptions, load_guest};

const FAST: &str = "max_execution_ms: 300";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_infinite_loop_is_a_timeout() {
    let g = load_guest(GuestOptions {
        limits: FAST,
        ..Default::default()
    })
    .await;
    let t = Instant::now();
    assert_eq!(g.code("loop_forever", json!({})).await, "timeout");
    assert!(
        t.elapsed() < Duration::from_millis(550),
        "{:?}",
        t.elapsed()
    );
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_growth_past_the_cap_is_memory_limit() {
    let g = load_guest(GuestOptions {
        limits: "max_memory_mb: 256",
        ..Default::default()
    })
    .await;
    assert_eq!(
        g.code("grow_memory", json!({"mb": 2048})).await,
        "memory_limit"
    );
    // Boa refuses the buffer before allocating; uncaught, that is the
    // call's memory limit.
    assert_eq!(
        g.code("array_buffer", json!({"mb": 512})).await,
        "memory_limit"
    );
    let out = g.run("grow_memory", json!({"mb": 4})).await.unwrap();
    assert_eq!(out, json!(4));
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbounded_recursion_is_stack_overflow() {
    let g = load_guest(GuestOptions::default()).await;
    assert_eq!(
        g.code("recurse", json!({"depth": 100_000_000})).await,
        "stack_overflow"
    );
    assert_eq!(
        g.run("recurse", json!({"depth": 1000})).await.unwrap(),
        json!(1000)
    );
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_result_is_output_too_large() {
    let g = load_guest(GuestOptions {
        limits: "max_output_kb: 64",
        ..Default::default()
    })
    .await;
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
    let g = load_guest(GuestOptions {
        limits: "max_output_kb: 4",
        ..Default::default()
    })
    .await;
    let line = "x".repeat(1000);
    assert_eq!(
        g.code("log", json!({"message": line, "times": 10})).await,
        "output_too_large"
    );
    g.run("log", json!({"message": "short", "times": 2}))
        .await
        .unwrap();
}
