//! Text padding and rewriting on `str`, `bytes` and `bytearray`, whose
//! result size follows from an argument rather than from the text:
//! `"x".ljust(2**30)`, `rjust`, `center`, `zfill`, `expandtabs(tabsize)`
//! and `replace(old, new)` (each occurrence grows by `len(new) -
//! len(old)`), refused when the result would not fit.

use rustpython_vm::builtins::{PyByteArray, PyBytes, PyInt, PyStr, PyType};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::protocol::PyBuffer;
use rustpython_vm::{Py, PyObject, PyObjectRef, PyResult, TryFromBorrowedObject, VirtualMachine};

use super::repeat::count;
use super::{active, check, wrap_method, wrap_named};
use crate::engine_fixes::call_original;

/// The built-in text type of `obj` and its bytes.
fn text_of<'a>(
    obj: &'a PyObject,
    vm: &VirtualMachine,
) -> Option<(&'static Py<PyType>, Payload<'a>)> {
    let t = &vm.ctx.types;
    if let Some(s) = obj.downcast_ref::<PyStr>() {
        return Some((t.str_type, Payload::Str(s)));
    }
    if let Some(b) = obj.downcast_ref::<PyBytes>() {
        return Some((t.bytes_type, Payload::Bytes(b)));
    }
    if let Some(b) = obj.downcast_ref::<PyByteArray>() {
        return Some((t.bytearray_type, Payload::ByteArray(b)));
    }
    None
}

/// The payload of a text object.
enum Payload<'a> {
    Str(&'a PyStr),
    Bytes(&'a PyBytes),
    ByteArray(&'a PyByteArray),
}

impl Payload<'_> {
    /// Its length in bytes.
    fn len(&self) -> u128 {
        match self {
            Payload::Str(s) => s.byte_len() as u128,
            Payload::Bytes(b) => b.as_bytes().len() as u128,
            Payload::ByteArray(b) => b.borrow_buf().len() as u128,
        }
    }

    /// How many times `byte` occurs.
    fn occurrences(&self, byte: u8) -> u128 {
        let count = |bytes: &[u8]| bytes.iter().filter(|b| **b == byte).count() as u128;
        match self {
            Payload::Str(s) => count(s.as_bytes()),
            Payload::Bytes(b) => count(b.as_bytes()),
            Payload::ByteArray(b) => count(&b.borrow_buf()),
        }
    }

    /// Where `replace` with an empty `old` inserts: between every
    /// character (code point for `str`, byte otherwise) and at both ends.
    fn insertion_points(&self) -> u128 {
        match self {
            Payload::Str(s) => s.char_len() as u128 + 1,
            other => other.len() + 1,
        }
    }
}

/// Argument `index` or keyword `name`.
fn arg<'a>(args: &'a FuncArgs, index: usize, name: &str) -> Option<&'a PyObjectRef> {
    args.args.get(index).or_else(|| args.kwargs.get(name))
}

/// An argument as a non-negative size (`None` if it is not an `int`).
fn size_arg(args: &FuncArgs, index: usize, name: &str, vm: &VirtualMachine) -> Option<u128> {
    let n = arg(args, index, name)?.downcast_ref::<PyInt>()?;
    Some(count(n, vm).max(0).unsigned_abs())
}

/// Length in bytes of a `str` or bytes-like argument.
fn piece_len(obj: &PyObject, vm: &VirtualMachine) -> Option<u128> {
    if let Some(s) = obj.downcast_ref::<PyStr>() {
        return Some(s.byte_len() as u128);
    }
    PyBuffer::try_from_borrowed_object(vm, obj)
        .ok()
        .map(|b| b.desc.len as u128)
}

/// `ljust`, `rjust`, `center`: `width` copies of the fill character.
fn check_pad(args: &FuncArgs, vm: &VirtualMachine) -> PyResult<()> {
    let Some(width) = size_arg(args, 0, "width", vm) else {
        return Ok(());
    };
    let fill = arg(args, 1, "fillchar")
        .and_then(|f| piece_len(f, vm))
        .unwrap_or(1)
        .max(1);
    check(width.saturating_mul(fill), vm)
}

