//! Per-thread allocation metering: how in-process engines that cannot cap
//! their own heap (Boa, RustPython) measure what one call allocates.
//!
//! The process's resident set is shared by every extension and the app, so
//! it cannot say which call grew it. [`MeteredAllocator`] wraps the global
//! allocator and, on threads that asked for it, keeps a running count of the
//! bytes allocated minus the bytes freed on that thread. A runtime's worker
//! thread calls [`meter_current_thread`] once; a call compares the count
//! against its value when the call began.
//!
//! The app opts in by installing the allocator in its binary (the `morph`
//! CLI does):
//!
//! ```
//! #[global_allocator]
//! static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
//!     morph_runtime_core::allocation::MeteredAllocator::system();
//! ```
//!
//! Without it, [`meter_current_thread`] returns `None` and the runtimes say
//! so: their memory limit falls back to what the engine itself can refuse.
//!
//! **Unmetered threads pay one thread-local read per allocation; metered
//! threads one relaxed atomic add and one more thread-local read.** The count is attributed to the thread
//! that allocated or freed: memory allocated on a worker and freed elsewhere
//! (a result handed back to the host) stays counted, which is why calls
//! measure growth from their own start rather than from the session's.
//!
//! # Call budgets
//!
//! A runtime opens a [`CallBudget`] around each guest call with the call's
//! `max_memory_mb`. Two figures follow from it:
//!
//! - [`remaining`]: what the call may still allocate. Engine builtins that
//!   size an allocation from guest input check it **before** allocating and
//!   throw the engine's own memory error (Rust aborts on a failed
//!   allocation, so refusing first is the only way to say no in-process).
//! - the **ceiling**, [`CEILING_FACTOR`] times the budget: an allocation that
//!   would take the call's growth past it **never happens**. No runtime can
//!   check every native path, so this is the backstop for the ones it missed
//!   (a native loop filling a list from an endless iterator). The allocator
//!   cannot fail the allocation (that aborts the process) nor unwind (an
//!   allocator must not), so it calls the hook registered with
//!   [`on_ceiling`] (the worker pool answers the call with `memory_limit`
//!   and retires the worker) and then **parks the thread for good**: the
//!   process keeps at most the ceiling of that call, and every other
//!   extension carries on. A process that asked for [`exit_on_exhaustion`]
//!   (a process-isolation worker) exits with that status instead.
//!
//! Host work done on a guest's thread that may hold locks shared with the
//! rest of the process (a capability call, a log line) runs under
//! [`unbudgeted`], so the backstop never parks a thread holding them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, Ordering};

/// Set once the metered allocator has served an allocation.
static INSTALLED: AtomicBool = AtomicBool::new(false);
/// Whether new meters may start ([`set_metering`], for benchmarks).
static METERING: AtomicBool = AtomicBool::new(true);
/// Exit status on a failed allocation (`0`: let the caller handle it).
static EXIT_ON_EXHAUSTION: AtomicI32 = AtomicI32::new(0);

thread_local! {
    /// The counter of this thread, or null when the thread is not metered.
    /// Const-initialised and without a destructor, so the allocator may read
    /// it at any time, including while the thread is being torn down.
    static COUNTER: Cell<*const AtomicI64> = const { Cell::new(std::ptr::null()) };
    /// The budget of the call running on this thread.
    static BUDGET: Cell<Budget> = const { Cell::new(Budget::NONE) };
}

/// How many times its budget a call may grow before the backstop stops it.
pub const CEILING_FACTOR: u64 = 2;

/// The hook called (once, on the call's thread) before a thread is parked at
/// its ceiling, with the call's growth and budget.
static CEILING_HOOK: std::sync::OnceLock<fn(u64, u64)> = std::sync::OnceLock::new();

