//! Morph's JavaScript runtime on Boa (`runtime: js`).
//!
//! # Core concepts
//!
//! - [`JsRuntime`]: the `MorphRuntime` for `runtime: js`. The entry is an ES
//!   module (JavaScript, or TypeScript with its types stripped) exporting
//!   `execute(action, params)` and optionally `init(config)` and
//!   `onEvent(event)`; each may be `async`.
//! - Modules: the entry may import the package's own `.js`, `.mjs`, `.ts`,
//!   `.mts` and `.json` files by relative path, statically or with
//!   `import()`. They are read once at load ([`MAX_MODULES`] files,
//!   [`MAX_SOURCE_BYTES`] bytes) and nothing outside the package root is
//!   ever read; npm packages are bundled, not resolved. TypeScript is
//!   stripped, never transformed: `enum`, `namespace` and parameter
//!   properties are refused with their position, as in Node.
//! - The host API is a global, frozen `morph` object (`morph.http.fetch`,
//!   `morph.vault.get`, `morph.data.createTask`, `morph.log`,
//!   `morph.config`, ...): synchronous natives that go through the broker
//!   (see `host_api`). Refusals are thrown as catchable errors with a `code`.
//! - Values cross as JSON through a bounded converter ([`convert`]); no guest
//!   code runs while they do.
//! - Sessions: a Boa `Context` is `!Send`, so each lives on a worker thread
//!   of the extension's own pool; `Pooled` (default) keeps them warm,
//!   `PerCall` makes a fresh one per call.
//! - Limits ([`limits`]): budgeted evaluation against the deadline, callback
//!   guards, loop and recursion limits, a source nesting check, size
//!   guards that refuse a builtin before it allocates past the call's
//!   memory budget, and a soft cap (with the allocator's ceiling behind it)
//!   for everything else. The module doc of [`limits`] says which are hard
//!   and which stalls remain for the process tier.
//! - Sandbox: imports only from the package's files read at load, UTC as
//!   the local zone; `eval` stays inside the sandbox.
//! - Web platform globals (`web`): `console` (to the `log` capability),
//!   timers run by the call's event loop, `fetch` (one `http.fetch`
//!   capability call per request), `URL`, `crypto`, ...; the complete list
//!   of globals is [`GLOBALS`].
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> morph_runtime_core::Result<()> {
//! use std::sync::Arc;
//! use morph_runtime_core::Host;
//! use morph_runtime_js::JsRuntime;
//!
//! let host = Host::builder()
//!     .with_data_dir("/var/lib/my-app/morph")
//!     .with_runtime(Arc::new(JsRuntime::default()))
//!     .build()?;
//! let id = host.load("examples/chart-js", serde_json::json!({})).await?;
//! let chart = host.execute(&id, "render", serde_json::json!({})).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod builtin_wrap;
mod call_state;
pub mod convert;
mod errors;
mod extension;
mod guards;
mod hooks;
mod host_api;
mod jobs;
pub mod limits;
mod loader;
#[cfg(test)]
mod memory_tests;
mod package_sources;
mod runtime;
mod session;
mod size_guards;
pub mod source_check;
mod specifier;
mod typescript;
mod web;

pub use package_sources::{MAX_MODULES, MAX_SOURCE_BYTES};
pub use runtime::{ENGINE_VERSION, JsConfig, JsRuntime, RECYCLE_AFTER, WORKER_STACK};
pub use session::{Globals, new_guest_context};
pub use web::GLOBALS;

/// Makes sure this crate is linked into a binary that only relies on the
/// link-time registry (`inventory` drops crates nothing refers to).
pub fn ensure_linked() {}
