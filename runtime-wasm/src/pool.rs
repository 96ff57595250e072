//! `Pooled` isolation: warm instances of one extension on worker threads.
//!
//! wasmer's `Store` is `!Send`, so each warm instance lives on the worker
//! thread that created it: a [`WorkerPool`] of [`WarmInstance`] sessions.
//! **A pool belongs to one extension and never serves another**; an instance
//! is discarded after any violation (a limit, a crash, a failed `init`) and
//! after [`RECYCLE_AFTER`] uses. A new warm instance runs the guest's `init`
//! under its own `init` call, never under the job that happened to need it.

use morph_capabilities::{Call, Result};
use morph_runtime_core::InitCall;
use morph_runtime_core::workers::{Session, WorkerPool, WorkerPoolConfig};
use serde_json::Value;

use crate::engine::{CompiledModule, Entry, Input, Instance};
use crate::instance_run::{fresh_instance, run_entry};

/// Uses after which a warm instance is replaced.
pub const RECYCLE_AFTER: u32 = 1000;

/// Worker threads keep their default-sized stacks: guest code runs on the
/// engines' own stacks, not on the worker's.
const WORKER_STACK: usize = 2 << 20;

/// What a worker needs to build instances.
#[derive(Clone)]
pub(crate) struct InstanceRecipe {
    pub module: std::sync::Arc<dyn CompiledModule>,
    pub handle: tokio::runtime::Handle,
    pub init_input: Option<std::sync::Arc<Input>>,
}

/// One warm instance on a worker thread.
pub(crate) struct WarmInstance(Box<dyn Instance>);

impl Session for WarmInstance {
    type Job = (Entry, Input);

    fn run(&mut self, call: Call, (entry, input): (Entry, Input)) -> Result<Value> {
        run_entry(self.0.as_mut(), call, entry, &input)
    }
}

/// The pool of warm instances of one extension.
pub(crate) type Pool = WorkerPool<WarmInstance>;

/// A pool of up to `workers` warm instances of `recipe` for extension `name`.
pub(crate) fn start(recipe: InstanceRecipe, init: InitCall, workers: usize, name: &str) -> Pool {
    let config = WorkerPoolConfig {
        name: format!("morph-wasm-{name}"),
        max_workers: workers,
        stack_size: WORKER_STACK,
        recycle_after: RECYCLE_AFTER,
        build_ahead: false,
    };
    WorkerPool::new(config, move |_job: &Call| {
        fresh_instance(&recipe, &init.start()).map(WarmInstance)
    })
}
