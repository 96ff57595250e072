//! Shared fixtures: a host with the Python runtime and the test guest.

#![allow(dead_code)] // each test module uses a different subset

use std::sync::Arc;

use morph_runtime_core::{Isolation, LoadOptions};
use morph_runtime_python::{PythonConfig, PythonRuntime};
use morph_testkit::{PackageSpec, TestHost};
use serde_json::{Value, json};

/// The actions of the test guest: the shared list plus the Python-specific ones.
pub fn actions() -> String {
    format!(
        "{}{}",
        include_str!("../../../runtime-wasm/tests/guest/actions.yaml"),
        include_str!("../guest/hostile.yaml")
    )
}

/// The test guest's source.
pub const GUEST: &str = include_str!("../guest/main.py");

/// A host with the Python runtime (two workers per extension).
pub fn host(isolation: Option<Isolation>) -> TestHost {
    let runtime = PythonRuntime::new(PythonConfig {
        pool_workers: 2,
        ..PythonConfig::default()
    });
    TestHost::new(
        Arc::new(runtime),
        LoadOptions {
            isolation,
            engine: None,
        },
    )
}

/// The test guest's package.
pub fn guest(id: &str) -> PackageSpec {
    PackageSpec::new(id, "python", "main.py", GUEST, &actions())
}

/// A host with one loaded guest.
pub struct Guest {
    pub t: TestHost,
    pub id: String,
}

/// Loads the test guest from `spec` on a fresh host.
pub async fn load(spec: PackageSpec, isolation: Option<Isolation>) -> Guest {
    let t = host(isolation);
    let id = t.load(&spec, json!({})).await.unwrap();
    Guest { t, id }
}

impl Guest {
    pub async fn run(&self, action: &str, params: Value) -> morph_runtime_core::Result<Value> {
        self.t.run(&self.id, action, params).await
    }

    pub async fn code(&self, action: &str, params: Value) -> String {
        self.t.code(&self.id, action, params).await
    }

    /// Proves the host and the extension still serve.
    pub async fn still_serves(&self) {
        let v = self.run("echo", json!({"value": "alive"})).await.unwrap();
        assert_eq!(v, json!({"value": "alive"}));
    }
}
