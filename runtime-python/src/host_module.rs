//! The native `_morph` module, on which Morph's Python modules are built
//! (`morph`, the stand-ins, the start-up in `_morph_bootstrap`).
//!
//! `_morph` holds the only functions that leave the interpreter: `invoke`
//! (every capability, **through the broker with the running call**; a
//! request that is not JSON is the guest's `invalid_request`, like one the
//! broker refuses), `write`
//! (guest stdout/stderr, logged through the `log` capability), the clocks, a
//! `sleep` that checks for interrupts every few milliseconds, `urandom` from
//! the host's CSPRNG, and the extension's own modules as the host read them
//! at load time (`package_module`, `package_code`). The Python-side API
//! (`morph.http.fetch`, `morph.MorphError`, ...) lives in `src/python/` and
//! is frozen into the binary at build time, never read from disk.

use std::rc::Rc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use morph_capabilities::{Call, Error, ErrorCode, MAX_REQUEST_BYTES, truncate_for_message};
use morph_runtime_core::allocation;
use rand::RngCore;
use rustpython_vm::builtins::{PyBaseExceptionRef, PyDict, PyStr, PyStrRef};
use rustpython_vm::class::PyClassImpl;
use rustpython_vm::convert::ToPyObject;
use rustpython_vm::frozen::FrozenCodeObject;
use rustpython_vm::function::{IntoPyNativeFn, PyMethodDef, PyMethodFlags};
use rustpython_vm::{PyObjectRef, PyPayload, PyRef, PyResult, VirtualMachine, pyclass};
use serde_json::{Value, json};

use crate::call_state::CallState;
use crate::convert;
use crate::package_modules::PackageModules;

/// Longest single sleep slice between interrupt checks.
const SLEEP_SLICE: Duration = Duration::from_millis(5);

/// The exception that ends a call a host call could not complete (the
/// real error is in the [`CallState`]; the tripwire keeps raising it).
pub fn interrupt(vm: &VirtualMachine) -> PyBaseExceptionRef {
    vm.new_exception_msg(
        vm.ctx.exceptions.keyboard_interrupt.to_owned(),
        "morph: the call was stopped by the host".into(),
    )
}

/// What the functions of `_morph` that need the session reach it through:
/// the object they are bound to (`__self__`, opaque to the guest).
///
/// **Not captured by closures**: rustpython-vm leaks the closure of every
/// `vm.new_function` (`Box::leak` in `Context::new_method_def`), so a
/// captured `Rc<CallState>` kept every session's state, its last call and
/// the package's modules alive for good. These functions are plain `fn`s
/// (no allocation to leak), bound to this object, which goes with the
/// interpreter.
#[pyclass(module = false, name = "_morph_host")]
#[derive(Debug, PyPayload)]
struct Host {
    state: Rc<CallState>,
    modules: Arc<PackageModules>,
}

#[pyclass(flags(DISALLOW_INSTANTIATION))]
impl Host {}

/// A `_morph` function that needs the session: receives its [`Host`].
const fn bound<Kind>(name: &'static str, f: impl IntoPyNativeFn<Kind>) -> PyMethodDef {
    PyMethodDef::new_const(name, f, PyMethodFlags::empty(), None)
}

const INVOKE: PyMethodDef = bound(
    "invoke",
    |host: PyRef<Host>, cap: PyStrRef, request: PyObjectRef, vm: &VirtualMachine| {
        invoke(&host.state, vm, &cap, &request)
    },
);
const WRITE: PyMethodDef = bound(
    "write",
    |host: PyRef<Host>, fd: usize, text: PyStrRef, vm: &VirtualMachine| -> PyResult<()> {
        write(&host.state, vm, fd, &text.to_string_lossy())
    },
);
const SLEEP: PyMethodDef = bound(
    "sleep",
    |host: PyRef<Host>, seconds: f64, vm: &VirtualMachine| -> PyResult<()> {
        sleep(&host.state, vm, seconds)
    },
);
const PACKAGE_MODULE: PyMethodDef = bound(
    "package_module",
    |host: PyRef<Host>, name: PyStrRef, vm: &VirtualMachine| match host
        .modules
        .get(&name.to_string_lossy())
    {
        Some(module) => (module.package, module.file.clone()).to_pyobject(vm),
        None => vm.ctx.none(),
    },
);
const PACKAGE_CODE: PyMethodDef = bound(
    "package_code",
    |host: PyRef<Host>, name: PyStrRef, vm: &VirtualMachine| {
        package_code(&host.modules, &name.to_string_lossy(), vm)
    },
);
const PACKAGE_FILE_SOURCE: PyMethodDef = bound(
    "package_file_source",
    |host: PyRef<Host>, file: PyStrRef, vm: &VirtualMachine| match host
        .modules
        .source_of_file(&file.to_string_lossy())
    {
        Some(code) => vm.ctx.new_str(&**code).into(),
        None => vm.ctx.none(),
    },
);

