//! An append-only file of newline-terminated lines, written durably.
//!
//! Both the audit log and its checkpoint file are [`LineFile`]s. The invariant
//! it keeps: **the file's committed length always ends on a complete line**.
//! A torn final line (a crash mid-append) is cut off when the file is opened;
//! a failed append is rolled back to the previous committed length, and if the
//! rollback itself fails the file refuses every later append until it is
//! reopened (and repaired). A synced append succeeds only after `sync_data`.
//!
//! Several writers (processes, or logs opened twice in one process) may share
//! the file: **every append happens under an exclusive advisory lock**
//! ([`LineFile::lock`]), and under it the file first catches up with what
//! the others appended (its committed length, its last line, and a torn line
//! a writer that crashed left behind, which is cut). Before each append it
//! also checks that its path still names the file it holds open: records
//! written to a file that was deleted or replaced would be lost, so such an
//! append fails instead.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The longest line the audit files read back (records and checkpoints are a
/// few hundred bytes; this bounds memory on a hostile file).
pub(crate) const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Chunk size for scanning a file backwards.
const SCAN_CHUNK: u64 = 8 * 1024;

/// A durable, append-only, line-oriented file. See the module docs.
#[derive(Debug)]
pub(crate) struct LineFile {
    path: PathBuf,
    file: File,
    /// Committed length: 0 or just past a `\n`.
    len: u64,
    /// Set when a failed append could not be rolled back.
    broken: bool,
}

/// What [`LineFile::open`] found.
#[derive(Debug)]
pub(crate) struct Opened {
    /// The file, positioned for appends.
    pub(crate) file: LineFile,
    /// The last complete line, without its `\n`, if any.
    pub(crate) last_line: Option<Vec<u8>>,
    /// Bytes of a torn final line that were cut off.
    pub(crate) cut_bytes: u64,
}

impl LineFile {
    /// Opens (creating if absent) `path` and, under its lock, cuts a torn
    /// final line and reads back the last complete one.
    ///
    /// # Errors
    /// `io` if the file cannot be opened, locked, read or repaired, or if its
    /// last line is longer than [`MAX_LINE_BYTES`].
    pub(crate) fn open(path: &Path) -> Result<Opened> {
        let ctx = |what: &str| format!("{what} {}", path.display());
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| Error::io(ctx("opening"), e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io(ctx("inspecting"), e))?;
        if !meta.is_file() {
            return Err(Error::io(
                ctx("opening"),
                io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
            ));
        }
        if !existed {
            sync_parent(path)?;
        }
        let mut line_file = LineFile {
            path: path.to_owned(),
            file,
            len: 0,
            broken: false,
        };
        let caught_up = line_file.lock()?.catch_up()?;
        Ok(Opened {
            file: line_file,
            last_line: caught_up.last_line,
            cut_bytes: caught_up.cut_bytes,
        })
    }

    /// Takes the exclusive advisory lock every writer of this file appends
    /// under (blocking until the other writer's append is done); released
    /// when the guard drops.
    ///
    /// # Errors
    /// `io` if the lock cannot be taken.
    pub(crate) fn lock(&mut self) -> Result<Locked<'_>> {
        self.file
            .lock()
            .map_err(|e| Error::io(format!("locking {}", self.path.display()), e))?;
        Ok(Locked { file: self })
    }

    /// The path this file was opened at.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `line` and a `\n`, then `sync_data` when `sync` (under the
    /// lock: see [`Locked::append`]). On failure the file is rolled back to
    /// its previous length.
    ///
    /// # Errors
    /// `io` when the path no longer names this file, the file changed length
    /// outside the lock, the write or sync fails, or an earlier failure could
    /// not be rolled back.
    fn append(&mut self, line: &[u8], sync: bool) -> Result<()> {
        let ctx = || format!("appending to {}", self.path.display());
        if self.broken {
            return Err(Error::io(
                ctx(),
                io::Error::other(
                    "an earlier failed append could not be rolled back; reopen the file",
                ),
            ));
        }
        self.check_still_ours().map_err(|e| Error::io(ctx(), e))?;
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line);
        buf.push(b'\n');
        match self.file.write_all(&buf).and_then(
            |()| {
                if sync { self.file.sync_data() } else { Ok(()) }
            },
        ) {
            Ok(()) => {
                self.len += buf.len() as u64;
                Ok(())
            }
            Err(e) => {
                if self
                    .file
                    .set_len(self.len)
                    .and_then(|()| self.file.sync_data())
                    .is_err()
                {
                    self.broken = true;
                }
                Err(Error::io(ctx(), e))
            }
        }
    }

    /// Checks that the path still names the open file and that its length is
    /// the one we committed.
    fn check_still_ours(&self) -> io::Result<()> {
        let open = self.file.metadata()?;
        let named = std::fs::metadata(&self.path).map_err(|e| {
            io::Error::new(e.kind(), format!("the file was removed or replaced: {e}"))
        })?;
        if !same_file(&open, &named) {
            return Err(io::Error::other("the file was removed or replaced"));
        }
        if open.len() != self.len {
            return Err(io::Error::other(format!(
                "the file changed length outside its lock ({} bytes, expected {})",
                open.len(),
                self.len
            )));
        }
        Ok(())
    }
}

/// A [`LineFile`] under its exclusive lock: appends go through it.
#[derive(Debug)]
pub(crate) struct Locked<'a> {
    file: &'a mut LineFile,
}

