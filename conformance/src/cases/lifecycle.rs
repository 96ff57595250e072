//! `init` and `on_event`.

use morph_runtime_core::ErrorCode;
use serde_json::json;

use crate::case::{Case, Expect, Ext, Group, Step};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "lifecycle.init_sees_config",
            Group::Lifecycle,
            "init receives the config the app passed at load",
            Ext::probe("probe").config(json!({"greeting": "hi", "n": 3})),
        )
        .call(
            "init_config",
            json!({}),
            Expect::Value(json!({"greeting": "hi", "n": 3})),
        )
        .call(
            "config",
            json!({}),
            Expect::Value(json!({"greeting": "hi", "n": 3})),
        ),
        Case::new(
            "lifecycle.init_failure",
            Group::Lifecycle,
            "an init that fails makes the load fail with init_failed",
            Ext::probe("probe")
                .config(json!({"fail_init": true}))
                .load_fails(ErrorCode::InitFailed),
        ),
        Case::new(
            "lifecycle.on_event",
            Group::Lifecycle,
            "an extension with event:listen receives delivered events",
            Ext::probe("probe").permissions(&["event:listen", "vault:read", "vault:write"]),
        )
        .step(Step::Event {
            message: "hello listeners",
        })
        .call(
            "call",
            json!({"capability": "vault.get", "request": {"key": "last_event"}}),
            Expect::Value(json!({"value": "hello listeners"})),
        ),
    ]
}
