//! The Python runtime's behaviour through the real `Host`, the real broker
//! and the test guest in `tests/guest/main.py` (the same actions as the wasm
//! test guest, from `runtime-wasm/tests/guest/actions.yaml`).

/// Meters allocations per thread, as the `morph` binary does, so the JS and
/// Python memory caps see what each call allocates.
#[global_allocator]
static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
    morph_runtime_core::allocation::MeteredAllocator::system();

mod behaviour;
mod capabilities;
mod example;
mod hostile;
mod isolation;
mod jira_example;
mod limits;
mod memory;
mod stdlib;
mod support;
