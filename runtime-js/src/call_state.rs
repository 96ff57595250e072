//! Per-context state of the running call, shared by the `morph` natives, the
//! host hooks, the builtin guards and the job loop.
//!
//! It lives in the context's host data as [`Shared`] and holds the [`Call`]
//! of the entry point that runs (none between calls: **a warm context keeps
//! nothing of a call**), the deadline, the capability errors the guest was
//! given (so a propagated denial keeps its code, as in the wasm ABI) and the
//! fatal error that ended the call from inside a native (a limit), which the
//! guest cannot catch.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use boa_engine::error::RuntimeLimitError;
use boa_engine::{Context, JsError};
use morph_capabilities::{Call, Error, LimitKind};
use morph_runtime_core::allocation::AllocationMeter;

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
    /// Largest `ArrayBuffer` the guest may allocate, in bytes.
    pub max_buffer: u64,
    /// The worker thread's allocation count (soft memory cap; `None` when
    /// the app did not install the metered allocator).
    pub meter: Option<AllocationMeter>,
    /// The count when the running call began.
    pub call_start_bytes: i64,
    /// When a collection was last forced because the call looked over its
    /// cap (garbage counts until collected).
    pub last_collect: Option<Instant>,
}

/// The handle stored in the context's host data.
#[derive(Clone)]
pub(crate) struct Shared(pub Rc<RefCell<CallState>>);

impl Shared {
    pub fn new(
        handle: tokio::runtime::Handle,
        max_buffer: u64,
        meter: Option<AllocationMeter>,
    ) -> Shared {
        Shared(Rc::new(RefCell::new(CallState {
            handle,
            call: None,
            deadline: None,
            capability_errors: Vec::new(),
            fatal: None,
            max_buffer,
            meter,
            call_start_bytes: 0,
            last_collect: None,
        })))
    }

    /// The shared state of `ctx`'s call.
    pub fn of(ctx: &Context) -> Option<Shared> {
        ctx.get_data::<Shared>().cloned()
    }

    /// Starts `call`: every native until [`Shared::end`] runs under it.
    pub fn begin(&self, call: Call) {
        let mut s = self.0.borrow_mut();
        s.deadline = Some(call.context().deadline());
        s.call = Some(call);
        s.capability_errors.clear();
        s.fatal = None;
        s.call_start_bytes = s.meter.as_ref().map_or(0, AllocationMeter::net_bytes);
        s.last_collect = None;
    }

    /// Ends the call; the context holds nothing of it afterwards.
    pub fn end(&self) {
        let mut s = self.0.borrow_mut();
        s.call = None;
        s.deadline = None;
        s.capability_errors.clear();
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

    /// `Err` (uncatchable) once the call's deadline has passed.
    pub fn check_deadline(&self) -> Result<(), JsError> {
        match self.deadline() {
            Some(d) if Instant::now() >= d => Err(self.raise(self.timeout_error())),
            _ => Ok(()),
        }
    }

    /// Checks the deadline, then what the worker thread allocated since the
    /// call began against `max_memory_mb` (soft: checked where the guest
    /// reaches a check, one allocation is not interrupted). Garbage counts
    /// until collected, so a call that looks over its cap is collected once
    /// (at most every [`crate::limits::COLLECT_EVERY`]) and measured again.
    pub fn check_limits(&self) -> Result<(), JsError> {
        self.check_deadline()?;
        let (grown, cap, last_collect) = {
            let s = self.0.borrow();
            let Some(meter) = &s.meter else {
                return Ok(());
            };
            (
                meter.grown_since(s.call_start_bytes),
                s.max_buffer,
                s.last_collect,
            )
        };
        if grown <= cap {
            return Ok(());
        }
        let now = Instant::now();
        if last_collect.is_some_and(|t| now < t + crate::limits::COLLECT_EVERY) {
            return Ok(());
        }
        boa_gc::force_collect();
        let grown = {
            let mut s = self.0.borrow_mut();
            s.last_collect = Some(Instant::now());
            s.meter
                .as_ref()
                .map_or(0, |m| m.grown_since(s.call_start_bytes))
        };
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

    /// The timeout error of the running call.
    pub fn timeout_error(&self) -> Error {
        match self.call() {
            Some(c) => c.context().timeout_error(),
            None => Error::limit(LimitKind::Time, "the guest ran out of time"),
        }
    }
}

/// Checks the deadline (and, throttled, memory) of `ctx`'s call; a no-op
/// outside a call.
pub(crate) fn check_deadline(ctx: &Context) -> Result<(), JsError> {
    match Shared::of(ctx) {
        Some(s) => s.check_limits(),
        None => Ok(()),
    }
}
