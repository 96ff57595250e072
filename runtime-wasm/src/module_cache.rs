//! The on-disk cache of compiled modules (brief section 7).
//!
//! An entry is one file, `<dir>/<key>.bin`, keyed by the SHA-256 of the wasm
//! bytes, the engine's name and version and a fingerprint of the compile
//! configuration (see [`CacheKey`]). The file starts with a small header that
//! repeats the key and carries the SHA-256 of the artifact that follows.
//!
//! **An artifact is handed out only as a [`VerifiedArtifact`], whose hash
//! matched the header**: a truncated, corrupted or misplaced entry is
//! reported as [`Lookup::Rejected`] and never reaches the engine's (unsafe)
//! deserializer; the caller recompiles and overwrites it. Entries are
//! written to a temporary file in the same directory and renamed into place,
//! so a reader never sees half an entry.
//!
//! The hash protects against accidents (torn writes, bit rot, a file copied
//! under another name). Against other users, the cache trusts only what the
//! host's own user controls (on Unix, as ssh's `StrictModes` does): **an
//! entry is read only when the cache directory and the entry are owned by
//! the effective user and writable by nobody else**. Otherwise the lookup is
//! [`Lookup::Rejected`] and nothing is stored there; the module is compiled
//! instead. The directory is created `0700`, entries `0600`. Someone who
//! can write as the host's own user is out of scope: they could replace the
//! host's binary too.
//!
//! **The cache is bounded** ([`CacheCaps`]), since every extension of every
//! host of this user shares it and one extension could otherwise fill the
//! disk (a new key for each version, each change of its limits, each module
//! it is rebuilt from): an artifact larger than
//! [`CacheCaps::max_entry_bytes`] is not stored (the module is compiled on
//! every load instead), and after each store the least recently used entries
//! (by modification time, which a hit refreshes) are deleted until at most
//! [`CacheCaps::max_entries`] entries of at most [`CacheCaps::max_bytes`] in
//! total remain. Only files named like an entry (or like this cache's
//! temporary files, once an hour old) are ever deleted, so a cache directory
//! pointed at a shared place loses nothing else.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

/// First bytes of every entry (format version 1).
const MAGIC: &[u8; 8] = b"MORPHMC1";
/// Room for an entry's header (magic, key, hash, length) beyond its artifact.
const MAX_HEADER_BYTES: u64 = 4096;
/// A temporary file older than this was left by a writer that died.
const STALE_TEMP_AGE: Duration = Duration::from_secs(3600);
/// Distinguishes temporary files of concurrent writers in one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// How much the cache may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheCaps {
    /// Entries in total, in bytes.
    pub max_bytes: u64,
    /// Number of entries.
    pub max_entries: usize,
    /// One artifact, in bytes; a bigger one is not stored.
    pub max_entry_bytes: u64,
}

impl CacheCaps {
    /// 512 MiB in at most 256 entries, none above 128 MiB. A compiled test
    /// guest takes 2.3 MiB; the largest artifact measured (a 10.7 MiB Go
    /// module, `runtime-wasm/README.md`) 94 MiB.
    pub(crate) const DEFAULT: CacheCaps = CacheCaps {
        max_bytes: 512 << 20,
        max_entries: 256,
        max_entry_bytes: 128 << 20,
    };
}

/// The name of a cache entry: `<sha256(wasm)>-<engine>-<version>-<config>`,
/// where `<config>` is the first 16 hex digits of the SHA-256 of the compile
/// configuration's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CacheKey(String);

impl CacheKey {
    /// The key of `wasm` compiled by `engine` `version` with the configuration
    /// described by `config` (every setting that changes the artifact).
    pub(crate) fn new(wasm: &[u8], engine: &str, version: &str, config: &str) -> CacheKey {
        let wasm_hash = hex::encode(Sha256::digest(wasm));
        let config_hash = hex::encode(Sha256::digest(config.as_bytes()));
        let safe = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        };
        // A SHA-256 in hex is 64 ASCII digits: the slice below cannot fail.
        CacheKey(format!(
            "{wasm_hash}-{}-{}-{}",
            safe(engine),
            safe(version),
            &config_hash[..16]
        ))
    }

    /// The key as text (also the entry's file stem).
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Artifact bytes whose SHA-256 matched the one recorded when they were
/// stored. Only [`ModuleCache::load`] creates one.
#[derive(Debug)]
pub(crate) struct VerifiedArtifact(Vec<u8>);

