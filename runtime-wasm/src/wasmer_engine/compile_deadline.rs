//! The compile deadline (`max_compile_ms`) on wasmer.
//!
//! Cranelift cannot be interrupted inside a function, but it compiles a
//! module function by function (in buckets, the largest functions first, on
//! a few threads) and offers two hooks, both used here:
//!
//! - every operator of every function passes through the compiler's
//!   middleware chain first. [`CompileDeadline`] is the first middleware: it
//!   forwards a function's operators unchanged, except that **a function
//!   whose translation starts after the deadline is replaced by
//!   `unreachable`** (its operators are dropped up to its final `end`), so
//!   it costs next to nothing to finish. Failing the translation instead
//!   would leave Cranelift's function builder half-used for the next
//!   function on that thread, which then panics;
//! - wasmer reports progress after each compiled function and trampoline to
//!   a callback ([`CompileDeadline::progress`]); once the deadline has
//!   passed, it answers with an abort, and wasmer abandons the compilation.
//!
//! Either way, **a module compiled past its deadline is never used or
//! cached**: [`CompileDeadline::expired`] says so whatever wasmer returned,
//! and the caller refuses the module. Compilation ends within the functions
//! in flight at the deadline (function bodies are capped by
//! [`crate::budget::MAX_FUNCTION_BODY_BYTES`]) plus one trivial function per
//! bucket left. The middleware changes no operator of a module compiled in
//! time, so it is not part of the cache key.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use wasmer::LocalFunctionIndex;
use wasmer::sys::{FunctionMiddleware, MiddlewareError, MiddlewareReaderState, ModuleMiddleware};
use wasmer::wasmparser::Operator;
use wasmer_types::{CompilationProgressCallback, UserAbort};

/// The deadline of one module's compilation.
#[derive(Debug)]
pub(super) struct CompileDeadline {
    limit: Duration,
    deadline: Option<Instant>,
    expired: Arc<AtomicBool>,
}

impl CompileDeadline {
    /// A deadline `limit` from now.
    pub(super) fn starting_now(limit: Duration) -> CompileDeadline {
        CompileDeadline {
            limit,
            deadline: Instant::now().checked_add(limit),
            expired: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The time the compilation was given.
    pub(super) fn limit(&self) -> Duration {
        self.limit
    }

    /// Whether the deadline cut the compilation short (a function was
    /// replaced or wasmer was told to abort): the module must not be used.
    pub(super) fn expired(&self) -> bool {
        self.expired.load(Ordering::Relaxed)
    }

    /// The progress callback that aborts the compilation past the deadline.
    pub(super) fn progress(&self) -> CompilationProgressCallback {
        let deadline = self.deadline;
        let expired = self.expired.clone();
        CompilationProgressCallback::new(move |_| {
            if passed(deadline, &expired) {
                Err(UserAbort::new("max_compile_ms elapsed"))
            } else {
                Ok(())
            }
        })
    }
}

/// Whether `deadline` has passed (remembered in `expired`).
fn passed(deadline: Option<Instant>, expired: &AtomicBool) -> bool {
    if expired.load(Ordering::Relaxed) {
        return true;
    }
    if deadline.is_some_and(|d| Instant::now() >= d) {
        expired.store(true, Ordering::Relaxed);
        return true;
    }
    false
}

impl ModuleMiddleware for CompileDeadline {
    fn generate_function_middleware<'a>(
        &self,
        _: LocalFunctionIndex,
    ) -> Box<dyn FunctionMiddleware<'a> + 'a> {
        Box::new(FunctionDeadline {
            deadline: self.deadline,
            expired: self.expired.clone(),
            state: State::Start,
        })
    }
}

/// What happens to one function's operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first operator: the clock decides.
    Start,
    /// In time: every operator goes on unchanged.
    Forward,
    /// Too late: the body became `unreachable`; operators are dropped, with
    /// the depth of the blocks they open, until the function's own `end`.
    Drop { depth: u32 },
}

/// The deadline while one function is translated.
#[derive(Debug)]
struct FunctionDeadline {
    deadline: Option<Instant>,
    expired: Arc<AtomicBool>,
    state: State,
}

impl<'a> FunctionMiddleware<'a> for FunctionDeadline {
    fn feed(
        &mut self,
        operator: Operator<'a>,
        state: &mut MiddlewareReaderState<'a>,
    ) -> Result<(), MiddlewareError> {
        if self.state == State::Start {
            self.state = if passed(self.deadline, &self.expired) {
                state.push_operator(Operator::Unreachable);
                State::Drop { depth: 0 }
            } else {
                State::Forward
            };
        }
        let State::Drop { depth } = &mut self.state else {
            state.push_operator(operator);
            return Ok(());
        };
        // Validation admitted only the feature set's operators; the
        // exceptions' blocks are counted all the same.
        match operator {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Try { .. }
            | Operator::TryTable { .. } => *depth += 1,
            Operator::End if *depth == 0 => state.push_operator(operator),
            Operator::End | Operator::Delegate { .. } => *depth = depth.saturating_sub(1),
            _ => {}
        }
        Ok(())
    }
}
