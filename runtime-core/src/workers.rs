//! Worker threads that own `!Send` engine state for one extension.
//!
//! wasmer's `Store`, Boa's `Context` and RustPython's interpreter cannot cross
//! threads, so a runtime keeps them on worker threads and sends each call to
//! them as a job. A [`WorkerPool`] belongs to **one extension and never serves
//! another**. Each worker keeps at most one warm [`Session`]; a session is
//! discarded after a [violation](is_violation), after a panic, and after
//! [`WorkerPoolConfig::recycle_after`] uses, so the next job gets a fresh one.
//! `recycle_after: 1` gives `PerCall` isolation: every job a fresh session.
//!
//! Workers start lazily, one more whenever a job arrives and none is idle, up
//! to [`WorkerPoolConfig::max_workers`], so a thousand loaded extensions do
//! not cost a thousand idle threads each. A worker still busy with a job
//! whose caller gave up (an engine stalled in one native operation past the
//! host's deadline backstop) still counts: **an extension never holds more
//! busy workers than `max_workers`**, and later jobs wait for one. A job
//! whose caller gave up (its future was dropped) is skipped, and a job whose
//! deadline passed while it waited ends in `timeout` without touching a
//! session.
//!
//! A worker whose call reaches its allocation ceiling
//! ([`crate::allocation`]) answers that call with `memory_limit` from inside
//! the allocator and is **retired**: its thread parks for good with the
//! call's memory (at most the ceiling), the pool forgets it and starts
//! another worker for the next job.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use morph_capabilities::{Call, Error, ErrorCode, LimitKind, Result};
use serde_json::Value;
use tokio::sync::oneshot;

/// Warm engine state on one worker thread (an instance, a context, an
/// interpreter). Created by the pool's factory on the worker thread.
pub trait Session: 'static {
    /// What a job carries besides its [`Call`] (an entry point and input).
    type Job: Send + 'static;

    /// Runs one job under `call`. An error for which [`is_violation`] holds
    /// discards the session.
    ///
    /// # Errors
    /// Whatever the guest call ends with.
    fn run(&mut self, call: Call, job: Self::Job) -> Result<Value>;
}

/// Sizing of a [`WorkerPool`].
#[derive(Debug, Clone)]
pub struct WorkerPoolConfig {
    /// Thread name prefix (`morph-js-<extension>`).
    pub name: String,
    /// Most threads (and so warm sessions) for this extension.
    pub max_workers: usize,
    /// Stack size of each worker thread, in bytes.
    pub stack_size: usize,
    /// Uses after which a warm session is replaced (`1`: per call).
    pub recycle_after: u32,
    /// Build the next session as soon as one is discarded, shortly after
    /// the call that used it was answered, rather than when the next job
    /// arrives.
    /// The factory then gets the call that just ended, so it must build
    /// under a call of its own ([`crate::Isolation::Fresh`]).
    pub build_ahead: bool,
}

/// Builds a session on a worker thread. It gets the call of the job that
/// needs the session (a `PerCall` guest's `init` runs under it).
pub type SessionFactory<S> = dyn Fn(&Call) -> Result<S> + Send + Sync + 'static;

thread_local! {
    /// The reply of the job this worker thread is running, and how to
    /// retire the worker, for [`answer_at_ceiling`].
    static RUNNING: RefCell<Running> = const { RefCell::new(Running { reply: None, retire: None }) };
}

struct Running {
    reply: Option<oneshot::Sender<Result<Value>>>,
    retire: Option<Box<dyn Fn()>>,
}

/// Registered with the allocator: a worker's call reached its ceiling. Runs
/// on that worker's thread, which parks for good afterwards.
fn answer_at_ceiling(growth: u64, budget: u64) {
    // `try_borrow_mut`: nothing may panic inside the allocator.
    let (reply, retire) = RUNNING
        .try_with(|r| match r.try_borrow_mut() {
            Ok(mut r) => (r.reply.take(), r.retire.take()),
            Err(_) => (None, None),
        })
        .unwrap_or((None, None));
    if let Some(retire) = retire {
        retire();
    }
    if let Some(reply) = reply {
        let _ = reply.send(Err(Error::limit(
            LimitKind::Memory,
            format!(
                "one operation would take the call's allocations to {} MiB, past {}x \
                 max_memory_mb ({} MiB); the worker was retired",
                growth >> 20,
                crate::allocation::CEILING_FACTOR,
                budget >> 20
            ),
        )));
    }
}

struct Job<J> {
    call: Call,
    job: J,
    reply: oneshot::Sender<Result<Value>>,
}

