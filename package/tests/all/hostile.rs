//! Hostile archives: slips, links, devices, duplicates and bombs end in
//! `invalid_package`, with nothing written outside the staging directory
//! and the staging directory itself removed.

use std::io::Write;
use std::path::Path;

use morph_package::{Limits, SealedPackage, TrustPolicy, unpack};
use morph_runtime_core::ErrorCode;

use crate::support::{Raw, load_code, raw_archive, with_valid_files};

/// Unpacks `archive` inside `<tmp>/box/parent` and checks the refusal: the
/// code, an empty parent, and an untouched `<tmp>/box` around it.
fn refused(archive: &[u8], limits: &Limits) -> ErrorCode {
    let tmp = tempfile::tempdir().unwrap();
    let outer = tmp.path().join("box");
    let parent = outer.join("parent");
    std::fs::create_dir_all(&parent).unwrap();
    let err = unpack(archive, limits, &parent).unwrap_err();
    let inside: Vec<_> = std::fs::read_dir(&parent).unwrap().collect();
    assert!(inside.is_empty(), "staging left behind: {inside:?}");
    let around: Vec<_> = std::fs::read_dir(&outer)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        around,
        vec![std::ffi::OsString::from("parent")],
        "something was written outside"
    );
    assert!(!tmp.path().join("evil").exists() && !Path::new("/tmp/morph-evil").exists());
    err.code()
}

/// THREATS.md, "Packages": hostile archives, `../` and absolute paths.
#[test]
fn path_escapes_are_refused() {
    for name in [
        "../evil",
        "a/../../evil",
        "/tmp/morph-evil",
        "./main.txt",
        "a//b",
        "a\\..\\evil",
    ] {
        let archive = with_valid_files(vec![Raw::file(name, b"pwned")]);
        assert_eq!(
            refused(&archive, &Limits::default()),
            ErrorCode::InvalidPackage,
            "{name}"
        );
    }
}

/// THREATS.md, "Packages": hostile archives, links out and device entries.
#[test]
fn links_devices_and_special_entries_are_refused() {
    let entries = [
        (b'2', b"/etc/passwd".as_slice(), "symlink out"),
        (b'2', b"main.txt".as_slice(), "symlink in"),
        (b'1', b"main.txt".as_slice(), "hard link"),
        (b'1', b"../evil".as_slice(), "hard link out"),
        (b'3', b"".as_slice(), "char device"),
        (b'4', b"".as_slice(), "block device"),
        (b'6', b"".as_slice(), "fifo"),
        (b'S', b"".as_slice(), "sparse"),
        (b'g', b"".as_slice(), "global header"),
    ];
    for (kind, link, what) in entries {
        let archive = with_valid_files(vec![Raw {
            name: b"assets/x",
            kind,
            link,
            data: b"",
            declared: None,
        }]);
        assert_eq!(
            refused(&archive, &Limits::default()),
            ErrorCode::InvalidPackage,
            "{what}"
        );
    }
    // A symlink followed by a file written "through" it.
    let archive = with_valid_files(vec![
        Raw {
            name: b"out",
            kind: b'2',
            link: b"..",
            data: b"",
            declared: None,
        },
        Raw::file("out/evil", b"pwned"),
    ]);
    assert_eq!(
        refused(&archive, &Limits::default()),
        ErrorCode::InvalidPackage
    );
}

/// THREATS.md, "Packages": hostile archives, duplicates.
#[test]
fn duplicate_entries_are_refused() {
    let cases: Vec<Vec<Raw<'_>>> = vec![
        vec![Raw::file("main.txt", b"second copy")],
        vec![Raw::file("Main.txt", b"case twin")],
        vec![
            Raw::file("signature.json", b"{}"),
            Raw::file("signature.json", b"{}"),
        ],
        vec![Raw::file("main.txt/inner", b"file as dir")],
        vec![Raw {
            name: b"main.txt/",
            kind: b'5',
            link: b"",
            data: b"",
            declared: None,
        }],
    ];
    for extra in cases {
        let archive = with_valid_files(extra);
        assert_eq!(
            refused(&archive, &Limits::default()),
            ErrorCode::InvalidPackage
        );
    }
}

