//! [`DirFiles`]: the default file provider, one directory per extension.
//!
//! Each namespace (an extension id, `[a-z0-9][a-z0-9-]*`) owns
//! `root/<namespace>/`, created on first use. **Every path is resolved beneath
//! that directory by `cap-std`** (`openat2(RESOLVE_BENEATH)` on Linux, a
//! checked component walk elsewhere), never by string checks: `..` escapes,
//! absolute paths and symlinks that lead out fail in the kernel or in cap-std,
//! whatever their spelling, and a directory swapped in mid-call cannot redirect
//! an operation that holds its parent's descriptor. On top of that:
//!
//! - **no hard-linked regular file is read or replaced** (`nlink > 1`): a hard
//!   link may alias a file outside the root;
//! - **no file larger than the call's `max_file_size_mb` is read or written**:
//!   reads check the size first and never take more than `max + 1` bytes;
//!   oversize writes are refused before the disk is touched;
//! - **writes are atomic**: a temporary file in the target's directory,
//!   synced, then renamed over the target, so no half-written file survives;
//! - **no write takes the extension past `max_files` or `max_storage_mb`**:
//!   counted under a lock on the extension's directory shared by every
//!   process, before any directory or file is created (`dir_usage.rs`).
//!
//! Errors never carry a host path: only the guest's own (truncated) path.

use std::io::{self, Read as _, Write as _};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use cap_std::fs::{Dir, MetadataExt as _, OpenOptions};

use crate::error::{Error, Result, truncate_for_message};
use crate::providers::dir_usage::{self, DirLock, Growth};
use crate::providers::files::{DirEntry, FileProvider, FileQuota, MAX_LIST_ENTRIES};

/// Prefix of the temporary files writes go through; hidden from `list`.
const TEMP_PREFIX: &str = ".morph-tmp-";

/// Longest namespace (extension id) accepted.
const MAX_NAMESPACE_BYTES: usize = 128;

/// The `permission` reported when a path leads out of the extension's root.
pub const ESCAPE_REASON: &str = "path escapes the extension's directory";

/// Files under `root/<extension>/`.
#[derive(Debug, Clone)]
pub struct DirFiles {
    root: Arc<Dir>,
    root_path: PathBuf,
}

impl DirFiles {
    /// Files under `root`, which is created if missing and held open: moving
    /// or replacing the path later does not redirect the provider.
    ///
    /// # Errors
    /// `io` when `root` cannot be created or opened.
    pub fn new(root: PathBuf) -> Result<DirFiles> {
        std::fs::create_dir_all(&root)
            .map_err(|e| Error::io(format!("creating {}", root.display()), e))?;
        let dir = Dir::open_ambient_dir(&root, cap_std::ambient_authority())
            .map_err(|e| Error::io(format!("opening {}", root.display()), e))?;
        Ok(DirFiles {
            root: Arc::new(dir),
            root_path: root,
        })
    }

    /// The host directory holding every extension's files.
    pub fn root(&self) -> &Path {
        &self.root_path
    }

    /// Runs `f` on the blocking pool with `namespace`'s directory.
    async fn with_dir<T, F>(&self, capability: &'static str, namespace: &str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Dir) -> Result<T> + Send + 'static,
    {
        check_namespace(capability, namespace)?;
        let root = Arc::clone(&self.root);
        let namespace = namespace.to_owned();
        let job = tokio::task::spawn_blocking(move || {
            let dir = open_namespace(capability, &root, &namespace)?;
            f(&dir)
        });
        match job.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err(Error::internal(format!(
                "`{capability}` panicked in the file provider"
            ))),
            Err(_) => Err(Error::internal(format!(
                "`{capability}` was cancelled in the file provider"
            ))),
        }
    }
}

fn check_namespace(capability: &str, namespace: &str) -> Result<()> {
    let bytes = namespace.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= MAX_NAMESPACE_BYTES
        && bytes.first() != Some(&b'-')
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    if valid {
        Ok(())
    } else {
        Err(Error::capability(
            capability,
            format!(
                "`{}` is not a valid extension id for a file namespace",
                truncate_for_message(namespace, 64)
            ),
        ))
    }
}

/// Opens (creating on first use) `root/<namespace>`, beneath `root`.
fn open_namespace(capability: &str, root: &Dir, namespace: &str) -> Result<Dir> {
    match root.create_dir(namespace) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(fs_error(capability, namespace, e)),
    }
    root.open_dir(namespace)
        .map_err(|e| fs_error(capability, namespace, e))
}