struct Shared<S: Session> {
    config: WorkerPoolConfig,
    factory: Box<SessionFactory<S>>,
    queue: Mutex<mpsc::Receiver<Job<S::Job>>>,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    /// Threads started.
    spawned: usize,
    /// Threads waiting for a job (or starting up to wait for one).
    idle: usize,
    /// Jobs sent that no worker has taken yet.
    waiting: usize,
}

/// Worker threads holding warm sessions of one extension.
pub struct WorkerPool<S: Session> {
    jobs: Mutex<mpsc::Sender<Job<S::Job>>>,
    shared: Arc<Shared<S>>,
}

impl<S: Session> std::fmt::Debug for WorkerPool<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerPool")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl<S: Session> WorkerPool<S> {
    /// A pool that builds sessions with `factory`. No thread starts until
    /// the first job.
    pub fn new(
        config: WorkerPoolConfig,
        factory: impl Fn(&Call) -> Result<S> + Send + Sync + 'static,
    ) -> WorkerPool<S> {
        crate::allocation::on_ceiling(answer_at_ceiling);
        let (tx, rx) = mpsc::channel();
        WorkerPool {
            jobs: Mutex::new(tx),
            shared: Arc::new(Shared {
                config,
                factory: Box::new(factory),
                queue: Mutex::new(rx),
                counts: Mutex::new(Counts::default()),
            }),
        }
    }

    /// Runs `job` on a warm (or new) session under `call`.
    ///
    /// # Errors
    /// Whatever the guest call ends with; `timeout` when the deadline passed
    /// while the job waited; `internal` when no worker can be started or a
    /// worker died before answering.
    pub async fn run(&self, call: Call, job: S::Job) -> Result<Value> {
        let (reply, answer) = oneshot::channel();
        self.ensure_worker()?;
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(Job { call, job, reply })
            .map_err(|_| Error::internal("the worker pool has shut down"))?;
        answer
            .await
            .map_err(|_| Error::internal("a worker stopped before answering"))?
    }

    /// Counts the job about to be sent and starts one more worker when the
    /// jobs waiting outnumber the idle workers and the cap allows, so jobs
    /// sent together run together (up to the cap) and jobs sent one after
    /// another share one worker.
    fn ensure_worker(&self) -> Result<()> {
        let mut counts = self
            .shared
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.waiting += 1;
        if counts.waiting <= counts.idle || counts.spawned >= self.shared.config.max_workers.max(1)
        {
            return Ok(());
        }
        let shared = self.shared.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("{}-{}", shared.config.name, counts.spawned))
            .stack_size(shared.config.stack_size)
            .spawn(move || worker(shared));
        match spawned {
            Ok(_) => {
                counts.spawned += 1;
                counts.idle += 1;
                Ok(())
            }
            Err(e) if counts.spawned > 0 => {
                // The workers already running will take the job.
                tracing::warn!("cannot start another worker thread: {e}");
                Ok(())
            }
            Err(e) => {
                counts.waiting -= 1;
                Err(Error::internal(format!(
                    "cannot start a worker thread: {e}"
                )))
            }
        }
    }
}

/// Worker threads alive in this process, every pool together.
static LIVE_THREADS: AtomicUsize = AtomicUsize::new(0);
/// Worker processes alive (the process tier counts them with [`LiveWorker`]).
static LIVE_PROCESSES: AtomicUsize = AtomicUsize::new(0);

/// Worker threads alive in this process (what `/metrics` reports).
pub fn live_worker_threads() -> usize {
    LIVE_THREADS.load(Ordering::Relaxed)
}

/// Worker processes alive, as counted by the process tier.
pub fn live_worker_processes() -> usize {
    LIVE_PROCESSES.load(Ordering::Relaxed)
}

/// Counts one live worker (a thread, or a process of the process tier)
/// from creation to drop.
#[derive(Debug)]
pub struct LiveWorker {
    process: bool,
}

impl LiveWorker {
    /// A worker thread.
    pub fn thread() -> LiveWorker {
        LIVE_THREADS.fetch_add(1, Ordering::Relaxed);
        LiveWorker { process: false }
    }

    /// A worker process.
    pub fn process() -> LiveWorker {
        LIVE_PROCESSES.fetch_add(1, Ordering::Relaxed);
        LiveWorker { process: true }
    }
}

impl Drop for LiveWorker {
    fn drop(&mut self) {
        let gauge = if self.process {
            &LIVE_PROCESSES
        } else {
            &LIVE_THREADS
        };
        gauge.fetch_sub(1, Ordering::Relaxed);
    }
}

