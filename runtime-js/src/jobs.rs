//! The job queue: promise jobs run only inside a call, under its deadline.
//!
//! There are no timers (`setTimeout` does not exist), so a promise settles
//! only through jobs this queue runs. **Jobs left when a call ends are
//! dropped** ("work after return runs inside the budget or not at all").

use std::cell::RefCell;
use std::collections::VecDeque;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context as TaskContext, Poll, Waker};

use boa_engine::job::{GenericJob, Job, JobExecutor, NativeAsyncJob, PromiseJob};
use boa_engine::{Context, JsResult};

use crate::call_state::check_deadline;

/// A FIFO of the jobs the guest enqueued during the running call.
#[derive(Default)]
pub(crate) struct JobQueue {
    promise: RefCell<VecDeque<PromiseJob>>,
    asyncs: RefCell<VecDeque<NativeAsyncJob>>,
    generic: RefCell<VecDeque<GenericJob>>,
}

impl JobQueue {
    /// Drops every pending job.
    pub fn clear(&self) {
        self.promise.borrow_mut().clear();
        self.asyncs.borrow_mut().clear();
        self.generic.borrow_mut().clear();
    }

    /// Whether any job is waiting.
    pub fn is_empty(&self) -> bool {
        self.promise.borrow().is_empty()
            && self.asyncs.borrow().is_empty()
            && self.generic.borrow().is_empty()
    }
}

impl JobExecutor for JobQueue {
    fn enqueue_job(self: Rc<Self>, job: Job, _context: &mut Context) {
        match job {
            Job::PromiseJob(j) => self.promise.borrow_mut().push_back(j),
            Job::AsyncJob(j) => self.asyncs.borrow_mut().push_back(j),
            Job::GenericJob(j) => self.generic.borrow_mut().push_back(j),
            // No timers in the sandbox: such jobs never run.
            _ => {}
        }
    }

    fn run_jobs(self: Rc<Self>, context: &mut Context) -> JsResult<()> {
        loop {
            check_deadline(context)?;
            let promise = self.promise.borrow_mut().pop_front();
            if let Some(job) = promise {
                job.call(context)?;
                continue;
            }
            let asyncs = self.asyncs.borrow_mut().pop_front();
            if let Some(job) = asyncs {
                run_async(job, context)?;
                continue;
            }
            let generic = self.generic.borrow_mut().pop_front();
            match generic {
                Some(job) => {
                    job.call(context)?;
                }
                None => return Ok(()),
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