impl VerifiedArtifact {
    /// The artifact.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// What a lookup found.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// An intact entry.
    Hit(VerifiedArtifact),
    /// No entry.
    Miss,
    /// An entry that failed verification (the reason says how); it was not
    /// handed out and should be overwritten.
    Rejected(String),
}

/// A directory of compiled modules.
#[derive(Debug)]
pub(crate) struct ModuleCache {
    dir: PathBuf,
    caps: CacheCaps,
}

impl ModuleCache {
    /// A cache in `dir` (created on the first store) with the default caps.
    pub(crate) fn new(dir: PathBuf) -> ModuleCache {
        ModuleCache::with_caps(dir, CacheCaps::DEFAULT)
    }

    /// A cache in `dir` holding at most `caps`.
    pub(crate) fn with_caps(dir: PathBuf, caps: CacheCaps) -> ModuleCache {
        ModuleCache { dir, caps }
    }

    fn path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.bin", key.as_str()))
    }

    /// Reads and verifies the entry for `key`.
    pub(crate) fn load(&self, key: &CacheKey) -> Lookup {
        let file = match File::open(self.path(key)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Lookup::Miss,
            Err(e) => return Lookup::Rejected(format!("unreadable: {e}")),
        };
        // The directory, then the opened file itself (not its path again).
        let trusted = fs::metadata(&self.dir)
            .and_then(|m| private("the cache directory", &m))
            .and_then(|()| file.metadata())
            .and_then(|m| private("the entry", &m));
        if let Err(e) = trusted {
            return Lookup::Rejected(format!("untrusted: {e}"));
        }
        let max = self.caps.max_entry_bytes + MAX_HEADER_BYTES;
        let mut bytes = Vec::new();
        if let Err(e) = (&file).take(max + 1).read_to_end(&mut bytes) {
            return Lookup::Rejected(format!("unreadable: {e}"));
        }
        if bytes.len() as u64 > max {
            return Lookup::Rejected(format!("larger than {max} bytes"));
        }
        match decode(&bytes, key) {
            Ok(range_start) => {
                // Recently used: the sweep deletes the least recently used.
                // Best effort (a read-only cache still serves).
                let _ = file.set_modified(SystemTime::now());
                bytes.drain(..range_start);
                Lookup::Hit(VerifiedArtifact(bytes))
            }
            Err(why) => Lookup::Rejected(why.to_owned()),
        }
    }

    /// Stores `artifact` under `key`, atomically replacing any entry, then
    /// deletes the least recently used entries past the caps. An artifact
    /// larger than [`CacheCaps::max_entry_bytes`] is not stored.
    ///
    /// # Errors
    /// The I/O error, or `InvalidInput` for an artifact too large to store;
    /// the cache is an optimisation, callers log and go on.
    pub(crate) fn store(&self, key: &CacheKey, artifact: &[u8]) -> io::Result<()> {
        if artifact.len() as u64 > self.caps.max_entry_bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "an artifact of {} bytes is larger than the {} bytes one cache entry may hold",
                    artifact.len(),
                    self.caps.max_entry_bytes
                ),
            ));
        }
        create_private_dir(&self.dir)?;
        private("the cache directory", &fs::metadata(&self.dir)?)?;
        let temp = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            key.as_str(),
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let result =
            write_entry(&temp, key, artifact).and_then(|()| fs::rename(&temp, self.path(key)));
        if result.is_err() {
            // Best effort: a leftover temporary file is harmless (never read).
            let _ = fs::remove_file(&temp);
        }
        result?;
        if let Err(e) = self.sweep(key) {
            tracing::warn!(error = %e, "could not trim the module cache");
        }
        Ok(())
    }

    /// Deletes the least recently used entries (never `keep`) until the caps
    /// hold, and temporary files older than [`STALE_TEMP_AGE`]. Returns how
    /// many entries it deleted. Files another process deletes meanwhile are
    /// skipped.
    fn sweep(&self, keep: &CacheKey) -> io::Result<usize> {
        let now = SystemTime::now();
        let mut entries: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
        let mut kept_bytes = 0u64;
        for dirent in fs::read_dir(&self.dir)? {
            let dirent = dirent?;
            let name = dirent.file_name();
            let Some(name) = name.to_str() else { continue };
            let kind = file_kind(name);
            if kind == FileKind::Other {
                continue;
            }
            // Not followed: a symlink or directory is not ours to delete.
            let Ok(meta) = dirent.metadata() else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            match kind {
                FileKind::Entry if name == format!("{}.bin", keep.as_str()) => {
                    kept_bytes = meta.len();
                }
                FileKind::Entry => entries.push((modified, meta.len(), dirent.path())),
                FileKind::Temp => {
                    let age = now.duration_since(modified).unwrap_or_default();
                    if age > STALE_TEMP_AGE {
                        let _ = fs::remove_file(dirent.path());
                    }
                }
                FileKind::Other => {}
            }
        }
        // Newest first: the first entry past a cap and every older one go.
        entries.sort_by_key(|e| std::cmp::Reverse(e.0));
        let mut total = kept_bytes;
        let mut count = 1usize;
        let mut full = false;
        let mut deleted = 0;
        for (_, len, path) in entries {
            total = total.saturating_add(len);
            count += 1;
            full = full || total > self.caps.max_bytes || count > self.caps.max_entries;
            if full {
                match fs::remove_file(&path) {
                    Ok(()) => deleted += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(deleted)
    }
}

/// What a file in the cache directory is, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    /// `<64 hex digits>-<...>.bin`: an entry.
    Entry,
    /// `.<64 hex digits>-<...>.tmp`: a writer's temporary file.
    Temp,
    /// Anything else: never touched.
    Other,
}

fn file_kind(name: &str) -> FileKind {
    let hashed = |s: &str| {
        s.len() > 65
            && s.as_bytes()[..64].iter().all(u8::is_ascii_hexdigit)
            && s.as_bytes()[64] == b'-'
    };
    if let Some(stem) = name.strip_suffix(".bin")
        && hashed(stem)
    {
        return FileKind::Entry;
    }
    if let Some(rest) = name.strip_prefix('.')
        && let Some(stem) = rest.strip_suffix(".tmp")
        && hashed(stem)
    {
        return FileKind::Temp;
    }
    FileKind::Other
}

/// Header: magic, key length (u16 LE), key, SHA-256 of the artifact,
/// artifact length (u64 LE); then the artifact.
fn encode_header(key: &CacheKey, artifact: &[u8]) -> Vec<u8> {
    let key = key.as_str().as_bytes();
    let mut header = Vec::with_capacity(8 + 2 + key.len() + 32 + 8);
    header.extend_from_slice(MAGIC);
    // Keys are ~100 ASCII bytes (two hex hashes and two short names).
    header.extend_from_slice(&(key.len().min(usize::from(u16::MAX)) as u16).to_le_bytes());
    header.extend_from_slice(key);
    header.extend_from_slice(&Sha256::digest(artifact));
    header.extend_from_slice(&(artifact.len() as u64).to_le_bytes());
    header
}

/// Checks an entry against `key`; returns where the artifact starts.
fn decode(bytes: &[u8], key: &CacheKey) -> Result<usize, &'static str> {
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or("bad magic (not an entry of this format)")?;
    let (len, rest) = rest.split_first_chunk::<2>().ok_or("truncated header")?;
    let key_len = usize::from(u16::from_le_bytes(*len));
    let (stored_key, rest) = rest.split_at_checked(key_len).ok_or("truncated header")?;
    if stored_key != key.as_str().as_bytes() {
        return Err("the entry belongs to another key");
    }
    let (hash, rest) = rest.split_first_chunk::<32>().ok_or("truncated header")?;
    let (len, artifact) = rest.split_first_chunk::<8>().ok_or("truncated header")?;
    if u64::from_le_bytes(*len) != artifact.len() as u64 {
        return Err("truncated artifact");
    }
    if Sha256::digest(artifact).as_slice() != hash {
        return Err("artifact hash mismatch (corrupted)");
    }
    Ok(bytes.len() - artifact.len())
}

