//! The wasmi adapter: the guest ABI on the wasmi 2 interpreter (no JIT, so it
//! runs where JIT is forbidden).
//!
//! It compiles modules eagerly (translation is never charged to a guest call),
//! builds one store per instance with [`StoreLimits`] for the memory cap, links
//! the three `morph` imports to the [`Bridge`] and runs **every guest function
//! (start, `morph_abi_version`, `morph_alloc`, the entry point, `morph_free`)
//! in fuel slices of [`FUEL_SLICE`], checking the deadline between slices**.
//! Guest memory is re-read after every guest call and host call; every range
//! goes through [`bridge::guest_range`]. No wasmi type leaves this file.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use morph_capabilities::{Error, LimitKind, ResourceLimits, Result};
use wasmi::errors::{ErrorKind, HostError, InstantiationError};
use wasmi::{
    Caller, CompilationMode, Config, Extern, Linker, Memory, Module, ResourceLimiter, Store,
    StoreLimits, StoreLimitsBuilder, TrapCode, TypedFunc, TypedResumableCall, WasmParams,
    WasmResults,
};

use crate::bridge::{self, ABI_VERSION, Bridge, MAX_PANIC_MESSAGE, TrapKind};
use crate::engine::{CompiledModule, Engine, Entry, Instance};

/// The wasmi version this adapter is built and tested against.
pub const WASMI_VERSION: &str = "2.0.0";

/// Fuel handed to a guest per slice; the deadline is checked between slices.
/// A slice of a tight loop takes about 1.2 ms in a release build (measured:
/// ~850,000 fuel per ms), which bounds how far a guest runs past its
/// deadline; an unoptimised build is about 200 times slower.
pub const FUEL_SLICE: u64 = 1_000_000;

/// Fuel per millisecond of remaining time given to a start function, which
/// wasmi runs without the ability to pause it. Deliberately far below
/// wasmi's speed (see [`FUEL_SLICE`]) so that a looping start function ends
/// with `timeout` before its deadline even on slow devices; the price is that
/// a start function gets only a fraction of the call's time (600 million
/// fuel under the default 30 s), far more than any real one needs.
const START_FUEL_PER_MS: u64 = 20_000;

/// Most nested guest calls (`stack_overflow` past it).
const MAX_RECURSION_DEPTH: usize = 16_384;

/// Largest interpreter value stack, in bytes (`stack_overflow` past it).
const MAX_VALUE_STACK_BYTES: usize = 8 * 1024 * 1024;

/// Most elements of one table (host memory not counted in `max_memory_mb`).
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Most tables of one instance (reference types allow several).
const MAX_TABLES: usize = 16;

/// The wasmi engine: one interpreter configured with Morph's feature set and
/// fuel metering, shared by every module it compiles.
#[derive(Debug, Clone)]
pub struct WasmiEngine {
    engine: wasmi::Engine,
}

impl WasmiEngine {
    /// An engine with Morph's feature set (ABI.md, "Feature set"), fuel
    /// metering, eager compilation and bounded stacks.
    pub fn new() -> WasmiEngine {
        let mut config = Config::default();
        config
            .consume_fuel(true)
            .compilation_mode(CompilationMode::Eager)
            .set_max_recursion_depth(MAX_RECURSION_DEPTH)
            .set_max_stack_height(MAX_VALUE_STACK_BYTES)
            // Exactly `crate::validate::features()`: modules were validated
            // against it already; wasmi refuses anything else again.
            .wasm_mutable_global(true)
            .wasm_saturating_float_to_int(true)
            .wasm_sign_extension(true)
            .wasm_multi_value(true)
            .wasm_bulk_memory(true)
            .wasm_reference_types(true)
            .floats(true)
            .wasm_multi_memory(false)
            .wasm_tail_call(false)
            .wasm_extended_const(false)
            .wasm_custom_page_sizes(false)
            .wasm_memory64(false)
            .wasm_wide_arithmetic(false);
        // SIMD is off unless wasmi's `simd` crate feature is on (it is not);
        // `crate::validate` refuses SIMD modules either way.
        WasmiEngine {
            engine: wasmi::Engine::new(&config),
        }
    }
}

