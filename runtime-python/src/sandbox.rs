//! The sandboxed interpreter: isolated settings and a stripped module table.
//!
//! rustpython-vm is built without `host_env`, `stdio` and `threading`, so no
//! `os`, `posix`, `_io.FileIO`, `_signal`, `_thread` or path-based importer
//! exists. On top of that, **modules are removed from the interpreter's
//! module table before it starts** (not hidden at Python level): only the
//! modules in [`ALLOWED_MODULES`] can ever be created, so `marshal`, `gc`,
//! `atexit`, `_symtable`, `_sysconfig*` and the real `time` are gone, and
//! `__subclasses__` walks to the import machinery find no way to create
//! them. `sys` loses the functions that reach past the interrupt or the
//! recursion limit, ambient values (`argv`, `executable`, paths) are blanked,
//! and `open` and `input` leave `builtins`.

use std::rc::Rc;

use rustpython_vm::AsObject;
use rustpython_vm::builtins::{PyList, PyType, PyTypeRef};
use rustpython_vm::signal::UserSignalReceiver;
use rustpython_vm::{Interpreter, PyResult, Settings, VirtualMachine};

use crate::call_state::CallState;

/// Native modules a guest may import (plus `sys`, `builtins` and the
/// prelude). `_imp`, `_io`, `_warnings`, `_weakref`, `_typing` and `_ast`
/// are needed by the interpreter's own start-up.
pub const ALLOWED_MODULES: &[&str] = &[
    "_abc",
    "_ast",
    "_codecs",
    "_collections",
    "_functools",
    "_imp",
    "_io",
    "_operator",
    "_sre",
    "_string",
    "_types",
    "_typing",
    "_warnings",
    "_weakref",
    "errno",
    "itertools",
];

/// `sys` functions a guest loses: tracing and profiling (code that runs
/// around the interrupt), the recursion limit, and knobs on process state.
pub const REMOVED_SYS: &[&str] = &[
    "settrace",
    "setprofile",
    "_settraceallthreads",
    "_setprofileallthreads",
    "setrecursionlimit",
    "set_int_max_str_digits",
    "setswitchinterval",
    "monitoring",
    "addaudithook",
    "call_tracing",
    "_current_frames",
    "_current_exceptions",
    "activate_stack_trampoline",
    "set_asyncgen_hooks",
    "setdlopenflags",
    "_clear_type_cache",
    "_clear_internal_caches",
];

/// `builtins` a guest loses.
pub const REMOVED_BUILTINS: &[&str] = &["open", "input", "breakpoint", "help", "exit", "quit"];

/// Recursion limit of guest code (frames); the worker stack is sized so it
/// is reached long before the native stack runs out.
pub const RECURSION_LIMIT: usize = 1000;

/// Builds an interpreter with the stripped module table that receives
/// interrupts on `signals`.
pub fn interpreter(signals: UserSignalReceiver) -> Interpreter {
    let mut settings = Settings::default();
    settings.isolated = true;
    settings.ignore_environment = true;
    settings.import_site = false;
    settings.user_site_directory = false;
    settings.safe_path = true;
    settings.allow_external_library = false;
    settings.install_signal_handlers = false;
    settings.write_bytecode = false;
    settings.path_list = Vec::new();
    settings.argv = Vec::new();
    Interpreter::builder(settings)
        .init_hook(move |vm: &mut VirtualMachine| {
            vm.set_user_signal_channel(signals);
            if let Some(state) = rustpython_vm::common::rc::PyRc::get_mut(&mut vm.state) {
                state
                    .module_defs
                    .retain(|name, _| ALLOWED_MODULES.contains(name));
                state.frozen.retain(|name, _| frozen_allowed(name));
            } else {
                // Only reachable if rustpython changes its start-up; then
                // nothing may run in this interpreter.
                tracing::error!("cannot strip the Python module table");
                state_poisoned(vm);
            }
        })
        .build()
}

/// Frozen (compiled-in Python) modules kept: the import machinery and the
/// pure-Python helpers it needs, nothing that reaches the host.
fn frozen_allowed(name: &str) -> bool {
    !matches!(
        name,
        "_frozen_importlib_external" | "zipimport" | "__hello__" | "__phello__"
    ) && !name.starts_with("__phello__")
}

fn state_poisoned(vm: &mut VirtualMachine) {
    vm.recursion_limit.set(0);
}

/// Scrubs `sys` and `builtins` and installs the host modules; run once per
/// interpreter before any guest code.
///
/// # Errors
/// A Python exception if the interpreter is not as expected (never guest input).
pub fn prepare(vm: &VirtualMachine, state: &Rc<CallState>) -> PyResult<()> {
    if vm.recursion_limit.get() == 0 {
        return Err(vm.new_runtime_error("the module table could not be stripped"));
    }
    vm.recursion_limit.set(RECURSION_LIMIT);
    let sys = vm.sys_module.as_object();
    for name in REMOVED_SYS {
        let _ = sys.del_attr(*name, vm);
    }
    let empty_list = || vm.ctx.new_list(Vec::new());
    sys.set_attr("argv", empty_list(), vm)?;
    sys.set_attr("orig_argv", empty_list(), vm)?;
    sys.set_attr("path", empty_list(), vm)?;
    sys.set_attr("meta_path", empty_list(), vm)?;
    sys.set_attr("path_hooks", empty_list(), vm)?;
    sys.set_attr("warnoptions", empty_list(), vm)?;
    for name in [
        "executable",
        "_base_executable",
        "prefix",
        "base_prefix",
        "exec_prefix",
        "base_exec_prefix",
        "platlibdir",
        "_stdlib_dir",
        "pycache_prefix",
    ] {
        sys.set_attr(name, vm.ctx.new_str(""), vm)?;
    }
    // The import machinery keeps its own references to the finders; put the
    // built-in and frozen ones back so `import json` finds the prelude
    // (sys.modules) and the allowed natives.
    if let Ok(bootstrap) = vm.import("_frozen_importlib", 0) {
        let finders = vm.ctx.new_list(vec![
            bootstrap.get_attr("BuiltinImporter", vm)?,
            bootstrap.get_attr("FrozenImporter", vm)?,
        ]);
        sys.set_attr("meta_path", finders, vm)?;
    }
    intern_type_names(vm);
    crate::guards::install(vm);
    for name in REMOVED_BUILTINS {
        let _ = vm.builtins.as_object().del_attr(*name, vm);
    }
    crate::host_module::install(vm, state)
}

/// Interns the names of every built-in type reachable from `object`.
///
/// rustpython-vm 0.5 panics when `__name__` is read on a static type whose
/// name was never interned (`async_generator_wrapped_value`, found by a
/// `__subclasses__` walk); interning them all up front closes that panic.
fn intern_type_names(vm: &VirtualMachine) {
    let mut stack: Vec<PyTypeRef> = vec![vm.ctx.types.object_type.to_owned()];
    let mut visited = 0usize;
    while let Some(ty) = stack.pop() {
        visited += 1;
        if visited > 10_000 {
            break;
        }
        let name = ty.slot_name().to_string();
        let short = name.rsplit_once('.').map_or(name.as_str(), |(_, n)| n);
        vm.ctx.intern_str(short);
        if let Ok(subs) = vm.call_method(ty.as_object(), "__subclasses__", ())
            && let Some(list) = subs.downcast_ref::<PyList>()
        {
            for sub in list.borrow_vec().iter() {
                if let Ok(t) = sub.clone().downcast::<PyType>() {
                    stack.push(t);
                }
            }
        }
    }
}
