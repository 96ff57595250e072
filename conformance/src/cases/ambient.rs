//! No ambient authority: the language's own routes to files, environment,
//! network and processes all fail.

use serde_json::json;

use crate::case::{Case, Expect, Ext, Group};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "ambient.none",
            Group::Ambient,
            "the language's own file, environment, network and process routes reach nothing",
            // Every permission: ambient routes must fail even for a fully granted guest.
            Ext::probe("probe")
                .permissions(&[
                    "http:read",
                    "http:write",
                    "vault:read",
                    "vault:write",
                    "event:emit",
                    "fs:read",
                    "fs:write",
                    "data:read",
                    "data:write",
                ])
                .server(),
        )
        .call(
            "ambient",
            json!({"port": "{port}"}),
            Expect::Value(
                json!({"files": false, "env": false, "network": false, "process": false}),
            ),
        ),
    ]
}
