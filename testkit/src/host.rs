//! A host on a temporary data dir, with a memory audit sink, for tests.

use std::sync::Arc;

use morph_runtime_core::capabilities::QuarantineConfig;
use morph_runtime_core::capabilities::audit::{AuditRecord, MemoryAuditSink};
use morph_runtime_core::{Host, LoadOptions, MorphRuntime, Result};
use serde_json::Value;

use crate::PackageSpec;

/// A host with one runtime, a temporary data dir and a memory audit sink.
/// Its quarantine is off: runtime suites break limits on purpose, many times
/// over on one extension (the quarantine has tests of its own).
pub struct TestHost {
    /// Holds the data dir and the packages; removed on drop.
    pub dir: tempfile::TempDir,
    /// The host.
    pub host: Host,
    /// Every audit record the broker wrote.
    pub audit: Arc<MemoryAuditSink>,
}

impl TestHost {
    /// A host with only `runtime`, loading with `options`.
    pub fn new(runtime: Arc<dyn MorphRuntime>, options: LoadOptions) -> TestHost {
        TestHost::with_process_tier(runtime, options, None)
    }

    /// Like [`TestHost::new`], with `process` as the tier that serves
    /// `Isolation::Process` loads.
    pub fn with_process_tier(
        runtime: Arc<dyn MorphRuntime>,
        options: LoadOptions,
        process: Option<Arc<dyn MorphRuntime>>,
    ) -> TestHost {
        let dir = tempfile::tempdir().expect("tempdir");
        let audit = Arc::new(MemoryAuditSink::new());
        let mut builder = Host::builder()
            .with_data_dir(dir.path().join("data"))
            .with_audit_sink(audit.clone())
            .without_linked_runtimes()
            .with_runtime(runtime)
            .with_load_options(options)
            .with_quarantine(QuarantineConfig::disabled());
        if let Some(tier) = process {
            builder = builder.with_process_isolation(tier);
        }
        let host = builder.build().expect("build host");
        TestHost { dir, host, audit }
    }

    /// Writes `spec` under the temporary dir and loads it with `config`.
    ///
    /// # Errors
    /// Whatever `Host::load` ends with.
    pub async fn load(&self, spec: &PackageSpec, config: Value) -> Result<String> {
        let pkg = spec.write(&self.dir.path().join("packages"));
        self.host.load(&pkg, config).await
    }

    /// Runs `action` of extension `id`.
    ///
    /// # Errors
    /// Whatever the call ends with.
    pub async fn run(&self, id: &str, action: &str, params: Value) -> Result<Value> {
        self.host.execute(id, action, params).await
    }

    /// The error code `action` ends with (panics if it succeeds).
    pub async fn code(&self, id: &str, action: &str, params: Value) -> String {
        match self.run(id, action, params).await {
            Ok(v) => panic!("{action} succeeded with {v}"),
            Err(e) => e.code().as_str().to_owned(),
        }
    }

    /// Audit records of extension `id` so far.
    pub fn audit_of(&self, id: &str) -> Vec<AuditRecord> {
        self.audit
            .records()
            .into_iter()
            .filter(|r| r.entry.extension == id)
            .collect()
    }
}
