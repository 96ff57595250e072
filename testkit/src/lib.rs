//! Fixtures shared by Morph's test suites (never a dependency of library code).
//!
//! - [`TestServer`]: a real HTTP/1.1 server on 127.0.0.1 that answers with a
//!   handler and records what it saw.
//! - [`PackageSpec`]: writes an extension package (manifest and files) for
//!   any runtime.
//! - [`TestHost`]: a [`Host`](morph_runtime_core::Host) on a temporary data dir
//!   with a memory audit sink.

mod host;
mod package;
mod server;

pub use host::TestHost;
pub use package::PackageSpec;
pub use server::{Reply, Seen, TestServer};
