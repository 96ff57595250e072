//! Fixes to rustpython-vm 0.5 behaviour that real libraries hit, made on
//! the built-in types (per thread, like [`crate::guards`]) until they are
//! fixed upstream. Each makes RustPython do what CPython does:
//!
//! - `descriptor.__get__(obj)` without an owner binds to `obj` (rustpython
//!   raises "needs a type"; `attrs` caches `object.__setattr__.__get__(self)`);
//! - dict key and item views are unhashable (`__hash__` is `None`), so
//!   `collections.abc.Hashable` answers as on CPython;
//! - `"a" + 1` raises `can only concatenate str (not "int") to str`, as
//!   CPython words it (rustpython's str concatenation falls through to the
//!   generic operand error when the other side's `__radd__` declines);
//! - `str.isdigit` is true for every digit Unicode knows (numeric type
//!   Decimal or Digit: `'٣'`, `'①'`), not only ASCII and superscripts;
//! - `vars()` and `locals()` at module level keep the module's
//!   `__conditional_annotations__` (rustpython's sync of the frame's cells
//!   deletes it from the module's namespace, so the next annotated
//!   assignment raises `NameError`; `pyparsing` does `x: T = f(vars())`);
//! - `round(x, n)` for a float rounds the exact binary value correctly
//!   (rustpython's `round(2.675, 2)` is `2.68`; CPython's, like its
//!   `format(2.675, '.2f')`, is `2.67`).
//!
//! It also holds the one mechanism the sandbox uses to replace a built-in
//! method while keeping the original ([`replace_method`],
//! [`replace_classmethod`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::mem::ManuallyDrop;

use rustpython_vm::builtins::{PyFloat, PyInt, PyStr, PyType};
use rustpython_vm::function::{
    FuncArgs, IntoPyNativeFn, OptionalArg, PyMethodDef, PyMethodFlags, PyNativeFn,
};
use rustpython_vm::protocol::PySequence;
use rustpython_vm::types::hash_not_implemented;
use rustpython_vm::{AsObject, Py, PyObject, PyObjectRef, PyResult, VirtualMachine};
use ucd::{Codepoint, NumericType};

thread_local! {
    /// Originals of replaced methods by `type.method` (never dropped: they
    /// live as long as the thread's types).
    static ORIGINALS: RefCell<HashMap<Key, ManuallyDrop<PyObjectRef>>> =
        RefCell::new(HashMap::new());
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
}

/// Replaces method `name` of the built-in type `ty` on this thread with
/// `method` (a function or closure: `fn(PyObjectRef, FuncArgs,
/// &VirtualMachine) -> PyResult`), keeping the original for
/// [`call_original`].
pub fn replace_method<Kind>(
    vm: &VirtualMachine,
    ty: &'static Py<PyType>,
    name: &'static str,
    method: impl IntoPyNativeFn<Kind>,
    doc: &'static str,
) {
    replace(vm, ty, name, method, PyMethodFlags::METHOD, doc, |def| {
        def.build_method(&vm.ctx, ty).into()
    });
}

/// Replaces the class method `name` of the built-in type `ty` on this
/// thread with `method` (it receives the class first), keeping the original
/// for [`call_original`] (called with the class in place of `zelf`).
pub fn replace_classmethod<Kind>(
    vm: &VirtualMachine,
    ty: &'static Py<PyType>,
    name: &'static str,
    method: impl IntoPyNativeFn<Kind>,
    doc: &'static str,
) {
    replace(vm, ty, name, method, PyMethodFlags::CLASS, doc, |def| {
        def.build_classmethod(&vm.ctx, ty).into()
    });
}

/// Keeps the original of `ty.name` (if `ty` defines it) for
/// [`call_original`] and sets `ty.name` to what `build` makes of the
/// definition of `method` with `flags`.
fn replace<Kind>(
    vm: &VirtualMachine,
    ty: &'static Py<PyType>,
    name: &'static str,
    method: impl IntoPyNativeFn<Kind>,
    flags: PyMethodFlags,
    doc: &'static str,
    build: impl FnOnce(&'static PyMethodDef) -> PyObjectRef,
) {
    if let Some(original) = ty.get_direct_attr(vm.ctx.intern_str(name)) {
        ORIGINALS.with(|o| {
            o.borrow_mut()
                .insert(key(ty, name), ManuallyDrop::new(original))
        });
    }
    // Method definitions must be `'static`: one per thread and method, made
    // once (with what a closure captures).
    let func: &'static dyn PyNativeFn = Box::leak(Box::new(method.into_func()));
    let def: &'static PyMethodDef = Box::leak(Box::new(PyMethodDef {
        name,
        func,
        flags,
        doc: Some(doc),
    }));
    ty.set_attr(vm.ctx.intern_str(name), build(def));
}