/// Refuses early, with clear errors, paths no file system call should see:
/// empty, with NUL bytes, or climbing out as text (absolute, too many `..`).
/// The structural defence is still cap-std's resolution, which also catches
/// what text cannot show (symlinks).
fn check_path(capability: &str, path: &str) -> Result<()> {
    if path.is_empty() {
        return Err(Error::params("path", "empty"));
    }
    if path.contains('\0') {
        return Err(Error::params("path", "contains a NUL byte"));
    }
    if lexically_escapes(Path::new(path)) {
        return Err(escape(capability));
    }
    Ok(())
}

/// Splits `path` into its parent directory and final name.
///
/// A path ending in `..` or `/` names a directory (or something outside),
/// never a file: `..`-like and absolute endings are escapes, the rest invalid.
fn split_file(capability: &str, path: &str) -> Result<(PathBuf, PathBuf)> {
    let p = Path::new(path);
    match p.components().next_back() {
        Some(Component::Normal(name)) => {
            let parent = p.parent().unwrap_or_else(|| Path::new(""));
            Ok((parent.to_owned(), PathBuf::from(name)))
        }
        Some(Component::ParentDir | Component::RootDir | Component::Prefix(_)) => {
            Err(escape(capability))
        }
        Some(Component::CurDir) | None => Err(Error::params("path", "does not name a file")),
    }
}

/// Whether `path`, read as text, climbs above its start. Not the defence (a
/// symlink can lead out of a path that looks contained, and cap-std refuses
/// both): it gives one answer whether or not the intermediate directories
/// exist, and lets a write refuse before creating any parent directory.
fn lexically_escapes(path: &Path) -> bool {
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => return true,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return true,
            },
            Component::Normal(_) => depth += 1,
        }
    }
    false
}

fn escape(capability: &str) -> Error {
    Error::PermissionDenied {
        capability: capability.to_owned(),
        permission: ESCAPE_REASON.to_owned(),
    }
}

fn too_large(capability: &str, size: u64, max: u64) -> Error {
    Error::capability(
        capability,
        format!("file larger than max_file_size_mb ({size} bytes > {max} bytes)"),
    )
}

fn hard_linked(capability: &str, path: &str) -> Error {
    Error::PermissionDenied {
        capability: capability.to_owned(),
        permission: format!(
            "`{}` has other hard links, which may lead outside the extension's directory",
            truncate_for_message(path, 200)
        ),
    }
}

/// Maps an I/O error on the guest's `path` to a Morph error.
///
/// cap-std reports an escape as `PermissionDenied` with no OS error code
/// (`openat2` reports it as `EXDEV`, which cap-std converts the same way);
/// a real `EACCES` keeps its OS code and stays an `io` error.
fn fs_error(capability: &str, path: &str, e: io::Error) -> Error {
    let shown = truncate_for_message(path, 200);
    let failed = |what: &str| Error::capability(capability, format!("{what}: {shown}"));
    match e.kind() {
        io::ErrorKind::PermissionDenied if e.raw_os_error().is_none() => escape(capability),
        io::ErrorKind::NotFound => failed("not found"),
        io::ErrorKind::AlreadyExists => failed("already exists"),
        io::ErrorKind::NotADirectory => failed("a parent is not a directory"),
        io::ErrorKind::IsADirectory => failed("is a directory"),
        io::ErrorKind::DirectoryNotEmpty => failed("directory not empty"),
        io::ErrorKind::InvalidFilename => failed("invalid file name"),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            failed("no space left for the file")
        }
        _ => Error::io(format!("{capability} {shown}"), e),
    }
}

fn read_file(dir: &Dir, path: &str, max_bytes: u64) -> Result<Vec<u8>> {
    const CAP: &str = "fs.read";
    // Looked at first so that no FIFO or device is ever opened (an open on a
    // FIFO would block); the handle's own metadata is checked again below.
    let meta = dir.metadata(path).map_err(|e| fs_error(CAP, path, e))?;
    if meta.is_dir() {
        return Err(fs_error(CAP, path, io::ErrorKind::IsADirectory.into()));
    }
    if !meta.is_file() {
        return Err(Error::capability(CAP, "not a regular file"));
    }
    let file = dir.open(path).map_err(|e| fs_error(CAP, path, e))?;
    let meta = file.metadata().map_err(|e| fs_error(CAP, path, e))?;
    if !meta.is_file() {
        return Err(Error::capability(CAP, "not a regular file"));
    }
    if meta.nlink() > 1 {
        return Err(hard_linked(CAP, path));
    }
    if meta.len() > max_bytes {
        return Err(too_large(CAP, meta.len(), max_bytes));
    }
    let capacity = usize::try_from(meta.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| fs_error(CAP, path, e))?;
    let read = bytes.len() as u64;
    if read > max_bytes {
        // The file grew after the size check.
        return Err(too_large(CAP, read, max_bytes));
    }
    Ok(bytes)
}