/// One call's budget on its thread.
#[derive(Debug, Clone, Copy)]
struct Budget {
    /// The thread's count when the call began.
    start: i64,
    /// Bytes the call may grow (`0`: no budget).
    limit: u64,
    /// Nesting of [`unbudgeted`] sections (the ceiling is not enforced).
    suspended: u32,
    /// Set while the thread is being stopped at its ceiling.
    stopping: bool,
}

impl Budget {
    const NONE: Budget = Budget {
        start: 0,
        limit: 0,
        suspended: 0,
        stopping: false,
    };
}

/// A global allocator that meters allocations on threads that ask for it
/// ([`meter_current_thread`]) and passes everything to the inner allocator.
#[derive(Debug, Default)]
pub struct MeteredAllocator<A = System> {
    inner: A,
}

impl MeteredAllocator<System> {
    /// Metering over the system allocator.
    pub const fn system() -> Self {
        MeteredAllocator { inner: System }
    }
}

impl<A> MeteredAllocator<A> {
    /// Metering over `inner` (for apps with their own allocator).
    pub const fn new(inner: A) -> Self {
        MeteredAllocator { inner }
    }
}

#[inline]
fn charge(delta: i64) {
    if !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
    }
    // `try_with`: during thread teardown the slot may be gone; nothing to
    // count then.
    let _ = COUNTER.try_with(|c| {
        let ptr = c.get();
        if !ptr.is_null() {
            // SAFETY: a non-null pointer is only stored by
            // `meter_current_thread`, whose `ThreadMeter` keeps the `Arc`
            // alive and clears the slot (on this same thread) before
            // releasing it.
            unsafe { &*ptr }.fetch_add(delta, Ordering::Relaxed);
        }
    });
}

/// Makes a failed allocation end the process at once with `status` (a
/// process-isolation worker under its memory rlimit does this, so that its
/// host can tell memory exhaustion from a crash). Only takes effect with
/// [`MeteredAllocator`] installed.
pub fn exit_on_exhaustion(status: i32) {
    EXIT_ON_EXHAUSTION.store(status, Ordering::SeqCst);
}

#[cold]
fn exhausted() {
    let status = EXIT_ON_EXHAUSTION.load(Ordering::Relaxed);
    if status == 0 {
        return;
    }
    #[cfg(unix)]
    {
        const MESSAGE: &[u8] = b"morph worker: out of memory\n";
        // SAFETY: write and _exit are async-signal-safe and allocate nothing.
        unsafe {
            libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
            libc::_exit(status);
        }
    }
    #[cfg(not(unix))]
    std::process::abort();
}

/// The ceiling check before an allocation of `size` more bytes.
#[inline]
fn before_growth(size: usize) {
    let Ok(ptr) = COUNTER.try_with(Cell::get) else {
        return;
    };
    if ptr.is_null() {
        return;
    }
    let Ok(budget) = BUDGET.try_with(Cell::get) else {
        return;
    };
    if budget.limit == 0 || budget.suspended > 0 || budget.stopping {
        return;
    }
    // SAFETY: as in `charge`: the slot's pointer is kept alive by its
    // `ThreadMeter` on this thread.
    let net = unsafe { &*ptr }.load(Ordering::Relaxed);
    let growth = net.saturating_sub(budget.start).saturating_add(bytes(size));
    let ceiling = budget.limit.saturating_mul(CEILING_FACTOR);
    if u64::try_from(growth).unwrap_or(0) > ceiling {
        stop_at_ceiling(u64::try_from(growth).unwrap_or(0), budget.limit);
    }
}

/// Stops this thread before an allocation past its call's ceiling: exits a
/// worker process, or answers the call through the hook and parks for good.
#[cold]
#[inline(never)]
fn stop_at_ceiling(growth: u64, limit: u64) {
    // Allocations from here on (the hook's answer, parking) pass unchecked.
    let _ = BUDGET.try_with(|b| {
        let mut v = b.get();
        v.stopping = true;
        b.set(v);
    });
    let status = EXIT_ON_EXHAUSTION.load(Ordering::Relaxed);
    if status != 0 {
        exhausted();
    }
    if let Some(hook) = CEILING_HOOK.get() {
        hook(growth, limit);
    }
    loop {
        std::thread::park();
    }
}

