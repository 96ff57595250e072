//! The JS runtime's behaviour through the real `Host`, the real broker and
//! the JS test guest (`runtime-js/tests/guest/index.js`), which implements
//! the wasm test guest's actions with the same semantics.

/// Meters allocations per thread, as the `morph` binary does, so the JS and
/// Python memory caps see what each call allocates.
#[global_allocator]
static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
    morph_runtime_core::allocation::MeteredAllocator::system();

mod behaviour;
mod capabilities;
mod engine_patches;
mod examples;
mod hostile;
mod isolation;
mod jira_example;
mod limits;
mod memory;
mod modules;
mod support;
mod web;
mod web_node;