fn write_file(dir: &Dir, path: &str, content: &[u8], quota: &FileQuota) -> Result<()> {
    const CAP: &str = "fs.write";
    let (parent, name) = split_file(CAP, path)?;
    let _lock = DirLock::take(dir).map_err(|e| fs_error(CAP, path, e))?;
    // Opened first, so that a parent leading out (a symlinked directory) is
    // reported as the escape it is; created only when missing, and only
    // once the quota allows it.
    let existing = if parent.as_os_str().is_empty() {
        Some(dir.try_clone())
    } else {
        match dir.open_dir(&parent) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            opened => Some(opened),
        }
    }
    .transpose()
    .map_err(|e| fs_error(CAP, path, e))?;
    let growth = match &existing {
        Some(parent_dir) => Growth {
            new_entries: 0,
            old_size: 0,
            new_size: content.len() as u64,
        }
        .with_target(target_size(parent_dir, &name, path)?),
        None => Growth {
            new_entries: dir_usage::missing_dirs(dir, &parent)
                .map_err(|e| fs_error(CAP, path, e))?
                .saturating_add(1),
            old_size: 0,
            new_size: content.len() as u64,
        },
    };
    dir_usage::check(CAP, dir, quota, growth)?;
    let parent_dir = match existing {
        Some(parent_dir) => parent_dir,
        None => dir
            .create_dir_all(&parent)
            .and_then(|()| dir.open_dir(&parent))
            .map_err(|e| fs_error(CAP, path, e))?,
    };
    let temp = format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4().simple());
    let written = write_temp(&parent_dir, &temp, content)
        .and_then(|()| parent_dir.rename(&temp, &parent_dir, &name));
    if let Err(e) = written {
        let _ = parent_dir.remove_file(&temp);
        return Err(fs_error(CAP, path, e));
    }
    // Make the rename itself durable; failing here loses no data already written.
    if let Ok(d) = parent_dir.try_clone() {
        let _ = d.into_std_file().sync_all();
    }
    Ok(())
}

/// The size of the regular file a write to `name` would replace (`None`:
/// nothing there yet). A symlink is followed beneath the root (an escape
/// fails here); the rename then replaces the link itself.
fn target_size(parent_dir: &Dir, name: &Path, path: &str) -> Result<Option<u64>> {
    const CAP: &str = "fs.write";
    match parent_dir.metadata(name) {
        Ok(meta) if meta.is_dir() => Err(fs_error(CAP, path, io::ErrorKind::IsADirectory.into())),
        Ok(meta) if meta.is_file() && meta.nlink() > 1 => Err(hard_linked(CAP, path)),
        Ok(meta) if !meta.is_file() => {
            Err(Error::capability(CAP, "the target is not a regular file"))
        }
        Ok(meta) => Ok(Some(meta.len())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // A dangling symlink is refused, a missing name is created.
            if parent_dir
                .symlink_metadata(name)
                .is_ok_and(|m| m.is_symlink())
            {
                return Err(Error::capability(CAP, "the target is a dangling symlink"));
            }
            Ok(None)
        }
        Err(e) => Err(fs_error(CAP, path, e)),
    }
}

fn write_temp(dir: &Dir, temp: &str, content: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    let mut file = dir.open_with(temp, &options)?;
    file.write_all(content)?;
    file.sync_all()
}

