//! The wasmtime baseline: a Morph guest driven through the guest ABI
//! (`runtime-wasm/ABI.md`) on wasmtime directly, as [`crate::raw`] drives
//! wasmer and wasmi (and through the same [`RawModule`] interface).
//!
//! wasmtime's default config: Cranelift, no fuel, no epoch interruption, no
//! Morph code; the `morph` imports are stubs. This is the engine Extism runs
//! on, so it tells Extism's own cost apart from the engine's.

use wasmtime::{Engine, Linker, Module, Store};

use crate::raw::{RawInstance, RawModule, linked_instance};

/// A module on wasmtime's default engine, with the stub imports linked.
pub struct WasmtimeRaw {
    engine: Engine,
    module: Module,
    linker: Linker<()>,
}

impl WasmtimeRaw {
    /// Compiles `wasm` with Cranelift and links stub `morph` imports.
    ///
    /// # Panics
    /// When wasmtime refuses the module.
    pub fn compile(wasm: &[u8]) -> WasmtimeRaw {
        let engine = Engine::default();
        let module = Module::new(&engine, wasm).expect("wasmtime compiles the guest");
        let linker = stub_linker(&engine);
        WasmtimeRaw {
            engine,
            module,
            linker,
        }
    }
}

impl RawModule for WasmtimeRaw {
    fn instantiate(&self) -> Box<dyn RawInstance> {
        let mut store = Store::new(&self.engine, ());
        let instance = self
            .linker
            .instantiate(&mut store, &self.module)
            .expect("instantiate");
        Box::new(Live::new(store, instance))
    }
}

linked_instance!(wasmtime);
