//! An extension package as the host loads it: a manifest, its digest, and the
//! files beside it.
//!
//! A package is a directory today (`manifest.yaml` plus the entry file and
//! assets); signed `.morph` archives unpack into the same shape. **Every file
//! a runtime reads is resolved beneath the package root**: the entry and any
//! asset must stay inside it after symlinks are resolved, and reads are
//! capped before anything is allocated.

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use morph_capabilities::{Error, Result};
use sha2::{Digest, Sha256};

use crate::manifest::{MAX_MANIFEST_BYTES, Manifest};

/// The manifest's file name inside a package.
pub const MANIFEST_FILE: &str = "manifest.yaml";

/// The largest entry or asset file a runtime may read.
pub const MAX_PACKAGE_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A validated extension package.
#[derive(Debug, Clone)]
pub struct ExtensionPackage {
    root: PathBuf,
    manifest: Manifest,
    manifest_digest: String,
}

impl ExtensionPackage {
    /// Opens the package directory at `dir`: reads and validates
    /// `manifest.yaml` and checks that the entry file exists inside it.
    ///
    /// # Errors
    /// `invalid_package` when `dir` is not a package directory or the entry
    /// is missing or escapes it; `invalid_manifest` for a bad manifest.
    pub fn open_dir(dir: impl AsRef<Path>) -> Result<ExtensionPackage> {
        let dir = dir.as_ref();
        let root = dir.canonicalize().map_err(|e| Error::InvalidPackage {
            reason: format!("cannot open package directory {}: {e}", dir.display()),
        })?;
        if !root.is_dir() {
            return Err(Error::InvalidPackage {
                reason: format!("{} is not a directory", dir.display()),
            });
        }
        let bytes = read_beneath(&root, MANIFEST_FILE, MAX_MANIFEST_BYTES as u64)?;
        let manifest = Manifest::from_bytes(&bytes)?;
        let manifest_digest = hex::encode(Sha256::digest(&bytes));
        let package = ExtensionPackage {
            root,
            manifest,
            manifest_digest,
        };
        package.resolve(&package.manifest.entry)?;
        Ok(package)
    }

    /// The validated manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// SHA-256 (hex) of the manifest bytes: the grants are bound to it.
    pub fn manifest_digest(&self) -> &str {
        &self.manifest_digest
    }

    /// The package root (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads the entry file named by the manifest.
    ///
    /// # Errors
    /// `invalid_package` when it is missing, escapes the root or is too large.
    pub fn read_entry(&self) -> Result<Vec<u8>> {
        read_beneath(&self.root, &self.manifest.entry, MAX_PACKAGE_FILE_BYTES)
    }

    /// Reads another file of the package, by relative path.
    ///
    /// # Errors
    /// As [`ExtensionPackage::read_entry`].
    pub fn read_file(&self, relative: &str) -> Result<Vec<u8>> {
        read_beneath(&self.root, relative, MAX_PACKAGE_FILE_BYTES)
    }

    fn resolve(&self, relative: &str) -> Result<PathBuf> {
        resolve_beneath(&self.root, relative)
    }
}

/// Resolves `relative` beneath `root` (canonical), following symlinks, and
/// refuses anything that ends up outside it or is not a regular file.
fn resolve_beneath(root: &Path, relative: &str) -> Result<PathBuf> {
    let bad = |reason: String| Error::InvalidPackage { reason };
    let rel = Path::new(relative);
    if relative.is_empty()
        || relative.contains('\0')
        || rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(bad(format!("`{relative}` is not a plain relative path")));
    }
    let resolved = root
        .join(rel)
        .canonicalize()
        .map_err(|e| bad(format!("`{relative}`: {e}")))?;
    if !resolved.starts_with(root) {
        return Err(bad(format!("`{relative}` resolves outside the package")));
    }
    if !resolved.is_file() {
        return Err(bad(format!("`{relative}` is not a regular file")));
    }
    Ok(resolved)
}

fn read_beneath(root: &Path, relative: &str, max: u64) -> Result<Vec<u8>> {
    let path = resolve_beneath(root, relative)?;
    let file = File::open(&path).map_err(|e| Error::io(format!("opening `{relative}`"), e))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(format!("reading `{relative}`"), e))?;
    if bytes.len() as u64 > max {
        return Err(Error::InvalidPackage {
            reason: format!("`{relative}` is larger than {max} bytes"),
        });
    }
    Ok(bytes)
}
