//! The JS and Python guests as packages, and a `Host` with that one runtime,
//! built the way `runtime-js/tests/all/support.rs` and
//! `runtime-python/tests/all/support.rs` build theirs (a memory audit sink,
//! only the one runtime, two pool workers).
//!
//! Two guests per language:
//!
//! - the **test guest** (`runtime-js/tests/guest/index.js`,
//!   `runtime-python/tests/guest/main.py`), unchanged, with the actions its
//!   tests declare (`runtime-wasm/tests/guest/actions.yaml` plus the
//!   language's own list);
//! - the **compute guest**, written here: one action, `fib`, the naive
//!   recursive Fibonacci of [`FIB_JS`] / [`FIB_PY`], the same text the bare
//!   baselines and the CPython peer run.
//!
//! morph-testkit is not a dependency of this crate, so the package is written
//! by hand, as [`crate::fixture`] writes the wasm guest's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use morph_runtime_core::capabilities::audit::MemoryAuditSink;
use morph_runtime_core::{Host, Isolation, LoadOptions, MorphRuntime};
use morph_runtime_js::{JsConfig, JsRuntime};
use morph_runtime_python::{PythonConfig, PythonRuntime};
use serde_json::json;

use crate::fixture::{GUEST_ACTIONS, Loaded, POOL_WORKERS};
use crate::{JS_ENGINE, PYTHON_ENGINE};

/// The JS test guest's source.
pub const JS_TEST_GUEST: &str = include_str!("../../runtime-js/tests/guest/index.js");

/// The JS test guest's own actions, after [`GUEST_ACTIONS`].
const JS_ACTIONS: &str = include_str!("../../runtime-js/tests/guest/js_actions.yaml");

/// The Python test guest's source.
pub const PY_TEST_GUEST: &str = include_str!("../../runtime-python/tests/guest/main.py");

/// The Python test guest's own actions, after [`GUEST_ACTIONS`].
const PY_ACTIONS: &str = include_str!("../../runtime-python/tests/guest/hostile.yaml");

/// The compute workload in JS.
pub const FIB_JS: &str = "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n";

/// The compute workload in Python.
pub const FIB_PY: &str = "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n";

/// The compute guest's manifest actions.
const COMPUTE_ACTIONS: &str = "actions:\n  - {name: fib, description: Naive recursive Fibonacci, parameters: [{name: n, type: integer, required: true}]}\n";

/// A guest language (and so its runtime).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// `runtime: js` on Boa.
    Js,
    /// `runtime: python` on RustPython.
    Python,
}

impl Language {
    /// The manifest's `runtime:`.
    pub fn runtime_id(self) -> &'static str {
        match self {
            Language::Js => "js",
            Language::Python => "python",
        }
    }

    /// The engine part of this language's benchmark ids.
    pub fn engine(self) -> &'static str {
        match self {
            Language::Js => JS_ENGINE,
            Language::Python => PYTHON_ENGINE,
        }
    }

    /// The runtime as the tests configure it ([`POOL_WORKERS`] workers).
    pub fn runtime(self) -> Arc<dyn MorphRuntime> {
        match self {
            Language::Js => Arc::new(JsRuntime::new(JsConfig {
                pool_workers: POOL_WORKERS,
                ..JsConfig::default()
            })),
            Language::Python => Arc::new(PythonRuntime::new(PythonConfig {
                pool_workers: POOL_WORKERS,
                ..PythonConfig::default()
            })),
        }
    }
}

/// A guest's package contents.
#[derive(Debug, Clone)]
pub struct Guest {
    /// Its language.
    pub language: Language,
    /// The extension id (and package directory name).
    pub id: &'static str,
    /// The entry's file name.
    pub entry: &'static str,
    /// The entry's source.
    pub code: String,
    /// The manifest's `actions:` block.
    pub actions: String,
}

