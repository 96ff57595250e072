//! The `fs.*` capabilities through the broker, on a real directory tree:
//! round trips, encodings, escapes by `..`, absolute paths, symlinks and hard
//! links, NUL bytes, size caps and isolation between extensions. Invariant
//! checked throughout: nothing outside the extension's own directory is read
//! or changed, and every call leaves exactly one audit record.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use morph_capabilities::audit::{AuditRecord, Decision};
use morph_capabilities::{Permission, ResourceLimits, Result};
use serde_json::{Value, json};

use crate::support::{Fixture, call, ctx, ctx_with};

const FS: [Permission; 2] = [Permission::FsRead, Permission::FsWrite];
const OUTSIDE_TEXT: &str = "OUTSIDE-SECRET-CONTENT";

/// Asserts `outcome` failed with `code` and the record says `decision`.
fn expect(outcome: &(Result<Value>, AuditRecord), code: &str, decision: Decision) {
    match &outcome.0 {
        Ok(v) => panic!("expected {code}, got Ok({v})"),
        Err(e) => assert_eq!(e.code().as_str(), code, "{e}"),
    }
    assert_eq!(outcome.1.entry.outcome, code);
    assert_eq!(outcome.1.entry.decision, decision);
}

fn expect_ok(outcome: &(Result<Value>, AuditRecord)) -> Value {
    match &outcome.0 {
        Ok(v) => {
            assert_eq!(outcome.1.entry.outcome, "ok");
            assert_eq!(outcome.1.entry.decision, Decision::Allowed);
            v.clone()
        }
        Err(e) => panic!("expected success, got {e}"),
    }
}

/// The extension's own directory on the host.
fn ext_dir(f: &Fixture, id: &str) -> PathBuf {
    f.dir.path().join("files").join(id)
}

/// A directory outside every extension root, holding one secret file.
fn outside() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, OUTSIDE_TEXT).unwrap();
    (dir, secret)
}

fn assert_untouched(secret: &Path) {
    assert_eq!(std::fs::read_to_string(secret).unwrap(), OUTSIDE_TEXT);
}

