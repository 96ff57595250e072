//! Unpacking a `.morph` archive onto disk, safely.
//!
//! Files go into a **fresh staging directory** (a new, private temporary
//! directory) and are created through a `cap-std` handle on it, so no path
//! can resolve outside it, and only with `create_new`, so nothing already
//! there is written through. The stream passes every check of
//! [`read_archive`] while it is written. On any failure the staging
//! directory is removed whole: **nothing is written outside the target, and
//! a failed unpack leaves nothing behind**. [`Staged::persist`] then renames
//! the finished tree into place.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use cap_std::fs::{Dir, OpenOptions};
use morph_capabilities::{Error, Result};
use sha2::{Digest, Sha256};

use crate::archive::{Limits, read_archive};
use crate::digest::{FileDigests, Sha256Digest};

/// An unpacked package in its staging directory (removed when dropped).
#[derive(Debug)]
pub struct Staged {
    dir: tempfile::TempDir,
    digests: FileDigests,
    signature: Option<Vec<u8>>,
}

impl Staged {
    /// The staging directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The canonical package digest of what was unpacked.
    pub fn digest(&self) -> Sha256Digest {
        self.digests.package_digest()
    }

    /// Each unpacked file with its SHA-256.
    pub fn file_digests(&self) -> &FileDigests {
        &self.digests
    }

    /// The raw `signature.json`, if the archive had one (not unpacked).
    pub fn signature_bytes(&self) -> Option<&[u8]> {
        self.signature.as_deref()
    }

    /// Renames the unpacked tree to `target`, which must not exist and must
    /// be on the same file system as the staging directory.
    ///
    /// # Errors
    /// `io` when `target` exists or the rename fails (the staging directory
    /// is then removed).
    pub fn persist(self, target: &Path) -> Result<PathBuf> {
        if target.exists() {
            return Err(Error::io(
                format!("unpacking to {}", target.display()),
                std::io::Error::from(std::io::ErrorKind::AlreadyExists),
            ));
        }
        let staged = self.dir.keep();
        std::fs::rename(&staged, target).map_err(|e| {
            let _ = std::fs::remove_dir_all(&staged);
            Error::io(format!("moving the package to {}", target.display()), e)
        })?;
        Ok(target.to_path_buf())
    }
}

/// Unpacks the `.morph` stream `compressed` into a new staging directory
/// created inside `parent`.
///
/// # Errors
/// `invalid_package` for a hostile or malformed archive; `io` when the
/// staging directory cannot be created or written.
pub fn unpack(compressed: impl Read, limits: &Limits, parent: &Path) -> Result<Staged> {
    std::fs::create_dir_all(parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let dir = tempfile::Builder::new()
        .prefix(".morph-unpack-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(format!("creating a staging dir in {}", parent.display()), e))?;
    let root = Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority())
        .map_err(|e| Error::io("opening the staging dir", e))?;
    let mut digests = FileDigests::new();
    let summary = read_archive(compressed, limits, &mut |file| {
        let io_err = |e: std::io::Error| Error::io(format!("unpacking `{}`", file.path), e);
        if let Some((parent, _)) = file.path.rsplit_once('/') {
            root.create_dir_all(parent).map_err(io_err)?;
        }
        let mut out = root
            .open_with(file.path, OpenOptions::new().write(true).create_new(true))
            .map_err(|e| Error::InvalidPackage {
                reason: format!("cannot create `{}` in the staging dir: {e}", file.path),
            })?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file
                .reader
                .read(&mut buf)
                .map_err(|e| Error::InvalidPackage {
                    reason: format!("reading `{}`: {e}", file.path),
                })?;
            if n == 0 {
                break;
            }
            let chunk = buf.get(..n).unwrap_or_default();
            hasher.update(chunk);
            out.write_all(chunk).map_err(io_err)?;
        }
        out.sync_all().map_err(io_err)?;
        digests.insert(file.path, Sha256Digest(hasher.finalize().into()))
    })?;
    Ok(Staged {
        dir,
        digests,
        signature: summary.signature,
    })
}
