//! The vault and task capabilities through the broker, on the real SQLite
//! store: round trips, namespace isolation between extensions, size caps,
//! injection-shaped input, durability across reopening and parallel writers.
//! Invariant checked throughout: a vault value never reaches an audit record
//! or an error message.

use std::sync::Arc;

use morph_capabilities::audit::{Decision, MemoryAuditSink};
use morph_capabilities::{CapabilityBroker, Permission, Providers};
use serde_json::{Value, json};

use crate::support::{Fixture, call, code, ctx};

const VAULT: [Permission; 2] = [Permission::VaultRead, Permission::VaultWrite];
const DATA: [Permission; 2] = [Permission::DataRead, Permission::DataWrite];

#[tokio::test]
async fn vault_round_trips_and_overwrites() {
    let f = Fixture::new();
    let a = ctx("ext-a", &VAULT);
    let (set, rec) = call(&f, &a, "vault.set", json!({"key": "k", "value": "secret"})).await;
    assert_eq!(set.unwrap(), Value::Null);
    assert_eq!(rec.entry.decision, Decision::Allowed);
    assert_eq!(rec.entry.outcome, "ok");
    let (got, _) = call(&f, &a, "vault.get", json!({"key": "k"})).await;
    assert_eq!(got.unwrap(), json!({"value": "secret"}));
    let (_, _) = call(&f, &a, "vault.set", json!({"key": "k", "value": "newer"})).await;
    let (got, _) = call(&f, &a, "vault.get", json!({"key": "k"})).await;
    assert_eq!(got.unwrap(), json!({"value": "newer"}));
    let (missing, rec) = call(&f, &a, "vault.get", json!({"key": "absent"})).await;
    assert_eq!(missing.unwrap(), json!({"value": null}));
    assert_eq!(rec.entry.outcome, "ok");
    let (empty, _) = call(&f, &a, "vault.set", json!({"key": "e", "value": ""})).await;
    assert!(empty.is_ok());
    let (got, _) = call(&f, &a, "vault.get", json!({"key": "e"})).await;
    assert_eq!(got.unwrap(), json!({"value": ""}));
}

/// THREATS.md, "Bypassing the broker's checks": SQLite, each extension sees
/// only its own vault keys.
#[tokio::test]
async fn vault_namespaces_are_isolated() {
    let f = Fixture::new();
    let a = ctx("ext-a", &VAULT);
    let b = ctx("ext-b", &VAULT);
    call(
        &f,
        &a,
        "vault.set",
        json!({"key": "token", "value": "a-secret"}),
    )
    .await
    .0
    .unwrap();
    let (got, rec) = call(&f, &b, "vault.get", json!({"key": "token"})).await;
    assert_eq!(got.unwrap(), json!({"value": null}));
    assert_eq!(rec.entry.extension, "ext-b");
    call(
        &f,
        &b,
        "vault.set",
        json!({"key": "token", "value": "b-secret"}),
    )
    .await
    .0
    .unwrap();
    let (got, _) = call(&f, &a, "vault.get", json!({"key": "token"})).await;
    assert_eq!(got.unwrap(), json!({"value": "a-secret"}));
    let (got, _) = call(&f, &b, "vault.get", json!({"key": "token"})).await;
    assert_eq!(got.unwrap(), json!({"value": "b-secret"}));
}

#[tokio::test]
async fn vault_get_without_vault_read_is_denied() {
    let f = Fixture::new();
    let writer = ctx("ext-a", &[Permission::VaultWrite]);
    call(&f, &writer, "vault.set", json!({"key": "k", "value": "v"}))
        .await
        .0
        .unwrap();
    let (got, rec) = call(&f, &writer, "vault.get", json!({"key": "k"})).await;
    assert_eq!(code(&got), "permission_denied");
    assert_eq!(rec.entry.decision, Decision::Denied);
    assert_eq!(rec.entry.outcome, "permission_denied");
    let reader = ctx("ext-a", &[Permission::VaultRead]);
    let (set, rec) = call(&f, &reader, "vault.set", json!({"key": "k", "value": "x"})).await;
    assert_eq!(code(&set), "permission_denied");
    assert_eq!(rec.entry.decision, Decision::Denied);
}

