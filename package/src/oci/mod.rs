//! OCI distribution: push and pull `.morph` packages to and from any OCI
//! registry (distribution spec v1.1 HTTP API), as artifacts of their own.
//!
//! A pushed package is an OCI image manifest whose config blob is the
//! extension's `manifest.yaml` ([`MANIFEST_MEDIA_TYPE`](crate::format::MANIFEST_MEDIA_TYPE))
//! and whose one layer is the `.morph` archive
//! ([`PACKAGE_MEDIA_TYPE`](crate::format::PACKAGE_MEDIA_TYPE)). On pull,
//! **every byte is checked against its digest before it is used**: the
//! manifest against the reference's digest (or the registry's
//! `Docker-Content-Digest`), each blob against its descriptor, with sizes
//! capped before anything is downloaded and every request under a timeout.
//! The package's own signature is then checked by whoever opens it.

mod artifact;
mod client;
mod reference;

pub use artifact::{ArtifactManifest, Descriptor, OCI_MANIFEST_MEDIA_TYPE};
pub use client::{DEFAULT_DEADLINE, Pulled, Pushed, RegistryClient};
pub use reference::Reference;
