//! Morph's capability layer: permissions, limits, the [`CapabilityBroker`], its
//! providers and the audit log.
//!
//! # Core concepts
//!
//! - [`Permission`]: the ten permissions a manifest can ask for.
//! - [`ResourceLimits`]: the per-call limits and the per-extension storage
//!   quotas, one meaning in every runtime.
//! - [`Grants`]: what an extension may do (manifest ∩ host policy, see [`HostPolicy`]).
//! - [`CallContext`]: per-call state the host creates for each execute.
//! - [`CapabilityBroker`]: resolves, checks, runs and audits each capability call.
//! - [`providers`]: one replaceable trait per capability family, with embedded defaults.
//! - [`audit`]: the hash-chained audit log.
//! - [`Quarantine`]: strikes (limit violations, crashes) per extension and
//!   the extensions they quarantined, kept in the data dir.
//! - [`Error`]: the one error type, with a stable [`ErrorCode`].
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use morph_capabilities::{
//!     audit::MemoryAuditSink, CallContext, CallKind, CapabilityBroker, ExtensionIdentity,
//!     Grants, Permission, Providers,
//! };
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> morph_capabilities::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let audit = Arc::new(MemoryAuditSink::new());
//! let broker = CapabilityBroker::new(Providers::open(dir.path())?, audit.clone());
//! let ext = Arc::new(ExtensionIdentity {
//!     id: "demo".into(), version: "1.0.0".into(), runtime: "wasm".into(),
//!     manifest_digest: String::new(),
//! });
//! let grants = Arc::new(Grants::default()); // nothing granted
//! let ctx = CallContext::new(ext, grants, Arc::new(serde_json::Value::Null), CallKind::Execute, "run");
//! let err = broker
//!     .invoke(&ctx, "vault.get", serde_json::json!({"key": "token"}))
//!     .await
//!     .unwrap_err();
//! assert_eq!(err.code().as_str(), "permission_denied");
//! assert_eq!(audit.records().len(), 1); // denials are audited too
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod audit;
mod broker;
mod call;
mod canonical;
mod capability;
mod content;
mod error;
pub mod http;
mod limits;
mod permission;
mod policy;
pub mod providers;
pub mod quarantine;
pub mod redact;
mod request;
pub mod tools;

pub use broker::{
    Call, CallRoute, CapabilityBroker, CapabilityRelay, DEFAULT_AUDIT_RESERVE_BYTES,
    MAX_REQUEST_BYTES,
};
pub use call::{CallContext, CallKind, CapabilityBudget, ExtensionIdentity, Grants, LogLine};
pub use canonical::canonical_digest;
pub use capability::{Capability, http_permission};
pub use error::{
    Error, ErrorCode, GuestFault, LimitKind, QuotaKind, Result, WireError, truncate_for_message,
};
pub use http::allowlist::{HostPattern, InvalidHostPattern};
pub use limits::{LIMIT_RANGES, LimitRange, ResourceLimits};
pub use permission::{Permission, PermissionSet, UnknownPermission};
pub use policy::HostPolicy;
pub use providers::Providers;
pub use quarantine::{Quarantine, QuarantineConfig, QuarantineStatus};
pub use tools::{ToolCallRequest, ToolGateway};
