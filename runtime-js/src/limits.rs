//! How the brief's limits are enforced on Boa, and how hard each is.
//!
//! | limit | mechanism | strength |
//! | --- | --- | --- |
//! | `max_execution_ms` | entry points run through `Script::evaluate_async_with_budget`, polled by `drive`, which checks the deadline every [`BUDGET`] instruction units; natives, callback guards, promise jobs and `eval` check it too | hard for bytecode, including loops in nested JS calls |
//! | same, for JS called back from native code and for module top-level code | the guards of `crate::guards` check the deadline on every callback; Boa's loop-iteration limit ([`loop_limit`], scaled to the deadline) stops a loop in any frame | soft: bounded, not exact |
//! | `stack_overflow` | Boa's recursion limit ([`RECURSION_LIMIT`]) and value-stack limit; source nesting is checked before parsing ([`crate::source_check`]) | hard |
//! | `max_memory_mb` | `ArrayBuffer`s are capped at it; what the worker thread allocated since the call began ([`morph_runtime_core::allocation`], when the app installs the metered allocator) is checked wherever the deadline is, after a forced collection | soft: one allocation is not interrupted; without the metered allocator only `ArrayBuffer`s are capped |
//! | `max_output_kb` | the result is converted with the output left as its budget; logs are charged by the broker | hard |
//!
//! **What stays for the process tier** (issue 8): one native operation that
//! runs long without calling back into guest code cannot be interrupted in
//! process: a catastrophic regular expression (`/^(a+)+$/` on 28 `a`s runs
//! ~6 s), `Array.from({length: 1e8})` without a callback, `'x'.repeat(2**29)`,
//! `new Array(1e8).fill(0)`, a huge `sort` without comparator. Their
//! overshoot past the deadline is the duration of that one operation; the
//! call still ends with `timeout` afterwards and the context is discarded.
//! Memory is soft in the same way: one big allocation happens before it is
//! noticed.

use std::future::Future;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use boa_engine::Context;
use boa_engine::vm::RuntimeLimits;
use morph_capabilities::{Error, ResourceLimits};

use crate::call_state::Shared;

/// Instruction units between two deadline checks of budgeted evaluation.
pub const BUDGET: u32 = 64;
/// Deepest JS call nesting (JS to JS calls use no native stack; native
/// re-entries do, and the worker stack is sized for this many).
pub const RECURSION_LIMIT: usize = 5000;
/// Loop iterations one function frame may run per millisecond of
/// `max_execution_ms` (Boa runs roughly 10 to 30 million simple iterations a
/// second, so a runaway frame stops within about 1x to 2x the deadline).
pub const LOOP_ITERATIONS_PER_MS: u64 = 20_000;
/// The least time between two collections forced by the memory check.
pub const COLLECT_EVERY: Duration = Duration::from_millis(5);

/// The loop-iteration limit of one frame for `limits`.
pub fn loop_limit(limits: &ResourceLimits) -> u64 {
    limits
        .max_execution_ms
        .saturating_mul(LOOP_ITERATIONS_PER_MS)
        .max(100_000)
}

/// Applies the engine limits for `limits` to `ctx`.
pub(crate) fn apply(ctx: &mut Context, limits: &ResourceLimits) {
    let mut rl = RuntimeLimits::default();
    rl.set_loop_iteration_limit(loop_limit(limits));
    rl.set_recursion_limit(RECURSION_LIMIT);
    rl.set_stack_size_limit(1 << 20);
    ctx.set_runtime_limits(rl);
}

/// Polls budgeted evaluation to completion, checking the call's limits each
/// time the engine yields. When a limit is passed the evaluation is dropped
/// mid-flight (the context is then unusable and is discarded by the pool).
///
/// # Errors
/// The limit that stopped the evaluation.
pub(crate) fn drive<T>(fut: impl Future<Output = T>, shared: &Shared) -> Result<T, Error> {
    let mut fut = pin!(fut);
    let mut cx = TaskContext::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return Ok(v);
        }
        if shared.check_limits().is_err() {
            return Err(shared
                .take_fatal()
                .unwrap_or_else(|| shared.timeout_error()));
        }
    }
}
