//! The vault's key file: the XChaCha20-Poly1305 keys that seal vault values,
//! kept apart from the store that holds the sealed values.
//!
//! The file sits at `<data dir>/vault.key` unless [`KEY_FILE_ENV`]
//! (`MORPH_VAULT_KEY_FILE`) names another path. It is JSON:
//!
//! ```json
//! {"morph_vault_keys": 1,
//!  "keys": [{"id": "3f2a9c0d1e4b5a67", "created_ms": 1767000000000, "key": "<64 hex digits>"}]}
//! ```
//!
//! A key's id is derived from the key (the first 8 bytes of a SHA-256 over
//! it, in hex), so a damaged or mistyped key is caught at load, and the id
//! stored beside each sealed value names the key that opens it.
//!
//! Invariants kept here: **a key file this module writes is readable by its
//! owner only** (mode `0600`, created with `create_new` so it is never
//! briefly world-readable) and **is replaced atomically** (a fresh file
//! beside it, synced, renamed over it, the directory synced), so a crash
//! leaves either the old ring or the new one, never half of one. A key file
//! others may write is refused. Key bytes never appear in `Debug` output or
//! in an error.

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The environment variable that names the key file, overriding the default.
pub const KEY_FILE_ENV: &str = "MORPH_VAULT_KEY_FILE";

/// The key file's name in the data dir when [`KEY_FILE_ENV`] is not set.
pub const DEFAULT_KEY_FILE: &str = "vault.key";

/// The format version written in the file.
const FORMAT: u32 = 1;

/// Largest key file read (a ring holds a handful of keys).
const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

/// Where the vault key file of `data_dir` is: `$MORPH_VAULT_KEY_FILE` when
/// set and not empty, else `<data_dir>/vault.key`.
pub fn key_file_path(data_dir: &Path) -> PathBuf {
    match std::env::var_os(KEY_FILE_ENV).filter(|v| !v.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => data_dir.join(DEFAULT_KEY_FILE),
    }
}

/// One 256-bit vault key and its id.
#[derive(Clone)]
pub struct VaultKey {
    id: String,
    bytes: [u8; 32],
    created_ms: i64,
}

impl std::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The id only, never the key.
        f.debug_struct("VaultKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl VaultKey {
    /// A fresh random key.
    ///
    /// # Errors
    /// `internal` when the operating system's random source fails.
    pub fn generate() -> Result<VaultKey> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|_| Error::internal("the system random source failed"))?;
        Ok(VaultKey::from_bytes(bytes, crate::broker::now_ms()))
    }

    fn from_bytes(bytes: [u8; 32], created_ms: u64) -> VaultKey {
        VaultKey {
            id: key_id(&bytes),
            bytes,
            created_ms: i64::try_from(created_ms).unwrap_or(i64::MAX),
        }
    }

    /// The key's id: 16 hex digits derived from the key.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// When the key was made (Unix milliseconds).
    pub fn created_ms(&self) -> i64 {
        self.created_ms
    }

    /// The key itself.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

/// The id of `key`: the first 8 bytes of SHA-256(`"morph-vault-key\0"` ‖ key), in hex.
fn key_id(key: &[u8; 32]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"morph-vault-key\0");
    hasher.update(key);
    hex::encode(&hasher.finalize()[..8])
}

