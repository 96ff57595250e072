//! A [`TestHost`] with one extension loaded once per fuzzing process, and a
//! blocking `run` for the synchronous fuzz loop.
//!
//! Loading costs milliseconds (compilation, `init`); an input costs one call,
//! so the host is built on first use and kept for every later input.

use std::sync::Arc;

use morph_runtime_core::{LoadOptions, MorphRuntime, Result};
use morph_testkit::{PackageSpec, TestHost};
use serde_json::{Value, json};

/// A warm host and the id of its one extension.
pub struct Loaded {
    rt: tokio::runtime::Runtime,
    host: TestHost,
    id: String,
}

impl Loaded {
    /// Builds a host with `runtime` and loads `spec` (panics if it cannot:
    /// that is a broken fixture, found on the first input).
    pub fn new(runtime: Arc<dyn MorphRuntime>, options: LoadOptions, spec: &PackageSpec) -> Loaded {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let host = TestHost::new(runtime, options);
        let id = rt
            .block_on(host.load(spec, json!({})))
            .expect("the fuzz fixture loads");
        Loaded { rt, host, id }
    }

    /// Runs `action` with `params` to its end.
    ///
    /// # Errors
    /// Whatever the call ends with.
    pub fn run(&self, action: &str, params: Value) -> Result<Value> {
        self.rt.block_on(self.host.run(&self.id, action, params))
    }

    /// Panics when an error is the host's own fault (`internal`): every
    /// other code is a clean refusal of a hostile or odd value.
    pub fn check_error(&self, what: &str, err: &morph_runtime_core::Error) {
        assert_ne!(
            err.code().as_str(),
            "internal",
            "{what}: an internal error is a host defect: {err}"
        );
    }
}
