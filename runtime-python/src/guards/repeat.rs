//! Sequence repetition: `s * n` on `str`, `bytes`, `bytearray`, `list` and
//! `tuple` (and `*=`), refused when the result would not fit.
//!
//! The operators reach the types' repeat slots; `"x".__mul__(n)`,
//! `__rmul__`, `__imul__` and guest subclasses reach the wrappers in the
//! types' dicts, which hold the original slot functions: both are wrapped.

use std::sync::OnceLock;

use rustpython_vm::builtins::{PyByteArray, PyBytes, PyInt, PyList, PyStr, PyTuple, PyType};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::protocol::PySequence;
use rustpython_vm::{Py, PyObject, PyObjectRef, PyResult, VirtualMachine};

use super::{check, original, wrap_named, wrap_slot};
use crate::engine_fixes::call_original;

/// Bytes of a list or tuple element (one pointer; the elements are shared).
pub const POINTER: u128 = 8;

/// Bytes a sequence's payload takes (elements of containers count one
/// pointer each), `None` for anything else.
pub fn payload_bytes(obj: &PyObject) -> Option<u128> {
    if let Some(s) = obj.downcast_ref::<PyStr>() {
        return Some(s.byte_len() as u128);
    }
    if let Some(b) = obj.downcast_ref::<PyBytes>() {
        return Some(b.as_bytes().len() as u128);
    }
    if let Some(b) = obj.downcast_ref::<PyByteArray>() {
        return Some(b.borrow_buf().len() as u128);
    }
    if let Some(l) = obj.downcast_ref::<PyList>() {
        return Some(l.borrow_vec().len() as u128 * POINTER);
    }
    if let Some(t) = obj.downcast_ref::<PyTuple>() {
        return Some(t.len() as u128 * POINTER);
    }
    None
}

/// The built-in sequence type whose payload `obj` has.
fn base_type(obj: &PyObject, vm: &VirtualMachine) -> Option<&'static Py<PyType>> {
    let t = &vm.ctx.types;
    if obj.downcast_ref::<PyStr>().is_some() {
        Some(t.str_type)
    } else if obj.downcast_ref::<PyBytes>().is_some() {
        Some(t.bytes_type)
    } else if obj.downcast_ref::<PyByteArray>().is_some() {
        Some(t.bytearray_type)
    } else if obj.downcast_ref::<PyList>().is_some() {
        Some(t.list_type)
    } else if obj.downcast_ref::<PyTuple>().is_some() {
        Some(t.tuple_type)
    } else {
        None
    }
}

/// Refuses `seq * n` past the call's allowance.
fn check_repeat(seq: &PyObject, n: i128, vm: &VirtualMachine) -> PyResult<()> {
    match payload_bytes(seq) {
        Some(bytes) if n > 1 => check(bytes.saturating_mul(n.unsigned_abs()), vm),
        _ => Ok(()),
    }
}

type RepeatFn = fn(PySequence<'_>, isize, &VirtualMachine) -> PyResult;

macro_rules! repeat_slot {
    ($orig:ident, $guard:ident) => {
        static $orig: OnceLock<RepeatFn> = OnceLock::new();
        fn $guard(seq: PySequence<'_>, n: isize, vm: &VirtualMachine) -> PyResult {
            check_repeat(seq.obj, n as i128, vm)?;
            original(&$orig, "repeat", vm)?(seq, n, vm)
        }
    };
}

repeat_slot!(STR_REPEAT, str_repeat);
repeat_slot!(BYTES_REPEAT, bytes_repeat);
repeat_slot!(BYTEARRAY_REPEAT, bytearray_repeat);
repeat_slot!(BYTEARRAY_IREPEAT, bytearray_irepeat);
repeat_slot!(LIST_REPEAT, list_repeat);
repeat_slot!(LIST_IREPEAT, list_irepeat);
repeat_slot!(TUPLE_REPEAT, tuple_repeat);

/// `seq.<name>(n)`: the count made an `int` once (a guest `__index__` runs
/// once, as it would in the original), checked, then the original.
fn repeat_method(
    name: &'static str,
    zelf: PyObjectRef,
    mut args: FuncArgs,
    vm: &VirtualMachine,
) -> PyResult {
    let Some(ty) = base_type(&zelf, vm) else {
        return Err(vm.new_type_error(format!("{name}() needs a sequence")));
    };
    if let ([n], true) = (args.args.as_mut_slice(), args.kwargs.is_empty())
        && let Ok(index) = n.try_index(vm)
    {
        check_repeat(&zelf, count(&index, vm), vm)?;
        *n = index.into();
    }
    call_original(vm, ty, name, zelf, args)
}

/// An `int` as a count, saturated (past `i128` it is refused anyway).
pub fn count(n: &PyInt, vm: &VirtualMachine) -> i128 {
    n.try_to_primitive::<i128>(vm).unwrap_or_else(|_| {
        if n.as_bigint() < vm.ctx.new_int(0).as_bigint() {
            i128::MIN
        } else {
            i128::MAX
        }
    })
}

/// Wraps the repeat slots and methods of this thread's sequence types.
pub fn install(vm: &VirtualMachine) {
    let t = &vm.ctx.types;
    wrap_slot!(
        vm,
        t.str_type,
        |ty| ty.slots.as_sequence.repeat,
        &STR_REPEAT,
        str_repeat,
        RepeatFn
    );
    wrap_slot!(
        vm,
        t.bytes_type,
        |ty| ty.slots.as_sequence.repeat,
        &BYTES_REPEAT,
        bytes_repeat,
        RepeatFn
    );
    wrap_slot!(
        vm,
        t.bytearray_type,
        |ty| ty.slots.as_sequence.repeat,
        &BYTEARRAY_REPEAT,
        bytearray_repeat,
        RepeatFn
    );
    wrap_slot!(
        vm,
        t.bytearray_type,
        |ty| ty.slots.as_sequence.inplace_repeat,
        &BYTEARRAY_IREPEAT,
        bytearray_irepeat,
        RepeatFn
    );
    wrap_slot!(
        vm,
        t.list_type,
        |ty| ty.slots.as_sequence.repeat,
        &LIST_REPEAT,
        list_repeat,
        RepeatFn
    );
    wrap_slot!(
        vm,
        t.list_type,
        |ty| ty.slots.as_sequence.inplace_repeat,
        &LIST_IREPEAT,
        list_irepeat,
        RepeatFn
    );
    wrap_slot!(
        vm,
        t.tuple_type,
        |ty| ty.slots.as_sequence.repeat,
        &TUPLE_REPEAT,
        tuple_repeat,
        RepeatFn
    );
    let methods = [
        ("__mul__", "Return self*value."),
        ("__rmul__", "Return value*self."),
        ("__imul__", "Implement self*=value."),
    ];
    for ty in [
        t.str_type,
        t.bytes_type,
        t.bytearray_type,
        t.list_type,
        t.tuple_type,
    ] {
        wrap_named(vm, ty, &methods, repeat_method);
    }
}