/// The keys of one key file, oldest first.
#[derive(Clone, Debug)]
pub struct KeyRing {
    path: PathBuf,
    keys: Vec<VaultKey>,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    morph_vault_keys: u32,
    keys: Vec<FileKey>,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileKey {
    id: String,
    created_ms: i64,
    key: String,
}

impl KeyRing {
    /// The ring in the file at `path`, or `None` when there is no file.
    ///
    /// # Errors
    /// `io` when the file cannot be read, is writable by others, or is not a
    /// key file (bad JSON, a key that is not 64 hex digits, an id that does
    /// not match its key).
    pub fn load(path: &Path) -> Result<Option<KeyRing>> {
        let bad = |reason: String| {
            Error::io(
                format!("reading the vault key file {}", path.display()),
                io::Error::new(io::ErrorKind::InvalidData, reason),
            )
        };
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::io(
                    format!("reading the vault key file {}", path.display()),
                    e,
                ));
            }
        };
        check_private(&file, path)?;
        let mut text = Vec::new();
        file.take(MAX_KEY_FILE_BYTES + 1)
            .read_to_end(&mut text)
            .map_err(|e| Error::io(format!("reading the vault key file {}", path.display()), e))?;
        if text.len() as u64 > MAX_KEY_FILE_BYTES {
            return Err(bad(format!("larger than {MAX_KEY_FILE_BYTES} bytes")));
        }
        let doc: FileDoc =
            serde_json::from_slice(&text).map_err(|e| bad(format!("not a vault key file: {e}")))?;
        if doc.morph_vault_keys != FORMAT {
            return Err(bad(format!(
                "format {} is not the one this Morph reads ({FORMAT})",
                doc.morph_vault_keys
            )));
        }
        let mut keys = Vec::with_capacity(doc.keys.len());
        for entry in doc.keys {
            let mut bytes = [0u8; 32];
            if hex::decode_to_slice(entry.key.trim(), &mut bytes).is_err() {
                return Err(bad(format!(
                    "key `{}` is not 64 hex digits",
                    crate::truncate_for_message(&entry.id, 32)
                )));
            }
            let key = VaultKey {
                id: key_id(&bytes),
                bytes,
                created_ms: entry.created_ms,
            };
            if key.id != entry.id {
                return Err(bad(format!(
                    "key `{}` does not match its id (the key was altered)",
                    crate::truncate_for_message(&entry.id, 32)
                )));
            }
            keys.push(key);
        }
        Ok(Some(KeyRing {
            path: path.to_owned(),
            keys,
        }))
    }

    /// Creates the key file at `path` (mode `0600`) holding one fresh key;
    /// when another process created it first, loads that one instead.
    ///
    /// # Errors
    /// `io` when the file cannot be created or read back.
    pub fn create(path: &Path) -> Result<KeyRing> {
        let ring = KeyRing {
            path: path.to_owned(),
            keys: vec![VaultKey::generate()?],
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        }
        match write_new(path, &ring.to_text()?) {
            Ok(()) => {
                sync_dir(path);
                Ok(ring)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                KeyRing::load(path)?.ok_or_else(|| {
                    Error::io(
                        format!("reading the vault key file {}", path.display()),
                        io::Error::new(io::ErrorKind::NotFound, "vanished while created"),
                    )
                })
            }
            Err(e) => Err(Error::io(
                format!("creating the vault key file {}", path.display()),
                e,
            )),
        }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key with this id.
    pub fn get(&self, id: &str) -> Option<&VaultKey> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// The newest key (the one a store with no active key starts with).
    pub fn newest(&self) -> Option<&VaultKey> {
        self.keys.iter().max_by_key(|k| k.created_ms)
    }

    /// The ids of the keys, oldest first.
    pub fn ids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.id.clone()).collect()
    }

    /// Adds a fresh key; returns it. The file is unchanged until [`KeyRing::save`].
    ///
    /// # Errors
    /// `internal` when the random source fails.
    pub fn add_new_key(&mut self) -> Result<VaultKey> {
        let key = VaultKey::generate()?;
        self.keys.push(key.clone());
        Ok(key)
    }

    /// Drops every key whose id is not in `keep`; returns the ids dropped.
    /// The file is unchanged until [`KeyRing::save`].
    pub fn retain(&mut self, keep: &[String]) -> Vec<String> {
        let dropped = self
            .keys
            .iter()
            .filter(|k| !keep.contains(&k.id))
            .map(|k| k.id.clone())
            .collect();
        self.keys.retain(|k| keep.contains(&k.id));
        dropped
    }

    /// Replaces the file atomically with this ring.
    ///
    /// # Errors
    /// `io` when the new file cannot be written, synced or renamed.
    pub fn save(&self) -> Result<()> {
        let text = self.to_text()?;
        let ctx = || format!("writing the vault key file {}", self.path.display());
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
        let temp = self.path.with_file_name(name);
        if let Err(e) = write_new(&temp, &text) {
            let _ = std::fs::remove_file(&temp);
            return Err(Error::io(ctx(), e));
        }
        if let Err(e) = std::fs::rename(&temp, &self.path) {
            let _ = std::fs::remove_file(&temp);
            return Err(Error::io(ctx(), e));
        }
        sync_dir(&self.path);
        Ok(())
    }

    fn to_text(&self) -> Result<Vec<u8>> {
        let doc = FileDoc {
            morph_vault_keys: FORMAT,
            keys: self
                .keys
                .iter()
                .map(|k| FileKey {
                    id: k.id.clone(),
                    created_ms: k.created_ms,
                    key: hex::encode(k.bytes),
                })
                .collect(),
        };
        let mut text = serde_json::to_vec_pretty(&doc)
            .map_err(|_| Error::internal("the vault key ring is not serialisable"))?;
        text.push(b'\n');
        Ok(text)
    }
}

