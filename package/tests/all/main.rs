//! morph-package tests: real archives, real files, a real `Host` with the
//! test runtime, and a real OCI registry (Debian's `docker-registry`) on
//! 127.0.0.1.

mod hostile;
mod install;
mod registry;
mod registry_server;
mod signing;
mod support;
#[path = "../../../runtime-core/tests/all/test_runtime.rs"]
mod test_runtime;
mod threats_signing;
