//! The Extism peer: the compute workloads as an Extism plugin
//! (`benches/guests/extism-compute`), called through Extism's own
//! `Plugin::call` with its default settings (no WASI, no host functions).

use extism::Plugin;

use crate::fixture::built_wasm;

/// The Extism plugin (`benches/guests/extism-compute/extism_compute.wasm`).
///
/// # Panics
/// When it has not been built yet (`scripts/build-guests.sh`).
pub fn plugin_wasm() -> Vec<u8> {
    built_wasm("guests/extism-compute/extism_compute.wasm")
}

/// A loaded Extism plugin.
pub struct ExtismPeer {
    plugin: Plugin,
}

impl ExtismPeer {
    /// Compiles and instantiates `wasm` with no host functions and no WASI.
    ///
    /// # Panics
    /// When Extism refuses the plugin.
    pub fn new(wasm: &[u8]) -> ExtismPeer {
        let plugin = Plugin::new(wasm, [], false)
            .unwrap_or_else(|e| panic!("Extism loads the plugin: {e:#}"));
        ExtismPeer { plugin }
    }

    /// Calls the export `name` with `input` and returns its output.
    ///
    /// # Panics
    /// When the call fails.
    pub fn call(&mut self, name: &str, input: &[u8]) -> Vec<u8> {
        self.plugin
            .call::<&[u8], &[u8]>(name, input)
            .unwrap_or_else(|e| panic!("Extism call `{name}`: {e:#}"))
            .to_vec()
    }
}
