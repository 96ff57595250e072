//! The store's resource limiter: `max_memory_mb` for linear memory, a cap on
//! table elements, one instance and one memory.
//!
//! **A grow past a cap traps** (wasmi's `GrowthOperationLimited`, mapped to
//! `memory_limit`) rather than returning -1, so the guest cannot observe the
//! refusal and go on. **A grow that only ran out of fuel is not a refusal**:
//! wasmi charges a large `memory.grow` by the bytes it adds, which can be
//! more than one fuel slice holds, and returns the error as a resumable
//! out-of-fuel pause; [`fuel`](super::fuel) then resumes it with the fuel it
//! needs. wasmi's own `StoreLimits` with `trap_on_grow_failure` turns that
//! pause into a refusal too, so a 16 MiB payload ended in `memory_limit`
//! under a 1 GiB cap; this limiter exists to tell the two apart.

use wasmi::ResourceLimiter;
use wasmi::errors::{MemoryError, TableError};
use wasmi_core::LimiterError;

/// Most elements of one table (host memory not counted in `max_memory_mb`).
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Most tables of one instance (reference types allow several).
const MAX_TABLES: usize = 16;

/// The limits of one store.
#[derive(Debug)]
pub(super) struct MemoryCap {
    /// Bytes one linear memory may reach.
    memory_bytes: usize,
}

impl MemoryCap {
    /// A limiter capping linear memory at `memory_bytes`.
    pub(super) fn new(memory_bytes: usize) -> MemoryCap {
        MemoryCap { memory_bytes }
    }
}

/// Past a cap: trap.
fn refuse() -> Result<bool, LimiterError> {
    Err(LimiterError::ResourceLimiterDeniedAllocation)
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        if desired > self.memory_bytes {
            return refuse();
        }
        // Past the module's own declared maximum: -1, as the spec says.
        Ok(maximum.is_none_or(|max| desired <= max))
    }

    fn memory_grow_failed(&mut self, error: &MemoryError) -> Result<(), LimiterError> {
        match error {
            // Resumable: the fuel loop gives the grow what it needs.
            MemoryError::OutOfFuel { .. } => Ok(()),
            // The host could not provide the memory: a memory limit too.
            _ => refuse().map(|_| ()),
        }
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        if desired > MAX_TABLE_ELEMENTS {
            return refuse();
        }
        Ok(maximum.is_none_or(|max| desired <= max))
    }

    fn table_grow_failed(&mut self, error: &TableError) -> Result<(), LimiterError> {
        match error {
            TableError::OutOfFuel { .. } => Ok(()),
            _ => refuse().map(|_| ()),
        }
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        1
    }
}
