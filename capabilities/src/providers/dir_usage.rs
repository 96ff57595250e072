//! What one extension keeps in its directory, counted before a write grows
//! it: the `max_files` and `max_storage_mb` quotas of [`DirFiles`](super::DirFiles).
//!
//! **The count is taken from the directory itself, under an exclusive lock
//! on it, in the same lock as the write**: every process sharing the data
//! dir takes the same `flock` on the extension's directory before it counts
//! and writes, so two writers never both see room for one file. Nothing is
//! cached, so nothing can drift from what is on disk (files a user removed
//! by hand, a crashed process's leftovers).
//!
//! **The walk is bounded by the quota, not by the directory**: it stops as
//! soon as it has seen more entries than `max_files` or more bytes than
//! `max_storage_mb`, so a write costs at most `max_files` directory entries
//! read. Every entry counts against `max_files` (files, directories,
//! symlinks, a crashed write's temporary file): each takes an inode and
//! directory space. Only regular files count bytes (their length).
//!
//! A write that grows nothing (a replacement no larger than the file it
//! replaces, in an existing directory) is never refused, even over a quota
//! (a host may lower one): an extension over its quota can still shrink.

use std::fs::File;
use std::io;
use std::path::{Component, Path, PathBuf};

use cap_std::fs::Dir;

use crate::error::{Error, QuotaKind, Result};
use crate::providers::files::FileQuota;

/// What a directory holds, as far as the walk went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Usage {
    /// Entries beneath the root (files, directories, anything else).
    pub(super) entries: u64,
    /// Bytes of the regular files among them.
    pub(super) bytes: u64,
}

/// What one write would add: entries it creates (missing parent
/// directories and the file itself if new) and the file's size before and
/// after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Growth {
    pub(super) new_entries: u64,
    pub(super) old_size: u64,
    pub(super) new_size: u64,
}

impl Growth {
    /// This growth for a write over a file of `old` bytes (`None`: a new
    /// name, one more entry).
    pub(super) fn with_target(self, old: Option<u64>) -> Growth {
        match old {
            Some(old_size) => Growth { old_size, ..self },
            None => Growth {
                new_entries: self.new_entries + 1,
                ..self
            },
        }
    }

    fn grows(&self) -> bool {
        self.new_entries > 0 || self.new_size > self.old_size
    }
}

/// Holds an exclusive lock on an extension's directory (released on drop):
/// the one lock every writer of that directory, in any process, takes.
#[derive(Debug)]
pub(super) struct DirLock(File);

impl DirLock {
    /// Waits for the lock on `dir`.
    pub(super) fn take(dir: &Dir) -> io::Result<DirLock> {
        // Opened for reading: a `Dir`'s own descriptor may be `O_PATH`,
        // which `flock` refuses.
        let file = dir
            .open_with(".", cap_std::fs::OpenOptions::new().read(true))?
            .into_std();
        file.lock()?;
        Ok(DirLock(file))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Closing the descriptor releases the lock too; this only makes it
        // explicit.
        let _ = self.0.unlock();
    }
}

/// Refuses `growth` with `quota_exceeded` when it would take the directory
/// past `quota`. Call it holding the [`DirLock`], before creating anything.
pub(super) fn check(capability: &str, dir: &Dir, quota: &FileQuota, growth: Growth) -> Result<()> {
    if !growth.grows() {
        return Ok(());
    }
    let usage = measure(dir, quota.max_files, quota.max_storage_bytes)
        .map_err(|e| Error::io(format!("{capability}: counting the extension's files"), e))?;
    let entries_after = usage.entries.saturating_add(growth.new_entries);
    if usage.entries > quota.max_files
        || (growth.new_entries > 0 && entries_after > quota.max_files)
    {
        return Err(Error::quota(
            capability,
            QuotaKind::Files,
            format!(
                "max_files = {} entries; the directory holds {}{} and the write would add {}",
                quota.max_files,
                usage.entries,
                if usage.entries > quota.max_files {
                    " or more"
                } else {
                    ""
                },
                growth.new_entries
            ),
        ));
    }
    let bytes_after = usage
        .bytes
        .saturating_sub(growth.old_size)
        .saturating_add(growth.new_size);
    if usage.bytes > quota.max_storage_bytes
        || (growth.new_size > growth.old_size && bytes_after > quota.max_storage_bytes)
    {
        return Err(Error::quota(
            capability,
            QuotaKind::Storage,
            format!(
                "max_storage_mb = {} bytes; the files hold {}{} and would hold {bytes_after}",
                quota.max_storage_bytes,
                usage.bytes,
                if usage.bytes > quota.max_storage_bytes {
                    " or more"
                } else {
                    ""
                },
            ),
        ));
    }
    Ok(())
}

