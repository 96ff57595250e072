//! Signed packages through the real `morph` binary: the author's path
//! (keygen, package, sign, push) and the user's (pull, verify, install,
//! run, list, remove) against a real registry on 127.0.0.1, and every
//! refusal with its code and exit status.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::registry_server::Registry;

fn morph() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_morph"));
    cmd.stdin(Stdio::null());
    cmd.env_remove("MORPH_DATA_DIR")
        .env_remove("MORPH_TRUST_DIR");
    cmd
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("examples/task-digest")
}

/// Runs `morph args --json`, returns (exit code, envelope).
fn json(args: &[&str]) -> (i32, Value) {
    let out = morph().args(args).arg("--json").output().unwrap();
    envelope(&out)
}

fn envelope(out: &Output) -> (i32, Value) {
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not one JSON envelope ({e}): stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), doc)
}

fn ok(args: &[&str]) -> Value {
    let (code, doc) = json(args);
    assert_eq!(code, 0, "morph {args:?}: {doc}");
    assert_eq!(doc["ok"], true);
    doc["result"].clone()
}

fn error_code(args: &[&str]) -> String {
    let (code, doc) = json(args);
    assert_eq!(code, 2, "morph {args:?}: {doc}");
    doc["error"]["code"].as_str().unwrap().to_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A signing key in `dir`, trusted as `acme` in the data dir `data`.
fn keygen(dir: &Path, data: &Path) -> PathBuf {
    let key = dir.join("acme.key");
    let made = ok(&["keygen", "--out", s(&key)]);
    assert_eq!(made["public_key"].as_str().unwrap().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    ok(&[
        "trust",
        "--data-dir",
        s(data),
        "add",
        "acme",
        &format!("{}.pub", s(&key)),
    ]);
    key
}

/// A copy of the task-digest example at `version` with `permissions`.
fn variant(dir: &Path, version: &str, permissions: &[&str]) -> PathBuf {
    let copy = dir.join(format!("task-digest-{version}"));
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(
        example().join("extension.wasm"),
        copy.join("extension.wasm"),
    )
    .unwrap();
    let manifest = std::fs::read_to_string(example().join("manifest.yaml")).unwrap();
    let perms: String = permissions.iter().map(|p| format!("  - {p}\n")).collect();
    let manifest = manifest
        .replace("version: 0.1.0", &format!("version: {version}"))
        .replace("  - data:read\n  - data:write\n  - fs:write\n", &perms);
    std::fs::write(copy.join("manifest.yaml"), manifest).unwrap();
    copy
}

fn package_and_sign(dir: &Path, src: &Path, key: &Path, name: &str) -> PathBuf {
    let file = dir.join(name);
    let packed = ok(&["package", s(src), "-o", s(&file)]);
    assert_eq!(packed["signed"], false);
    ok(&["sign", s(&file), "--key", s(key)]);
    file
}

#[test]
fn author_and_user_round_trip_through_a_real_registry() {
    let registry = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let author = tmp.path().join("author-data");
    let key = keygen(tmp.path(), &author);
    let file = package_and_sign(tmp.path(), &example(), &key, "task-digest.morph");
    let verified = ok(&["verify", s(&file), "--data-dir", s(&author)]);
    assert_eq!(verified["publisher"], "acme");
    let reference = format!("{}/acme/task-digest", registry.addr);
    let pushed = ok(&["push", s(&file), &reference]);
    assert_eq!(pushed["reference"], format!("{reference}:0.1.0"));
    assert_eq!(
        ok(&["tags", &reference])["tags"],
        serde_json::json!(["0.1.0"])
    );

    // The user: a clean data dir that trusts the publisher's public key.
    let user = tmp.path().join("user-data");
    ok(&[
        "trust",
        "--data-dir",
        s(&user),
        "add",
        "acme",
        &format!("{}.pub", s(&key)),
    ]);
    let pulled_file = tmp.path().join("pulled.morph");
    let pulled = ok(&["pull", &format!("{reference}:0.1.0"), "-o", s(&pulled_file)]);
    assert_eq!(pulled["digest"], pushed["digest"]);
    assert_eq!(
        std::fs::read(&pulled_file).unwrap(),
        std::fs::read(&file).unwrap()
    );
    assert_eq!(
        ok(&["verify", s(&pulled_file), "--data-dir", s(&user)])["publisher"],
        "acme"
    );

    // Run the .morph directly, then install from the registry and run by id.
    let added = ok(&[
        "run",
        s(&pulled_file),
        "add",
        "--params",
        r#"{"title":"Ship it"}"#,
        "--data-dir",
        s(&user),
    ]);
    assert_eq!(added["title"], "Ship it");
    let installed = ok(&[
        "install",
        &format!("{reference}:0.1.0"),
        "--yes",
        "--data-dir",
        s(&user),
    ]);
    assert_eq!(installed["installed"]["publisher"], "acme");
    let listed = ok(&["list", "--data-dir", s(&user)]);
    assert_eq!(listed["installed"][0]["id"], "task-digest");
    ok(&["run", "task-digest", "digest", "--data-dir", s(&user)]);
    let md = std::fs::read_to_string(user.join("files/task-digest/digest.md")).unwrap();
    assert!(md.contains("Ship it"), "{md}");
    ok(&["remove", "task-digest", "--data-dir", s(&user)]);
    assert_eq!(
        ok(&["list", "--data-dir", s(&user)])["installed"],
        serde_json::json!([])
    );

    // A blob altered in the registry's storage is refused on pull.
    let layer = {
        let client_doc = ok(&[
            "pull",
            &format!("{reference}:0.1.0"),
            "-o",
            s(&tmp.path().join("again.morph")),
        ]);
        assert_eq!(client_doc["digest"], pushed["digest"]);
        let sha = format!("sha256:{}", sha256_hex(&std::fs::read(&file).unwrap()));
        sha
    };
    registry.corrupt_blob(&layer);
    let target = tmp.path().join("corrupt.morph");
    assert_eq!(
        error_code(&["pull", &format!("{reference}:0.1.0"), "-o", s(&target)]),
        "invalid_package"
    );
    assert!(!target.exists(), "nothing is written for a refused pull");
    assert_eq!(
        error_code(&[
            "install",
            &format!("{reference}:0.1.0"),
            "--yes",
            "--data-dir",
            s(&tmp.path().join("fresh"))
        ]),
        "invalid_package"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn run_refuses_unsigned_tampered_and_untrusted_packages() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let key = keygen(tmp.path(), &data);
    let d = s(&data);

    let unsigned = tmp.path().join("unsigned.morph");
    ok(&["package", s(&example()), "-o", s(&unsigned)]);
    assert_eq!(
        error_code(&["run", s(&unsigned), "digest", "--data-dir", d]),
        "unsigned_package"
    );
    assert_eq!(
        error_code(&["verify", s(&unsigned), "--data-dir", d]),
        "unsigned_package"
    );
    ok(&[
        "run",
        s(&unsigned),
        "digest",
        "--data-dir",
        s(&tmp.path().join("d2")),
        "--allow-unsigned",
    ]);

    // Signed by a key nobody trusts.
    let stranger = tmp.path().join("stranger");
    std::fs::create_dir_all(&stranger).unwrap();
    let other_key = keygen(&stranger, &stranger.join("its-own-data"));
    let untrusted = package_and_sign(tmp.path(), &example(), &other_key, "untrusted.morph");
    assert_eq!(
        error_code(&["run", s(&untrusted), "digest", "--data-dir", d]),
        "untrusted_publisher"
    );
    assert_eq!(
        error_code(&["install", s(&untrusted), "--yes", "--data-dir", d]),
        "untrusted_publisher"
    );

    // Tampered: the signed archive rewritten with one file changed.
    let signed = package_and_sign(tmp.path(), &example(), &key, "signed.morph");
    ok(&["run", s(&signed), "digest", "--data-dir", d]);
    let tampered = rewrite_with(&signed, "manifest.yaml", |m| {
        String::from_utf8(m)
            .unwrap()
            .replace("  - fs:write\n", "  - fs:write\n  - http:read\n")
            .into_bytes()
    });
    for args in [
        vec!["run", s(&tampered), "digest", "--data-dir", d],
        vec![
            "run",
            s(&tampered),
            "digest",
            "--data-dir",
            d,
            "--allow-unsigned",
        ],
        vec!["verify", s(&tampered), "--data-dir", d],
        vec!["install", s(&tampered), "--yes", "--data-dir", d],
    ] {
        assert_eq!(error_code(&args), "signature_invalid", "{args:?}");
    }
    assert_eq!(
        ok(&["list", "--data-dir", d])["installed"],
        serde_json::json!([])
    );
}

/// Rewrites the `.morph` at `file` into a new file with `path` edited,
/// keeping its signature.json, using a real tar reader and writer.
fn rewrite_with(file: &Path, path: &str, edit: impl FnOnce(Vec<u8>) -> Vec<u8>) -> PathBuf {
    use std::io::Read;
    let mut entries = Vec::new();
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(file).unwrap());
    let mut archive = tar::Archive::new(gz);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        entries.push((name, bytes));
    }
    let mut edit = Some(edit);
    let out = file.with_extension("tampered.morph");
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&out).unwrap(),
        flate2::Compression::fast(),
    );
    let mut builder = tar::Builder::new(gz);
    for (name, bytes) in entries {
        let bytes = if name == path {
            (edit.take().unwrap())(bytes)
        } else {
            bytes
        };
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, &name, bytes.as_slice())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
    out
}

