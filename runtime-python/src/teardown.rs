//! Freeing what a dropped interpreter leaves behind.
//!
//! rustpython-vm 0.5 frees by reference count; cycles (a module's functions
//! and its globals, a class and its methods, `sys.modules`) only go through
//! its collector, and **the collector cannot free an interpreter's objects**
//! even once the interpreter is gone: several objects hold references it
//! does not see (`classmethod`, `member_descriptor` and other descriptors,
//! code objects, the `_contextvars` thread state), so whatever they hold
//! looks referenced from outside, and through a class's descriptors and
//! methods that is every class, module and function the interpreter made.
//! Each dropped interpreter stayed allocated, in full (about 1.5 MiB for a
//! small guest, 16 MiB for one that imports `json`, `re`, `dataclasses`,
//! `typing`, `decimal`...).
//!
//! Here, once an interpreter is dropped **and no other lives on the thread**,
//! the objects it left are cut apart the way the collector cuts garbage
//! (`tp_clear`: dicts, lists, functions, heap types, instance dicts emptied),
//! and reference counting frees them. The collector's object lists are per
//! thread (rustpython-vm is built without `threading`), so the objects the
//! thread's collector tracks beyond the thread's own set are exactly what
//! the thread's dropped interpreters made, save what thread-wide state
//! kept of them:
//!
//! - **The thread's own set** is frozen (the collector's
//!   [`freeze`](rustpython_vm::gc_state::GcState::freeze): out of the
//!   generations for good) before the thread's first interpreter: the
//!   objects of rustpython's per-thread context, then what its thread-wide
//!   caches keep of the interpreter that fills them. A *bootstrap*
//!   interpreter fills every such cache first ([`fill_thread_caches`]), so
//!   that no guest's objects end up in one, and is then freed like any other
//!   but for what the caches hold.
//! - **What thread-wide state reaches** is kept: the attributes of built-in
//!   types (a native module's types are made when it is first imported, and
//!   Morph patches some) and whatever the frozen objects point to, followed
//!   through the collector's own traversal. An attribute that Python code set
//!   on a built-in type and that reaches a dead interpreter's modules (`ast`
//!   adds `Tuple.dims` to the thread's `_ast.Tuple`) is taken out of the
//!   type instead: the next interpreter that wants it sets its own.
//!
//! Tuples are never cut (a code object holds its constants where the
//! collector cannot see); a cycle through a tuple always passes through
//! something that is. No guest code runs while this happens: with no
//! interpreter entered on the thread, `__del__` and weakref callbacks are
//! skipped (as they would be for a leaked object).
//!
//! **What stays per thread**: rustpython keeps its per-thread context and
//! every built-in type in leaked statics (`static_cell!`), so a worker
//! thread that ends leaves about 1.7 MiB behind (more when its guests
//! imported native modules that define types); that is the engine's, not an
//! interpreter's.

use std::cell::Cell;
use std::collections::HashSet;

use rustpython_vm::builtins::{PySlice, PyStr, PyTuple, PyType};
use rustpython_vm::compiler::Mode;
use rustpython_vm::function::{FuncArgs, PyMethodDef, PyMethodFlags};
use rustpython_vm::gc_state::gc_state;
use rustpython_vm::types::PyTypeFlags;
use rustpython_vm::{
    AsObject, Context, Interpreter, PyObject, PyObjectRef, PyResult, VirtualMachine,
};

thread_local! {
    /// Interpreters made by [`GuestInterpreter::new`] alive on this thread.
    static LIVE: Cell<usize> = const { Cell::new(0) };
    /// Whether this thread's bootstrap ran.
    static BOOTSTRAPPED: Cell<bool> = const { Cell::new(false) };
    /// Set while the bootstrap fills the codec caches.
    static FILLING: Cell<bool> = const { Cell::new(false) };
}

/// What the bootstrap runs once `_pycodecs` is the module of trampolines
/// (`sys.modules`): each function of `_codecs` is called without arguments,
/// which fills its cache (if it has one) and fails; then the modules whose
/// first use makes a type rustpython keeps for the thread.
const FILL: &str = r#"
import _codecs
for _name in dir(_codecs):
    _f = getattr(_codecs, _name)
    if callable(_f) and not _name.startswith("__"):
        try:
            _f()
        except BaseException:
            pass