fn bytes(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

// SAFETY: every method forwards to the inner allocator with the caller's
// arguments unchanged; metering only updates a counter.
unsafe impl<A: GlobalAlloc> GlobalAlloc for MeteredAllocator<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        before_growth(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { self.inner.alloc(layout) };
        if ptr.is_null() {
            exhausted();
        } else {
            charge(bytes(layout.size()));
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        before_growth(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { self.inner.alloc_zeroed(layout) };
        if ptr.is_null() {
            exhausted();
        } else {
            charge(bytes(layout.size()));
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.inner.dealloc(ptr, layout) };
        charge(-bytes(layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        before_growth(new_size.saturating_sub(layout.size()));
        // SAFETY: forwarded with the caller's guarantees.
        let new = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if new.is_null() {
            exhausted();
        } else {
            charge(bytes(new_size) - bytes(layout.size()));
        }
        new
    }
}

/// Registers what happens when a thread reaches its call's ceiling, before
/// it is parked: `hook(growth, budget)` runs on that thread (allocations
/// inside it are not checked). The first registration wins; the worker pool
/// of `morph-runtime-core` registers one that answers the call.
pub fn on_ceiling(hook: fn(u64, u64)) {
    let _ = CEILING_HOOK.set(hook);
}

/// The budget of the call running on this thread, until dropped (on the
/// same thread: it is `!Send`). Nested budgets restore the outer one.
#[derive(Debug)]
pub struct CallBudget {
    previous: Budget,
    _not_send: PhantomData<*const ()>,
}

impl Drop for CallBudget {
    fn drop(&mut self) {
        let _ = BUDGET.try_with(|b| b.set(self.previous));
    }
}

/// Opens the budget of a call about to run on this (metered) thread: it may
/// grow by `limit` bytes from now ([`remaining`]), and no allocation takes
/// it past [`CEILING_FACTOR`] times that. `limit == 0` means no budget.
pub fn budget_call(limit: u64) -> CallBudget {
    let start = current_net().unwrap_or(0);
    let previous = BUDGET
        .try_with(|b| {
            b.replace(Budget {
                start,
                limit,
                suspended: 0,
                stopping: false,
            })
        })
        .unwrap_or(Budget::NONE);
    CallBudget {
        previous,
        _not_send: PhantomData,
    }
}

/// The count of this thread, when it is metered.
fn current_net() -> Option<i64> {
    let ptr = COUNTER.try_with(Cell::get).ok()?;
    // SAFETY: as in `charge`.
    (!ptr.is_null()).then(|| unsafe { &*ptr }.load(Ordering::Relaxed))
}

/// Bytes the call running on this thread grew since its budget opened, or
/// `None` without a metered thread and a budget.
pub fn call_growth() -> Option<u64> {
    let budget = BUDGET.try_with(Cell::get).ok()?;
    if budget.limit == 0 {
        return None;
    }
    let net = current_net()?;
    Some(u64::try_from(net.saturating_sub(budget.start)).unwrap_or(0))
}

/// Bytes the call running on this thread may still allocate within its
/// budget, or `None` without a metered thread and a budget (a runtime then
/// checks against its whole limit).
pub fn remaining() -> Option<u64> {
    let budget = BUDGET.try_with(Cell::get).ok()?;
    let grown = call_growth()?;
    Some(budget.limit.saturating_sub(grown))
}

/// Runs `f` (host work on a guest's thread: a capability call, a log line)
/// with the ceiling suspended, so the thread is never parked holding a lock
/// the rest of the process needs. What `f` allocates still counts.
pub fn unbudgeted<R>(f: impl FnOnce() -> R) -> R {
    struct Resume;
    impl Drop for Resume {
        fn drop(&mut self) {
            let _ = BUDGET.try_with(|b| {
                let mut v = b.get();
                v.suspended = v.suspended.saturating_sub(1);
                b.set(v);
            });
        }
    }
    let _ = BUDGET.try_with(|b| {
        let mut v = b.get();
        v.suspended = v.suspended.saturating_add(1);
        b.set(v);
    });
    let _resume = Resume;
    f()
}

/// Lets threads start meters (`true`, the default) or not: sessions created
/// while it is off run unmetered, so a benchmark can time the same call with
/// and without counting in one run. Not for apps: an unmetered session's
/// memory limit is only what its engine can refuse.
#[doc(hidden)]
pub fn set_metering(enabled: bool) {
    METERING.store(enabled, Ordering::Relaxed);
}

/// Whether the process allocates through [`MeteredAllocator`].
pub fn is_installed() -> bool {
    // Allocate once so that an installed allocator has certainly run.
    drop(std::hint::black_box(Box::new(0u8)));
    INSTALLED.load(Ordering::Relaxed)
}

/// Reads the allocation count of one metered thread, from any thread.
#[derive(Debug, Clone)]
pub struct AllocationMeter {
    counter: Arc<AtomicI64>,
}

impl AllocationMeter {
    /// Bytes allocated minus bytes freed on the metered thread since it was
    /// metered (may be negative: memory from elsewhere freed there).
    pub fn net_bytes(&self) -> i64 {
        self.counter.load(Ordering::Relaxed)
    }

    /// Bytes the thread gained since `start` (a previous
    /// [`AllocationMeter::net_bytes`]), `0` if it shrank.
    pub fn grown_since(&self, start: i64) -> u64 {
        u64::try_from(self.net_bytes().saturating_sub(start)).unwrap_or(0)
    }
}

/// Keeps the current thread metered until dropped (on the same thread: it is
/// `!Send`).
#[derive(Debug)]
pub struct ThreadMeter {
    meter: AllocationMeter,
    /// Whether this meter installed the thread's counter (and clears it).
    owns_slot: bool,
    _not_send: PhantomData<*const ()>,
}

impl ThreadMeter {
    /// The meter of this thread, readable from any thread.
    pub fn meter(&self) -> &AllocationMeter {
        &self.meter
    }
}

impl Drop for ThreadMeter {
    fn drop(&mut self) {
        if self.owns_slot {
            let own = Arc::as_ptr(&self.meter.counter);
            // Cleared before the `Arc` is released (fields drop after this).
            let _ = COUNTER.try_with(|c| {
                if c.get() == own {
                    c.set(std::ptr::null());
                }
            });
        }
    }
}

/// Starts metering the current thread, or `None` when the process does not
/// allocate through [`MeteredAllocator`]. On a thread that is already
/// metered, the new meter shares the existing count.
pub fn meter_current_thread() -> Option<ThreadMeter> {
    if !is_installed() || !METERING.load(Ordering::Relaxed) {
        return None;
    }
    let current = COUNTER.try_with(Cell::get).ok()?;
    if !current.is_null() {
        // SAFETY: the slot's pointer is kept alive by the owning
        // `ThreadMeter` on this thread, which is still alive since the slot
        // is set; we take our own strong count.
        let counter = unsafe {
            Arc::increment_strong_count(current);
            Arc::from_raw(current)
        };
        return Some(ThreadMeter {
            meter: AllocationMeter { counter },
            owns_slot: false,
            _not_send: PhantomData,
        });
    }
    let counter = Arc::new(AtomicI64::new(0));
    COUNTER.try_with(|c| c.set(Arc::as_ptr(&counter))).ok()?;
    Some(ThreadMeter {
        meter: AllocationMeter { counter },
        owns_slot: true,
        _not_send: PhantomData,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The library's unit tests run without the allocator installed.
    #[test]
    fn without_the_allocator_no_thread_is_metered() {
        assert!(!is_installed());
        assert!(meter_current_thread().is_none());
    }
}
