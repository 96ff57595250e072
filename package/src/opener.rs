//! `PackageOpener`: how a [`Host`](morph_runtime_core::Host) opens `.morph`
//! files. It unpacks the archive safely into a staging directory, decides
//! on its signature with a [`TrustPolicy`], opens the unpacked tree as an
//! [`ExtensionPackage`] and binds it to its publisher's key.
//!
//! **Verify before load**: the runtime sees the package only after the
//! digest of exactly the files it will read has been checked against the
//! signature and the signer against the trust store.

use std::path::{Path, PathBuf};

use morph_capabilities::{Error, Result};
use morph_runtime_core::{ArchiveOpener, ExtensionPackage, OpenedArchive};

use crate::archive::Limits;
use crate::unpack::unpack;
use crate::verify::{Signer, TrustPolicy};

/// Opens `.morph` archives for a host. See the module docs.
#[derive(Debug, Clone)]
pub struct PackageOpener {
    policy: TrustPolicy,
    limits: Limits,
    staging: PathBuf,
}

/// A `.morph` archive opened and verified, with its signer.
#[derive(Debug)]
pub struct VerifiedPackage {
    /// The unpacked package.
    pub package: ExtensionPackage,
    /// Who signed it.
    pub signer: Signer,
    /// The canonical package digest.
    pub digest: crate::digest::Sha256Digest,
    /// The staging directory the package lives in (removed when dropped).
    pub staged: crate::unpack::Staged,
}

impl PackageOpener {
    /// An opener that decides with `policy` and unpacks into the system's
    /// temporary directory.
    pub fn new(policy: TrustPolicy) -> PackageOpener {
        PackageOpener {
            policy,
            limits: Limits::default(),
            staging: std::env::temp_dir(),
        }
    }

    /// Unpacks into fresh directories inside `dir` instead.
    pub fn with_staging_dir(mut self, dir: impl Into<PathBuf>) -> PackageOpener {
        self.staging = dir.into();
        self
    }

    /// Replaces the archive caps.
    pub fn with_limits(mut self, limits: Limits) -> PackageOpener {
        self.limits = limits;
        self
    }

    /// The policy in force.
    pub fn policy(&self) -> &TrustPolicy {
        &self.policy
    }

    /// Unpacks and verifies the archive at `path`.
    ///
    /// # Errors
    /// `io` when it cannot be read; `invalid_package`, `signature_invalid`,
    /// `unsigned_package`, `untrusted_publisher`, `invalid_manifest`.
    pub fn open(&self, path: &Path) -> Result<VerifiedPackage> {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        let staged = unpack(std::io::BufReader::new(file), &self.limits, &self.staging)?;
        let digest = staged.digest();
        let signer = self.policy.check(&digest, staged.signature_bytes())?;
        let fallback = path
            .canonicalize()
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string();
        let package =
            ExtensionPackage::open_dir(staged.path())?.with_origin(signer.origin(&fallback));
        Ok(VerifiedPackage {
            package,
            signer,
            digest,
            staged,
        })
    }
}

impl ArchiveOpener for PackageOpener {
    fn open_archive(&self, path: &Path) -> Result<OpenedArchive> {
        let verified = self.open(path)?;
        if !matches!(verified.signer, Signer::Trusted { .. }) {
            tracing::warn!(
                "loading {} which is {} (allowed explicitly)",
                path.display(),
                verified.signer.describe()
            );
        }
        Ok(OpenedArchive {
            package: verified.package,
            keep_alive: Box::new(verified.staged),
        })
    }
}
