//! The canonical digest of a package: every file's path and SHA-256, in
//! sorted order, hashed once more.
//!
//! The listing is `morph-package-v1\n` followed by one line per file,
//! `<sha256 hex> <path>\n`, paths sorted by their bytes (`signature.json`
//! at the root is not part of it). Paths cannot hold a newline
//! ([`check_path`]), so the listing is
//! unambiguous: **editing, adding, removing or renaming any file changes
//! the digest**, and so breaks the signature over it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use morph_capabilities::{Error, Result};
use sha2::{Digest, Sha256};

use crate::format::{FORMAT_VERSION, check_path};

/// A SHA-256 value, shown as `sha256:<hex>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256Digest {
        Sha256Digest(Sha256::digest(bytes).into())
    }

    /// Lower-case hex, without the `sha256:` prefix.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl FromStr for Sha256Digest {
    type Err = Error;

    /// Parses `sha256:<64 hex digits>`.
    fn from_str(s: &str) -> Result<Sha256Digest> {
        let bad = || Error::InvalidPackage {
            reason: format!(
                "`{}` is not a sha256 digest",
                morph_capabilities::truncate_for_message(s, 100)
            ),
        };
        let hex_part = s.strip_prefix("sha256:").ok_or_else(bad)?;
        if hex_part.len() != 64 || hex_part.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out).map_err(|_| bad())?;
        Ok(Sha256Digest(out))
    }
}

/// The files of a package, each path with the SHA-256 of its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileDigests {
    files: BTreeMap<String, Sha256Digest>,
}

impl FileDigests {
    /// No files.
    pub fn new() -> FileDigests {
        FileDigests::default()
    }

    /// Records `path` with its digest.
    ///
    /// # Errors
    /// `invalid_package` for a path that is not plain or is already present.
    pub fn insert(&mut self, path: &str, digest: Sha256Digest) -> Result<()> {
        check_path(path)?;
        if self.files.insert(path.to_owned(), digest).is_some() {
            return Err(Error::InvalidPackage {
                reason: format!("entry `{path}` appears twice"),
            });
        }
        Ok(())
    }

    /// The files, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Sha256Digest)> {
        self.files.iter().map(|(p, d)| (p.as_str(), d))
    }

    /// How many files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The canonical listing the package digest is taken over.
    pub fn canonical_listing(&self) -> String {
        let mut listing = format!("{FORMAT_VERSION}\n");
        for (path, digest) in &self.files {
            listing.push_str(&digest.hex());
            listing.push(' ');
            listing.push_str(path);
            listing.push('\n');
        }
        listing
    }

    /// The package digest: SHA-256 of the canonical listing.
    pub fn package_digest(&self) -> Sha256Digest {
        Sha256Digest::of(self.canonical_listing().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digests(files: &[(&str, &[u8])]) -> Sha256Digest {
        let mut d = FileDigests::new();
        for (p, b) in files {
            d.insert(p, Sha256Digest::of(b)).unwrap();
        }
        d.package_digest()
    }

    #[test]
    fn any_edit_addition_removal_or_rename_changes_the_digest() {
        let base = digests(&[("a", b"1"), ("b/c", b"2")]);
        assert_eq!(base, digests(&[("b/c", b"2"), ("a", b"1")]));
        assert_ne!(base, digests(&[("a", b"1"), ("b/c", b"3")]));
        assert_ne!(base, digests(&[("a", b"1"), ("b/c", b"2"), ("d", b"")]));
        assert_ne!(base, digests(&[("a", b"1")]));
        assert_ne!(base, digests(&[("a", b"1"), ("b/d", b"2")]));
        assert_ne!(base, digests(&[("b/c", b"1"), ("a", b"2")]));
    }

    #[test]
    fn digest_text_round_trips_and_rejects_junk() {
        let d = Sha256Digest::of(b"x");
        assert_eq!(d.to_string().parse::<Sha256Digest>().unwrap(), d);
        assert!("sha256:xyz".parse::<Sha256Digest>().is_err());
        assert!("md5:00".parse::<Sha256Digest>().is_err());
    }
}
