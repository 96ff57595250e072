//! The wasmer 7 (Cranelift JIT) engine adapter.
//!
//! It compiles validated modules, links the three `morph` imports to the
//! [`Bridge`] and calls exports; everything else is engine-neutral and lives
//! in [`crate::bridge`]. Invariants kept here:
//!
//! - **One `wasmer::Engine` per module**: the `Metering` middleware keeps
//!   per-module state (and panics when shared), and the memory cap lives in
//!   the engine's tunables.
//! - **Time is bounded twice**: a watchdog thread interrupts the store at
//!   the call's deadline (wasmer's signal-based `Interrupter`, unix), and
//!   metering stops the guest after a budget calibrated from
//!   `max_execution_ms` (see [`POINTS_PER_MS`]) as the backstop; the
//!   deadline is also checked before every guest call.
//! - **Memory is bounded by the tunables**: every memory's maximum is capped
//!   at `max_memory_mb`, larger minimums are refused, and a refused grow is
//!   remembered so the call ends with `memory_limit`.
//! - **Guest memory is read through a fresh view** after anything that can
//!   grow it, with [`guest_range`] checks and size caps before any copy.
//! - **No wasmer type leaves this file.**
//!
//! Compiled modules go through [`crate::module_cache`] when a cache
//! directory is configured.

use std::cell::RefCell;
use std::path::PathBuf;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use morph_capabilities::{Error, LimitKind, ResourceLimits, Result};
use wasmer::sys::vm::{
    LinearMemory, MemoryError, MemoryStyle, TableStyle, ThreadConditions, Trap, TrapCode, VMMemory,
    VMMemoryDefinition, VMSharedMemory, VMTable, VMTableDefinition,
};
use wasmer::sys::{
    BaseTunables, CompilerConfig, Cranelift, Features, NativeEngineExt, Target, Tunables,
};
use wasmer::wasmparser::Operator;
use wasmer::{
    ExportError, Function, FunctionEnv, FunctionEnvMut, Global, InstantiationError, LinkError,
    Memory, MemoryType, MemoryView, Module, Pages, RuntimeError, Store, TableType, TypedFunction,
    Value, imports,
};
use wasmer_middlewares::Metering;

use crate::bridge::{
    ABI_VERSION, Bridge, MAX_PANIC_MESSAGE, TrapKind, check_call_sizes, check_result_len,
    guest_range, unpack,
};
use crate::engine::{CompiledModule, Engine, Entry, Instance};
use crate::module_cache::{CacheKey, Lookup, ModuleCache};

/// The wasmer release this adapter is built against (pinned in Cargo.toml).
const WASMER_VERSION: &str = "7.4.2";

/// Metering points granted per millisecond of `max_execution_ms`.
///
/// One point is about one wasm operator that does work (see
/// [`operator_cost`]). Measured with this cost model on a server core (AMD
/// EPYC, 2024; `tests::calibrate_points_per_ms`, run with `--ignored`), a
/// guest burns about 1.1 M points/ms in a tight loop or a chain of dependent
/// arithmetic, 1.5 M/ms making calls, 2.3 M/ms in independent arithmetic and
/// up to 5.7 M/ms in load/store-heavy code. The budget is about twice the
/// fastest of these so that **the deadline interrupt is what stops a guest**
/// and metering only stops one no interrupt reached (no deadline, non-unix
/// hosts, a lost signal): there, a call overshoots `max_execution_ms` by 2x
/// (dense code) to 9x (tight loops). Host calls cost no points; the broker
/// and the deadline bound them.
const POINTS_PER_MS: u64 = 10_000_000;

/// Version of [`operator_cost`]; part of the cache key.
const COST_MODEL: u32 = 1;

/// How often the watchdog re-sends an interrupt that has not ended the call
/// (a signal that arrives between two guest calls, or while the store is in
/// host code, can be lost or deferred).
const INTERRUPT_RETRY: Duration = Duration::from_millis(10);

/// Names of the globals the `Metering` middleware adds to every module.
const REMAINING_POINTS: &str = "wasmer_metering_remaining_points";
const POINTS_EXHAUSTED: &str = "wasmer_metering_points_exhausted";

/// The metering cost of one operator: 1 for an operator that does work;
/// nothing for those that only name values Cranelift keeps in registers or
/// mark structure (every loop iteration and every call still costs at least
/// 1, through its branch or call); more for calls and for the bulk
/// operations whose work grows with their operands (those are also bounded
/// by the memory cap and, between operators, by the deadline interrupt).
fn operator_cost(op: &Operator) -> u64 {
    match op {
        Operator::LocalGet { .. }
        | Operator::LocalSet { .. }
        | Operator::LocalTee { .. }
        | Operator::I32Const { .. }
        | Operator::I64Const { .. }
        | Operator::F32Const { .. }
        | Operator::F64Const { .. }
        | Operator::Drop
        | Operator::Nop
        | Operator::Block { .. }
        | Operator::End
        | Operator::Else => 0,
        Operator::Call { .. } | Operator::CallIndirect { .. } => 4,
        Operator::MemoryGrow { .. }
        | Operator::MemoryFill { .. }
        | Operator::MemoryCopy { .. }
        | Operator::MemoryInit { .. }
        | Operator::TableGrow { .. }
        | Operator::TableFill { .. }
        | Operator::TableCopy { .. }
        | Operator::TableInit { .. } => 64,
        _ => 1,
    }
}

/// The wasm features both engines accept, exactly `crate::validate::features()`:
/// the MVP with mutable globals, sign extension, saturating float-to-int
/// (wasmer always enables these three, with floats and GC types), multi-value,
/// bulk memory and reference types. Nothing else.
fn features() -> Features {
    Features {
        threads: false,
        reference_types: true,
        simd: false,
        bulk_memory: true,
        multi_value: true,
        tail_call: false,
        module_linking: false,
        multi_memory: false,
        memory64: false,
        exceptions: false,
        relaxed_simd: false,
        extended_const: false,
        wide_arithmetic: false,
    }
}

