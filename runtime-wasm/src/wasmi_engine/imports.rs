//! The three `morph` host imports on wasmi, and guest memory slices.
//!
//! Invariants: sizes are capped (`check_call_sizes`, [`MAX_PANIC_MESSAGE`])
//! before anything is read; every range goes through
//! [`bridge::guest_range`]; an import never panics: it records the real cause
//! in the bridge (`Bridge::raise`) and traps with an [`ImportTrap`].

use std::fmt;

use morph_capabilities::{Error, Result};
use wasmi::errors::HostError;
use wasmi::{Caller, Extern, FuncType, Linker, Memory, Val, ValType};

use super::StoreData;
use crate::bridge::{self, Bridge, MAX_PANIC_MESSAGE};
use crate::wasi;

/// The host error our imports trap with; the real Morph error is already in
/// the bridge (`Bridge::raise`).
#[derive(Debug)]
pub(super) struct ImportTrap(String);

impl fmt::Display for ImportTrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl HostError for ImportTrap {}

fn import_trap(error: &Error) -> wasmi::Error {
    wasmi::Error::host(ImportTrap(error.to_string()))
}

/// Remembers `error` in the bridge and returns the trap that ends the guest.
fn raise(bridge: &mut Bridge, error: Error) -> wasmi::Error {
    import_trap(&bridge.raise(error))
}

/// The three `morph` imports (ABI.md, "Host imports") and the WASI
/// preview 1 functions (ABI.md, "WASI preview 1").
pub(super) fn morph_linker(engine: &wasmi::Engine) -> Result<Linker<StoreData>> {
    let mut linker = Linker::new(engine);
    let link_error =
        |e: wasmi::errors::LinkerError| Error::internal(format!("linking morph imports: {e}"));
    linker
        .func_wrap("morph", "call", morph_call)
        .map_err(link_error)?;
    linker
        .func_wrap("morph", "response", morph_response)
        .map_err(link_error)?;
    linker
        .func_wrap("morph", "panic", morph_panic)
        .map_err(link_error)?;
    for f in wasi::Function::ALL.iter().copied() {
        let ty = FuncType::new(
            f.params().iter().map(to_val_type),
            f.results().iter().map(to_val_type),
        );
        linker
            .func_new(wasi::MODULE, f.name(), ty, move |caller, args, results| {
                wasi_call(caller, f, args, results)
            })
            .map_err(link_error)?;
    }
    Ok(linker)
}

fn to_val_type(ty: &wasmparser::ValType) -> ValType {
    match ty {
        wasmparser::ValType::I64 => ValType::I64,
        _ => ValType::I32,
    }
}

/// One WASI call (ABI.md, "WASI preview 1"): the arguments as raw bits,
/// the guest memory, the bridge.
fn wasi_call(
    mut caller: Caller<'_, StoreData>,
    f: wasi::Function,
    args: &[Val],
    results: &mut [Val],
) -> std::result::Result<(), wasmi::Error> {
    let Some(memory) = guest_memory(&caller) else {
        return Err(raise(&mut caller.data_mut().bridge, no_memory()));
    };
    let raw: Vec<u64> = args
        .iter()
        .map(|v| match v {
            Val::I32(x) => u64::from(*x as u32),
            Val::I64(x) => *x as u64,
            _ => 0,
        })
        .collect();
    let (data, state) = memory.data_and_store_mut(&mut caller);
    // On error the bridge has already remembered the real cause.
    let errno = wasi::call(f, &raw, &mut wasi::SliceMemory(data), &mut state.bridge)
        .map_err(|e| import_trap(&e))?;
    if let Some(slot) = results.first_mut() {
        *slot = Val::I32(errno);
    }
    Ok(())
}

fn guest_memory(caller: &Caller<'_, StoreData>) -> Option<Memory> {
    caller.get_export("memory").and_then(Extern::into_memory)
}

fn no_memory() -> Error {
    Error::GuestCrash {
        reason: "the guest has no memory export".into(),
    }
}

