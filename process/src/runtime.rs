//! [`ProcessRuntime`]: the process isolation tier as a [`MorphRuntime`] the
//! host routes `Isolation::Process` loads to, whatever the extension's
//! language.
//!
//! Each extension gets its own warm workers (never shared with another
//! extension), at most [`ProcessConfig::max_workers`] at once (a call that
//! finds none idle while the spare is still starting starts its own, and the
//! pool gives the extra one back when that call ends), each serving one call
//! at a time. A worker is replaced after
//! [`ProcessConfig::calls_per_worker`] calls and after any limit, crash or
//! protocol break; a replacement runs the guest's `init` again, under a new
//! `init` call.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use morph_capabilities::providers::Event;
use morph_capabilities::{Call, Result};
use morph_runtime_core::{
    InitCall, LimitEnforcement, LoadOptions, LoadRequest, LoadedExtension, MorphRuntime,
    RuntimeInfo,
};
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::child::{Worker, WorkerCommand, reusable};
use crate::protocol::{LoadSpec, PROTOCOL_VERSION, ToWorker};

/// Settings of the process tier.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    /// How workers are started (`morph worker`).
    pub command: WorkerCommand,
    /// Workers (so concurrent calls) per extension.
    pub max_workers: usize,
    /// Calls a worker serves before it is replaced.
    pub calls_per_worker: u32,
    /// Time a worker gets to start and compile, beyond its guest's `init`
    /// budget.
    pub load_allowance: Duration,
}

impl ProcessConfig {
    /// Defaults around `command`: two workers per extension, each replaced
    /// after 1000 calls.
    pub fn new(command: WorkerCommand) -> ProcessConfig {
        ProcessConfig {
            command,
            max_workers: 2,
            calls_per_worker: 1000,
            load_allowance: Duration::from_secs(10),
        }
    }
}

/// Runs every extension loaded through it in `morph worker` processes.
#[derive(Debug)]
pub struct ProcessRuntime {
    config: ProcessConfig,
    pids: Pids,
}

/// Process ids of the live workers of one tier.
type Pids = Arc<Mutex<BTreeSet<u32>>>;

impl ProcessRuntime {
    /// A process tier with `config`.
    pub fn new(config: ProcessConfig) -> ProcessRuntime {
        ProcessRuntime {
            config,
            pids: Pids::default(),
        }
    }

    /// The process ids of the workers alive now, every extension's (for
    /// monitoring).
    pub fn worker_pids(&self) -> Vec<u32> {
        self.pids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect()
    }
}

/// Starts a worker and records its pid while it lives.
async fn start_worker(
    config: &ProcessConfig,
    spec: &LoadSpec,
    init: &Call,
    pids: &Pids,
) -> Result<Tracked> {
    let worker = Worker::start(&config.command, spec, init, config.load_allowance).await?;
    let pid = worker.pid();
    if let Some(pid) = pid {
        pids.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(pid);
    }
    Ok(Tracked {
        worker,
        pid,
        pids: pids.clone(),
    })
}

/// A worker whose pid leaves the tier's list when it is dropped (killed).
struct Tracked {
    worker: Worker,
    pid: Option<u32>,
    pids: Pids,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(pid) = self.pid {
            self.pids
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&pid);
        }
    }
}

#[async_trait]
impl MorphRuntime for ProcessRuntime {
    fn info(&self) -> RuntimeInfo {
        RuntimeInfo {
            id: "process".into(),
            kind: "*".into(),
            engine: "morph worker".into(),
            engine_version: format!("protocol {PROTOCOL_VERSION}"),
        }
    }

    /// Every limit is enforced by the operating system: the worker is killed
    /// at the deadline, its memory is an rlimit, a stack overflow ends only
    /// the worker.
    fn enforcement(&self, _options: &LoadOptions) -> LimitEnforcement {
        LimitEnforcement::HARD
    }

