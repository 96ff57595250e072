//! `int` power and left shift: `2 ** 10**10` and `1 << 10**10` are one
//! native computation each, refused when their result would not fit.
//!
//! The estimate is what the computation really takes at its peak, measured
//! in RustPython 0.5 (malachite): a shift and a power of a power of two
//! build the result once; any other power squares its way there and peaks
//! at about ten times its result (`3 ** 10**8`: 20 MB kept, 206 MB at the
//! peak). Both the slots (operators, `pow()`, and `bool`, which copied
//! them) and the dict methods (`(2).__pow__(n)`, guest subclasses) are
//! wrapped.

use std::sync::OnceLock;

use rustpython_vm::builtins::PyInt;
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{PyObject, PyObjectRef, PyResult, VirtualMachine};

use super::repeat::count;
use super::{check, original, wrap_named, wrap_slot};
use crate::engine_fixes::call_original;

/// Peak of a power whose base is not a power of two, in results.
const POW_TRANSIENT: f64 = 10.0;

/// Peak bytes of `base ** exp` (without a modulus), `0` when it is not an
/// `int` power that grows.
fn pow_estimate(base: &PyObject, exp: &PyObject, vm: &VirtualMachine) -> u128 {
    let (Some(base), Some(exp)) = (base.downcast_ref::<PyInt>(), exp.downcast_ref::<PyInt>())
    else {
        return 0;
    };
    let magnitude = base.as_bigint();
    let bits = magnitude.bits();
    let e = count(exp, vm);
    // |base| < 2 stays small; a negative exponent gives a float.
    if bits < 2 || e < 2 {
        return 0;
    }
    let log2 = match base.try_to_primitive::<i64>(vm) {
        Ok(small) => (small.unsigned_abs() as f64).log2(),
        Err(_) => bits as f64,
    };
    let power_of_two = magnitude.trailing_zeros() == Some(bits - 1);
    let factor = if power_of_two { 1.0 } else { POW_TRANSIENT };
    let bytes = log2 * e as f64 / 8.0 * factor;
    if bytes >= u128::MAX as f64 {
        u128::MAX
    } else {
        bytes as u128
    }
}

/// Bytes of `a << b`, `0` when it is not an `int` shift that grows.
fn shift_estimate(a: &PyObject, b: &PyObject, vm: &VirtualMachine) -> u128 {
    let (Some(a), Some(b)) = (a.downcast_ref::<PyInt>(), b.downcast_ref::<PyInt>()) else {
        return 0;
    };
    let bits = a.as_bigint().bits();
    let shift = count(b, vm);
    if bits == 0 || shift <= 0 {
        return 0;
    }
    (u128::from(bits) + shift.unsigned_abs()) / 8
}

type TernaryFn = fn(&PyObject, &PyObject, &PyObject, &VirtualMachine) -> PyResult;
type BinaryFn = fn(&PyObject, &PyObject, &VirtualMachine) -> PyResult;

static INT_POW: OnceLock<TernaryFn> = OnceLock::new();
static INT_RPOW: OnceLock<TernaryFn> = OnceLock::new();
static INT_LSHIFT: OnceLock<BinaryFn> = OnceLock::new();
static INT_RLSHIFT: OnceLock<BinaryFn> = OnceLock::new();

fn checked_pow(
    slot: &OnceLock<TernaryFn>,
    base: &PyObject,
    exp: &PyObject,
    modulus: &PyObject,
    vm: &VirtualMachine,
) -> PyResult {
    if vm.is_none(modulus) {
        check(pow_estimate(base, exp, vm), vm)?;
    }
    original(slot, "pow", vm)?(base, exp, modulus, vm)
}

fn int_pow(base: &PyObject, exp: &PyObject, modulus: &PyObject, vm: &VirtualMachine) -> PyResult {
    checked_pow(&INT_POW, base, exp, modulus, vm)
}

fn int_rpow(base: &PyObject, exp: &PyObject, modulus: &PyObject, vm: &VirtualMachine) -> PyResult {
    checked_pow(&INT_RPOW, base, exp, modulus, vm)
}

fn checked_shift(
    slot: &OnceLock<BinaryFn>,
    a: &PyObject,
    b: &PyObject,
    vm: &VirtualMachine,
) -> PyResult {
    check(shift_estimate(a, b, vm), vm)?;
    original(slot, "shift", vm)?(a, b, vm)
}

fn int_lshift(a: &PyObject, b: &PyObject, vm: &VirtualMachine) -> PyResult {
    checked_shift(&INT_LSHIFT, a, b, vm)
}

fn int_rlshift(a: &PyObject, b: &PyObject, vm: &VirtualMachine) -> PyResult {
    checked_shift(&INT_RLSHIFT, a, b, vm)
}

/// The operand of a binary dunder and whether a modulus was given.
fn operand(args: &FuncArgs) -> Option<(&PyObjectRef, bool)> {
    let other = args.args.first()?;
    let modulus = args
        .args
        .get(1)
        .or_else(|| args.kwargs.get("mod"))
        .is_some();
    Some((other, modulus))
}

/// `int.<name>(other[, mod])` for `__pow__`, `__rpow__`, `__lshift__` and
/// `__rlshift__`: the peak of the operation checked (a power with a modulus
/// stays small), then the original.
fn operator_method(
    name: &'static str,
    zelf: PyObjectRef,
    args: FuncArgs,
    vm: &VirtualMachine,
) -> PyResult {
    if let Some((other, modulus)) = operand(&args) {
        let bytes = match name {
            "__pow__" if !modulus => pow_estimate(&zelf, other, vm),
            "__rpow__" if !modulus => pow_estimate(other, &zelf, vm),
            "__lshift__" => shift_estimate(&zelf, other, vm),
            "__rlshift__" => shift_estimate(other, &zelf, vm),
            _ => 0,
        };
        check(bytes, vm)?;
    }
    call_original(vm, vm.ctx.types.int_type, name, zelf, args)
}

/// Wraps `int`'s power and shift slots and methods on this thread.
pub fn install(vm: &VirtualMachine) {
    let int = vm.ctx.types.int_type;
    wrap_slot!(
        vm,
        int,
        |t| t.slots.as_number.power,
        &INT_POW,
        int_pow,
        TernaryFn
    );
    wrap_slot!(
        vm,
        int,
        |t| t.slots.as_number.right_power,
        &INT_RPOW,
        int_rpow,
        TernaryFn
    );
    wrap_slot!(
        vm,
        int,
        |t| t.slots.as_number.lshift,
        &INT_LSHIFT,
        int_lshift,
        BinaryFn
    );
    wrap_slot!(
        vm,
        int,
        |t| t.slots.as_number.right_lshift,
        &INT_RLSHIFT,
        int_rlshift,
        BinaryFn
    );
    let methods = [
        ("__pow__", "Return pow(self, value, mod)."),
        ("__rpow__", "Return pow(value, self, mod)."),
        ("__lshift__", "Return self<<value."),
        ("__rlshift__", "Return value<<self."),
    ];
    wrap_named(vm, int, &methods, operator_method);
}