fn pad_method(
    name: &'static str,
    zelf: PyObjectRef,
    args: FuncArgs,
    vm: &VirtualMachine,
) -> PyResult {
    let Some((ty, _)) = text_of(&zelf, vm) else {
        return Err(vm.new_type_error(format!("{name}() needs str, bytes or bytearray")));
    };
    if name == "zfill" {
        if let Some(width) = size_arg(&args, 0, "width", vm) {
            check(width, vm)?;
        }
    } else {
        check_pad(&args, vm)?;
    }
    call_original(vm, ty, name, zelf, args)
}

fn expandtabs(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let Some((ty, text)) = text_of(&zelf, vm) else {
        return Err(vm.new_type_error("expandtabs() needs str, bytes or bytearray"));
    };
    let tabsize = size_arg(&args, 0, "tabsize", vm).unwrap_or(8);
    if tabsize > 1 && active() {
        let tabs = text.occurrences(b'\t');
        check(text.len().saturating_add(tabs.saturating_mul(tabsize)), vm)?;
    }
    call_original(vm, ty, "expandtabs", zelf, args)
}

fn replace(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let Some((ty, text)) = text_of(&zelf, vm) else {
        return Err(vm.new_type_error("replace() needs str, bytes or bytearray"));
    };
    let old = arg(&args, 0, "old");
    let new = arg(&args, 1, "new");
    if let (Some(old), Some(new)) = (old, new)
        && let (Some(old_len), Some(new_len)) = (piece_len(old, vm), piece_len(new, vm))
        && new_len > old_len
        && active()
    {
        let growth = new_len - old_len;
        let len = text.len();
        let most = len
            .checked_div(old_len)
            .unwrap_or_else(|| text.insertion_points());
        let most = match arg(&args, 2, "count").and_then(|c| c.downcast_ref::<PyInt>()) {
            Some(c) if count(c, vm) >= 0 => most.min(count(c, vm).unsigned_abs()),
            _ => most,
        };
        // Only count the occurrences when the worst case would not fit.
        if check(len.saturating_add(most.saturating_mul(growth)), vm).is_err() {
            let found = if old_len == 0 {
                most
            } else {
                occurrences(&zelf, ty, old, vm)?.min(most)
            };
            check(len.saturating_add(found.saturating_mul(growth)), vm)?;
        }
    }
    call_original(vm, ty, "replace", zelf, args)
}

/// Non-overlapping occurrences of `needle` in `zelf`, by the built-in
/// type's own `count` (a guest subclass cannot answer for it).
fn occurrences(
    zelf: &PyObjectRef,
    ty: &'static Py<PyType>,
    needle: &PyObjectRef,
    vm: &VirtualMachine,
) -> PyResult<u128> {
    let Some(count_method) = ty.get_direct_attr(vm.ctx.intern_str("count")) else {
        return Ok(0);
    };
    let found = count_method.call((zelf.clone(), needle.clone()), vm)?;
    Ok(found
        .downcast_ref::<PyInt>()
        .map_or(0, |n| count(n, vm).max(0).unsigned_abs()))
}

/// Wraps the padding and rewriting methods of this thread's text types.
pub fn install(vm: &VirtualMachine) {
    let t = &vm.ctx.types;
    let pads = [
        ("ljust", "Return a left-justified string of length width."),
        ("rjust", "Return a right-justified string of length width."),
        ("center", "Return a centered string of length width."),
        (
            "zfill",
            "Pad a numeric string with zeros on the left, to fill a field of the given width.",
        ),
    ];
    for ty in [t.str_type, t.bytes_type, t.bytearray_type] {
        wrap_named(vm, ty, &pads, pad_method);
        wrap_method(
            vm,
            ty,
            "expandtabs",
            expandtabs,
            "Return a copy where all tab characters are expanded using spaces.",
        );
        wrap_method(
            vm,
            ty,
            "replace",
            replace,
            "Return a copy with all occurrences of substring old replaced by new.",
        );
    }
}
