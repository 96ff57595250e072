//! The permission matrix (every capability allowed and denied, each audited),
//! the host allowlist, vault namespaces, file path escapes and size caps, and
//! the request budget.

use morph_runtime_core::ErrorCode;
use serde_json::{Value, json};

use super::{caught, field_is};
use crate::case::{Case, Expect, Ext, Group, Limit, Step};

/// `(case id, capability, the permission it needs, a valid request)`.
const GATED: &[(&str, &str, &str, &str)] = &[
    (
        "capabilities.denied.http_get",
        "http.fetch",
        "http:read",
        r#"{"url": "{server}/hello"}"#,
    ),
    (
        "capabilities.denied.http_post",
        "http.fetch",
        "http:write",
        r#"{"url": "{server}/hello", "method": "POST", "body": "x"}"#,
    ),
    (
        "capabilities.denied.vault_get",
        "vault.get",
        "vault:read",
        r#"{"key": "k"}"#,
    ),
    (
        "capabilities.denied.vault_set",
        "vault.set",
        "vault:write",
        r#"{"key": "k", "value": "v"}"#,
    ),
    (
        "capabilities.denied.events_emit",
        "events.emit",
        "event:emit",
        r#"{"message": "m"}"#,
    ),
    (
        "capabilities.denied.fs_read",
        "fs.read",
        "fs:read",
        r#"{"path": "a.txt"}"#,
    ),
    (
        "capabilities.denied.fs_write",
        "fs.write",
        "fs:write",
        r#"{"path": "a.txt", "content": "x"}"#,
    ),
    ("capabilities.denied.fs_list", "fs.list", "fs:read", r#"{}"#),
    (
        "capabilities.denied.fs_delete",
        "fs.delete",
        "fs:write",
        r#"{"path": "a.txt"}"#,
    ),
    (
        "capabilities.denied.task_create",
        "data.create_task",
        "data:write",
        r#"{"title": "t"}"#,
    ),
    (
        "capabilities.denied.task_get",
        "data.get_task",
        "data:read",
        r#"{"id": 1}"#,
    ),
    (
        "capabilities.denied.task_list",
        "data.list_tasks",
        "data:read",
        r#"{}"#,
    ),
    (
        "capabilities.denied.task_update",
        "data.update_task",
        "data:write",
        r#"{"id": 1, "status": "done"}"#,
    ),
];

/// Every permission except `except`: a denial must hold even when the
/// extension has every other grant.
fn all_but(except: &str) -> &'static [&'static str] {
    const ALL: [&str; 10] = [
        "http:read",
        "http:write",
        "vault:read",
        "vault:write",
        "event:emit",
        "event:listen",
        "fs:read",
        "fs:write",
        "data:read",
        "data:write",
    ];
    let rest: Vec<&'static str> = ALL.iter().copied().filter(|p| *p != except).collect();
    Box::leak(rest.into_boxed_slice())
}

fn denied_cases() -> Vec<Case> {
    GATED
        .iter()
        .map(|&(id, capability, permission, request)| {
            let request: Value = serde_json::from_str(request).unwrap_or(Value::Null);
            let records: &'static [(&'static str, &'static str)] =
                Box::leak(vec![(capability, "denied")].into_boxed_slice());
            Case::new(
                id,
                Group::Capabilities,
                "a capability without its permission is permission_denied, and audited as denied",
                Ext::probe("probe")
                    .permissions(all_but(permission))
                    .server(),
            )
            .call(
                "call",
                json!({"capability": capability, "request": request}),
                Expect::Code(ErrorCode::PermissionDenied),
            )
            .step(Step::Audit { ext: 0, records })
        })
        .collect()
}

