//! The broker's own guarantees, on real providers: the permission matrix of
//! every capability (except `http.fetch`, covered in `http.rs`), unknown and
//! malformed calls, output accounting for `log`, source stamping on events,
//! a provider that panics or hangs failing only its own call, and the
//! per-call capability budget. Invariant checked throughout: every
//! invocation within that budget leaves exactly one audit record.

use std::sync::Arc;
use std::time::{Duration, Instant};

use morph_capabilities::audit::Decision;
use morph_capabilities::providers::{BoundSecret, VaultProvider};
use morph_capabilities::{Capability, Permission, Providers, ResourceLimits, Result};
use serde_json::{Value, json};

use crate::support::{Fixture, call, code, ctx, ctx_with};

/// A valid request for every capability but `http.fetch`.
fn valid_request(cap: Capability) -> Value {
    match cap {
        Capability::VaultGet => json!({"key": "k"}),
        Capability::VaultSet => json!({"key": "k", "value": "v"}),
        Capability::EventsEmit => json!({"level": "info", "message": "hello"}),
        Capability::FsRead | Capability::FsDelete => json!({"path": "absent.txt"}),
        Capability::FsWrite => json!({"path": "f.txt", "content": "x"}),
        Capability::FsList => json!({}),
        Capability::DataCreateTask => json!({"title": "t"}),
        Capability::DataGetTask => json!({"id": 1}),
        Capability::DataListTasks => json!({}),
        Capability::DataUpdateTask => json!({"id": 1, "status": "done"}),
        Capability::Log => json!({"level": "info", "message": "m"}),
        Capability::Config => Value::Null,
        Capability::ToolsCall => json!({"tool": "notes.list", "arguments": {}}),
        Capability::HttpFetch => unreachable!("http.fetch is covered in http.rs"),
    }
}

#[tokio::test]
async fn permission_matrix() {
    let f = Fixture::new();
    for cap in Capability::ALL {
        // `tools.call` depends on the kind of call, not on a permission:
        // `tools_call_is_refused_to_every_extension`.
        if cap == Capability::HttpFetch || cap == Capability::ToolsCall {
            continue;
        }
        let name = cap.wire_name();
        let request = valid_request(cap);

        let bare = ctx("ext-a", &[]);
        let (without, rec) = call(&f, &bare, name, request.clone()).await;
        match cap.fixed_permission() {
            Some(p) => {
                assert_eq!(code(&without), "permission_denied", "{name} without {p}");
                assert_eq!(rec.entry.decision, Decision::Denied, "{name}");
                assert_eq!(rec.entry.outcome, "permission_denied");
                let message = without.unwrap_err().to_string();
                assert!(message.contains(p.as_str()), "{message} names {p}");
            }
            None => {
                assert!(matches!(cap, Capability::Log | Capability::Config));
                assert_eq!(code(&without), "ok", "{name} needs no permission");
                assert_eq!(rec.entry.decision, Decision::Allowed);
            }
        }
        assert_eq!(rec.entry.capability, name);
        assert_eq!(rec.entry.extension, "ext-a");

        let granted: Vec<Permission> = cap.fixed_permission().into_iter().collect();
        let with = ctx("ext-a", &granted);
        let (outcome, rec) = call(&f, &with, name, request).await;
        assert_ne!(
            code(&outcome),
            "permission_denied",
            "{name} with {granted:?}"
        );
        assert_eq!(rec.entry.decision, Decision::Allowed, "{name}: {outcome:?}");
        assert_eq!(rec.entry.outcome, code(&outcome));
    }
}

/// Only a code run's context carries a tool gateway: an extension holding
/// every permission is still refused `tools.call`, audited as denied.
#[tokio::test]
async fn tools_call_is_refused_to_every_extension() {
    let f = Fixture::new();
    let all: Vec<Permission> = Capability::ALL
        .into_iter()
        .filter_map(Capability::fixed_permission)
        .collect();
    let every = ctx("ext-a", &all);
    let (outcome, rec) = call(
        &f,
        &every,
        "tools.call",
        valid_request(Capability::ToolsCall),
    )
    .await;
    assert_eq!(code(&outcome), "permission_denied");
    assert_eq!(rec.entry.decision, Decision::Denied);
    assert!(outcome.unwrap_err().to_string().contains("code run"));
}

#[tokio::test]
async fn one_permission_does_not_grant_its_neighbours() {
    let f = Fixture::new();
    for granted in Permission::ALL {
        let c = ctx("ext-a", &[granted]);
        for cap in Capability::ALL {
            let Some(needed) = cap.fixed_permission() else {
                continue;
            };
            if needed == granted {
                continue;
            }
            let (outcome, rec) = call(&f, &c, cap.wire_name(), valid_request(cap)).await;
            assert_eq!(
                code(&outcome),
                "permission_denied",
                "{cap:?} with {granted}"
            );
            assert_eq!(rec.entry.decision, Decision::Denied);
        }
    }
}