import _io
import _struct
import _weakref
class _Referent:
    pass
_weakref.proxy(_Referent())
"#;

/// The function every `_codecs` cache of the thread holds (see
/// [`fill_thread_caches`]), bound to the name it stands for.
const TRAMPOLINE: PyMethodDef = PyMethodDef::new_const(
    "_pycodecs_function",
    trampoline,
    PyMethodFlags::empty(),
    Some("Calls the function of this name of the running interpreter's `_pycodecs`."),
);

/// Calls `_pycodecs.<name>` of the interpreter that runs (`name` is what the
/// function is bound to), counted as a recursion level: a guest that puts
/// `_codecs`'s own function in its `_pycodecs` gets a `RecursionError`.
fn trampoline(mut args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    if args.args.is_empty() {
        return Err(vm.new_type_error("a codec trampoline needs its name"));
    }
    let name = args.args.remove(0);
    let Some(name) = name.downcast_ref::<PyStr>() else {
        return Err(vm.new_type_error("a codec trampoline needs its name"));
    };
    if FILLING.with(Cell::get) {
        return Err(vm.new_type_error("codecs are not available yet"));
    }
    let function = vm.import("_pycodecs", 0)?.get_attr(name, vm)?;
    vm.with_recursion(" while calling a codec", || function.call(args, vm))
}

/// An interpreter whose objects are freed when it is dropped (when it is the
/// last one alive on its thread). Every interpreter of this crate is one.
pub struct GuestInterpreter {
    interp: Option<Interpreter>,
}

impl GuestInterpreter {
    /// Runs this thread's bootstrap in an interpreter made by `bootstrap` if
    /// it has not run, then makes the guest's with `make`.
    pub fn new(
        make: impl FnOnce() -> Interpreter,
        bootstrap: impl FnOnce() -> Interpreter,
    ) -> GuestInterpreter {
        bootstrap_thread(bootstrap);
        let interp = make();
        LIVE.with(|l| l.set(l.get() + 1));
        GuestInterpreter {
            interp: Some(interp),
        }
    }
}

impl std::fmt::Debug for GuestInterpreter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestInterpreter").finish_non_exhaustive()
    }
}

impl std::ops::Deref for GuestInterpreter {
    type Target = Interpreter;

    fn deref(&self) -> &Interpreter {
        match &self.interp {
            Some(interp) => interp,
            // Only `drop` takes it.
            None => unreachable!("a guest interpreter used while dropped"),
        }
    }
}

impl Drop for GuestInterpreter {
    fn drop(&mut self) {
        drop(self.interp.take());
        let live = LIVE.with(|l| {
            let n = l.get().saturating_sub(1);
            l.set(n);
            n
        });
        if live == 0 && BOOTSTRAPPED.with(Cell::get) {
            release(Vec::new());
        }
    }
}

/// Runs this thread's bootstrap once, before its first guest interpreter
/// (see the module docs): freezes rustpython's per-thread context, fills
/// the thread-wide caches in an interpreter made by `make`, frees that
/// interpreter but for what the caches hold, and freezes that.
fn bootstrap_thread(make: impl FnOnce() -> Interpreter) {
    if BOOTSTRAPPED.with(Cell::get) || LIVE.with(Cell::get) != 0 {
        return;
    }
    BOOTSTRAPPED.with(|b| b.set(true));
    let _ = Context::genesis();
    gc_state().freeze();
    let interp = make();
    let cached = interp.enter(fill_thread_caches);
    drop(interp);
    release(cached);
    gc_state().freeze();
}

