//! How the brief's limits are enforced on Boa, and how hard each is.
//!
//! | limit | mechanism | strength |
//! | --- | --- | --- |
//! | `max_execution_ms` | entry points run through `Script::evaluate_async_with_budget`, polled by `drive`, which checks the deadline every [`BUDGET`] instruction units; natives, callback guards, promise jobs and `eval` check it too | hard for bytecode, including loops in nested JS calls |
//! | same, for JS called back from native code and for module top-level code | the guards of `crate::guards` check the deadline on every callback; Boa's loop-iteration limit ([`loop_limit`], scaled to the deadline) stops a loop in any frame | soft: bounded, not exact |
//! | `stack_overflow` | Boa's recursion limit ([`RECURSION_LIMIT`]) and value-stack limit; source nesting is checked before parsing ([`crate::source_check`]) | hard |
//! | `max_memory_mb`, one builtin sized from guest input | each call opens an allocation budget of `max_memory_mb` ([`morph_runtime_core::allocation::budget_call`]); the size guards of `crate::size_guards` estimate what `join`, `repeat`, `padStart`, `concat`, `normalize`, `split`, `replaceAll`, `fill`, `Array.from`, `flat`, `toSorted`, `apply`, `JSON.stringify`, `Object.keys`, `BigInt.asUintN`, ... would allocate and end the call with `memory_limit` **before** allocating when it exceeds what the call may still allocate (its growth so far counted, so a small operation after big live data is refused too); buffers and typed arrays are refused by Boa under the same figure (its `RangeError`; uncaught, `memory_limit`) | hard for the guarded builtins (no abort); estimates, not exact: see `crate::size_guards` |
//! | `max_memory_mb`, everything else | the call's growth on the worker thread is checked wherever the deadline is (after a forced collection: garbage counts until collected, so one is forced early once half the budget is used); the allocator's ceiling, [`CEILING_FACTOR`](morph_runtime_core::allocation::CEILING_FACTOR) times the budget, stops one operation that goes further (a spread of a huge string, `s += s`, `JSON.parse` of a few MiB, a `BigInt` `**`): the worker pool answers `memory_limit` and retires the worker | soft: a single opcode or an unguarded native allocates up to twice the budget before it is stopped; without the metered allocator only the guarded builtins (against the whole `max_memory_mb`) and buffers are capped |
//! | `max_output_kb` | the result is converted with the output left as its budget; logs are charged by the broker | hard |
//!
//! **A cancelled call fails every deadline check above**, so the caller's
//! cancellation stops the guest wherever its deadline would, as promptly
//! (a loop in a frame called back from native code, which only the
//! loop-iteration limit stops, runs to that limit or its next check).
//!
//! **What stays for the process tier** (issue 8): one native operation that
//! runs long without calling back into guest code cannot be interrupted in
//! process: a catastrophic regular expression (`/^(a+)+$/` on 28 `a`s runs
//! ~6 s), a huge `sort` without comparator, a `concat` or `flat` over a huge
//! sparse array, a `split` or `replaceAll` with many matches (Boa restarts
//! its search from the start of the string for each match). Their overshoot
//! past the deadline is the duration of that one operation; the call still
//! ends with `timeout` afterwards and the context is discarded. The builtins
//! that would *allocate* past the budget in one go (`'x'.repeat(2**29)`,
//! `Array.from({length: 1e8})`, `new Array(1e8).fill(0)`) are now refused
//! before they start.

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
