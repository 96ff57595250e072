//! The native `_morph` module and the Python modules built on it (`morph`,
//! `json`, `time`, and the stdout/stderr capture).
//!
//! `_morph` holds the only functions that leave the interpreter: `invoke`
//! (every capability, **through the broker with the running call**), `write`
//! (guest stdout/stderr, logged through the `log` capability), `clock` and a
//! `sleep` that checks for interrupts every few milliseconds. The Python-side
//! API (`morph.http.fetch`, `morph.MorphError`, ...) lives in `src/prelude/`
//! and is compiled into the binary, never read from disk.

use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use morph_capabilities::{Call, ErrorCode, MAX_REQUEST_BYTES};
use rustpython_vm::builtins::{PyBaseExceptionRef, PyStrRef};
use rustpython_vm::compiler::Mode;
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};
use serde_json::{Value, json};

use crate::call_state::CallState;
use crate::convert;

/// The Python modules compiled into the runtime: (module name, source).
/// `bootstrap` runs last and is not kept in `sys.modules`.
pub const PRELUDE: [(&str, &str); 4] = [
    ("time", include_str!("prelude/time.py")),
    ("json", include_str!("prelude/json.py")),
    ("morph", include_str!("prelude/morph.py")),
    ("_morph_bootstrap", include_str!("prelude/bootstrap.py")),
];

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

/// Installs `_morph` and the prelude modules into `sys.modules`.
///
/// # Errors
/// A Python exception if the prelude fails (a bug, never guest input).
pub fn install(vm: &VirtualMachine, state: &Rc<CallState>) -> PyResult<()> {
    let dict = vm.ctx.new_dict();
    let s = state.clone();
    dict.set_item(
        "invoke",
        vm.new_function(
            "invoke",
            move |cap: PyStrRef, request: PyObjectRef, vm: &VirtualMachine| {
                invoke(&s, vm, &cap, &request)
            },
        )
        .into(),
        vm,
    )?;
    let s = state.clone();
    dict.set_item(
        "write",
        vm.new_function(
            "write",
            move |fd: usize, text: PyStrRef, vm: &VirtualMachine| -> PyResult<()> {
                write(&s, vm, fd, &text.to_string_lossy())
            },
        )
        .into(),
        vm,
    )?;
    dict.set_item(
        "clock",
        vm.new_function("clock", |kind: usize| -> f64 { clock(kind) })
            .into(),
        vm,
    )?;
    let s = state.clone();
    dict.set_item(
        "sleep",
        vm.new_function(
            "sleep",
            move |seconds: f64, vm: &VirtualMachine| -> PyResult<()> { sleep(&s, vm, seconds) },
        )
        .into(),
        vm,
    )?;
    crate::json_module::add_natives(vm, &dict, state)?;
    let modules = vm.sys_module.get_attr("modules", vm)?;
    let native = vm.new_module("_morph", dict, None);
    modules.set_item("_morph", native.into(), vm)?;

    for (name, source) in PRELUDE {
        let code = vm
            .compile(source, Mode::Exec, format!("<morph:{name}>"))
            .map_err(|e| vm.new_runtime_error(format!("prelude {name}: {e}")))?;
        let scope = vm.new_scope_with_builtins();
        scope
            .globals
            .set_item("__name__", vm.ctx.new_str(name).into(), vm)?;
        let module = vm.new_module(name, scope.globals.clone(), None);
        if !name.starts_with("_morph") {
            modules.set_item(name, module.into(), vm)?;
        }
        vm.run_code_obj(code, scope)?;
    }
    Ok(())
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
    let request = convert::to_json(vm, request, MAX_REQUEST_BYTES as u64)
        .map_err(|e| vm.new_type_error(format!("morph: the request is not JSON: {e}")))?;
    let name = capability.to_string_lossy();
    match state.handle.block_on(call.invoke(&name, request)) {
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

/// Errors after which the guest may not carry on (the brief's limits).
fn is_fatal(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Timeout | ErrorCode::OutputTooLarge | ErrorCode::MemoryLimit | ErrorCode::Io
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
pub fn log_lines(
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

fn clock(kind: usize) -> f64 {
    static START: OnceLock<Instant> = OnceLock::new();
    if kind == 0 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    } else {
        START.get_or_init(Instant::now).elapsed().as_secs_f64()
    }
}

/// Sleeps in slices, checking for the interrupt between them, and never
/// past the call's deadline.
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
            && now >= call.context().deadline()
        {
            state.fail(call.context().timeout_error());
            return Err(interrupt(vm));
        }
        std::thread::sleep((until - now).min(SLEEP_SLICE));
    }
}