/// Calls the original of a method replaced with [`replace_method`].
pub fn call_original(
    vm: &VirtualMachine,
    ty: &'static Py<PyType>,
    name: &'static str,
    zelf: PyObjectRef,
    args: FuncArgs,
) -> PyResult {
    let Some(original) = ORIGINALS.with(|o| o.borrow().get(&key(ty, name)).map(|m| (**m).clone()))
    else {
        return Err(vm.new_runtime_error(format!("morph: {name} is unavailable")));
    };
    let mut call = FuncArgs::from(vec![zelf]);
    call.args.extend(args.args);
    call.kwargs = args.kwargs;
    original.call(call, vm)
}

/// A replaced method: its type (by address; built-in types live as long
/// as the thread) and its name. Looked up on every call, without
/// allocating.
type Key = (usize, &'static str);

fn key(ty: &Py<PyType>, name: &'static str) -> Key {
    (ty as *const Py<PyType> as usize, name)
}

type DescrGet =
    fn(PyObjectRef, Option<PyObjectRef>, Option<PyObjectRef>, &VirtualMachine) -> PyResult;

thread_local! {
    static METHOD_DESCR_GET: Cell<Option<DescrGet>> = const { Cell::new(None) };
}

fn method_descr_get(
    zelf: PyObjectRef,
    obj: Option<PyObjectRef>,
    cls: Option<PyObjectRef>,
    vm: &VirtualMachine,
) -> PyResult {
    let cls = match (&obj, cls) {
        (Some(obj), None) if !vm.is_none(obj) => Some(obj.class().to_owned().into()),
        (_, cls) => cls,
    };
    match METHOD_DESCR_GET.with(Cell::get) {
        Some(original) => original(zelf, obj, cls, vm),
        None => Err(vm.new_runtime_error("morph: descriptor __get__ is unavailable")),
    }
}

/// `method_descriptor.__get__(obj, owner=None)` as called from Python (the
/// type's `__get__` wrapper holds the slot function it was made with).
fn method_descr_dunder_get(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    if !args.kwargs.is_empty() || args.args.is_empty() || args.args.len() > 2 {
        return Err(vm.new_type_error("__get__ expects the instance and an optional owner"));
    }
    let mut args = args.args.into_iter();
    let obj = args.next().filter(|o| !vm.is_none(o));
    let cls = args.next().filter(|c| !vm.is_none(c));
    method_descr_get(zelf, obj, cls, vm)
}

type Concat = fn(PySequence<'_>, &PyObject, &VirtualMachine) -> PyResult;

thread_local! {
    static STR_CONCAT: Cell<Option<Concat>> = const { Cell::new(None) };
}

/// The last resort of `str + x` (after both operands' number slots).
fn str_concat(seq: PySequence<'_>, other: &PyObject, vm: &VirtualMachine) -> PyResult {
    let result = match STR_CONCAT.with(Cell::get) {
        Some(original) => original(seq, other, vm)?,
        None => vm.ctx.not_implemented(),
    };
    if result.is(&vm.ctx.not_implemented) {
        return Err(vm.new_type_error(format!(
            r#"can only concatenate str (not "{}") to str"#,
            other.class().name()
        )));
    }
    Ok(result)
}

fn str_isdigit(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    if !args.args.is_empty() || !args.kwargs.is_empty() {
        return Err(vm.new_type_error("str.isdigit() takes no arguments"));
    }
    let Some(text) = zelf.downcast_ref::<PyStr>() else {
        return Err(vm.new_type_error("isdigit() needs a str"));
    };
    let text = text.to_string_lossy();
    let digits = !text.is_empty()
        && text.chars().all(|c| {
            matches!(
                c.numeric_type(),
                Some(NumericType::Decimal) | Some(NumericType::Digit)
            )
        });
    Ok(vm.ctx.new_bool(digits).into())
}

fn float_round(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let value = zelf.downcast_ref::<PyFloat>().map(|f| f.to_f64());
    let digits = match (value, args.args.as_slice()) {
        (Some(v), [n]) if v.is_finite() && args.kwargs.is_empty() => n
            .downcast_ref::<PyInt>()
            .and_then(|n| n.try_to_primitive::<usize>(vm).ok())
            .filter(|n| *n <= 340)
            .map(|n| (v, n)),
        _ => None,
    };
    match digits {
        // CPython: the correctly rounded decimal string of the exact binary
        // value (dtoa mode 3), read back; Rust's formatting is exact too.
        Some((v, n)) => match format!("{v:.n$}").parse::<f64>() {
            Ok(rounded) => Ok(vm.ctx.new_float(rounded).into()),
            Err(_) => call_original(vm, vm.ctx.types.float_type, "__round__", zelf, args),
        },
        None => call_original(vm, vm.ctx.types.float_type, "__round__", zelf, args),
    }
}

/// The name rustpython keeps in a cell at module level (PEP 649).
const CONDITIONAL_ANNOTATIONS: &str = "__conditional_annotations__";

/// The caller's locals, with the module's `__conditional_annotations__`
/// kept in its namespace.
fn current_locals(vm: &VirtualMachine) -> PyResult {
    let globals = vm.current_frame().map(|f| f.globals.clone());
    let saved = match &globals {
        Some(g) => g.get_item_opt(CONDITIONAL_ANNOTATIONS, vm)?,
        None => None,
    };
    let locals: PyObjectRef = vm.current_locals()?.into();
    if let (Some(g), Some(value)) = (globals, saved)
        && g.get_item_opt(CONDITIONAL_ANNOTATIONS, vm)?.is_none()
    {
        g.set_item(CONDITIONAL_ANNOTATIONS, value, vm)?;
    }
    Ok(locals)
}

/// Replaces the interpreter's `vars` and `locals` with ones that keep a
/// module's `__conditional_annotations__` (once per interpreter: the
/// builtins module is the interpreter's own). They hold no Python object
/// (a Rust closure's captures are invisible to the cycle collector).
///
/// # Errors
/// A Python exception if `builtins` is not as expected (never guest input).
pub fn install_builtins(vm: &VirtualMachine) -> PyResult<()> {
    let locals = vm.new_function("locals", |vm: &VirtualMachine| current_locals(vm));
    let vars = vm.new_function(
        "vars",
        |obj: OptionalArg<PyObjectRef>, vm: &VirtualMachine| match obj {
            OptionalArg::Present(obj) => obj
                .get_attr("__dict__", vm)
                .map_err(|_| vm.new_type_error("vars() argument must have __dict__ attribute")),
            OptionalArg::Missing => current_locals(vm),
        },
    );
    let builtins = vm.builtins.as_object();
    builtins.set_attr("locals", locals, vm)?;
    builtins.set_attr("vars", vars, vm)
}

/// Applies the fixes on this thread's built-in types (once per thread).
pub fn install(vm: &VirtualMachine) {
    if INSTALLED.with(|i| i.replace(true)) {
        return;
    }
    let types = &vm.ctx.types;
    let slot = &types.method_descriptor_type.slots.descr_get;
    if let Some(original) = slot.load()
        && original as usize != method_descr_get as DescrGet as usize
    {
        METHOD_DESCR_GET.with(|c| c.set(Some(original)));
        slot.store(Some(method_descr_get));
        replace_method(
            vm,
            types.method_descriptor_type,
            "__get__",
            method_descr_dunder_get,
            "Return an attribute of instance, which is of type owner.",
        );
    }
    let concat = &types.str_type.slots.as_sequence.concat;
    if let Some(original) = concat.load()
        && original as usize != str_concat as Concat as usize
    {
        STR_CONCAT.with(|c| c.set(Some(original)));
        concat.store(Some(str_concat));
    }
    for view in [types.dict_keys_type, types.dict_items_type] {
        view.slots.hash.store(Some(hash_not_implemented));
        view.set_attr(vm.ctx.intern_str("__hash__"), vm.ctx.none());
    }
    replace_method(
        vm,
        types.str_type,
        "isdigit",
        str_isdigit,
        "Return True if the string is a digit string, False otherwise.",
    );
    replace_method(
        vm,
        types.float_type,
        "__round__",
        float_round,
        "Return the float rounded to ndigits decimal digits (as CPython rounds).",
    );
}
