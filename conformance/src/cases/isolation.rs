//! State between calls, parallel calls, recovery after a crash.

use morph_runtime_core::{ErrorCode, Isolation};
use serde_json::{Value, json};

use crate::case::{Case, Expect, Ext, Group, Step};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "isolation.per_call_state",
            Group::Isolation,
            "under PerCall nothing a call leaves in the guest survives to the next call",
            Ext::probe("probe").isolation(Isolation::PerCall),
        )
        .call(
            "state_set",
            json!({"value": "left behind"}),
            Expect::Value(json!("left behind")),
        )
        .call("state_get", json!({}), Expect::Value(Value::Null)),
        Case::new(
            "isolation.parallel",
            Group::Isolation,
            "100 calls at once each get their own answer",
            Ext::probe("probe"),
        )
        .step(Step::Parallel { ext: 0, count: 100 }),
        Case::new(
            "isolation.after_crash",
            Group::Isolation,
            "after a crash and a timeout the extension and its neighbour still answer",
            Ext::probe("probe").limits("max_execution_ms: 300"),
        )
        .and(Ext::probe("neighbour"))
        .call(
            "panic",
            json!({"message": "down"}),
            Expect::OneOf(vec![ErrorCode::GuestError, ErrorCode::GuestCrash]),
        )
        .call("loop_forever", json!({}), Expect::Code(ErrorCode::Timeout))
        .call(
            "echo",
            json!({"value": 1}),
            Expect::Value(json!({"value": 1})),
        )
        .call_on(
            1,
            "echo",
            json!({"value": 2}),
            Expect::Value(json!({"value": 2})),
        ),
    ]
}
