//! Collecting an extension directory into package files.
//!
//! Every regular file beneath the directory is taken, by its path relative
//! to it, except hidden entries (names starting with `.`, such as `.git`)
//! and a top-level `target/` (Rust build output). A symbolic link, a
//! device or any other special file is refused rather than followed, and so
//! is a file named `signature.json` at the root (the name is reserved). The
//! same caps as for reading an archive apply.

use std::collections::BTreeMap;
use std::path::Path;

use morph_capabilities::{Error, Result};

use crate::archive::Limits;
use crate::format::{SIGNATURE_FILE, check_path};

/// Reads the files of the extension directory `dir`.
///
/// # Errors
/// `invalid_package` for a special file, a reserved or unusual name, or a
/// directory past the caps; `io` when reading fails.
pub fn collect(dir: &Path, limits: &Limits) -> Result<BTreeMap<String, Vec<u8>>> {
    let meta = std::fs::metadata(dir).map_err(|e| Error::InvalidPackage {
        reason: format!("cannot open package directory {}: {e}", dir.display()),
    })?;
    if !meta.is_dir() {
        return Err(Error::InvalidPackage {
            reason: format!("{} is not a directory", dir.display()),
        });
    }
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    walk(dir, "", limits, &mut files, &mut total)?;
    Ok(files)
}

fn walk(
    dir: &Path,
    prefix: &str,
    limits: &Limits,
    files: &mut BTreeMap<String, Vec<u8>>,
    total: &mut u64,
) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(Error::InvalidPackage {
                reason: format!("{}: a file name is not UTF-8", dir.display()),
            });
        };
        if name.starts_with('.') || (prefix.is_empty() && name == "target") {
            continue;
        }
        let rel = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}/{name}")
        };
        check_path(&rel)?;
        if rel == SIGNATURE_FILE {
            return Err(Error::InvalidPackage {
                reason: format!(
                    "{}: `{SIGNATURE_FILE}` is reserved for the package signature",
                    dir.display()
                ),
            });
        }
        let kind = entry
            .file_type()
            .map_err(|e| Error::io(format!("reading {}", entry.path().display()), e))?;
        if kind.is_dir() {
            walk(&entry.path(), &rel, limits, files, total)?;
        } else if kind.is_file() {
            let bytes = read_capped(&entry.path(), limits.max_file_bytes)?;
            *total = total.saturating_add(bytes.len() as u64);
            if files.len() >= limits.max_files || *total > limits.max_total_bytes {
                return Err(Error::InvalidPackage {
                    reason: format!(
                        "the directory holds more than {} files or {} bytes",
                        limits.max_files, limits.max_total_bytes
                    ),
                });
            }
            files.insert(rel, bytes);
        } else {
            return Err(Error::InvalidPackage {
                reason: format!(
                    "`{rel}` is a symbolic link or special file; a package holds regular files only"
                ),
            });
        }
    }
    Ok(())
}

fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    if bytes.len() as u64 > max {
        return Err(Error::InvalidPackage {
            reason: format!("{} is larger than {max} bytes", path.display()),
        });
    }
    Ok(bytes)
}