#[tokio::test]
async fn config_returns_the_host_config() {
    let f = Fixture::new();
    let c = ctx("ext-a", &[]);
    let (outcome, _) = call(&f, &c, "config", json!({})).await;
    assert_eq!(outcome.unwrap(), json!({"greeting": "hi"}));
}

#[tokio::test]
async fn an_unknown_capability_is_refused_and_audited() {
    let f = Fixture::new();
    let c = ctx("ext-a", &Permission::ALL);
    for name in ["vault.steal", "", "VAULT.GET", "vault.get ", "fs.read\u{0}"] {
        let (outcome, rec) = call(&f, &c, name, json!({"key": "k"})).await;
        assert_eq!(code(&outcome), "unknown_capability", "{name:?}");
        assert_eq!(rec.entry.decision, Decision::Denied);
        assert_eq!(rec.entry.outcome, "unknown_capability");
    }
    let long = "x".repeat(10_000);
    let (outcome, rec) = call(&f, &c, &long, Value::Null).await;
    assert_eq!(code(&outcome), "unknown_capability");
    assert!(
        rec.entry.capability.len() < 200,
        "the name is truncated in the audit"
    );
}

#[tokio::test]
async fn malformed_requests_are_the_guests_invalid_request() {
    let f = Fixture::new();
    let c = ctx("ext-a", &Permission::ALL);
    for (cap, request, field) in [
        ("vault.get", json!({"key": 5}), "key"),
        ("vault.get", json!({}), "key"),
        ("vault.get", json!("k"), "request"),
        (
            "vault.set",
            json!({"key": "k", "value": "v", "extra": 1}),
            "extra",
        ),
        ("data.get_task", json!({"id": "1"}), "id"),
        ("data.list_tasks", json!({"limit": -1}), "limit"),
        ("fs.read", json!({"path": null}), "path"),
        (
            "events.emit",
            json!({"message": "m", "level": "shout"}),
            "level",
        ),
        ("log", json!({"message": 1}), "message"),
    ] {
        let (outcome, rec) = call(&f, &c, cap, request.clone()).await;
        assert_eq!(code(&outcome), "invalid_request", "{cap} {request}");
        let message = outcome.unwrap_err().to_string();
        assert!(
            message.starts_with(&format!("invalid request to `{cap}`: {field}: ")),
            "{cap} {request}: {message}"
        );
        assert_eq!(rec.entry.decision, Decision::Denied);
    }
    for bytes in [&b"{not json"[..], b"", b"\xff\xfe"] {
        let before = f.audit.records().len();
        let outcome = f.broker.invoke_bytes(&c, "vault.get", bytes).await;
        assert_eq!(code(&outcome), "invalid_request");
        let records = f.audit.records();
        assert_eq!(records.len(), before + 1);
        assert_eq!(records[before].entry.decision, Decision::Denied);
    }
}

#[tokio::test]
async fn log_counts_toward_max_output_kb() {
    let f = Fixture::new();
    let limits = ResourceLimits {
        max_output_kb: 1,
        ..Default::default()
    };
    let c = ctx_with("ext-a", &[], &[], limits);
    let line = "l".repeat(600);
    let (first, rec) = call(&f, &c, "log", json!({"message": line})).await;
    assert_eq!(code(&first), "ok");
    assert_eq!(rec.entry.outcome, "ok");
    let (second, rec) = call(&f, &c, "log", json!({"message": line})).await;
    assert_eq!(code(&second), "output_too_large");
    assert_eq!(rec.entry.decision, Decision::Denied);
    assert_eq!(c.logs().len(), 1, "the refused line was not kept");
    assert_eq!(c.output_bytes(), 600);
}

/// THREATS.md, "Bypassing the broker's checks": events, the host stamps the
/// source; no extension emits as another.
#[tokio::test]
async fn events_carry_the_callers_id_as_source() {
    let f = Fixture::new();
    let mut rx = f
        .broker
        .providers()
        .events
        .subscribe()
        .expect("the default bus supports subscribers");
    let c = ctx("ext-a", &[Permission::EventEmit]);
    let (spoof, rec) = call(
        &f,
        &c,
        "events.emit",
        json!({"message": "hi", "source": "ext-b"}),
    )
    .await;
    assert_eq!(code(&spoof), "invalid_request");
    assert!(spoof.unwrap_err().to_string().contains("source"));
    assert_eq!(rec.entry.decision, Decision::Denied);
    assert!(rx.try_recv().is_err(), "a refused emit publishes nothing");

    let (ok, _) = call(
        &f,
        &c,
        "events.emit",
        json!({"level": "warn", "message": "hi", "data": {"n": 1}}),
    )
    .await;
    assert_eq!(code(&ok), "ok");
    let event = rx.try_recv().unwrap();
    assert_eq!(event.source, "ext-a");
    assert_eq!(event.level, "warn");
    assert_eq!(event.message, "hi");
    assert_eq!(event.data, json!({"n": 1}));
}

/// A vault whose `get` panics.
struct Panicky;

