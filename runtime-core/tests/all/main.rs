//! Integration tests of runtime-core: manifests, packages, the registry and
//! the Host, driven through a runtime defined here (not shipped).

mod host;
mod manifest;
mod test_runtime;
mod workers;
