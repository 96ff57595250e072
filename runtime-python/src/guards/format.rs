//! Formatting with a width or a precision: `format(1, ">1073741824")`,
//! `f"{x:>{n}}"`, `"{:>{}}".format(x, n)` and `"%0*d" % (n, x)` allocate
//! what the width asks for in one native step; refused when it would not
//! fit.
//!
//! `format()`, f-strings and `str.format` all end in the value's
//! `__format__`, so the `__format__` of `int`, `float`, `complex` and `str`
//! are wrapped (their output peaks at about three times the width: the
//! padded digits, then the copies into the result). `%` reaches the
//! remainder slots of `str`, `bytes` and `bytearray` and their `__mod__`
//! methods; the format is scanned for widths and precisions, `*` taking
//! theirs from the values.
//!
//! A float precision past [`MAX_FLOAT_PRECISION`] raises `ValueError`:
//! RustPython 0.5 hands it to Rust's formatter, which panics past 65535
//! (`format(1.5, ".70000e")`), and clamps `f` there silently.

use std::sync::OnceLock;

use rustpython_vm::builtins::{
    PyByteArray, PyBytes, PyComplex, PyFloat, PyInt, PyStr, PyTuple, PyType,
};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{AsObject, Py, PyObject, PyObjectRef, PyResult, VirtualMachine};

use super::repeat::count;
use super::{check, original, wrap_method, wrap_slot};
use crate::engine_fixes::call_original;

/// Largest precision a float may be formatted with.
pub const MAX_FLOAT_PRECISION: u128 = 65_000;

/// Peak of a padded `__format__`, in widths.
const FORMAT_TRANSIENT: u128 = 3;

/// What a standard format spec asks for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Spec {
    /// Bytes of the padding: the width times the fill character's length.
    width_bytes: u128,
    /// The precision, if any.
    precision: Option<u128>,
    /// The presentation type, if any.
    kind: Option<char>,
}

/// Reads a run of decimal digits at `chars[*i..]` (saturating).
fn digits(chars: &[char], i: &mut usize) -> Option<u128> {
    let start = *i;
    let mut value: u128 = 0;
    while let Some(d) = chars.get(*i).and_then(|c| c.to_digit(10)) {
        value = value.saturating_mul(10).saturating_add(u128::from(d));
        *i += 1;
    }
    (*i > start).then_some(value)
}

/// Parses `[[fill]align][sign][z][#][0][width][grouping][.precision][type]`.
fn parse_spec(spec: &str) -> Spec {
    let chars: Vec<char> = spec.chars().collect();
    let align = |c: Option<&char>| matches!(c, Some('<' | '>' | '=' | '^'));
    let mut i = 0;
    let mut fill = 1;
    if align(chars.get(1)) {
        fill = chars.first().map_or(1, |c| c.len_utf8());
        i = 2;
    } else if align(chars.first()) {
        i = 1;
    }
    if matches!(chars.get(i), Some('+' | '-' | ' ')) {
        i += 1;
    }
    for flag in ['z', '#', '0'] {
        if chars.get(i) == Some(&flag) {
            i += 1;
        }
    }
    let width = digits(&chars, &mut i).unwrap_or(0);
    if matches!(chars.get(i), Some(',' | '_')) {
        i += 1;
    }
    let precision = if chars.get(i) == Some(&'.') {
        i += 1;
        digits(&chars, &mut i)
    } else {
        None
    };
    Spec {
        width_bytes: width.saturating_mul(fill as u128),
        precision,
        kind: chars.get(i).copied(),
    }
}