impl Default for WasmiEngine {
    fn default() -> Self {
        WasmiEngine::new()
    }
}

impl Engine for WasmiEngine {
    fn name(&self) -> &'static str {
        "wasmi"
    }

    fn version(&self) -> &'static str {
        WASMI_VERSION
    }

    fn compile(&self, wasm: &[u8], limits: &ResourceLimits) -> Result<Arc<dyn CompiledModule>> {
        let module = Module::new(&self.engine, wasm).map_err(|e| Error::InvalidPackage {
            reason: format!("wasmi refused the module: {e}"),
        })?;
        Ok(Arc::new(WasmiModule {
            linker: morph_linker(&self.engine)?,
            module,
            limits: *limits,
        }))
    }
}

/// A module compiled by wasmi (kept in memory: wasmi has no artifact to cache
/// on disk) with the limits of its extension.
pub struct WasmiModule {
    module: Module,
    linker: Linker<StoreData>,
    limits: ResourceLimits,
}

impl fmt::Debug for WasmiModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmiModule")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl CompiledModule for WasmiModule {
    fn instantiate(&self, bridge: Bridge) -> Result<Box<dyn Instance>> {
        let memory_cap = usize::try_from(self.limits.memory_bytes()).unwrap_or(usize::MAX);
        let store_limits = StoreLimitsBuilder::new()
            .memory_size(memory_cap)
            .table_elements(MAX_TABLE_ELEMENTS)
            .instances(1)
            .tables(MAX_TABLES)
            .memories(1)
            // A refused grow traps (`GrowthOperationLimited`, mapped to
            // `memory_limit`) rather than returning -1: observing a refusal
            // needs a custom `ResourceLimiter`, whose `LimiterError` wasmi
            // does not re-export (it lives in `wasmi_core`).
            .trap_on_grow_failure(true)
            .build();
        let mut store = Store::new(
            self.module.engine(),
            StoreData {
                bridge,
                limits: store_limits,
            },
        );
        store.limiter(|data| -> &mut dyn ResourceLimiter { &mut data.limits });
        let budget = self.limits.execution_time();

        // wasmi runs a start function without pausing it: give it the fuel
        // its remaining time is worth, and map running out to `timeout`.
        let deadline = deadline(&store, budget);
        set_fuel(&mut store, start_fuel(deadline))?;
        let instance = self
            .linker
            .instantiate_and_start(&mut store, &self.module)
            .map_err(|e| instantiation_error(&mut store, &e))?;
        if Instant::now() >= deadline {
            return Err(store.data_mut().bridge.trap_error(
                TrapKind::OutOfTime,
                "the start function ran past the deadline",
            ));
        }

        let missing = |name: &str, e: wasmi::Error| Error::InvalidPackage {
            reason: format!("export `{name}` is missing or has the wrong type: {e}"),
        };
        let memory =
            instance
                .get_memory(&store, "memory")
                .ok_or_else(|| Error::InvalidPackage {
                    reason: "the module does not export its memory as `memory`".into(),
                })?;
        let version = instance
            .get_typed_func::<(), i32>(&store, "morph_abi_version")
            .map_err(|e| missing("morph_abi_version", e))?;
        let alloc = instance
            .get_typed_func::<i32, i32>(&store, "morph_alloc")
            .map_err(|e| missing("morph_alloc", e))?;
        let free = instance
            .get_typed_func::<(i32, i32), ()>(&store, "morph_free")
            .map_err(|e| missing("morph_free", e))?;
        let entry = |name: &str| instance.get_typed_func::<(i32, i32), i64>(&store, name);
        let execute = entry("morph_execute").map_err(|e| missing("morph_execute", e))?;
        let init = optional_entry(&instance, &store, "morph_init")?;
        let on_event = optional_entry(&instance, &store, "morph_on_event")?;

        let found = run(&mut store, &version, (), budget)?;
        if found != ABI_VERSION {
            return Err(Error::InvalidPackage {
                reason: format!(
                    "morph_abi_version returned {found}; this host supports version {ABI_VERSION}"
                ),
            });
        }
        Ok(Box::new(WasmiInstance {
            store,
            memory,
            alloc,
            free,
            execute,
            init,
            on_event,
            budget,
        }))
    }
}

