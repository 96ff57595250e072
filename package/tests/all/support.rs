//! Fixtures: extension directories for the test runtime, signed packages,
//! a host that opens archives, and a raw tar writer for hostile archives
//! (the `tar` crate refuses to write most of them).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use morph_package::keys::generate_signing_key;
use morph_package::{Limits, PackageOpener, SealedPackage, TrustPolicy, TrustStore};
use morph_runtime_core::{ErrorCode, Host};

use crate::test_runtime::{TestRuntime, manifest};

/// Writes an extension directory `id` at `version` with `permissions`,
/// an entry and an asset, under `root`.
pub fn extension(root: &Path, id: &str, version: &str, permissions: &[&str]) -> PathBuf {
    let dir = root.join(format!("{id}-{version}"));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    let text =
        manifest(id, permissions, "").replace("version: 1.0.0", &format!("version: {version}"));
    std::fs::write(dir.join("manifest.yaml"), text).unwrap();
    std::fs::write(dir.join("main.txt"), "hello from the test guest\n").unwrap();
    std::fs::write(dir.join("assets/logo.txt"), "a logo\n").unwrap();
    dir
}

/// A signed `.morph` of a fresh extension directory, written to `root/<name>`.
pub fn signed(
    root: &Path,
    id: &str,
    version: &str,
    permissions: &[&str],
    key: &SigningKey,
) -> PathBuf {
    let dir = extension(root, id, version, permissions);
    let mut package = SealedPackage::from_dir(&dir, &Limits::default()).unwrap();
    package.sign(key);
    let file = root.join(format!("{id}-{version}.morph"));
    package.write_file(&file).unwrap();
    file
}

/// A publisher key and a trust store holding it as `acme`.
pub fn publisher() -> (SigningKey, TrustStore) {
    let key = generate_signing_key();
    let store = TrustStore::empty()
        .with_key("acme", key.verifying_key())
        .unwrap();
    (key, store)
}

/// A host with the test runtime that opens archives with `policy`,
/// staging them inside `staging`.
pub fn host(data: &Path, policy: TrustPolicy, staging: &Path) -> Host {
    Host::builder()
        .with_data_dir(data)
        .without_linked_runtimes()
        .with_runtime(Arc::new(TestRuntime))
        .with_archive_opener(Arc::new(
            PackageOpener::new(policy).with_staging_dir(staging),
        ))
        .build()
        .unwrap()
}

/// Loads `file` in a fresh host; returns the error code, or `None` when it
/// loaded. Checks that a refused archive left nothing in the staging dir.
pub async fn load_code(file: &Path, policy: TrustPolicy) -> Option<ErrorCode> {
    let tmp = tempfile::tempdir().unwrap();
    let staging = tmp.path().join("staging");
    let host = host(&tmp.path().join("data"), policy, &staging);
    let result = host.load(file, serde_json::json!({})).await;
    let leftovers = std::fs::read_dir(&staging).map(|d| d.count()).unwrap_or(0);
    assert_eq!(leftovers, 0, "the staging dir must be empty after a load");
    match result {
        Ok(id) => {
            assert_eq!(
                host.execute(&id, "greet", serde_json::json!({}))
                    .await
                    .unwrap(),
                "hello from the test guest"
            );
            None
        }
        Err(e) => {
            assert!(host.extensions().is_empty());
            Some(e.code())
        }
    }
}

/// A raw tar entry: name, type flag, link name, data (size is taken from
/// `declared` when given, else from the data).
pub struct Raw<'a> {
    pub name: &'a [u8],
    pub kind: u8,
    pub link: &'a [u8],
    pub data: &'a [u8],
    pub declared: Option<u64>,
}

impl<'a> Raw<'a> {
    pub fn file(name: &'a str, data: &'a [u8]) -> Raw<'a> {
        Raw {
            name: name.as_bytes(),
            kind: b'0',
            link: b"",
            data,
            declared: None,
        }
    }
}

/// One 512-byte ustar header.
pub fn header(entry: &Raw<'_>) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..entry.name.len()].copy_from_slice(entry.name);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    let size = entry.declared.unwrap_or(entry.data.len() as u64);
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = entry.kind;
    h[157..157 + entry.link.len()].copy_from_slice(entry.link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// A gzip'd tar of raw entries.
pub fn raw_archive(entries: &[Raw<'_>]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for e in entries {
        gz.write_all(&header(e)).unwrap();
        gz.write_all(e.data).unwrap();
        let pad = (512 - e.data.len() % 512) % 512;
        gz.write_all(&vec![0u8; pad]).unwrap();
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    gz.finish().unwrap()
}

/// A valid package's files as raw entries plus `extra`, gzip'd.
pub fn with_valid_files(extra: Vec<Raw<'_>>) -> Vec<u8> {
    let mut entries = vec![
        Raw::file("manifest.yaml", MANIFEST.as_bytes()),
        Raw::file("main.txt", b"hello from the test guest\n"),
    ];
    entries.extend(extra);
    raw_archive(&entries)
}

pub static MANIFEST: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| manifest("hostile", &[], ""));
