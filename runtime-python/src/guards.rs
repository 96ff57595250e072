//! Size guards on the native operations that allocate in one step.
//!
//! A loop is stopped by the watchdog, but one native operation cannot be:
//! `'a' * 10**10` asks the allocator for 10 GB before any interrupt check.
//! RustPython keeps type slots in atomic cells, so the runtime wraps the
//! repeat slots of `str`, `bytes`, `bytearray`, `list` and `tuple` and the
//! `**` and `<<` slots of `int` with a check of the result's size against the
//! running call's `max_memory_mb` **before** the original runs; past it the
//! operation raises `MemoryError` (the call ends with `memory_limit`). The
//! slots are shared by the interpreters of a thread; where no Morph call runs
//! (the cap is unset) the guards pass straight through.

use std::cell::Cell;
use std::sync::OnceLock;

use rustpython_vm::builtins::{PyByteArray, PyBytes, PyInt, PyList, PyStr, PyTuple};
use rustpython_vm::protocol::PySequence;
use rustpython_vm::{PyObject, PyResult, TryFromObject, VirtualMachine};

thread_local! {
    /// Largest result (bytes) one operation may produce on this thread (`0`: unguarded).
    static CAP: Cell<u64> = const { Cell::new(0) };
}

/// Sets the cap of this thread while a call runs; the guard restores it.
pub fn with_cap<R>(bytes: u64, f: impl FnOnce() -> R) -> R {
    let before = CAP.with(|c| c.replace(bytes));
    let out = f();
    CAP.with(|c| c.set(before));
    out
}

fn check(bytes: u128, vm: &VirtualMachine) -> PyResult<()> {
    let cap = CAP.with(Cell::get);
    if cap != 0 && bytes > u128::from(cap) {
        return Err(vm.new_memory_error(format!(
            "an operation would allocate {bytes} bytes, past max_memory_mb ({cap} bytes)"
        )));
    }
    Ok(())
}

/// Bytes a sequence's payload takes (elements of containers count 8 each).
fn payload_bytes(obj: &PyObject) -> u128 {
    if let Some(s) = obj.downcast_ref::<PyStr>() {
        return s.byte_len() as u128;
    }
    if let Some(b) = obj.downcast_ref::<PyBytes>() {
        return b.as_bytes().len() as u128;
    }
    if let Some(b) = obj.downcast_ref::<PyByteArray>() {
        return b.borrow_buf().len() as u128;
    }
    if let Some(l) = obj.downcast_ref::<PyList>() {
        return l.borrow_vec().len() as u128 * 8;
    }
    if let Some(t) = obj.downcast_ref::<PyTuple>() {
        return t.len() as u128 * 8;
    }
    0
}

