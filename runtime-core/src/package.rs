//! An extension package as the host loads it: a manifest, its digest, and the
//! files beside it.
//!
//! A package is a directory today (`manifest.yaml` plus the entry file and
//! assets); signed `.morph` archives unpack into the same shape. **Every file
//! a runtime reads is resolved beneath the package root**: the entry and any
//! asset must stay inside it after symlinks are resolved, and reads are
//! capped before anything is allocated.
//!
//! Sealed `.morph` archives are opened by an [`ArchiveOpener`] the app hands
//! to the host (the `morph-package` crate provides one that checks the
//! signature against a trust store): runtime-core knows no archive format,
//! and **a host without an opener refuses every archive**.

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
    origin: Option<String>,
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
            origin: None,
        };
        open_beneath(&package.root, &package.manifest.entry)?;
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

    /// Where the package comes from, the identity its extension id is bound
    /// to in a data dir: `dir:<canonical path>` for a package directory, or
    /// what [`ExtensionPackage::with_origin`] set (a publisher key for a
    /// signed archive).
    pub fn origin(&self) -> String {
        match &self.origin {
            Some(origin) => origin.clone(),
            None => format!("dir:{}", self.root.display()),
        }
    }

    /// Replaces the origin: an [`ArchiveOpener`] names the verified
    /// publisher here, so the id stays bound to its key across updates and
    /// unpack locations.
    pub fn with_origin(mut self, origin: impl Into<String>) -> ExtensionPackage {
        self.origin = Some(origin.into());
        self
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

    /// The regular files beneath the directory `under` (relative to the
    /// root, `""` for the root itself), as relative paths with `/`,
    /// sorted. Symlinks are skipped, never followed; hidden entries (a name
    /// starting with `.`) are skipped.
    ///
    /// # Errors
    /// `invalid_package` when `under` is not a plain relative directory or
    /// the package holds more than `max_files` files there; `io` when a
    /// directory cannot be read.
    pub fn list_files(&self, under: &str, max_files: usize) -> Result<Vec<String>> {
        let root = cap_std::fs::Dir::open_ambient_dir(&self.root, cap_std::ambient_authority())
            .map_err(|e| Error::io(format!("opening package {}", self.root.display()), e))?;
        let start = if under.is_empty() || under == "." {
            root
        } else {
            let rel = plain_relative(under)?;
            root.open_dir(rel).map_err(|e| Error::InvalidPackage {
                reason: format!("`{under}`: {e} (it must be a directory inside the package)"),
            })?
        };
        let mut files = Vec::new();
        let mut pending = vec![(start, String::new())];
        while let Some((dir, prefix)) = pending.pop() {
            let entries = dir
                .entries()
                .map_err(|e| Error::io(format!("listing `{prefix}`"), e))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(format!("listing `{prefix}`"), e))?;
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                if name.starts_with('.') {
                    continue;
                }
                let kind = entry
                    .file_type()
                    .map_err(|e| Error::io(format!("reading `{prefix}{name}`"), e))?;
                let path = format!("{prefix}{name}");
                if kind.is_dir() {
                    let sub = entry
                        .open_dir()
                        .map_err(|e| Error::io(format!("opening `{path}`"), e))?;
                    pending.push((sub, format!("{path}/")));
                } else if kind.is_file() {
                    if files.len() >= max_files {
                        return Err(Error::InvalidPackage {
                            reason: format!("the package holds more than {max_files} files"),
                        });
                    }
                    files.push(path);
                }
            }
        }
        files.sort();
        Ok(files)
    }
}

/// Checks that `relative` is a plain relative path (no `..`, no root, no NUL).
fn plain_relative(relative: &str) -> Result<&Path> {
    let rel = Path::new(relative);
    if relative.is_empty()
        || relative.contains('\0')
        || rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(Error::InvalidPackage {
            reason: format!("`{relative}` is not a plain relative path"),
        });
    }
    Ok(rel)
}

/// Opens the regular file `relative` beneath `root` with cap-std, which
/// refuses any path or symlink that leads outside the root while it resolves
/// (no check-then-open race).
fn open_beneath(root: &Path, relative: &str) -> Result<cap_std::fs::File> {
    let bad = |reason: String| Error::InvalidPackage { reason };
    let rel = plain_relative(relative)?;
    let dir = cap_std::fs::Dir::open_ambient_dir(root, cap_std::ambient_authority())
        .map_err(|e| Error::io(format!("opening package {}", root.display()), e))?;
    let file = dir.open(rel).map_err(|e| {
        bad(format!(
            "`{relative}`: {e} (it must exist inside the package)"
        ))
    })?;
    let meta = file
        .metadata()
        .map_err(|e| Error::io(format!("reading `{relative}`"), e))?;
    if !meta.is_file() {
        return Err(bad(format!("`{relative}` is not a regular file")));
    }
    Ok(file)
}

/// Reads at most `max` bytes of the regular file `relative` beneath `root`.
fn read_beneath(root: &Path, relative: &str, max: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_beneath(root, relative)?
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(format!("reading `{relative}`"), e))?;
    if bytes.len() as u64 > max {
        return Err(Error::InvalidPackage {
            reason: format!("`{relative}` is larger than {max} bytes"),
        });
    }
    Ok(bytes)
}

/// A sealed archive opened for loading: the unpacked package and whatever
/// keeps its files alive (a staging directory removed when dropped).
pub struct OpenedArchive {
    /// The verified, unpacked package.
    pub package: ExtensionPackage,
    /// Dropped once the host has loaded the package (runtimes read the entry
    /// while loading).
    pub keep_alive: Box<dyn Send + Sync>,
}

impl std::fmt::Debug for OpenedArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedArchive")
            .field("package", &self.package)
            .finish_non_exhaustive()
    }
}

/// Opens a sealed package archive (a `.morph` file) for the host: checks
/// it (signature, trust, safe unpacking) and returns the unpacked package.
/// Set with [`HostBuilder::with_archive_opener`](crate::HostBuilder::with_archive_opener).
pub trait ArchiveOpener: Send + Sync {
    /// Opens the archive at `path`.
    ///
    /// # Errors
    /// `unsigned_package`, `signature_invalid`, `untrusted_publisher`,
    /// `invalid_package`, `invalid_manifest`, `io`: whatever refuses it.
    fn open_archive(&self, path: &Path) -> Result<OpenedArchive>;
}
