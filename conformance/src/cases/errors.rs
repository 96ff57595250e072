//! Errors: a guest's error and crash, unknown actions, invalid parameters.

use morph_runtime_core::ErrorCode;
use serde_json::json;

use crate::case::{Case, Expect, Ext, Group};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "errors.guest_error",
            Group::Errors,
            "an error the guest returns is guest_error with its message",
            Ext::probe("probe"),
        )
        .call(
            "fail",
            json!({"message": "the probe failed on purpose"}),
            Expect::CodeWith(ErrorCode::GuestError, "the probe failed on purpose"),
        ),
        Case::new(
            "errors.crash",
            Group::Errors,
            "a guest panic (or uncaught throw) is guest_error or guest_crash with its message",
            Ext::probe("probe"),
        )
        .call(
            "panic",
            json!({"message": "the probe panicked"}),
            Expect::OneOf(vec![ErrorCode::GuestError, ErrorCode::GuestCrash]),
        ),
        Case::new(
            "errors.unknown_action",
            Group::Errors,
            "an action the manifest does not declare is unknown_action",
            Ext::probe("probe"),
        )
        .call(
            "no_such_action",
            json!({}),
            Expect::Code(ErrorCode::UnknownAction),
        ),
        Case::new(
            "errors.invalid_params",
            Group::Errors,
            "parameters of the wrong type, or missing required ones, are invalid_params",
            Ext::probe("probe"),
        )
        .call(
            "recurse",
            json!({"depth": "deep"}),
            Expect::Code(ErrorCode::InvalidParams),
        )
        .call("recurse", json!({}), Expect::Code(ErrorCode::InvalidParams)),
        Case::new(
            "errors.unknown_capability",
            Group::Errors,
            "a capability that does not exist is unknown_capability",
            Ext::probe("probe"),
        )
        .call(
            "call",
            json!({"capability": "shell.exec", "request": {"cmd": "id"}}),
            Expect::Code(ErrorCode::UnknownCapability),
        ),
    ]
}
