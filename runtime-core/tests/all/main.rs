//! Integration tests of runtime-core: manifests, packages, the registry and
//! the Host, driven through a runtime defined here (not shipped).

// Worker pools stop a call at its allocation ceiling (workers.rs), which
// needs the metered allocator.
#[global_allocator]
static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
    morph_runtime_core::allocation::MeteredAllocator::system();

mod host;
mod manifest;
mod quarantine;
mod test_runtime;
mod workers;
