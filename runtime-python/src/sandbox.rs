//! The sandboxed interpreter: isolated settings and a module table cut down
//! to the allowlist of [`crate::stdlib`].
//!
//! rustpython-vm is built without `host_env`, `stdio` and `threading`, so no
//! `posix`, `_io.FileIO`, `_signal`, socket or path-based importer exists.
//! On top of that, **modules are removed from the interpreter's module table
//! before it starts** (not hidden at Python level): only the modules of the
//! allowlist can ever be created, so `gc`, `_symtable`, `_sysconfig*` and
//! the importlib file loaders are gone, the native `time` and `marshal` are
//! only reachable through their stand-ins, and `__subclasses__` walks to the
//! import machinery find no way to create anything else. `sys` loses the
//! functions that reach past the interrupt or the recursion limit, ambient
//! values (`argv`, `executable`, paths) are blanked, `open` and `input`
//! leave `builtins`, and code objects can only come from the compiler
//! (the `closed` module).

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use rustpython_vm::AsObject;
use rustpython_vm::builtins::{PyList, PyModuleDef, PyType, PyTypeRef};
use rustpython_vm::signal::UserSignalReceiver;
use rustpython_vm::{Interpreter, PyObjectRef, PyResult, Settings, VirtualMachine};

use crate::call_state::CallState;
use crate::package_modules::PackageModules;
use crate::stdlib;
pub use crate::teardown::GuestInterpreter;

thread_local! {
    /// The native `time` definition of the interpreter being built on this
    /// thread (taken out of its module table by the init hook).
    static NATIVE_TIME_DEF: Cell<Option<&'static PyModuleDef>> = const { Cell::new(None) };
}

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
/// (`open` is put back by the start-up module as a function that raises
/// `PermissionError`, as `io.open` does.)
pub const REMOVED_BUILTINS: &[&str] = &["open", "input", "breakpoint", "help", "exit", "quit"];

/// Recursion limit of guest code (frames); the worker stack is sized so it
/// is reached long before the native stack runs out.
pub const RECURSION_LIMIT: usize = 1000;

/// Which modules an interpreter's tables hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Library {
    /// The allowlisted standard library and Morph's modules: what every
    /// guest gets.
    Standard,
    /// Morph's own modules only (no RustPython library, no
    /// rustpython-stdlib natives): the baseline that shows, in the
    /// benchmarks, what the standard library adds to an interpreter.
    MorphOnly,
}

/// Builds an interpreter with the stripped module table that receives
/// interrupts on `signals`.
pub fn interpreter(signals: UserSignalReceiver) -> GuestInterpreter {
    interpreter_with(signals, Library::Standard)
}

/// [`interpreter`] with the module tables of `library`. What it leaves is
/// freed when it is dropped ([`GuestInterpreter`]); the first on a thread
/// runs the thread's bootstrap first.
pub fn interpreter_with(signals: UserSignalReceiver, library: Library) -> GuestInterpreter {
    GuestInterpreter::new(
        || build(signals, library),
        || {
            build(
                rustpython_vm::signal::user_signal_channel().1,
                Library::Standard,
            )
        },
    )
}

/// A bare interpreter with the module tables of `library`.
fn build(signals: UserSignalReceiver, library: Library) -> Interpreter {
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
    let builder = Interpreter::builder(settings);
    let (natives, frozen) = match library {
        Library::Standard => (stdlib::native_defs(&builder.ctx), stdlib::frozen_modules()),
        Library::MorphOnly => (Vec::new(), stdlib::morph_modules()),
    };
    builder
        .add_native_modules(&natives)
        .add_frozen_modules(frozen.iter().copied())
        .init_hook(move |vm: &mut VirtualMachine| {
            vm.set_user_signal_channel(signals);
            if let Some(state) = rustpython_vm::common::rc::PyRc::get_mut(&mut vm.state) {
                let time = state.module_defs.remove(stdlib::NATIVE_TIME);
                NATIVE_TIME_DEF.with(|d| d.set(time));
                state
                    .module_defs
                    .retain(|name, _| stdlib::NATIVE_MODULES.contains(name));
                state.frozen.retain(|name, _| stdlib::frozen_allowed(name));
            } else {
                // Only reachable if rustpython changes its start-up; then
                // nothing may run in this interpreter.
                tracing::error!("cannot strip the Python module table");
                state_poisoned(vm);
            }
        })
        .build()
}

