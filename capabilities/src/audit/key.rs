//! The audit signing key: loading it, creating it, naming it.
//!
//! The key signs checkpoints (see [`super::checkpoint`]). The invariant kept
//! here: **a key file this module creates is readable by its owner only**
//! (mode `0600` on Unix, created atomically with `create_new` so it is never
//! briefly world-readable and never overwrites an existing key). A key file
//! holds the 32-byte Ed25519 secret, either raw or as 64 hex digits.

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
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    owner_only(&mut options);
    let ctx = || format!("creating {}", path.display());
    let mut file = match options.open(path) {
        Ok(f) => f,
        // Someone created it between our read and our create: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return load_signing_key(path),
        Err(e) => return Err(Error::io(ctx(), e)),
    };
    let mut text = hex::encode(key.to_bytes());
    text.push('\n');
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(ctx(), e))?;
    Ok(key)
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