/// What [`Locked::catch_up`] found.
#[derive(Debug)]
pub(crate) struct CaughtUp {
    /// Whether the file's committed length moved since this writer last saw
    /// it (another writer appended, or cut a torn line).
    pub(crate) moved: bool,
    /// The last complete line, without its `\n`, if any.
    pub(crate) last_line: Option<Vec<u8>>,
    /// Bytes of a torn final line that were cut off.
    pub(crate) cut_bytes: u64,
}

impl Locked<'_> {
    /// Brings this writer up to date with the file: cuts a torn final line
    /// (a writer that crashed mid-append) and reads back the last complete
    /// line when the length moved.
    ///
    /// # Errors
    /// `io` if the file cannot be read or repaired, or if its last line is
    /// longer than [`MAX_LINE_BYTES`].
    pub(crate) fn catch_up(&mut self) -> Result<CaughtUp> {
        let lf = &mut *self.file;
        let ctx = |what: &str| format!("{what} {}", lf.path.display());
        let mut len = lf
            .file
            .metadata()
            .map_err(|e| Error::io(ctx("inspecting"), e))?
            .len();
        let mut cut_bytes = 0;
        let file = &mut lf.file;
        if len > 0
            && read_byte_at(file, len - 1).map_err(|e| Error::io(ctx("reading"), e))? != b'\n'
        {
            let keep = last_newline_before(file, len)
                .map_err(|e| Error::io(ctx("reading"), e))?
                .map_or(0, |p| p + 1);
            file.set_len(keep)
                .and_then(|()| file.sync_all())
                .map_err(|e| Error::io(ctx("cutting the torn last line of"), e))?;
            cut_bytes = len - keep;
            len = keep;
            tracing::warn!(
                path = %lf.path.display(),
                cut_bytes,
                "cut a torn last line (an append was interrupted)"
            );
        }
        let moved = len != lf.len || lf.broken;
        if !moved {
            return Ok(CaughtUp {
                moved,
                last_line: None,
                cut_bytes,
            });
        }
        let last_line = if len == 0 {
            None
        } else {
            let start = last_newline_before(file, len - 1)
                .map_err(|e| Error::io(ctx("reading"), e))?
                .map_or(0, |p| p + 1);
            let line_len = len - 1 - start;
            if line_len > MAX_LINE_BYTES as u64 {
                return Err(Error::io(
                    ctx("reading"),
                    io::Error::new(io::ErrorKind::InvalidData, "last line is too long"),
                ));
            }
            let mut buf = vec![0; usize::try_from(line_len).unwrap_or(MAX_LINE_BYTES)];
            file.seek(SeekFrom::Start(start))
                .and_then(|_| file.read_exact(&mut buf))
                .map_err(|e| Error::io(ctx("reading"), e))?;
            Some(buf)
        };
        lf.len = len;
        // A failed rollback is repaired by catching up under the lock.
        lf.broken = false;
        Ok(CaughtUp {
            moved,
            last_line,
            cut_bytes,
        })
    }

    /// Appends `line` (see [`LineFile::append`]).
    ///
    /// # Errors
    /// As for [`LineFile::append`].
    pub(crate) fn append(&mut self, line: &[u8]) -> Result<()> {
        self.file.append(line, true)
    }

    /// Appends `line` without syncing: it reaches the disk with the next
    /// [`sync`](Locked::sync) or synced append (of any writer: they share
    /// the file).
    ///
    /// # Errors
    /// As for [`LineFile::append`].
    pub(crate) fn append_unsynced(&mut self, line: &[u8]) -> Result<()> {
        self.file.append(line, false)
    }

    /// Makes everything appended so far durable.
    ///
    /// # Errors
    /// `io` when the sync fails.
    pub(crate) fn sync(&mut self) -> Result<()> {
        self.file
            .file
            .sync_data()
            .map_err(|e| Error::io(format!("syncing {}", self.file.path.display()), e))
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // Closing the file would release it too; an unlock error leaves the
        // lock to that.
        let _ = self.file.file.unlock();
    }
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_open: &std::fs::Metadata, named: &std::fs::Metadata) -> bool {
    // Without inode numbers, settle for "the path is still a regular file".
    named.is_file()
}

/// Makes a newly created file's directory entry durable.
#[cfg(unix)]
fn sync_parent(path: &Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(format!("syncing directory {}", parent.display()), e))
}

#[cfg(not(unix))]
fn sync_parent(_path: &Path) -> Result<()> {
    Ok(())
}

fn read_byte_at(file: &mut File, pos: u64) -> io::Result<u8> {
    let mut b = [0u8; 1];
    file.seek(SeekFrom::Start(pos))?;
    file.read_exact(&mut b)?;
    Ok(b[0])
}

/// The position of the last `\n` strictly before `end`, scanning backwards.
fn last_newline_before(file: &mut File, end: u64) -> io::Result<Option<u64>> {
    let mut hi = end;
    let mut buf = vec![0u8; SCAN_CHUNK as usize];
    while hi > 0 {
        let lo = hi.saturating_sub(SCAN_CHUNK);
        let n = usize::try_from(hi - lo).unwrap_or(buf.len()).min(buf.len());
        let chunk = &mut buf[..n];
        file.seek(SeekFrom::Start(lo))?;
        file.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(Some(lo + i as u64));
        }
        hi = lo;
    }
    Ok(None)
}
