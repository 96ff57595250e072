//! Per-context state of the running call, shared by the `morph` natives, the
//! host hooks, the builtin guards and the job loop.
//!
//! It lives in the context's host data as [`Shared`] and holds the [`Call`]
//! of the entry point that runs (none between calls: **a warm context keeps
//! nothing of a call**), the deadline, the capability errors the guest was
//! given (so a propagated denial keeps its code, as in the wasm ABI) and the
//! fatal error that ended the call from inside a native (a limit), which the
//! guest cannot catch. **A cancelled call fails every deadline check**, so
//! the caller's cancellation stops the guest wherever its deadline would.
//!
//! It also holds the call's allocation budget
//! ([`morph_runtime_core::allocation::budget_call`]), opened when the call
//! begins and dropped when it ends: [`Shared::room`] is what the call may
//! still allocate, the figure the builtin size guards
//! ([`crate::size_guards`]) and the `ArrayBuffer` cap refuse against, and
//! [`Shared::check_limits`] compares the call's growth against the same
//! budget.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use boa_engine::error::RuntimeLimitError;
use boa_engine::{Context, JsError};
use morph_capabilities::{Call, Error, LimitKind};
use morph_runtime_core::allocation::{self, CallBudget};

/// Capability errors remembered per call for propagation.
const MAX_REMEMBERED_ERRORS: usize = 64;

/// State of the call running in one context.
pub(crate) struct CallState {
    /// Runs capability futures (captured at load, on the host's runtime).
    pub handle: tokio::runtime::Handle,
    /// The running call, if any.
    pub call: Option<Call>,
    /// Its deadline (copied for cheap checks).
    pub deadline: Option<Instant>,
    /// Capability errors handed to the guest during this call.
    pub capability_errors: Vec<Error>,
    /// The limit that ended the call from inside a native.
    pub fatal: Option<Error>,
    /// `max_memory_mb` in bytes: the budget of every call.
    pub max_memory: u64,
    /// The running call's allocation budget on this thread (`None` between
    /// calls). Dropping it closes the budget.
    pub budget: Option<CallBudget>,
    /// When a collection was last forced by the memory check (garbage
    /// counts until collected).
    pub last_collect: Option<Instant>,
    /// The call's growth measured right after that collection.
    pub grown_at_collect: u64,
}

/// The handle stored in the context's host data.
#[derive(Clone)]
pub(crate) struct Shared(pub Rc<RefCell<CallState>>);

impl Shared {
    pub fn new(handle: tokio::runtime::Handle, max_memory: u64) -> Shared {
        Shared(Rc::new(RefCell::new(CallState {
            handle,
            call: None,
            deadline: None,
            capability_errors: Vec::new(),
            fatal: None,
            max_memory,
            budget: None,
            last_collect: None,
            grown_at_collect: 0,
        })))
    }

    /// The shared state of `ctx`'s call.
    pub fn of(ctx: &Context) -> Option<Shared> {
        ctx.get_data::<Shared>().cloned()
    }

    /// Starts `call`: every native until [`Shared::end`] runs under it, and
    /// the call's allocation budget opens on this thread.
    pub fn begin(&self, call: Call) {
        let mut s = self.0.borrow_mut();
        s.deadline = Some(call.context().deadline());
        s.call = Some(call);
        s.capability_errors.clear();
        s.fatal = None;
        s.last_collect = None;
        s.grown_at_collect = 0;
        // A budget left open (a call that never ended) closes first, so
        // budgets never nest across calls.
        s.budget = None;
        s.budget = Some(allocation::budget_call(s.max_memory));
    }

    /// Ends the call and closes its budget; the context holds nothing of it
    /// afterwards.
    pub fn end(&self) {
        let mut s = self.0.borrow_mut();
        s.call = None;
        s.deadline = None;
        s.capability_errors.clear();
        s.budget = None;
    }

    /// `max_memory_mb` in bytes.
    pub fn max_memory(&self) -> u64 {
        self.0.borrow().max_memory
    }

    /// Bytes the running call may still allocate: what is left of its
    /// budget on the metered thread, or the whole `max_memory_mb` when the
    /// app did not install the metered allocator (or outside a call).
    pub fn room(&self) -> u64 {
        allocation::remaining().unwrap_or_else(|| self.max_memory())
    }

    /// `Ok` when the call may still allocate `bytes`. Otherwise garbage is
    /// collected once (it counts until collected) and the room measured
    /// again; if `bytes` still do not fit, the call ends uncatchably with
    /// `memory_limit`, **before** the allocation is tried. `what` names the
    /// operation in the message.
    pub fn ensure_room(&self, bytes: u64, what: &dyn Fn() -> String) -> Result<(), JsError> {
        if bytes <= self.room() {
            return Ok(());
        }
        if allocation::call_growth().is_some() {
            self.collect();
            if bytes <= self.room() {
                return Ok(());
            }
        }
        let left = self.room();
        Err(self.raise(Error::limit(
            LimitKind::Memory,
            format!(
                "{} would need about {} MiB, more than the {} MiB the call may still \
                 allocate (max_memory_mb = {})",
                what(),
                mib_up(bytes),
                left >> 20,
                self.max_memory() >> 20
            ),
        )))
    }

