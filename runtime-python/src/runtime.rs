//! `PythonRuntime`: the `MorphRuntime` for `runtime: python`, on RustPython.
//!
//! Loading reads the entry through the package (never from a guest-chosen
//! path), then proves the module compiles, defines `execute` and that its
//! `init` succeeds, in the pool's first session, before handing the
//! extension out. `Pooled` is the default: an interpreter costs
//! milliseconds to create.

use std::sync::Arc;

use async_trait::async_trait;
use morph_capabilities::{Error, Result};
use morph_runtime_core::workers::{WorkerPool, WorkerPoolConfig};
use morph_runtime_core::{
    Enforcement, Isolation, LimitEnforcement, LoadOptions, LoadRequest, LoadedExtension,
    MorphRuntime, RuntimeInfo,
};

use crate::extension::PythonExtension;
use crate::session::{EntrySource, Job, PySession};

/// The RustPython version this runtime is built on.
pub const ENGINE_VERSION: &str = "0.5.0";

/// Settings of a [`PythonRuntime`].
#[derive(Debug, Clone)]
pub struct PythonConfig {
    /// Worker threads (warm interpreters) per extension.
    pub pool_workers: usize,
    /// Stack of each worker thread, in bytes: large enough that the
    /// recursion limit is reached before the native stack runs out.
    pub stack_size: usize,
    /// Calls after which a pooled interpreter is replaced.
    pub recycle_after: u32,
}

impl Default for PythonConfig {
    fn default() -> Self {
        PythonConfig {
            pool_workers: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(4),
            stack_size: 256 * 1024 * 1024,
            recycle_after: 10_000,
        }
    }
}

/// The Python runtime.
#[derive(Debug, Default)]
pub struct PythonRuntime {
    config: PythonConfig,
}

impl PythonRuntime {
    /// A runtime with `config`.
    pub fn new(config: PythonConfig) -> PythonRuntime {
        PythonRuntime { config }
    }
}

#[async_trait]
impl MorphRuntime for PythonRuntime {
    fn info(&self) -> RuntimeInfo {
        RuntimeInfo {
            id: "python".into(),
            kind: "python".into(),
            engine: "rustpython".into(),
            engine_version: ENGINE_VERSION.into(),
        }
    }

    /// The interrupt holds (every frame raises) until the call unwinds and
    /// recursion is capped well inside the worker's stack, but one native operation (a slow
    /// regex, big-int work under the size guard) runs to its end before the
    /// interrupt is seen, and memory is what the worker thread allocated
    /// during the call (with the metered allocator installed), polled by the
    /// watchdog, plus a size guard on single big operations: time and memory
    /// are soft, the stack hard.
    fn enforcement(&self, _options: &LoadOptions) -> LimitEnforcement {
        LimitEnforcement {
            execution: Enforcement::Soft,
            memory: Enforcement::Soft,
            stack: Enforcement::Hard,
        }
    }

    /// The worker thread's stack (reserved in full) and RustPython at rest
    /// with its stdlib loaded: measured 17 MiB of data beyond the stack in a
    /// `morph worker` after a call (debug build, `VmData` in
    /// `/proc/PID/status`), given 64 MiB.
    fn engine_reserve(&self) -> u64 {
        self.config.stack_size as u64 + (64 << 20)
    }

    async fn load(&self, request: LoadRequest<'_>) -> Result<Arc<dyn LoadedExtension>> {
        let isolation = request.options.isolation.unwrap_or(Isolation::Pooled);
        let recycle_after = match isolation {
            Isolation::Pooled => self.config.recycle_after.max(1),
            Isolation::PerCall | Isolation::Fresh => 1,
            Isolation::Process => {
                return Err(Error::RuntimeUnavailable {
                    reason: "process isolation is not available for Python in this build yet"
                        .into(),
                });
            }
        };
        let source = Arc::new(EntrySource::read(request.package, request.config.clone())?);
        let handle = tokio::runtime::Handle::current();
        let id = &request.package.manifest().extension_id;
        let factory_source = source.clone();
        let init = request.init.clone();
        let per_call = isolation == Isolation::PerCall;
        let pool = WorkerPool::new(
            WorkerPoolConfig {
                name: format!("morph-py-{}", id.chars().take(12).collect::<String>()),
                max_workers: self.config.pool_workers.max(1),
                stack_size: self.config.stack_size,
                recycle_after,
                build_ahead: isolation == Isolation::Fresh,
            },
            move |call| {
                // PerCall: `init` runs under the call that needs the
                // interpreter; Pooled and Fresh: under an `init` call of its own (as
                // JS), so a session that replaces one a violation discarded
                // does not fail the next call, whose deadline its wait in
                // the queue may have used up, as `init_failed`.
                if per_call {
                    PySession::create(&factory_source, call, handle.clone())
                } else {
                    PySession::create(&factory_source, &init.start(), handle.clone())
                }
            },
        );
        // The first session proves the module and its `init`; under
        // `Pooled` it stays warm for the first call.
        pool.run(request.init.start(), Job::Warm)
            .await
            .map_err(|e| match e.code() {
                morph_capabilities::ErrorCode::InvalidPackage
                | morph_capabilities::ErrorCode::InitFailed => e,
                _ => Error::InitFailed(Box::new(e)),
            })?;
        let has_on_event = defines_on_event(&source.code);
        Ok(Arc::new(PythonExtension { pool, has_on_event }))
    }
}

/// Whether the module source defines `on_event` at top level (read from the
/// source so the answer needs no interpreter on this thread).
fn defines_on_event(code: &str) -> bool {
    code.lines()
        .any(|l| l.starts_with("def on_event(") || l.starts_with("async def on_event("))
}

morph_runtime_core::register_runtime!(|| Arc::new(PythonRuntime::default()));
