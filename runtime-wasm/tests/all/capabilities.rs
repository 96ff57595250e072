//! Every capability through the guest ABI, allowed and denied, with audit
//! records; denied calls propagate their code, handled ones do not.

use std::io::{Read, Write};
use std::net::TcpListener;

use morph_runtime_core::capabilities::audit::Decision;
use serde_json::{Value, json};

use crate::on_every_engine;
use crate::support::{GuestOptions, load_guest};

on_every_engine!(
    every_capability_is_denied_without_its_permission,
    typed_wrappers_work_when_granted,
    a_handled_denial_does_not_fail_the_call,
    http_reaches_an_allowed_local_server_only,
);

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

async fn every_capability_is_denied_without_its_permission(engine: &str) {
    let g = load_guest(engine, GuestOptions::default()).await;
    for (capability, request, _) in matrix() {
        let code = g
            .code(
                "call",
                json!({"capability": capability, "request": request}),
            )
            .await;
        assert_eq!(code, "permission_denied", "{engine} {capability}");
    }
    let records = g.audit.records();
    assert_eq!(records.len(), matrix().len());
    assert!(records.iter().all(|r| r.entry.decision == Decision::Denied));
    // log and config need no permission.
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

async fn typed_wrappers_work_when_granted(engine: &str) {
    let g = load_guest(
        engine,
        GuestOptions {
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
        },
    )
    .await;
    let mut events = g.host.broker().providers().events.subscribe().unwrap();
    let v = g
        .run(
            "vault_roundtrip",
            json!({"key": "token", "value": "s3cr3t"}),
        )
        .await
        .unwrap();
    assert!(v.to_string().contains("s3cr3t"), "{v}");
    g.run(
        "fs_roundtrip",
        json!({"path": "notes/a.txt", "content": "ünïcode"}),
    )
    .await
    .unwrap();
    g.run("task_roundtrip", json!({"title": "Write the docs"}))
        .await
        .unwrap();
    g.run("emit", json!({"message": "created"})).await.unwrap();
    let event = events.recv().await.unwrap();
    assert_eq!(event.source, g.id, "the host stamps the source");
    assert_eq!(event.message, "created");
    let audit = serde_json::to_string(&g.audit.records()).unwrap();
    assert!(!audit.contains("s3cr3t"), "a secret reached the audit log");
    assert!(
        g.audit
            .records()
            .iter()
            .all(|r| r.entry.decision == Decision::Allowed)
    );
}

async fn a_handled_denial_does_not_fail_the_call(engine: &str) {
    let g = load_guest(engine, GuestOptions::default()).await;
    let out = g
        .run(
            "call_catch",
            json!({"capability": "vault.get", "request": {"key": "k"}}),
        )
        .await
        .unwrap();
    assert_eq!(out["error"]["code"], "permission_denied", "{out}");
}

/// A one-route HTTP server on 127.0.0.1 answering `hello from the api`.
fn serve_once_per_connection() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = "hello from the api";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

async fn http_reaches_an_allowed_local_server_only(engine: &str) {
    let port = serve_once_per_connection();
    let allowed = format!("127.0.0.1:{port}");
    let g = load_guest(
        engine,
        GuestOptions {
            permissions: &["http:read"],
            allowed_hosts: &[allowed.as_str()],
            ..Default::default()
        },
    )
    .await;
    let out = g
        .run(
            "http_get",
            json!({"url": format!("http://127.0.0.1:{port}/x")}),
        )
        .await
        .unwrap();
    assert_eq!(out["status"], 200, "{out}");
    assert_eq!(out["body"], "hello from the api");
    let code = g
        .code(
            "http_get",
            json!({"url": format!("http://127.0.0.1:{}/x", port.wrapping_add(1))}),
        )
        .await;
    assert_eq!(code, "host_not_allowed");
}
