//! Reading and writing the `.morph` archive stream (tar inside gzip), with
//! every hostile-archive defence applied while streaming.
//!
//! The reader accepts regular files and directories only: symlinks, hard
//! links, devices, FIFOs, sparse and global-header entries are refused, as
//! are paths that are not plain ([`check_path`]), duplicate entries (also
//! ones that differ only in case), and a file that is also a directory.
//! **Caps are enforced before and during reading**: the number of files,
//! each file's size (from its header, before reading it), the total
//! unpacked size, and the decompressed stream itself (its size and its
//! ratio to the compressed bytes), so a small bomb stops early. Every
//! refusal is `invalid_package`. The writer is deterministic: sorted paths,
//! zero times and owners, mode 0644.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};
use std::rc::Rc;

use morph_capabilities::{Error, Result};

use crate::format::{SIGNATURE_FILE, check_path};
use crate::signature::MAX_SIGNATURE_BYTES;

/// Caps applied while reading an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most files in a package.
    pub max_files: usize,
    /// Largest single file, in bytes.
    pub max_file_bytes: u64,
    /// Largest total of all files, in bytes.
    pub max_total_bytes: u64,
    /// Largest ratio of decompressed to compressed bytes, checked once more
    /// than [`Limits::RATIO_FLOOR`] bytes have been decompressed.
    pub max_ratio: u64,
}

impl Limits {
    /// Decompressed bytes below which the ratio is not checked (small,
    /// repetitive files compress well and are harmless).
    pub const RATIO_FLOOR: u64 = 8 * 1024 * 1024;
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_files: 4096,
            max_file_bytes: morph_runtime_core::MAX_PACKAGE_FILE_BYTES,
            max_total_bytes: 256 * 1024 * 1024,
            max_ratio: 200,
        }
    }
}

/// One file as the reader hands it over.
pub struct ArchiveFile<'a> {
    /// Its plain path.
    pub path: &'a str,
    /// Its declared size in bytes (already within the caps).
    pub size: u64,
    /// Its bytes; reading past `size` is impossible.
    pub reader: &'a mut dyn Read,
}

/// What the reader found besides the files it handed over.
#[derive(Debug, Clone, Default)]
pub struct ArchiveSummary {
    /// The bytes of `signature.json`, if the archive has one.
    pub signature: Option<Vec<u8>>,
    /// Number of content files.
    pub files: usize,
    /// Their total size.
    pub total_bytes: u64,
}

/// Reads a `.morph` stream, calling `on_file` for every content file
/// (`signature.json` is returned in the summary instead).
///
/// # Errors
/// `invalid_package` for anything hostile or malformed (see the module
/// docs); whatever `on_file` returns.
pub fn read_archive(
    compressed: impl Read,
    limits: &Limits,
    on_file: &mut dyn FnMut(ArchiveFile<'_>) -> Result<()>,
) -> Result<ArchiveSummary> {
    let compressed_count = Rc::new(Cell::new(0u64));
    let counted = CountingReader {
        inner: compressed,
        count: compressed_count.clone(),
    };
    // Headers and padding: at most three 512-byte blocks per entry, plus
    // room for long names; the files themselves are capped separately.
    let overhead = (limits.max_files as u64 + 16) * 4096;
    let guarded = BombGuard {
        inner: flate2::read::GzDecoder::new(counted),
        compressed: compressed_count,
        decompressed: 0,
        max_decompressed: limits.max_total_bytes.saturating_add(overhead),
        max_ratio: limits.max_ratio,
    };
    let mut archive = tar::Archive::new(guarded);
    let entries = archive.entries().map_err(corrupt)?;
    let mut summary = ArchiveSummary::default();
    let mut seen = Seen::default();
    for entry in entries {
        let mut entry = entry.map_err(corrupt)?;
        let raw_path = entry.path_bytes().into_owned();
        let path = String::from_utf8(raw_path).map_err(|_| Error::InvalidPackage {
            reason: "an entry's path is not UTF-8".to_owned(),
        })?;
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            let dir = path.strip_suffix('/').unwrap_or(&path);
            check_path(dir)?;
            seen.dir(dir)?;
            continue;
        }
        if !kind.is_file() {
            return Err(Error::InvalidPackage {
                reason: format!(
                    "entry `{}` is a {}; only regular files and directories are allowed",
                    morph_capabilities::truncate_for_message(&path, 200),
                    kind_name(kind)
                ),
            });
        }
        check_path(&path)?;
        let size = entry.size();
        if path == SIGNATURE_FILE {
            if summary.signature.is_some() {
                return Err(duplicate(&path));
            }
            if size > MAX_SIGNATURE_BYTES as u64 {
                return Err(Error::InvalidPackage {
                    reason: format!("{SIGNATURE_FILE} is larger than {MAX_SIGNATURE_BYTES} bytes"),
                });
            }
            let mut bytes = Vec::new();
            (&mut entry)
                .take(size)
                .read_to_end(&mut bytes)
                .map_err(corrupt)?;
            summary.signature = Some(bytes);
            continue;
        }
        seen.file(&path)?;
        summary.files += 1;
        if summary.files > limits.max_files {
            return Err(Error::InvalidPackage {
                reason: format!("the archive holds more than {} files", limits.max_files),
            });
        }
        if size > limits.max_file_bytes {
            return Err(Error::InvalidPackage {
                reason: format!(
                    "entry `{path}` unpacks to {size} bytes, more than the {} allowed per file",
                    limits.max_file_bytes
                ),
            });
        }
        summary.total_bytes = summary.total_bytes.saturating_add(size);
        if summary.total_bytes > limits.max_total_bytes {
            return Err(Error::InvalidPackage {
                reason: format!(
                    "the archive unpacks to more than {} bytes",
                    limits.max_total_bytes
                ),
            });
        }
        let mut reader = ExactReader {
            inner: (&mut entry).take(size),
        };
        on_file(ArchiveFile {
            path: &path,
            size,
            reader: &mut reader,
        })?;
        // Whatever the callback left unread is drained (and counted).
        io::copy(&mut reader, &mut io::sink()).map_err(corrupt)?;
    }
    Ok(summary)
}