/// What a store holds besides wasmi's own state.
struct StoreData {
    bridge: Bridge,
    limits: StoreLimits,
}

type EntryFunc = TypedFunc<(i32, i32), i64>;

/// A live wasmi instance with its store.
struct WasmiInstance {
    store: Store<StoreData>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    free: TypedFunc<(i32, i32), ()>,
    execute: EntryFunc,
    init: Option<EntryFunc>,
    on_event: Option<EntryFunc>,
    /// The time guest code may run when no call (and so no deadline) is set.
    budget: Duration,
}

impl WasmiInstance {
    fn entry(&self, entry: Entry) -> Option<EntryFunc> {
        match entry {
            Entry::Execute => Some(self.execute),
            Entry::Init => self.init,
            Entry::OnEvent => self.on_event,
        }
    }
}

impl Instance for WasmiInstance {
    fn has_entry(&self, entry: Entry) -> bool {
        self.entry(entry).is_some()
    }

    fn call(&mut self, entry: Entry, input: &[u8]) -> Result<Vec<u8>> {
        let func = self.entry(entry).ok_or_else(|| {
            Error::internal(format!("the module does not export `{}`", entry.export()))
        })?;
        let len = i32::try_from(input.len()).map_err(|_| {
            Error::limit(LimitKind::Memory, "the input does not fit in guest memory")
        })?;
        let (alloc, free, budget) = (self.alloc, self.free, self.budget);

        let ptr = run(&mut self.store, &alloc, len, budget)?;
        if ptr == 0 {
            return Err(self.bridge().trap_error(
                TrapKind::Other,
                "morph_alloc returned 0 (allocation failed)",
            ));
        }
        // The memory may have grown in `morph_alloc`: slice it afresh.
        let data = self.memory.data_mut(&mut self.store);
        let range = bridge::guest_range(ptr, len, data.len())?;
        data.get_mut(range)
            .ok_or_else(|| out_of_bounds(ptr, len))?
            .copy_from_slice(input);

        let packed = run(&mut self.store, &func, (ptr, len), budget)?;
        let (out_ptr, out_len) = bridge::unpack(packed);
        bridge::check_result_len(out_len, self.store.data().bridge.output_left())?;
        let data = self.memory.data(&self.store);
        let range = bridge::guest_range(out_ptr, out_len, data.len())?;
        let result = data
            .get(range)
            .ok_or_else(|| out_of_bounds(out_ptr, out_len))?
            .to_vec();

        run(&mut self.store, &free, (out_ptr, out_len), budget)?;
        Ok(result)
    }

    fn bridge(&mut self) -> &mut Bridge {
        &mut self.store.data_mut().bridge
    }
}

fn optional_entry(
    instance: &wasmi::Instance,
    store: &Store<StoreData>,
    name: &str,
) -> Result<Option<EntryFunc>> {
    if instance.get_export(store, name).is_none() {
        return Ok(None);
    }
    instance
        .get_typed_func(store, name)
        .map(Some)
        .map_err(|e| Error::InvalidPackage {
            reason: format!("export `{name}` has the wrong type: {e}"),
        })
}

/// Runs `func` in fuel slices until it returns, traps, or the deadline
/// passes between two slices.
fn run<P: WasmParams, R: WasmResults>(
    store: &mut Store<StoreData>,
    func: &TypedFunc<P, R>,
    params: P,
    budget: Duration,
) -> Result<R> {
    let deadline = deadline(store, budget);
    set_fuel(store, FUEL_SLICE)?;
    let mut step = func.call_resumable(&mut *store, params);
    loop {
        match step {
            Ok(TypedResumableCall::Finished(results)) => return Ok(results),
            Ok(TypedResumableCall::OutOfFuel(paused)) => {
                if Instant::now() >= deadline {
                    return Err(store
                        .data_mut()
                        .bridge
                        .trap_error(TrapKind::OutOfTime, "the deadline passed"));
                }
                // One operation (a large `memory.fill`) may need more than a slice.
                set_fuel(store, paused.required_fuel().max(FUEL_SLICE))?;
                step = paused.resume(&mut *store);
            }
            Ok(TypedResumableCall::HostTrap(paused)) => {
                // Only our imports raise host errors, and they never resume.
                let detail = paused.host_error().to_string();
                drop(paused);
                return Err(store.data_mut().bridge.trap_error(TrapKind::Host, &detail));
            }
            Err(e) => return Err(trap_error(store, &e)),
        }
    }
}

