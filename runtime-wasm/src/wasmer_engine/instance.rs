//! Instantiating a compiled module and calling its exports on wasmer.
//!
//! Invariants: every guest call (the start function included) runs with its
//! metering budget reset and its deadline armed (a cancellation interrupts
//! it like the deadline), and the deadline is checked before each of them; a failed call is mapped to a Morph error here, with the
//! cause a host import or a refused grow recorded in the bridge taking
//! precedence. A [`WasmerInstance`] stays on the thread that created it
//! (`Store` is !Send).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use morph_capabilities::{Error, LimitKind, Result};
use wasmer::sys::vm::TrapCode;
use wasmer::{
    ExportError, Exports, Function, FunctionEnv, Imports, InstantiationError, LinkError, Memory,
    RuntimeError, Store, TypedFunction,
};

use super::imports::{
    HostState, host_call, host_panic, host_response, read_guest, wasi_imports, write_guest,
};
use super::metering::{Meter, POINTS_PER_MS};
use super::{WasmerModule, capped_memory, deadline};
use crate::bridge::{ABI_VERSION, Bridge, TrapKind, check_result_len, unpack};
use crate::engine::{CompiledModule, Entry, Input, Instance};
use crate::wasi;

/// `morph_execute` as the module's ABI version spells it.
#[derive(Clone)]
enum Execute {
    V1(TypedFunction<(i32, i32), i64>),
    V2(TypedFunction<(i32, i32, i32, i32), i64>),
}

/// An entry point's function.
#[derive(Clone)]
enum EntryFn {
    Json(TypedFunction<(i32, i32), i64>),
    Execute(Execute),
}

impl WasmerModule {
    /// Maps a failed instantiation to a Morph error.
    fn instantiation_error(
        &self,
        e: InstantiationError,
        bridge: &mut Bridge,
        memory_denied: bool,
        started: Instant,
    ) -> Error {
        if memory_denied {
            bridge.note_memory_denied();
        }
        match e {
            InstantiationError::Start(trap) => {
                let kind = match trap_kind(&trap) {
                    // The instance (and with it the metering globals) is gone:
                    // an `unreachable` after as long as a budget takes to burn
                    // on a fast core is taken for metering exhaustion.
                    TrapKind::Other
                        if trap.clone().to_trap() == Some(TrapCode::UnreachableCodeReached)
                            && started.elapsed()
                                >= Duration::from_millis(
                                    self.config.budget / POINTS_PER_MS / 4,
                                ) =>
                    {
                        TrapKind::OutOfTime
                    }
                    kind => kind,
                };
                bridge.trap_error(kind, &trap.message())
            }
            InstantiationError::Link(LinkError::Trap(trap)) => {
                bridge.trap_error(trap_kind(&trap), &trap.message())
            }
            InstantiationError::Link(LinkError::Resource(what)) if memory_denied => {
                bridge.trap_error(TrapKind::Other, &what)
            }
            InstantiationError::Link(LinkError::Resource(what)) => {
                Error::internal(format!("instantiating a wasm module: {what}"))
            }
            other => Error::InvalidPackage {
                reason: format!("the module does not link: {other}"),
            },
        }
    }
}

