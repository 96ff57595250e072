//! Morph's core: the [`MorphRuntime`] trait, manifests, packages, the runtime
//! registry and the [`Host`] facade.
//!
//! # Core concepts
//!
//! - [`Manifest`]: the validated `manifest.yaml`.
//! - [`ExtensionPackage`]: a package directory (manifest, entry, assets).
//! - [`MorphRuntime`] / [`LoadedExtension`]: what a language runtime implements.
//! - [`RuntimeRegistry`]: runtimes linked into the binary (via
//!   [`register_runtime!`]) or registered by hand.
//! - [`Host`]: loads extensions, checks actions and parameters, runs calls
//!   under the [`CapabilityBroker`](morph_capabilities::CapabilityBroker),
//!   and refuses quarantined extensions
//!   ([`Quarantine`](morph_capabilities::Quarantine): repeated limit
//!   violations or crashes stop an extension until it is enabled).
//! - [`workers::WorkerPool`]: worker threads that own `!Send` engine state
//!   for one extension (`Pooled` and `PerCall` for engines that cannot cross threads).
//! - [`allocation::MeteredAllocator`]: per-thread allocation counts, how
//!   in-process engines measure a call's memory.
//! - [`Error`]: the one error type with stable codes, from `morph-capabilities`.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> morph_runtime_core::Result<()> {
//! use morph_runtime_core::Host;
//!
//! let host = Host::builder().with_data_dir("/var/lib/my-app/morph").build()?;
//! let id = host.load("extensions/github-issues", serde_json::json!({})).await?;
//! let issue = host
//!     .execute(&id, "get_issue", serde_json::json!({"issue_id": "42"}))
//!     .await?;
//! println!("{issue}");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod allocation;
pub mod code;
mod describe;
mod host;
mod host_builder;
pub mod manifest;
mod ownership;
mod package;
mod registry;
mod runtime;
mod tools;
pub mod workers;

pub use describe::describe;
pub use host::{CallOptions, DEADLINE_GRACE, Execution, Host, LOAD_GRACE, envelope};
pub use host_builder::HostBuilder;
pub use manifest::Manifest;
pub use package::{
    ArchiveOpener, ExtensionPackage, MANIFEST_FILE, MAX_PACKAGE_FILE_BYTES, OpenedArchive,
};
pub use registry::{RuntimeRegistration, RuntimeRegistry};
pub use runtime::{
    DEFAULT_ENGINE_RESERVE, Enforcement, InitCall, Isolation, LimitEnforcement, LoadOptions,
    LoadRequest, LoadedExtension, MorphRuntime, RuntimeInfo,
};
pub use tools::ToolDefinition;

#[doc(hidden)]
pub use inventory;
pub use morph_capabilities::{self as capabilities, Call, Error, ErrorCode, Result};