#[async_trait::async_trait]
impl VaultProvider for Panicky {
    async fn get(&self, _namespace: &str, _key: &str) -> Result<Option<String>> {
        panic!("provider bug")
    }
    async fn set_within(
        &self,
        _namespace: &str,
        _key: &str,
        _value: &str,
        _max: u64,
    ) -> Result<()> {
        Ok(())
    }
    async fn bound(&self, _namespace: &str) -> Result<Vec<BoundSecret>> {
        Ok(Vec::new())
    }
    async fn values(&self, _namespace: &str) -> Result<Vec<(String, String)>> {
        Ok(Vec::new())
    }
}

/// A vault whose `get` takes two seconds.
struct Slow;

#[async_trait::async_trait]
impl VaultProvider for Slow {
    async fn get(&self, _namespace: &str, _key: &str) -> Result<Option<String>> {
        tokio::time::sleep(Duration::from_secs(2)).await;
        Ok(Some("late".to_owned()))
    }
    async fn set_within(
        &self,
        _namespace: &str,
        _key: &str,
        _value: &str,
        _max: u64,
    ) -> Result<()> {
        Ok(())
    }
    async fn bound(&self, _namespace: &str) -> Result<Vec<BoundSecret>> {
        Ok(Vec::new())
    }
    async fn values(&self, _namespace: &str) -> Result<Vec<(String, String)>> {
        Ok(Vec::new())
    }
}

fn fixture_with_vault(vault: Arc<dyn VaultProvider>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let providers = Providers {
        vault,
        ..Providers::open(dir.path()).unwrap()
    };
    Fixture::with_providers(dir, providers)
}

/// THREATS.md, "The host itself": a panic inside a host function is caught at
/// the boundary and becomes an error for that call.
#[tokio::test]
async fn a_panicking_provider_fails_only_its_call() {
    let f = fixture_with_vault(Arc::new(Panicky));
    let c = ctx("ext-a", &[Permission::VaultRead, Permission::VaultWrite]);
    let (outcome, rec) = call(&f, &c, "vault.get", json!({"key": "k"})).await;
    assert_eq!(code(&outcome), "capability_failed");
    assert_eq!(rec.entry.outcome, "capability_failed");
    assert_eq!(rec.entry.decision, Decision::Allowed);
    // The process, the broker and the same call carry on.
    let (set, _) = call(&f, &c, "vault.set", json!({"key": "k", "value": "v"})).await;
    assert_eq!(code(&set), "ok");
    let (log, _) = call(&f, &c, "log", json!({"message": "still here"})).await;
    assert_eq!(code(&log), "ok");
    let other = ctx("ext-b", &[Permission::VaultRead]);
    let (again, _) = call(&f, &other, "vault.get", json!({"key": "k"})).await;
    assert_eq!(code(&again), "capability_failed");
}

/// THREATS.md, "Exhausting the host": time spent inside host calls counts
/// toward the deadline.
#[tokio::test]
async fn a_slow_provider_times_out_at_the_call_deadline() {
    let f = fixture_with_vault(Arc::new(Slow));
    let limits = ResourceLimits {
        max_execution_ms: 200,
        ..Default::default()
    };
    let c = ctx_with("ext-a", &[Permission::VaultRead], &[], limits);
    let started = Instant::now();
    let (outcome, rec) = call(&f, &c, "vault.get", json!({"key": "k"})).await;
    assert_eq!(code(&outcome), "timeout");
    assert_eq!(rec.entry.outcome, "timeout");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the broker did not wait for the provider"
    );
    // Past the deadline, every further call of this context is a timeout too.
    let (late, _) = call(&f, &c, "log", json!({"message": "late"})).await;
    assert_eq!(code(&late), "timeout");
}

#[tokio::test]
async fn a_call_that_keeps_invoking_capabilities_is_cut_off_without_flooding_the_audit_log() {
    let f = Fixture::new();
    let c = ctx("ext-a", &[Permission::VaultRead]);
    let max = morph_capabilities::CallContext::MAX_CAPABILITY_CALLS;
    for i in 0..max {
        let out = f.broker.invoke(&c, "config", Value::Null).await;
        assert!(out.is_ok(), "call {i} is within the budget: {out:?}");
    }
    assert_eq!(f.audit.records().len(), max as usize);

    // The first call past the budget is refused and audited as denied.
    let (refused, rec) = call(&f, &c, "vault.get", json!({"key": "k"})).await;
    assert_eq!(code(&refused), "rate_limited");
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("capability calls"),
        "the error says which budget"
    );
    assert_eq!(rec.entry.decision, Decision::Denied);
    assert_eq!(rec.entry.outcome, "rate_limited");

    // Later ones are refused too, with no further records.
    for _ in 0..100 {
        let out = f.broker.invoke(&c, "log", json!({"message": "m"})).await;
        assert_eq!(code(&out), "rate_limited");
    }
    assert_eq!(f.audit.records().len(), max as usize + 1);

    // The budget is the call's: a new call on the same broker starts afresh.
    let fresh = ctx("ext-a", &[]);
    let (out, _) = call(&f, &fresh, "config", Value::Null).await;
    assert_eq!(code(&out), "ok");
}
