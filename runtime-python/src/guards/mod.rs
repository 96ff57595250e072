//! Size guards on the native operations that allocate in one step.
//!
//! A loop is stopped by the watchdog, but one native operation cannot be:
//! `'a' * 10**10` asks the allocator for 10 GB before any interrupt check,
//! and Rust aborts the process on a failed allocation. So the runtime wraps
//! the built-in operations whose result size follows from their arguments
//! and checks that size **before** the original runs, against what the
//! running call may still allocate ([`allowance`]: its `max_memory_mb` minus
//! what it grew so far, from the metered allocator when the app installed
//! it, the whole cap otherwise). Past it the operation raises `MemoryError`
//! and the call ends with `memory_limit`; the interpreter stays usable.
//!
//! The classes of operation, one module each:
//!
//! - [`repeat`]: sequence repetition (`*` on `str`, `bytes`, `bytearray`,
//!   `list`, `tuple`);
//! - [`bigint`]: `int` `**` and `<<`;
//! - [`join`]: `str`/`bytes`/`bytearray` `join`;
//! - [`collect`]: containers built from an iterable of known length
//!   (`list`, `tuple`, `set`, `frozenset`, `sorted`, `dict.fromkeys`,
//!   `list.extend`, `set.update`) and buffers from a size or an iterable
//!   (`bytes(n)`, `bytearray(n)`, `bytearray.extend`, `int.to_bytes`);
//! - [`text`]: padding and rewriting (`ljust`, `rjust`, `center`, `zfill`,
//!   `expandtabs`, `replace`);
//! - [`format`](mod@format): widths and precisions of `format()`, f-strings,
//!   `str.format` and `%`.
//!
//! **Where**: RustPython keeps type slots in atomic cells and its types'
//! dicts are writable from Rust, so each class is wrapped at its narrowest
//! shared point: the type slot the operators use (and every built-in
//! subclass that copied it, like `bool` from `int`) and the method in the
//! type's dict that explicit calls (`"x".__mul__(n)`) and guest subclasses
//! reach. The slots are shared by the interpreters of a thread; where no
//! Morph call runs (the cap is unset) the guards pass straight through.
//!
//! What stays soft: operations whose result is proportional to memory the
//! call already holds (a copy, `str.upper`, `split`, concatenation) and
//! native loops over iterables of unknown length are not checked here; the
//! metered allocator's ceiling stops those (`morph_runtime_core::allocation`).

mod bigint;
mod collect;
mod format;
mod join;
mod repeat;
mod text;

use std::cell::Cell;
use std::sync::OnceLock;

use morph_runtime_core::allocation;
use rustpython_vm::builtins::{PyList, PyType, PyTypeRef};
use rustpython_vm::function::{FuncArgs, IntoPyNativeFn};
use rustpython_vm::{AsObject, Py, PyObjectRef, PyResult, VirtualMachine};

thread_local! {
    /// `max_memory_mb` of the call running on this thread (`0`: unguarded).
    static CAP: Cell<u64> = const { Cell::new(0) };
}

