//! The `.morph` archive reader (`package/src/archive.rs`, through
//! `SealedPackage::read` and `unpack`) on hostile streams. The first byte
//! chooses: the rest as a tar stream that the target gzips (so the fuzzer
//! mutates tar headers, not deflate bits), or as the gzip stream itself.
//! An archive that reads must write back (deterministically) to one that
//! reads to the same files and signature, and unpack to the same digests.

#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use morph_package::{Limits, SealedPackage, unpack};

/// Small caps, so every one of them is reachable.
const LIMITS: Limits = Limits {
    max_files: 32,
    max_file_bytes: 64 * 1024,
    max_total_bytes: 256 * 1024,
    max_ratio: 200,
};

fn gzip(tar: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(tar).expect("gzip into a Vec");
    gz.finish().expect("gzip into a Vec")
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let stream = if mode & 1 == 0 {
        gzip(rest)
    } else {
        rest.to_vec()
    };
    let Ok(package) = SealedPackage::read(stream.as_slice(), &LIMITS) else {
        return;
    };
    let _ = package.manifest();
    let bytes = package.to_bytes().expect("a package that read writes back");
    let again = SealedPackage::read(bytes.as_slice(), &LIMITS).expect("its own archive reads");
    assert_eq!(
        again.files(),
        package.files(),
        "files changed through an archive"
    );
    assert_eq!(again.signature_bytes(), package.signature_bytes());
    assert_eq!(again.digest(), package.digest());
    if mode & 2 == 2 {
        let dir = tempfile::tempdir().expect("a temporary dir");
        let staged =
            unpack(stream.as_slice(), &LIMITS, dir.path()).expect("an archive that reads unpacks");
        assert_eq!(
            staged.file_digests(),
            &package.file_digests().expect("digests"),
            "unpack and read disagree"
        );
    }
});