    async fn load(&self, request: LoadRequest<'_>) -> Result<Arc<dyn LoadedExtension>> {
        let spec = LoadSpec {
            version: PROTOCOL_VERSION,
            package_root: request.package.root().to_path_buf(),
            config: (*request.config).clone(),
            identity: (**request.init.identity()).clone(),
            runtime_kind: request.package.manifest().runtime.as_str().to_owned(),
            limits: *request.init.limits(),
            engine: request.options.engine.clone(),
            calls_per_worker: self.config.calls_per_worker,
        };
        let first = start_worker(&self.config, &spec, &request.init.start(), &self.pids).await?;
        let handles_events = first.worker.handles_events;
        let pool = Arc::new(Pool {
            config: self.config.clone(),
            spec,
            init: request.init,
            idle: Mutex::new(vec![first]),
            live: AtomicUsize::new(1),
            permits: Semaphore::new(self.config.max_workers.max(1)),
            pids: self.pids.clone(),
        });
        Ok(Arc::new(ProcessExtension {
            pool,
            handles_events,
        }))
    }
}

/// One extension's workers.
struct ProcessExtension {
    pool: Arc<Pool>,
    handles_events: bool,
}

/// The workers of one extension: idle ones, and how many exist.
struct Pool {
    config: ProcessConfig,
    spec: LoadSpec,
    init: InitCall,
    idle: Mutex<Vec<Tracked>>,
    /// Workers that exist (idle, busy or starting).
    live: AtomicUsize,
    permits: Semaphore,
    pids: Pids,
}

impl Pool {
    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Tracked>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a spare worker in the background when none is idle and the
    /// pool has room, so that the next call (after a violation killed a
    /// worker, or while one is busy) finds one warm.
    fn replenish(self: &Arc<Self>) {
        if !self.idle().is_empty() {
            return;
        }
        let max = self.config.max_workers.max(1);
        if self
            .live
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .is_err()
        {
            return;
        }
        let pool = self.clone();
        tokio::spawn(async move {
            match start_worker(&pool.config, &pool.spec, &pool.init.start(), &pool.pids).await {
                Ok(worker) => pool.idle().push(worker),
                Err(e) => {
                    pool.live.fetch_sub(1, Ordering::SeqCst);
                    tracing::warn!(extension = %pool.spec.identity.id, "a spare worker failed to start: {e}");
                }
            }
        });
    }

    async fn run(self: &Arc<Self>, call: Call, message: ToWorker) -> Result<Value> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| morph_capabilities::Error::internal("the worker pool is closed"))?;
        let mut taken = None;
        while let Some(mut w) = self.idle().pop() {
            if w.worker.is_alive() {
                taken = Some(w);
                break;
            }
            // A warm worker that died while idle (killed from outside) is
            // dropped and replaced.
            self.live.fetch_sub(1, Ordering::SeqCst);
        }
        let (counted, mut worker) = match taken {
            Some(w) => (Counted(self), w),
            None => {
                self.live.fetch_add(1, Ordering::SeqCst);
                let counted = Counted(self);
                // Dropped on failure (or with this future): uncounted.
                let w =
                    start_worker(&self.config, &self.spec, &self.init.start(), &self.pids).await?;
                (counted, w)
            }
        };
        self.replenish();
        // A call whose future is dropped here (cancelled, or abandoned by its
        // caller) drops `worker`, which kills the process, and `counted`.
        let result = worker.worker.run(&call, &message).await;
        // A call that found no idle worker started its own while the spare
        // was still starting: the pool may hold one worker more than
        // `max_workers` for a moment, and gives it back here.
        let over = self.live.load(Ordering::SeqCst) > self.config.max_workers.max(1);
        if reusable(&result)
            && !over
            && worker.worker.calls < self.config.calls_per_worker
            && worker.worker.is_alive()
        {
            self.idle().push(worker);
            std::mem::forget(counted); // still live, now idle
        } else {
            drop(worker); // killed on drop
            drop(counted);
            if !over {
                self.replenish();
            }
        }
        result
    }
}

/// One worker counted in [`Pool::live`] while a call holds it: uncounted
/// when dropped, including when the call's future is dropped midway (a
/// cancelled call), so the count never keeps a worker that was killed.
struct Counted<'a>(&'a Pool);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl LoadedExtension for ProcessExtension {
    async fn execute(&self, call: Call, action: &str, params: Value) -> Result<Value> {
        let message = ToWorker::Execute {
            action: action.to_owned(),
            params,
        };
        self.pool.run(call, message).await
    }

    fn handles_events(&self) -> bool {
        self.handles_events
    }

    async fn on_event(&self, call: Call, event: Event) -> Result<()> {
        self.pool
            .run(call, ToWorker::Event { event })
            .await
            .map(|_| ())
    }
}
