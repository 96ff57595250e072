//! `SealedPackage`: a whole `.morph` package held in memory, for packaging,
//! signing, verifying and installing.
//!
//! It holds the content files (path -> bytes) and the raw `signature.json`,
//! read through [`read_archive`] with all its caps, or collected from an
//! extension directory by [`source`](crate::source). Its
//! [`digest`](SealedPackage::digest) is the canonical package digest.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use ed25519_dalek::SigningKey;
use morph_capabilities::{Error, Result};
use morph_runtime_core::{MANIFEST_FILE, Manifest};

use crate::archive::{Limits, read_archive, write_archive};
use crate::digest::{FileDigests, Sha256Digest};
use crate::signature::PackageSignature;

/// A package in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealedPackage {
    files: BTreeMap<String, Vec<u8>>,
    signature: Option<Vec<u8>>,
}

impl SealedPackage {
    /// A package of `files`, unsigned.
    ///
    /// # Errors
    /// `invalid_package` for a path that is not plain or is `signature.json`.
    pub fn from_files(files: BTreeMap<String, Vec<u8>>) -> Result<SealedPackage> {
        let package = SealedPackage {
            files,
            signature: None,
        };
        package.file_digests()?;
        Ok(package)
    }

    /// Collects the extension directory `dir` (see [`crate::source`]).
    ///
    /// # Errors
    /// As [`crate::source::collect`].
    pub fn from_dir(dir: &Path, limits: &Limits) -> Result<SealedPackage> {
        SealedPackage::from_files(crate::source::collect(dir, limits)?)
    }

    /// Reads a `.morph` stream.
    ///
    /// # Errors
    /// `invalid_package` for a hostile or malformed archive.
    pub fn read(compressed: impl Read, limits: &Limits) -> Result<SealedPackage> {
        let mut files = BTreeMap::new();
        let summary = read_archive(compressed, limits, &mut |file| {
            let mut bytes = Vec::with_capacity(usize::try_from(file.size).unwrap_or(0));
            file.reader
                .read_to_end(&mut bytes)
                .map_err(|e| Error::InvalidPackage {
                    reason: format!("reading `{}`: {e}", file.path),
                })?;
            files.insert(file.path.to_owned(), bytes);
            Ok(())
        })?;
        Ok(SealedPackage {
            files,
            signature: summary.signature,
        })
    }

    /// Reads the `.morph` file at `path`.
    ///
    /// # Errors
    /// `io` when it cannot be opened; as [`SealedPackage::read`].
    pub fn open(path: &Path, limits: &Limits) -> Result<SealedPackage> {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        SealedPackage::read(std::io::BufReader::new(file), limits)
    }

    /// Writes the package as a `.morph` stream.
    ///
    /// # Errors
    /// `io` when writing fails.
    pub fn write(&self, out: impl std::io::Write) -> Result<()> {
        write_archive(&self.files, self.signature.as_deref(), out)
    }

    /// The package as `.morph` bytes.
    ///
    /// # Errors
    /// As [`SealedPackage::write`].
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write(&mut out)?;
        Ok(out)
    }

    /// Writes the package to `path` atomically (a temporary file beside it,
    /// then a rename).
    ///
    /// # Errors
    /// `io` when the file cannot be written.
    pub fn write_file(&self, path: &Path) -> Result<()> {
        write_file_atomically(path, &self.to_bytes()?)
    }

    /// The content files (without `signature.json`), by path.
    pub fn files(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.files
    }

    /// Each file's SHA-256.
    ///
    /// # Errors
    /// `invalid_package` for a path that is not plain.
    pub fn file_digests(&self) -> Result<FileDigests> {
        let mut digests = FileDigests::new();
        for (path, bytes) in &self.files {
            if path == crate::format::SIGNATURE_FILE {
                return Err(Error::InvalidPackage {
                    reason: "`signature.json` is reserved for the package signature".to_owned(),
                });
            }
            digests.insert(path, Sha256Digest::of(bytes))?;
        }
        Ok(digests)
    }

    /// The canonical package digest.
    pub fn digest(&self) -> Sha256Digest {
        // Paths were checked when the package was built or read.
        self.file_digests()
            .map(|d| d.package_digest())
            .unwrap_or(Sha256Digest([0; 32]))
    }

    /// The raw `signature.json`, if signed.
    pub fn signature_bytes(&self) -> Option<&[u8]> {
        self.signature.as_deref()
    }

    /// Signs the package with `key`, replacing any signature.
    pub fn sign(&mut self, key: &SigningKey) -> PackageSignature {
        let signature = PackageSignature::sign(&self.digest(), key);
        self.signature = Some(signature.to_bytes());
        signature
    }

    /// Drops the signature.
    pub fn strip_signature(&mut self) {
        self.signature = None;
    }

    /// Sets the raw `signature.json` (for tools and tests that move
    /// signatures around; nothing trusts it until it verifies).
    pub fn set_signature_bytes(&mut self, bytes: Vec<u8>) {
        self.signature = Some(bytes);
    }

    /// The raw `manifest.yaml`.
    ///
    /// # Errors
    /// `invalid_package` when the package has none.
    pub fn manifest_bytes(&self) -> Result<&[u8]> {
        self.files
            .get(MANIFEST_FILE)
            .map(Vec::as_slice)
            .ok_or_else(|| Error::InvalidPackage {
                reason: format!("the package has no {MANIFEST_FILE}"),
            })
    }

    /// The validated manifest; also checks that its entry file is present.
    ///
    /// # Errors
    /// `invalid_package` when the manifest or entry is missing;
    /// `invalid_manifest` when the manifest is invalid.
    pub fn manifest(&self) -> Result<Manifest> {
        let manifest = Manifest::from_bytes(self.manifest_bytes()?)?;
        let entry = manifest.entry.trim_start_matches("./");
        if !self.files.contains_key(entry) {
            return Err(Error::InvalidPackage {
                reason: format!("the entry `{}` is not in the package", manifest.entry),
            });
        }
        Ok(manifest)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// and a rename, so readers never see half a file.
///
/// # Errors
/// `io` when writing or renaming fails.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".morph-write-")
        .tempfile_in(parent)
        .map_err(|e| Error::io(format!("creating a file in {}", parent.display()), e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(format!("writing {}", path.display()), e.error))?;
    Ok(())
}
