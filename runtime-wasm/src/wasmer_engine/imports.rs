//! The three `morph` host imports and the WASI preview 1 functions on
//! wasmer, and guest memory access.
//!
//! Invariants: sizes are capped ([`check_call_sizes`], [`MAX_PANIC_MESSAGE`])
//! before anything is read or allocated; every range goes through
//! [`guest_range`] and is read through a fresh [`MemoryView`]; an import never
//! panics: it records the real cause in the bridge (`Bridge::raise`) and traps.

use morph_capabilities::{Error, Result};
use wasmer::{
    Function, FunctionEnv, FunctionEnvMut, FunctionType, Memory, MemoryView, Module, RuntimeError,
    Store, Type, Value,
};

use crate::bridge::{Bridge, MAX_PANIC_MESSAGE, check_call_sizes, guest_range};
use crate::wasi::{self, GuestMemory};

/// What the host imports reach: the bridge and, once instantiation is done,
/// the guest's memory.
pub(super) struct HostState {
    pub(super) bridge: Bridge,
    pub(super) memory: Option<Memory>,
}

impl HostState {
    /// Records `error` as the reason the call ends and traps the guest.
    fn trap(&mut self, error: Error) -> RuntimeError {
        RuntimeError::user(Box::new(self.bridge.raise(error)))
    }

    pub(super) fn memory(&mut self) -> std::result::Result<Memory, RuntimeError> {
        match &self.memory {
            Some(m) => Ok(m.clone()),
            None => Err(self.trap(Error::GuestCrash {
                reason: "the start function called a host import (its memory is not exported yet)"
                    .into(),
            })),
        }
    }
}

/// Copies `[ptr, ptr + len)` out of guest memory after a bounds check.
pub(super) fn read_guest(view: &MemoryView, ptr: i32, len: i32) -> Result<Vec<u8>> {
    let range = guest_range(ptr, len, view_size(view))?;
    let mut bytes = vec![0; range.len()];
    view.read(range.start as u64, &mut bytes)
        .map_err(|e| Error::GuestCrash {
            reason: format!("reading guest memory: {e}"),
        })?;
    Ok(bytes)
}

/// Copies `bytes` to `ptr` in guest memory after a bounds check.
pub(super) fn write_guest(view: &MemoryView, ptr: i32, bytes: &[u8]) -> Result<()> {
    let len = i32::try_from(bytes.len()).map_err(|_| Error::GuestCrash {
        reason: "a buffer larger than the guest's address space".into(),
    })?;
    let range = guest_range(ptr, len, view_size(view))?;
    view.write(range.start as u64, bytes)
        .map_err(|e| Error::GuestCrash {
            reason: format!("writing guest memory: {e}"),
        })
}

fn view_size(view: &MemoryView) -> usize {
    usize::try_from(view.data_size()).unwrap_or(usize::MAX)
}

/// `morph.call(cap_ptr, cap_len, req_ptr, req_len) -> len`.
pub(super) fn host_call(
    mut env: FunctionEnvMut<HostState>,
    cap_ptr: i32,
    cap_len: i32,
    req_ptr: i32,
    req_len: i32,
) -> std::result::Result<i32, RuntimeError> {
    let (state, store) = env.data_and_store_mut();
    // Sizes are capped before anything is read or allocated.
    check_call_sizes(cap_len, req_len).map_err(|e| state.trap(e))?;
    let memory = state.memory()?;
    let read = {
        let view = memory.view(&store);
        read_guest(&view, cap_ptr, cap_len)
            .and_then(|cap| Ok((cap, read_guest(&view, req_ptr, req_len)?)))
    };
    let (capability, request) = read.map_err(|e| state.trap(e))?;
    // On error the bridge has already remembered the real cause (`raise`).
    state
        .bridge
        .host_call(&capability, &request)
        .map_err(|e| RuntimeError::user(Box::new(e)))
}