/// The running call's deadline, or `budget` from now outside a call.
fn deadline(store: &Store<StoreData>, budget: Duration) -> Instant {
    store
        .data()
        .bridge
        .deadline()
        .unwrap_or_else(|| Instant::now() + budget)
}

fn start_fuel(deadline: Instant) -> u64 {
    let ms = deadline
        .saturating_duration_since(Instant::now())
        .as_millis();
    u64::try_from(ms)
        .unwrap_or(u64::MAX)
        .saturating_mul(START_FUEL_PER_MS)
        .max(FUEL_SLICE)
}

fn set_fuel(store: &mut Store<StoreData>, fuel: u64) -> Result<()> {
    store
        .set_fuel(fuel)
        .map_err(|e| Error::internal(format!("setting wasmi fuel: {e}")))
}

/// Maps a wasmi error that ended a guest function to the Morph error.
fn trap_error(store: &mut Store<StoreData>, e: &wasmi::Error) -> Error {
    let bridge = &mut store.data_mut().bridge;
    let kind = match e.as_trap_code() {
        Some(TrapCode::StackOverflow) => TrapKind::StackOverflow,
        Some(TrapCode::OutOfFuel) => TrapKind::OutOfTime,
        Some(TrapCode::GrowthOperationLimited) => {
            bridge.note_memory_denied();
            TrapKind::Other
        }
        Some(_) => TrapKind::Other,
        None if e.downcast_ref::<ImportTrap>().is_some() => TrapKind::Host,
        None => match e.kind() {
            ErrorKind::Memory(_) | ErrorKind::Table(_) => {
                bridge.note_memory_denied();
                TrapKind::Other
            }
            _ => TrapKind::Other,
        },
    };
    bridge.trap_error(kind, &e.to_string())
}

/// Maps an instantiation failure: link errors are the package's fault, the
/// rest (initial memory past the cap, a trapping start function) are limits
/// or crashes.
fn instantiation_error(store: &mut Store<StoreData>, e: &wasmi::Error) -> Error {
    match e.kind() {
        ErrorKind::Instantiation(
            InstantiationError::FailedToInstantiateMemory(_)
            | InstantiationError::FailedToInstantiateTable(_),
        ) => {
            store.data_mut().bridge.note_memory_denied();
            store
                .data_mut()
                .bridge
                .trap_error(TrapKind::Other, &e.to_string())
        }
        // An element segment out of its table traps, as in the spec.
        ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit { .. }) => {
            trap_error(store, e)
        }
        ErrorKind::Linker(_) | ErrorKind::Instantiation(_) => Error::InvalidPackage {
            reason: format!("the module cannot be instantiated: {e}"),
        },
        _ => trap_error(store, e),
    }
}

fn out_of_bounds(ptr: i32, len: i32) -> Error {
    Error::GuestCrash {
        reason: format!("guest passed an out-of-bounds buffer (ptr {ptr}, len {len})"),
    }
}

/// The host error our imports trap with; the real Morph error is already in
/// the bridge (`Bridge::raise`).
#[derive(Debug)]
struct ImportTrap(String);

impl fmt::Display for ImportTrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl HostError for ImportTrap {}

fn import_trap(error: &Error) -> wasmi::Error {
    wasmi::Error::host(ImportTrap(error.to_string()))
}

/// Remembers `error` in the bridge and returns the trap that ends the guest.
fn raise(bridge: &mut Bridge, error: Error) -> wasmi::Error {
    import_trap(&bridge.raise(error))
}

/// The three `morph` imports (ABI.md, "Host imports").
fn morph_linker(engine: &wasmi::Engine) -> Result<Linker<StoreData>> {
    let mut linker = Linker::new(engine);
    let link_error =
        |e: wasmi::errors::LinkerError| Error::internal(format!("linking morph imports: {e}"));
    linker
        .func_wrap("morph", "call", morph_call)
        .map_err(link_error)?;
    linker
        .func_wrap("morph", "response", morph_response)
        .map_err(link_error)?;
    linker
        .func_wrap("morph", "panic", morph_panic)
        .map_err(link_error)?;
    Ok(linker)
}

