//! `PythonRuntime`: Morph's Python runtime on RustPython.
//!
//! A Python extension's entry defines module-level `execute(action, params)`
//! (and optionally `init(config)`, `on_event(event)`); the host API is
//! `import morph`. See `README.md` for the guest API and which limits are
//! hard or soft.
//!
//! # Core concepts
//!
//! - [`PythonRuntime`]: the [`MorphRuntime`](morph_runtime_core::MorphRuntime)
//!   for `runtime: python`, pooled warm interpreters per extension.
//! - `sandbox`: the interpreter with a module table cut to the allowlist.
//! - [`stdlib`]: the allowlist: native modules, RustPython's frozen library,
//!   and Morph's own modules and inert stand-ins (`src/python/`).
//! - [`package_modules`]: the extension's own modules, read at load time.
//! - `closed`: code objects only from the compiler, functions only of
//!   their code's shape.
//! - `guards`: one-step allocations refused before they happen, against
//!   what the call may still allocate.
//! - `engine_fixes`: rustpython-vm 0.5 made to behave as CPython where
//!   libraries depend on it.
//! - `host_module`: `_morph`, the only way out, through the broker.
//! - `convert`: the bounded Python <-> JSON converter.
//! - `watchdog`: the deadline interrupt the guest cannot swallow.
//! - `traceback`: host-side, bounded formatting of guest exceptions.
//! - `teardown`: frees what a dropped interpreter leaves, which
//!   rustpython's collector cannot.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> morph_runtime_core::Result<()> {
//! use std::sync::Arc;
//! use morph_runtime_core::Host;
//! use morph_runtime_python::PythonRuntime;
//!
//! let host = Host::builder()
//!     .with_data_dir("/tmp/morph")
//!     .with_runtime(Arc::new(PythonRuntime::default()))
//!     .build()?;
//! let id = host.load("examples/task-summary", serde_json::json!({})).await?;
//! println!("{}", host.execute(&id, "summary", serde_json::json!({})).await?);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod call_state;
mod closed;
pub mod convert;
mod engine_fixes;
mod error;
mod extension;
mod guards;
mod host_module;
#[cfg(test)]
mod memory_tests;
pub mod package_modules;
mod runtime;
pub mod sandbox;
mod session;
pub mod stdlib;
mod teardown;
pub mod traceback;
mod watchdog;

pub use runtime::{ENGINE_VERSION, PythonConfig, PythonRuntime};

/// Makes sure this crate is linked into a binary that only relies on the
/// link-time registry (`inventory` drops crates nothing refers to).
pub fn ensure_linked() {}