#[test]
fn install_asks_for_approval_refuses_downgrades_and_shows_widened_permissions() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = s(&data);
    let key = keygen(tmp.path(), &data);
    let v1 = package_and_sign(
        tmp.path(),
        &variant(tmp.path(), "1.0.0", &["data:read", "data:write"]),
        &key,
        "v1.morph",
    );
    let v2 = package_and_sign(
        tmp.path(),
        &variant(
            tmp.path(),
            "2.0.0",
            &["data:read", "data:write", "fs:write", "http:read"],
        ),
        &key,
        "v2.morph",
    );

    // Off a terminal and without --yes, nothing is installed.
    assert_eq!(
        error_code(&["install", s(&v1), "--data-dir", d]),
        "invalid_params"
    );
    assert_eq!(
        ok(&["list", "--data-dir", d])["installed"],
        serde_json::json!([])
    );

    // The human form shows what it asks for.
    let out = morph()
        .args(["install", s(&v1), "--yes", "--data-dir", d])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("data:write") && text.contains("max_execution_ms=5000"),
        "{text}"
    );
    assert!(text.contains("trusted publisher `acme`"), "{text}");

    // The update asks for more: shown, and approval is needed again.
    assert_eq!(
        error_code(&["install", s(&v2), "--data-dir", d]),
        "invalid_params"
    );
    let out = morph()
        .args(["install", s(&v2), "--yes", "--data-dir", d])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("+ permission fs:write") && text.contains("+ permission http:read"),
        "{text}"
    );
    assert_eq!(
        ok(&["list", "--data-dir", d])["installed"][0]["version"],
        "2.0.0"
    );

    // A downgrade is refused unless allowed.
    let msg = {
        let (code, doc) = json(&["install", s(&v1), "--yes", "--data-dir", d]);
        assert_eq!(code, 2);
        assert_eq!(doc["error"]["code"], "invalid_package");
        doc["error"]["message"].as_str().unwrap().to_owned()
    };
    assert!(msg.contains("downgrade"), "{msg}");
    assert_eq!(
        ok(&["list", "--data-dir", d])["installed"][0]["version"],
        "2.0.0"
    );
    ok(&[
        "install",
        s(&v1),
        "--yes",
        "--allow-downgrade",
        "--data-dir",
        d,
    ]);
    assert_eq!(
        ok(&["list", "--data-dir", d])["installed"][0]["version"],
        "1.0.0"
    );

    // The installed v1 runs; swapping its archive on disk for v2 (validly
    // signed, but not what was approved) is refused.
    ok(&[
        "run",
        "task-digest",
        "add",
        "--params",
        r#"{"title":"t"}"#,
        "--data-dir",
        d,
    ]);
    std::fs::copy(&v2, data.join("extensions/task-digest/package.morph")).unwrap();
    assert_eq!(
        error_code(&["run", "task-digest", "digest", "--data-dir", d]),
        "signature_invalid"
    );
    assert_eq!(
        error_code(&["remove", "nothing-here", "--data-dir", d]),
        "unknown_extension"
    );
}
