//! Containers and buffers built in one native step from a size or from an
//! iterable whose length is known: `list(range(10**8))` fills 10**8
//! elements natively, with no interrupt check between them.
//!
//! The length comes from `len()` or `__length_hint__` of built-in
//! iterables (as CPython's own preallocation reads it); each element costs its slot in the container
//! and, when iterating creates it, the element object itself. Measured in
//! RustPython 0.5: a list or tuple slot is 8 bytes, a set entry about 40, a
//! dict entry about 48, and a fresh element about 80 (an `int` from a
//! `range`, a pair from `dict.items()`); ints from `bytes` and characters
//! of a `str` are shared, elements of an existing container too. Iterables
//! without a known length (generators, `map`, `zip`) are not checked here:
//! a generator runs bytecode, which the watchdog and the meter stop.
//!
//! Wrapped: `list()` and `list.__init__`, `list.extend`, `+=` on a list,
//! `tuple()`, `set()`, `set.update`, `frozenset()`, `dict.fromkeys`,
//! `sorted`, `bytes(n)` / `bytes(iterable)`, `bytearray(...)`,
//! `bytearray.extend` and `int.to_bytes`.

use std::sync::OnceLock;

use rustpython_vm::builtins::{PyInt, PyStr, PyType, PyTypeRef};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::protocol::PySequence;
use rustpython_vm::types::PyTypeFlags;
use rustpython_vm::{AsObject, Py, PyObject, PyObjectRef, PyResult, VirtualMachine};

use super::repeat::{POINTER, count};
use super::{active, check, original, wrap_method, wrap_slot};
use crate::engine_fixes::{call_original, replace_classmethod};

/// Bytes of an element object that iterating creates.
const FRESH_ELEMENT: u128 = 80;
/// Bytes of one entry of a set's table.
const SET_ENTRY: u128 = 40;
/// Bytes of one entry of a dict's table.
const DICT_ENTRY: u128 = 48;
/// Peak of `int.to_bytes(n)`, in results (the digits, then the padded copy).
const TO_BYTES_TRANSIENT: u128 = 2;

/// How many elements iterating `iterable` gives and the bytes of each
/// element that iterating creates, when the length is known. Only built-in
/// types are asked (a guest's `__len__` would run twice, and its
/// `__iter__` need not agree with it).
fn sized(iterable: &PyObject, vm: &VirtualMachine) -> Option<(u128, u128)> {
    let t = &vm.ctx.types;
    let cls = iterable.class();
    if !active() || cls.slots.flags.has_feature(PyTypeFlags::HEAPTYPE) {
        return None;
    }
    let is_one_of = |types: [&Py<PyType>; 3]| types.iter().any(|r| cls.is(*r));
    let ranged = is_one_of([
        t.range_type,
        t.range_iterator_type,
        t.long_range_iterator_type,
    ]);
    let fresh = is_one_of([
        t.dict_items_type,
        t.dict_itemiterator_type,
        t.dict_reverseitemiterator_type,
    ]);
    let per_element = if ranged || fresh { FRESH_ELEMENT } else { 0 };
    match vm.length_hint_opt(iterable.to_owned()) {
        Ok(Some(n)) => Some((n as u128, per_element)),
        Ok(None) => None,
        // A range too long for an index (`range(10**20)`) is too long.
        Err(e) if ranged && e.fast_isinstance(vm.ctx.exceptions.overflow_error) => {
            Some((u128::MAX, per_element))
        }
        // Whatever the length lookup raised, the original raises too.
        Err(_) => None,
    }
}

/// Refuses filling a container whose entries cost `entry` bytes each from
/// `iterable`.
fn check_fill(iterable: &PyObject, entry: u128, vm: &VirtualMachine) -> PyResult<()> {
    match sized(iterable, vm) {
        Some((n, fresh)) => check(n.saturating_mul(entry + fresh), vm),
        None => Ok(()),
    }
}

/// The one positional argument of a constructor (`list(x)`), if that is
/// how it was called.
fn single(args: &FuncArgs) -> Option<&PyObjectRef> {
    match (args.args.as_slice(), args.kwargs.is_empty()) {
        ([one], true) => Some(one),
        _ => None,
    }
}

/// Refuses a constructor or method called with one iterable (`list(x)`,
/// `l.extend(x)`) that fills a container whose entries cost `entry` bytes.
fn check_single_fill(args: &FuncArgs, entry: u128, vm: &VirtualMachine) -> PyResult<()> {
    match single(args) {
        Some(iterable) => check_fill(iterable, entry, vm),
        None => Ok(()),
    }
}

type InitFn = fn(PyObjectRef, FuncArgs, &VirtualMachine) -> PyResult<()>;
type VectorCallFn =
    fn(&PyObject, Vec<PyObjectRef>, usize, Option<&[PyObjectRef]>, &VirtualMachine) -> PyResult;
