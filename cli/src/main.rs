//! The `morph` binary: parses the command line and hands over to `morph_cli`.

/// Per-thread allocation metering: the JS and Python runtimes measure each
/// call's memory with it (see `morph_runtime_core::allocation`).
#[global_allocator]
static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
    morph_runtime_core::allocation::MeteredAllocator::system();

fn main() -> std::process::ExitCode {
    morph_cli::main_from_env()
}
