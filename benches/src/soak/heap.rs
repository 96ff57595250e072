//! [`LiveHeap`]: the soak driver's count of the bytes its process holds on
//! the heap, process-wide, beneath Morph's metered allocator.
//!
//! The resident set mixes the heap with engine mappings (wasm linear
//! memories, JIT code) and with what the C allocator keeps after a free, so
//! it moves by megabytes with no leak. This count moves only when Rust code
//! allocates or frees: a leak of one allocation per call makes it climb by
//! that allocation's size times the calls, which is what the soak's heap
//! verdict looks for. **It forwards every request to the system allocator
//! unchanged**; it only keeps a relaxed atomic sum.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};

/// Bytes allocated minus bytes freed, every thread of the process.
static LIVE: AtomicI64 = AtomicI64::new(0);

/// The system allocator, counting live bytes.
#[derive(Debug, Default, Clone, Copy)]
pub struct LiveHeap;

impl LiveHeap {
    /// The counting allocator (install it inside
    /// [`MeteredAllocator::new`](morph_runtime_core::allocation::MeteredAllocator::new)).
    pub const fn new() -> LiveHeap {
        LiveHeap
    }
}

/// The heap bytes live now (0 when [`LiveHeap`] is not the allocator).
pub fn live_bytes() -> i64 {
    LIVE.load(Ordering::Relaxed)
}

fn size(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; the count is only an atomic add beside it.
unsafe impl GlobalAlloc for LiveHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(size(layout.size()), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(size(layout.size()), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(size(layout.size()), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_add(size(new_size) - size(layout.size()), Ordering::Relaxed);
        }
        new
    }
}