fn list_dir(dir: &Dir, path: Option<&str>) -> Result<Vec<DirEntry>> {
    const CAP: &str = "fs.list";
    let shown = path.unwrap_or(".");
    let entries = match path {
        None | Some("") => dir.entries(),
        Some(p) => dir.read_dir(p),
    }
    .map_err(|e| fs_error(CAP, shown, e))?;
    // Keep the MAX_LIST_ENTRIES smallest names, pruning as we go: memory stays
    // bounded and the answer deterministic however large the directory.
    let mut found: Vec<(String, cap_std::fs::DirEntry)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| fs_error(CAP, shown, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(TEMP_PREFIX) {
            continue;
        }
        found.push((name, entry));
        if found.len() >= 2 * MAX_LIST_ENTRIES {
            found.sort_by(|a, b| a.0.cmp(&b.0));
            found.truncate(MAX_LIST_ENTRIES);
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found.truncate(MAX_LIST_ENTRIES);
    Ok(found
        .into_iter()
        .map(|(name, entry)| {
            let (kind, size) = match entry.file_type() {
                Ok(t) if t.is_file() => ("file", entry.metadata().map_or(0, |m| m.len())),
                Ok(t) if t.is_dir() => ("dir", 0),
                _ => ("other", 0),
            };
            DirEntry {
                name,
                kind: kind.to_owned(),
                size,
            }
        })
        .collect())
}

fn delete_path(dir: &Dir, path: &str) -> Result<()> {
    const CAP: &str = "fs.delete";
    let meta = dir
        .symlink_metadata(path)
        .map_err(|e| fs_error(CAP, path, e))?;
    let removed = if meta.is_dir() {
        dir.remove_dir(path)
    } else {
        // A file, or a link itself (never its target).
        dir.remove_file(path)
    };
    removed.map_err(|e| fs_error(CAP, path, e))
}

#[async_trait::async_trait]
impl FileProvider for DirFiles {
    async fn read(&self, namespace: &str, path: &str, max_bytes: u64) -> Result<Vec<u8>> {
        check_path("fs.read", path)?;
        let path = path.to_owned();
        self.with_dir("fs.read", namespace, move |dir| {
            read_file(dir, &path, max_bytes)
        })
        .await
    }

    async fn write(
        &self,
        namespace: &str,
        path: &str,
        content: Vec<u8>,
        quota: FileQuota,
    ) -> Result<()> {
        check_path("fs.write", path)?;
        let size = content.len() as u64;
        if size > quota.max_file_bytes {
            return Err(too_large("fs.write", size, quota.max_file_bytes));
        }
        let path = path.to_owned();
        self.with_dir("fs.write", namespace, move |dir| {
            write_file(dir, &path, &content, &quota)
        })
        .await
    }

    async fn list(&self, namespace: &str, path: Option<&str>) -> Result<Vec<DirEntry>> {
        if let Some(p) = path.filter(|p| !p.is_empty()) {
            check_path("fs.list", p)?;
        }
        let path = path.map(str::to_owned);
        self.with_dir("fs.list", namespace, move |dir| {
            list_dir(dir, path.as_deref())
        })
        .await
    }

    async fn delete(&self, namespace: &str, path: &str) -> Result<()> {
        check_path("fs.delete", path)?;
        let path = path.to_owned();
        self.with_dir("fs.delete", namespace, move |dir| delete_path(dir, &path))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNLIMITED: FileQuota = FileQuota {
        max_file_bytes: u64::MAX,
        max_files: u64::MAX,
        max_storage_bytes: u64::MAX,
    };

    /// A root holding `outside.txt` and the namespace `ext` with a dir `a`.
    fn fixture() -> (tempfile::TempDir, Dir) {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("outside.txt"), "outside").unwrap();
        std::fs::create_dir_all(tmp.path().join("ext/a")).unwrap();
        let dir =
            Dir::open_ambient_dir(tmp.path().join("ext"), cap_std::ambient_authority()).unwrap();
        (tmp, dir)
    }

    fn code(r: Result<impl std::fmt::Debug>) -> &'static str {
        r.unwrap_err().code().as_str()
    }

    /// The text pre-check is bypassed here: cap-std alone must refuse.
    #[test]
    fn cap_std_alone_refuses_dot_dot_and_absolute_paths() {
        let (tmp, dir) = fixture();
        let abs = tmp.path().join("outside.txt");
        let abs = abs.to_str().unwrap();
        for path in ["../outside.txt", "a/../../outside.txt", abs] {
            assert_eq!(
                code(read_file(&dir, path, 1024)),
                "permission_denied",
                "{path}"
            );
            assert_eq!(code(delete_path(&dir, path)), "permission_denied", "{path}");
            assert_eq!(
                code(list_dir(&dir, Some(path))),
                "permission_denied",
                "{path}"
            );
        }
        for path in [
            "../planted.txt",
            "a/../../planted.txt",
            "../outside.txt",
            abs,
        ] {
            assert_eq!(
                code(write_file(&dir, path, b"x", &UNLIMITED)),
                "permission_denied",
                "{path}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("outside.txt")).unwrap(),
            "outside"
        );
        assert!(!tmp.path().join("planted.txt").exists());
    }

    #[test]
    fn text_pre_check() {
        for escaping in ["..", "../x", "a/../..", "/x", "./../x", "a/./../../x"] {
            assert!(lexically_escapes(Path::new(escaping)), "{escaping}");
        }
        for contained in ["x", "a/../x", "a/b/../../c", "./x", "a/."] {
            assert!(!lexically_escapes(Path::new(contained)), "{contained}");
        }
    }

    #[test]
    fn namespaces_are_extension_ids() {
        for ok in ["a", "ext-1", "0abc"] {
            assert!(check_namespace("fs.read", ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "A", "a/b", "..", ".", "a b", "a_b", "é"] {
            assert!(check_namespace("fs.read", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn writing_over_a_directory_is_refused_and_leaves_nothing() {
        let (_tmp, dir) = fixture();
        assert_eq!(
            code(write_file(&dir, "a", b"x", &UNLIMITED)),
            "capability_failed"
        );
        let names: Vec<_> = dir
            .entries()
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a"]);
    }
}
