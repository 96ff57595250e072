//! Every limit of the brief's section 6 ends the call with its code, and the
//! host (and the extension) carry on afterwards.

use serde_json::json;

use crate::on_every_engine;
use crate::support::{GuestOptions, load_guest};

on_every_engine!(
    an_infinite_loop_is_a_timeout,
    memory_growth_past_the_cap_is_memory_limit,
    unbounded_recursion_is_stack_overflow,
    a_huge_result_is_output_too_large,
    logs_count_toward_the_output_limit,
);

async fn an_infinite_loop_is_a_timeout(engine: &str) {
    let g = load_guest(
        engine,
        GuestOptions {
            limits: "  max_execution_ms: 300\n",
            ..Default::default()
        },
    )
    .await;
    assert_eq!(g.code("loop_forever", json!({})).await, "timeout");
    g.still_serves().await;
}

async fn memory_growth_past_the_cap_is_memory_limit(engine: &str) {
    let g = load_guest(
        engine,
        GuestOptions {
            limits: "  max_memory_mb: 32\n",
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        g.code("grow_memory", json!({"mb": 256})).await,
        "memory_limit"
    );
    // Below the cap it works.
    let out = g.run("grow_memory", json!({"mb": 8})).await.unwrap();
    assert!(out.as_u64().unwrap_or(0) >= 8 || out.is_object(), "{out}");
    g.still_serves().await;
}

async fn unbounded_recursion_is_stack_overflow(engine: &str) {
    let g = load_guest(engine, GuestOptions::default()).await;
    assert_eq!(
        g.code("recurse", json!({"depth": 100_000_000})).await,
        "stack_overflow"
    );
    g.still_serves().await;
}

async fn a_huge_result_is_output_too_large(engine: &str) {
    let g = load_guest(
        engine,
        GuestOptions {
            limits: "  max_output_kb: 64\n",
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        g.code("big_output", json!({"bytes": 10 * 1024 * 1024}))
            .await,
        "output_too_large"
    );
    let ok = g.run("big_output", json!({"bytes": 1000})).await.unwrap();
    assert_eq!(ok.as_str().unwrap().len(), 1000);
}

async fn logs_count_toward_the_output_limit(engine: &str) {
    let g = load_guest(
        engine,
        GuestOptions {
            limits: "  max_output_kb: 4\n",
            ..Default::default()
        },
    )
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
