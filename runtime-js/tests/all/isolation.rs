//! PerCall keeps no state between calls; Pooled keeps it per extension and
//! starts over after a violation; extensions never share; parallel calls
//! all answer.

use morph_runtime_core::Isolation;
use serde_json::json;

use crate::support::{GuestOptions, load_guest, spec, test_host};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_call_contexts_share_no_state() {
    let g = load_guest(GuestOptions {
        isolation: Some(Isolation::PerCall),
        ..Default::default()
    })
    .await;
    g.run("state_set", json!({"value": "remembered"}))
        .await
        .unwrap();
    assert_eq!(g.run("state_get", json!({})).await.unwrap(), json!(null));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooled_contexts_keep_state_until_a_violation() {
    let g = load_guest(GuestOptions {
        isolation: Some(Isolation::Pooled),
        limits: "max_execution_ms: 300",
        ..Default::default()
    })
    .await;
    for _ in 0..4 {
        g.run("state_set", json!({"value": "warm"})).await.unwrap();
    }
    let mut seen = false;
    for _ in 0..4 {
        seen |= g.run("state_get", json!({})).await.unwrap() == json!("warm");
    }
    assert!(seen, "a pooled context kept its state");
    assert_eq!(g.code("loop_forever", json!({})).await, "timeout");
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn different_extensions_never_share_a_context() {
    let th = test_host(Some(Isolation::Pooled));
    let a = th
        .load(
            &spec(&GuestOptions {
                id: "ext-a",
                ..Default::default()
            }),
            json!({}),
        )
        .await
        .unwrap();
    let b = th
        .load(
            &spec(&GuestOptions {
                id: "ext-b",
                ..Default::default()
            }),
            json!({}),
        )
        .await
        .unwrap();
    for _ in 0..4 {
        th.run(&a, "state_set", json!({"value": "only a"}))
            .await
            .unwrap();
    }
    for _ in 0..4 {
        assert_eq!(
            th.run(&b, "state_get", json!({})).await.unwrap(),
            json!(null)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_parallel_calls_all_answer() {
    let g = load_guest(GuestOptions::default()).await;
    let calls: Vec<_> = (0..100)
        .map(|i| {
            let host = g.th.host.clone();
            let id = g.id.clone();
            tokio::spawn(async move { host.execute(&id, "echo", json!({"value": i})).await })
        })
        .collect();
    for (i, call) in calls.into_iter().enumerate() {
        assert_eq!(call.await.unwrap().unwrap(), json!({"value": i}));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_failure_is_init_failed_and_init_sees_the_config() {
    let th = test_host(None);
    let err = th
        .load(&spec(&GuestOptions::default()), json!({"fail_init": true}))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "init_failed");
    let id = th
        .load(&spec(&GuestOptions::default()), json!({"greeting": "hi"}))
        .await
        .unwrap();
    assert_eq!(
        th.run(&id, "config", json!({})).await.unwrap(),
        json!({"greeting": "hi"})
    );
    assert_eq!(
        th.run(&id, "init_config", json!({})).await.unwrap(),
        json!({"greeting": "hi"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_on_event() {
    let th = test_host(Some(Isolation::Pooled));
    let opts = GuestOptions {
        permissions: &["event:listen", "vault:read", "vault:write"],
        ..Default::default()
    };
    let id = th.load(&spec(&opts), json!({})).await.unwrap();
    let event = morph_runtime_core::capabilities::providers::Event {
        source: "someone-else".into(),
        level: "info".into(),
        message: "hello".into(),
        data: json!(null),
        ts_ms: 0,
    };
    let outcomes = th.host.deliver_event(&event).await;
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert!(outcomes[0].1.is_ok(), "{outcomes:?}");
    // onEvent also stores the message in the vault (seen from any context).
    let stored = th
        .run(
            &id,
            "call",
            json!({"capability": "vault.get", "request": {"key": "last_event"}}),
        )
        .await
        .unwrap();
    assert_eq!(stored, json!({"value": "hello"}));
}
