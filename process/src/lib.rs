//! Morph's process isolation tier (brief section 6): every limit hard, for
//! every runtime.
//!
//! In-process engines cannot stop a native stall (a catastrophic regular
//! expression, a huge big-int power) or cap memory exactly. Under
//! `Isolation::Process` the host loads an extension through
//! [`ProcessRuntime`]: the engine runs in a `morph worker` child process
//! ([`worker::serve`]) that confines itself with operating-system limits
//! ([`confine`]) and is killed at the deadline; the capability broker, the
//! audit log and every provider stay in the host, and the worker's capability
//! requests travel to it over a pipe ([`protocol`]).
//!
//! # Core concepts
//!
//! - [`ProcessRuntime`]: the `MorphRuntime` the host routes process-isolated
//!   loads to; warm workers per extension.
//! - [`child::Worker`]: one worker process seen from the host: spawn, load,
//!   calls under a deadline, its death read as an error code.
//! - [`worker::serve`]: the child side, run by `morph worker`.
//! - [`protocol`]: length-prefixed, versioned JSON frames.
//! - `syscalls` (Linux): the worker's first seccomp stage, before the
//!   package is read.
//! - `filesystem` (Linux): the second stage, once the package is loaded: no
//!   file can be opened or changed.
//!
//! # Example
//!
//! ```no_run
//! # fn demo() -> morph_runtime_core::Result<()> {
//! use std::sync::Arc;
//! use morph_process::{ProcessConfig, ProcessRuntime, WorkerCommand};
//! use morph_runtime_core::Host;
//!
//! let tier = ProcessRuntime::new(ProcessConfig::new(WorkerCommand::current_exe()?));
//! let host = Host::builder()
//!     .with_data_dir("/var/lib/my-app/morph")
//!     .with_process_isolation(Arc::new(tier))
//!     .build()?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod child;
pub mod confine;
#[cfg(target_os = "linux")]
pub mod filesystem;
pub mod protocol;
mod runtime;
#[cfg(target_os = "linux")]
pub mod syscalls;
pub mod worker;

pub use child::WorkerCommand;
pub use runtime::{ProcessConfig, ProcessRuntime};