/// Whether the presentation type formats an `int` as a float.
fn float_kind(kind: Option<char>) -> bool {
    matches!(kind, Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%'))
}

fn precision_too_big(vm: &VirtualMachine) -> rustpython_vm::builtins::PyBaseExceptionRef {
    vm.new_value_error(format!(
        "precision too big (Morph formats floats with at most {MAX_FLOAT_PRECISION} digits)"
    ))
}

/// The built-in type whose `__format__` `obj` reaches, and whether it
/// formats as a float.
fn formatted_type(obj: &PyObject, vm: &VirtualMachine) -> Option<(&'static Py<PyType>, bool)> {
    let t = &vm.ctx.types;
    if obj.downcast_ref::<PyInt>().is_some() {
        Some((t.int_type, false))
    } else if obj.downcast_ref::<PyFloat>().is_some() {
        Some((t.float_type, true))
    } else if obj.downcast_ref::<PyComplex>().is_some() {
        Some((t.complex_type, true))
    } else if obj.downcast_ref::<PyStr>().is_some() {
        Some((t.str_type, false))
    } else {
        None
    }
}

fn format_method(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let Some((ty, float)) = formatted_type(&zelf, vm) else {
        return Err(vm.new_type_error("__format__() needs an int, float, complex or str"));
    };
    if let Some(spec) = args.args.first().and_then(|s| s.downcast_ref::<PyStr>()) {
        let spec = parse_spec(&spec.to_string_lossy());
        check(spec.width_bytes.saturating_mul(FORMAT_TRANSIENT), vm)?;
        let as_float = float || (ty.is(vm.ctx.types.int_type) && float_kind(spec.kind));
        if as_float && spec.precision.is_some_and(|p| p > MAX_FLOAT_PRECISION) {
            return Err(precision_too_big(vm));
        }
    }
    call_original(vm, ty, "__format__", zelf, args)
}

/// What a `%` format asks for beyond the values' own text.
#[derive(Debug, Default, PartialEq, Eq)]
struct Percent {
    /// Bytes of the widths and integer precisions.
    bytes: u128,
    /// The largest precision of a float conversion.
    float_precision: u128,
}

/// Scans a `%` format; `*` widths and precisions come from `values` (a
/// tuple) in order, as the conversions consume them.
fn scan_percent(fmt: &[u8], values: &PyObject, vm: &VirtualMachine) -> Percent {
    let tuple = values.downcast_ref::<PyTuple>();
    let mut next = 0usize;
    let star = |next: &mut usize| -> u128 {
        let value = tuple
            .and_then(|t| t.as_slice().get(*next))
            .and_then(|v| v.downcast_ref::<PyInt>());
        *next += 1;
        value.map_or(0, |n| count(n, vm).unsigned_abs())
    };
    let mut out = Percent::default();
    let mut i = 0;
    while let Some(pos) = fmt
        .get(i..)
        .and_then(|rest| rest.iter().position(|b| *b == b'%'))
    {
        i += pos + 1;
        let mut mapped = false;
        if fmt.get(i) == Some(&b'(') {
            mapped = true;
            let mut depth = 0usize;
            while let Some(&b) = fmt.get(i) {
                i += 1;
                match b {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
        }
        while matches!(fmt.get(i), Some(b'-' | b'+' | b' ' | b'#' | b'0')) {
            i += 1;
        }
        let field = |i: &mut usize, next: &mut usize| -> u128 {
            if fmt.get(*i) == Some(&b'*') {
                *i += 1;
                return star(next);
            }
            let mut value: u128 = 0;
            while let Some(d) = fmt.get(*i).filter(|b| b.is_ascii_digit()) {
                value = value
                    .saturating_mul(10)
                    .saturating_add(u128::from(d - b'0'));
                *i += 1;
            }
            value
        };
        let width = field(&mut i, &mut next);
        let precision = if fmt.get(i) == Some(&b'.') {
            i += 1;
            field(&mut i, &mut next)
        } else {
            0
        };
        while matches!(fmt.get(i), Some(b'h' | b'l' | b'L')) {
            i += 1;
        }
        let conversion = fmt.get(i).copied();
        i += 1;
        if conversion == Some(b'%') {
            continue;
        }
        if !mapped {
            next += 1;
        }
        let grown = match conversion {
            Some(b'd' | b'i' | b'u' | b'o' | b'x' | b'X') => width.max(precision),
            Some(b'e' | b'E' | b'f' | b'F' | b'g' | b'G') => {
                out.float_precision = out.float_precision.max(precision);
                width
            }
            _ => width,
        };
        out.bytes = out.bytes.saturating_add(grown);
    }
    out
}

/// Refuses `fmt % values` when the format asks for more than fits.
fn check_percent(fmt: &PyObject, values: &PyObject, vm: &VirtualMachine) -> PyResult<()> {
    let scanned = if let Some(s) = fmt.downcast_ref::<PyStr>() {
        scan_percent(s.as_bytes(), values, vm)
    } else if let Some(b) = fmt.downcast_ref::<PyBytes>() {
        scan_percent(b.as_bytes(), values, vm)
    } else if let Some(b) = fmt.downcast_ref::<PyByteArray>() {
        scan_percent(&b.borrow_buf(), values, vm)
    } else {
        return Ok(());
    };
    if scanned.float_precision > MAX_FLOAT_PRECISION {
        return Err(precision_too_big(vm));
    }
    check(scanned.bytes, vm)
}

type BinaryFn = fn(&PyObject, &PyObject, &VirtualMachine) -> PyResult;

macro_rules! remainder_slot {
    ($orig:ident, $guard:ident) => {
        static $orig: OnceLock<BinaryFn> = OnceLock::new();
        fn $guard(a: &PyObject, b: &PyObject, vm: &VirtualMachine) -> PyResult {
            check_percent(a, b, vm)?;
            original(&$orig, "%", vm)?(a, b, vm)
        }
    };
}

remainder_slot!(STR_MOD, str_mod);
remainder_slot!(STR_RMOD, str_rmod);
remainder_slot!(BYTES_MOD, bytes_mod);
remainder_slot!(BYTES_RMOD, bytes_rmod);
remainder_slot!(BYTEARRAY_MOD, bytearray_mod);
remainder_slot!(BYTEARRAY_RMOD, bytearray_rmod);

fn mod_method(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let t = &vm.ctx.types;
    let ty = if zelf.downcast_ref::<PyStr>().is_some() {
        t.str_type
    } else if zelf.downcast_ref::<PyByteArray>().is_some() {
        t.bytearray_type
    } else {
        t.bytes_type
    };
    if let Some(values) = args.args.first() {
        check_percent(&zelf, values, vm)?;
    }
    call_original(vm, ty, "__mod__", zelf, args)
}

/// Wraps `__format__` and `%` of this thread's built-in types.
pub fn install(vm: &VirtualMachine) {
    let t = &vm.ctx.types;
    for ty in [t.int_type, t.float_type, t.complex_type, t.str_type] {
        wrap_method(
            vm,
            ty,
            "__format__",
            format_method,
            "Return a formatted version of the value as described by format_spec.",
        );
    }
    wrap_slot!(
        vm,
        t.str_type,
        |ty| ty.slots.as_number.remainder,
        &STR_MOD,
        str_mod,
        BinaryFn
    );
    wrap_slot!(
        vm,
        t.str_type,
        |ty| ty.slots.as_number.right_remainder,
        &STR_RMOD,
        str_rmod,
        BinaryFn
    );
    wrap_slot!(
        vm,
        t.bytes_type,
        |ty| ty.slots.as_number.remainder,
        &BYTES_MOD,
        bytes_mod,
        BinaryFn
    );
    wrap_slot!(
        vm,
        t.bytes_type,
        |ty| ty.slots.as_number.right_remainder,
        &BYTES_RMOD,
        bytes_rmod,
        BinaryFn
    );
    wrap_slot!(
        vm,
        t.bytearray_type,
        |ty| ty.slots.as_number.remainder,
        &BYTEARRAY_MOD,
        bytearray_mod,
        BinaryFn
    );
    wrap_slot!(
        vm,
        t.bytearray_type,
        |ty| ty.slots.as_number.right_remainder,
        &BYTEARRAY_RMOD,
        bytearray_rmod,
        BinaryFn
    );
    for ty in [t.str_type, t.bytes_type, t.bytearray_type] {
        wrap_method(vm, ty, "__mod__", mod_method, "Return self%value.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_read_as_python_does() {
        let spec = |s: &str| parse_spec(s);
        assert_eq!(spec(">1073741824").width_bytes, 1 << 30);
        assert_eq!(spec("0>5").width_bytes, 5);
        assert_eq!(spec("é^10").width_bytes, 20);
        assert_eq!(spec("+#010,.3f").width_bytes, 10);
        assert_eq!(spec("+#010,.3f").precision, Some(3));
        assert_eq!(spec("+#010,.3f").kind, Some('f'));
        assert_eq!(spec(".70000e").precision, Some(70_000));
        assert_eq!(spec("").width_bytes, 0);
        assert_eq!(spec(&"9".repeat(60)).width_bytes, u128::MAX);
    }
}