#[tokio::test]
async fn write_read_list_delete_round_trip() {
    let f = Fixture::new();
    let a = ctx("ext-a", &FS);
    let w = call(
        &f,
        &a,
        "fs.write",
        json!({"path": "notes/a.txt", "content": "hello"}),
    )
    .await;
    assert_eq!(expect_ok(&w), Value::Null);
    assert_eq!(
        std::fs::read_to_string(ext_dir(&f, "ext-a").join("notes/a.txt")).unwrap(),
        "hello"
    );
    let r = call(&f, &a, "fs.read", json!({"path": "notes/a.txt"})).await;
    assert_eq!(
        expect_ok(&r),
        json!({"content": "hello", "encoding": "utf8"})
    );

    let root = call(&f, &a, "fs.list", json!({})).await;
    assert_eq!(
        expect_ok(&root),
        json!({"entries": [{"name": "notes", "kind": "dir", "size": 0}]})
    );
    call(
        &f,
        &a,
        "fs.write",
        json!({"path": "notes/b.bin", "content": "xyz"}),
    )
    .await
    .0
    .unwrap();
    let notes = call(&f, &a, "fs.list", json!({"path": "notes"})).await;
    assert_eq!(
        expect_ok(&notes),
        json!({"entries": [
            {"name": "a.txt", "kind": "file", "size": 5},
            {"name": "b.bin", "kind": "file", "size": 3},
        ]})
    );

    // Overwrite is atomic and leaves no temporary file behind.
    call(
        &f,
        &a,
        "fs.write",
        json!({"path": "notes/a.txt", "content": "hello again"}),
    )
    .await
    .0
    .unwrap();
    let names: Vec<String> = std::fs::read_dir(ext_dir(&f, "ext-a").join("notes"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let r = call(&f, &a, "fs.read", json!({"path": "notes/a.txt"})).await;
    assert_eq!(expect_ok(&r)["content"], "hello again");

    // `..` that stays inside the root is fine.
    let inside = call(&f, &a, "fs.read", json!({"path": "notes/../notes/b.bin"})).await;
    assert_eq!(expect_ok(&inside)["content"], "xyz");

    let nonempty = call(&f, &a, "fs.delete", json!({"path": "notes"})).await;
    expect(&nonempty, "capability_failed", Decision::Allowed);
    for path in ["notes/a.txt", "notes/b.bin", "notes"] {
        let d = call(&f, &a, "fs.delete", json!({"path": path})).await;
        expect_ok(&d);
    }
    let gone = call(&f, &a, "fs.read", json!({"path": "notes/a.txt"})).await;
    expect(&gone, "capability_failed", Decision::Allowed);
    assert!(gone.0.unwrap_err().to_string().contains("not found"));
    let missing = call(&f, &a, "fs.delete", json!({"path": "notes"})).await;
    expect(&missing, "capability_failed", Decision::Allowed);
    let missing = call(&f, &a, "fs.list", json!({"path": "nowhere"})).await;
    expect(&missing, "capability_failed", Decision::Allowed);
    let empty = call(&f, &a, "fs.list", Value::Null).await;
    assert_eq!(expect_ok(&empty), json!({"entries": []}));
}

#[tokio::test]
async fn utf8_and_base64_contents() {
    let f = Fixture::new();
    let a = ctx("ext-a", &FS);
    let text = "héllo ✓ 🦀\nline two";
    call(
        &f,
        &a,
        "fs.write",
        json!({"path": "u.txt", "content": text, "encoding": "utf8"}),
    )
    .await
    .0
    .unwrap();
    let r = call(&f, &a, "fs.read", json!({"path": "u.txt"})).await;
    assert_eq!(expect_ok(&r), json!({"content": text, "encoding": "utf8"}));

    let bytes = [0u8, 159, 146, 150, 255, 1, 2];
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let w = call(
        &f,
        &a,
        "fs.write",
        json!({"path": "b.bin", "content": b64, "encoding": "base64"}),
    )
    .await;
    expect_ok(&w);
    assert_eq!(
        std::fs::read(ext_dir(&f, "ext-a").join("b.bin")).unwrap(),
        bytes
    );
    let r = call(&f, &a, "fs.read", json!({"path": "b.bin"})).await;
    assert_eq!(expect_ok(&r), json!({"content": b64, "encoding": "base64"}));

    let bad = call(
        &f,
        &a,
        "fs.write",
        json!({"path": "c.bin", "content": "*not base64*", "encoding": "base64"}),
    )
    .await;
    expect(&bad, "invalid_request", Decision::Denied);
    assert!(!ext_dir(&f, "ext-a").join("c.bin").exists());
}

/// THREATS.md, "Bypassing the broker's checks": files, `..` and absolute paths
/// are refused beneath the extension's root.
#[tokio::test]
async fn dot_dot_and_absolute_paths_are_refused() {
    let f = Fixture::new();
    let a = ctx("ext-a", &FS);
    // The extension's directory exists and holds one file.
    call(
        &f,
        &a,
        "fs.write",
        json!({"path": "own.txt", "content": "own"}),
    )
    .await
    .0
    .unwrap();
    let (_out, secret) = outside();
    let secret_abs = secret.to_str().unwrap().to_owned();
    let escapes = [
        "../x".to_owned(),
        "a/../../x".to_owned(),
        "../ext-b/x".to_owned(),
        "../../morph.db".to_owned(),
        "./../../../../../../../../etc/passwd".to_owned(),
        "/etc/passwd".to_owned(),
        secret_abs.clone(),
    ];
    for path in &escapes {
        let r = call(&f, &a, "fs.read", json!({"path": path})).await;
        expect(&r, "permission_denied", Decision::Denied);
        let l = call(&f, &a, "fs.list", json!({"path": path})).await;
        expect(&l, "permission_denied", Decision::Denied);
    }
    // Deletes aim only at the throwaway file outside, never at a system file.
    let rel_secret = format!("../../../../../../../../../..{}", secret.display());
    for path in [
        secret.to_str().unwrap(),
        rel_secret.as_str(),
        "../own.txt",
        "..",
    ] {
        let d = call(&f, &a, "fs.delete", json!({"path": path})).await;
        expect(&d, "permission_denied", Decision::Denied);
    }
    for path in [
        "../x".to_owned(),
        "a/../../x".to_owned(),
        "../../x".to_owned(),
        "..".to_owned(),
        "sub/../..".to_owned(),
        secret_abs,
        format!("{}/planted.txt", f.dir.path().display()),
    ] {
        let w = call(
            &f,
            &a,
            "fs.write",
            json!({"path": path, "content": "pwned"}),
        )
        .await;
        expect(&w, "permission_denied", Decision::Denied);
    }
    assert_untouched(&secret);
    assert!(!f.dir.path().join("files/x").exists());
    assert!(!f.dir.path().join("x").exists());
    assert!(!f.dir.path().join("planted.txt").exists());
    assert!(
        !ext_dir(&f, "ext-a").join("a").exists(),
        "no directory was left behind"
    );
    let list = call(&f, &a, "fs.list", json!({})).await;
    assert_eq!(expect_ok(&list)["entries"].as_array().unwrap().len(), 1);
}

/// THREATS.md, "Bypassing the broker's checks": files, symlinks out.
#[tokio::test]
async fn a_symlink_to_a_file_outside_is_refused() {
    let f = Fixture::new();
    let a = ctx("ext-a", &FS);
    call(
        &f,
        &a,
        "fs.write",
        json!({"path": "own.txt", "content": "own"}),
    )
    .await
    .0
    .unwrap();
    let (_out, secret) = outside();
    std::os::unix::fs::symlink(&secret, ext_dir(&f, "ext-a").join("link")).unwrap();
    // A relative link climbing out is refused the same way.
    std::os::unix::fs::symlink(
        "../../../../../../../../../../etc/passwd",
        ext_dir(&f, "ext-a").join("rel"),
    )
    .unwrap();

    for path in ["link", "rel"] {
        let r = call(&f, &a, "fs.read", json!({"path": path})).await;
        expect(&r, "permission_denied", Decision::Denied);
        let w = call(
            &f,
            &a,
            "fs.write",
            json!({"path": path, "content": "pwned"}),
        )
        .await;
        expect(&w, "permission_denied", Decision::Denied);
    }
    assert_untouched(&secret);
    let audit = serde_json::to_string(&f.audit.records()).unwrap();
    assert!(!audit.contains(OUTSIDE_TEXT));

    // Listing shows the link itself; deleting it removes only the link.
    let list = call(&f, &a, "fs.list", json!({})).await;
    let entries = expect_ok(&list)["entries"].clone();
    assert_eq!(
        entries[0],
        json!({"name": "link", "kind": "other", "size": 0})
    );
    let d = call(&f, &a, "fs.delete", json!({"path": "link"})).await;
    expect_ok(&d);
    assert!(!ext_dir(&f, "ext-a").join("link").exists());
    assert_untouched(&secret);
}

#[tokio::test]
async fn a_symlink_inside_the_root_is_followed() {
    let f = Fixture::new();
    let a = ctx("ext-a", &FS);
    call(
        &f,
        &a,
        "fs.write",
        json!({"path": "real.txt", "content": "real"}),
    )
    .await
    .0
    .unwrap();
    std::os::unix::fs::symlink("real.txt", ext_dir(&f, "ext-a").join("alias")).unwrap();
    let r = call(&f, &a, "fs.read", json!({"path": "alias"})).await;
    assert_eq!(expect_ok(&r)["content"], "real");
}

#[tokio::test]
async fn a_symlinked_directory_pointing_outside_is_refused() {
    let f = Fixture::new();
    let a = ctx("ext-a", &FS);
    call(
        &f,
        &a,
        "fs.write",
        json!({"path": "own.txt", "content": "own"}),
    )
    .await
    .0
    .unwrap();
    let (out, secret) = outside();
    std::os::unix::fs::symlink(out.path(), ext_dir(&f, "ext-a").join("out")).unwrap();

    let r = call(&f, &a, "fs.read", json!({"path": "out/secret.txt"})).await;
    expect(&r, "permission_denied", Decision::Denied);
    let w = call(
        &f,
        &a,
        "fs.write",
        json!({"path": "out/new.txt", "content": "pwned"}),
    )
    .await;
    expect(&w, "permission_denied", Decision::Denied);
    let w = call(
        &f,
        &a,
        "fs.write",
        json!({"path": "out/secret.txt", "content": "pwned"}),
    )
    .await;
    expect(&w, "permission_denied", Decision::Denied);
    let w = call(
        &f,
        &a,
        "fs.write",
        json!({"path": "out/deeper/new.txt", "content": "pwned"}),
    )
    .await;
    expect(&w, "permission_denied", Decision::Denied);
    let l = call(&f, &a, "fs.list", json!({"path": "out"})).await;
    expect(&l, "permission_denied", Decision::Denied);
    let d = call(&f, &a, "fs.delete", json!({"path": "out/secret.txt"})).await;
    expect(&d, "permission_denied", Decision::Denied);

    assert_untouched(&secret);
    assert!(!out.path().join("new.txt").exists());
    assert!(!out.path().join("deeper").exists());
}

#[tokio::test]
async fn the_extension_directory_itself_as_a_symlink_out_is_refused() {
    let f = Fixture::new();
    let (out, secret) = outside();
    std::fs::create_dir_all(f.dir.path().join("files")).unwrap();
    std::os::unix::fs::symlink(out.path(), ext_dir(&f, "ext-a")).unwrap();
    let a = ctx("ext-a", &FS);
    let r = call(&f, &a, "fs.read", json!({"path": "secret.txt"})).await;
    expect(&r, "permission_denied", Decision::Denied);
    let w = call(
        &f,
        &a,
        "fs.write",
        json!({"path": "new.txt", "content": "x"}),
    )
    .await;
    expect(&w, "permission_denied", Decision::Denied);
    assert_untouched(&secret);
    assert!(!out.path().join("new.txt").exists());
}

/// THREATS.md, "Bypassing the broker's checks": files, hard links out.
#[tokio::test]
async fn a_hard_link_to_a_file_outside_is_refused() {
    let f = Fixture::new();
    let a = ctx("ext-a", &FS);
    call(
        &f,
        &a,
        "fs.write",
        json!({"path": "own.txt", "content": "own"}),
    )
    .await
    .0
    .unwrap();
    let (_out, secret) = outside();
    let link = ext_dir(&f, "ext-a").join("hard");
    if let Err(e) = std::fs::hard_link(&secret, &link) {
        // Only possible when the temporary directories sit on different devices.
        eprintln!("skipping: cannot hard-link across these directories: {e}");
        return;
    }
    let r = call(&f, &a, "fs.read", json!({"path": "hard"})).await;
    expect(&r, "permission_denied", Decision::Denied);
    let w = call(
        &f,
        &a,
        "fs.write",
        json!({"path": "hard", "content": "pwned"}),
    )
    .await;
    expect(&w, "permission_denied", Decision::Denied);
    assert_untouched(&secret);
    let audit = serde_json::to_string(&f.audit.records()).unwrap();
    assert!(!audit.contains(OUTSIDE_TEXT));
}

/// THREATS.md, "Bypassing the broker's checks": files, NUL bytes.
#[tokio::test]
async fn nul_bytes_and_empty_paths_are_invalid() {
    let f = Fixture::new();
    let a = ctx("ext-a", &FS);
    for (cap, request) in [
        ("fs.read", json!({"path": "a\u{0}b"})),
        (
            "fs.write",
            json!({"path": "a\u{0}/../../x", "content": "x"}),
        ),
        ("fs.delete", json!({"path": "\u{0}"})),
        ("fs.list", json!({"path": "a\u{0}"})),
        ("fs.read", json!({"path": ""})),
        ("fs.write", json!({"path": "", "content": "x"})),
        ("fs.write", json!({"path": ".", "content": "x"})),
    ] {
        let r = call(&f, &a, cap, request).await;
        expect(&r, "invalid_request", Decision::Denied);
    }
}

/// THREATS.md, "Exhausting the host": every host call caps what it copies or
/// allocates for the guest (file size).
#[tokio::test]
async fn size_caps_on_write_and_read() {
    let f = Fixture::new();
    let limits = ResourceLimits {
        max_file_size_mb: 1,
        ..Default::default()
    };
    let a = ctx_with("ext-a", &FS, &[], limits);
    const MIB: usize = 1024 * 1024;

    let too_big = call(
        &f,
        &a,
        "fs.write",
        json!({"path": "big.txt", "content": "x".repeat(MIB + 1)}),
    )
    .await;
    expect(&too_big, "capability_failed", Decision::Allowed);
    assert!(
        too_big
            .0
            .unwrap_err()
            .to_string()
            .contains("max_file_size_mb")
    );
    assert!(!ext_dir(&f, "ext-a").join("big.txt").exists());

    let exact = call(
        &f,
        &a,
        "fs.write",
        json!({"path": "exact.txt", "content": "x".repeat(MIB)}),
    )
    .await;
    expect_ok(&exact);
    let r = call(&f, &a, "fs.read", json!({"path": "exact.txt"})).await;
    assert_eq!(expect_ok(&r)["content"].as_str().unwrap().len(), MIB);

    // A file placed by someone else, larger than the cap, is not read.
    std::fs::write(ext_dir(&f, "ext-a").join("huge.bin"), vec![b'y'; 2 * MIB]).unwrap();
    let r = call(&f, &a, "fs.read", json!({"path": "huge.bin"})).await;
    expect(&r, "capability_failed", Decision::Allowed);
    assert!(r.0.unwrap_err().to_string().contains("max_file_size_mb"));

    // An oversize overwrite leaves the old content in place.
    let over = call(
        &f,
        &a,
        "fs.write",
        json!({"path": "exact.txt", "content": "z".repeat(MIB + 1)}),
    )
    .await;
    expect(&over, "capability_failed", Decision::Allowed);
    assert_eq!(
        std::fs::metadata(ext_dir(&f, "ext-a").join("exact.txt"))
            .unwrap()
            .len(),
        MIB as u64
    );
}

#[tokio::test]
async fn extensions_do_not_see_each_others_files() {
    let f = Fixture::new();
    let a = ctx("ext-a", &FS);
    let b = ctx("ext-b", &FS);
    call(
        &f,
        &a,
        "fs.write",
        json!({"path": "mine.txt", "content": "a's"}),
    )
    .await
    .0
    .unwrap();
    let r = call(&f, &b, "fs.read", json!({"path": "mine.txt"})).await;
    expect(&r, "capability_failed", Decision::Allowed);
    let l = call(&f, &b, "fs.list", json!({})).await;
    assert_eq!(expect_ok(&l), json!({"entries": []}));
    let r = call(&f, &b, "fs.read", json!({"path": "../ext-a/mine.txt"})).await;
    expect(&r, "permission_denied", Decision::Denied);
    let d = call(&f, &b, "fs.delete", json!({"path": "../ext-a/mine.txt"})).await;
    expect(&d, "permission_denied", Decision::Denied);
    let w = call(
        &f,
        &b,
        "fs.write",
        json!({"path": "mine.txt", "content": "b's"}),
    )
    .await;
    expect_ok(&w);
    let r = call(&f, &a, "fs.read", json!({"path": "mine.txt"})).await;
    assert_eq!(expect_ok(&r)["content"], "a's");
}

#[tokio::test]
async fn fs_calls_need_their_permissions() {
    let f = Fixture::new();
    let reader = ctx("ext-a", &[Permission::FsRead]);
    let w = call(
        &f,
        &reader,
        "fs.write",
        json!({"path": "x.txt", "content": "x"}),
    )
    .await;
    expect(&w, "permission_denied", Decision::Denied);
    let d = call(&f, &reader, "fs.delete", json!({"path": "x.txt"})).await;
    expect(&d, "permission_denied", Decision::Denied);
    assert!(!ext_dir(&f, "ext-a").join("x.txt").exists());
    let writer = ctx("ext-a", &[Permission::FsWrite]);
    let r = call(&f, &writer, "fs.read", json!({"path": "x.txt"})).await;
    expect(&r, "permission_denied", Decision::Denied);
    let l = call(&f, &writer, "fs.list", json!({})).await;
    expect(&l, "permission_denied", Decision::Denied);
}
