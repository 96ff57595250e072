//! `JsRuntime`: the `MorphRuntime` for `runtime: js`, on Boa.
//!
//! Loading reads the package's module files once through the package (never
//! from a guest-chosen host path; see `package_sources`), then proves on a
//! worker that the entry and its static imports parse and link, that it
//! exports `execute` and that its `init` succeeds, before the extension is
//! handed out.

use std::sync::Arc;

use async_trait::async_trait;
use morph_capabilities::{Error, Result};
use morph_runtime_core::workers::{WorkerPool, WorkerPoolConfig};
use morph_runtime_core::{
    Enforcement, Isolation, LimitEnforcement, LoadOptions, LoadRequest, LoadedExtension,
    MorphRuntime, RuntimeInfo,
};

use crate::extension::JsExtension;
use crate::package_sources::PackageSources;
use crate::session::{Job, JsSession, Program};

/// Uses after which a warm context is replaced (`Pooled`).
pub const RECYCLE_AFTER: u32 = 1000;

/// Stack of each worker thread. Boa's parser needs up to ~250 KiB per
/// nesting level; [`crate::source_check`] keeps accepted sources well within
/// this. The stack is reserved, not committed: untouched pages cost nothing.
pub const WORKER_STACK: usize = 256 << 20;

/// The Boa version this runtime is built and certified with.
pub const ENGINE_VERSION: &str = "0.22.0";

/// Settings of a [`JsRuntime`].
#[derive(Debug, Clone)]
pub struct JsConfig {
    /// Worker threads (warm contexts) per extension.
    pub pool_workers: usize,
    /// Isolation when the app does not choose (`Pooled`).
    pub default_isolation: Isolation,
    /// Uses after which a warm context is replaced.
    pub recycle_after: u32,
}

impl Default for JsConfig {
    fn default() -> Self {
        JsConfig {
            pool_workers: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(4),
            default_isolation: Isolation::Pooled,
            recycle_after: RECYCLE_AFTER,
        }
    }
}

/// The JavaScript runtime.
#[derive(Debug, Clone, Default)]
pub struct JsRuntime {
    config: JsConfig,
}

impl JsRuntime {
    /// A runtime with `config`.
    pub fn new(config: JsConfig) -> JsRuntime {
        JsRuntime { config }
    }
}

#[async_trait]
impl MorphRuntime for JsRuntime {
    fn info(&self) -> RuntimeInfo {
        RuntimeInfo {
            id: "js".into(),
            kind: "js".into(),
            engine: "boa".into(),
            engine_version: ENGINE_VERSION.into(),
        }
    }

    /// Recursion is capped before the native stack runs out (hard). Time is
    /// checked in bytecode and guarded callbacks, but one long native
    /// operation (a catastrophic regex, a huge `repeat`) runs to its end
    /// first, and memory is what the worker thread allocated during the call,
    /// checked between operations: both soft (`limits.rs`).
    fn enforcement(&self, _options: &LoadOptions) -> LimitEnforcement {
        LimitEnforcement {
            execution: Enforcement::Soft,
            memory: Enforcement::Soft,
            stack: Enforcement::Hard,
        }
    }

    /// The worker thread's stack (reserved in full) and Boa at rest:
    /// measured 11 MiB of data beyond the stack in a `morph worker` after a
    /// call (debug build, `VmData` in `/proc/PID/status`), given 64 MiB.
    fn engine_reserve(&self) -> u64 {
        WORKER_STACK as u64 + (64 << 20)
    }

    async fn load(&self, request: LoadRequest<'_>) -> Result<Arc<dyn LoadedExtension>> {
        if let Some(engine) = request.options.engine.as_deref()
            && engine != "boa"
        {
            return Err(Error::RuntimeUnavailable {
                reason: format!("JS engine `{engine}` is not available (available: boa)"),
            });
        }
        let isolation = request
            .options
            .isolation
            .unwrap_or(self.config.default_isolation);
        if isolation == Isolation::Process {
            return Err(Error::RuntimeUnavailable {
                reason: "process isolation is not available in this build yet".into(),
            });
        }
        let manifest = request.package.manifest();
        let sources = Arc::new(PackageSources::read(request.package)?);
        let program = Arc::new(Program {
            entry: sources.entry().to_owned(),
            sources,
            config: request.config.clone(),
            limits: manifest.resource_limits,
            handle: tokio::runtime::Handle::current(),
        });
        let recycle_after = match isolation {
            Isolation::PerCall | Isolation::Fresh => 1,
            _ => self.config.recycle_after.max(1),
        };
        let init = request.init.clone();
        let per_call = isolation == Isolation::PerCall;
        let pool = WorkerPool::new(
            WorkerPoolConfig {
                name: format!("morph-js-{}", manifest.extension_id),
                max_workers: self.config.pool_workers.max(1),
                stack_size: WORKER_STACK,
                recycle_after,
                build_ahead: isolation == Isolation::Fresh,
            },
            move |job_call| {
                // PerCall: `init` runs under the call that needs the
                // context; Pooled and Fresh: under an `init` call of its own.
                if per_call {
                    JsSession::new(&program, job_call)
                } else {
                    JsSession::new(&program, &init.start())
                }
            },
        );
        // Prove the module loads and `init` succeeds before handing it out.
        let probe = pool.run(request.init.start(), Job::Probe).await?;
        let has_on_event = probe
            .get("on_event")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        Ok(Arc::new(JsExtension { pool, has_on_event }))
    }
}

morph_runtime_core::register_runtime!(|| Arc::new(JsRuntime::default()));