fn state_poisoned(vm: &mut VirtualMachine) {
    vm.recursion_limit.set(0);
}

/// Scrubs `sys` and `builtins` and installs the host modules; run once per
/// interpreter before any guest code. Returns the coroutine driver.
///
/// # Errors
/// A Python exception if the interpreter is not as expected (never guest input).
pub fn prepare(
    vm: &VirtualMachine,
    state: &Rc<CallState>,
    modules: &Arc<PackageModules>,
) -> PyResult<PyObjectRef> {
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
    // built-in and frozen ones back (the start-up module adds the package's
    // own finder after them).
    if let Ok(bootstrap) = vm.import("_frozen_importlib", 0) {
        let finders = vm.ctx.new_list(vec![
            bootstrap.get_attr("BuiltinImporter", vm)?,
            bootstrap.get_attr("FrozenImporter", vm)?,
        ]);
        sys.set_attr("meta_path", finders, vm)?;
    }
    install_native_time(vm)?;
    intern_type_names(vm);
    crate::guards::install(vm);
    crate::guards::install_builtins(vm)?;
    crate::engine_fixes::install(vm);
    crate::engine_fixes::install_builtins(vm)?;
    crate::closed::install(vm);
    for name in REMOVED_BUILTINS {
        let _ = vm.builtins.as_object().del_attr(*name, vm);
    }
    crate::host_module::install(vm, state, modules)
}

/// Builds, prepares and drops one guest interpreter with `library`, as a
/// session does before it runs the entry module (for the benchmarks: what
/// interpreter creation costs with and without the standard library).
/// Needs a tokio runtime context (capability calls block on it).
///
/// # Errors
/// `internal` if the interpreter fails to start.
#[doc(hidden)]
pub fn new_guest_interpreter(library: Library) -> morph_capabilities::Result<()> {
    let (sender, receiver) = rustpython_vm::signal::user_signal_channel();
    let state = Rc::new(CallState::new(
        tokio::runtime::Handle::current(),
        crate::watchdog::Tripwire::new(sender),
        64 * 1024 * 1024,
        None,
    ));
    let interp = interpreter_with(receiver, library);
    let started =
        interp.enter(|vm| prepare(vm, &state, &Arc::new(PackageModules::default())).map(drop));
    started.map_err(|_| morph_capabilities::Error::internal("the Python sandbox failed to start"))
}

/// Makes this interpreter's one instance of the native `time` module,
/// without its sleep and `tzset`, as `_time` in `sys.modules`.
fn install_native_time(vm: &VirtualMachine) -> PyResult<()> {
    let Some(def) = NATIVE_TIME_DEF.with(Cell::take) else {
        return Err(vm.new_runtime_error("the native time module is missing"));
    };
    let module = def.create_module(vm)?;
    def.exec_module(vm, &module)?;
    for name in stdlib::NATIVE_TIME_REMOVED {
        let _ = module.as_object().del_attr(*name, vm);
    }
    vm.sys_module
        .get_attr("modules", vm)?
        .set_item("_time", module.into(), vm)
}

/// Interns the names of every built-in type reachable from `object`.
///
/// rustpython-vm 0.5 panics when `__name__` is read on a static type whose
/// name was never interned (`async_generator_wrapped_value`, found by a
/// `__subclasses__` walk); interning them all up front closes that panic.
/// Types a native module creates later intern their own names. The walk
/// runs once per process; each thread (whose interpreters share one
/// context) then interns the names it found, once.
fn intern_type_names(vm: &VirtualMachine) {
    thread_local! {
        static DONE: Cell<bool> = const { Cell::new(false) };
    }
    if DONE.with(|d| d.replace(true)) {
        return;
    }
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    for name in NAMES.get_or_init(|| reachable_type_names(vm)) {
        vm.ctx.intern_str(name.as_str());
    }
}

/// The short names of every type reachable from `object`.
fn reachable_type_names(vm: &VirtualMachine) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack: Vec<PyTypeRef> = vec![vm.ctx.types.object_type.to_owned()];
    let mut visited = 0usize;
    while let Some(ty) = stack.pop() {
        visited += 1;
        if visited > 10_000 {
            break;
        }
        let name = ty.slot_name().to_string();
        let short = name.rsplit_once('.').map_or(name.as_str(), |(_, n)| n);
        names.push(short.to_owned());
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
    names.sort();
    names.dedup();
    names
}
