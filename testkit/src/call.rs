//! A bare [`Call`] for tests that drive a runtime's session directly.

use std::sync::Arc;

use morph_runtime_core::capabilities::{
    Call, CallContext, CallKind, CapabilityBroker, ExtensionIdentity, Grants,
};

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
