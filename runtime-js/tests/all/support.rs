//! Shared fixtures: a host with the JS runtime and the test guest's package.

#![allow(dead_code)] // each test module uses a different subset

use std::sync::Arc;

use morph_runtime_core::{Isolation, LoadOptions};
use morph_runtime_js::{JsConfig, JsRuntime};
use morph_testkit::{PackageSpec, TestHost};
use serde_json::{Value, json};

/// The test guest's code.
pub const GUEST_JS: &str = include_str!("../guest/index.js");

/// The actions every runtime's test guest implements (one list, one place).
pub const GUEST_ACTIONS: &str = include_str!("../../../runtime-wasm/tests/guest/actions.yaml");

/// The JS-only actions, appended to [`GUEST_ACTIONS`].
pub const JS_ACTIONS: &str = include_str!("../guest/js_actions.yaml");

/// The manifest's `actions:` block.
pub fn actions() -> String {
    format!("{}\n{JS_ACTIONS}", GUEST_ACTIONS.trim_end())
}

/// A host with the JS runtime and one loaded test guest.
pub struct Guest {
    pub th: TestHost,
    pub id: String,
}

/// Options for [`load_guest`].
pub struct GuestOptions<'a> {
    pub id: &'a str,
    pub permissions: &'a [&'a str],
    pub allowed_hosts: &'a [&'a str],
    pub limits: &'a str,
    pub isolation: Option<Isolation>,
    pub config: Value,
}

impl Default for GuestOptions<'_> {
    fn default() -> Self {
        GuestOptions {
            id: "test-guest",
            permissions: &[],
            allowed_hosts: &[],
            limits: "",
            isolation: None,
            config: json!({}),
        }
    }
}

/// The runtime as the tests use it (two workers per extension).
pub fn runtime() -> Arc<JsRuntime> {
    Arc::new(JsRuntime::new(JsConfig {
        pool_workers: 2,
        ..JsConfig::default()
    }))
}

/// A test host with the JS runtime.
pub fn test_host(isolation: Option<Isolation>) -> TestHost {
    TestHost::new(
        runtime(),
        LoadOptions {
            isolation,
            engine: None,
        },
    )
}

/// The test guest's package with `opts`.
pub fn spec(opts: &GuestOptions<'_>) -> PackageSpec {
    PackageSpec::new(opts.id, "js", "index.js", GUEST_JS, &actions())
        .permissions(opts.permissions)
        .allowed_hosts(opts.allowed_hosts)
        .limits(opts.limits)
}

/// Loads the test guest with `opts`.
pub async fn load_guest(opts: GuestOptions<'_>) -> Guest {
    let th = test_host(opts.isolation);
    let id = th.load(&spec(&opts), opts.config.clone()).await.unwrap();
    Guest { th, id }
}

impl Guest {
    pub async fn run(&self, action: &str, params: Value) -> morph_runtime_core::Result<Value> {
        self.th.run(&self.id, action, params).await
    }

    pub async fn code(&self, action: &str, params: Value) -> String {
        self.th.code(&self.id, action, params).await
    }

    /// Proves the host and the extension still serve.
    pub async fn still_serves(&self) {
        let v = self.run("echo", json!({"value": "alive"})).await.unwrap();
        assert_eq!(v, json!({"value": "alive"}));
    }
}