/// Installs `_morph` into `sys.modules` and runs the start-up module;
/// returns the coroutine driver it defines (`_drive`).
///
/// # Errors
/// A Python exception if the start-up fails (a bug, never guest input).
pub fn install(
    vm: &VirtualMachine,
    state: &Rc<CallState>,
    modules: &Arc<PackageModules>,
) -> PyResult<PyObjectRef> {
    let dict = vm.ctx.new_dict();
    let host: PyObjectRef = PyRef::new_ref(
        Host {
            state: state.clone(),
            modules: modules.clone(),
        },
        Host::make_static_type(),
        None,
    )
    .into();
    for def in [
        &INVOKE,
        &WRITE,
        &SLEEP,
        &PACKAGE_MODULE,
        &PACKAGE_CODE,
        &PACKAGE_FILE_SOURCE,
    ] {
        let function = def.build_bound_function(&vm.ctx, host.clone());
        dict.set_item(def.name, function.into(), vm)?;
    }
    // Capture nothing: nothing is leaked.
    dict.set_item(
        "clock",
        vm.new_function("clock", |kind: usize| -> f64 { clock(kind) })
            .into(),
        vm,
    )?;
    dict.set_item(
        "clock_ns",
        vm.new_function("clock_ns", |kind: usize| -> u128 { clock_ns(kind) })
            .into(),
        vm,
    )?;
    dict.set_item(
        "urandom",
        vm.new_function("urandom", |size: usize, vm: &VirtualMachine| {
            urandom(vm, size)
        })
        .into(),
        vm,
    )?;
    let sys_modules = vm.sys_module.get_attr("modules", vm)?;
    let native = vm.new_module("_morph", dict, None);
    sys_modules.set_item("_morph", native.into(), vm)?;
    let bootstrap = vm.import("_morph_bootstrap", 0)?;
    let _ = sys_modules.del_item("_morph_bootstrap", vm);
    bootstrap.get_attr("_drive", vm)
}

/// The code object of the package's module `name` (compiled once per
/// extension, decoded here), `None` when there is no such module.
fn package_code(modules: &PackageModules, name: &str, vm: &VirtualMachine) -> PyResult {
    match modules.compiled(name) {
        None => Ok(vm.ctx.none()),
        Some(Ok(code)) => Ok(vm
            .ctx
            .new_code(FrozenCodeObject {
                bytes: &code.bytes[..],
            })
            .into()),
        Some(Err(error)) => {
            let source = modules.get(name).map(|m| m.code.clone());
            Err(vm.new_syntax_error(&error, source.as_deref()))
        }
    }
}

/// Most bytes one `os.urandom` call returns.
const MAX_URANDOM: usize = 1024 * 1024;

fn urandom(vm: &VirtualMachine, size: usize) -> PyResult<PyObjectRef> {
    if size > MAX_URANDOM {
        return Err(vm.new_value_error(format!("urandom: at most {MAX_URANDOM} bytes per call")));
    }
    let mut bytes = vec![0u8; size];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| vm.new_os_error(format!("the host's random source failed: {e}")))?;
    Ok(vm.ctx.new_bytes(bytes).into())
}

