//! The audit signing key: loading it, creating it, naming it.
//!
//! The key signs checkpoints (see [`super::checkpoint`]). The invariant kept
//! here: **a key file this module creates is readable by its owner only**
//! (mode `0600` on Unix, never briefly world-readable) **and appears whole**:
//! it is written to a private temporary file first and linked into place,
//! which fails rather than overwrite a key another process created first, so
//! a concurrent reader never sees a half-written key. A key file holds the
//! 32-byte Ed25519 secret, either raw or as 64 hex digits.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Reads the signing key at `path`.
///
/// # Errors
/// `io` if the file cannot be read or does not hold a 32-byte key (raw or hex).
pub fn load_signing_key(path: &Path) -> Result<SigningKey> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    parse_key(&bytes).ok_or_else(|| {
        Error::io(
            format!("reading {}", path.display()),
            io::Error::new(
                io::ErrorKind::InvalidData,
                "not an Ed25519 secret key (32 raw bytes or 64 hex digits)",
            ),
        )
    })
}

/// Reads the signing key at `path`, or creates one (mode `0600`) if the file
/// does not exist.
///
/// # Errors
/// `io` if the key cannot be read, parsed or created.
pub fn load_or_create_signing_key(path: &Path) -> Result<SigningKey> {
    match load_signing_key(path) {
        Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
        other => return other.inspect(|_| warn_if_exposed(path)),
    }
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let ctx = || format!("creating {}", path.display());
    let temp = path.with_extension(format!(
        "tmp-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    owner_only(&mut options);
    let written = options.open(&temp).and_then(|mut file| {
        let mut text = hex::encode(key.to_bytes());
        text.push('\n');
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    // Linking never replaces an existing file: the first creator wins.
    let linked = written.and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(key),
        // Someone created it between our read and our link: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => load_signing_key(path),
        Err(e) => Err(Error::io(ctx(), e)),
    }
}

/// A short, stable name for a public key: the first 16 hex digits of the
/// SHA-256 of its bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    hex::encode(&digest[..8])
}

fn parse_key(bytes: &[u8]) -> Option<SigningKey> {
    if let Ok(raw) = <[u8; 32]>::try_from(bytes) {
        return Some(SigningKey::from_bytes(&raw));
    }
    let text = std::str::from_utf8(bytes).ok()?.trim();
    let mut raw = [0u8; 32];
    hex::decode_to_slice(text, &mut raw).ok()?;
    Some(SigningKey::from_bytes(&raw))
}

/// New key files are readable and writable by their owner only.
#[cfg(unix)]
fn owner_only(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600);
}

#[cfg(not(unix))]
fn owner_only(_options: &mut OpenOptions) {}

#[cfg(unix)]
fn warn_if_exposed(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "the audit signing key is readable by other users; chmod 600 it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_exposed(_path: &Path) {}