/// Where a compiled module came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// No cache directory is configured: compiled.
    Disabled,
    /// Not in the cache: compiled, then stored.
    Miss,
    /// Loaded from an intact cache entry.
    Hit,
    /// The cache entry failed verification (then it was never
    /// deserialized) or did not deserialize: compiled and stored again.
    Rejected,
}

/// The wasmer engine: Cranelift, metering, memory-capping tunables and an
/// optional on-disk module cache.
#[derive(Debug)]
pub struct WasmerEngine {
    cache: Option<ModuleCache>,
}

impl WasmerEngine {
    /// An engine that caches compiled modules in `cache_dir` (`None`: no
    /// disk cache).
    pub fn new(cache_dir: Option<PathBuf>) -> WasmerEngine {
        WasmerEngine {
            cache: cache_dir.map(ModuleCache::new),
        }
    }

    /// [`Engine::compile`] with the concrete module type (which says where
    /// the module came from, see [`WasmerModule::cache_outcome`]).
    ///
    /// # Errors
    /// `invalid_package` when Cranelift refuses the module.
    pub fn compile_module(
        &self,
        wasm: &[u8],
        limits: &ResourceLimits,
    ) -> Result<Arc<WasmerModule>> {
        self.compile_with(wasm, CompileConfig::for_limits(limits))
    }

    fn compile_with(&self, wasm: &[u8], config: CompileConfig) -> Result<Arc<WasmerModule>> {
        let engine = config.engine();
        let Some(cache) = &self.cache else {
            let module = compile(&engine, wasm)?;
            return Ok(WasmerModule::new(
                engine,
                module,
                config,
                CacheOutcome::Disabled,
            ));
        };
        let key = CacheKey::new(wasm, "wasmer", WASMER_VERSION, &config.fingerprint());
        let outcome = match cache.load(&key) {
            Lookup::Hit(artifact) => {
                // SAFETY: `Module::deserialize` runs the artifact as native
                // code without checking it. These bytes are trusted: this
                // adapter produced them with `Module::serialize` for this very
                // key (wasm hash, wasmer version, compile configuration and
                // target), they sit in the host's own cache directory, and
                // `ModuleCache::load` only returns them after their SHA-256
                // matched the one recorded when they were written, so a
                // corrupted, truncated or misplaced entry never gets here.
                match unsafe { Module::deserialize(&engine, artifact.bytes()) } {
                    Ok(module) => {
                        return Ok(WasmerModule::new(engine, module, config, CacheOutcome::Hit));
                    }
                    Err(e) => {
                        tracing::warn!(key = key.as_str(), error = %e, "cached module does not load; recompiling");
                        CacheOutcome::Rejected
                    }
                }
            }
            Lookup::Miss => CacheOutcome::Miss,
            Lookup::Rejected(why) => {
                tracing::warn!(
                    key = key.as_str(),
                    why,
                    "cached module rejected; recompiling"
                );
                CacheOutcome::Rejected
            }
        };
        let module = compile(&engine, wasm)?;
        match module.serialize() {
            Ok(bytes) => {
                if let Err(e) = cache.store(&key, &bytes) {
                    tracing::warn!(key = key.as_str(), error = %e, "could not write the module cache");
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not serialize a compiled module"),
        }
        Ok(WasmerModule::new(engine, module, config, outcome))
    }
}

impl Engine for WasmerEngine {
    fn name(&self) -> &'static str {
        "wasmer"
    }

    fn version(&self) -> &'static str {
        WASMER_VERSION
    }

    fn compile(&self, wasm: &[u8], limits: &ResourceLimits) -> Result<Arc<dyn CompiledModule>> {
        let module = self.compile_module(wasm, limits)?;
        tracing::debug!(cache = ?module.cache_outcome(), "wasmer module ready");
        Ok(module)
    }
}

fn compile(engine: &wasmer::Engine, wasm: &[u8]) -> Result<Module> {
    Module::new(engine, wasm).map_err(|e| Error::InvalidPackage {
        reason: format!("wasmer refused the module: {e}"),
    })
}

/// Everything that shapes a compiled artifact (and so the cache key).
#[derive(Debug, Clone, Copy)]
struct CompileConfig {
    /// Metering points per guest call (and for the start function).
    budget: u64,
    /// The memory cap in wasm pages.
    max_pages: u32,
}

impl CompileConfig {
    fn for_limits(limits: &ResourceLimits) -> CompileConfig {
        let pages = limits.memory_bytes() / wasmer::WASM_PAGE_SIZE as u64;
        CompileConfig {
            budget: limits.max_execution_ms.saturating_mul(POINTS_PER_MS),
            max_pages: u32::try_from(pages.min(u64::from(wasmer::WASM_MAX_PAGES)))
                .unwrap_or(wasmer::WASM_MAX_PAGES),
        }
    }

    /// A fresh engine: Cranelift with its own `Metering`, our features and
    /// the memory-capping tunables.
    fn engine(&self) -> wasmer::Engine {
        let mut compiler = Cranelift::new();
        compiler.push_middleware(Arc::new(Metering::new(self.budget, operator_cost)));
        let mut engine = <wasmer::Engine as NativeEngineExt>::new(
            Box::new(compiler),
            Target::default(),
            features(),
        );
        engine.set_tunables(CappedTunables {
            base: BaseTunables::new(),
            max_pages: Pages(self.max_pages),
        });
        engine
    }

    fn fingerprint(&self) -> String {
        format!(
            "cost_model={COST_MODEL};budget={};max_pages={};features={:?};target={:?};compiler=cranelift-default",
            self.budget,
            self.max_pages,
            features(),
            Target::default(),
        )
    }
}

/// A compiled module with the engine it must run on.
pub struct WasmerModule {
    engine: wasmer::Engine,
    module: Module,
    config: CompileConfig,
    cache_outcome: CacheOutcome,
}