fn worker<S: Session>(shared: Arc<Shared<S>>) {
    let _live = LiveWorker::thread();
    let retiring = Arc::downgrade(&shared);
    let retire: Box<dyn Fn()> = Box::new(move || {
        // This thread will never take a job again: the pool may start
        // another in its place.
        if let Some(shared) = retiring.upgrade() {
            let mut counts = shared.counts.lock().unwrap_or_else(PoisonError::into_inner);
            counts.spawned = counts.spawned.saturating_sub(1);
        }
    });
    let _ = RUNNING.try_with(|r| r.borrow_mut().retire = Some(retire));
    let shared = &*shared;
    let mut warm: Option<(S, u32)> = None;
    let mut next = None;
    loop {
        let job = match next.take() {
            Some(job) => job,
            None => {
                let queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
                match queue.recv() {
                    Ok(job) => job,
                    Err(_) => return, // the pool was dropped
                }
            }
        };
        {
            let mut counts = shared.counts.lock().unwrap_or_else(PoisonError::into_inner);
            counts.idle -= 1;
            counts.waiting -= 1;
        }
        let ahead = shared.config.build_ahead.then(|| job.call.clone());
        let mut discarded = None;
        let answer = serve(shared, &mut warm, &mut discarded, job);
        // After a retirement at the ceiling this thread never gets here.
        // Idle again before the caller hears back, so a call made right
        // after this one finds this worker instead of starting another.
        shared
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .idle += 1;
        if let Some((reply, result)) = answer {
            let _ = reply.send(result);
        }
        // After the answer: the caller does not wait for the teardown of a
        // discarded session, nor for the build of the next one.
        if let Some(call) = ahead
            && warm.is_none()
        {
            // Leave the CPU to the answer on its way out first; a job that
            // comes meanwhile gets its session built as it would have
            // waited for this one.
            let waited = {
                let queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
                queue.recv_timeout(AHEAD_DELAY)
            };
            drop(discarded);
            match waited {
                Ok(job) => next = Some(job),
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let built = catch_unwind(AssertUnwindSafe(|| (shared.factory)(&call)));
                    if let Ok(Ok(session)) = built {
                        warm = Some((session, 0));
                    }
                }
            }
        } else {
            drop(discarded);
        }
    }
}

/// How long a worker that builds ahead ([`WorkerPoolConfig::build_ahead`])
/// waits after an answer before it builds: the answer's way back to its
/// caller (a tokio worker, a socket or pipe, another process) needs the CPU
/// first on a small machine.
const AHEAD_DELAY: std::time::Duration = std::time::Duration::from_millis(2);

/// The reply channel of a job and what to send on it.
type Answer = (oneshot::Sender<Result<Value>>, Result<Value>);

/// Runs `job` on the warm session (or a new one). A session used up (its
/// uses, or a violation) goes to `discarded`, for the caller to drop after
/// the answer is sent.
fn serve<S: Session>(
    shared: &Shared<S>,
    warm: &mut Option<(S, u32)>,
    discarded: &mut Option<S>,
    job: Job<S::Job>,
) -> Option<Answer> {
    let Job { call, job, reply } = job;
    if reply.is_closed() {
        return None; // the caller gave up (its future was dropped)
    }
    if Instant::now() >= call.context().deadline() {
        let timeout = Err(call.context().timeout_error());
        return Some((reply, timeout));
    }
    let _ = RUNNING.try_with(|r| r.borrow_mut().reply = Some(reply));
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let (mut session, uses) = match warm.take() {
            Some(w) => w,
            None => ((shared.factory)(&call)?, 0),
        };
        let result = session.run(call, job);
        let keep = uses + 1 < shared.config.recycle_after
            && result
                .as_ref()
                .err()
                .is_none_or(|e| !is_violation(e.code()));
        if keep {
            *warm = Some((session, uses + 1));
        } else {
            *discarded = Some(session);
        }
        result
    }));
    let result = outcome.unwrap_or_else(|_| {
        *warm = None;
        Err(Error::internal(
            "the engine panicked; its state was discarded",
        ))
    });
    let reply = RUNNING
        .try_with(|r| r.borrow_mut().reply.take())
        .ok()
        .flatten()?;
    Some((reply, result))
}

/// Whether an error leaves engine state that must not serve another call
/// (a limit, a crash, an internal failure). Errors the guest raised or
/// handled itself (`guest_error`, a denied or failed capability) do not.
pub fn is_violation(code: ErrorCode) -> bool {
    !matches!(
        code,
        ErrorCode::GuestError
            | ErrorCode::PermissionDenied
            | ErrorCode::HostNotAllowed
            | ErrorCode::RateLimited
            | ErrorCode::CapabilityFailed
            | ErrorCode::UnknownCapability
            | ErrorCode::InvalidRequest
            | ErrorCode::InvalidParams
    )
}
