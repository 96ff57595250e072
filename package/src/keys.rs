//! Publisher keys: Ed25519 signing keys kept in owner-only files, and their
//! public halves as text.
//!
//! A signing key file holds the 32-byte secret seed as 64 hex digits and is
//! created with mode 0600, never over an existing file. A public key file
//! holds 64 hex digits. Public keys are parsed strictly: weak (small-order)
//! keys are refused, so a signature can only verify under a real key.

use std::io::Write;
use std::path::Path;

use ed25519_dalek::{SigningKey, VerifyingKey};
use morph_capabilities::{Error, Result};

/// Largest key file read back.
const MAX_KEY_FILE_BYTES: u64 = 4096;

/// A fresh signing key from the operating system's random source.
pub fn generate_signing_key() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

/// Writes `key` to a new file at `path`, readable by its owner only.
///
/// # Errors
/// `io` when the file exists or cannot be written.
pub fn write_signing_key(path: &Path, key: &SigningKey) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| Error::io(format!("creating key file {}", path.display()), e))?;
    writeln!(file, "{}", hex::encode(key.to_bytes()))
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(format!("writing key file {}", path.display()), e))
}

/// Writes the public half of a key to a new file at `path`.
///
/// # Errors
/// `io` when the file exists or cannot be written.
pub fn write_public_key(path: &Path, key: &VerifyingKey) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
    writeln!(file, "{}", public_key_hex(key))
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// Reads a signing key written by [`write_signing_key`].
///
/// # Errors
/// `io` when it cannot be read; `invalid_params` when it is not a key.
pub fn read_signing_key(path: &Path) -> Result<SigningKey> {
    let text = read_small(path)?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed).map_err(|_| {
        Error::params(
            "key",
            format!("{} is not a signing key (64 hex digits)", path.display()),
        )
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Reads a public key file (64 hex digits).
///
/// # Errors
/// `io` when it cannot be read; `invalid_params` when it is not a key.
pub fn read_public_key(path: &Path) -> Result<VerifyingKey> {
    parse_public_key(read_small(path)?.trim())
        .map_err(|e| Error::params("key", format!("{}: {e}", path.display())))
}

/// Parses a public key from 64 hex digits, refusing weak keys.
///
/// # Errors
/// A message saying why the text is not a usable key.
pub fn parse_public_key(text: &str) -> std::result::Result<VerifyingKey, String> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text, &mut bytes)
        .map_err(|_| "not an Ed25519 public key (64 hex digits)".to_owned())?;
    let key = VerifyingKey::from_bytes(&bytes)
        .map_err(|_| "not a valid Ed25519 public key".to_owned())?;
    if key.is_weak() {
        return Err("a weak (small-order) Ed25519 key is refused".to_owned());
    }
    Ok(key)
}

/// The hex text of a public key, as key files and `signature.json` hold it.
pub fn public_key_hex(key: &VerifyingKey) -> String {
    hex::encode(key.as_bytes())
}

fn read_small(path: &Path) -> Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let mut text = String::new();
    file.take(MAX_KEY_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    Ok(text)
}
