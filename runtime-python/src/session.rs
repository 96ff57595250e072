//! One warm interpreter with the extension's entry module executed: what a
//! worker thread of the pool keeps between calls.
//!
//! A session runs every guest entry point under the call's deadline: the
//! watchdog is armed before guest code runs and disarmed only after the
//! result was converted and every guest object of the call dropped, so
//! finalisers run inside the budget. When a session is dropped its guest code
//! (finalisers of what it held) is interrupted at once, and what its
//! interpreter made is freed (`teardown`: rustpython's collector cannot).
//! Every guest entry runs in the session's own `contextvars` context.

use std::rc::Rc;

use morph_capabilities::providers::Event;
use morph_capabilities::{Call, Error, Result};
use morph_runtime_core::ExtensionPackage;
use morph_runtime_core::allocation::{self, ThreadMeter};
use morph_runtime_core::workers::Session;
use rustpython_vm::compiler::Mode;
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use serde_json::Value;

use crate::call_state::CallState;
use crate::convert;
use crate::error::{from_exception, timeout};
use crate::host_module::log_lines;
use crate::package_modules::PackageModules;
use crate::sandbox::GuestInterpreter;
use crate::watchdog::{self, MemoryWatch, Tripwire};

/// What a session is asked to run.
#[derive(Debug)]
pub enum Job {
    /// Create the session (running `init`) and return `null`.
    Warm,
    /// `execute(action, params)`.
    Execute {
        /// The action name.
        action: String,
        /// Its parameters.
        params: Value,
    },
    /// `on_event(event)`.
    Event(Event),
}

/// The guest's source, as loaded from the package.
#[derive(Debug, Clone)]
pub struct EntrySource {
    /// File name shown in tracebacks (`main.py`).
    pub file: String,
    /// The code.
    pub code: String,
    /// Whether `init(config)` should be called.
    pub config: std::sync::Arc<Value>,
    /// `max_memory_mb` in bytes.
    pub memory_bytes: u64,
    /// The package's own modules (importable from the entry).
    pub modules: std::sync::Arc<PackageModules>,
}

impl EntrySource {
    /// Reads the entry of `package`.
    ///
    /// # Errors
    /// `invalid_package` when the entry is not UTF-8; `io` when unreadable.
    pub fn read(package: &ExtensionPackage, config: std::sync::Arc<Value>) -> Result<Self> {
        let bytes = package.read_entry()?;
        let code = String::from_utf8(bytes).map_err(|_| Error::InvalidPackage {
            reason: "the Python entry is not UTF-8".into(),
        })?;
        Ok(EntrySource {
            file: package.manifest().entry.clone(),
            code,
            config,
            memory_bytes: package.manifest().resource_limits.memory_bytes(),
            modules: std::sync::Arc::new(PackageModules::read(package)?),
        })
    }
}

/// A warm interpreter of one extension.
pub struct PySession {
    // Guest objects first: they must go before the interpreter.
    execute: PyObjectRef,
    on_event: Option<PyObjectRef>,
    /// Runs a coroutine to its end (`async def` entry points).
    drive: PyObjectRef,
    /// `Context.run` of the session's own `contextvars` context, which every
    /// guest entry runs in. Without it, context variables (`decimal`'s
    /// context) went to the thread's base context, which outlives the
    /// interpreter and kept what they pointed to.
    run_in: PyObjectRef,
    /// The built-in `exec`, as it was before guest code ran.
    exec: PyObjectRef,
    /// Frees what the interpreter made when dropped (`teardown`).
    interp: GuestInterpreter,
    state: Rc<CallState>,
    /// Meters this worker thread's allocations while the session lives.
    _meter: Option<ThreadMeter>,
}

impl std::fmt::Debug for PySession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PySession").finish_non_exhaustive()
    }
}

