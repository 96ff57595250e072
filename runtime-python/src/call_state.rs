//! What the native `_morph` functions share with the session: the running
//! call, its buffered guest output, and what ended it.
//!
//! **Host state lives here, not in the interpreter**: the guest sees only the
//! functions of `_morph`, which read the running [`Call`] from this state;
//! outside an entry point there is no call and every capability is refused.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use morph_capabilities::{Call, Error, ErrorCode, LimitKind};
use morph_runtime_core::allocation::AllocationMeter;

use crate::watchdog::Tripwire;

/// Most capability errors remembered per call (for propagation of an
/// unhandled `MorphError` with its original code).
const MAX_REMEMBERED_ERRORS: usize = 64;
/// Longest buffered stdout/stderr line before it is flushed anyway.
pub const MAX_LINE: usize = 64 * 1024;

/// State of one session, shared with its native functions.
pub struct CallState {
    /// Runs capability futures from the worker thread.
    pub handle: tokio::runtime::Handle,
    /// The session's interrupt.
    pub wire: Arc<Tripwire>,
    /// Bytes a single guest operation may produce, and a call may allocate
    /// (`max_memory_mb`).
    pub memory_bytes: u64,
    /// The worker thread's allocation count (`None` when the app did not
    /// install the metered allocator).
    pub meter: Option<AllocationMeter>,
    call: RefCell<Option<Call>>,
    generation: Cell<u64>,
    fatal: RefCell<Option<Error>>,
    capability_errors: RefCell<Vec<Error>>,
    out: RefCell<[String; 2]>,
}

impl std::fmt::Debug for CallState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallState")
            .field("generation", &self.generation.get())
            .finish_non_exhaustive()
    }
}

impl CallState {
    /// State for a new session.
    pub fn new(
        handle: tokio::runtime::Handle,
        wire: Arc<Tripwire>,
        memory_bytes: u64,
        meter: Option<AllocationMeter>,
    ) -> Self {
        CallState {
            handle,
            wire,
            memory_bytes,
            meter,
            call: RefCell::new(None),
            generation: Cell::new(0),
            fatal: RefCell::new(None),
            capability_errors: RefCell::new(Vec::new()),
            out: RefCell::new([String::new(), String::new()]),
        }
    }

    /// Starts `call`; returns its generation (for the watchdog).
    pub fn begin(&self, call: Call) -> u64 {
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        *self.call.borrow_mut() = Some(call);
        *self.fatal.borrow_mut() = None;
        self.capability_errors.borrow_mut().clear();
        for buf in self.out.borrow_mut().iter_mut() {
            buf.clear();
        }
        self.wire.begin(generation);
        generation
    }

    /// Ends the running call (pending interrupts become no-ops).
    pub fn end(&self) {
        self.wire.end();
        *self.call.borrow_mut() = None;
    }

    /// The running call.
    pub fn call(&self) -> Option<Call> {
        self.call.borrow().clone()
    }

    /// Whether the watchdog stopped the running call.
    pub fn timed_out(&self) -> bool {
        self.wire.was_tripped(self.generation.get())
    }

    /// What the running call had allocated when the watchdog stopped it for
    /// memory.
    pub fn memory_overrun(&self) -> Option<u64> {
        self.wire.memory_overrun(self.generation.get())
    }

    /// Ends the running call with `error`: it is what the call returns, and
    /// the guest is interrupted at its next instruction, for good.
    pub fn fail(&self, error: Error) {
        let mut fatal = self.fatal.borrow_mut();
        if fatal.is_none() {
            *fatal = Some(error);
        }
        drop(fatal);
        self.wire.trip(self.generation.get());
    }

    /// The error that ended the call, if a host call ended it.
    pub fn take_fatal(&self) -> Option<Error> {
        self.fatal.borrow_mut().take()
    }

    /// Remembers a capability error the guest received.
    pub fn remember(&self, error: Error) {
        let mut errors = self.capability_errors.borrow_mut();
        if errors.len() == MAX_REMEMBERED_ERRORS {
            errors.remove(0);
        }
        errors.push(error);
    }

    /// The capability error with `code` the guest really received, if any.
    pub fn take_capability_error(&self, code: ErrorCode) -> Option<Error> {
        let mut errors = self.capability_errors.borrow_mut();
        let pos = errors.iter().rposition(|e| e.code() == code)?;
        Some(errors.remove(pos))
    }

    /// Appends guest output of stream `fd` (1 stdout, 2 stderr); returns the
    /// complete lines to log.
    pub fn write(&self, fd: usize, text: &str) -> Vec<(&'static str, String)> {
        let level = if fd == 2 { "warn" } else { "info" };
        let mut out = self.out.borrow_mut();
        let buf = &mut out[usize::from(fd == 2)];
        buf.push_str(text);
        let mut lines = Vec::new();
        while let Some(pos) = buf.find('\n') {
            let rest = buf.split_off(pos + 1);
            let mut line = std::mem::replace(buf, rest);
            line.pop();
            lines.push((level, line));
        }
        if buf.len() > MAX_LINE {
            lines.push((level, std::mem::take(buf)));
        }
        lines
    }

    /// Output still buffered (a last line without a newline).
    pub fn drain_output(&self) -> Vec<(&'static str, String)> {
        let mut out = self.out.borrow_mut();
        let mut lines = Vec::new();
        for (i, buf) in out.iter_mut().enumerate() {
            if !buf.is_empty() {
                lines.push((if i == 1 { "warn" } else { "info" }, std::mem::take(buf)));
            }
        }
        lines
    }

    /// The error for a call that allocated `grown` bytes, past the memory cap.
    pub fn allocated_error(&self, grown: u64) -> Error {
        Error::limit(
            LimitKind::Memory,
            format!(
                "the call allocated {} MiB, more than max_memory_mb = {} MiB",
                grown >> 20,
                self.memory_bytes >> 20
            ),
        )
    }

    /// The error for a single operation asking for `bytes` past the memory cap.
    pub fn memory_error(&self, bytes: u64) -> Error {
        Error::limit(
            LimitKind::Memory,
            format!(
                "one operation asked for {bytes} bytes; max_memory_mb allows {}",
                self.memory_bytes
            ),
        )
    }
}
