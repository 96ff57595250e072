//! The audit signing key: where it lives, loading it, creating it, moving it
//! out of an older data dir, naming it.
//!
//! The key signs checkpoints (see [`super::checkpoint`]). **It lives outside
//! the data dir**, so that whoever can write the data dir alone (a restored
//! backup, a shared volume, a process running as the data dir's account but
//! without the operator's home) cannot re-sign a rewritten history: at
//! `$MORPH_AUDIT_KEY_FILE` ([`KEY_FILE_ENV`]) if set, else one key per log
//! in the user's config dir, `$XDG_CONFIG_HOME/morph/audit-keys/<id>.key`
//! (`~/.config/...` without `XDG_CONFIG_HOME`), `<id>` naming the log's
//! directory by the SHA-256 of its canonical path ([`signing_key_path`]).
//! Invariants kept here:
//!
//! - **A key file this module creates is readable by its owner only** (mode
//!   `0600`, its directories `0700`, never briefly world-readable) **and
//!   appears whole**: it is written to a private temporary file first and
//!   linked into place, which fails rather than overwrite a key another
//!   process created first.
//! - **A log's key is never chosen from inside the data dir once it has one
//!   outside.** An older data dir's `audit/audit.key` ([`KEY_FILE`]) is moved
//!   out on open, the same key, so old checkpoints still verify; a key found
//!   there when the log already has one outside is refused, not adopted.
//! - **A log that has checkpoints is never given a fresh key**: when its key
//!   is missing (a data dir moved to another path, a lost config dir) opening
//!   it fails and says where the key is expected.
//! - **The key never reaches a worker process**: only the host reads it,
//!   once, into memory (the file is opened close-on-exec and closed at once);
//!   a worker starts with an empty environment and no descriptor above
//!   stderr (`process/src/confine.rs`).
//!
//! A key file holds the 32-byte Ed25519 secret, either raw or as 64 hex
//! digits.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::file::{CHECKPOINTS_FILE, KEY_FILE};
use crate::error::{Error, Result};

/// The environment variable naming the audit key file (every log opened by
/// the process is signed with it).
pub const KEY_FILE_ENV: &str = "MORPH_AUDIT_KEY_FILE";

/// The directory, under the user's config dir, of the per-log key files.
pub const KEYS_DIR: &str = "morph/audit-keys";

/// Where the signing key of the log kept in `audit_dir` lives:
/// `$MORPH_AUDIT_KEY_FILE` when set, else
/// `<config dir>/morph/audit-keys/<id>.key` where the config dir is
/// `$XDG_CONFIG_HOME`, else `$HOME/.config` (`%APPDATA%` on Windows) and
/// `<id>` is the first 16 hex digits of the SHA-256 of `audit_dir`'s
/// canonical path.
///
/// # Errors
/// `io` when neither `MORPH_AUDIT_KEY_FILE` nor a config dir is set.
pub fn signing_key_path(audit_dir: &Path) -> Result<PathBuf> {
    if let Some(path) = env_path(KEY_FILE_ENV) {
        return Ok(path);
    }
    let config = config_dir().ok_or_else(|| {
        Error::io(
            "finding the audit signing key",
            io::Error::new(
                io::ErrorKind::NotFound,
                "no config dir (XDG_CONFIG_HOME, HOME): set MORPH_AUDIT_KEY_FILE",
            ),
        )
    })?;
    Ok(config
        .join(KEYS_DIR)
        .join(format!("{}.key", log_id(audit_dir))))
}

/// The key a writer of the log in `audit_dir` signs with (what
/// [`FileAuditLog::open_in`](super::FileAuditLog::open_in) uses): moves an
/// older `audit_dir/audit.key` out to [`signing_key_path`] (the same key),
/// else reads the key there, else creates it (mode `0600`) for a log without
/// checkpoints.
///
/// # Errors
/// `io` when the key cannot be read, created or moved out; when the log has
/// checkpoints but its key is missing; when the data dir holds a key other
/// than the one the log already has outside it.
pub fn open_signing_key(audit_dir: &Path) -> Result<SigningKey> {
    let path = signing_key_path(audit_dir)?;
    if let Some(key) = move_out_legacy_key(audit_dir, &path)? {
        return Ok(key);
    }
    if !path.exists() && has_checkpoints(audit_dir) {
        return Err(Error::io(
            format!("reading {}", path.display()),
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{} holds signed checkpoints but their key is not here (a data dir \
                     moved to another path keeps its key under its old id): move the key \
                     here or set {KEY_FILE_ENV} to it; a fresh key would not verify them",
                    audit_dir.display()
                ),
            ),
        ));
    }
    if let Some(parent) = path.parent() {
        private_dir(parent)?;
    }
    load_or_create_signing_key(&path)
}