/// Fills every cache rustpython-vm 0.5 keeps per thread with objects made by
/// the interpreter that first needs them, and returns what they hold:
///
/// - `_codecs`'s functions written in Python (the UTF-16/32, escape and
///   charmap codecs) look up `_pycodecs.<name>` in the first interpreter
///   that calls them and keep that function for the thread: it, its
///   module's globals and through `sys` that interpreter's every module.
///   Here they find a module of trampolines instead, which call the
///   function of the interpreter that runs ([`trampoline`]): each guest
///   gets its own `_pycodecs`, and keeps nothing of it for the thread.
/// - `struct.error`, `io.UnsupportedOperation`, `ExceptionGroup` and the
///   class `weakref.proxy` uses are classes made on first use and kept for
///   the thread.
fn fill_thread_caches(vm: &VirtualMachine) -> Vec<PyObjectRef> {
    let mut cached = Vec::new();
    let outcome = (|| -> PyResult<()> {
        let codecs = vm.import("_codecs", 0)?;
        let trampolines = vm.ctx.new_dict();
        for name in vm.dir(Some(codecs.clone()))?.borrow_vec().iter() {
            let Some(name) = name.downcast_ref::<PyStr>() else {
                continue;
            };
            let name = vm.ctx.intern_str(name.as_wtf8());
            let function: PyObjectRef = TRAMPOLINE
                .build_bound_function(&vm.ctx, name.to_owned().into())
                .into();
            trampolines.set_item(name, function.clone(), vm)?;
            cached.push(function);
        }
        let module = vm.new_module("_pycodecs", trampolines, None);
        let modules = vm.sys_module.get_attr("modules", vm)?;
        modules.set_item("_pycodecs", module.into(), vm)?;
        FILLING.with(|f| f.set(true));
        let code = vm
            .compile(FILL, Mode::Exec, "<morph-bootstrap>".to_owned())
            .map_err(|e| vm.new_runtime_error(e.to_string()))?;
        let filled = vm.run_code_obj(code, vm.new_scope_with_builtins());
        FILLING.with(|f| f.set(false));
        filled?;
        cached.push(vm.import("_struct", 0)?.get_attr("error", vm)?);
        cached.push(vm.import("_io", 0)?.get_attr("UnsupportedOperation", vm)?);
        cached.push(vm.builtins.get_attr("ExceptionGroup", vm)?);
        for sub in vm.ctx.types.weakref_type.subclasses.read().iter() {
            if let Some(sub) = sub.upgrade()
                && sub
                    .downcast_ref::<PyType>()
                    .is_some_and(|t| &*t.name() == "__weakproxy")
            {
                cached.push(sub);
            }
        }
        Ok(())
    })();
    FILLING.with(|f| f.set(false));
    if outcome.is_err() {
        // Only reachable if rustpython changes: then a cache a guest fills
        // keeps that guest's objects, as before (kept, never cut: they are
        // reachable from what holds them only through `release`'s roots).
        tracing::warn!("the Python thread bootstrap did not complete");
    }
    cached
}

/// The objects the collector tracks on this thread outside its frozen set.
#[cfg(test)]
pub fn tracked() -> usize {
    (0..=2).map(|g| gc_state().get_objects(Some(g)).len()).sum()
}

fn addr(obj: &PyObject) -> usize {
    obj as *const PyObject as usize
}

/// Cuts apart what the dropped interpreters of this thread left, keeping
/// what thread-wide state reaches and what `roots` reach. Needs no
/// interpreter alive on the thread.
fn release(roots: Vec<PyObjectRef>) {
    let gc = gc_state();
    let left: Vec<PyObjectRef> = (0..=2).flat_map(|g| gc.get_objects(Some(g))).collect();
    if left.is_empty() {
        return;
    }
    let candidates: HashSet<usize> = left.iter().map(|o| addr(o)).collect();
    let (kept, builtin_types) = reached_from_thread_state(&candidates, roots);
    let cut: Vec<PyObjectRef> = left
        .into_iter()
        .filter(|o| !kept.contains(&addr(o)))
        .filter(|o| o.downcast_ref::<PyTuple>().is_none() && o.downcast_ref::<PySlice>().is_none())
        .collect();
    rustpython_vm::common::refcount::with_deferred_drops(|| {
        for obj in &cut {
            if obj.gc_has_clear() {
                // SAFETY: as in the collector's own `tp_clear` of garbage:
                // no interpreter is alive on this thread (so no code can
                // reach these objects), the collector's lists are this
                // thread's only (no `threading`), and what thread-wide state
                // reaches was set apart above. Clearing only takes the
                // object's references out (under its own locks); `cut`
                // keeps every object alive until the loop is done.
                drop(unsafe { obj.gc_clear() });
            }
        }
        drop(cut);
    });
    // A built-in type lists its subclasses by weak reference; those of the
    // classes freed above are dead now.
    for t in &builtin_types {
        if let Some(ty) = t.downcast_ref::<PyType>() {
            ty.subclasses.write().retain(|w| w.upgrade().is_some());
        }
    }
}

