//! A bare broker and [`Call`] for tests that drive a runtime's session
//! directly.

use std::sync::Arc;

use morph_runtime_core::capabilities::audit::MemoryAuditSink;
use morph_runtime_core::capabilities::{
    Call, CallContext, CallKind, CapabilityBroker, ExtensionIdentity, Grants, Providers,
};

/// A broker over the providers of `data_dir`, auditing into memory.
///
/// # Panics
/// When the providers cannot be opened.
pub fn bare_broker(data_dir: &std::path::Path) -> Arc<CapabilityBroker> {
    Arc::new(CapabilityBroker::new(
        Providers::open(data_dir).expect("providers"),
        Arc::new(MemoryAuditSink::new()),
    ))
}

/// A call of action `run` of extension `extension` on `runtime`, with no
/// grant and the default limits, through `broker`.
pub fn bare_call(broker: &Arc<CapabilityBroker>, extension: &str, runtime: &str) -> Call {
    let identity = Arc::new(ExtensionIdentity {
        id: extension.into(),
        version: "1.0.0".into(),
        runtime: runtime.into(),
        manifest_digest: String::new(),
    });
    let ctx = CallContext::new(
        identity,
        Arc::new(Grants::default()),
        Arc::new(serde_json::Value::Null),
        CallKind::Execute,
        "run",
    );
    Call::new(broker.clone(), Arc::new(ctx))
}
