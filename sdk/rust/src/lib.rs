//! The Morph SDK for Rust: write an extension as one trait implementation,
//! build it for `wasm32-unknown-unknown`, and Morph runs it sandboxed on
//! wasmer or wasmi behind its capability broker.
//!
//! ```
//! use morph_sdk::{Error, Extension, Value, json};
//!
//! #[derive(Default)]
//! struct Hello;
//!
//! impl Extension for Hello {
//!     fn execute(&mut self, action: &str, params: Value) -> Result<Value, Error> {
//!         match action {
//!             "hello" => {
//!                 let name = params["name"].as_str().unwrap_or("world");
//!                 morph_sdk::log::info(&format!("greeting {name}")).ok();
//!                 Ok(json!({ "greeting": format!("Hello, {name}!") }))
//!             }
//!             other => Err(Error::new(format!("unknown action `{other}`"))),
//!         }
//!     }
//! }
//!
//! morph_sdk::export_extension!(Hello);
//! # let out = Hello.execute("hello", json!({"name": "Ada"}))?;
//! # assert_eq!(out["greeting"], "Hello, Ada!");
//! # Ok::<(), Error>(())
//! ```
//!
//! # Core concepts
//!
//! - [`Extension`]: `init(config)`, `execute(action, params)` and
//!   `on_event(event)`, the guest contract shared with JS and Python.
//! - [`export_extension!`]: generates the wasm exports of ABI version
//!   [`ABI_VERSION`] (`runtime-wasm/ABI.md`); the crate must be a `cdylib`.
//! - Capabilities: one module per family, spelled like the wire names
//!   ([`http`], [`vault`], [`events`], [`fs`], [`data`], [`log`], [`config`]),
//!   and [`invoke`] for any capability by wire name. Each needs the
//!   permission the manifest declares; the host checks it on every call.
//! - [`Error`]: a stable `code()` and a message. Capability errors keep the
//!   host's code, so `?` reports a denied call as `permission_denied`, not as
//!   a generic guest failure.
//!
//! On targets other than `wasm32` the crate compiles and its types work, but
//! every capability call fails with `unknown_capability` ("not running inside
//! a Morph host"): test extension logic natively, capabilities under a host.

#![deny(missing_docs)]

mod abi;
mod base64;
mod error;
mod export;
mod extension;
mod host;
mod panic;

pub mod config;
pub mod data;
pub mod events;
pub mod fs;
pub mod http;
pub mod log;
pub mod vault;

pub use error::{Error, GUEST_ERROR, Result};
pub use extension::{Extension, Output, parse_params};
pub use host::invoke;
pub use panic::MAX_PANIC_BYTES;
pub use serde_json::{self, Value, json};

/// The guest ABI version this SDK implements (`morph_abi_version`).
pub const ABI_VERSION: i32 = 2;

/// The SDK's name and version, as the module's `morph_sdk` custom section
/// carries it (`runtime-wasm/ABI.md`, "The SDK's name").
pub const SDK_NAME: &str = concat!("morph-sdk-rust/", env!("CARGO_PKG_VERSION"));

/// [`SDK_NAME`] as bytes of a fixed length, for the custom section.
#[doc(hidden)]
pub const SDK_NAME_BYTES: [u8; SDK_NAME.len()] = {
    let mut bytes = [0u8; SDK_NAME.len()];
    let name = SDK_NAME.as_bytes();
    let mut i = 0;
    while i < name.len() {
        bytes[i] = name[i];
        i += 1;
    }
    bytes
};

/// What [`export_extension!`] expands to. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::abi::*;
}

/// The README's examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
