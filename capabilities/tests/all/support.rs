//! Shared fixtures: a broker over real providers in a temporary directory.

#![allow(dead_code)] // each test module uses a different subset

use std::sync::Arc;

use serde_json::Value;

use morph_capabilities::audit::{AuditRecord, MemoryAuditSink, Phase};
use morph_capabilities::{
    CallContext, CallKind, CapabilityBroker, ExtensionIdentity, Grants, HostPattern, Permission,
    PermissionSet, Providers, ResourceLimits, Result,
};

/// A broker over the default providers, rooted in a temporary directory.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub audit: Arc<MemoryAuditSink>,
    pub broker: Arc<CapabilityBroker>,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let providers = Providers::open(dir.path()).unwrap();
        Fixture::with_providers(dir, providers)
    }

    pub fn with_providers(dir: tempfile::TempDir, providers: Providers) -> Fixture {
        let audit = Arc::new(MemoryAuditSink::new());
        let broker = Arc::new(CapabilityBroker::new(providers, audit.clone()));
        Fixture { dir, audit, broker }
    }
}

/// Builds a call context for extension `id` with the given permissions, hosts and limits.
pub fn ctx_with(
    id: &str,
    permissions: &[Permission],
    hosts: &[&str],
    limits: ResourceLimits,
) -> CallContext {
    let ext = Arc::new(ExtensionIdentity {
        id: id.to_owned(),
        version: "1.0.0".to_owned(),
        runtime: "test".to_owned(),
        manifest_digest: "0".repeat(64),
    });
    let grants = Arc::new(Grants {
        permissions: permissions.iter().copied().collect::<PermissionSet>(),
        allowed_hosts: hosts
            .iter()
            .map(|h| HostPattern::parse(h).unwrap())
            .collect(),
        limits,
    });
    CallContext::new(
        ext,
        grants,
        Arc::new(serde_json::json!({"greeting": "hi"})),
        CallKind::Execute,
        "test_action",
    )
}

/// A context for `id` with `permissions`, no hosts and default limits.
pub fn ctx(id: &str, permissions: &[Permission]) -> CallContext {
    ctx_with(id, permissions, &[], ResourceLimits::default())
}

/// Invokes through the broker and returns the outcome with the audit
/// record of its outcome: the one record of a call without an effect or of
/// a refusal before any effect, else the `outcome` after its durable
/// `intent` (checked here: one intent, then one outcome naming it).
pub async fn call(
    fixture: &Fixture,
    ctx: &CallContext,
    capability: &str,
    request: Value,
) -> (Result<Value>, AuditRecord) {
    let before = fixture.audit.records().len();
    let outcome = fixture.broker.invoke(ctx, capability, request).await;
    let records = fixture.audit.records();
    let written = &records[before..];
    match written {
        [one] => assert_eq!(one.entry.phase, None, "{one:?}"),
        [intent, done] => {
            assert_eq!(intent.entry.phase, Some(Phase::Intent), "{intent:?}");
            assert_eq!(intent.entry.outcome, "intent");
            assert!(intent.entry.request_digest.is_some());
            assert_eq!(done.entry.phase, Some(Phase::Outcome), "{done:?}");
            assert_eq!(done.entry.intent_seq, Some(intent.seq));
        }
        other => panic!("one record, or an intent and its outcome: {other:?}"),
    }
    (outcome, written[written.len() - 1].clone())
}

/// The outcome's code, `ok` for success.
pub fn code(outcome: &Result<Value>) -> &'static str {
    match outcome {
        Ok(_) => "ok",
        Err(e) => e.code().as_str(),
    }
}
