//! Code objects come only from the compiler.
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
//! `marshal` refuses code objects in its stand-in (`src/python/marshal.py`).
//! Like [`crate::guards`], the patch is per thread: without the `threading`
//! feature rustpython-vm keeps its built-in types per thread.

use std::cell::Cell;

use rustpython_vm::builtins::{PyCode, PyStr, PyTypeRef};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

use crate::engine_fixes::{call_original, replace_method};

/// `code.replace` keywords that only change how the code is described.
pub const DESCRIPTIVE_FIELDS: &[&str] =
    &["co_name", "co_qualname", "co_filename", "co_firstlineno"];

thread_local! {
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
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
}