impl CompiledModule for WasmerModule {
    fn instantiate(&self, bridge: Bridge) -> Result<Box<dyn Instance>> {
        let mut store = Store::new(self.engine.clone());
        let call = bridge.call().cloned();
        let env = FunctionEnv::new(
            &mut store,
            HostState {
                bridge,
                memory: None,
            },
        );
        let mut morph = Exports::new();
        morph.insert(
            "call",
            Function::new_typed_with_env(&mut store, &env, host_call),
        );
        morph.insert(
            "response",
            Function::new_typed_with_env(&mut store, &env, host_response),
        );
        morph.insert(
            "panic",
            Function::new_typed_with_env(&mut store, &env, host_panic),
        );
        let mut imports = Imports::new();
        imports.register_namespace("morph", morph);
        let wasi_functions = wasi_imports(&mut store, &env, &self.module);
        if !wasi_functions.is_empty() {
            let mut namespace = Exports::new();
            for (name, function) in wasi_functions {
                namespace.insert(name, function);
            }
            imports.register_namespace(wasi::MODULE, namespace);
        }
        let memory_denied = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let instantiated = {
            // The start function runs here: under the deadline (and the
            // cancellation), if a call is in progress, and the module's
            // initial metering budget.
            let _armed = deadline::arm(&store, call.as_ref());
            capped_memory::while_instantiating(&memory_denied, || {
                wasmer::Instance::new(&mut store, &self.module, &imports).map_err(Box::new)
            })
        };
        let instance = match instantiated {
            Ok(instance) => instance,
            Err(e) => {
                let denied = memory_denied.load(Ordering::SeqCst);
                let bridge = &mut env.as_mut(&mut store).bridge;
                return Err(self.instantiation_error(*e, bridge, denied, started));
            }
        };

        let exports = &instance.exports;
        let invalid = |what: String| Error::InvalidPackage { reason: what };
        let memory = exports
            .get_memory("memory")
            .map_err(|e| invalid(format!("export `memory`: {e}")))?
            .clone();
        let meter = Meter::from_exports(exports)?;
        let required = |name: &str| -> Result<TypedFunction<(i32, i32), i64>> {
            exports
                .get_typed_function(&store, name)
                .map_err(|e| invalid(format!("export `{name}`: {e}")))
        };
        let optional = |name: &str| -> Result<Option<TypedFunction<(i32, i32), i64>>> {
            match exports.get_typed_function(&store, name) {
                Ok(f) => Ok(Some(f)),
                Err(ExportError::Missing(_)) => Ok(None),
                Err(e) => Err(invalid(format!("export `{name}`: {e}"))),
            }
        };
        let execute = match exports.get_typed_function(&store, Entry::Execute.export()) {
            Ok(v2) => Execute::V2(v2),
            Err(_) => Execute::V1(required(Entry::Execute.export())?),
        };
        let initialize: Option<TypedFunction<(), ()>> =
            match exports.get_typed_function(&store, wasi::INITIALIZE) {
                Ok(f) => Some(f),
                Err(ExportError::Missing(_)) => None,
                Err(e) => return Err(invalid(format!("export `{}`: {e}", wasi::INITIALIZE))),
            };
        let init = optional(Entry::Init.export())?;
        let on_event = optional(Entry::OnEvent.export())?;
        let alloc: TypedFunction<i32, i32> = exports
            .get_typed_function(&store, "morph_alloc")
            .map_err(|e| invalid(format!("export `morph_alloc`: {e}")))?;
        let free: TypedFunction<(i32, i32), ()> = exports
            .get_typed_function(&store, "morph_free")
            .map_err(|e| invalid(format!("export `morph_free`: {e}")))?;
        let abi_version: TypedFunction<(), i32> = exports
            .get_typed_function(&store, "morph_abi_version")
            .map_err(|e| invalid(format!("export `morph_abi_version`: {e}")))?;
        env.as_mut(&mut store).memory = Some(memory.clone());

        let mut live = WasmerInstance {
            store,
            env,
            memory,
            meter,
            alloc,
            free,
            init,
            execute,
            on_event,
            budget: self.config.budget,
            memory_denied,
        };
        live.meter.reset(&mut live.store, live.budget)?;
        let version = {
            let _armed = deadline::arm(&live.store, call.as_ref());
            abi_version.call(&mut live.store)
        };
        let expected = live.abi_version();
        match version {
            Ok(found) if found == expected => {}
            Ok(found) if (1..=ABI_VERSION).contains(&found) => {
                return Err(invalid(format!(
                    "morph_abi_version returned {found}, but morph_execute has the signature of version {expected}"
                )));
            }
            Ok(other) => {
                return Err(invalid(format!(
                    "morph_abi_version returned {other}; this host supports 1 to {ABI_VERSION}"
                )));
            }
            Err(trap) => return Err(live.fail(trap)),
        }
        // A WASI reactor sets itself up (constructors, libc) once.
        if let Some(initialize) = initialize {
            live.check_deadline()?;
            let _armed = deadline::arm(&live.store, call.as_ref());
            initialize
                .call(&mut live.store)
                .map_err(|trap| live.fail(trap))?;
        }
        Ok(Box::new(live))
    }
}

/// How a wasmer error ended a guest call, as far as it can tell by itself
/// (metering exhaustion needs the instance: see [`WasmerInstance::fail`]).
fn trap_kind(error: &RuntimeError) -> TrapKind {
    if error.is::<Error>() {
        return TrapKind::Host;
    }
    match error.clone().to_trap() {
        Some(TrapCode::HostInterrupt) => TrapKind::OutOfTime,
        Some(TrapCode::StackOverflow) => TrapKind::StackOverflow,
        _ => TrapKind::Other,
    }
}

/// A live instance; stays on the thread that created it (`Store` is !Send).
struct WasmerInstance {
    store: Store,
    env: FunctionEnv<HostState>,
    memory: Memory,
    meter: Meter,
    alloc: TypedFunction<i32, i32>,
    free: TypedFunction<(i32, i32), ()>,
    init: Option<TypedFunction<(i32, i32), i64>>,
    execute: Execute,
    on_event: Option<TypedFunction<(i32, i32), i64>>,
    budget: u64,
    memory_denied: Arc<AtomicBool>,
}