/// Writes a deterministic `.morph` stream of `files` (sorted by path) and,
/// when given, `signature.json` first.
///
/// # Errors
/// `invalid_package` for a path that is not plain; `io` when writing fails.
pub fn write_archive(
    files: &BTreeMap<String, Vec<u8>>,
    signature: Option<&[u8]>,
    out: impl Write,
) -> Result<()> {
    let io_err = |e: io::Error| Error::io("writing the package archive", e);
    let gz = flate2::write::GzEncoder::new(out, flate2::Compression::best());
    let mut builder = tar::Builder::new(gz);
    builder.mode(tar::HeaderMode::Deterministic);
    let mut append = |path: &str, bytes: &[u8]| -> Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        builder
            .append_data(&mut header, path, bytes)
            .map_err(io_err)
    };
    if let Some(sig) = signature {
        append(SIGNATURE_FILE, sig)?;
    }
    for (path, bytes) in files {
        check_path(path)?;
        if path == SIGNATURE_FILE {
            return Err(Error::InvalidPackage {
                reason: format!("`{SIGNATURE_FILE}` is reserved for the package signature"),
            });
        }
        append(path, bytes)?;
    }
    let gz = builder.into_inner().map_err(io_err)?;
    gz.finish().map_err(io_err)?.flush().map_err(io_err)
}

/// Paths seen so far, to refuse duplicates and file/directory clashes.
#[derive(Default)]
struct Seen {
    files: BTreeSet<String>,
    dirs: BTreeSet<String>,
    folded: BTreeSet<String>,
}

impl Seen {
    fn file(&mut self, path: &str) -> Result<()> {
        if self.dirs.contains(path) || !self.folded.insert(path.to_lowercase()) {
            return Err(duplicate(path));
        }
        for (i, _) in path.match_indices('/') {
            let parent = &path[..i];
            if self.files.contains(parent) {
                return Err(duplicate(parent));
            }
            self.dirs.insert(parent.to_owned());
        }
        self.files.insert(path.to_owned());
        Ok(())
    }

    fn dir(&mut self, path: &str) -> Result<()> {
        if self.files.contains(path) {
            return Err(duplicate(path));
        }
        self.dirs.insert(path.to_owned());
        Ok(())
    }
}

fn duplicate(path: &str) -> Error {
    Error::InvalidPackage {
        reason: format!(
            "entry `{}` appears twice (or as both a file and a directory)",
            morph_capabilities::truncate_for_message(path, 200)
        ),
    }
}

fn corrupt(e: io::Error) -> Error {
    Error::InvalidPackage {
        reason: format!("the archive is corrupt or refused: {e}"),
    }
}

fn kind_name(kind: tar::EntryType) -> &'static str {
    match kind {
        tar::EntryType::Symlink => "symbolic link",
        tar::EntryType::Link => "hard link",
        tar::EntryType::Char => "character device",
        tar::EntryType::Block => "block device",
        tar::EntryType::Fifo => "FIFO",
        tar::EntryType::GNUSparse => "sparse file",
        tar::EntryType::XGlobalHeader => "global extended header",
        _ => "special entry",
    }
}

/// Counts the bytes read through it.
struct CountingReader<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get().saturating_add(n as u64));
        Ok(n)
    }
}

/// Stops a decompression bomb while it streams: caps the decompressed size
/// and its ratio to the compressed bytes read so far.
struct BombGuard<R> {
    inner: R,
    compressed: Rc<Cell<u64>>,
    decompressed: u64,
    max_decompressed: u64,
    max_ratio: u64,
}

impl<R: Read> Read for BombGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.decompressed = self.decompressed.saturating_add(n as u64);
        if self.decompressed > self.max_decompressed {
            return Err(io::Error::other(format!(
                "decompression bomb: the stream unpacks to more than {} bytes",
                self.max_decompressed
            )));
        }
        if self.decompressed > Limits::RATIO_FLOOR
            && self.decompressed / self.compressed.get().max(1) > self.max_ratio
        {
            return Err(io::Error::other(format!(
                "decompression bomb: the stream expands more than {}:1",
                self.max_ratio
            )));
        }
        Ok(n)
    }
}

/// Reads a file entry and fails if it ends before its declared size.
struct ExactReader<R> {
    inner: io::Take<R>,
}

impl<R: Read> Read for ExactReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() && self.inner.limit() > 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "an entry ends before its declared size",
            ));
        }
        Ok(n)
    }
}