/// Counts entries and file bytes beneath `dir`, without following
/// symlinks, stopping once past `stop_entries` entries or `stop_bytes`
/// bytes (the counts are then lower bounds already past the cap).
pub(super) fn measure(dir: &Dir, stop_entries: u64, stop_bytes: u64) -> io::Result<Usage> {
    let mut usage = Usage {
        entries: 0,
        bytes: 0,
    };
    let mut pending: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(path) = pending.pop() {
        let entries = if path.as_os_str().is_empty() {
            dir.entries()?
        } else {
            dir.read_dir(&path)?
        };
        for entry in entries {
            let entry = entry?;
            usage.entries += 1;
            let kind = entry.file_type()?;
            if kind.is_file() {
                usage.bytes = usage.bytes.saturating_add(entry.metadata()?.len());
            } else if kind.is_dir() {
                pending.push(path.join(entry.file_name()));
            }
            if usage.entries > stop_entries || usage.bytes > stop_bytes {
                return Ok(usage);
            }
        }
    }
    Ok(usage)
}

/// How many directories of `parent` (a path beneath `dir`) are missing and
/// a write would create. Counts from the first missing component on, so a
/// `..` in the path can only make it count more, never less.
pub(super) fn missing_dirs(dir: &Dir, parent: &Path) -> io::Result<u64> {
    let components: Vec<Component<'_>> = parent.components().collect();
    let mut prefix = PathBuf::new();
    for (i, component) in components.iter().enumerate() {
        prefix.push(component);
        match dir.symlink_metadata(&prefix) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok((components.len() - i) as u64);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> (tempfile::TempDir, Dir) {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("a/b")).unwrap();
        std::fs::write(tmp.path().join("one.txt"), "12345").unwrap();
        std::fs::write(tmp.path().join("a/b/two.txt"), "123").unwrap();
        let dir = Dir::open_ambient_dir(tmp.path(), cap_std::ambient_authority()).unwrap();
        (tmp, dir)
    }

    fn quota(max_files: u64, max_storage_bytes: u64) -> FileQuota {
        FileQuota {
            max_file_bytes: 1 << 20,
            max_files,
            max_storage_bytes,
        }
    }

    #[test]
    fn measure_counts_entries_and_file_bytes_and_stops_past_the_cap() {
        let (_tmp, dir) = fixture();
        let all = measure(&dir, u64::MAX, u64::MAX).unwrap();
        assert_eq!(
            all,
            Usage {
                entries: 4,
                bytes: 8
            }
        );
        assert!(
            measure(&dir, 1, u64::MAX).unwrap().entries == 2,
            "stops at cap + 1"
        );
    }

    #[test]
    fn missing_dirs_counts_what_a_write_would_create() {
        let (_tmp, dir) = fixture();
        assert_eq!(missing_dirs(&dir, Path::new("")).unwrap(), 0);
        assert_eq!(missing_dirs(&dir, Path::new("a/b")).unwrap(), 0);
        assert_eq!(missing_dirs(&dir, Path::new("a/c/d")).unwrap(), 2);
        assert_eq!(missing_dirs(&dir, Path::new("x/../y")).unwrap(), 3);
    }

    #[test]
    fn growth_past_either_cap_is_refused_and_shrinking_never_is() {
        let (_tmp, dir) = fixture();
        let new_file = |size| Growth {
            new_entries: 1,
            old_size: 0,
            new_size: size,
        };
        check("fs.write", &dir, &quota(5, 100), new_file(10)).unwrap();
        let e = check("fs.write", &dir, &quota(4, 100), new_file(10)).unwrap_err();
        assert_eq!(e.code().as_str(), "quota_exceeded");
        assert!(e.to_string().contains("max_files"), "{e}");
        let e = check("fs.write", &dir, &quota(5, 17), new_file(10)).unwrap_err();
        assert!(e.to_string().contains("max_storage_mb"), "{e}");
        // Replacing one.txt (5 bytes) by 14 bytes fits 17; by 15 it does not.
        let replace = |size| Growth {
            new_entries: 0,
            old_size: 5,
            new_size: size,
        };
        check("fs.write", &dir, &quota(4, 17), replace(14)).unwrap();
        assert!(check("fs.write", &dir, &quota(4, 17), replace(15)).is_err());
        // Over both caps, a write that grows nothing still passes.
        check("fs.write", &dir, &quota(1, 1), replace(5)).unwrap();
        check("fs.write", &dir, &quota(1, 1), replace(0)).unwrap();
    }
}