impl PySession {
    /// Builds the interpreter, runs the entry module and `init(config)`
    /// under `call`.
    ///
    /// # Errors
    /// `invalid_package` for a syntax error or a missing `execute`;
    /// `init_failed` wrapping what the module body or `init` ended with.
    pub fn create(
        source: &EntrySource,
        call: &Call,
        handle: tokio::runtime::Handle,
    ) -> Result<PySession> {
        let (sender, receiver) = rustpython_vm::signal::user_signal_channel();
        let wire = Tripwire::new(sender);
        let meter = allocation::meter_current_thread();
        let state = Rc::new(CallState::new(
            handle,
            wire,
            source.memory_bytes,
            meter.as_ref().map(|m| m.meter().clone()),
        ));
        let interp = crate::sandbox::interpreter(receiver);
        let (drive, run_in, exec) = interp
            .enter(|vm| {
                let drive = crate::sandbox::prepare(vm, &state, &source.modules)?;
                let context = vm
                    .import("_contextvars", 0)?
                    .get_attr("Context", vm)?
                    .call((), vm)?;
                let exec = vm.builtins.get_attr("exec", vm)?;
                Ok::<_, rustpython_vm::builtins::PyBaseExceptionRef>((
                    drive,
                    context.get_attr("run", vm)?,
                    exec,
                ))
            })
            .map_err(|_| Error::internal("the Python sandbox failed to start"))?;
        let code = interp.enter(|vm| {
            vm.compile(&source.code, Mode::Exec, source.file.clone())
                .map_err(|e| Error::InvalidPackage {
                    reason: format!(
                        "{}: {}",
                        source.file,
                        crate::traceback::bounded(&e.to_string(), 2048)
                    ),
                })
        })?;
        let mut session = PySession {
            state,
            execute: interp.enter(|vm| vm.ctx.none()),
            on_event: None,
            drive,
            run_in,
            exec,
            interp,
            _meter: meter,
        };
        let config = source.config.clone();
        let mut globals = None;
        let drive = session.drive.clone();
        let run_in = session.run_in.clone();
        let exec = session.exec.clone();
        session
            .guarded(call.clone(), |vm, _| {
                let scope = vm.new_scope_with_builtins();
                scope
                    .globals
                    .set_item("__name__", vm.ctx.new_str("__guest__").into(), vm)?;
                run_in.call((exec, code, scope.globals.clone()), vm)?;
                if let Some(init) = scope.globals.get_item_opt("init", vm)? {
                    let cfg = convert::to_py(vm, &config)
                        .map_err(|e| vm.new_value_error(e.to_string()))?;
                    let value = run_in.call((init, cfg), vm)?;
                    settle(vm, &run_in, &drive, value)?;
                }
                globals = Some(scope.globals);
                Ok(vm.ctx.none())
            })
            .map_err(|e| match e.code() {
                morph_capabilities::ErrorCode::InvalidPackage => e,
                _ => Error::InitFailed(Box::new(e)),
            })?;
        let (execute, on_event) = session.interp.enter(|vm| {
            let get = |name: &str| {
                globals
                    .as_ref()?
                    .get_item_opt(name, vm)
                    .ok()
                    .flatten()
                    .filter(|f| f.is_callable())
            };
            (get("execute"), get("on_event"))
        });
        session.execute = execute.ok_or_else(|| Error::InvalidPackage {
            reason: format!(
                "{} defines no function `execute(action, params)`",
                source.file
            ),
        })?;
        session.on_event = on_event;
        Ok(session)
    }