impl std::fmt::Debug for WasmerModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmerModule")
            .field("config", &self.config)
            .field("cache_outcome", &self.cache_outcome)
            .finish_non_exhaustive()
    }
}

impl WasmerModule {
    fn new(
        engine: wasmer::Engine,
        module: Module,
        config: CompileConfig,
        cache_outcome: CacheOutcome,
    ) -> Arc<WasmerModule> {
        Arc::new(WasmerModule {
            engine,
            module,
            config,
            cache_outcome,
        })
    }

    /// Whether this module was compiled or came from the disk cache.
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.cache_outcome
    }

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
        let deadline = bridge.deadline();
        let env = FunctionEnv::new(
            &mut store,
            HostState {
                bridge,
                memory: None,
            },
        );
        let imports = imports! {
            "morph" => {
                "call" => Function::new_typed_with_env(&mut store, &env, host_call),
                "response" => Function::new_typed_with_env(&mut store, &env, host_response),
                "panic" => Function::new_typed_with_env(&mut store, &env, host_panic),
            }
        };
        let memory_denied = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let instantiated = {
            // The start function runs here: under the deadline, if a call is
            // in progress, and the module's initial metering budget.
            let _armed = deadline::arm(&store, deadline);
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
        let meter = Meter {
            remaining: global(exports, REMAINING_POINTS)?,
            exhausted: global(exports, POINTS_EXHAUSTED)?,
        };
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
        let execute = required(Entry::Execute.export())?;
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
            let _armed = deadline::arm(&live.store, deadline);
            abi_version.call(&mut live.store)
        };
        match version {
            Ok(ABI_VERSION) => Ok(Box::new(live)),
            Ok(other) => Err(invalid(format!(
                "morph_abi_version returned {other}; this host supports {ABI_VERSION}"
            ))),
            Err(trap) => Err(live.fail(trap)),
        }
    }
}

fn global(exports: &wasmer::Exports, name: &str) -> Result<Global> {
    exports
        .get_global(name)
        .cloned()
        .map_err(|e| Error::internal(format!("metering global `{name}` missing: {e}")))
}

/// The metering globals of one instance (read and written directly, so a
/// missing global is an error, never a panic).
struct Meter {
    remaining: Global,
    exhausted: Global,
}

impl Meter {
    fn reset(&self, store: &mut Store, points: u64) -> Result<()> {
        let set = |global: &Global, store: &mut Store, value: Value| {
            global
                .set(store, value)
                .map_err(|e| Error::internal(format!("resetting the metering budget: {e}")))
        };
        // The middleware compares the global as an unsigned 64-bit value.
        set(&self.remaining, store, Value::I64(points as i64))?;
        set(&self.exhausted, store, Value::I32(0))
    }

    fn is_exhausted(&self, store: &mut Store) -> bool {
        matches!(self.exhausted.get(store), Value::I32(n) if n != 0)
    }
}

/// What the host imports reach: the bridge and, once instantiation is done,
/// the guest's memory.
struct HostState {
    bridge: Bridge,
    memory: Option<Memory>,
}

impl HostState {
    /// Records `error` as the reason the call ends and traps the guest.
    fn trap(&mut self, error: Error) -> RuntimeError {
        RuntimeError::user(Box::new(self.bridge.raise(error)))
    }

    fn memory(&mut self) -> std::result::Result<Memory, RuntimeError> {
        match &self.memory {
            Some(m) => Ok(m.clone()),
            None => Err(self.trap(Error::GuestCrash {
                reason: "the start function called a host import (its memory is not exported yet)"
                    .into(),
            })),
        }
    }
}

/// Copies `[ptr, ptr + len)` out of guest memory after a bounds check.
fn read_guest(view: &MemoryView, ptr: i32, len: i32) -> Result<Vec<u8>> {
    let range = guest_range(ptr, len, view_size(view))?;
    let mut bytes = vec![0; range.len()];
    view.read(range.start as u64, &mut bytes)
        .map_err(|e| Error::GuestCrash {
            reason: format!("reading guest memory: {e}"),
        })?;
    Ok(bytes)
}

/// Copies `bytes` to `ptr` in guest memory after a bounds check.
fn write_guest(view: &MemoryView, ptr: i32, bytes: &[u8]) -> Result<()> {
    let len = i32::try_from(bytes.len()).map_err(|_| Error::GuestCrash {
        reason: "a buffer larger than the guest's address space".into(),
    })?;
    let range = guest_range(ptr, len, view_size(view))?;
    view.write(range.start as u64, bytes)
        .map_err(|e| Error::GuestCrash {
            reason: format!("writing guest memory: {e}"),
        })
}

fn view_size(view: &MemoryView) -> usize {
    usize::try_from(view.data_size()).unwrap_or(usize::MAX)
}

/// `morph.call(cap_ptr, cap_len, req_ptr, req_len) -> len`.
fn host_call(
    mut env: FunctionEnvMut<HostState>,
    cap_ptr: i32,
    cap_len: i32,
    req_ptr: i32,
    req_len: i32,
) -> std::result::Result<i32, RuntimeError> {
    let (state, store) = env.data_and_store_mut();
    // Sizes are capped before anything is read or allocated.
    check_call_sizes(cap_len, req_len).map_err(|e| state.trap(e))?;
    let memory = state.memory()?;
    let read = {
        let view = memory.view(&store);
        read_guest(&view, cap_ptr, cap_len)
            .and_then(|cap| Ok((cap, read_guest(&view, req_ptr, req_len)?)))
    };
    let (capability, request) = read.map_err(|e| state.trap(e))?;
    // On error the bridge has already remembered the real cause (`raise`).
    state
        .bridge
        .host_call(&capability, &request)
        .map_err(|e| RuntimeError::user(Box::new(e)))
}

/// `morph.response(ptr, len) -> 0 | -1`.
fn host_response(
    mut env: FunctionEnvMut<HostState>,
    ptr: i32,
    len: i32,
) -> std::result::Result<i32, RuntimeError> {
    let (state, store) = env.data_and_store_mut();
    let Some(response) = state.bridge.take_response(len as u32) else {
        return Ok(-1);
    };
    let memory = state.memory()?;
    let written = write_guest(&memory.view(&store), ptr, &response);
    written.map(|()| 0).map_err(|e| state.trap(e))
}

