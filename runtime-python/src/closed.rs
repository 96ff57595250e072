//! Code objects come only from the compiler, and run only in functions of
//! their shape.
//!
//! RustPython does not verify bytecode: a code object with forged
//! instructions, constants or names would run whatever it encodes, so **no
//! guest-made code object may ever reach the VM**. This closes the routes
//! that build one from parts, at the type level (the slots and the type's
//! own attributes, which guest code cannot reach):
//!
//! - `types.CodeType(...)` and `CodeType.__new__(...)` raise;
//! - `code.replace(...)` and `code.__replace__(...)` (and so `copy.replace`)
//!   accept only descriptive fields (`co_name`, `co_qualname`,
//!   `co_filename`, `co_firstlineno`), which template engines change on
//!   their error paths; anything the VM executes (bytecode, constants,
//!   names, variable names, cells, flags, counts) raises.
//!
//! A compiler-made code object can still be given to a function it was not
//! made for, and RustPython 0.5 trusts the function's shape when it runs
//! the code (a missing closure cell panics, more defaults than parameters
//! underflows an index). So what a function may be given keeps the shape
//! CPython enforces:
//!
//! - `f.__code__ = code` needs as many free variables as `f` has closure
//!   cells (CPython's own check) and no fewer positional parameters than
//!   `f` has defaults;
//! - `f.__defaults__ = t` and `types.FunctionType(code, globals, name,
//!   argdefs)` give at most as many defaults as the code has positional
//!   parameters;
//! - `frame.f_lineno = n` (a jump, which only a trace function may make in
//!   CPython; guests cannot trace) raises.
//!
//! `marshal` refuses code objects in its stand-in (`src/python/marshal.py`).
//! Like [`crate::guards`], the patch is per thread: without the `threading`
//! feature rustpython-vm keeps its built-in types per thread.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::mem::ManuallyDrop;
use std::sync::OnceLock;

use rustpython_vm::builtins::{PyCode, PyStr, PyTuple, PyType, PyTypeRef};
use rustpython_vm::function::{FuncArgs, PySetterValue};
use rustpython_vm::{AsObject, Py, PyObject, PyObjectRef, PyResult, VirtualMachine};

use crate::engine_fixes::{call_original, replace_method};

/// `code.replace` keywords that only change how the code is described.
pub const DESCRIPTIVE_FIELDS: &[&str] =
    &["co_name", "co_qualname", "co_filename", "co_firstlineno"];

thread_local! {
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
    /// The original attribute descriptors replaced here, by name (never
    /// dropped: they live as long as the thread's types).
    static GETSETS: RefCell<HashMap<&'static str, ManuallyDrop<PyObjectRef>>> =
        RefCell::new(HashMap::new());
}

fn refuse_new(_cls: PyTypeRef, _args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    Err(refused(vm, "code objects cannot be created from parts"))
}

fn refused(vm: &VirtualMachine, what: &str) -> rustpython_vm::builtins::PyBaseExceptionRef {
    vm.new_os_subtype_error(
        vm.ctx.exceptions.permission_error.to_owned(),
        None,
        format!("morph sandbox: {what}; only the compiler makes code"),
    )
    .upcast()
}

fn replace(zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    if zelf.downcast_ref::<PyCode>().is_none() {
        return Err(vm.new_type_error("replace() needs a code object"));
    }
    if !args.args.is_empty() {
        return Err(vm.new_type_error("replace() takes keyword arguments only"));
    }
    if let Some(field) = args
        .kwargs
        .keys()
        .find(|k| !DESCRIPTIVE_FIELDS.contains(&k.as_str()))
    {
        return Err(refused(
            vm,
            &format!("code.replace({field}=...) would change what the interpreter runs"),
        ));
    }
    let mut call = FuncArgs::default();
    for (key, value) in args.kwargs {
        // rustpython-vm 0.5 unwraps an interned string for the names
        // (a panic on any other str): intern them first.
        let value = match value.downcast_ref::<PyStr>() {
            Some(text) if key != "co_firstlineno" => vm
                .ctx
                .intern_str(text.to_string_lossy().as_ref())
                .to_owned()
                .into(),
            None if key != "co_firstlineno" => {
                return Err(vm.new_type_error(format!("{key} must be a str")));
            }
            _ => value,
        };
        call.kwargs.insert(key, value);
    }
    call_original(vm, vm.ctx.types.code_type, "replace", zelf, call)
}

/// Closes the routes on this thread's code type (once per thread).
pub fn install(vm: &VirtualMachine) {
    if INSTALLED.with(|i| i.replace(true)) {
        return;
    }
    let code_type = vm.ctx.types.code_type;
    code_type.slots.new.store(Some(refuse_new));
    let doc = "Return a copy of the code object with new descriptive values (Morph \
               allows co_name, co_qualname, co_filename and co_firstlineno).";
    replace_method(vm, code_type, "replace", replace, doc);
    replace_method(vm, code_type, "__replace__", replace, doc);
    // `__new__` is a bound wrapper that calls the slot above.
    let function_type = vm.ctx.types.function_type;
    if let Some(original) = function_type.slots.new.load()
        && original as usize != function_new as NewFn as usize
    {
        let _ = FUNCTION_NEW.set(original);
        function_type.slots.new.store(Some(function_new));
    }
    guard_setter(vm, function_type, "__code__", check_code);
    guard_setter(vm, function_type, "__defaults__", check_defaults);
    guard_setter(vm, vm.ctx.types.frame_type, "f_lineno", refuse_jump);
}

