//! Issue 26: what an extension stores is capped (`max_files`,
//! `max_storage_mb`, `max_tasks`, `max_vault_entries`) and so is what one
//! call emits (`max_events`). Past a quota the write is refused with
//! `quota_exceeded` before anything is stored, audited as denied, and the
//! guest can catch it and carry on: writes that grow nothing still pass.
//! The quotas are the broker's and its providers', so every runtime must
//! pass these cases unchanged.

use serde_json::{Value, json};

use crate::case::{Case, Expect, Ext, Group, Step};
use crate::cases::caught;

/// `Ok` when each outcome of `call_sequence` is an answer (`None`) or a
/// caught error with that code, in order.
fn outcomes(v: &Value, want: &[Option<&str>]) -> Result<(), String> {
    let got = v.as_array().ok_or("not a list")?;
    if got.len() != want.len() {
        return Err(format!("{} outcomes, want {}", got.len(), want.len()));
    }
    for (i, (o, w)) in got.iter().zip(want).enumerate() {
        match w {
            None if o.get("error").is_none() => {}
            None => return Err(format!("outcome {i}: want an answer, got {o}")),
            Some(code) => caught(o, code).map_err(|e| format!("outcome {i}: {e}"))?,
        }
    }
    Ok(())
}

fn write(path: &str, content: &str) -> Value {
    json!({"capability": "fs.write", "request": {"path": path, "content": content}})
}

pub(super) fn cases() -> Vec<Case> {
    let half_mib = "x".repeat(512 * 1024);
    vec![
        Case::new(
            "limits.quota.files",
            Group::Limits,
            "a write past max_files is quota_exceeded and audited as denied; replacing and deleting still work",
            Ext::probe("probe")
                .permissions(&["fs:read", "fs:write"])
                .limits("max_files: 3"),
        )
        .call(
            "call_sequence",
            json!({"calls": [
                write("a.txt", "a"),
                write("b.txt", "b"),
                write("c.txt", "c"),
                write("d.txt", "d"),
                write("dir/e.txt", "e"),
                write("a.txt", "a, replaced"),
                {"capability": "fs.delete", "request": {"path": "c.txt"}},
                write("d.txt", "d"),
                {"capability": "fs.list", "request": {}}
            ]}),
            Expect::Check("the 4th and 5th refused, the rest answered", |v| {
                outcomes(
                    v,
                    &[
                        None,
                        None,
                        None,
                        Some("quota_exceeded"),
                        Some("quota_exceeded"),
                        None,
                        None,
                        None,
                        None,
                    ],
                )?;
                let names: Vec<&str> = v[8]["ok"]["entries"]
                    .as_array()
                    .ok_or("no listing")?
                    .iter()
                    .filter_map(|e| e["name"].as_str())
                    .collect();
                if names == ["a.txt", "b.txt", "d.txt"] {
                    Ok(())
                } else {
                    Err(format!("the directory holds {names:?}"))
                }
            }),
        )
        .step(Step::Audit {
            ext: 0,
            records: &[
                ("fs.write", "allowed"),
                ("fs.write", "allowed"),
                ("fs.write", "allowed"),
                ("fs.write", "denied"),
                ("fs.write", "denied"),
                ("fs.write", "allowed"),
                ("fs.delete", "allowed"),
                ("fs.write", "allowed"),
                ("fs.list", "allowed"),
            ],
        }),
        Case::new(
            "limits.quota.storage",
            Group::Limits,
            "a write that takes the files past max_storage_mb is quota_exceeded; a smaller replacement is not",
            Ext::probe("probe")
                .permissions(&["fs:read", "fs:write"])
                .limits("max_storage_mb: 1"),
        )
        .call(
            "call_sequence",
            json!({"calls": [
                write("one.txt", &half_mib),
                write("two.txt", &half_mib),
                write("three.txt", "x"),
                write("one.txt", "small now"),
                write("three.txt", "x")
            ]}),
            Expect::Check("the third refused, then room again", |v| {
                outcomes(v, &[None, None, Some("quota_exceeded"), None, None])
            }),
        ),
        Case::new(
            "limits.quota.tasks",
            Group::Limits,
            "creating a task past max_tasks is quota_exceeded; updating one is not",
            Ext::probe("probe")
                .permissions(&["data:read", "data:write"])
                .limits("max_tasks: 2"),
        )
        .call(
            "call_sequence",
            json!({"calls": [
                {"capability": "data.create_task", "request": {"title": "one"}},
                {"capability": "data.create_task", "request": {"title": "two"}},
                {"capability": "data.create_task", "request": {"title": "three"}},
                {"capability": "data.update_task", "request": {"id": 1, "status": "done"}},
                {"capability": "data.list_tasks", "request": {}}
            ]}),
            Expect::Check("the third refused, two kept", |v| {
                outcomes(v, &[None, None, Some("quota_exceeded"), None, None])?;
                match v[4]["ok"]["tasks"].as_array().map(Vec::len) {
                    Some(2) => Ok(()),
                    n => Err(format!("{n:?} tasks kept, want 2")),
                }
            }),
        )
        .step(Step::Audit {
            ext: 0,
            records: &[
                ("data.create_task", "allowed"),
                ("data.create_task", "allowed"),
                ("data.create_task", "denied"),
                ("data.update_task", "allowed"),
                ("data.list_tasks", "allowed"),
            ],
        }),
        Case::new(
            "limits.quota.vault",
            Group::Limits,
            "setting a new vault key past max_vault_entries is quota_exceeded; setting a kept key again is not",
            Ext::probe("probe")
                .permissions(&["vault:read", "vault:write"])
                .limits("max_vault_entries: 2"),
        )
        .call(
            "call_sequence",
            json!({"calls": [
                {"capability": "vault.set", "request": {"key": "a", "value": "1"}},
                {"capability": "vault.set", "request": {"key": "b", "value": "2"}},
                {"capability": "vault.set", "request": {"key": "c", "value": "3"}},
                {"capability": "vault.set", "request": {"key": "a", "value": "again"}},
                {"capability": "vault.get", "request": {"key": "c"}}
            ]}),
            Expect::Check("the new third key refused and never stored", |v| {
                outcomes(v, &[None, None, Some("quota_exceeded"), None, None])?;
                match &v[4]["ok"]["value"] {
                    Value::Null => Ok(()),
                    other => Err(format!("`c` holds {other}")),
                }
            }),
        ),
        Case::new(
            "limits.quota.events",
            Group::Limits,
            "an event past max_events in one call is quota_exceeded; the next call has its own",
            Ext::probe("probe")
                .permissions(&["event:emit"])
                .limits("max_events: 2"),
        )
        .call(
            "call_sequence",
            json!({"calls": [
                {"capability": "events.emit", "request": {"message": "1"}},
                {"capability": "events.emit", "request": {"message": "2"}},
                {"capability": "events.emit", "request": {"message": "3"}}
            ]}),
            Expect::Check("the third refused", |v| {
                outcomes(v, &[None, None, Some("quota_exceeded")])
            }),
        )
        .call("emit", json!({"message": "next call"}), Expect::Value(Value::Null)),
    ]
}