type NewFn = fn(PyTypeRef, FuncArgs, &VirtualMachine) -> PyResult;
type ConcatFn = fn(PySequence<'_>, &PyObject, &VirtualMachine) -> PyResult;

static LIST_INIT: OnceLock<InitFn> = OnceLock::new();
static LIST_ICONCAT: OnceLock<ConcatFn> = OnceLock::new();
static SET_INIT: OnceLock<InitFn> = OnceLock::new();
static TUPLE_NEW: OnceLock<NewFn> = OnceLock::new();
static FROZENSET_NEW: OnceLock<NewFn> = OnceLock::new();
static BYTES_NEW: OnceLock<NewFn> = OnceLock::new();
static BYTEARRAY_INIT: OnceLock<InitFn> = OnceLock::new();

/// `list(x)` and `set(x)` are called through the types' vector calls,
/// which run the original initialisers directly: a guard per type, for a
/// container of `$entry`-byte entries, keeping the original in `$orig`.
macro_rules! vector_call {
    ($orig:ident, $guard:ident, $entry:expr) => {
        static $orig: OnceLock<VectorCallFn> = OnceLock::new();
        fn $guard(
            callee: &PyObject,
            args: Vec<PyObjectRef>,
            nargs: usize,
            kwnames: Option<&[PyObjectRef]>,
            vm: &VirtualMachine,
        ) -> PyResult {
            if let ([iterable], 1, None) = (args.as_slice(), nargs, kwnames) {
                check_fill(iterable, $entry, vm)?;
            }
            original(&$orig, "constructor", vm)?(callee, args, nargs, kwnames, vm)
        }
    };
}

vector_call!(LIST_CALL, list_call, POINTER);
vector_call!(SET_CALL, set_call, SET_ENTRY);

fn list_init(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult<()> {
    check_single_fill(&args, POINTER, vm)?;
    original(&LIST_INIT, "constructor", vm)?(zelf, args, vm)
}

fn list_iconcat(seq: PySequence<'_>, other: &PyObject, vm: &VirtualMachine) -> PyResult {
    check_fill(other, POINTER, vm)?;
    original(&LIST_ICONCAT, "+=", vm)?(seq, other, vm)
}

fn set_init(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult<()> {
    check_single_fill(&args, SET_ENTRY, vm)?;
    original(&SET_INIT, "constructor", vm)?(zelf, args, vm)
}

fn tuple_new(cls: PyTypeRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    check_single_fill(&args, POINTER, vm)?;
    original(&TUPLE_NEW, "constructor", vm)?(cls, args, vm)
}

fn frozenset_new(cls: PyTypeRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    check_single_fill(&args, SET_ENTRY, vm)?;
    original(&FROZENSET_NEW, "constructor", vm)?(cls, args, vm)
}

/// Refuses `bytes(source)` / `bytearray(source)`: a size, or an iterable of
/// known length (one byte per element). Text with an encoding and buffers
/// are copies of what the call holds.
fn check_buffer_source(args: &FuncArgs, vm: &VirtualMachine) -> PyResult<()> {
    let source = args.args.first().or_else(|| args.kwargs.get("source"));
    let Some(source) = source else {
        return Ok(());
    };
    if let Some(n) = source.downcast_ref::<PyInt>() {
        return check(count(n, vm).max(0).unsigned_abs(), vm);
    }
    if source.downcast_ref::<PyStr>().is_some() {
        return Ok(());
    }
    check_bytes_fill(source, vm)
}

/// Refuses a buffer filled from `iterable`, one byte per element (the
/// elements are converted one by one, never kept).
fn check_bytes_fill(iterable: &PyObject, vm: &VirtualMachine) -> PyResult<()> {
    match sized(iterable, vm) {
        Some((n, _)) => check(n, vm),
        None => Ok(()),
    }
}

fn bytes_new(cls: PyTypeRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    check_buffer_source(&args, vm)?;
    original(&BYTES_NEW, "constructor", vm)?(cls, args, vm)
}

fn bytearray_init(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult<()> {
    check_buffer_source(&args, vm)?;
    original(&BYTEARRAY_INIT, "constructor", vm)?(zelf, args, vm)
}

// The dict methods: `__init__` wrappers hold the original slot functions;
// the others are plain methods. Those that fill from one iterable are
// wrapped from a table in [`install`].

fn set_update(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    for iterable in &args.args {
        check_fill(iterable, SET_ENTRY, vm)?;
    }
    call_original(vm, vm.ctx.types.set_type, "update", zelf, args)
}

fn bytearray_init_method(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    check_buffer_source(&args, vm)?;
    call_original(vm, vm.ctx.types.bytearray_type, "__init__", zelf, args)
}

fn bytearray_extend(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    if let Some(iterable) = single(&args)
        && iterable.downcast_ref::<PyStr>().is_none()
    {
        check_bytes_fill(iterable, vm)?;
    }
    call_original(vm, vm.ctx.types.bytearray_type, "extend", zelf, args)
}

fn dict_fromkeys(cls: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    if let Some(iterable) = args.args.first() {
        check_fill(iterable, DICT_ENTRY, vm)?;
    }
    call_original(vm, vm.ctx.types.dict_type, "fromkeys", cls, args)
}

fn int_to_bytes(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let length = args.args.first().or_else(|| args.kwargs.get("length"));
    if let Some(n) = length.and_then(|l| l.downcast_ref::<PyInt>()) {
        let bytes = count(n, vm).max(0).unsigned_abs();
        check(bytes.saturating_mul(TO_BYTES_TRANSIENT), vm)?;
    }
    call_original(vm, vm.ctx.types.int_type, "to_bytes", zelf, args)
}

/// `sorted(iterable, /, *, key=None, reverse=False)`: `list(iterable)`
/// (guarded) sorted in place, as CPython defines it.
fn sorted(args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let FuncArgs { args, kwargs } = args;
    let [iterable] = <[PyObjectRef; 1]>::try_from(args).map_err(|args| {
        vm.new_type_error(format!("sorted expected 1 argument, got {}", args.len()))
    })?;
    let list = vm.ctx.types.list_type.as_object().call((iterable,), vm)?;
    vm.call_method(
        &list,
        "sort",
        FuncArgs {
            args: Vec::new(),
            kwargs,
        },
    )?;
    Ok(list)
}

/// Wraps the constructors and methods of this thread's built-in types.
pub fn install(vm: &VirtualMachine) {
    let t = &vm.ctx.types;
    wrap_slot!(
        vm,
        t.list_type,
        |ty| ty.slots.init,
        &LIST_INIT,
        list_init,
        InitFn
    );
    wrap_slot!(
        vm,
        t.list_type,
        |ty| ty.slots.vectorcall,
        &LIST_CALL,
        list_call,
        VectorCallFn
    );
    wrap_slot!(
        vm,
        t.set_type,
        |ty| ty.slots.vectorcall,
        &SET_CALL,
        set_call,
        VectorCallFn
    );
    wrap_slot!(
        vm,
        t.list_type,
        |ty| ty.slots.as_sequence.inplace_concat,
        &LIST_ICONCAT,
        list_iconcat,
        ConcatFn
    );
    wrap_slot!(
        vm,
        t.set_type,
        |ty| ty.slots.init,
        &SET_INIT,
        set_init,
        InitFn
    );
    wrap_slot!(
        vm,
        t.tuple_type,
        |ty| ty.slots.new,
        &TUPLE_NEW,
        tuple_new,
        NewFn
    );
    wrap_slot!(
        vm,
        t.frozenset_type,
        |ty| ty.slots.new,
        &FROZENSET_NEW,
        frozenset_new,
        NewFn
    );
    wrap_slot!(
        vm,
        t.bytes_type,
        |ty| ty.slots.new,
        &BYTES_NEW,
        bytes_new,
        NewFn
    );
    wrap_slot!(
        vm,
        t.bytearray_type,
        |ty| ty.slots.init,
        &BYTEARRAY_INIT,
        bytearray_init,
        InitFn
    );
    // (type, method, bytes per entry, doc)
    let fills = [
        (t.list_type, "__init__", POINTER, "Initialize self."),
        (
            t.list_type,
            "extend",
            POINTER,
            "Extend list by appending elements from the iterable.",
        ),
        (t.list_type, "__iadd__", POINTER, "Implement self+=value."),
        (t.set_type, "__init__", SET_ENTRY, "Initialize self."),
    ];
    for (ty, name, entry, doc) in fills {
        let method = move |zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine| {
            check_single_fill(&args, entry, vm)?;
            call_original(vm, ty, name, zelf, args)
        };
        wrap_method(vm, ty, name, method, doc);
    }
    wrap_method(
        vm,
        t.set_type,
        "update",
        set_update,
        "Update the set, adding elements from all others.",
    );
    wrap_method(
        vm,
        t.bytearray_type,
        "__init__",
        bytearray_init_method,
        "Initialize self.",
    );
    wrap_method(
        vm,
        t.bytearray_type,
        "extend",
        bytearray_extend,
        "Append all the items from the iterator or sequence to the end of the bytearray.",
    );
    wrap_method(
        vm,
        t.int_type,
        "to_bytes",
        int_to_bytes,
        "Return an array of bytes representing an integer.",
    );
    replace_classmethod(
        vm,
        t.dict_type,
        "fromkeys",
        dict_fromkeys,
        "Create a new dictionary with keys from iterable and values set to value.",
    );
}

/// Replaces this interpreter's `sorted` with the guarded one.
///
/// # Errors
/// A Python exception if `builtins` is not as expected (never guest input).
pub fn install_builtins(vm: &VirtualMachine) -> PyResult<()> {
    let sorted = vm.new_function("sorted", sorted);
    vm.builtins.as_object().set_attr("sorted", sorted, vm)
}