/// `morph.panic(ptr, len)`: keeps the first [`MAX_PANIC_MESSAGE`] bytes.
fn host_panic(
    mut env: FunctionEnvMut<HostState>,
    ptr: i32,
    len: i32,
) -> std::result::Result<(), RuntimeError> {
    let (state, store) = env.data_and_store_mut();
    let Some(memory) = state.memory.clone() else {
        state
            .bridge
            .record_panic(b"(message unavailable: the start function panicked)");
        return Ok(());
    };
    let capped = (len as u32).min(MAX_PANIC_MESSAGE) as i32;
    let message = read_guest(&memory.view(&store), ptr, capped);
    match message {
        Ok(message) => {
            state.bridge.record_panic(&message);
            Ok(())
        }
        Err(e) => Err(state.trap(e)),
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
    execute: TypedFunction<(i32, i32), i64>,
    on_event: Option<TypedFunction<(i32, i32), i64>>,
    budget: u64,
    memory_denied: Arc<AtomicBool>,
}

impl WasmerInstance {
    fn entry(&self, entry: Entry) -> Option<&TypedFunction<(i32, i32), i64>> {
        match entry {
            Entry::Init => self.init.as_ref(),
            Entry::Execute => Some(&self.execute),
            Entry::OnEvent => self.on_event.as_ref(),
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

    /// `timeout` once the call's deadline has passed (checked before every
    /// guest call, so a deadline that fell between two calls is not missed).
    fn check_deadline(&mut self) -> Result<()> {
        let bridge = &mut self.state().bridge;
        if bridge.deadline().is_some_and(|d| Instant::now() >= d) {
            return Err(bridge.trap_error(TrapKind::OutOfTime, "the deadline passed"));
        }
        Ok(())
    }

    fn run(&mut self, func: &TypedFunction<(i32, i32), i64>, input: &[u8]) -> Result<Vec<u8>> {
        let len = i32::try_from(input.len()).map_err(|_| {
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
        write_guest(&self.memory.view(&self.store), ptr, input)?;

        self.check_deadline()?;
        let packed = func
            .call(&mut self.store, ptr, len)
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

    fn call(&mut self, entry: Entry, input: &[u8]) -> Result<Vec<u8>> {
        let Some(func) = self.entry(entry).cloned() else {
            return Err(Error::InvalidPackage {
                reason: format!("the module does not export `{}`", entry.export()),
            });
        };
        self.meter.reset(&mut self.store, self.budget)?;
        self.memory_denied.store(false, Ordering::SeqCst);
        let deadline = self.state().bridge.deadline();
        let _armed = deadline::arm(&self.store, deadline);
        self.run(&func, input)
    }

    fn bridge(&mut self) -> &mut Bridge {
        &mut self.state().bridge
    }
}

/// Tunables that cap every memory at `max_pages` and refuse larger minimums.
struct CappedTunables {
    base: BaseTunables,
    max_pages: Pages,
}

impl CappedTunables {
    /// `ty` with its maximum capped, or an error when its minimum is over the cap.
    fn cap(&self, ty: &MemoryType) -> std::result::Result<MemoryType, MemoryError> {
        if ty.minimum > self.max_pages {
            return Err(MemoryError::MinimumMemoryTooLarge {
                min_requested: ty.minimum,
                max_allowed: self.max_pages,
            });
        }
        let mut capped = *ty;
        capped.maximum = Some(ty.maximum.map_or(self.max_pages, |m| m.min(self.max_pages)));
        Ok(capped)
    }
}

impl Tunables for CappedTunables {
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        match self.cap(memory) {
            Ok(capped) => self.base.memory_style(&capped),
            Err(_) => self.base.memory_style(memory),
        }
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        self.base.table_style(table)
    }

    fn create_host_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
    ) -> std::result::Result<VMMemory, MemoryError> {
        let capped = self.cap(ty).inspect_err(|_| capped_memory::note_denied())?;
        let memory = self.base.create_host_memory(&capped, style)?;
        Ok(capped_memory::wrap(memory))
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> std::result::Result<VMMemory, MemoryError> {
        let capped = self.cap(ty).inspect_err(|_| capped_memory::note_denied())?;
        // SAFETY: `vm_definition_location` is forwarded unchanged from
        // wasmer, which guarantees it points at a valid, owned definition;
        // the type only has a lower maximum, and the compiled code's memory
        // style was computed from the same capped type (`memory_style`).
        let memory = unsafe {
            self.base
                .create_vm_memory(&capped, style, vm_definition_location)?
        };
        Ok(capped_memory::wrap(memory))
    }

    fn create_host_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
    ) -> std::result::Result<VMTable, String> {
        self.base.create_host_table(ty, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> std::result::Result<VMTable, String> {
        // SAFETY: forwarded unchanged from wasmer, which guarantees that
        // `vm_definition_location` points at a valid, owned definition.
        unsafe { self.base.create_vm_table(ty, style, vm_definition_location) }
    }
}

/// Memories that remember a refused grow in a per-instance flag.
///
/// The tunables are shared by every instance of a module (possibly on
/// several threads), so the flag of the instance being created is handed
/// to them through a thread-local set around `wasmer::Instance::new`, which
/// creates the memories synchronously on the calling thread.
mod capped_memory {
    use super::*;

    thread_local! {
        static INSTANTIATING: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
    }

    /// Runs `f` (an instantiation) with `flag` as the memory-denied flag of
    /// the memories it creates.
    pub(super) fn while_instantiating<R>(flag: &Arc<AtomicBool>, f: impl FnOnce() -> R) -> R {
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                INSTANTIATING.with(|slot| slot.borrow_mut().take());
            }
        }
        INSTANTIATING.with(|slot| *slot.borrow_mut() = Some(flag.clone()));
        let _reset = Reset;
        f()
    }

    fn current() -> Arc<AtomicBool> {
        INSTANTIATING
            .with(|slot| slot.borrow().clone())
            .unwrap_or_else(|| Arc::new(AtomicBool::new(false)))
    }

    /// Marks the instance being created as out of memory (minimum too large).
    pub(super) fn note_denied() {
        current().store(true, Ordering::SeqCst);
    }

    pub(super) fn wrap(inner: VMMemory) -> VMMemory {
        VMMemory(Box::new(CappedMemory {
            inner,
            denied: current(),
        }))
    }

    #[derive(Debug)]
    struct CappedMemory {
        inner: VMMemory,
        denied: Arc<AtomicBool>,
    }

    impl LinearMemory for CappedMemory {
        fn ty(&self) -> MemoryType {
            self.inner.ty()
        }

        fn size(&self) -> Pages {
            self.inner.size()
        }

        fn style(&self) -> MemoryStyle {
            self.inner.style()
        }

        fn grow(&mut self, delta: Pages) -> std::result::Result<Pages, MemoryError> {
            let grown = self.inner.grow(delta);
            if grown.is_err() {
                self.denied.store(true, Ordering::SeqCst);
            }
            grown
        }

        fn grow_at_least(&mut self, min_size: u64) -> std::result::Result<(), MemoryError> {
            let grown = self.inner.grow_at_least(min_size);
            if grown.is_err() {
                self.denied.store(true, Ordering::SeqCst);
            }
            grown
        }

        fn reset(&mut self) -> std::result::Result<(), MemoryError> {
            self.inner.reset()
        }

        fn vmmemory(&self) -> NonNull<VMMemoryDefinition> {
            self.inner.vmmemory()
        }

        fn try_clone(
            &self,
        ) -> std::result::Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError>
        {
            LinearMemory::try_clone(&self.inner)
        }

        unsafe fn initialize_with_data(
            &self,
            start: usize,
            data: &[u8],
        ) -> std::result::Result<(), Trap> {
            // SAFETY: forwarded unchanged; the caller upholds the contract.
            unsafe { self.inner.initialize_with_data(start, data) }
        }

        fn copy(
            &self,
        ) -> std::result::Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError>
        {
            LinearMemory::copy(&self.inner)
        }

        fn as_shared(&self) -> std::result::Result<VMSharedMemory, MemoryError> {
            self.inner.as_shared()
        }

        fn thread_conditions(&self) -> Option<&ThreadConditions> {
            self.inner.thread_conditions()
        }
    }
}

/// The deadline watchdog: one shared timer thread that interrupts stores
/// whose call ran past its deadline, re-sending every [`INTERRUPT_RETRY`]
/// until the call disarms it. Disarming takes the watchdog's lock, which is
/// held while interrupting, so no interrupt is sent after `Armed` drops.
#[cfg(unix)]
mod deadline {
    use std::collections::HashMap;
    use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

    use super::*;

    struct Slot {
        deadline: Instant,
        interrupter: wasmer::Interrupter,
    }

    #[derive(Default)]
    struct Entries {
        next_id: u64,
        armed: HashMap<u64, Slot>,
    }

    struct Watchdog {
        entries: Mutex<Entries>,
        wake: Condvar,
    }

    impl Watchdog {
        fn lock(&self) -> MutexGuard<'_, Entries> {
            self.entries.lock().unwrap_or_else(PoisonError::into_inner)
        }

        fn run(&self) {
            let mut entries = self.lock();
            loop {
                let now = Instant::now();
                let mut next: Option<Instant> = None;
                for entry in entries.armed.values_mut() {
                    if entry.deadline <= now {
                        entry.interrupter.interrupt();
                        entry.deadline = now + INTERRUPT_RETRY;
                    }
                    next = Some(next.map_or(entry.deadline, |n| n.min(entry.deadline)));
                }
                entries = match next {
                    None => self
                        .wake
                        .wait(entries)
                        .unwrap_or_else(PoisonError::into_inner),
                    Some(at) => {
                        self.wake
                            .wait_timeout(entries, at.saturating_duration_since(now))
                            .unwrap_or_else(PoisonError::into_inner)
                            .0
                    }
                };
            }
        }
    }

    /// The shared watchdog, started on first use (`None` if the thread
    /// could not be spawned: metering alone bounds calls then).
    fn watchdog() -> Option<&'static Watchdog> {
        static WATCHDOG: OnceLock<Option<&'static Watchdog>> = OnceLock::new();
        *WATCHDOG.get_or_init(|| {
            let dog: &'static Watchdog = Box::leak(Box::new(Watchdog {
                entries: Mutex::new(Entries::default()),
                wake: Condvar::new(),
            }));
            let spawned = std::thread::Builder::new()
                .name("morph-wasmer-deadline".into())
                .spawn(move || dog.run());
            match spawned {
                Ok(_) => Some(dog),
                Err(e) => {
                    tracing::error!(error = %e, "no deadline watchdog: wasm calls are bounded by metering only");
                    None
                }
            }
        })
    }

    /// An armed deadline; disarmed on drop.
    pub(super) struct Armed(Option<u64>);

    /// Arms `deadline` (if any) for `store`'s running wasm code.
    pub(super) fn arm(store: &Store, deadline: Option<Instant>) -> Armed {
        let (Some(deadline), Some(dog)) = (deadline, watchdog()) else {
            return Armed(None);
        };
        let mut entries = dog.lock();
        let id = entries.next_id;
        entries.next_id += 1;
        entries.armed.insert(
            id,
            Slot {
                deadline,
                interrupter: store.interrupter(),
            },
        );
        dog.wake.notify_one();
        Armed(Some(id))
    }

    impl Drop for Armed {
        fn drop(&mut self) {
            if let (Some(id), Some(dog)) = (self.0, watchdog()) {
                dog.lock().armed.remove(&id);
            }
        }
    }
}

