//! PerCall keeps no state between calls; Pooled keeps it per extension and
//! starts over after a violation; parallel calls all succeed.

use morph_runtime_core::Isolation;
use serde_json::json;

use crate::on_every_engine;
use crate::support::{GuestOptions, load_guest};

on_every_engine!(
    per_call_instances_share_no_state,
    pooled_instances_keep_state_until_a_violation,
    a_hundred_parallel_calls_all_answer,
    init_failure_is_init_failed,
);

async fn per_call_instances_share_no_state(engine: &str) {
    let g = load_guest(engine, GuestOptions::default()).await;
    g.run("state_set", json!({"value": "remembered"}))
        .await
        .unwrap();
    assert_eq!(g.run("state_get", json!({})).await.unwrap(), json!(null));
}

async fn pooled_instances_keep_state_until_a_violation(engine: &str) {
    let g = load_guest(
        engine,
        GuestOptions {
            isolation: Some(Isolation::Pooled),
            limits: "  max_execution_ms: 300\n",
            ..Default::default()
        },
    )
    .await;
    // Two workers: set the state on whichever answers, then look for it.
    for _ in 0..4 {
        g.run("state_set", json!({"value": "warm"})).await.unwrap();
    }
    let mut seen = false;
    for _ in 0..4 {
        seen |= g.run("state_get", json!({})).await.unwrap() == json!("warm");
    }
    assert!(seen, "a pooled instance kept its state");
    assert_eq!(g.code("loop_forever", json!({})).await, "timeout");
    g.still_serves().await;
}

async fn a_hundred_parallel_calls_all_answer(engine: &str) {
    let g = load_guest(engine, GuestOptions::default()).await;
    let calls = (0..100).map(|i| {
        let host = g.host.clone();
        let id = g.id.clone();
        tokio::spawn(async move { host.execute(&id, "echo", json!({"value": i})).await })
    });
    for (i, call) in calls.enumerate() {
        let out = call.await.unwrap().unwrap();
        assert_eq!(out, json!({"value": i}));
    }
}

async fn init_failure_is_init_failed(engine: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (host, _) = crate::support::host(dir.path(), engine, None);
    let pkg = crate::support::write_package(
        dir.path(),
        &GuestOptions::default(),
        &crate::support::guest_wasm(),
    );
    let err = host
        .load(&pkg, json!({"fail_init": true}))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "init_failed");
    let id = host.load(&pkg, json!({"greeting": "hi"})).await.unwrap();
    assert_eq!(
        host.execute(&id, "config", json!({})).await.unwrap(),
        json!({"greeting": "hi"})
    );
}
