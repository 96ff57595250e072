//! `RhaiRuntime`: the `MorphRuntime` for `runtime: rhai`.
//!
//! Loading compiles the entry script (a syntax error is `invalid_package`),
//! checks that it defines `execute(action, params)`, starts the extension's
//! worker pool and builds one instance there, so a failing `init` fails the
//! load with `init_failed`. `Pooled` (the default) keeps instances warm;
//! `PerCall` gives every call a fresh one.

use std::sync::Arc;

use async_trait::async_trait;
use morph_runtime_core::capabilities::providers::Event;
use morph_runtime_core::workers::{WorkerPool, WorkerPoolConfig};
use morph_runtime_core::{
    Call, Enforcement, Error, Isolation, LimitEnforcement, LoadOptions, LoadRequest,
    LoadedExtension, MorphRuntime, Result, RuntimeInfo,
};
use serde_json::Value;

use crate::instance::{Instance, Job, Recipe, WORKER_STACK, engine, has_fn};

/// Uses after which a warm instance is replaced under `Pooled`.
const RECYCLE_AFTER: u32 = 1000;

/// The Rhai runtime.
#[derive(Debug, Clone)]
pub struct RhaiRuntime {
    /// Worker threads (warm instances) per extension.
    pub workers: usize,
}

impl Default for RhaiRuntime {
    fn default() -> Self {
        RhaiRuntime { workers: 2 }
    }
}

/// A loaded Rhai extension.
struct RhaiExtension {
    pool: WorkerPool<Instance>,
    has_on_event: bool,
}

#[async_trait]
impl MorphRuntime for RhaiRuntime {
    fn info(&self) -> RuntimeInfo {
        RuntimeInfo {
            id: "rhai".into(),
            kind: "rhai".into(),
            engine: "rhai".into(),
            engine_version: "1.27".into(),
        }
    }

    /// Every operation looks at the deadline and call depth is capped, so
    /// time and stack are hard; the size caps bound each value but not their
    /// sum, so memory is soft.
    fn enforcement(&self, _options: &LoadOptions) -> LimitEnforcement {
        LimitEnforcement {
            execution: Enforcement::Hard,
            memory: Enforcement::Soft,
            stack: Enforcement::Hard,
        }
    }

    async fn load(&self, request: LoadRequest<'_>) -> Result<Arc<dyn LoadedExtension>> {
        let recycle_after = match request.options.isolation {
            None | Some(Isolation::Pooled) => RECYCLE_AFTER,
            Some(Isolation::PerCall | Isolation::Fresh) => 1,
            Some(Isolation::Process) => {
                return Err(Error::RuntimeUnavailable {
                    reason: "the rhai runtime runs in-process only (no process isolation)".into(),
                });
            }
        };
        let manifest = request.package.manifest();
        let source = String::from_utf8(request.package.read_entry()?).map_err(|_| {
            Error::InvalidPackage {
                reason: "the entry script is not UTF-8".into(),
            }
        })?;
        let limits = manifest.resource_limits;
        let ast = engine(&limits)
            .compile(&source)
            .map_err(|e| Error::InvalidPackage {
                reason: format!("the entry script does not compile: {e}"),
            })?;
        if !has_fn(&ast, "execute", 2) {
            return Err(Error::InvalidPackage {
                reason: "the entry script defines no `fn execute(action, params)`".into(),
            });
        }
        let has_on_event = has_fn(&ast, "on_event", 1);
        let recipe = Recipe {
            ast: Arc::new(ast),
            limits,
            handle: tokio::runtime::Handle::current(),
            init: request.init.clone(),
            config: request.config.clone(),
        };
        let pool = WorkerPool::new(
            WorkerPoolConfig {
                name: format!("morph-rhai-{}", manifest.extension_id),
                max_workers: self.workers,
                stack_size: WORKER_STACK,
                recycle_after,
                build_ahead: false,
            },
            move |_job: &Call| Instance::new(&recipe),
        );
        // Build one instance now: a failing `init` fails the load.
        pool.run(request.init.start(), Job::Warm).await?;
        Ok(Arc::new(RhaiExtension { pool, has_on_event }))
    }
}

#[async_trait]
impl LoadedExtension for RhaiExtension {
    async fn execute(&self, call: Call, action: &str, params: Value) -> Result<Value> {
        self.pool
            .run(call, Job::Execute(action.to_owned(), params))
            .await
    }

    fn handles_events(&self) -> bool {
        self.has_on_event
    }

    async fn on_event(&self, call: Call, event: Event) -> Result<()> {
        let event = serde_json::to_value(&event)
            .map_err(|e| Error::internal(format!("encoding the event: {e}")))?;
        self.pool.run(call, Job::OnEvent(event)).await.map(drop)
    }
}

morph_runtime_core::register_runtime!(|| Arc::new(RhaiRuntime::default()));