fn write_entry(path: &Path, key: &CacheKey, artifact: &[u8]) -> io::Result<()> {
    let mut file = create_private(path)?;
    file.write_all(&encode_header(key, artifact))?;
    file.write_all(artifact)?;
    file.sync_all()
}

/// Whether `meta` (of `what`) is owned by the effective user and writable by
/// nobody else; the error says why not.
#[cfg(unix)]
fn private(what: &str, meta: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if meta.uid() != euid {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{what} is owned by uid {}, not by this user ({euid})",
                meta.uid()
            ),
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{what} is writable by others (mode {:o})",
                meta.mode() & 0o7777
            ),
        ));
    }
    Ok(())
}

/// No owners to check on this platform.
#[cfg(not(unix))]
fn private(_what: &str, _meta: &fs::Metadata) -> io::Result<()> {
    Ok(())
}

/// Creates `dir` and any missing parents, new ones readable by the host's
/// user only.
#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Creates `dir` and any missing parents.
#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

/// Creates a new file readable by the host's user only.
#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Creates a new file.
#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(wasm: &[u8]) -> CacheKey {
        CacheKey::new(wasm, "wasmer", "7.4.2", "budget=1")
    }

    #[test]
    fn keys_separate_module_engine_version_and_config() {
        let k = key(b"a");
        assert!(k.as_str().contains("-wasmer-7.4.2-"), "{}", k.as_str());
        assert_ne!(k, key(b"b"));
        assert_ne!(k, CacheKey::new(b"a", "wasmer", "7.4.3", "budget=1"));
        assert_ne!(k, CacheKey::new(b"a", "wasmi", "7.4.2", "budget=1"));
        assert_ne!(k, CacheKey::new(b"a", "wasmer", "7.4.2", "budget=2"));
    }

    #[test]
    fn entries_round_trip_and_damage_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ModuleCache::new(dir.path().join("nested"));
        let k = key(b"module");
        assert!(matches!(cache.load(&k), Lookup::Miss));
        cache.store(&k, b"artifact bytes").unwrap();
        match cache.load(&k) {
            Lookup::Hit(a) => assert_eq!(a.bytes(), b"artifact bytes"),
            other => panic!("{other:?}"),
        }
        let path = cache.path(&k);
        let mut bytes = fs::read(&path).unwrap();

        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&path, &bytes).unwrap();
        assert!(matches!(cache.load(&k), Lookup::Rejected(why) if why.contains("hash")));

        fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert!(matches!(cache.load(&k), Lookup::Rejected(why) if why.contains("truncated")));

        // An intact entry copied under another key's name.
        cache.store(&k, b"artifact bytes").unwrap();
        let other = key(b"other module");
        fs::copy(&path, cache.path(&other)).unwrap();
        assert!(matches!(cache.load(&other), Lookup::Rejected(why) if why.contains("another key")));

        fs::write(&path, b"MORPH").unwrap();
        assert!(matches!(cache.load(&k), Lookup::Rejected(_)));

        // Overwriting repairs it, and leaves no temporary files behind.
        cache.store(&k, b"fresh").unwrap();
        assert!(matches!(cache.load(&k), Lookup::Hit(a) if a.bytes() == b"fresh"));
        let leftovers = fs::read_dir(dir.path().join("nested"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn the_cache_keeps_the_most_recently_used_within_its_caps() {
        let dir = tempfile::tempdir().unwrap();
        let caps = CacheCaps {
            max_bytes: 4096,
            max_entries: 3,
            max_entry_bytes: 1500,
        };
        let cache = ModuleCache::with_caps(dir.path().join("modules"), caps);
        let entries = || {
            let mut names: Vec<String> = fs::read_dir(dir.path().join("modules"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let keys: Vec<CacheKey> = (0..6u8).map(|i| key(&[i])).collect();
        let age = |k: &CacheKey, secs: u64| {
            let f = File::options().write(true).open(cache.path(k)).unwrap();
            f.set_modified(SystemTime::now() - Duration::from_secs(secs))
                .unwrap();
        };

        // One extension storing entry after entry never holds more than
        // three of them.
        for (i, k) in keys.iter().enumerate() {
            cache.store(k, &[i as u8; 100]).unwrap();
            age(k, 1000 - i as u64 * 10);
            assert!(entries().len() <= 3, "{:?}", entries());
        }
        // The three most recent stores remain.
        for k in &keys[..3] {
            assert!(matches!(cache.load(k), Lookup::Miss));
        }
        // A hit makes an entry recent: storing another evicts the oldest
        // of the others instead.
        assert!(matches!(cache.load(&keys[3]), Lookup::Hit(_)));
        cache.store(&keys[0], &[0; 100]).unwrap();
        assert!(matches!(cache.load(&keys[3]), Lookup::Hit(_)));
        assert!(matches!(cache.load(&keys[4]), Lookup::Miss));

        // An artifact above the per-entry cap is not stored at all.
        let huge = key(b"huge");
        let refused = cache.store(&huge, &[0; 1501]).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::InvalidInput);
        assert!(matches!(cache.load(&huge), Lookup::Miss));
    }

    #[test]
    fn the_cache_keeps_its_bytes_within_their_cap() {
        let dir = tempfile::tempdir().unwrap();
        let caps = CacheCaps {
            max_bytes: 4096,
            max_entries: 100,
            max_entry_bytes: 1500,
        };
        let cache = ModuleCache::with_caps(dir.path().join("modules"), caps);
        // Three entries of 1400 bytes (and their headers) exceed 4096.
        let keys: Vec<CacheKey> = (0..3u8).map(|i| key(&[i])).collect();
        for (i, k) in keys.iter().enumerate() {
            cache.store(k, &[1; 1400]).unwrap();
            let f = File::options().write(true).open(cache.path(k)).unwrap();
            f.set_modified(SystemTime::now() - Duration::from_secs(100 - i as u64 * 10))
                .unwrap();
        }
        let total: u64 = fs::read_dir(dir.path().join("modules"))
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        assert!(total <= 4096, "{total}");
        assert!(matches!(cache.load(&keys[0]), Lookup::Miss));
        assert!(matches!(cache.load(&keys[1]), Lookup::Hit(_)));
        assert!(matches!(cache.load(&keys[2]), Lookup::Hit(_)));
    }

    #[test]
    fn the_sweep_deletes_only_its_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let caps = CacheCaps {
            max_bytes: 1 << 20,
            max_entries: 1,
            max_entry_bytes: 1 << 20,
        };
        let cache_dir = dir.path().join("modules");
        let cache = ModuleCache::with_caps(cache_dir.clone(), caps);
        let first = key(b"first");
        cache.store(&first, b"one").unwrap();
        let foreign = ["notes.txt", "deadbeef.bin", ".hidden.tmp"];
        for name in foreign {
            fs::write(cache_dir.join(name), b"keep me").unwrap();
        }
        let stale = cache_dir.join(format!(".{}.1.2.tmp", first.as_str()));
        fs::write(&stale, b"left by a dead writer").unwrap();
        File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(SystemTime::now() - 2 * STALE_TEMP_AGE)
            .unwrap();
        let fresh = cache_dir.join(format!(".{}.1.3.tmp", first.as_str()));
        fs::write(&fresh, b"being written").unwrap();

        let second = key(b"second");
        cache.store(&second, b"two").unwrap();
        assert!(matches!(cache.load(&first), Lookup::Miss));
        assert!(matches!(cache.load(&second), Lookup::Hit(_)));
        for name in foreign {
            assert!(cache_dir.join(name).exists(), "{name}");
        }
        assert!(!stale.exists());
        assert!(fresh.exists());
    }

    #[cfg(unix)]
    #[test]
    fn entries_others_could_write_are_not_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cache_dir = dir.path().join("modules");
        let cache = ModuleCache::new(cache_dir.clone());
        let k = key(b"module");
        cache.store(&k, b"artifact").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&cache_dir), 0o700);
        assert_eq!(mode(&cache.path(&k)), 0o600);
        assert!(matches!(cache.load(&k), Lookup::Hit(_)));

        // A world-writable entry: anyone could have swapped the artifact.
        fs::set_permissions(cache.path(&k), fs::Permissions::from_mode(0o666)).unwrap();
        assert!(
            matches!(cache.load(&k), Lookup::Rejected(why) if why.contains("entry is writable by others")),
        );
        fs::set_permissions(cache.path(&k), fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(cache.load(&k), Lookup::Hit(_)));

        // A group-writable directory: anyone in the group could rename entries in.
        fs::set_permissions(&cache_dir, fs::Permissions::from_mode(0o770)).unwrap();
        assert!(
            matches!(cache.load(&k), Lookup::Rejected(why) if why.contains("directory is writable by others")),
        );
        let refused = cache.store(&k, b"artifact").unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::PermissionDenied);
        fs::set_permissions(&cache_dir, fs::Permissions::from_mode(0o700)).unwrap();

        // An entry owned by another user (only root can make one here).
        if std::os::unix::fs::chown(cache.path(&k), Some(54_321), None).is_ok() {
            assert!(
                matches!(cache.load(&k), Lookup::Rejected(why) if why.contains("owned by uid 54321")),
            );
        }
    }
}
