//! The `morph worker` of the process-isolation benchmarks: the same worker
//! the `morph` binary runs (`morph_process::worker::serve`), linked with the
//! wasm, JS and Python runtimes, so `benches/process.rs` can spawn it without
//! depending on the CLI crate.

use std::process::ExitCode;

#[global_allocator]
static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
    morph_runtime_core::allocation::MeteredAllocator::system();

fn main() -> ExitCode {
    morph_runtime_wasm::ensure_linked();
    morph_runtime_js::ensure_linked();
    morph_runtime_python::ensure_linked();
    morph_process::worker::serve(morph_runtime_core::RuntimeRegistry::linked())
}
