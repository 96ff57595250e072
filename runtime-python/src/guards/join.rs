//! `sep.join(items)` on `str`, `bytes` and `bytearray`: one native step
//! whose result is every item plus the separators, refused when it would
//! not fit.
//!
//! The items' lengths are summed first: directly for a list or tuple, after
//! making any other iterable a list (through the guarded `list()`; `join`
//! makes one anyway) for the rest.

use rustpython_vm::builtins::{PyList, PyStr, PyTuple};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::protocol::PyBuffer;
use rustpython_vm::{
    AsObject, PyObject, PyObjectRef, PyResult, TryFromBorrowedObject, VirtualMachine,
};

use super::repeat::payload_bytes;
use super::{active, check, wrap_method};
use crate::engine_fixes::call_original;

/// Bytes one joined item adds (`0` for what the original refuses).
fn item_bytes(item: &PyObject, text: bool, vm: &VirtualMachine) -> u128 {
    if text {
        return item
            .downcast_ref::<PyStr>()
            .map_or(0, |s| s.byte_len() as u128);
    }
    if let Some(bytes) = payload_bytes(item) {
        return bytes;
    }
    PyBuffer::try_from_borrowed_object(vm, item).map_or(0, |b| b.desc.len as u128)
}

/// Bytes of the joined result of `items` with `sep_bytes` between them.
fn joined_bytes(items: &[PyObjectRef], sep_bytes: u128, text: bool, vm: &VirtualMachine) -> u128 {
    let seps = sep_bytes.saturating_mul(items.len().saturating_sub(1) as u128);
    items.iter().fold(seps, |sum, item| {
        sum.saturating_add(item_bytes(item, text, vm))
    })
}

fn join(zelf: PyObjectRef, mut args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let t = &vm.ctx.types;
    let text = zelf.downcast_ref::<PyStr>().is_some();
    let ty = if text {
        t.str_type
    } else if zelf.class().fast_issubclass(t.bytearray_type) {
        t.bytearray_type
    } else {
        t.bytes_type
    };
    let sep_bytes = payload_bytes(&zelf).unwrap_or(0);
    if let ([iterable], true, true) = (args.args.as_mut_slice(), args.kwargs.is_empty(), active()) {
        let cls = iterable.class();
        if !cls.is(t.list_type)
            && !cls.is(t.tuple_type)
            && let Ok(iter) = iterable.get_iter(vm)
        {
            // Items of any other iterable are counted in a list.
            let iter: PyObjectRef = iter.into();
            *iterable = t.list_type.as_object().call((iter,), vm)?;
        }
        let total = if let Some(list) = iterable.downcast_ref::<PyList>() {
            joined_bytes(&list.borrow_vec(), sep_bytes, text, vm)
        } else if let Some(tuple) = iterable.downcast_ref::<PyTuple>() {
            joined_bytes(tuple.as_slice(), sep_bytes, text, vm)
        } else {
            0
        };
        check(total, vm)?;
    }
    call_original(vm, ty, "join", zelf, args)
}

/// Wraps `join` of this thread's `str`, `bytes` and `bytearray`.
pub fn install(vm: &VirtualMachine) {
    let t = &vm.ctx.types;
    let doc = "Concatenate any number of strings (or bytes-like objects), with self between them.";
    for ty in [t.str_type, t.bytes_type, t.bytearray_type] {
        wrap_method(vm, ty, "join", join, doc);
    }
}
