//! PerCall keeps no state between calls; Pooled keeps it per extension and
//! starts over after a violation; extensions never share an interpreter.

use morph_runtime_core::Isolation;
use serde_json::json;

use crate::support::{guest, host, load};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_call_interpreters_share_no_state() {
    let g = load(guest("per-call"), Some(Isolation::PerCall)).await;
    g.run("state_set", json!({"value": "remembered"}))
        .await
        .unwrap();
    assert_eq!(g.run("state_get", json!({})).await.unwrap(), json!(null));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooled_interpreters_keep_state_until_a_violation() {
    let g = load(guest("pooled").limits("max_execution_ms: 300"), None).await;
    for _ in 0..4 {
        g.run("state_set", json!({"value": "warm"})).await.unwrap();
    }
    let mut seen = false;
    for _ in 0..4 {
        seen |= g.run("state_get", json!({})).await.unwrap() == json!("warm");
    }
    assert!(seen, "a pooled interpreter kept its state");
    assert_eq!(g.code("loop_forever", json!({})).await, "timeout");
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn different_extensions_never_share_an_interpreter() {
    let t = host(None);
    let a = t.load(&guest("ext-a"), json!({})).await.unwrap();
    let b = t.load(&guest("ext-b"), json!({})).await.unwrap();
    for _ in 0..4 {
        t.run(&a, "state_set", json!({"value": "a's secret"}))
            .await
            .unwrap();
    }
    for _ in 0..4 {
        assert_eq!(
            t.run(&b, "state_get", json!({})).await.unwrap(),
            json!(null)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_calls_all_answer() {
    let g = load(guest("parallel"), None).await;
    let calls = (0..50).map(|i| {
        let host = g.t.host.clone();
        let id = g.id.clone();
        tokio::spawn(async move { host.execute(&id, "echo", json!({"value": i})).await })
    });
    for (i, call) in calls.enumerate() {
        assert_eq!(call.await.unwrap().unwrap(), json!({"value": i}));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_sees_the_config_and_its_failure_is_init_failed() {
    let t = host(None);
    let err = t
        .load(&guest("init"), json!({"fail_init": true}))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "init_failed");
    assert!(err.to_string().contains("on purpose"), "{err}");
    let id = t
        .load(&guest("init"), json!({"greeting": "hi"}))
        .await
        .unwrap();
    assert_eq!(
        t.run(&id, "init_config", json!({})).await.unwrap(),
        json!({"greeting": "hi"})
    );
    assert_eq!(
        t.run(&id, "config", json!({})).await.unwrap(),
        json!({"greeting": "hi"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_on_event() {
    let t = host(None);
    let id = t
        .load(
            &guest("listener").permissions(&["event:listen", "vault:read", "vault:write"]),
            json!({}),
        )
        .await
        .unwrap();
    let event = morph_runtime_core::capabilities::providers::Event {
        source: "someone-else".into(),
        level: "info".into(),
        message: "ping".into(),
        data: json!(null),
        ts_ms: 0,
    };
    let outcomes = t.host.deliver_event(&event).await;
    assert_eq!(outcomes.len(), 1);
    outcomes[0].1.as_ref().unwrap();
    // Pooled with two workers: the event went to one of them, which also
    // stored it in the vault, where every interpreter can see it.
    let got = t
        .run(
            &id,
            "call",
            json!({"capability": "vault.get", "request": {"key": "last_event"}}),
        )
        .await
        .unwrap();
    assert_eq!(got, json!({"value": "ping"}));
}