fn guest_memory(caller: &Caller<'_, StoreData>) -> Option<Memory> {
    caller.get_export("memory").and_then(Extern::into_memory)
}

fn no_memory() -> Error {
    Error::GuestCrash {
        reason: "the guest has no memory export".into(),
    }
}

fn guest_slice(data: &[u8], ptr: i32, len: i32) -> Result<&[u8]> {
    let range = bridge::guest_range(ptr, len, data.len())?;
    data.get(range).ok_or_else(|| out_of_bounds(ptr, len))
}

/// `morph.call(cap_ptr, cap_len, req_ptr, req_len) -> i32`.
fn morph_call(
    mut caller: Caller<'_, StoreData>,
    cap_ptr: i32,
    cap_len: i32,
    req_ptr: i32,
    req_len: i32,
) -> std::result::Result<i32, wasmi::Error> {
    if let Err(e) = bridge::check_call_sizes(cap_len, req_len) {
        return Err(raise(&mut caller.data_mut().bridge, e));
    }
    let Some(memory) = guest_memory(&caller) else {
        return Err(raise(&mut caller.data_mut().bridge, no_memory()));
    };
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let data: &[u8] = data;
    let (capability, request) = match (
        guest_slice(data, cap_ptr, cap_len),
        guest_slice(data, req_ptr, req_len),
    ) {
        (Ok(capability), Ok(request)) => (capability, request),
        (Err(e), _) | (_, Err(e)) => return Err(raise(&mut state.bridge, e)),
    };
    // On error the bridge has already remembered the real error.
    state
        .bridge
        .host_call(capability, request)
        .map_err(|e| import_trap(&e))
}

/// `morph.response(ptr, len) -> i32`: `0`, or `-1` when nothing is pending or
/// `len` differs.
fn morph_response(
    mut caller: Caller<'_, StoreData>,
    ptr: i32,
    len: i32,
) -> std::result::Result<i32, wasmi::Error> {
    let Some(response) = caller.data_mut().bridge.take_response(len as u32) else {
        return Ok(-1);
    };
    let Some(memory) = guest_memory(&caller) else {
        return Err(raise(&mut caller.data_mut().bridge, no_memory()));
    };
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let target = bridge::guest_range(ptr, len, data.len())
        .and_then(|range| data.get_mut(range).ok_or_else(|| out_of_bounds(ptr, len)));
    match target {
        Ok(target) if target.len() == response.len() => {
            target.copy_from_slice(&response);
            Ok(0)
        }
        Ok(_) => Err(raise(
            &mut state.bridge,
            Error::internal("a response changed length while being copied"),
        )),
        Err(e) => Err(raise(&mut state.bridge, e)),
    }
}