#[test]
fn too_many_files_and_oversized_entries_are_refused_before_reading() {
    let names: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
    let archive = with_valid_files(names.iter().map(|n| Raw::file(n, b"x")).collect());
    let limits = Limits {
        max_files: 10,
        ..Limits::default()
    };
    assert_eq!(refused(&archive, &limits), ErrorCode::InvalidPackage);
    // A header that claims 4 GiB: refused from the header alone.
    let archive = with_valid_files(vec![Raw {
        name: b"huge",
        kind: b'0',
        link: b"",
        data: b"",
        declared: Some(1 << 32),
    }]);
    assert_eq!(
        refused(&archive, &Limits::default()),
        ErrorCode::InvalidPackage
    );
    // A truncated entry (declares more than it has).
    let archive = raw_archive(&[Raw {
        name: b"short",
        kind: b'0',
        link: b"",
        data: b"abc",
        declared: Some(4096),
    }]);
    assert_eq!(
        refused(&archive, &Limits::default()),
        ErrorCode::InvalidPackage
    );
}

/// 1 GiB of zeros in 60 MiB files (each under the per-file cap): about a
/// megabyte on disk.
fn gigabyte_bomb() -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let chunk = vec![0u8; 1 << 20];
    let file_size: u64 = 60 << 20;
    let files = (1u64 << 30).div_ceil(file_size);
    for i in 0..files {
        let name = format!("zeros-{i}");
        gz.write_all(&crate::support::header(&Raw {
            name: name.as_bytes(),
            kind: b'0',
            link: b"",
            data: b"",
            declared: Some(file_size),
        }))
        .unwrap();
        for _ in 0..60 {
            gz.write_all(&chunk).unwrap();
        }
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    gz.finish().unwrap()
}

/// THREATS.md, "Packages": hostile archives, bombs (caps enforced while
/// streaming).
#[tokio::test]
async fn a_gigabyte_bomb_is_refused_while_streaming() {
    let bomb = gigabyte_bomb();
    assert!(
        bomb.len() < 8 << 20,
        "the bomb is small on disk (any deflate backend): {}",
        bomb.len()
    );
    // Stopped by the ratio guard while streaming.
    assert_eq!(
        refused(&bomb, &Limits::default()),
        ErrorCode::InvalidPackage
    );
    // And by the total-size cap when the ratio is not checked.
    let no_ratio = Limits {
        max_ratio: u64::MAX,
        ..Limits::default()
    };
    assert_eq!(refused(&bomb, &no_ratio), ErrorCode::InvalidPackage);
    // In memory too, and through the host.
    let err = SealedPackage::read(bomb.as_slice(), &Limits::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidPackage);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bomb.morph");
    std::fs::write(&file, &bomb).unwrap();
    assert_eq!(
        load_code(&file, TrustPolicy::default().allow_unsigned(true)).await,
        Some(ErrorCode::InvalidPackage)
    );
}

/// THREATS.md, "Packages": hostile archives, nothing written outside the
/// staging directory.
#[tokio::test]
async fn a_hostile_archive_is_refused_by_the_host_even_when_unsigned_is_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("slip.morph");
    std::fs::write(
        &file,
        with_valid_files(vec![Raw::file("../../evil", b"pwned")]),
    )
    .unwrap();
    assert_eq!(
        load_code(&file, TrustPolicy::default().allow_unsigned(true)).await,
        Some(ErrorCode::InvalidPackage)
    );
    assert!(!tmp.path().join("evil").exists());
    std::fs::write(&file, b"not an archive at all").unwrap();
    assert_eq!(
        load_code(&file, TrustPolicy::default().allow_unsigned(true)).await,
        Some(ErrorCode::InvalidPackage)
    );
}

/// THREATS.md, "Packages": hostile archives, nothing written outside the
/// staging directory, and a failed install leaves nothing half-installed
/// (persisted by rename only when whole).
#[test]
fn a_good_archive_unpacks_and_persists_by_rename() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = with_valid_files(vec![Raw::file("assets/deep/x.txt", b"x")]);
    let staged = unpack(archive.as_slice(), &Limits::default(), tmp.path()).unwrap();
    assert_eq!(staged.file_digests().len(), 3);
    let target = tmp.path().join("installed");
    staged.persist(&target).unwrap();
    assert_eq!(
        std::fs::read(target.join("assets/deep/x.txt")).unwrap(),
        b"x"
    );
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("installed")]);
}

#[test]
fn packaging_refuses_symlinks_in_the_source_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = crate::support::extension(tmp.path(), "linky", "1.0.0", &[]);
    std::os::unix::fs::symlink("/etc/passwd", dir.join("assets/passwd")).unwrap();
    let err = SealedPackage::from_dir(&dir, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidPackage);
}
