//! `Pooled` isolation: warm instances of one extension on worker threads.
//!
//! Engine stores are `!Send` (wasmer's), so each warm instance lives on the
//! worker thread that created it and jobs travel to it over a channel.
//! **A pool belongs to one extension and never serves another**; an instance
//! is discarded after any violation (a limit, a crash, a failed `init`) and
//! after [`RECYCLE_AFTER`] uses, so the next job gets a fresh one.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use morph_capabilities::{Call, Error, ErrorCode, Result};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::engine::{CompiledModule, Entry, Instance};
use crate::instance_run::{fresh_instance, run_entry};

/// Uses after which a warm instance is replaced.
pub const RECYCLE_AFTER: u32 = 1000;

struct Job {
    call: Call,
    entry: Entry,
    input: Vec<u8>,
    reply: oneshot::Sender<Result<Value>>,
}

/// Worker threads holding warm instances of one module.
pub struct Pool {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

/// What a worker needs to build instances.
#[derive(Clone)]
pub(crate) struct InstanceRecipe {
    pub module: Arc<dyn CompiledModule>,
    pub handle: tokio::runtime::Handle,
    pub init_input: Option<Arc<Vec<u8>>>,
}

impl Pool {
    /// Starts `workers` threads for `recipe`.
    ///
    /// # Errors
    /// `internal` when a thread cannot be spawned.
    pub(crate) fn start(recipe: InstanceRecipe, workers: usize, name: &str) -> Result<Pool> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers.max(1) {
            let rx = rx.clone();
            let recipe = recipe.clone();
            std::thread::Builder::new()
                .name(format!("morph-wasm-{name}-{i}"))
                .spawn(move || worker(&recipe, &rx))
                .map_err(|e| Error::internal(format!("cannot start a pool worker: {e}")))?;
        }
        Ok(Pool {
            jobs: Mutex::new(tx),
        })
    }

    /// Runs `entry` with `input` on a warm instance under `call`.
    ///
    /// # Errors
    /// Whatever the guest call ends with; `internal` if the pool is gone.
    pub async fn run(&self, call: Call, entry: Entry, input: Vec<u8>) -> Result<Value> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            call,
            entry,
            input,
            reply,
        };
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .send(job)
            .map_err(|_| Error::internal("the instance pool has shut down"))?;
        answer
            .await
            .map_err(|_| Error::internal("a pool worker stopped before answering"))?
    }
}

fn worker(recipe: &InstanceRecipe, jobs: &Mutex<mpsc::Receiver<Job>>) {
    let mut warm: Option<(Box<dyn Instance>, u32)> = None;
    loop {
        let job = {
            let rx = jobs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match rx.recv() {
                Ok(job) => job,
                Err(_) => return, // the pool was dropped
            }
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let (mut instance, uses) = match warm.take() {
                Some(w) => w,
                None => (fresh_instance(recipe, &job.call)?, 0),
            };
            let result = run_entry(instance.as_mut(), job.call.clone(), job.entry, &job.input);
            let keep = uses + 1 < RECYCLE_AFTER
                && result
                    .as_ref()
                    .err()
                    .is_none_or(|e| !is_violation(e.code()));
            if keep {
                warm = Some((instance, uses + 1));
            }
            result
        }));
        let result = outcome.unwrap_or_else(|_| {
            warm = None;
            Err(Error::internal(
                "the engine panicked; the instance was discarded",
            ))
        });
        let _ = job.reply.send(result);
    }
}

/// Errors after which an instance must not be reused.
pub(crate) fn is_violation(code: ErrorCode) -> bool {
    !matches!(
        code,
        ErrorCode::GuestError
            | ErrorCode::PermissionDenied
            | ErrorCode::HostNotAllowed
            | ErrorCode::RateLimited
            | ErrorCode::CapabilityFailed
            | ErrorCode::UnknownCapability
            | ErrorCode::InvalidParams
    )
}