/// Without signal-based interrupts (non-unix), metering and the deadline
/// checks between guest calls bound a call.
#[cfg(not(unix))]
mod deadline {
    use super::*;

    /// Nothing is armed.
    pub(super) struct Armed;

    pub(super) fn arm(_store: &Store, _deadline: Option<Instant>) -> Armed {
        Armed
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use morph_capabilities::audit::MemoryAuditSink;
    use morph_capabilities::{
        Call, CallContext, CallKind, CapabilityBroker, ErrorCode, ExtensionIdentity, Grants,
        PermissionSet, Providers,
    };

    use super::*;

    /// A broker over real providers and a multi-thread runtime for host calls;
    /// guests run on plain threads, as in the runtime.
    struct Harness {
        rt: tokio::runtime::Runtime,
        _dir: tempfile::TempDir,
        broker: Arc<CapabilityBroker>,
    }

    impl Harness {
        fn new() -> Harness {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let dir = tempfile::tempdir().unwrap();
            let providers = Providers::open(dir.path()).unwrap();
            let broker = Arc::new(CapabilityBroker::new(
                providers,
                Arc::new(MemoryAuditSink::new()),
            ));
            Harness {
                rt,
                _dir: dir,
                broker,
            }
        }

        fn call(&self, limits: ResourceLimits) -> Call {
            let ext = Arc::new(ExtensionIdentity {
                id: "wasmer-test".to_owned(),
                version: "1.0.0".to_owned(),
                runtime: "wasm".to_owned(),
                manifest_digest: "0".repeat(64),
            });
            let grants = Arc::new(Grants {
                permissions: PermissionSet::new(),
                allowed_hosts: Vec::new(),
                limits,
            });
            let ctx = CallContext::new(
                ext,
                grants,
                Arc::new(serde_json::json!({"greeting": "hi"})),
                CallKind::Execute,
                "test_action",
            );
            Call::new(self.broker.clone(), Arc::new(ctx))
        }

        /// Instantiates `module` and runs `morph_execute` under a call with
        /// `limits`, on a plain thread; fails the test if that thread hangs.
        fn run(&self, module: &Arc<WasmerModule>, limits: ResourceLimits) -> Result<Vec<u8>> {
            self.run_with(module, limits, br#"{"action":"a","params":{}}"#.to_vec())
        }

        fn run_with(
            &self,
            module: &Arc<WasmerModule>,
            limits: ResourceLimits,
            input: Vec<u8>,
        ) -> Result<Vec<u8>> {
            let (module, call, handle) =
                (module.clone(), self.call(limits), self.rt.handle().clone());
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let mut bridge = Bridge::new(handle);
                bridge.begin(call.clone());
                let result = module.instantiate(bridge).and_then(|mut instance| {
                    instance.bridge().end();
                    instance.bridge().begin(call);
                    let out = instance.call(Entry::Execute, &input);
                    instance.bridge().end();
                    out
                });
                let _ = tx.send(result);
            });
            rx.recv_timeout(Duration::from_secs(30))
                .expect("the guest thread is stuck")
        }
    }