fn allowed_cases() -> Vec<Case> {
    vec![
        Case::new(
            "capabilities.allowed.http",
            Group::Capabilities,
            "http.fetch GET and POST reach an allowed server on 127.0.0.1, audited as allowed",
            Ext::probe("probe").permissions(&["http:read", "http:write"]).server(),
        )
        .call(
            "http_get",
            json!({"url": "{server}/hello"}),
            Expect::Value(json!({"status": 200, "body": "hello from the conformance server"})),
        )
        .call(
            "call",
            json!({"capability": "http.fetch", "request": {"url": "{server}/echo", "method": "POST", "body": "posted"}}),
            Expect::Check("status 200 and the body echoed", |v| {
                field_is(v, "status", &json!(200))?;
                field_is(v, "body", &json!("posted"))
            }),
        )
        .step(Step::Audit {
            ext: 0,
            records: &[("http.fetch", "allowed"), ("http.fetch", "allowed")],
        }),
        Case::new(
            "capabilities.allowed.vault",
            Group::Capabilities,
            "vault.set then vault.get returns the value, audited as allowed",
            Ext::probe("probe").permissions(&["vault:read", "vault:write"]),
        )
        .call(
            "vault_roundtrip",
            json!({"key": "token", "value": "s3cret ✓"}),
            Expect::Value(json!({"value": "s3cret ✓"})),
        )
        .step(Step::Audit {
            ext: 0,
            records: &[("vault.set", "allowed"), ("vault.get", "allowed")],
        }),
        Case::new(
            "capabilities.allowed.fs",
            Group::Capabilities,
            "fs.write, fs.read, fs.list and fs.delete work inside the extension's directory",
            Ext::probe("probe").permissions(&["fs:read", "fs:write"]),
        )
        .call(
            "fs_roundtrip",
            json!({"path": "notes.txt", "content": "written ✓"}),
            Expect::Check("content read back, listed, then gone", |v| {
                field_is(v, "content", &json!("written ✓"))?;
                field_is(v, "listed", &json!(["notes.txt"]))?;
                field_is(v, "after_delete", &json!([]))
            }),
        ),
        Case::new(
            "capabilities.allowed.tasks",
            Group::Capabilities,
            "data.create_task, get_task, update_task and list_tasks work",
            Ext::probe("probe").permissions(&["data:read", "data:write"]),
        )
        .call(
            "task_roundtrip",
            json!({"title": "write the spec"}),
            Expect::Check("created, read, updated, listed", |v| {
                field_is(v, "title", &json!("write the spec"))?;
                field_is(v, "status_after", &json!("done"))?;
                field_is(v, "listed", &json!(1))
            }),
        ),
        Case::new(
            "capabilities.allowed.events",
            Group::Capabilities,
            "events.emit with event:emit succeeds, audited as allowed",
            Ext::probe("probe").permissions(&["event:emit"]),
        )
        .call("emit", json!({"message": "built"}), Expect::Value(Value::Null))
        .step(Step::Audit {
            ext: 0,
            records: &[("events.emit", "allowed")],
        }),
        Case::new(
            "capabilities.allowed.log_and_config",
            Group::Capabilities,
            "log and config need no permission",
            Ext::probe("probe").config(json!({"region": "eu"})),
        )
        .call("log", json!({"message": "hello", "times": 2}), Expect::Value(json!(2)))
        .call("config", json!({}), Expect::Value(json!({"region": "eu"}))),
        Case::new(
            "capabilities.denial_is_catchable",
            Group::Capabilities,
            "a guest can catch a denial and carry on; the denial is still audited",
            Ext::probe("probe"),
        )
        .call(
            "call_catch",
            json!({"capability": "vault.get", "request": {"key": "k"}}),
            Expect::Check("caught permission_denied", |v| caught(v, "permission_denied")),
        )
        .step(Step::Audit {
            ext: 0,
            records: &[("vault.get", "denied")],
        }),
    ]
}