/// THREATS.md, "Bypassing the broker's checks": secrets never reach logs, audit
/// or errors.
#[tokio::test]
async fn vault_values_never_reach_audit_or_errors() {
    const SECRET: &str = "s3cr3t-Value-7f1c9e";
    let f = Fixture::new();
    let a = ctx("ext-a", &VAULT);
    let mut errors = Vec::new();
    call(&f, &a, "vault.set", json!({"key": "k", "value": SECRET}))
        .await
        .0
        .unwrap();
    let (got, _) = call(&f, &a, "vault.get", json!({"key": "k"})).await;
    assert_eq!(got.unwrap()["value"], SECRET);
    // Refusals and failures that carry the secret in their request.
    let denied = ctx("ext-a", &[]);
    let long_key = "k".repeat(300);
    let huge = SECRET.repeat(5000);
    for (ctx, request) in [
        (&denied, json!({"key": "k", "value": SECRET})),
        (&a, json!({"key": long_key, "value": SECRET})),
        (&a, json!({"key": "", "value": SECRET})),
        (&a, json!({"key": "k", "value": huge})),
        (&a, json!({"key": "k", "value": SECRET, "extra": SECRET})),
        (&a, json!({"value": SECRET})),
    ] {
        let (outcome, rec) = call(&f, ctx, "vault.set", request).await;
        let err = outcome.expect_err("each of these is refused");
        assert_ne!(rec.entry.outcome, "ok");
        errors.push(err.to_string());
        errors.push(serde_json::to_string(&err.to_wire()).unwrap());
    }
    let audit = serde_json::to_string(&f.audit.records()).unwrap();
    assert!(
        !audit.contains(SECRET),
        "a vault value reached the audit log"
    );
    assert!(!audit.contains("s3cr3t"));
    for message in errors {
        assert!(
            !message.contains(SECRET),
            "a vault value reached an error: {message}"
        );
    }
    assert!(!format!("{:?}", f.broker).contains(SECRET));
}