/// Sets the cap of this thread while a call runs; restores it afterwards.
pub fn with_cap<R>(bytes: u64, f: impl FnOnce() -> R) -> R {
    struct Restore(u64);
    impl Drop for Restore {
        fn drop(&mut self) {
            CAP.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CAP.with(|c| c.replace(bytes)));
    f()
}

/// Whether a Morph call runs on this thread (the guards pass straight
/// through otherwise, without even sizing the operation).
fn active() -> bool {
    CAP.with(Cell::get) != 0
}

/// Bytes the running call may still allocate: its budget's remainder when
/// the thread is metered, its whole cap otherwise; `None` outside a call.
fn allowance() -> Option<u64> {
    let cap = CAP.with(Cell::get);
    (cap != 0).then(|| allocation::remaining().unwrap_or(cap))
}

/// Refuses an operation that would allocate `bytes` with `MemoryError`.
fn check(bytes: u128, vm: &VirtualMachine) -> PyResult<()> {
    let Some(left) = allowance() else {
        return Ok(());
    };
    if bytes > u128::from(left) {
        let cap = CAP.with(Cell::get);
        return Err(vm.new_memory_error(format!(
            "an operation would allocate {bytes} bytes; the call may allocate {left} more \
             (max_memory_mb = {} MiB)",
            cap >> 20
        )));
    }
    Ok(())
}

/// Installs the guards on this thread's built-in types (without the
/// `threading` feature rustpython-vm keeps its types per thread; the
/// original slot functions are the same on every thread).
pub fn install(vm: &VirtualMachine) {
    thread_local! {
        static INSTALLED: Cell<bool> = const { Cell::new(false) };
    }
    if INSTALLED.with(|i| i.replace(true)) {
        return;
    }
    repeat::install(vm);
    bigint::install(vm);
    join::install(vm);
    collect::install(vm);
    text::install(vm);
    format::install(vm);
}

/// Installs the guards that live in an interpreter's own `builtins` module
/// (`sorted`); once per interpreter.
///
/// # Errors
/// A Python exception if `builtins` is not as expected (never guest input).
pub fn install_builtins(vm: &VirtualMachine) -> PyResult<()> {
    collect::install_builtins(vm)
}

/// `root` and every type below it (built-in subclasses made before the
/// guards, like `bool` under `int`, copied the original slots).
fn type_tree(vm: &VirtualMachine, root: &'static Py<PyType>) -> Vec<PyTypeRef> {
    let mut found = vec![root.to_owned()];
    let mut next = 0;
    while next < found.len() && found.len() < 10_000 {
        let ty = found[next].clone();
        next += 1;
        if let Ok(subs) = vm.call_method(ty.as_object(), "__subclasses__", ())
            && let Some(list) = subs.downcast_ref::<PyList>()
        {
            for sub in list.borrow_vec().iter() {
                if let Ok(t) = sub.clone().downcast::<PyType>()
                    && !found.iter().any(|f| f.is(&t))
                {
                    found.push(t);
                }
            }
        }
    }
    found
}

/// Wraps the slot `$cell` of `$root` and of every built-in subtype that
/// still holds the original with `$guard`, keeping the original in `$orig`.
macro_rules! wrap_slot {
    ($vm:expr, $root:expr, |$t:ident| $cell:expr, $orig:expr, $guard:expr, $ty:ty $(,)?) => {{
        let root: &rustpython_vm::Py<rustpython_vm::builtins::PyType> = $root;
        let $t = root;
        if let Some(original) = $cell.load()
            && original as usize != $guard as $ty as usize
        {
            let _ = $orig.set(original);
            for sub in crate::guards::type_tree($vm, $root) {
                let $t: &rustpython_vm::Py<rustpython_vm::builtins::PyType> = &sub;
                if let Some(f) = $cell.load()
                    && f as usize == original as usize
                {
                    $cell.store(Some($guard as $ty));
                }
            }
        }
    }};
}
use wrap_slot;

/// The original slot function a [`wrap_slot!`] guard kept in `slot` (an
/// error, never expected, if the guard runs without it).
fn original<F: Copy>(slot: &OnceLock<F>, guard: &str, vm: &VirtualMachine) -> PyResult<F> {
    slot.get()
        .copied()
        .ok_or_else(|| vm.new_runtime_error(format!("morph: {guard} guard without its slot")))
}

/// Replaces method `name` of the built-in `ty` with `method`, if `ty`
/// defines it itself (the original stays callable with
/// [`crate::engine_fixes::call_original`]).
fn wrap_method<Kind>(
    vm: &VirtualMachine,
    ty: &'static Py<PyType>,
    name: &'static str,
    method: impl IntoPyNativeFn<Kind>,
    doc: &'static str,
) {
    if ty.get_direct_attr(vm.ctx.intern_str(name)).is_some() {
        crate::engine_fixes::replace_method(vm, ty, name, method, doc);
    }
}

/// A guard serving several methods of a type, told which one is called
/// (the original it ends in).
type Named = fn(&'static str, PyObjectRef, FuncArgs, &VirtualMachine) -> PyResult;

/// [`wrap_method`] for each `(name, doc)` of `methods`, with `guard` told
/// the name.
fn wrap_named(
    vm: &VirtualMachine,
    ty: &'static Py<PyType>,
    methods: &[(&'static str, &'static str)],
    guard: Named,
) {
    for &(name, doc) in methods {
        let method = move |zelf: PyObjectRef, args: FuncArgs, vm: &VirtualMachine| {
            guard(name, zelf, args, vm)
        };
        wrap_method(vm, ty, name, method, doc);
    }
}