impl WasmerInstance {
    fn entry(&self, entry: Entry) -> Option<EntryFn> {
        match entry {
            Entry::Init => self.init.clone().map(EntryFn::Json),
            Entry::Execute => Some(EntryFn::Execute(self.execute.clone())),
            Entry::OnEvent => self.on_event.clone().map(EntryFn::Json),
        }
    }

    fn state(&mut self) -> &mut HostState {
        self.env.as_mut(&mut self.store)
    }

    /// The error a guest call that failed with `error` ends with.
    fn fail(&mut self, error: RuntimeError) -> Error {
        let kind = if self.meter.is_exhausted(&mut self.store) {
            TrapKind::OutOfTime
        } else {
            trap_kind(&error)
        };
        if self.memory_denied.load(Ordering::SeqCst) {
            self.state().bridge.note_memory_denied();
        }
        self.state().bridge.trap_error(kind, &error.message())
    }

    /// `timeout` once the call's deadline has passed, `cancelled` once it
    /// was cancelled (checked before every guest call, so a deadline or a
    /// cancellation that fell between two calls is not missed).
    fn check_deadline(&mut self) -> Result<()> {
        let bridge = &mut self.state().bridge;
        if bridge.out_of_time() {
            return Err(bridge.trap_error(TrapKind::OutOfTime, "the deadline passed"));
        }
        Ok(())
    }

    fn run(&mut self, func: &EntryFn, input: &Input) -> Result<Vec<u8>> {
        let len = i32::try_from(input.bytes.len()).map_err(|_| {
            Error::limit(
                LimitKind::Memory,
                "the input does not fit the guest's address space",
            )
        })?;

        self.check_deadline()?;
        let ptr = self
            .alloc
            .call(&mut self.store, len)
            .map_err(|e| self.fail(e))?;
        if ptr == 0 && len > 0 {
            if self.memory_denied.load(Ordering::SeqCst) {
                self.state().bridge.note_memory_denied();
            }
            return Err(self
                .state()
                .bridge
                .trap_error(TrapKind::Other, "morph_alloc returned 0"));
        }
        // A fresh view: morph_alloc may have grown the memory.
        write_guest(&self.memory.view(&self.store), ptr, &input.bytes)?;

        self.check_deadline()?;
        let packed = match func {
            EntryFn::Json(f) | EntryFn::Execute(Execute::V1(f)) => {
                f.call(&mut self.store, ptr, len)
            }
            EntryFn::Execute(Execute::V2(f)) => {
                let (action_len, params_len) = input.split()?;
                f.call(
                    &mut self.store,
                    ptr,
                    action_len,
                    ptr.wrapping_add(action_len),
                    params_len,
                )
            }
        }
        .map_err(|e| self.fail(e))?;
        let (out_ptr, out_len) = unpack(packed);
        check_result_len(out_len, self.state().bridge.output_left())?;
        let output = read_guest(&self.memory.view(&self.store), out_ptr, out_len)?;

        self.check_deadline()?;
        self.free
            .call(&mut self.store, out_ptr, out_len)
            .map_err(|e| self.fail(e))?;
        Ok(output)
    }
}

impl Instance for WasmerInstance {
    fn has_entry(&self, entry: Entry) -> bool {
        self.entry(entry).is_some()
    }

    fn abi_version(&self) -> i32 {
        match self.execute {
            Execute::V1(_) => 1,
            Execute::V2(_) => 2,
        }
    }

    fn call(&mut self, entry: Entry, input: &Input) -> Result<Vec<u8>> {
        let Some(func) = self.entry(entry) else {
            return Err(Error::InvalidPackage {
                reason: format!("the module does not export `{}`", entry.export()),
            });
        };
        self.meter.reset(&mut self.store, self.budget)?;
        self.memory_denied.store(false, Ordering::SeqCst);
        let call = self.state().bridge.call().cloned();
        let _armed = deadline::arm(&self.store, call.as_ref());
        let output = self.run(&func, input)?;
        if self.memory_denied.load(Ordering::SeqCst) {
            // wasmer answers a refused grow with -1 where wasmi's limiter
            // traps; a guest that survives it (C's `malloc` returning NULL)
            // still ends with `memory_limit`, as on wasmi (ABI.md).
            self.state().bridge.note_memory_denied();
            return Err(self
                .state()
                .bridge
                .trap_error(TrapKind::Other, "a memory grow was refused"));
        }
        Ok(output)
    }

    fn bridge(&mut self) -> &mut Bridge {
        &mut self.state().bridge
    }
}