    fn limits(max_execution_ms: u64, max_memory_mb: u64) -> ResourceLimits {
        ResourceLimits {
            max_execution_ms,
            max_memory_mb,
            ..ResourceLimits::default()
        }
    }

    /// An ABI-conforming guest (bump allocator; `{"ok":42}` at 16, the
    /// strings `config` at 64 and `{}` at 80) whose `morph_execute` body is
    /// `execute`, plus `extra` module fields.
    fn guest_with(abi: i32, execute: &str, extra: &str) -> Vec<u8> {
        wat::parse_str(format!(
            r#"(module
              (import "morph" "call" (func $call (param i32 i32 i32 i32) (result i32)))
              (import "morph" "response" (func $response (param i32 i32) (result i32)))
              (import "morph" "panic" (func $panic (param i32 i32)))
              (memory (export "memory") 1)
              (global $bump (mut i32) (i32.const 4096))
              (data (i32.const 16) "{{\"ok\":42}}")
              (data (i32.const 64) "config")
              (data (i32.const 80) "{{}}")
              (func (export "morph_abi_version") (result i32) (i32.const {abi}))
              (func $alloc (export "morph_alloc") (param $n i32) (result i32)
                (local $p i32) (local $end i32)
                (local.set $p (global.get $bump))
                (local.set $end (i32.add (local.get $p) (local.get $n)))
                (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
                  (then
                    (if (i32.eq
                          (memory.grow (i32.shr_u
                            (i32.add (i32.sub (local.get $end) (i32.shl (memory.size) (i32.const 16)))
                                     (i32.const 65535))
                            (i32.const 16)))
                          (i32.const -1))
                      (then (return (i32.const 0))))))
                (global.set $bump (local.get $end))
                (local.get $p))
              (func (export "morph_free") (param i32 i32))
              (func (export "morph_execute") (param $ptr i32) (param $len i32) (result i64)
                {execute})
              {extra})"#
        ))
        .unwrap()
    }

    fn guest(execute: &str) -> Vec<u8> {
        guest_with(1, execute, "")
    }

    const OK_42: &str = "(i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 9))";
    const SPIN: &str = "(loop $l (br $l)) unreachable";

    fn compile(engine: &WasmerEngine, wasm: &[u8], limits: &ResourceLimits) -> Arc<WasmerModule> {
        crate::validate::validate(wasm).unwrap();
        engine.compile_module(wasm, limits).unwrap()
    }

    #[test]
    fn a_conforming_module_round_trips() {
        let h = Harness::new();
        let l = limits(5_000, 16);
        let module = compile(&WasmerEngine::new(None), &guest(OK_42), &l);
        assert_eq!(module.cache_outcome(), CacheOutcome::Disabled);
        assert_eq!(h.run(&module, l).unwrap(), br#"{"ok":42}"#);
    }

    #[test]
    fn features_outside_the_shared_set_are_refused() {
        let simd = wat::parse_str(r#"(module (func (drop (v128.const i64x2 0 0))))"#).unwrap();
        let e = WasmerEngine::new(None)
            .compile_module(&simd, &limits(5_000, 16))
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidPackage, "{e}");
    }

    #[test]
    fn an_endless_loop_times_out_at_the_deadline() {
        let h = Harness::new();
        let l = limits(100, 16);
        let module = compile(&WasmerEngine::new(None), &guest(SPIN), &l);
        let started = Instant::now();
        let e = h.run(&module, l).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Timeout, "{e}");
        // The interrupt, not metering (calibrated for ~10x longer), stopped it.
        assert!(
            started.elapsed() < Duration::from_millis(600),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn an_endless_start_function_times_out() {
        let h = Harness::new();
        let l = limits(100, 16);
        let wasm = guest_with(1, OK_42, "(func $spin (loop $l (br $l))) (start $spin)");
        let module = compile(&WasmerEngine::new(None), &wasm, &l);
        let e = h.run(&module, l).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Timeout, "{e}");
    }

    #[test]
    fn metering_stops_a_loop_without_the_interrupt() {
        let h = Harness::new();
        let l = limits(20_000, 16);
        let engine = WasmerEngine::new(None);
        let config = CompileConfig {
            budget: 20_000_000,
            ..CompileConfig::for_limits(&l)
        };
        let module = engine.compile_with(&guest(SPIN), config).unwrap();
        let started = Instant::now();
        let e = h.run(&module, l).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Timeout, "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn unbounded_recursion_is_a_stack_overflow() {
        let h = Harness::new();
        let l = limits(5_000, 16);
        let wasm = guest_with(
            1,
            "(drop (call $rec (i32.const 0))) (i64.const 0)",
            "(func $rec (param i32) (result i32) (i32.add (call $rec (local.get 0)) (i32.const 1)))",
        );
        let module = compile(&WasmerEngine::new(None), &wasm, &l);
        let e = h.run(&module, l).unwrap_err();
        assert_eq!(e.code(), ErrorCode::StackOverflow, "{e}");
    }

    #[test]
    fn growing_past_the_cap_fails_then_ends_with_memory_limit() {
        let h = Harness::new();
        // 1 MiB = 16 pages; the guest starts with 1 and asks for 1000 more.
        let l = limits(5_000, 1);
        let wasm = guest(&format!(
            "(if (i32.eq (memory.grow (i32.const 1000)) (i32.const -1)) (then unreachable)) {OK_42}"
        ));
        let module = compile(&WasmerEngine::new(None), &wasm, &l);
        let e = h.run(&module, l).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MemoryLimit, "{e}");

        // Within the cap the same grow succeeds.
        let l = limits(5_000, 128);
        let module = compile(&WasmerEngine::new(None), &wasm, &l);
        assert_eq!(h.run(&module, l).unwrap(), br#"{"ok":42}"#);
    }

    #[test]
    fn an_input_that_does_not_fit_is_a_memory_limit() {
        let h = Harness::new();
        let l = limits(5_000, 1);
        let module = compile(&WasmerEngine::new(None), &guest(OK_42), &l);
        let input = vec![b' '; 2 << 20];
        let e = h.run_with(&module, l, input).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MemoryLimit, "{e}");
    }

    #[test]
    fn a_minimum_over_the_cap_is_a_memory_limit() {
        let h = Harness::new();
        let l = limits(5_000, 1);
        let big = wat::parse_str(
            r#"(module (memory (export "memory") 17)
                 (func (export "morph_abi_version") (result i32) (i32.const 1))
                 (func (export "morph_alloc") (param i32) (result i32) (i32.const 0))
                 (func (export "morph_free") (param i32 i32))
                 (func (export "morph_execute") (param i32 i32) (result i64) (i64.const 0)))"#,
        )
        .unwrap();
        let module = compile(&WasmerEngine::new(None), &big, &l);
        let e = h.run(&module, l).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MemoryLimit, "{e}");
    }

    #[test]
    fn an_out_of_bounds_result_is_a_guest_crash() {
        let h = Harness::new();
        let l = limits(5_000, 16);
        let wasm =
            guest("(i64.or (i64.shl (i64.const 0xffff0000) (i64.const 32)) (i64.const 100))");
        let module = compile(&WasmerEngine::new(None), &wasm, &l);
        let e = h.run(&module, l).unwrap_err();
        assert_eq!(e.code(), ErrorCode::GuestCrash, "{e}");
    }

    #[test]
    fn a_reported_panic_is_a_guest_crash_with_the_message() {
        let h = Harness::new();
        let l = limits(5_000, 16);
        let module = compile(
            &WasmerEngine::new(None),
            &guest("(call $panic (i32.const 64) (i32.const 6)) unreachable"),
            &l,
        );
        let e = h.run(&module, l).unwrap_err();
        assert_eq!(e.code(), ErrorCode::GuestCrash, "{e}");
        assert!(e.to_string().contains("guest panicked: config"), "{e}");
    }

    #[test]
    fn a_wrong_abi_version_is_an_invalid_package() {
        let h = Harness::new();
        let l = limits(5_000, 16);
        let module = compile(&WasmerEngine::new(None), &guest_with(2, OK_42, ""), &l);
        let e = h.run(&module, l).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidPackage, "{e}");
    }

    #[test]
    fn config_is_fetched_through_the_broker() {
        let h = Harness::new();
        let l = limits(5_000, 16);
        let wasm = guest(
            "(local $n i32) (local $p i32)
             (local.set $n (call $call (i32.const 64) (i32.const 6) (i32.const 80) (i32.const 2)))
             (local.set $p (call $alloc (local.get $n)))
             (if (i32.ne (call $response (local.get $p) (local.get $n)) (i32.const 0)) (then unreachable))
             (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
                     (i64.extend_i32_u (local.get $n)))",
        );
        let module = compile(&WasmerEngine::new(None), &wasm, &l);
        let out = h.run(&module, l).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"ok":{"greeting":"hi"}}"#
        );
    }

    #[test]
    fn a_host_call_with_a_bad_pointer_is_a_guest_crash() {
        let h = Harness::new();
        let l = limits(5_000, 16);
        let wasm = guest(
            "(drop (call $call (i32.const -8) (i32.const 6) (i32.const 80) (i32.const 2))) (i64.const 0)",
        );
        let module = compile(&WasmerEngine::new(None), &wasm, &l);
        let e = h.run(&module, l).unwrap_err();
        assert_eq!(e.code(), ErrorCode::GuestCrash, "{e}");
        assert!(e.to_string().contains("out-of-bounds"), "{e}");
    }

    fn cache_entry(dir: &std::path::Path) -> PathBuf {
        let entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "bin"))
            .collect();
        assert_eq!(entries.len(), 1, "{entries:?}");
        entries.into_iter().next().unwrap()
    }

    #[test]
    fn cached_modules_load_and_keep_their_metering() {
        let h = Harness::new();
        let dir = tempfile::tempdir().unwrap();
        let engine = WasmerEngine::new(Some(dir.path().to_owned()));
        let l = limits(20_000, 16);
        let config = CompileConfig {
            budget: 20_000_000,
            ..CompileConfig::for_limits(&l)
        };
        let wasm = guest(SPIN);
        crate::validate::validate(&wasm).unwrap();
        let first = engine.compile_with(&wasm, config).unwrap();
        assert_eq!(first.cache_outcome(), CacheOutcome::Miss);
        let second = engine.compile_with(&wasm, config).unwrap();
        assert_eq!(second.cache_outcome(), CacheOutcome::Hit);

        // Metering alone (the deadline is 20 s away) stops the cached module.
        let started = Instant::now();
        let e = h.run(&second, l).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Timeout, "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );

        // Another budget is another entry.
        let other = CompileConfig {
            budget: 30_000_000,
            ..config
        };
        assert_eq!(
            engine.compile_with(&wasm, other).unwrap().cache_outcome(),
            CacheOutcome::Miss
        );

        // And a working module still works from the cache.
        let ok = guest(OK_42);
        let l = limits(5_000, 16);
        assert_eq!(
            engine.compile_module(&ok, &l).unwrap().cache_outcome(),
            CacheOutcome::Miss
        );
        let cached = engine.compile_module(&ok, &l).unwrap();
        assert_eq!(cached.cache_outcome(), CacheOutcome::Hit);
        assert_eq!(h.run(&cached, l).unwrap(), br#"{"ok":42}"#);
    }

    #[test]
    fn a_corrupted_cache_entry_is_recompiled_not_deserialized() {
        let h = Harness::new();
        let dir = tempfile::tempdir().unwrap();
        let engine = WasmerEngine::new(Some(dir.path().to_owned()));
        let l = limits(5_000, 16);
        let wasm = guest(OK_42);
        assert_eq!(
            engine.compile_module(&wasm, &l).unwrap().cache_outcome(),
            CacheOutcome::Miss
        );

        // Flip one byte inside the artifact (one the deserializer would
        // happily load as different code).
        let path = cache_entry(dir.path());
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();

        let module = engine.compile_module(&wasm, &l).unwrap();
        assert_eq!(module.cache_outcome(), CacheOutcome::Rejected);
        assert_eq!(h.run(&module, l).unwrap(), br#"{"ok":42}"#);
        // The entry was rewritten and is intact again.
        assert_ne!(std::fs::read(&path).unwrap(), bytes);
        assert_eq!(
            engine.compile_module(&wasm, &l).unwrap().cache_outcome(),
            CacheOutcome::Hit
        );
    }

    /// Measures metering points burnt per millisecond (see `POINTS_PER_MS`):
    /// `cargo test -p morph-runtime-wasm --no-default-features --features
    /// wasmer --lib calibrate -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn calibrate_points_per_ms() {
        let h = Harness::new();
        let l = limits(60_000, 16);
        let engine = WasmerEngine::new(None);
        let budget = 2_000_000_000;
        let chain = "(local.set $x (i32.add (i32.mul (local.get $x) (i32.const 3)) (i32.const 7)))"
            .repeat(8);
        let independent = "(local.set $a (i32.add (local.get $a) (local.get $d))) (local.set $b (i32.xor (local.get $b) (local.get $a))) (local.set $c (i32.sub (local.get $c) (i32.shr_u (local.get $b) (i32.const 3)))) (local.set $d (i32.or (local.get $d) (local.get $c)))".repeat(4);
        let memory = "(local.set $i (i32.and (i32.add (local.get $i) (i32.const 4)) (i32.const 4092))) (i32.store offset=8192 (local.get $i) (i32.add (i32.load offset=4096 (local.get $i)) (local.get $i)))".repeat(4);
        let calls = "(drop (call $id (i32.const 1)))".repeat(8);
        let workloads = [
            ("tight loop", SPIN.to_owned()),
            (
                "dependent arithmetic",
                format!("(local $x i32) (loop $l {chain} (br $l)) unreachable"),
            ),
            (
                "independent arithmetic",
                format!(
                    "(local $a i32) (local $b i32) (local $c i32) (local $d i32) (loop $l {independent} (br $l)) unreachable"
                ),
            ),
            (
                "loads and stores",
                format!("(local $i i32) (loop $l {memory} (br $l)) unreachable"),
            ),
            ("calls", format!("(loop $l {calls} (br $l)) unreachable")),
        ];
        for (name, body) in workloads {
            let wasm = guest_with(
                1,
                &body,
                "(func $id (param i32) (result i32) (local.get 0))",
            );
            let config = CompileConfig {
                budget,
                ..CompileConfig::for_limits(&l)
            };
            let module = engine.compile_with(&wasm, config).unwrap();
            let started = Instant::now();
            let e = h.run(&module, l).unwrap_err();
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(e.code(), ErrorCode::Timeout);
            println!(
                "{name:>24}: {:>6.2} M points/ms ({ms:.0} ms)",
                budget as f64 / ms / 1e6
            );
        }
    }
}