/// The language's test guest with the actions its tests declare.
pub fn test_guest(language: Language) -> Guest {
    match language {
        Language::Js => Guest {
            language,
            id: "bench-js-guest",
            entry: "index.js",
            code: JS_TEST_GUEST.to_owned(),
            actions: format!("{}\n{JS_ACTIONS}", GUEST_ACTIONS.trim_end()),
        },
        Language::Python => Guest {
            language,
            id: "bench-py-guest",
            entry: "main.py",
            code: PY_TEST_GUEST.to_owned(),
            actions: format!("{GUEST_ACTIONS}{PY_ACTIONS}"),
        },
    }
}

/// The compute guest: `execute("fib", {"n": n})` returns `fib(n)`.
pub fn compute_guest(language: Language) -> Guest {
    match language {
        Language::Js => Guest {
            language,
            id: "bench-js-compute",
            entry: "index.js",
            code: format!(
                "{FIB_JS}\nexport function execute(action, params) {{\n  if (action === \"fib\") return fib(params.n);\n  throw new Error(`unknown action ${{action}}`);\n}}\n"
            ),
            actions: COMPUTE_ACTIONS.to_owned(),
        },
        Language::Python => Guest {
            language,
            id: "bench-py-compute",
            entry: "main.py",
            code: format!(
                "{FIB_PY}\n\ndef execute(action, params):\n    if action == \"fib\":\n        return fib(params[\"n\"])\n    raise Exception(\"unknown action %s\" % action)\n"
            ),
            actions: COMPUTE_ACTIONS.to_owned(),
        },
    }
}

/// Writes `guest`'s package (manifest and entry) with `permissions` into
/// `dir/<id>` and returns its path.
///
/// # Panics
/// When the directory cannot be written.
pub fn write_package(dir: &Path, guest: &Guest, permissions: &[&str]) -> PathBuf {
    let pkg = dir.join(guest.id);
    std::fs::create_dir_all(&pkg).expect("create the package dir");
    std::fs::write(pkg.join(guest.entry), &guest.code).expect("write the entry");
    let manifest = format!(
        "extension_id: {id}\nversion: 1.0.0\nmetadata:\n  name: Bench guest\n  description: A guest under benchmark\nruntime: {runtime}\nentry: {entry}\npermissions: [{permissions}]\nallowed_hosts: []\n{actions}",
        id = guest.id,
        runtime = guest.language.runtime_id(),
        entry = guest.entry,
        permissions = permissions.join(", "),
        actions = guest.actions,
    );
    std::fs::write(pkg.join("manifest.yaml"), manifest).expect("write manifest.yaml");
    pkg
}

/// A host with only `language`'s runtime, loading under `isolation`, and a
/// memory audit sink, keeping its data in `data_dir`.
///
/// # Panics
/// When the host cannot be built.
pub fn host(data_dir: &Path, language: Language, isolation: Isolation) -> Host {
    Host::builder()
        .with_data_dir(data_dir)
        .with_audit_sink(Arc::new(MemoryAuditSink::new()))
        .without_linked_runtimes()
        .with_runtime(language.runtime())
        .with_load_options(LoadOptions {
            isolation: Some(isolation),
            engine: None,
        })
        .build()
        .expect("build the host")
}

/// Loads `guest` with `permissions` under `isolation` on a host of its own.
/// Must run inside a tokio runtime (the runtimes keep its handle).
///
/// # Panics
/// When the guest does not load.
pub async fn load(guest: &Guest, isolation: Isolation, permissions: &[&str]) -> Loaded {
    let dir = tempfile::tempdir().expect("a temporary dir");
    let host = host(&dir.path().join("data"), guest.language, isolation);
    let pkg = write_package(dir.path(), guest, permissions);
    let id = host
        .load(&pkg, json!({}))
        .await
        .unwrap_or_else(|e| panic!("loading {} ({isolation:?}): {e}", guest.id));
    Loaded {
        dir,
        host: Arc::new(host),
        id,
    }
}