/// The key the log in `audit_dir` is signed with, for verifying it, without
/// changing anything: the one at [`signing_key_path`], else (only while that
/// does not exist) an older `audit_dir/audit.key` not yet moved out.
///
/// # Errors
/// `io` when that key is missing or unreadable.
pub fn read_signing_key(audit_dir: &Path) -> Result<SigningKey> {
    let path = signing_key_path(audit_dir)?;
    let legacy = audit_dir.join(KEY_FILE);
    if !path.exists() && legacy.exists() {
        return load_signing_key(&legacy);
    }
    load_signing_key(&path)
}

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
    match create_key_file(path, &key) {
        Ok(()) => Ok(key),
        // Someone created it between our read and our link: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => load_signing_key(path),
        Err(e) => Err(Error::io(format!("creating {}", path.display()), e)),
    }
}

/// A short, stable name for a public key: the first 16 hex digits of the
/// SHA-256 of its bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    hex::encode(&digest[..8])
}

/// Moves `audit_dir/audit.key` (a data dir from before the key moved out)
/// to `path`, the same key, and returns it; `None` when there is none.
fn move_out_legacy_key(audit_dir: &Path, path: &Path) -> Result<Option<SigningKey>> {
    let legacy = audit_dir.join(KEY_FILE);
    if same_path(&legacy, path) {
        // MORPH_AUDIT_KEY_FILE names the old place itself: nothing to move.
        return Ok(None);
    }
    let key = match load_signing_key(&legacy) {
        Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            return Ok(None);
        }
        other => other?,
    };
    if let Some(parent) = path.parent() {
        private_dir(parent)?;
    }
    match create_key_file(path, &key) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            // Moved out already (another process on this data dir), or the
            // log has another key: a key in the data dir is never adopted.
            let outside = load_signing_key(path)?;
            if outside.verifying_key() != key.verifying_key() {
                return Err(Error::io(
                    format!("moving {} out of the data dir", legacy.display()),
                    io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!(
                            "it holds key {} but this log's key at {} is {}: a key inside \
                             the data dir is not trusted; remove it (or, if it is the one \
                             that signed this log, move it to {} yourself)",
                            key_id(&key.verifying_key()),
                            path.display(),
                            key_id(&outside.verifying_key()),
                            path.display()
                        ),
                    ),
                ));
            }
        }
        Err(e) => return Err(Error::io(format!("creating {}", path.display()), e)),
    }
    match std::fs::remove_file(&legacy) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(format!("removing {}", legacy.display()), e)),
    }
    tracing::info!(
        from = %legacy.display(),
        to = %path.display(),
        "moved the audit signing key out of the data dir (the same key: old checkpoints verify)"
    );
    Ok(Some(key))
}

/// Writes `key` to a new file at `path`, owner-only, whole: a private
/// temporary file linked into place. `AlreadyExists` if `path` exists.
fn create_key_file(path: &Path, key: &SigningKey) -> io::Result<()> {
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
    linked
}

/// Whether `a` and `b` name the same file (or, absent, the same path).
fn same_path(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Whether the checkpoint file in `audit_dir` holds anything.
fn has_checkpoints(audit_dir: &Path) -> bool {
    std::fs::metadata(audit_dir.join(CHECKPOINTS_FILE)).is_ok_and(|m| m.len() > 0)
}

/// The first 16 hex digits of the SHA-256 of `dir`'s canonical path (the
/// path as given if it cannot be resolved).
fn log_id(dir: &Path) -> String {
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    hex::encode(&digest[..8])
}

/// `$XDG_CONFIG_HOME`, else `$HOME/.config` (`%APPDATA%` on Windows).
fn config_dir() -> Option<PathBuf> {
    if let Some(xdg) = env_path("XDG_CONFIG_HOME").filter(|p| p.is_absolute()) {
        return Some(xdg);
    }
    if cfg!(windows)
        && let Some(appdata) = env_path("APPDATA")
    {
        return Some(appdata);
    }
    env_path("HOME").map(|home| home.join(".config"))
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
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

/// Creates `dir` (and its parents) readable by its owner only if absent.
fn private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))
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