fn boundary_cases() -> Vec<Case> {
    vec![
        Case::new(
            "capabilities.host_allowlist",
            Group::Capabilities,
            "http.fetch reaches only allowed hosts: another port, a private address and a name are host_not_allowed",
            Ext::probe("probe").permissions(&["http:read"]).server(),
        )
        .call(
            "call_sequence",
            json!({"calls": [
                {"capability": "http.fetch", "request": {"url": "{server}/hello"}},
                {"capability": "http.fetch", "request": {"url": "http://127.0.0.1:1/"}},
                {"capability": "http.fetch", "request": {"url": "http://10.0.0.1/"}},
                {"capability": "http.fetch", "request": {"url": "http://169.254.169.254/latest/meta-data/"}},
                {"capability": "http.fetch", "request": {"url": "http://localhost.localdomain/"}}
            ]}),
            Expect::Check("first allowed, the rest host_not_allowed", |v| {
                let a = v.as_array().ok_or("not a list")?;
                field_is(&a[0]["ok"], "status", &json!(200))?;
                a[1..].iter().try_for_each(|o| caught(o, "host_not_allowed"))
            }),
        ),
        Case::new(
            "capabilities.vault_namespaces",
            Group::Capabilities,
            "one extension's vault is invisible to another",
            Ext::probe("probe-a").permissions(&["vault:read", "vault:write"]),
        )
        .and(Ext::probe("probe-b").permissions(&["vault:read", "vault:write"]))
        .call(
            "vault_roundtrip",
            json!({"key": "shared-name", "value": "a's secret"}),
            Expect::Value(json!({"value": "a's secret"})),
        )
        .call_on(
            1,
            "call",
            json!({"capability": "vault.get", "request": {"key": "shared-name"}}),
            Expect::Value(json!({"value": null})),
        ),
        Case::new(
            "capabilities.task_namespaces",
            Group::Capabilities,
            "one extension's tasks are invisible to another",
            Ext::probe("probe-a").permissions(&["data:read", "data:write"]),
        )
        .and(Ext::probe("probe-b").permissions(&["data:read"]))
        .call(
            "call",
            json!({"capability": "data.create_task", "request": {"title": "a's task"}}),
            Expect::Check("created", |v| field_is(v, "title", &json!("a's task"))),
        )
        .call_on(
            1,
            "call",
            json!({"capability": "data.list_tasks", "request": {}}),
            Expect::Value(json!({"tasks": []})),
        ),
        Case::new(
            "capabilities.fs_escapes",
            Group::Capabilities,
            "paths climbing out of the extension's directory are permission_denied",
            Ext::probe("probe").permissions(&["fs:read", "fs:write"]),
        )
        .call(
            "call_sequence",
            json!({"calls": [
                {"capability": "fs.read", "request": {"path": "../../../../etc/passwd"}},
                {"capability": "fs.read", "request": {"path": "/etc/passwd"}},
                {"capability": "fs.write", "request": {"path": "../escape.txt", "content": "x"}},
                {"capability": "fs.list", "request": {"path": ".."}}
            ]}),
            Expect::Check("every escape refused", |v| {
                let a = v.as_array().ok_or("not a list")?;
                a.iter().try_for_each(|o| caught(o, "permission_denied"))
            }),
        ),
        Case::new(
            "capabilities.fs_size_cap",
            Group::Capabilities,
            "a file larger than max_file_size_mb is refused with capability_failed",
            Ext::probe("probe")
                .permissions(&["fs:read", "fs:write"])
                .limits("max_file_size_mb: 1"),
        )
        .call(
            "call",
            json!({"capability": "fs.write", "request": {"path": "big.txt", "content": "{1mib+1}"}}),
            Expect::Code(ErrorCode::CapabilityFailed),
        ),
        Case::new(
            "capabilities.request_budget",
            Group::Capabilities,
            "the request after max_http_requests in one call is rate_limited",
            Ext::probe("probe")
                .permissions(&["http:read"])
                .server()
                .limits("max_http_requests: 2"),
        )
        .proves(Limit::HttpRequests)
        .call(
            "call_sequence",
            json!({"calls": [
                {"capability": "http.fetch", "request": {"url": "{server}/hello"}},
                {"capability": "http.fetch", "request": {"url": "{server}/hello"}},
                {"capability": "http.fetch", "request": {"url": "{server}/hello"}}
            ]}),
            Expect::Check("two answered, the third rate_limited", |v| {
                let a = v.as_array().ok_or("not a list")?;
                field_is(&a[0]["ok"], "status", &json!(200))?;
                field_is(&a[1]["ok"], "status", &json!(200))?;
                caught(&a[2], "rate_limited")
            }),
        ),
    ]
}

pub(super) fn cases() -> Vec<Case> {
    let mut all = allowed_cases();
    all.extend(denied_cases());
    all.extend(boundary_cases());
    all
}