type NewFn = fn(PyTypeRef, FuncArgs, &VirtualMachine) -> PyResult;
/// Checks a write to an attribute of an object before the original
/// descriptor makes it: the value assigned, `None` for a `del`.
type Check = fn(&PyObject, Option<&PyObject>, &VirtualMachine) -> PyResult<()>;

static FUNCTION_NEW: OnceLock<NewFn> = OnceLock::new();

/// Replaces the attribute `name` of `ty` with one that reads through the
/// original and writes through it once `check` passes.
fn guard_setter(vm: &VirtualMachine, ty: &'static Py<PyType>, name: &'static str, check: Check) {
    let interned = vm.ctx.intern_str(name);
    let Some(original) = ty.get_direct_attr(interned) else {
        return;
    };
    GETSETS.with(|g| g.borrow_mut().insert(name, ManuallyDrop::new(original)));
    let getset = vm.ctx.new_static_getset(
        name,
        ty,
        move |obj: PyObjectRef, vm: &VirtualMachine| get_original(name, obj, vm),
        move |obj: PyObjectRef, value: PySetterValue<PyObjectRef>, vm: &VirtualMachine| {
            let assigned = match &value {
                PySetterValue::Assign(v) => Some(&**v),
                PySetterValue::Delete => None,
            };
            check(&obj, assigned, vm)?;
            set_original(name, &obj, value, vm)
        },
    );
    ty.set_attr(interned, getset.into());
}

fn original(name: &str, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
    GETSETS
        .with(|g| g.borrow().get(name).map(|d| (**d).clone()))
        .ok_or_else(|| vm.new_runtime_error(format!("morph: {name} is unavailable")))
}

/// Reads attribute `name` of `obj` through the original descriptor.
fn get_original(name: &str, obj: PyObjectRef, vm: &VirtualMachine) -> PyResult {
    let descr = original(name, vm)?;
    match descr.class().slots.descr_get.load() {
        Some(get) => get(descr, Some(obj), None, vm),
        None => Err(vm.new_runtime_error(format!("morph: {name} is unreadable"))),
    }
}

/// Writes attribute `name` of `obj` through the original descriptor.
fn set_original(
    name: &str,
    obj: &PyObject,
    value: PySetterValue<PyObjectRef>,
    vm: &VirtualMachine,
) -> PyResult<()> {
    let descr = original(name, vm)?;
    match descr.class().slots.descr_set.load() {
        Some(set) => set(&descr, obj.to_owned(), value, vm),
        None => Err(vm.new_attribute_error(format!("{name} is read-only"))),
    }
}

/// Length of a tuple attribute (`None` counts as empty).
fn tuple_len(value: &PyObject, what: &str, vm: &VirtualMachine) -> PyResult<usize> {
    if vm.is_none(value) {
        return Ok(0);
    }
    value
        .downcast_ref::<PyTuple>()
        .map(|t| t.len())
        .ok_or_else(|| vm.new_type_error(format!("{what} must be set to a tuple object")))
}

fn too_many_defaults(vm: &VirtualMachine, defaults: usize, params: u32) -> PyResult<()> {
    if defaults > params as usize {
        return Err(vm.new_value_error(format!(
            "morph sandbox: {defaults} defaults for {params} positional parameters"
        )));
    }
    Ok(())
}

fn check_code(func: &PyObject, value: Option<&PyObject>, vm: &VirtualMachine) -> PyResult<()> {
    let Some(new) = value.and_then(|code| code.downcast_ref::<PyCode>()) else {
        return Err(vm.new_type_error("__code__ must be set to a code object"));
    };
    let closure = func.get_attr("__closure__", vm)?;
    let cells = tuple_len(&closure, "__closure__", vm)?;
    if new.freevars.len() != cells {
        let name = func
            .get_attr("__name__", vm)
            .ok()
            .and_then(|n| {
                n.downcast_ref::<PyStr>()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .unwrap_or_default();
        return Err(vm.new_value_error(format!(
            "{name}() requires a code object with {cells} free vars, not {}",
            new.freevars.len()
        )));
    }
    let defaults = get_original("__defaults__", func.to_owned(), vm)?;
    let defaults = tuple_len(&defaults, "__defaults__", vm)?;
    too_many_defaults(vm, defaults, new.arg_count)
}

fn check_defaults(func: &PyObject, value: Option<&PyObject>, vm: &VirtualMachine) -> PyResult<()> {
    let Some(defaults) = value else {
        return Ok(());
    };
    let count = tuple_len(defaults, "__defaults__", vm)?;
    let code = get_original("__code__", func.to_owned(), vm)?;
    match code.downcast_ref::<PyCode>() {
        Some(code) => too_many_defaults(vm, count, code.arg_count),
        None => Ok(()),
    }
}

fn refuse_jump(_frame: &PyObject, _value: Option<&PyObject>, vm: &VirtualMachine) -> PyResult<()> {
    Err(vm.new_value_error("f_lineno can only be set by a trace function"))
}

/// `types.FunctionType(code, globals, name=None, argdefs=None, closure=None)`
/// with no more defaults than the code has positional parameters.
fn function_new(cls: PyTypeRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let code = args.args.first().or_else(|| args.kwargs.get("code"));
    let argdefs = args.args.get(3).or_else(|| args.kwargs.get("argdefs"));
    if let (Some(code), Some(argdefs)) = (code, argdefs)
        && let Some(code) = code.downcast_ref::<PyCode>()
        && let Some(defaults) = argdefs.downcast_ref::<PyTuple>()
    {
        too_many_defaults(vm, defaults.len(), code.arg_count)?;
    }
    match FUNCTION_NEW.get() {
        Some(f) => f(cls, args, vm),
        None => Err(vm.new_runtime_error("morph: the function constructor is unavailable")),
    }
}