/// `morph.response(ptr, len) -> 0 | -1`.
pub(super) fn host_response(
    mut env: FunctionEnvMut<HostState>,
    ptr: i32,
    len: i32,
) -> std::result::Result<i32, RuntimeError> {
    let (state, store) = env.data_and_store_mut();
    let Some(response) = state.bridge.take_response(len as u32) else {
        return Ok(-1);
    };
    let memory = state.memory()?;
    let written = write_guest(&memory.view(&store), ptr, &response);
    written.map(|()| 0).map_err(|e| state.trap(e))
}

/// `morph.panic(ptr, len)`: keeps the first [`MAX_PANIC_MESSAGE`] bytes.
pub(super) fn host_panic(
    mut env: FunctionEnvMut<HostState>,
    ptr: i32,
    len: i32,
) -> std::result::Result<(), RuntimeError> {
    let (state, store) = env.data_and_store_mut();
    let Some(memory) = state.memory.clone() else {
        state
            .bridge
            .record_panic(b"(message unavailable: the start function panicked)");
        return Ok(());
    };
    let capped = (len as u32).min(MAX_PANIC_MESSAGE) as i32;
    let message = read_guest(&memory.view(&store), ptr, capped);
    match message {
        Ok(message) => {
            state.bridge.record_panic(&message);
            Ok(())
        }
        Err(e) => Err(state.trap(e)),
    }
}

/// Guest memory behind a [`MemoryView`], for the WASI functions.
struct ViewMemory<'a>(&'a MemoryView<'a>);

impl GuestMemory for ViewMemory<'_> {
    fn size(&self) -> usize {
        view_size(self.0)
    }

    fn read(&self, ptr: u32, len: u32) -> Option<Vec<u8>> {
        let range = guest_range(ptr as i32, len as i32, self.size()).ok()?;
        let mut bytes = vec![0; range.len()];
        self.0.read(range.start as u64, &mut bytes).ok()?;
        Some(bytes)
    }

    fn write(&mut self, ptr: u32, bytes: &[u8]) -> bool {
        let Ok(len) = i32::try_from(bytes.len()) else {
            return false;
        };
        guest_range(ptr as i32, len, self.size())
            .is_ok_and(|range| self.0.write(range.start as u64, bytes).is_ok())
    }
}

/// The WASI preview 1 functions `module` imports, each linked to
/// [`wasi::call`] (ABI.md, "WASI preview 1").
pub(super) fn wasi_imports(
    store: &mut Store,
    env: &FunctionEnv<HostState>,
    module: &Module,
) -> Vec<(String, Function)> {
    let to_type = |types: &[wasmparser::ValType]| -> Vec<Type> {
        types
            .iter()
            .map(|t| match t {
                wasmparser::ValType::I64 => Type::I64,
                _ => Type::I32,
            })
            .collect()
    };
    module
        .imports()
        .filter(|import| import.module() == wasi::MODULE)
        .filter_map(|import| wasi::Function::named(import.name()))
        .map(|f| {
            let ty = FunctionType::new(to_type(f.params()), to_type(f.results()));
            let function =
                Function::new_with_env(store, env, ty, move |env, args| wasi_call(env, f, args));
            (f.name().to_owned(), function)
        })
        .collect()
}

/// One WASI call: the arguments as raw bits, the guest memory, the bridge.
fn wasi_call(
    mut env: FunctionEnvMut<HostState>,
    f: wasi::Function,
    args: &[Value],
) -> std::result::Result<Vec<Value>, RuntimeError> {
    let (state, store) = env.data_and_store_mut();
    let memory = state.memory()?;
    let view = memory.view(&store);
    let raw: Vec<u64> = args
        .iter()
        .map(|v| match v {
            Value::I32(x) => u64::from(*x as u32),
            Value::I64(x) => *x as u64,
            _ => 0,
        })
        .collect();
    match wasi::call(f, &raw, &mut ViewMemory(&view), &mut state.bridge) {
        Ok(_) if f.results().is_empty() => Ok(Vec::new()),
        Ok(errno) => Ok(vec![Value::I32(errno)]),
        // Already raised in the bridge: the call ends with it.
        Err(e) => Err(RuntimeError::user(Box::new(e))),
    }
}