#[tokio::test]
async fn tasks_create_get_list_update() {
    let f = Fixture::new();
    let a = ctx("ext-a", &DATA);
    let (created, rec) = call(
        &f,
        &a,
        "data.create_task",
        json!({"title": "first", "data": {"n": 1, "tags": ["x"]}}),
    )
    .await;
    assert_eq!(rec.entry.decision, Decision::Allowed);
    let created = created.unwrap();
    assert_eq!(created["title"], "first");
    assert_eq!(created["status"], "open");
    assert_eq!(created["description"], "");
    assert_eq!(created["data"], json!({"n": 1, "tags": ["x"]}));
    let id = created["id"].as_i64().unwrap();
    let (second, _) = call(
        &f,
        &a,
        "data.create_task",
        json!({"title": "second", "description": "d", "status": "doing"}),
    )
    .await;
    let second = second.unwrap();
    assert_eq!(second["data"], Value::Null);

    let (got, _) = call(&f, &a, "data.get_task", json!({"id": id})).await;
    assert_eq!(got.unwrap(), created);

    let (listed, _) = call(&f, &a, "data.list_tasks", json!({})).await;
    let listed = listed.unwrap();
    let titles: Vec<&str> = listed["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["first", "second"], "oldest first");
    let (doing, _) = call(&f, &a, "data.list_tasks", json!({"status": "doing"})).await;
    assert_eq!(doing.unwrap()["tasks"].as_array().unwrap().len(), 1);
    let (page, _) = call(&f, &a, "data.list_tasks", json!({"limit": 1, "offset": 1})).await;
    assert_eq!(page.unwrap()["tasks"][0]["title"], "second");

    let (updated, rec) = call(
        &f,
        &a,
        "data.update_task",
        json!({"id": id, "status": "done", "data": [1, 2]}),
    )
    .await;
    assert_eq!(rec.entry.outcome, "ok");
    let updated = updated.unwrap();
    assert_eq!(updated["status"], "done");
    assert_eq!(
        updated["title"], "first",
        "fields not in the patch are kept"
    );
    assert_eq!(updated["data"], json!([1, 2]));
    assert_eq!(updated["created_ms"], created["created_ms"]);
    let (got, _) = call(&f, &a, "data.get_task", json!({"id": id})).await;
    assert_eq!(got.unwrap(), updated);

    let (missing, rec) = call(&f, &a, "data.get_task", json!({"id": 999_999})).await;
    assert_eq!(code(&missing), "capability_failed");
    assert!(missing.unwrap_err().to_string().contains("not found"));
    assert_eq!(rec.entry.decision, Decision::Allowed);
}

/// THREATS.md, "Bypassing the broker's checks": SQLite, each extension sees
/// only its own rows.
#[tokio::test]
async fn tasks_are_isolated_between_extensions() {
    let f = Fixture::new();
    let a = ctx("ext-a", &DATA);
    let b = ctx("ext-b", &DATA);
    let (task, _) = call(&f, &a, "data.create_task", json!({"title": "a's"})).await;
    let task = task.unwrap();
    let id = task["id"].as_i64().unwrap();

    let (got, rec) = call(&f, &b, "data.get_task", json!({"id": id})).await;
    assert_eq!(code(&got), "capability_failed");
    assert!(got.unwrap_err().to_string().contains("not found"));
    assert_eq!(rec.entry.outcome, "capability_failed");

    let (upd, _) = call(
        &f,
        &b,
        "data.update_task",
        json!({"id": id, "title": "stolen"}),
    )
    .await;
    assert_eq!(code(&upd), "capability_failed");
    assert!(upd.unwrap_err().to_string().contains("not found"));

    let (listed, _) = call(&f, &b, "data.list_tasks", Value::Null).await;
    assert_eq!(listed.unwrap(), json!({"tasks": []}));

    let (got, _) = call(&f, &a, "data.get_task", json!({"id": id})).await;
    assert_eq!(got.unwrap(), task, "b's update attempt changed nothing");
}

/// THREATS.md, "Exhausting the host": every host call caps what it copies or
/// allocates for the guest (rows).
#[tokio::test]
async fn task_size_caps_are_the_guests_invalid_request() {
    let f = Fixture::new();
    let a = ctx("ext-a", &DATA);
    let big_data = json!({"blob": "x".repeat(256 * 1024)});
    for (request, field) in [
        (json!({"title": ""}), "title"),
        (json!({"title": "t".repeat(1025)}), "title"),
        (
            json!({"title": "t", "description": "d".repeat(64 * 1024 + 1)}),
            "description",
        ),
        (json!({"title": "t", "status": "s".repeat(65)}), "status"),
        (json!({"title": "t", "status": ""}), "status"),
        (json!({"title": "t", "data": big_data}), "data"),
    ] {
        let (outcome, rec) = call(&f, &a, "data.create_task", request).await;
        let err = outcome.unwrap_err();
        assert_eq!(err.code().as_str(), "invalid_request");
        assert!(err.to_string().contains(field), "{err} names {field}");
        assert_eq!(rec.entry.decision, Decision::Denied);
    }
    // The largest accepted sizes pass.
    let (ok, _) = call(
        &f,
        &a,
        "data.create_task",
        json!({"title": "t".repeat(1024), "description": "d".repeat(64 * 1024),
               "status": "s".repeat(64)}),
    )
    .await;
    let id = ok.unwrap()["id"].as_i64().unwrap();
    for request in [
        json!({"id": id, "title": "t".repeat(1025)}),
        json!({"id": id, "title": ""}),
        json!({"id": id, "status": "s".repeat(65)}),
        json!({"id": id, "data": {"blob": "x".repeat(256 * 1024)}}),
    ] {
        let (outcome, _) = call(&f, &a, "data.update_task", request).await;
        assert_eq!(code(&outcome), "invalid_request");
    }
    let (listed, _) = call(&f, &a, "data.list_tasks", json!({"limit": 1001})).await;
    assert_eq!(code(&listed), "invalid_request");
    let (listed, _) = call(&f, &a, "data.list_tasks", json!({"limit": 1000})).await;
    assert_eq!(listed.unwrap()["tasks"].as_array().unwrap().len(), 1);
    // Nothing oversize was stored by a refused update.
    let (got, _) = call(&f, &a, "data.get_task", json!({"id": id})).await;
    assert_eq!(got.unwrap()["title"].as_str().unwrap().len(), 1024);
}

/// THREATS.md, "Bypassing the broker's checks": SQLite, parameterised queries
/// only.
#[tokio::test]
async fn injection_shaped_strings_are_stored_verbatim() {
    let f = Fixture::new();
    let a = ctx("ext-a", &[VAULT.as_slice(), DATA.as_slice()].concat());
    let nasty = [
        "k'; DROP TABLE vault; --",
        "\" OR 1=1 --",
        "x' OR namespace != 'ext-a",
        "%",
        "_",
        "'); ATTACH DATABASE '/tmp/evil.db' AS evil; --",
        "ünïcødé 🔑",
    ];
    for s in nasty {
        call(&f, &a, "vault.set", json!({"key": s, "value": s}))
            .await
            .0
            .unwrap();
        let (got, _) = call(&f, &a, "vault.get", json!({"key": s})).await;
        assert_eq!(got.unwrap(), json!({"value": s}));
        let (task, _) = call(
            &f,
            &a,
            "data.create_task",
            json!({"title": s, "description": s, "status": s, "data": {"v": s}}),
        )
        .await;
        let task = task.unwrap();
        let (got, _) = call(&f, &a, "data.get_task", json!({"id": task["id"]})).await;
        let got = got.unwrap();
        assert_eq!(got["title"], s);
        assert_eq!(got["description"], s);
        assert_eq!(got["status"], s);
        assert_eq!(got["data"]["v"], s);
    }
    // Another extension still sees nothing, whatever the stored strings said.
    let b = ctx("ext-b", &[VAULT.as_slice(), DATA.as_slice()].concat());
    for s in nasty {
        let (got, _) = call(&f, &b, "vault.get", json!({"key": s})).await;
        assert_eq!(got.unwrap(), json!({"value": null}));
    }
    let (listed, _) = call(&f, &b, "data.list_tasks", json!({"status": "' OR 1=1 --"})).await;
    assert_eq!(listed.unwrap(), json!({"tasks": []}));
    let (listed, _) = call(&f, &a, "data.list_tasks", json!({})).await;
    assert_eq!(
        listed.unwrap()["tasks"].as_array().unwrap().len(),
        nasty.len()
    );
}

#[tokio::test]
async fn data_survives_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let perms = [VAULT.as_slice(), DATA.as_slice()].concat();
    let id = {
        let broker = CapabilityBroker::new(
            Providers::open(dir.path()).unwrap(),
            Arc::new(MemoryAuditSink::new()),
        );
        let a = ctx("ext-a", &perms);
        broker
            .invoke(&a, "vault.set", json!({"key": "k", "value": "kept"}))
            .await
            .unwrap();
        let task = broker
            .invoke(
                &a,
                "data.create_task",
                json!({"title": "kept", "data": {"z": true}}),
            )
            .await
            .unwrap();
        task["id"].as_i64().unwrap()
    };
    let broker = CapabilityBroker::new(
        Providers::open(dir.path()).unwrap(),
        Arc::new(MemoryAuditSink::new()),
    );
    let a = ctx("ext-a", &perms);
    let got = broker
        .invoke(&a, "vault.get", json!({"key": "k"}))
        .await
        .unwrap();
    assert_eq!(got, json!({"value": "kept"}));
    let task = broker
        .invoke(&a, "data.get_task", json!({"id": id}))
        .await
        .unwrap();
    assert_eq!(task["title"], "kept");
    assert_eq!(task["data"], json!({"z": true}));
    // New ids continue after the old ones.
    let next = broker
        .invoke(&a, "data.create_task", json!({"title": "next"}))
        .await
        .unwrap();
    assert!(next["id"].as_i64().unwrap() > id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_all_land() {
    let f = Fixture::new();
    let perms = [VAULT.as_slice(), DATA.as_slice()].concat();
    let mut handles = Vec::new();
    for i in 0..20 {
        let broker = Arc::clone(&f.broker);
        let perms = perms.clone();
        handles.push(tokio::spawn(async move {
            let ext = ctx("ext-a", &perms);
            broker
                .invoke(
                    &ext,
                    "data.create_task",
                    json!({"title": format!("task {i}")}),
                )
                .await?;
            broker
                .invoke(
                    &ext,
                    "vault.set",
                    json!({"key": format!("k{i}"), "value": format!("v{i}")}),
                )
                .await
        }));
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    let a = ctx("ext-a", &perms);
    let listed = f
        .broker
        .invoke(&a, "data.list_tasks", json!({}))
        .await
        .unwrap();
    let mut titles: Vec<String> = listed["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect();
    titles.sort();
    let mut expected: Vec<String> = (0..20).map(|i| format!("task {i}")).collect();
    expected.sort();
    assert_eq!(titles, expected);
    for i in 0..20 {
        let got = f
            .broker
            .invoke(&a, "vault.get", json!({"key": format!("k{i}")}))
            .await
            .unwrap();
        assert_eq!(got, json!({"value": format!("v{i}")}));
    }
    // Each write an intent and an outcome; each read one record.
    assert_eq!(f.audit.records().len(), 20 * 2 * 2 + 1 + 20);
}
