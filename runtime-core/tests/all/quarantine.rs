//! The quarantine through `Host` and the test runtime: limit violations and
//! crashes are strikes, guest errors are not; a quarantined extension runs no
//! guest code (calls, events and loads are refused); the state outlives the
//! host; every transition is audited; and the strike notion is the workers'
//! notion of a violation.

use std::sync::Arc;
use std::time::Duration;

use morph_runtime_core::capabilities::QuarantineConfig;
use morph_runtime_core::capabilities::audit::{Decision, MemoryAuditSink};
use morph_runtime_core::capabilities::providers::Event;
use morph_runtime_core::capabilities::quarantine::{ENABLE_RECORD, QUARANTINE_RECORD, is_strike};
use morph_runtime_core::workers::is_violation;
use morph_runtime_core::{ErrorCode, Host};
use serde_json::json;

use crate::test_runtime::{manifest, package};

fn host(data: &std::path::Path, audit: &Arc<MemoryAuditSink>, strikes: u32) -> Host {
    Host::builder()
        .with_data_dir(data)
        .with_audit_sink(audit.clone())
        .with_quarantine(QuarantineConfig {
            strikes,
            window: Duration::from_secs(60),
        })
        .build()
        .unwrap()
}

#[test]
fn every_strike_is_a_violation_of_the_workers() {
    for code in ErrorCode::ALL {
        if is_strike(code) {
            assert!(
                is_violation(code),
                "{code} is a strike but keeps the session"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_violations_quarantine_and_a_quarantined_extension_runs_no_guest_code() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let pkg = dir.path().join("unruly");
    package(
        &pkg,
        &manifest(
            "unruly",
            &["event:listen"],
            "resource_limits:\n  max_execution_ms: 100\n  max_output_kb: 1\n",
        ),
    );
    let audit = Arc::new(MemoryAuditSink::new());
    let host = host(&data, &audit, 3);
    let id = host.load(&pkg, json!({})).await.unwrap();

    // Guest errors are the guest's business: no strike however many.
    for _ in 0..5 {
        let e = host.execute(&id, "fail", json!({})).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::GuestError);
    }
    // A panic (internal) and a stall past the deadline (the host's backstop
    // answers, as for an in-process engine stuck in one native operation)...
    let e = host.execute(&id, "panic", json!({})).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Internal);
    let stalled = host.execute_traced(&id, "stall", json!({})).await;
    assert_eq!(stalled.result.unwrap_err().code(), ErrorCode::Timeout);
    assert!(stalled.audit.is_empty(), "two strikes are not a transition");
    // ...and a result past max_output_kb: the third strike.
    let third = host
        .execute_traced(&id, "big", json!({"bytes": 4096}))
        .await;
    assert_eq!(third.result.unwrap_err().code(), ErrorCode::OutputTooLarge);
    let record = third
        .audit
        .last()
        .expect("the call's audit tells of the quarantine");
    assert_eq!(record.entry.capability, QUARANTINE_RECORD);
    assert_eq!(record.entry.decision, Decision::Denied);
    assert_eq!(record.entry.call_id, third.call_id);
    assert_eq!(record.entry.action, "big");

    // Quarantined: refused before the guest, with nothing audited.
    let refused = host.execute_traced(&id, "count", json!({})).await;
    let err = refused.result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ExtensionQuarantined);
    assert!(err.to_string().contains("output_too_large"), "{err}");
    assert!(refused.audit.is_empty());
    let delivered = host
        .deliver_event(&Event {
            source: "elsewhere".into(),
            level: "info".into(),
            message: "hello".into(),
            data: json!({}),
            ts_ms: 0,
        })
        .await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(
        delivered[0].1.as_ref().unwrap_err().code(),
        ErrorCode::ExtensionQuarantined
    );
    // Loading runs `init`: refused too, also by a new host on the data dir.
    let reload = host.load(&pkg, json!({})).await.unwrap_err();
    assert_eq!(reload.code(), ErrorCode::ExtensionQuarantined);
    let other_audit = Arc::new(MemoryAuditSink::new());
    let restarted = host_with_default(&data, &other_audit);
    assert_eq!(
        restarted.load(&pkg, json!({})).await.unwrap_err().code(),
        ErrorCode::ExtensionQuarantined
    );
    let listed = host.quarantine().list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].extension, "unruly");
    assert_eq!(listed[0].code, "output_too_large");

    // Enabled: it runs again, and no refused call ever reached the guest
    // (5 fails, a panic, a stall and a big result did).
    let lifted = host
        .quarantine()
        .enable(&id)
        .unwrap()
        .expect("was quarantined");
    assert_eq!(lifted.record.entry.capability, ENABLE_RECORD);
    assert_eq!(
        host.execute(&id, "count", json!({})).await.unwrap(),
        json!(8)
    );
    let transitions: Vec<String> = audit
        .records()
        .into_iter()
        .filter(|r| r.entry.capability.starts_with("host."))
        .map(|r| r.entry.capability)
        .collect();
    assert_eq!(transitions, [QUARANTINE_RECORD, ENABLE_RECORD]);
}

fn host_with_default(data: &std::path::Path, audit: &Arc<MemoryAuditSink>) -> Host {
    Host::builder()
        .with_data_dir(data)
        .with_audit_sink(audit.clone())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_disabled_quarantine_never_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("tolerated");
    package(&pkg, &manifest("tolerated", &[], ""));
    let audit = Arc::new(MemoryAuditSink::new());
    let host = host(&dir.path().join("data"), &audit, 0);
    let id = host.load(&pkg, json!({})).await.unwrap();
    for _ in 0..8 {
        let e = host.execute(&id, "panic", json!({})).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::Internal);
    }
    assert_eq!(
        host.execute(&id, "count", json!({})).await.unwrap(),
        json!(8)
    );
    assert!(host.quarantine().list().unwrap().is_empty());
}
