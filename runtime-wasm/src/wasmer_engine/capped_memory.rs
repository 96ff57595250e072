//! The memory cap: tunables that cap every memory at `max_memory_mb` and
//! every table at [`MAX_TABLE_ELEMENTS`] (refusing larger minimums), and
//! memories that remember a refused grow. Without the table cap wasmer lets
//! `table.grow` allocate gigabytes that no memory limit counts.
//!
//! Invariant: a memory the tunables refuse or a grow they deny sets the
//! memory-denied flag of the instance it belongs to, so the call ends with
//! `memory_limit`, not a bare trap.
//!
//! The tunables are shared by every instance of a module (possibly on
//! several threads), so the flag of the instance being created is handed
//! to them through a thread-local set around `wasmer::Instance::new`
//! ([`while_instantiating`]), which creates the memories synchronously on the
//! calling thread.

use std::cell::RefCell;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use wasmer::sys::vm::{
    LinearMemory, MemoryError, MemoryStyle, TableStyle, ThreadConditions, Trap, VMMemory,
    VMMemoryDefinition, VMSharedMemory, VMTable, VMTableDefinition,
};
use wasmer::sys::{BaseTunables, Tunables};
use wasmer::{MemoryType, Pages, TableType};

/// The most elements a table may have (the same bound as the wasmi adapter).
pub(super) const MAX_TABLE_ELEMENTS: u32 = 100_000;

/// Tunables that cap every memory at `max_pages` and refuse larger minimums.
pub(super) struct CappedTunables {
    base: BaseTunables,
    max_pages: Pages,
}

impl CappedTunables {
    /// Tunables over wasmer's defaults with every memory capped at `max_pages`.
    pub(super) fn new(max_pages: Pages) -> CappedTunables {
        CappedTunables {
            base: BaseTunables::new(),
            max_pages,
        }
    }

    /// `ty` with its maximum capped, or an error when its minimum is over the cap.
    fn cap(&self, ty: &MemoryType) -> std::result::Result<MemoryType, MemoryError> {
        if ty.minimum > self.max_pages {
            return Err(MemoryError::MinimumMemoryTooLarge {
                min_requested: ty.minimum,
                max_allowed: self.max_pages,
            });
        }
        let mut capped = *ty;
        capped.maximum = Some(ty.maximum.map_or(self.max_pages, |m| m.min(self.max_pages)));
        Ok(capped)
    }

    /// `ty` with its maximum capped at [`MAX_TABLE_ELEMENTS`], or an error
    /// when its minimum is over it.
    fn cap_table(ty: &TableType) -> std::result::Result<TableType, String> {
        if ty.minimum > MAX_TABLE_ELEMENTS {
            note_denied();
            return Err(format!(
                "a table of {} elements exceeds the limit of {MAX_TABLE_ELEMENTS}",
                ty.minimum
            ));
        }
        let mut capped = *ty;
        capped.maximum = Some(
            ty.maximum
                .map_or(MAX_TABLE_ELEMENTS, |m| m.min(MAX_TABLE_ELEMENTS)),
        );
        Ok(capped)
    }
}

impl Tunables for CappedTunables {
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        match self.cap(memory) {
            Ok(capped) => self.base.memory_style(&capped),
            Err(_) => self.base.memory_style(memory),
        }
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        match Self::cap_table(table) {
            Ok(capped) => self.base.table_style(&capped),
            Err(_) => self.base.table_style(table),
        }
    }

    fn create_host_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
    ) -> std::result::Result<VMMemory, MemoryError> {
        let capped = self.cap(ty).inspect_err(|_| note_denied())?;
        let memory = self.base.create_host_memory(&capped, style)?;
        Ok(wrap(memory))
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> std::result::Result<VMMemory, MemoryError> {
        let capped = self.cap(ty).inspect_err(|_| note_denied())?;
        // SAFETY: `vm_definition_location` is forwarded unchanged from
        // wasmer, which guarantees it points at a valid, owned definition;
        // the type only has a lower maximum, and the compiled code's memory
        // style was computed from the same capped type (`memory_style`).
        let memory = unsafe {
            self.base
                .create_vm_memory(&capped, style, vm_definition_location)?
        };
        Ok(wrap(memory))
    }

    fn create_host_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
    ) -> std::result::Result<VMTable, String> {
        self.base.create_host_table(&Self::cap_table(ty)?, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> std::result::Result<VMTable, String> {
        let capped = Self::cap_table(ty)?;
        // SAFETY: `vm_definition_location` is forwarded unchanged from
        // wasmer, which guarantees that it points at a valid, owned
        // definition; the type only has a lower maximum.
        unsafe {
            self.base
                .create_vm_table(&capped, style, vm_definition_location)
        }
    }
}

thread_local! {
    static INSTANTIATING: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Runs `f` (an instantiation) with `flag` as the memory-denied flag of
/// the memories it creates.
pub(super) fn while_instantiating<R>(flag: &Arc<AtomicBool>, f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            INSTANTIATING.with(|slot| slot.borrow_mut().take());
        }
    }
    INSTANTIATING.with(|slot| *slot.borrow_mut() = Some(flag.clone()));
    let _reset = Reset;
    f()
}

fn current() -> Arc<AtomicBool> {
    INSTANTIATING
        .with(|slot| slot.borrow().clone())
        .unwrap_or_else(|| Arc::new(AtomicBool::new(false)))
}

/// Marks the instance being created as out of memory (minimum too large).
fn note_denied() {
    current().store(true, Ordering::SeqCst);
}

fn wrap(inner: VMMemory) -> VMMemory {
    VMMemory(Box::new(CappedMemory {
        inner,
        denied: current(),
    }))
}

#[derive(Debug)]
struct CappedMemory {
    inner: VMMemory,
    denied: Arc<AtomicBool>,
}

impl LinearMemory for CappedMemory {
    fn ty(&self) -> MemoryType {
        self.inner.ty()
    }

    fn size(&self) -> Pages {
        self.inner.size()
    }

    fn style(&self) -> MemoryStyle {
        self.inner.style()
    }

    fn grow(&mut self, delta: Pages) -> std::result::Result<Pages, MemoryError> {
        let grown = self.inner.grow(delta);
        if grown.is_err() {
            self.denied.store(true, Ordering::SeqCst);
        }
        grown
    }

    fn grow_at_least(&mut self, min_size: u64) -> std::result::Result<(), MemoryError> {
        let grown = self.inner.grow_at_least(min_size);
        if grown.is_err() {
            self.denied.store(true, Ordering::SeqCst);
        }
        grown
    }

    fn reset(&mut self) -> std::result::Result<(), MemoryError> {
        self.inner.reset()
    }

    fn vmmemory(&self) -> NonNull<VMMemoryDefinition> {
        self.inner.vmmemory()
    }

    fn try_clone(
        &self,
    ) -> std::result::Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        LinearMemory::try_clone(&self.inner)
    }

    unsafe fn initialize_with_data(
        &self,
        start: usize,
        data: &[u8],
    ) -> std::result::Result<(), Trap> {
        // SAFETY: forwarded unchanged; the caller upholds the contract.
        unsafe { self.inner.initialize_with_data(start, data) }
    }

    fn copy(
        &self,
    ) -> std::result::Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        LinearMemory::copy(&self.inner)
    }

    fn as_shared(&self) -> std::result::Result<VMSharedMemory, MemoryError> {
        self.inner.as_shared()
    }

    fn thread_conditions(&self) -> Option<&ThreadConditions> {
        self.inner.thread_conditions()
    }
}