/// Of `candidates`, those reachable from `roots`, from the attributes of the
/// built-in types and from the frozen objects, through the collector's
/// traversal; and the built-in types (to prune their subclass lists once
/// the rest is freed).
///
/// A built-in type's attribute that reaches a module of a dead interpreter
/// is taken out of the type instead: Python code set it (rustpython's
/// native types are shared by the thread's interpreters and not all are
/// immutable; `ast` adds `Tuple.dims` the first time it is imported on a
/// thread), and it would keep that interpreter whole. The next interpreter
/// that wants it sets its own.
fn reached_from_thread_state(
    candidates: &HashSet<usize>,
    roots: Vec<PyObjectRef>,
) -> (HashSet<usize>, Vec<PyObjectRef>) {
    let ctx = Context::genesis();
    let module_type = ctx.types.module_type;
    let mut kept: HashSet<usize> = HashSet::new();
    let mut stack: Vec<PyObjectRef> = Vec::new();
    for root in roots {
        if candidates.contains(&addr(&root)) && kept.insert(addr(&root)) {
            stack.push(root);
        }
    }
    // Built-in types: every one descends from `object`.
    let mut types: Vec<PyObjectRef> = vec![ctx.types.object_type.to_owned().into()];
    let mut seen_types: HashSet<usize> = HashSet::new();
    let mut builtin_types = Vec::new();
    while let Some(t) = types.pop() {
        let Some(ty) = t.downcast_ref::<PyType>() else {
            continue;
        };
        if ty.slots.flags.has_feature(PyTypeFlags::HEAPTYPE) || !seen_types.insert(addr(&t)) {
            continue;
        }
        for sub in ty.subclasses.read().iter() {
            if let Some(s) = sub.upgrade() {
                types.push(s);
            }
        }
        let attributes: Vec<_> = ty
            .attributes
            .read()
            .iter()
            .filter(|(_, v)| candidates.contains(&addr(v)))
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        for (name, value) in attributes {
            if reaches(&value, candidates, |o| o.class().is(module_type)) {
                // Invalidates the type's method cache first, as `set_attr`.
                ty.modified();
                ty.attributes.write().shift_remove(name);
            } else if kept.insert(addr(&value)) {
                stack.push(value);
            }
        }
        builtin_types.push(t);
    }
    // Frozen objects: everything tracked that is not a candidate.
    for obj in gc_state().get_objects(None) {
        if !candidates.contains(&addr(&obj)) {
            for child in obj.gc_get_referents() {
                if candidates.contains(&addr(&child)) && kept.insert(addr(&child)) {
                    stack.push(child);
                }
            }
        }
    }
    while let Some(obj) = stack.pop() {
        for child in obj.gc_get_referents() {
            if candidates.contains(&addr(&child)) && kept.insert(addr(&child)) {
                stack.push(child);
            }
        }
    }
    (kept, builtin_types)
}

/// Whether `from`, or a candidate it reaches, is `found`.
fn reaches(
    from: &PyObjectRef,
    candidates: &HashSet<usize>,
    found: impl Fn(&PyObject) -> bool,
) -> bool {
    let mut seen: HashSet<usize> = HashSet::from([addr(from)]);
    let mut stack = vec![from.clone()];
    while let Some(obj) = stack.pop() {
        if found(&obj) {
            return true;
        }
        for child in obj.gc_get_referents() {
            if candidates.contains(&addr(&child)) && seen.insert(addr(&child)) {
                stack.push(child);
            }
        }
    }
    false
}