fn invoke(
    state: &CallState,
    vm: &VirtualMachine,
    capability: &PyStrRef,
    request: &PyObjectRef,
) -> PyResult {
    let Some(call) = state.call() else {
        return Err(vm.new_runtime_error("morph: capabilities are only available during a call"));
    };
    let name = capability.to_string_lossy();
    let outcome = match convert::to_json(vm, request, MAX_REQUEST_BYTES as u64) {
        // Host work: never parked at the call's allocation ceiling while it
        // holds the broker's locks.
        Ok(request) => {
            allocation::unbudgeted(|| state.handle.block_on(call.invoke(&name, request)))
        }
        // Not JSON: the guest's malformed request, like one the broker refuses.
        Err(e) => Err(Error::request(
            truncate_for_message(&name, 64),
            bad_field(vm, request),
            e.to_string(),
        )),
    };
    match outcome {
        Ok(value) => {
            let value = convert::to_py(vm, &value)
                .map_err(|e| vm.new_value_error(format!("morph: the response: {e}")))?;
            Ok(vm.new_tuple((true, value)).into())
        }
        Err(e) if is_fatal(e.code()) => {
            state.fail(e);
            Err(interrupt(vm))
        }
        Err(e) => {
            let code = e.code().as_str();
            let message = e.to_string();
            state.remember(e);
            Ok(vm.new_tuple((false, (code, message))).into())
        }
    }
}

/// The top-level field of a request dict whose value is not JSON
/// (`request` when it is the whole request, or a key, or no single field).
fn bad_field(vm: &VirtualMachine, request: &PyObjectRef) -> String {
    let Some(dict) = request.downcast_ref::<PyDict>() else {
        return "request".to_owned();
    };
    let entries: Vec<(PyObjectRef, PyObjectRef)> = dict.into_iter().collect();
    for (key, value) in entries {
        let Some(key) = key.downcast_ref::<PyStr>().and_then(|k| k.to_str()) else {
            return "request".to_owned();
        };
        if convert::to_json(vm, &value, MAX_REQUEST_BYTES as u64).is_err() {
            return truncate_for_message(key, 64);
        }
    }
    "request".to_owned()
}

/// Errors after which the guest may not carry on (the brief's limits, and
/// the call's cancellation).
fn is_fatal(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Timeout
            | ErrorCode::Cancelled
            | ErrorCode::OutputTooLarge
            | ErrorCode::MemoryLimit
            | ErrorCode::Io
    )
}

/// Logs guest output line by line through the `log` capability.
fn write(state: &CallState, vm: &VirtualMachine, fd: usize, text: &str) -> PyResult<()> {
    let lines = state.write(fd, text);
    match state.call() {
        Some(call) => log_lines(state, &call, lines).map_err(|()| interrupt(vm)),
        None => Ok(()), // outside a call (a finaliser): dropped
    }
}

/// Sends `lines` to the `log` capability; `Err` once the call must end.
/// Host work: never parked at the call's allocation ceiling.
pub fn log_lines(
    state: &CallState,
    call: &Call,
    lines: Vec<(&'static str, String)>,
) -> Result<(), ()> {
    allocation::unbudgeted(|| send_lines(state, call, lines))
}

fn send_lines(
    state: &CallState,
    call: &Call,
    lines: Vec<(&'static str, String)>,
) -> Result<(), ()> {
    for (level, message) in lines {
        let request: Value = json!({ "level": level, "message": message });
        if let Err(e) = state.handle.block_on(call.invoke("log", request)) {
            if is_fatal(e.code()) {
                state.fail(e);
                return Err(());
            }
            tracing::debug!("a guest output line was refused: {e}");
        }
    }
    Ok(())
}

/// The origin of the monotonic clocks (the first reading in this process).
fn clock_start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn clock_ns(kind: usize) -> u128 {
    if kind == 0 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    } else {
        clock_start().elapsed().as_nanos()
    }
}

fn clock(kind: usize) -> f64 {
    if kind == 0 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    } else {
        clock_start().elapsed().as_secs_f64()
    }
}

/// Sleeps in slices, checking for the interrupt between them, and never
/// past the call's deadline or its cancellation.
fn sleep(state: &CallState, vm: &VirtualMachine, seconds: f64) -> PyResult<()> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(vm.new_value_error("sleep length must be a non-negative number"));
    }
    let wanted = Duration::try_from_secs_f64(seconds.min(1.0e6)).unwrap_or(Duration::ZERO);
    let until = Instant::now() + wanted;
    loop {
        vm.check_signals()?;
        let now = Instant::now();
        if now >= until {
            return Ok(());
        }
        if let Some(call) = state.call()
            && (now >= call.context().deadline() || call.context().is_cancelled())
        {
            state.fail(call.context().stopped_error());
            return Err(interrupt(vm));
        }
        std::thread::sleep((until - now).min(SLEEP_SLICE));
    }
}
