//! The `.morph` format: names, media types and the rule for paths inside a
//! package.
//!
//! A `.morph` file is a gzip-compressed tar of the extension directory's
//! regular files (manifest, entry, assets) plus `signature.json` at its root.
//! Entries carry no owner, time or mode that matters: only paths and bytes
//! are signed. **A path inside a package is plain**: relative, `/`-separated,
//! no empty, `.` or `..` component, no backslash, NUL or control character;
//! everything else is refused with `invalid_package` before it is used.

use morph_capabilities::{Error, Result};

/// Name of the signature document at the package root.
pub const SIGNATURE_FILE: &str = "signature.json";

/// Version tag of the format; it is also the first line of the canonical
/// digest listing, so a digest of one format never verifies as another.
pub const FORMAT_VERSION: &str = "morph-package-v1";

/// The usual file extension of a package archive (without the dot).
pub const FILE_EXTENSION: &str = "morph";

/// OCI media type of the package archive (the artifact's one layer).
pub const PACKAGE_MEDIA_TYPE: &str = "application/vnd.morph.package.v1.tar+gzip";

/// OCI media type of the extension manifest (the artifact's config blob).
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.morph.manifest.v1+yaml";

/// OCI artifact type of a Morph package.
pub const ARTIFACT_TYPE: &str = "application/vnd.morph.package.v1";

/// Longest path accepted inside a package, in bytes.
pub const MAX_PATH_BYTES: usize = 1024;

/// Deepest nesting accepted inside a package.
pub const MAX_PATH_DEPTH: usize = 32;

/// Checks that `path` is a plain package path (see the module docs).
///
/// # Errors
/// `invalid_package` naming the path and what is wrong with it.
pub fn check_path(path: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::InvalidPackage {
            reason: format!(
                "entry `{}` {why}",
                morph_capabilities::truncate_for_message(path, 200)
            ),
        })
    };
    if path.is_empty() {
        return bad("has an empty path");
    }
    if path.len() > MAX_PATH_BYTES {
        return bad("has a path that is too long");
    }
    if path.starts_with('/') {
        return bad("is an absolute path");
    }
    if path.contains('\\') {
        return bad("contains a backslash");
    }
    if path.chars().any(char::is_control) {
        return bad("contains a control character");
    }
    let mut depth = 0;
    for component in path.split('/') {
        depth += 1;
        match component {
            "" => return bad("has an empty path component"),
            "." | ".." => return bad("leaves or names its directory (`.` or `..`)"),
            c if c.len() > 255 => return bad("has a component longer than 255 bytes"),
            _ => {}
        }
    }
    if depth > MAX_PATH_DEPTH {
        return bad("is nested too deep");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_path;

    #[test]
    fn plain_paths_pass_and_escapes_fail() {
        for ok in ["manifest.yaml", "assets/a.png", "a/b/c.txt", "..a", "a..b"] {
            assert!(check_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            "a//b",
            "a/",
            "a\\..\\b",
            "a\0b",
            "a\nb",
            ".",
        ] {
            let err = check_path(bad).unwrap_err();
            assert_eq!(err.code().as_str(), "invalid_package", "{bad:?}");
        }
    }
}
