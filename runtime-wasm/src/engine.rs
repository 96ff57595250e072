//! The seam between the shared runtime and an engine adapter.
//!
//! Everything engine-neutral (the ABI, the bridge to the broker, limit
//! accounting, error mapping, pooling) lives outside the adapters; an adapter
//! (`wasmer_engine/`, `wasmi_engine/`) only compiles modules, builds
//! stores with the limits, links the three `morph` imports to the
//! [`Bridge`](crate::bridge), and calls exports. **An engine type never
//! leaves its adapter.**

use std::sync::Arc;

use morph_capabilities::{ResourceLimits, Result};

use crate::bridge::Bridge;

/// The entry points a host calls (ABI.md, "Guest exports").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// `morph_init(ptr, len) -> i64`.
    Init,
    /// `morph_execute(ptr, len) -> i64`.
    Execute,
    /// `morph_on_event(ptr, len) -> i64`.
    OnEvent,
}

impl Entry {
    /// The export name.
    pub fn export(self) -> &'static str {
        match self {
            Entry::Init => "morph_init",
            Entry::Execute => "morph_execute",
            Entry::OnEvent => "morph_on_event",
        }
    }
}

/// An entry point's input block (ABI.md, "Calling an entry point"): the
/// bytes the host writes into one `morph_alloc` block.
#[derive(Debug, Clone)]
pub struct Input {
    /// The block's bytes.
    pub bytes: Vec<u8>,
    /// For version 2's `morph_execute`: how many leading bytes are the
    /// action name (the params' JSON text follows them).
    pub action_len: Option<usize>,
}

impl Input {
    /// A JSON input (`morph_init`, `morph_on_event`, version 1's `morph_execute`).
    pub fn json(bytes: Vec<u8>) -> Input {
        Input {
            bytes,
            action_len: None,
        }
    }

    /// Version 2's `morph_execute` input: the action name, then the params.
    pub fn action(action: &str, params: &[u8]) -> Input {
        let mut bytes = Vec::with_capacity(action.len() + params.len());
        bytes.extend_from_slice(action.as_bytes());
        bytes.extend_from_slice(params);
        Input {
            bytes,
            action_len: Some(action.len()),
        }
    }

    /// The `(action_len, params_len)` split for version 2's `morph_execute`.
    ///
    /// # Errors
    /// `internal` when the input is not such a split.
    pub fn split(&self) -> Result<(i32, i32)> {
        let action = self
            .action_len
            .filter(|a| *a <= self.bytes.len())
            .ok_or_else(|| {
                morph_capabilities::Error::internal("an execute input without its action")
            })?;
        let fit = |n: usize| {
            i32::try_from(n).map_err(|_| {
                morph_capabilities::Error::limit(
                    morph_capabilities::LimitKind::Memory,
                    "the input does not fit the guest's address space",
                )
            })
        };
        Ok((fit(action)?, fit(self.bytes.len() - action)?))
    }
}

/// An engine: compiles validated modules for given limits.
pub trait Engine: Send + Sync + 'static {
    /// `wasmer` or `wasmi`.
    fn name(&self) -> &'static str;

    /// The engine crate's version.
    fn version(&self) -> &'static str;

    /// Compiles `wasm` (already validated by [`crate::validate`]) for an
    /// extension with `limits`. Engines that need per-module configuration
    /// (wasmer's metering) create it here.
    ///
    /// # Errors
    /// `invalid_package` when the engine refuses the module.
    fn compile(&self, wasm: &[u8], limits: &ResourceLimits) -> Result<Arc<dyn CompiledModule>>;
}

/// A compiled module, shareable across threads; instantiated per call
/// (`PerCall`) or per pooled worker (`Pooled`).
pub trait CompiledModule: Send + Sync + 'static {
    /// Creates a store with the limits and an instance linked to `bridge`
    /// (the start function, if any, runs here under the bridge's deadline).
    ///
    /// # Errors
    /// `invalid_package` for link errors, a limit code or `guest_crash` when
    /// the start function fails.
    fn instantiate(&self, bridge: Bridge) -> Result<Box<dyn Instance>>;
}

/// One live instance. Not `Send` (wasmer stores are not): it stays on the
/// thread that created it.
pub trait Instance {
    /// Whether the module exports `entry`.
    fn has_entry(&self, entry: Entry) -> bool;

    /// The ABI version the module was built for (1 or 2).
    fn abi_version(&self) -> i32;

    /// Copies `input` into guest memory (one `morph_alloc` block), calls
    /// `entry` (version 2's `morph_execute` with the action and the params
    /// apart), copies
    /// the result envelope out (checking it against the output budget),
    /// frees it (`morph_free`) and returns its bytes. The bridge (reachable
    /// through [`Instance::bridge`]) carries the call for host imports; the
    /// deadline and memory limits are enforced throughout.
    ///
    /// # Errors
    /// A limit code (`timeout`, `memory_limit`, `stack_overflow`,
    /// `output_too_large`), `guest_crash` for traps and ABI violations.
    fn call(&mut self, entry: Entry, input: &Input) -> Result<Vec<u8>>;

    /// The bridge state of this instance.
    fn bridge(&mut self) -> &mut Bridge;
}
