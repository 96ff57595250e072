//! The wasmi adapter: the guest ABI on the wasmi 2 interpreter (no JIT, so it
//! runs where JIT is forbidden). This file owns the engine (its feature set
//! and stack bounds), module compilation and the store's data.
//!
//! It compiles modules eagerly (translation is never charged to a guest call),
//! **each on its own `wasmi::Engine`**, builds one store per instance with a
//! [`MemoryCap`] limiter, links
//! the three `morph` imports to the [`Bridge`] and runs **every guest function
//! (start, `morph_abi_version`, `morph_alloc`, the entry point, `morph_free`)
//! in fuel slices (see [`fuel`]), checking the deadline between slices**.
//! Guest memory is re-read after every guest call and host call; every range
//! goes through [`guest_range`](crate::bridge::guest_range). No wasmi type
//! leaves this module.
//!
//! The rest is split by concept:
//!
//! - [`instance`]: instantiation (store limits, exports) and guest calls;
//! - [`memory_cap`]: the store's limiter (memory and table caps);
//! - [`fuel`]: running a guest function in fuel slices under the deadline;
//! - [`trap`]: how a wasmi error becomes a Morph error;
//! - [`imports`]: the `morph` host imports and guest memory slices.
//!
//! Why an engine per module: a `wasmi::Engine` keeps the code of every
//! module it ever compiled in an append-only code map, freed only with the
//! engine (and it panics past 100 million functions). One engine shared by
//! every load would grow with every load and reload of every extension;
//! an engine per module is freed with the module. Creating one costs a few
//! microseconds. Translation itself is not preemptible, but it is linear
//! and about a hundred times faster than Cranelift, and
//! [`crate::budget`] bounds its input (`runtime-wasm/README.md`).

mod fuel;
mod imports;
mod instance;
mod memory_cap;
#[cfg(test)]
mod tests;
mod trap;

use std::fmt;
use std::sync::Arc;

use morph_capabilities::{Error, ResourceLimits, Result};
use wasmi::{CompilationMode, Config, Linker, Module};

use self::imports::morph_linker;
use self::memory_cap::MemoryCap;
use crate::bridge::Bridge;
use crate::engine::{CompiledModule, Engine};

/// The wasmi version this adapter is built and tested against.
const WASMI_VERSION: &str = "2.0.0";

/// Most nested guest calls (`stack_overflow` past it).
const MAX_RECURSION_DEPTH: usize = 16_384;

/// Largest interpreter value stack, in bytes (`stack_overflow` past it).
const MAX_VALUE_STACK_BYTES: usize = 8 * 1024 * 1024;

/// The wasmi engine: the configuration (Morph's feature set, fuel metering)
/// of the `wasmi::Engine` each module is compiled on.
#[derive(Debug, Clone)]
pub(crate) struct WasmiEngine {
    config: Config,
}

impl WasmiEngine {
    /// An engine with Morph's feature set (ABI.md, "Feature set"), fuel
    /// metering, eager compilation and bounded stacks.
    pub(crate) fn new() -> WasmiEngine {
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
        WasmiEngine { config }
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
        // The module keeps its engine alive; both go when the extension does.
        let engine = wasmi::Engine::new(&self.config);
        let module = Module::new(&engine, wasm).map_err(|e| Error::InvalidPackage {
            reason: format!("wasmi refused the module: {e}"),
        })?;
        Ok(Arc::new(WasmiModule {
            linker: morph_linker(&engine)?,
            module,
            limits: *limits,
        }))
    }
}

/// A module compiled by wasmi (kept in memory: wasmi has no artifact to cache
/// on disk) with the limits of its extension.
pub(crate) struct WasmiModule {
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

/// What a store holds besides wasmi's own state.
struct StoreData {
    bridge: Bridge,
    limits: MemoryCap,
}
