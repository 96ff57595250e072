//! How a guest call's outcome becomes a Morph error with a stable code.
//!
//! In order: a limit a host call hit (`output_too_large`, ...), the deadline
//! (`timeout`, whatever the guest did with the interrupt), `RecursionError`
//! (`stack_overflow`), `MemoryError` (`memory_limit`), `SystemExit`
//! (`guest_crash`: the guest ended its own interpreter), an unhandled
//! `morph.MorphError` carrying a code one of its capability calls really
//! returned (that capability error), and anything else (`guest_error` with
//! the message and the traceback, formatted host-side).

use morph_capabilities::{Error, ErrorCode, GuestFault, LimitKind};
use rustpython_vm::AsObject;
use rustpython_vm::VirtualMachine;
use rustpython_vm::builtins::{PyBaseExceptionRef, PyStr};

use crate::call_state::CallState;
use crate::traceback;

/// The error a call that raised `exc` ends with.
pub fn from_exception(vm: &VirtualMachine, state: &CallState, exc: &PyBaseExceptionRef) -> Error {
    if let Some(fatal) = state.take_fatal() {
        return fatal;
    }
    if state.timed_out() {
        return timeout(state);
    }
    let excs = &vm.ctx.exceptions;
    let formatted = traceback::format(vm, exc);
    if exc.fast_isinstance(excs.recursion_error) {
        return Error::limit(
            LimitKind::Stack,
            format!(
                "the guest recursed past the limit of {} frames ({})",
                crate::sandbox::RECURSION_LIMIT,
                formatted.message
            ),
        );
    }
    if exc.fast_isinstance(excs.memory_error) {
        return Error::limit(
            LimitKind::Memory,
            format!("the guest ran out of memory ({})", formatted.message),
        );
    }
    if exc.fast_isinstance(excs.system_exit) {
        return Error::GuestCrash {
            reason: format!("the guest exited: {}", formatted.message),
        };
    }
    if let Some(code) = morph_error_code(exc)
        && let Some(original) = state.take_capability_error(code)
    {
        return original;
    }
    Error::Guest(GuestFault {
        message: formatted.message,
        stack: Some(formatted.stack),
    })
}

/// The call's timeout error (`cancelled` when the caller cancelled it: the
/// watchdog stopped it the same way).
pub fn timeout(state: &CallState) -> Error {
    match state.call() {
        Some(call) => call.context().stopped_error(),
        None => Error::limit(LimitKind::Time, "the guest ran out of time"),
    }
}

/// The `code` of a `MorphError`, read from the instance dict without running
/// guest code (no attribute lookup, no `__eq__` on guest keys).
fn morph_error_code(exc: &PyBaseExceptionRef) -> Option<ErrorCode> {
    if exc.class().name().as_ref() as &str != "MorphError" {
        return None;
    }
    let dict = exc.as_object().dict()?;
    for (key, value) in dict.into_iter().take(64) {
        let (Some(k), Some(v)) = (key.downcast_ref::<PyStr>(), value.downcast_ref::<PyStr>())
        else {
            continue;
        };
        if k.to_str() == Some("code") {
            return v.to_str().and_then(ErrorCode::parse);
        }
    }
    None
}
