//! The wasmer 7 (Cranelift JIT) engine adapter: the engine and module
//! compilation.
//!
//! The adapter compiles validated modules, links the three `morph` imports to
//! the [`Bridge`](crate::bridge::Bridge) and calls exports; everything else is
//! engine-neutral and lives in [`crate::bridge`]. This file owns compilation
//! (the feature set, one engine per module, the disk cache); the rest is split
//! by concept:
//!
//! - [`instance`]: instantiation and guest calls, and how they fail;
//! - [`imports`]: the `morph` host imports and guest memory access;
//! - [`metering`]: the cost model and the budget of one guest call;
//! - [`capped_memory`]: the tunables that cap every memory;
//! - [`deadline`]: the watchdog that interrupts a call at its deadline or
//!   when it is cancelled;
//! - [`compile_deadline`]: the middleware that stops a compilation at
//!   `max_compile_ms`.
//!
//! Invariants kept across the adapter:
//!
//! - **One `wasmer::Engine` per module**: the `Metering` middleware keeps
//!   per-module state (and panics when shared), and the memory cap lives in
//!   the engine's tunables.
//! - **Time is bounded twice**: a watchdog thread interrupts the store at
//!   the call's deadline, or at once when the call is cancelled (wasmer's
//!   signal-based `Interrupter`, unix), and
//!   metering stops the guest after a budget calibrated from
//!   `max_execution_ms` (see [`POINTS_PER_MS`]) as the backstop; the
//!   deadline is also checked before every guest call.
//! - **Compilation is bounded**: [`crate::budget`] refused oversized
//!   modules before they got here, and [`compile_deadline`] stops Cranelift
//!   at `max_compile_ms` (the deadline starts when compilation does).
//! - **Memory is bounded by the tunables**: every memory's maximum is capped
//!   at `max_memory_mb`, larger minimums are refused, and a refused grow is
//!   remembered so the call ends with `memory_limit`.
//! - **Guest memory is read through a fresh view** after anything that can
//!   grow it, with [`guest_range`](crate::bridge::guest_range) checks and
//!   size caps before any copy.
//! - **No wasmer type leaves this module.**
//!
//! Compiled modules go through [`crate::module_cache`] when a cache
//! directory is configured.

mod capped_memory;
mod compile_deadline;
#[cfg(unix)]
mod deadline;
mod imports;
mod instance;
mod metering;
#[cfg(test)]
mod tests;

/// Without signal-based interrupts (non-unix), metering and the deadline
/// checks between guest calls bound a call.
#[cfg(not(unix))]
mod deadline {
    use morph_capabilities::Call;
    use wasmer::Store;

    /// Nothing is armed.
    pub(super) struct Armed;

    pub(super) fn arm(_store: &Store, _call: Option<&Call>) -> Armed {
        Armed
    }
}

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use morph_capabilities::{Error, ResourceLimits, Result};
use wasmer::sys::{CompilerConfig, Cranelift, Features, NativeEngineExt, Target};
use wasmer::{Module, Pages};
use wasmer_middlewares::Metering;

use self::capped_memory::CappedTunables;
use self::compile_deadline::CompileDeadline;
use self::metering::{COST_MODEL, POINTS_PER_MS, operator_cost};
use crate::engine::{CompiledModule, Engine};
use crate::module_cache::{CacheKey, Lookup, ModuleCache};

/// The wasmer release this adapter is built against (pinned in Cargo.toml).
const WASMER_VERSION: &str = "7.4.2";

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
pub(crate) enum CacheOutcome {
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
pub(crate) struct WasmerEngine {
    cache: Option<ModuleCache>,
}

impl WasmerEngine {
    /// An engine that caches compiled modules in `cache_dir` (`None`: no
    /// disk cache).
    pub(crate) fn new(cache_dir: Option<PathBuf>) -> WasmerEngine {
        WasmerEngine {
            cache: cache_dir.map(ModuleCache::new),
        }
    }

    /// [`Engine::compile`] with the concrete module type (which says where
    /// the module came from, see [`WasmerModule::cache_outcome`]).
    ///
    /// # Errors
    /// `invalid_package` when Cranelift refuses the module or does not
    /// finish within `max_compile_ms`.
    pub(crate) fn compile_module(
        &self,
        wasm: &[u8],
        limits: &ResourceLimits,
    ) -> Result<Arc<WasmerModule>> {
        self.compile_with(
            wasm,
            CompileConfig::for_limits(limits),
            limits.compile_time(),
        )
    }

    /// Compiles `wasm` with `config` (or loads it from the cache), giving
    /// Cranelift `compile_time` from now.
    fn compile_with(
        &self,
        wasm: &[u8],
        config: CompileConfig,
        compile_time: Duration,
    ) -> Result<Arc<WasmerModule>> {
        let deadline = Arc::new(CompileDeadline::starting_now(compile_time));
        let engine = config.engine(deadline.clone());
        let Some(cache) = &self.cache else {
            let module = compile(&engine, wasm, &deadline)?;
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
                // target), and `ModuleCache::load` only returns them when
                // the directory and the entry are owned by this user and
                // writable by nobody else, and after their SHA-256 matched
                // the one recorded when they were written, so another user's
                // file and a corrupted, truncated or misplaced entry never
                // get here.
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
        let module = compile(&engine, wasm, &deadline)?;
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

/// Compiles `wasm` on `engine`, whose compiler carries `deadline`.
fn compile(engine: &wasmer::Engine, wasm: &[u8], deadline: &CompileDeadline) -> Result<Module> {
    let started = Instant::now();
    let compiled = engine.new_module_with_progress(wasm, deadline.progress());
    // Past the deadline some functions became `unreachable` or wasmer
    // aborted: whatever it returned, the module is refused.
    if deadline.expired() {
        return Err(Error::InvalidPackage {
            reason: format!(
                "the module did not compile within resource_limits.max_compile_ms = {} (wasmer stopped after {} ms)",
                deadline.limit().as_millis(),
                started.elapsed().as_millis()
            ),
        });
    }
    compiled.map_err(|e| Error::InvalidPackage {
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

    /// A fresh engine: Cranelift with the compile deadline and its own
    /// `Metering`, our features and the memory-capping tunables.
    fn engine(&self, deadline: Arc<CompileDeadline>) -> wasmer::Engine {
        let mut compiler = Cranelift::new();
        // First, so that nothing else works on a function past the deadline.
        compiler.push_middleware(deadline);
        compiler.push_middleware(Arc::new(Metering::new(self.budget, operator_cost)));
        let mut engine = <wasmer::Engine as NativeEngineExt>::new(
            Box::new(compiler),
            Target::default(),
            features(),
        );
        engine.set_tunables(CappedTunables::new(Pages(self.max_pages)));
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
pub(crate) struct WasmerModule {
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
    pub(crate) fn cache_outcome(&self) -> CacheOutcome {
        self.cache_outcome
    }
}
