//! A runtime that is not in Morph, added from outside: `runtime: rhai` runs
//! extensions written in [Rhai](https://rhai.rs), an embedded scripting
//! language with operation, call-depth and size limits of its own.
//!
//! This crate is the worked example of the guide "Adding a runtime"
//! (`docs/adding-a-runtime.md`): it implements [`MorphRuntime`], registers it
//! with [`register_runtime!`](morph_runtime_core::register_runtime), keeps its
//! engines on the framework's [`WorkerPool`](morph_runtime_core::workers::WorkerPool),
//! reaches capabilities only through the [`Call`](morph_runtime_core::Call)
//! it is handed, and is certified by `morph-conformance` in its tests.
//!
//! The guest API: the entry script defines `fn execute(action, params)` and
//! optionally `fn init(config)` and `fn on_event(event)`, all called with
//! `this` bound to the instance's own object map (its state between calls);
//! `morph_call(capability, request)` invokes a capability and throws
//! `#{code, message}` when the broker refuses.
//!
//! [`MorphRuntime`]: morph_runtime_core::MorphRuntime
#![deny(missing_docs)]

mod convert;
mod instance;
mod runtime;

pub use runtime::RhaiRuntime;

/// Makes sure this crate is linked into a binary that only relies on the
/// link-time registry (`inventory` drops crates nothing refers to).
pub fn ensure_linked() {}