/// The bytes `[ptr, ptr + len)` of guest memory `data`, after a bounds check.
pub(super) fn guest_slice(data: &[u8], ptr: i32, len: i32) -> Result<&[u8]> {
    let range = bridge::guest_range(ptr, len, data.len())?;
    data.get(range).ok_or_else(|| out_of_bounds(ptr, len))
}

/// [`guest_slice`], writable.
pub(super) fn guest_slice_mut(data: &mut [u8], ptr: i32, len: i32) -> Result<&mut [u8]> {
    let range = bridge::guest_range(ptr, len, data.len())?;
    data.get_mut(range).ok_or_else(|| out_of_bounds(ptr, len))
}

fn out_of_bounds(ptr: i32, len: i32) -> Error {
    Error::GuestCrash {
        reason: format!("guest passed an out-of-bounds buffer (ptr {ptr}, len {len})"),
    }
}

/// `morph.call(cap_ptr, cap_len, req_ptr, req_len) -> i32`.
fn morph_call(
    mut caller: Caller<'_, StoreData>,
    cap_ptr: i32,
    cap_len: i32,
    req_ptr: i32,
    req_len: i32,
) -> std::result::Result<i32, wasmi::Error> {
    if let Err(e) = bridge::check_call_sizes(cap_len, req_len) {
        return Err(raise(&mut caller.data_mut().bridge, e));
    }
    let Some(memory) = guest_memory(&caller) else {
        return Err(raise(&mut caller.data_mut().bridge, no_memory()));
    };
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let data: &[u8] = data;
    let (capability, request) = match (
        guest_slice(data, cap_ptr, cap_len),
        guest_slice(data, req_ptr, req_len),
    ) {
        (Ok(capability), Ok(request)) => (capability, request),
        (Err(e), _) | (_, Err(e)) => return Err(raise(&mut state.bridge, e)),
    };
    // On error the bridge has already remembered the real error.
    state
        .bridge
        .host_call(capability, request)
        .map_err(|e| import_trap(&e))
}

/// `morph.response(ptr, len) -> i32`: `0`, or `-1` when nothing is pending or
/// `len` differs.
fn morph_response(
    mut caller: Caller<'_, StoreData>,
    ptr: i32,
    len: i32,
) -> std::result::Result<i32, wasmi::Error> {
    let Some(response) = caller.data_mut().bridge.take_response(len as u32) else {
        return Ok(-1);
    };
    let Some(memory) = guest_memory(&caller) else {
        return Err(raise(&mut caller.data_mut().bridge, no_memory()));
    };
    let (data, state) = memory.data_and_store_mut(&mut caller);
    match guest_slice_mut(data, ptr, len) {
        Ok(target) if target.len() == response.len() => {
            target.copy_from_slice(&response);
            Ok(0)
        }
        Ok(_) => Err(raise(
            &mut state.bridge,
            Error::internal("a response changed length while being copied"),
        )),
        Err(e) => Err(raise(&mut state.bridge, e)),
    }
}

/// `morph.panic(ptr, len)`: keeps the first [`MAX_PANIC_MESSAGE`] bytes.
fn morph_panic(
    mut caller: Caller<'_, StoreData>,
    ptr: i32,
    len: i32,
) -> std::result::Result<(), wasmi::Error> {
    // `MAX_PANIC_MESSAGE` fits an i32, so the capped length is non-negative.
    let len = (len as u32).min(MAX_PANIC_MESSAGE) as i32;
    let Some(memory) = guest_memory(&caller) else {
        return Err(raise(&mut caller.data_mut().bridge, no_memory()));
    };
    let (data, state) = memory.data_and_store_mut(&mut caller);
    match guest_slice(data, ptr, len) {
        Ok(message) => {
            state.bridge.record_panic(message);
            Ok(())
        }
        Err(e) => Err(raise(&mut state.bridge, e)),
    }
}
