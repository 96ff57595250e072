//! The broker's side of `http.fetch`: allowlist, address policy, resolution
//! and the redirect loop. Providers only send single, pre-authorised hops.
//!
//! **Every hop is authorised here** (method permission, `allowed_hosts`,
//! resolved addresses, request budget) before a provider sees it.

pub mod address;
pub mod allowlist;
pub(crate) mod fetch;
pub mod resolver;
pub(crate) mod secret_forms;
pub(crate) mod secrets;
