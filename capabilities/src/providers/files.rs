//! The file provider contract (`fs.*` capabilities).
//!
//! **Paths are resolved beneath the extension's own root by the provider's
//! filesystem layer, not by string checks**: `..`, absolute paths and
//! symlinks that lead out are refused whatever their spelling.

use crate::error::Result;
use crate::limits::ResourceLimits;

/// `fs.read`, `fs.delete` request.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FsPath {
    /// Relative path inside the extension's data directory.
    pub path: String,
}

/// `fs.list` request.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FsList {
    /// Directory to list; the root when absent.
    #[serde(default)]
    pub path: Option<String>,
}

/// `fs.write` request.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FsWrite {
    /// Relative path; parent directories are created.
    pub path: String,
    /// The content.
    pub content: String,
    /// `utf8` (default) or `base64`.
    #[serde(default)]
    pub encoding: Option<crate::providers::http::BodyEncoding>,
}

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DirEntry {
    /// File name.
    pub name: String,
    /// `file`, `dir` or `other`.
    pub kind: String,
    /// Size in bytes (files).
    pub size: u64,
}

/// Longest path accepted.
pub const MAX_PATH_BYTES: usize = 1024;
/// Most entries one `fs.list` returns.
pub const MAX_LIST_ENTRIES: usize = 10_000;

/// What one extension may keep in files: the caps a write is checked
/// against before anything is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileQuota {
    /// Largest single file, in bytes (`max_file_size_mb`; over it:
    /// `capability_failed`).
    pub max_file_bytes: u64,
    /// Entries (files and directories) in the extension's directory
    /// (`max_files`; past it: `quota_exceeded`).
    pub max_files: u64,
    /// Bytes of all its files (`max_storage_mb`; past it: `quota_exceeded`).
    pub max_storage_bytes: u64,
}

impl FileQuota {
    /// The file quota of `limits`.
    pub fn of(limits: &ResourceLimits) -> FileQuota {
        FileQuota {
            max_file_bytes: limits.file_bytes(),
            max_files: limits.max_files,
            max_storage_bytes: limits.storage_bytes(),
        }
    }
}

/// Files under a per-extension root.
#[async_trait::async_trait]
pub trait FileProvider: Send + Sync + 'static {
    /// Reads a file of at most `max_bytes`.
    ///
    /// # Errors
    /// `permission_denied` for paths that escape the root, `capability_failed`
    /// for missing or oversize files, `io` otherwise.
    async fn read(&self, namespace: &str, path: &str, max_bytes: u64) -> Result<Vec<u8>>;
    /// Writes a file atomically (no half-written file survives a failure),
    /// **checking `quota` before anything is created**: the file's own size,
    /// then the entries and bytes the namespace would hold after the write
    /// (a replacement counts only its growth).
    ///
    /// # Errors
    /// `quota_exceeded` past `max_files` or `max_storage_bytes`; otherwise
    /// as [`FileProvider::read`].
    async fn write(
        &self,
        namespace: &str,
        path: &str,
        content: Vec<u8>,
        quota: FileQuota,
    ) -> Result<()>;
    /// Lists a directory (root when `path` is `None`).
    ///
    /// # Errors
    /// As [`FileProvider::read`].
    async fn list(&self, namespace: &str, path: Option<&str>) -> Result<Vec<DirEntry>>;
    /// Deletes a file or an empty directory.
    ///
    /// # Errors
    /// As [`FileProvider::read`].
    async fn delete(&self, namespace: &str, path: &str) -> Result<()>;
}