    /// Runs `body` under `call`: the watchdog armed, guest output flushed,
    /// the result converted inside the budget, errors mapped.
    fn guarded(
        &mut self,
        call: Call,
        body: impl FnOnce(&VirtualMachine, &Call) -> PyResult<PyObjectRef>,
    ) -> Result<Value> {
        let state = self.state.clone();
        let generation = state.begin(call.clone());
        let cap = state.memory_bytes;
        let memory = state.meter.clone().map(|meter| MemoryWatch {
            start: meter.net_bytes(),
            meter,
            cap,
        });
        let watch = watchdog::arm(&state.wire, generation, call.context(), memory.clone());
        // What the call may allocate: the guards refuse an operation past
        // what is left of it, and the metered allocator stops the call at
        // its ceiling. Closed before the watchdog is disarmed, on every path.
        let budget = allocation::budget_call(cap);
        let outcome = self.interp.enter(|vm| {
            watchdog::clear_interrupt(vm);
            let result = crate::guards::with_cap(cap, || body(vm, &call));
            watchdog::clear_interrupt(vm);
            // Ignored: a refused line is already recorded as fatal below.
            let _ = log_lines(&state, &call, state.drain_output());
            // A limit hit in a host call, then the deadline, decide first.
            if let Some(fatal) = state.take_fatal() {
                return Err(fatal);
            }
            if let Some(grown) = state.memory_overrun() {
                return Err(state.allocated_error(grown));
            }
            if state.timed_out() {
                return Err(timeout(&state));
            }
            // What the call still holds counts too, even if it finished
            // between two polls of the watchdog.
            if let Some(grown) = memory.as_ref().and_then(MemoryWatch::overrun) {
                return Err(state.allocated_error(grown));
            }
            match result {
                Ok(obj) => {
                    let budget = call.context().output_left().saturating_add(1024);
                    convert::to_json(vm, &obj, budget).map_err(|e| match e {
                        convert::ConvertError::TooLarge { .. } => Error::limit(
                            morph_capabilities::LimitKind::Output,
                            format!("the guest's result: {e}"),
                        ),
                        other => Error::guest(format!("the result is not JSON: {other}")),
                    })
                }
                Err(exc) => Err(from_exception(vm, &state, &exc)),
            }
        });
        drop(budget);
        drop(watch);
        state.end();
        outcome
    }
}

impl Session for PySession {
    type Job = Job;

    fn run(&mut self, call: Call, job: Job) -> Result<Value> {
        match job {
            Job::Warm => Ok(Value::Null),
            Job::Execute { action, params } => {
                let execute = self.execute.clone();
                let drive = self.drive.clone();
                let run_in = self.run_in.clone();
                self.guarded(call, move |vm, _| {
                    let params = convert::to_py(vm, &params)
                        .map_err(|e| vm.new_value_error(e.to_string()))?;
                    let value = run_in.call((execute, vm.ctx.new_str(action), params), vm)?;
                    settle(vm, &run_in, &drive, value)
                })
            }
            Job::Event(event) => {
                let Some(on_event) = self.on_event.clone() else {
                    return Ok(Value::Null);
                };
                let event = serde_json::to_value(&event)
                    .map_err(|e| Error::internal(format!("encoding an event: {e}")))?;
                let drive = self.drive.clone();
                let run_in = self.run_in.clone();
                self.guarded(call, move |vm, _| {
                    let event = convert::to_py(vm, &event)
                        .map_err(|e| vm.new_value_error(e.to_string()))?;
                    let value = run_in.call((on_event, event), vm)?;
                    settle(vm, &run_in, &drive, value)?;
                    Ok(vm.ctx.none())
                })
                .map(|_| Value::Null)
            }
        }
    }
}

/// What an entry point returned, with a coroutine (`async def`) run to its
/// end inside the call's deadline (the watchdog interrupts it like any code)
/// and the session's context (`run_in`).
fn settle(
    vm: &VirtualMachine,
    run_in: &PyObjectRef,
    drive: &PyObjectRef,
    value: PyObjectRef,
) -> PyResult<PyObjectRef> {
    if value.class().is(vm.ctx.types.coroutine_type) {
        run_in.call((drive.clone(), value), vm)
    } else {
        Ok(value)
    }
}

impl Drop for PySession {
    fn drop(&mut self) {
        // Whatever guest code runs while the interpreter is torn down
        // (`__del__`) is interrupted at its first instruction.
        let generation = u64::MAX;
        self.state.wire.begin(generation);
        self.state.wire.trip(generation);
        let PySession {
            interp,
            execute,
            on_event,
            drive,
            run_in,
            exec,
            ..
        } = self;
        interp.enter(|vm| {
            *execute = vm.ctx.none();
            *drive = vm.ctx.none();
            *run_in = vm.ctx.none();
            *exec = vm.ctx.none();
            *on_event = None;
        });
        // Then `interp` goes, and with it what the interpreter made
        // (`teardown`).
    }
}
