//! The job queue: promise jobs and timers run only inside a call, under its
//! deadline.
//!
//! Microtasks (promise reactions, `queueMicrotask`), async jobs (module
//! loading) and generic jobs run FIFO; timers (`setTimeout`, `setInterval`,
//! enqueued by `boa_runtime` as `TimeoutJob`/`IntervalJob`) wait in a map
//! ordered by due time, then by the order they were set. As in Node, each
//! timer callback is followed by every microtask it queued, and a delay below
//! 1 ms is 1 ms. [`JobQueue::run_jobs`] runs what is runnable **now** and
//! returns; the session's event loop (`JsSession::settle`) sleeps until the
//! earliest timer is due, never past the call's deadline.
//!
//! **Jobs and timers left when a call ends are dropped** ("work after return
//! runs inside the budget or not at all"): a call ends when its promise
//! settles, so a timer still pending then never fires.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, Instant};

use boa_engine::job::{
    GenericJob, IntervalJob, Job, JobExecutor, NativeAsyncJob, PromiseJob, TimeoutJob,
};
use boa_engine::{Context, JsResult};

use crate::call_state::check_deadline;

/// A pending timer.
enum Timer {
    /// `setTimeout`: runs once.
    Once(TimeoutJob),
    /// `setInterval`: runs again every interval until cleared.
    Every(IntervalJob),
}

impl Timer {
    fn cancelled(&self) -> bool {
        match self {
            Timer::Once(t) => t.cancelled(),
            Timer::Every(t) => t.cancelled(),
        }
    }
}

/// The jobs the guest enqueued during the running call.
#[derive(Default)]
pub(crate) struct JobQueue {
    promise: RefCell<VecDeque<PromiseJob>>,
    asyncs: RefCell<VecDeque<NativeAsyncJob>>,
    generic: RefCell<VecDeque<GenericJob>>,
    /// Timers by (due time, sequence number).
    timers: RefCell<BTreeMap<(Instant, u64), Timer>>,
    /// The next timer's sequence number (keeps same-time timers in order).
    seq: Cell<u64>,
}

/// The delay of a timer: at least 1 ms, as in Node.
fn delay(millis: u64) -> Duration {
    Duration::from_millis(millis.max(1))
}

impl JobQueue {
    /// Drops every pending job and timer.
    pub fn clear(&self) {
        self.promise.borrow_mut().clear();
        self.asyncs.borrow_mut().clear();
        self.generic.borrow_mut().clear();
        // Dropping a timer job revokes its cancellation token.
        let timers = std::mem::take(&mut *self.timers.borrow_mut());
        drop(timers);
    }

    /// Whether a job (not a timer) is waiting.
    pub fn has_runnable(&self) -> bool {
        !(self.promise.borrow().is_empty()
            && self.asyncs.borrow().is_empty()
            && self.generic.borrow().is_empty())
    }

    /// When the earliest live timer is due (cancelled ones are forgotten).
    pub fn next_timer(&self) -> Option<Instant> {
        let mut timers = self.timers.borrow_mut();
        timers.retain(|_, t| !t.cancelled());
        timers.keys().next().map(|(due, _)| *due)
    }

    fn add_timer(&self, due: Instant, timer: Timer) {
        let seq = self.seq.get();
        self.seq.set(seq.wrapping_add(1));
        self.timers.borrow_mut().insert((due, seq), timer);
    }

    /// Takes the earliest timer if it is due.
    fn take_due_timer(&self) -> Option<Timer> {
        let now = Instant::now();
        let mut timers = self.timers.borrow_mut();
        loop {
            let entry = timers.first_entry()?;
            if entry.get().cancelled() {
                entry.remove();
                continue;
            }
            if entry.key().0 > now {
                return None;
            }
            return Some(entry.remove());
        }
    }

    /// Runs the microtasks, async and generic jobs queued so far, FIFO.
    /// Returns `Ok(false)` when none was waiting.
    fn run_one_job(&self, context: &mut Context) -> JsResult<bool> {
        let promise = self.promise.borrow_mut().pop_front();
        if let Some(job) = promise {
            job.call(context)?;
            return Ok(true);
        }
        let asyncs = self.asyncs.borrow_mut().pop_front();
        if let Some(job) = asyncs {
            run_async(job, context)?;
            return Ok(true);
        }
        let generic = self.generic.borrow_mut().pop_front();
        match generic {
            Some(job) => {
                job.call(context)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl JobExecutor for JobQueue {
    fn enqueue_job(self: Rc<Self>, job: Job, _context: &mut Context) {
        match job {
            Job::PromiseJob(j) => self.promise.borrow_mut().push_back(j),
            Job::AsyncJob(j) => self.asyncs.borrow_mut().push_back(j),
            Job::GenericJob(j) => self.generic.borrow_mut().push_back(j),
            Job::TimeoutJob(t) => {
                let due = Instant::now() + delay(t.timeout().as_millis());
                self.add_timer(due, Timer::Once(t));
            }
            Job::IntervalJob(t) => {
                let due = Instant::now() + delay(t.interval().as_millis());
                self.add_timer(due, Timer::Every(t));
            }
            // `FinalizationRegistry` callbacks never run in the sandbox
            // (allowed by the spec: cleanup is optional).
            _ => {}
        }
    }

    /// Runs every job that is runnable now: microtasks until none is left,
    /// then one due timer, then its microtasks, and so on. Checks the
    /// deadline before each job.
    fn run_jobs(self: Rc<Self>, context: &mut Context) -> JsResult<()> {
        loop {
            check_deadline(context)?;
            if self.run_one_job(context)? {
                continue;
            }
            match self.take_due_timer() {
                None => return Ok(()),
                Some(Timer::Once(job)) => {
                    job.call(context)?;
                }
                Some(Timer::Every(job)) => {
                    job.call(context)?;
                    if !job.cancelled() {
                        let due = Instant::now() + delay(job.interval().as_millis());
                        self.add_timer(due, Timer::Every(job));
                    }
                }
            }
        }
    }
}

/// Runs an async job (module loading, dynamic `import()`) to completion,
/// checking the deadline between polls.
fn run_async(job: NativeAsyncJob, context: &mut Context) -> JsResult<()> {
    let cell = RefCell::new(context);
    let mut fut = pin!(job.call(&cell));
    let mut cx = TaskContext::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(r) = fut.as_mut().poll(&mut cx) {
            return r.map(drop);
        }
        if let Ok(ctx) = cell.try_borrow() {
            check_deadline(&ctx)?;
        }
    }
}
