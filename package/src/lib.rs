//! Signed `.morph` packages for Morph: the format, signatures, the trust
//! store, safe unpacking, installs and OCI distribution (brief section 11).
//!
//! # Core concepts
//!
//! - [`SealedPackage`]: a package in memory: content files plus
//!   `signature.json` ([`mod@format`] says what a `.morph` file is).
//! - [`FileDigests`] / [`Sha256Digest`]: the canonical digest over every
//!   file's path and SHA-256; any edit, addition, removal or rename changes it.
//! - [`PackageSignature`]: Ed25519 over that digest; [`keys`] reads and
//!   writes key files.
//! - [`TrustStore`]: named publisher keys in a directory; [`TrustPolicy`]
//!   decides: `signature_invalid`, `unsigned_package`, `untrusted_publisher`.
//! - [`unpack()`]: hostile-archive-safe unpacking into a fresh staging dir
//!   (`invalid_package` for slips, links, devices, duplicates and bombs).
//! - [`PackageOpener`]: plugs verification into
//!   [`HostBuilder::with_archive_opener`](morph_runtime_core::HostBuilder::with_archive_opener).
//! - [`InstallStore`]: installed packages in a data dir, with permission
//!   diffs on update and downgrade refusal.
//! - [`sdk_name()`]: the SDK that built a wasm module, from its `morph_sdk`
//!   custom section, for tools to show.
//! - [`oci`] (feature `oci`): push and pull packages as OCI artifacts.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> morph_runtime_core::Result<()> {
//! use std::sync::Arc;
//! use morph_package::{PackageOpener, TrustPolicy, TrustStore};
//! use morph_runtime_core::Host;
//!
//! let trust = TrustStore::open("/etc/my-app/trusted-publishers")?;
//! let host = Host::builder()
//!     .with_data_dir("/var/lib/my-app/morph")
//!     .with_archive_opener(Arc::new(PackageOpener::new(TrustPolicy::new(trust))))
//!     .build()?;
//! // Refused unless signed by a trusted publisher and intact.
//! let id = host.load("downloads/task-digest.morph", serde_json::json!({})).await?;
//! # let _ = id; Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod archive;
pub mod digest;
pub mod format;
pub mod install;
pub mod keys;
#[cfg(feature = "oci")]
pub mod oci;
pub mod opener;
pub mod sdk_name;
pub mod sealed;
pub mod signature;
pub mod source;
pub mod trust;
pub mod unpack;
pub mod verify;

pub use archive::Limits;
pub use digest::{FileDigests, Sha256Digest};
pub use install::{InstallPlan, InstallStore, InstalledRecord, Widening};
pub use opener::{PackageOpener, VerifiedPackage};
pub use sdk_name::sdk_name;
pub use sealed::SealedPackage;
pub use signature::PackageSignature;
pub use trust::{Publisher, TrustStore};
pub use unpack::{Staged, unpack};
pub use verify::{Signer, TrustPolicy};