/// `morph.panic(ptr, len)`: keeps the first [`MAX_PANIC_MESSAGE`] bytes.
fn morph_panic(
    mut caller: Caller<'_, StoreData>,
    ptr: i32,
    len: i32,
) -> std::result::Result<(), wasmi::Error> {
    // `MAX_PANIC_MESSAGE` fits an i32, so the capped length is non-negative.
    let len = (len as u32).min(MAX_PANIC_MESSAGE) as i32;
    let Some(memory) = guest_memory(&caller) else {
        return Err(raise(&mut caller.data_mut().bridge, no_memory()));
    };
    let (data, state) = memory.data_and_store_mut(&mut caller);
    match guest_slice(data, ptr, len) {
        Ok(message) => {
            state.bridge.record_panic(message);
            Ok(())
        }
        Err(e) => Err(raise(&mut state.bridge, e)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use morph_capabilities::audit::MemoryAuditSink;
    use morph_capabilities::{
        Call, CallContext, CallKind, CapabilityBroker, ErrorCode, ExtensionIdentity, Grants,
        PermissionSet, Providers, ResourceLimits, Result,
    };
    use serde_json::json;

    use super::WasmiEngine;
    use crate::bridge::Bridge;
    use crate::engine::{CompiledModule, Engine, Entry};

    /// A broker over real providers in a temporary directory, and the tokio
    /// runtime its host calls run on (the guest runs on a plain thread).
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
            let providers = {
                let _guard = rt.enter();
                Providers::open(dir.path()).unwrap()
            };
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

        /// A call starting now (its deadline is `limits.max_execution_ms` away).
        fn call(&self, limits: ResourceLimits) -> Call {
            let ext = Arc::new(ExtensionIdentity {
                id: "wasmi-test".into(),
                version: "1.0.0".into(),
                runtime: "wasm".into(),
                manifest_digest: "0".repeat(64),
            });
            let grants = Arc::new(Grants {
                permissions: PermissionSet::default(),
                allowed_hosts: Vec::new(),
                limits,
            });
            let ctx = CallContext::new(
                ext,
                grants,
                Arc::new(json!({"greeting": "hi"})),
                CallKind::Execute,
                "test_action",
            );
            Call::new(self.broker.clone(), Arc::new(ctx))
        }

        /// Runs `f` on a plain thread (host calls block on the runtime).
        fn on_guest_thread<T: Send>(&self, f: impl FnOnce(Bridge) -> T + Send) -> T {
            let bridge = Bridge::new(self.rt.handle().clone());
            std::thread::scope(|s| s.spawn(move || f(bridge)).join().unwrap())
        }

        /// Instantiates `wat`, then calls `morph_execute` once per input.
        fn run(&self, wat: &str, limits: ResourceLimits, inputs: &[&[u8]]) -> Result<Vec<Vec<u8>>> {
            let module = compile(wat, limits);
            self.on_guest_thread(|bridge| {
                let mut instance = module.instantiate(bridge)?;
                let mut outputs = Vec::new();
                for input in inputs {
                    instance.bridge().begin(self.call(limits));
                    let out = instance.call(Entry::Execute, input);
                    instance.bridge().end();
                    outputs.push(out?);
                }
                Ok(outputs)
            })
        }

        fn run_once(&self, wat: &str, limits: ResourceLimits) -> Result<Vec<u8>> {
            self.run(wat, limits, &[br#"{"action":"a","params":{}}"#])
                .map(|mut outputs| outputs.remove(0))
        }
    }

    fn limits(max_execution_ms: u64, max_memory_mb: u64) -> ResourceLimits {
        ResourceLimits {
            max_execution_ms,
            max_memory_mb,
            ..ResourceLimits::default()
        }
    }

    fn compile(wat: &str, limits: ResourceLimits) -> Arc<dyn CompiledModule> {
        let wasm = wat::parse_str(wat).unwrap();
        crate::validate::validate(&wasm).expect("the fixture follows the ABI");
        WasmiEngine::new().compile(&wasm, &limits).unwrap()
    }

    /// An ABI-conforming guest: a bump allocator (growing memory when
    /// needed, `0` when it cannot), a no-op free, `$pack`, some strings in
    /// data segments, and `morph_execute` running `body`.
    fn guest_module(version: i32, pages: u32, body: &str, extra: &str) -> String {
        format!(
            r#"(module
  (import "morph" "call" (func $call (param i32 i32 i32 i32) (result i32)))
  (import "morph" "response" (func $response (param i32 i32) (result i32)))
  (import "morph" "panic" (func $panic (param i32 i32)))
  (memory (export "memory") {pages})
  (global $bump (mut i32) (i32.const 4096))
  (data (i32.const 16) "{{\"ok\":42}}")
  (data (i32.const 64) "config")
  (data (i32.const 80) "{{}}")
  (data (i32.const 96) "boom")
  (func (export "morph_abi_version") (result i32) (i32.const {version}))
  (func $alloc (export "morph_alloc") (param $size i32) (result i32)
    (local $p i32) (local $end i32) (local $have i32)
    (local.set $p (global.get $bump))
    (local.set $end (i32.add (local.get $p) (local.get $size)))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow (i32.add
                (i32.shr_u (i32.sub (local.get $end) (local.get $have)) (i32.const 16))
                (i32.const 1)))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $bump (local.get $end))
    (local.get $p))
  (func (export "morph_free") (param i32 i32))
  (func $pack (param $ptr i32) (param $len i32) (result i64)
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
      (i64.extend_i32_u (local.get $len))))
  (func (export "morph_execute") (param $ptr i32) (param $len i32) (result i64)
    {body})
  {extra}
)"#
        )
    }

    fn guest(body: &str) -> String {
        guest_module(1, 1, body, "")
    }

    fn code(result: Result<impl std::fmt::Debug>) -> ErrorCode {
        result.unwrap_err().code()
    }

    #[test]
    fn a_minimal_guest_round_trips_its_result() {
        let h = Harness::new();
        let out = h
            .run_once(
                &guest("(call $pack (i32.const 16) (i32.const 9))"),
                limits(5_000, 16),
            )
            .unwrap();
        assert_eq!(out, br#"{"ok":42}"#);
    }

    #[test]
    fn the_input_reaches_the_guest_and_an_instance_serves_several_calls() {
        let h = Harness::new();
        let echo = guest("(call $pack (local.get $ptr) (local.get $len))");
        // The second input is larger than the first page: `morph_alloc` grows
        // memory, and the host must write into the grown memory.
        let big = format!(
            r#"{{"action":"a","params":{{"x":"{}"}}}}"#,
            "y".repeat(100_000)
        );
        let inputs: [&[u8]; 2] = [br#"{"action":"a"}"#, big.as_bytes()];
        let outputs = h.run(&echo, limits(5_000, 16), &inputs).unwrap();
        assert_eq!(outputs[0], inputs[0]);
        assert_eq!(outputs[1], inputs[1]);
    }

    #[test]
    fn a_guest_looping_forever_times_out_near_its_deadline() {
        let h = Harness::new();
        let started = Instant::now();
        let result = h.run_once(&guest("(loop $l (br $l)) (unreachable)"), limits(100, 16));
        assert_eq!(code(result), ErrorCode::Timeout);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_start_function_runs_under_the_deadline() {
        let h = Harness::new();
        let wat = guest_module(
            1,
            1,
            "(i64.const 0)",
            "(func $spin (loop $l (br $l))) (start $spin)",
        );
        let module = compile(&wat, limits(100, 16));
        let started = Instant::now();
        let result = h.on_guest_thread(|mut bridge| {
            bridge.begin(h.call(limits(100, 16)));
            module.instantiate(bridge).map(|_| ())
        });
        assert_eq!(code(result), ErrorCode::Timeout);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn unbounded_recursion_is_a_stack_overflow() {
        let h = Harness::new();
        let wat = guest_module(
            1,
            1,
            "(i64.extend_i32_u (call $rec (i32.const 0)))",
            "(func $rec (param i32) (result i32) (call $rec (i32.add (local.get 0) (i32.const 1))))",
        );
        assert_eq!(
            code(h.run_once(&wat, limits(10_000, 16))),
            ErrorCode::StackOverflow
        );
    }

    #[test]
    fn growing_memory_past_the_cap_is_a_memory_limit() {
        let h = Harness::new();
        // 1 MiB is 16 pages: growing by 4 fits, growing by 100 does not.
        let wat = guest(
            "(if (i32.eq (memory.grow (i32.const 4)) (i32.const -1)) (then unreachable))
             (if (i32.eq (memory.grow (i32.const 100)) (i32.const -1)) (then unreachable))
             (call $pack (i32.const 16) (i32.const 9))",
        );
        assert_eq!(
            code(h.run_once(&wat, limits(5_000, 1))),
            ErrorCode::MemoryLimit
        );
        let fits = guest(
            "(if (i32.eq (memory.grow (i32.const 4)) (i32.const -1)) (then unreachable))
             (call $pack (i32.const 16) (i32.const 9))",
        );
        assert_eq!(
            h.run_once(&fits, limits(5_000, 1)).unwrap(),
            br#"{"ok":42}"#
        );
    }

    #[test]
    fn an_initial_memory_past_the_cap_is_a_memory_limit() {
        let h = Harness::new();
        let module = compile(&guest_module(1, 32, "(i64.const 0)", ""), limits(5_000, 1));
        let result = h.on_guest_thread(|bridge| module.instantiate(bridge).map(|_| ()));
        let err = result.unwrap_err();
        assert_eq!(err.code(), ErrorCode::MemoryLimit, "{err}");
    }

    #[test]
    fn an_out_of_bounds_result_is_a_guest_crash() {
        let h = Harness::new();
        for body in [
            "(call $pack (i32.const 0xffff0000) (i32.const 16))",
            "(call $pack (i32.const 16) (i32.const 70000))",
            "(call $pack (i32.const 0xffffffff) (i32.const 16))",
        ] {
            assert_eq!(
                code(h.run_once(&guest(body), limits(5_000, 16))),
                ErrorCode::GuestCrash,
                "{body}"
            );
        }
    }

    #[test]
    fn a_result_past_the_output_budget_is_output_too_large() {
        let h = Harness::new();
        let tiny = ResourceLimits {
            max_output_kb: 1,
            ..limits(5_000, 16)
        };
        let wat = guest("(call $pack (i32.const 0) (i32.const 4096))");
        assert_eq!(code(h.run_once(&wat, tiny)), ErrorCode::OutputTooLarge);
    }

    #[test]
    fn a_capability_call_returns_the_config_through_the_broker() {
        let h = Harness::new();
        let wat = guest(
            "(local $n i32) (local $buf i32)
             (local.set $n (call $call (i32.const 64) (i32.const 6) (i32.const 80) (i32.const 2)))
             (local.set $buf (call $alloc (local.get $n)))
             ;; a wrong length is refused and leaves the response pending
             (if (i32.ne (call $response (local.get $buf) (i32.add (local.get $n) (i32.const 1)))
                         (i32.const -1))
               (then unreachable))
             (if (i32.ne (call $response (local.get $buf) (local.get $n)) (i32.const 0))
               (then unreachable))
             ;; nothing is pending any more
             (if (i32.ne (call $response (local.get $buf) (local.get $n)) (i32.const -1))
               (then unreachable))
             (call $pack (local.get $buf) (local.get $n))",
        );
        let out = h.run_once(&wat, limits(5_000, 16)).unwrap();
        let envelope: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(envelope, json!({"ok": {"greeting": "hi"}}));
    }

    #[test]
    fn a_capability_call_with_a_bad_buffer_is_a_guest_crash() {
        let h = Harness::new();
        for args in [
            "(i32.const 0xffffff00) (i32.const 6) (i32.const 80) (i32.const 2)",
            "(i32.const 64) (i32.const 6) (i32.const 65530) (i32.const 100)",
            "(i32.const 64) (i32.const 65) (i32.const 80) (i32.const 2)",
            "(i32.const 64) (i32.const -1) (i32.const 80) (i32.const 2)",
        ] {
            let wat = guest(&format!("(drop (call $call {args})) (i64.const 0)"));
            let err = h.run_once(&wat, limits(5_000, 16)).unwrap_err();
            assert_eq!(err.code(), ErrorCode::GuestCrash, "{args}: {err}");
        }
    }

    #[test]
    fn a_reported_panic_is_a_guest_crash_with_its_message() {
        let h = Harness::new();
        let wat = guest("(call $panic (i32.const 96) (i32.const 4)) (unreachable)");
        let err = h.run_once(&wat, limits(5_000, 16)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::GuestCrash);
        assert!(err.to_string().contains("boom"), "{err}");
    }

    #[test]
    fn an_unsupported_abi_version_is_an_invalid_package() {
        let h = Harness::new();
        let module = compile(&guest_module(2, 1, "(i64.const 0)", ""), limits(5_000, 16));
        let result = h.on_guest_thread(|bridge| module.instantiate(bridge).map(|_| ()));
        assert_eq!(code(result), ErrorCode::InvalidPackage);
    }

    #[test]
    fn entries_are_reported_by_export() {
        let h = Harness::new();
        let wat = guest_module(
            1,
            1,
            "(i64.const 0)",
            r#"(func (export "morph_init") (param i32 i32) (result i64) (i64.const 0))"#,
        );
        let module = compile(&wat, limits(5_000, 16));
        h.on_guest_thread(|bridge| {
            let instance = module
                .instantiate(bridge)
                .map_err(|e| e.to_string())
                .unwrap();
            assert!(instance.has_entry(Entry::Execute));
            assert!(instance.has_entry(Entry::Init));
            assert!(!instance.has_entry(Entry::OnEvent));
        });
    }
}
