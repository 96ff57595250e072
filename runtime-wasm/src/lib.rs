//! Morph's WebAssembly runtime: one guest ABI (`runtime-wasm/ABI.md`) on two
//! engines, wasmer 7 with Cranelift and the wasmi interpreter.
//!
//! # Core concepts
//!
//! - [`WasmRuntime`]: the `MorphRuntime` for `runtime: wasm`; the engine is
//!   chosen per load (`LoadOptions::engine`: `wasmer` or `wasmi`).
//! - The ABI: guest exports `morph_execute` & co., one generic host import
//!   `morph.call` that carries JSON, results packed as pointer and length.
//! - [`bridge`]: the engine-neutral host side of the ABI.
//! - [`engine`]: the thin seam each engine adapter implements.
//! - [`validate`]: the one feature set and ABI shape both engines accept.
//! - [`budget`]: what a module may cost to compile (`max_module_kb`,
//!   `max_functions`, fixed caps), checked before either engine sees it.
//!
//! Engines sit behind Cargo features (`wasmer`, `wasmi`); a build with
//! `--no-default-features --features wasmi` links no JIT compiler.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> morph_runtime_core::Result<()> {
//! use std::sync::Arc;
//! use morph_runtime_core::Host;
//! use morph_runtime_wasm::WasmRuntime;
//!
//! let host = Host::builder()
//!     .with_data_dir("/var/lib/my-app/morph")
//!     .with_runtime(Arc::new(WasmRuntime::default()))
//!     .build()?;
//! let id = host.load("examples/github-issues", serde_json::json!({})).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod bridge;
pub mod budget;
pub mod engine;
mod extension;
mod instance_run;
#[cfg(feature = "wasmer")]
mod module_cache;
mod pool;
mod runtime;
pub mod validate;
pub mod wasi;
#[cfg(feature = "wasmer")]
mod wasmer_engine;
#[cfg(feature = "wasmi")]
mod wasmi_engine;

pub use pool::RECYCLE_AFTER;
pub use runtime::{WasmConfig, WasmRuntime};

/// Makes sure this crate is linked into a binary that only relies on the
/// link-time registry (`inventory` drops crates nothing refers to).
pub fn ensure_linked() {}