type RepeatFn = fn(PySequence<'_>, isize, &VirtualMachine) -> PyResult;
type TernaryFn = fn(&PyObject, &PyObject, &PyObject, &VirtualMachine) -> PyResult;
type BinaryFn = fn(&PyObject, &PyObject, &VirtualMachine) -> PyResult;

macro_rules! repeat_guard {
    ($orig:ident, $guard:ident) => {
        static $orig: OnceLock<RepeatFn> = OnceLock::new();
        fn $guard(seq: PySequence<'_>, n: isize, vm: &VirtualMachine) -> PyResult {
            if n > 1 {
                check(payload_bytes(seq.obj) * n as u128, vm)?;
            }
            match $orig.get() {
                Some(f) => f(seq, n, vm),
                None => Err(vm.new_runtime_error("morph: repeat guard without its slot")),
            }
        }
    };
}

repeat_guard!(STR_REPEAT, str_repeat);
repeat_guard!(BYTES_REPEAT, bytes_repeat);
repeat_guard!(BYTEARRAY_REPEAT, bytearray_repeat);
repeat_guard!(BYTEARRAY_IREPEAT, bytearray_irepeat);
repeat_guard!(LIST_REPEAT, list_repeat);
repeat_guard!(LIST_IREPEAT, list_irepeat);
repeat_guard!(TUPLE_REPEAT, tuple_repeat);

static INT_POW: OnceLock<TernaryFn> = OnceLock::new();
static INT_LSHIFT: OnceLock<BinaryFn> = OnceLock::new();

/// Bits of an int (0 for anything else).
fn int_bits(obj: &PyObject) -> u64 {
    obj.downcast_ref::<PyInt>()
        .map_or(0, |i| i.as_bigint().bits())
}

fn int_pow(base: &PyObject, exp: &PyObject, modulus: &PyObject, vm: &VirtualMachine) -> PyResult {
    if vm.is_none(modulus) && base.downcast_ref::<PyInt>().is_some() {
        let base_bits = int_bits(base);
        if base_bits > 1 {
            // |base| >= 2: the result has about base_bits * exp bits.
            let estimate = match u64::try_from_object(vm, exp.to_owned()) {
                Ok(e) => u128::from(base_bits) * u128::from(e) / 8,
                // Negative exponents give floats; a non-int is not ours.
                Err(_) if int_bits(exp) > 63 => u128::MAX,
                Err(_) => 0,
            };
            check(estimate, vm)?;
        }
    }
    match INT_POW.get() {
        Some(f) => f(base, exp, modulus, vm),
        None => Err(vm.new_runtime_error("morph: pow guard without its slot")),
    }
}

fn int_lshift(a: &PyObject, b: &PyObject, vm: &VirtualMachine) -> PyResult {
    if a.downcast_ref::<PyInt>().is_some() && int_bits(a) > 0 {
        let estimate = match u64::try_from_object(vm, b.to_owned()) {
            Ok(s) => (u128::from(int_bits(a)) + u128::from(s)) / 8,
            Err(_) if int_bits(b) > 63 => u128::MAX,
            Err(_) => 0,
        };
        check(estimate, vm)?;
    }
    match INT_LSHIFT.get() {
        Some(f) => f(a, b, vm),
        None => Err(vm.new_runtime_error("morph: shift guard without its slot")),
    }
}

/// Installs the guards on this thread's built-in types (without the
/// `threading` feature rustpython-vm keeps its types per thread); the
/// original slot functions are the same on every thread.
pub fn install(vm: &VirtualMachine) {
    thread_local! {
        static INSTALLED: Cell<bool> = const { Cell::new(false) };
    }
    if INSTALLED.with(|i| i.replace(true)) {
        return;
    }
    {
        let t = &vm.ctx.types;
        macro_rules! wrap {
            ($cell:expr, $orig:expr, $guard:expr $(,)?) => {
                if let Some(f) = $cell.load()
                    && f as usize != $guard as RepeatFn as usize
                {
                    let _ = $orig.set(f);
                    $cell.store(Some($guard as RepeatFn));
                }
            };
        }
        wrap!(
            &t.str_type.slots.as_sequence.repeat,
            &STR_REPEAT,
            str_repeat
        );
        wrap!(
            &t.bytes_type.slots.as_sequence.repeat,
            &BYTES_REPEAT,
            bytes_repeat
        );
        wrap!(
            &t.bytearray_type.slots.as_sequence.repeat,
            &BYTEARRAY_REPEAT,
            bytearray_repeat
        );
        wrap!(
            &t.bytearray_type.slots.as_sequence.inplace_repeat,
            &BYTEARRAY_IREPEAT,
            bytearray_irepeat,
        );
        wrap!(
            &t.list_type.slots.as_sequence.repeat,
            &LIST_REPEAT,
            list_repeat
        );
        wrap!(
            &t.list_type.slots.as_sequence.inplace_repeat,
            &LIST_IREPEAT,
            list_irepeat
        );
        wrap!(
            &t.tuple_type.slots.as_sequence.repeat,
            &TUPLE_REPEAT,
            tuple_repeat
        );
        let pow = &t.int_type.slots.as_number.power;
        if let Some(f) = pow.load()
            && f as usize != int_pow as TernaryFn as usize
        {
            let _ = INT_POW.set(f);
            pow.store(Some(int_pow));
        }
        let shl = &t.int_type.slots.as_number.lshift;
        if let Some(f) = shl.load()
            && f as usize != int_lshift as BinaryFn as usize
        {
            let _ = INT_LSHIFT.set(f);
            shl.store(Some(int_lshift));
        }
    }
}