/// Writes `text` to a file that must not exist yet, owner-only, and syncs it.
fn write_new(path: &Path, text: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text)?;
    file.sync_all()
}

/// Makes a rename or creation in `path`'s directory durable (best effort:
/// not every platform can sync a directory).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(dir) = std::fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
}

/// Refuses a key file others may write (they could plant a key of theirs);
/// warns when others may read it.
#[cfg(unix)]
fn check_private(file: &std::fs::File, path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file
        .metadata()
        .map_err(|e| Error::io(format!("reading the vault key file {}", path.display()), e))?
        .permissions()
        .mode();
    if mode & 0o022 != 0 {
        return Err(Error::io(
            format!("reading the vault key file {}", path.display()),
            io::Error::new(
                io::ErrorKind::PermissionDenied,
                "other users may write it; chmod 600 it",
            ),
        ));
    }
    if mode & 0o044 != 0 {
        tracing::warn!(
            path = %path.display(),
            "the vault key file is readable by other users; chmod 600 it"
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_file: &std::fs::File, _path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_ring_loads_back_with_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.key");
        let ring = KeyRing::create(&path).unwrap();
        let loaded = KeyRing::load(&path).unwrap().unwrap();
        assert_eq!(ring.ids(), loaded.ids());
        let id = &ring.ids()[0];
        assert_eq!(id.len(), 16);
        assert_eq!(
            ring.get(id).unwrap().bytes(),
            loaded.get(id).unwrap().bytes()
        );
        // A second create keeps the first key.
        let again = KeyRing::create(&path).unwrap();
        assert_eq!(again.ids(), ring.ids());
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_and_a_writable_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.key");
        let mut ring = KeyRing::create(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        ring.add_new_key().unwrap();
        ring.save().unwrap();
        assert_eq!(mode(&path), 0o600, "a saved ring stays private");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let err = KeyRing::load(&path).unwrap_err();
        assert_eq!(err.code().as_str(), "io");
    }

    #[test]
    fn a_missing_file_is_none_and_an_altered_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.key");
        assert!(KeyRing::load(&path).unwrap().is_none());
        KeyRing::create(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let key = doc["keys"][0]["key"].as_str().unwrap().to_owned();
        let flipped = if key.starts_with('0') { "1" } else { "0" };
        std::fs::write(
            &path,
            text.replace(&key, &format!("{flipped}{}", &key[1..])),
        )
        .unwrap();
        let err = KeyRing::load(&path).unwrap_err();
        assert!(err.to_string().contains("does not match its id"), "{err}");
        assert!(
            !err.to_string().contains(&key[1..]),
            "no key bytes in errors"
        );
        std::fs::write(&path, "not json").unwrap();
        assert_eq!(KeyRing::load(&path).unwrap_err().code().as_str(), "io");
    }

    #[test]
    fn retain_drops_keys_and_debug_shows_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut ring = KeyRing::create(&dir.path().join("vault.key")).unwrap();
        let old = ring.ids()[0].clone();
        let new = ring.add_new_key().unwrap();
        assert_eq!(ring.newest().unwrap().id(), new.id());
        let debug = format!("{ring:?}");
        assert!(!debug.contains(&hex::encode(new.bytes())));
        assert_eq!(ring.retain(&[new.id().to_owned()]), vec![old]);
        assert_eq!(ring.ids(), vec![new.id().to_owned()]);
    }
}
