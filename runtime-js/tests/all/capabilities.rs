//! Every capability through `morph`, allowed and denied, with audit records;
//! denied calls propagate their code, handled ones do not.

use morph_runtime_core::capabilities::audit::Decision;
use morph_testkit::{Reply, TestServer};
use serde_json::{Value, json};

use crate::support::{GuestOptions, load_guest};

/// (wire name, a valid request, the permission it needs)
fn matrix() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        ("vault.get", json!({"key": "k"}), "vault:read"),
        (
            "vault.set",
            json!({"key": "k", "value": "v"}),
            "vault:write",
        ),
        ("events.emit", json!({"message": "m"}), "event:emit"),
        ("fs.read", json!({"path": "a.txt"}), "fs:read"),
        ("fs.list", json!({}), "fs:read"),
        (
            "fs.write",
            json!({"path": "a.txt", "content": "x"}),
            "fs:write",
        ),
        ("fs.delete", json!({"path": "a.txt"}), "fs:write"),
        ("data.create_task", json!({"title": "t"}), "data:write"),
        ("data.get_task", json!({"id": 1}), "data:read"),
        ("data.list_tasks", json!({}), "data:read"),
        (
            "data.update_task",
            json!({"id": 1, "title": "u"}),
            "data:write",
        ),
        (
            "http.fetch",
            json!({"url": "http://127.0.0.1:9/"}),
            "http:read",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_capability_is_denied_without_its_permission() {
    let g = load_guest(GuestOptions::default()).await;
    for (capability, request, _) in matrix() {
        let code = g
            .code(
                "call",
                json!({"capability": capability, "request": request}),
            )
            .await;
        assert_eq!(code, "permission_denied", "{capability}");
    }
    let records = g.th.audit_of(&g.id);
    assert_eq!(records.len(), matrix().len());
    assert!(records.iter().all(|r| r.entry.decision == Decision::Denied));
    g.run(
        "call",
        json!({"capability": "log", "request": {"message": "hi"}}),
    )
    .await
    .unwrap();
    assert_eq!(g.run("config", json!({})).await.unwrap(), json!({}));
    assert_eq!(
        g.code("call", json!({"capability": "no.such", "request": {}}))
            .await,
        "unknown_capability"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_wrappers_work_when_granted() {
    let g = load_guest(GuestOptions {
        permissions: &[
            "vault:read",
            "vault:write",
            "fs:read",
            "fs:write",
            "data:read",
            "data:write",
            "event:emit",
        ],
        ..Default::default()
    })
    .await;
    let mut events = g.th.host.broker().providers().events.subscribe().unwrap();
    let v = g
        .run(
            "vault_roundtrip",
            json!({"key": "token", "value": "s3cr3t"}),
        )
        .await
        .unwrap();
    assert_eq!(v, json!({"value": "s3cr3t"}));
    let fs = g
        .run(
            "fs_roundtrip",
            json!({"path": "notes/a.txt", "content": "ünïcode"}),
        )
        .await
        .unwrap();
    assert_eq!(fs["content"], "ünïcode", "{fs}");
    let t = g
        .run("task_roundtrip", json!({"title": "Write the docs"}))
        .await
        .unwrap();
    assert_eq!(t["title"], "Write the docs", "{t}");
    assert_eq!(t["status_after"], "done", "{t}");
    g.run("emit", json!({"message": "created"})).await.unwrap();
    let event = events.recv().await.unwrap();
    assert_eq!(event.source, g.id, "the host stamps the source");
    assert_eq!(event.message, "created");
    let audit = serde_json::to_string(&g.th.audit_of(&g.id)).unwrap();
    assert!(!audit.contains("s3cr3t"), "a secret reached the audit log");
    assert!(
        g.th.audit_of(&g.id)
            .iter()
            .all(|r| r.entry.decision == Decision::Allowed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handled_denial_does_not_fail_the_call() {
    let g = load_guest(GuestOptions::default()).await;
    let out = g
        .run(
            "call_catch",
            json!({"capability": "vault.get", "request": {"key": "k"}}),
        )
        .await
        .unwrap();
    assert_eq!(out["error"]["code"], "permission_denied", "{out}");
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_reaches_an_allowed_local_server_only() {
    let server = TestServer::start(|_| Reply::text("hello from the api"));
    let allowed = server.host();
    let g = load_guest(GuestOptions {
        permissions: &["http:read"],
        allowed_hosts: &[allowed.as_str()],
        ..Default::default()
    })
    .await;
    let out = g
        .run("http_get", json!({"url": server.url("/x")}))
        .await
        .unwrap();
    assert_eq!(out["status"], 200, "{out}");
    assert_eq!(out["body"], "hello from the api");
    assert_eq!(server.seen().len(), 1);
    let other = TestServer::start(|_| Reply::text("not allowed"));
    let code = g.code("http_get", json!({"url": other.url("/x")})).await;
    assert_eq!(code, "host_not_allowed");
    assert!(other.seen().is_empty(), "the refused server saw nothing");
    let records = g.th.audit_of(&g.id);
    // The allowed fetch's intent and outcome; the refusal is one record.
    assert_eq!(records.len(), 3);
    assert_eq!(records[2].entry.decision, Decision::Denied);
}

/// THREATS.md, "Guests reaching the host without the broker": JS, arguments
/// converted once into host-owned values (a getter never runs in the host).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_getter_in_a_request_never_runs_in_the_host() {
    let g = load_guest(GuestOptions {
        permissions: &["vault:read"],
        ..Default::default()
    })
    .await;
    let out = g.run("poisoned_request", json!({})).await.unwrap();
    let out = out.as_str().unwrap();
    assert!(
        out.starts_with("Error: invalid request to `vault.get`: key: a getter"),
        "{out}"
    );
    assert!(!out.contains("getter ran"), "{out}");
    assert!(
        g.th.audit_of(&g.id).is_empty(),
        "nothing reached the broker"
    );
}