    /// The room for a buffer whose size the caller does not tell (Boa's
    /// buffer cap hook): [`Shared::room`], after a collection when less
    /// than half the budget is left and at least a sixteenth of it was
    /// allocated since the last collection (garbage buffers count until
    /// collected, and code that is not budgeted, such as `eval`'s, reaches
    /// no other memory check).
    pub fn buffer_room(&self) -> u64 {
        let room = self.room();
        let (max, grown_at_collect) = {
            let s = self.0.borrow();
            (s.max_memory, s.grown_at_collect)
        };
        let Some(grown) = allocation::call_growth() else {
            return room;
        };
        if room >= max / 2 || grown.saturating_sub(grown_at_collect) < max / 16 {
            return room;
        }
        self.collect();
        self.room()
    }

    /// Forces a collection and remembers when, and the growth after it.
    fn collect(&self) {
        boa_gc::force_collect();
        let grown = allocation::call_growth().unwrap_or(0);
        let mut s = self.0.borrow_mut();
        s.last_collect = Some(Instant::now());
        s.grown_at_collect = grown;
    }

    pub fn call(&self) -> Option<Call> {
        self.0.borrow().call.clone()
    }

    pub fn handle(&self) -> tokio::runtime::Handle {
        self.0.borrow().handle.clone()
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.0.borrow().deadline
    }

    /// Remembers a capability error handed to the guest.
    pub fn remember(&self, error: Error) {
        let mut s = self.0.borrow_mut();
        if s.capability_errors.len() == MAX_REMEMBERED_ERRORS {
            s.capability_errors.remove(0);
        }
        s.capability_errors.push(error);
    }

    /// Takes back the remembered capability error with `code`, if the guest
    /// was really given one.
    pub fn take_capability_error(&self, code: &str) -> Option<Error> {
        let mut s = self.0.borrow_mut();
        let pos = s
            .capability_errors
            .iter()
            .rposition(|e| e.code().as_str() == code)?;
        Some(s.capability_errors.remove(pos))
    }

    /// Ends the call with `error` from inside a native: remembers it and
    /// returns an error the guest cannot catch (no `catch`, no `finally`).
    pub fn raise(&self, error: Error) -> JsError {
        let mut s = self.0.borrow_mut();
        if s.fatal.is_none() {
            s.fatal = Some(error);
        }
        JsError::from(RuntimeLimitError::LoopIteration)
    }

    /// The fatal error, if a native ended the call.
    pub fn take_fatal(&self) -> Option<Error> {
        self.0.borrow_mut().fatal.take()
    }

    /// Whether the running call must stop as at its deadline: the deadline
    /// passed or the caller cancelled the call.
    pub fn out_of_time(&self) -> bool {
        let s = self.0.borrow();
        s.deadline.is_some_and(|d| Instant::now() >= d)
            || s.call.as_ref().is_some_and(|c| c.context().is_cancelled())
    }

    /// `Err` (uncatchable) once the call's deadline has passed or the call
    /// was cancelled: every deadline check stops a cancelled call too.
    pub fn check_deadline(&self) -> Result<(), JsError> {
        if self.out_of_time() {
            Err(self.raise(self.timeout_error()))
        } else {
            Ok(())
        }
    }

    /// Checks the deadline, then the call's growth on the worker thread
    /// against its budget, `max_memory_mb` (soft: checked where the guest
    /// reaches a check; the allocator's ceiling, twice the budget, stops a
    /// single operation that goes further). Garbage counts until collected,
    /// so past half the budget a collection is forced once enough was
    /// allocated since the last one (a quarter of the budget past the whole
    /// of it, an eighth below; at most every [`crate::limits::COLLECT_EVERY`]
    /// otherwise): garbage never fills the budget unseen, and a buffer the
    /// call asks for is weighed against what the call holds.
    pub fn check_limits(&self) -> Result<(), JsError> {
        self.check_deadline()?;
        let Some(grown) = allocation::call_growth() else {
            return Ok(());
        };
        let (cap, last_collect, grown_at_collect) = {
            let s = self.0.borrow();
            (s.max_memory, s.last_collect, s.grown_at_collect)
        };
        if grown <= cap / 2 {
            return Ok(());
        }
        let since = grown.saturating_sub(grown_at_collect);
        let recent =
            last_collect.is_some_and(|t| Instant::now() < t + crate::limits::COLLECT_EVERY);
        let collect = if grown > cap {
            !recent || since >= cap / 4
        } else {
            !recent && since >= cap / 8
        };
        if !collect {
            return Ok(());
        }
        self.collect();
        let grown = allocation::call_growth().unwrap_or(0);
        if grown > cap {
            return Err(self.raise(Error::limit(
                LimitKind::Memory,
                format!(
                    "the call allocated {} MiB, more than max_memory_mb = {} MiB",
                    grown >> 20,
                    cap >> 20
                ),
            )));
        }
        Ok(())
    }

    /// The timeout error of the running call (`cancelled` when the caller
    /// cancelled it: it was stopped the same way).
    pub fn timeout_error(&self) -> Error {
        match self.call() {
            Some(c) => c.context().stopped_error(),
            None => Error::limit(LimitKind::Time, "the guest ran out of time"),
        }
    }
}

/// MiB, rounded up.
fn mib_up(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

/// Checks the deadline (and, throttled, memory) of `ctx`'s call; a no-op
/// outside a call.
pub(crate) fn check_deadline(ctx: &Context) -> Result<(), JsError> {
    match Shared::of(ctx) {
        Some(s) => s.check_limits(),
        None => Ok(()),
    }
}
