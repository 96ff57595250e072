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
//! threads one relaxed atomic add.** The count is attributed to the thread
//! that allocated or freed: memory allocated on a worker and freed elsewhere
//! (a result handed back to the host) stays counted, which is why calls
//! measure growth from their own start rather than from the session's.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, Ordering};

/// Set once the metered allocator has served an allocation.
static INSTALLED: AtomicBool = AtomicBool::new(false);
/// Exit status on a failed allocation (`0`: let the caller handle it).
static EXIT_ON_EXHAUSTION: AtomicI32 = AtomicI32::new(0);

thread_local! {
    /// The counter of this thread, or null when the thread is not metered.
    /// Const-initialised and without a destructor, so the allocator may read
    /// it at any time, including while the thread is being torn down.
    static COUNTER: Cell<*const AtomicI64> = const { Cell::new(std::ptr::null()) };
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

fn bytes(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

// SAFETY: every method forwards to the inner allocator with the caller's
// arguments unchanged; metering only updates a counter.
unsafe impl<A: GlobalAlloc> GlobalAlloc for MeteredAllocator<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
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
    if !is_installed() {
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
