//! Signing and the host's verify-before-load: every tampering ends in its
//! error code, and nothing is loaded.

use morph_package::keys::generate_signing_key;
use morph_package::{Limits, SealedPackage, TrustPolicy, TrustStore};
use morph_runtime_core::ErrorCode;

use crate::support::{load_code, publisher, signed};

fn reopen(file: &std::path::Path) -> SealedPackage {
    SealedPackage::open(file, &Limits::default()).unwrap()
}

#[tokio::test]
async fn a_package_signed_by_a_trusted_publisher_loads_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, store) = publisher();
    let file = signed(tmp.path(), "greeter", "1.0.0", &[], &key);
    assert_eq!(load_code(&file, TrustPolicy::new(store)).await, None);
}

#[test]
fn packaging_is_deterministic_and_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = crate::support::extension(tmp.path(), "greeter", "1.0.0", &[]);
    let a = SealedPackage::from_dir(&dir, &Limits::default()).unwrap();
    let b = SealedPackage::from_dir(&dir, &Limits::default()).unwrap();
    assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap());
    let back = SealedPackage::read(a.to_bytes().unwrap().as_slice(), &Limits::default()).unwrap();
    assert_eq!(back, a);
    assert_eq!(back.files().len(), 3);
    assert_eq!(back.manifest().unwrap().extension_id, "greeter");
}

/// Rewrites a signed package with `edit` applied to its files, keeping the
/// original signature.
fn tampered(
    file: &std::path::Path,
    edit: impl FnOnce(&mut std::collections::BTreeMap<String, Vec<u8>>),
) {
    let package = reopen(file);
    let signature = package.signature_bytes().unwrap().to_vec();
    let mut files = package.files().clone();
    edit(&mut files);
    let mut changed = SealedPackage::from_files(files).unwrap();
    changed.set_signature_bytes(signature);
    changed.write_file(file).unwrap();
}

/// THREATS.md, "Packages": fail closed: any byte changed.
/// THREATS.md, "Packages": fail closed: a key shipped inside the package (`key
/// shipped inside`).
#[tokio::test]
async fn tampering_with_any_file_is_signature_invalid() {
    let (key, store) = publisher();
    let policy = TrustPolicy::new(store);
    type Edit = Box<dyn FnOnce(&mut std::collections::BTreeMap<String, Vec<u8>>)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "manifest edited",
            Box::new(|f| {
                let m = String::from_utf8(f["manifest.yaml"].clone()).unwrap();
                f.insert(
                    "manifest.yaml".into(),
                    m.replace("permissions: []", "permissions: [http:read]")
                        .into_bytes(),
                );
            }),
        ),
        (
            "entry edited",
            Box::new(|f| {
                f.insert("main.txt".into(), b"evil\n".to_vec());
            }),
        ),
        (
            "asset edited",
            Box::new(|f| {
                f.insert("assets/logo.txt".into(), b"other logo\n".to_vec());
            }),
        ),
        (
            "one byte appended",
            Box::new(|f| {
                f.get_mut("main.txt").unwrap().push(b' ');
            }),
        ),
        (
            "file added",
            Box::new(|f| {
                f.insert("extra.txt".into(), b"x".to_vec());
            }),
        ),
        (
            "key shipped inside",
            Box::new(|f| {
                f.insert("trust/acme.pub".into(), b"00".to_vec());
            }),
        ),
        (
            "file removed",
            Box::new(|f| {
                f.remove("assets/logo.txt");
            }),
        ),
        (
            "file renamed",
            Box::new(|f| {
                let logo = f.remove("assets/logo.txt").unwrap();
                f.insert("assets/logo2.txt".into(), logo);
            }),
        ),
    ];
    for (what, edit) in edits {
        let tmp = tempfile::tempdir().unwrap();
        let file = signed(tmp.path(), "greeter", "1.0.0", &[], &key);
        tampered(&file, edit);
        assert_eq!(
            load_code(&file, policy.clone()).await,
            Some(ErrorCode::SignatureInvalid),
            "{what}"
        );
        // Allowing unsigned packages never lets a tampered one through.
        assert_eq!(
            load_code(&file, policy.clone().allow_unsigned(true)).await,
            Some(ErrorCode::SignatureInvalid),
            "{what} with --allow-unsigned"
        );
    }
}

#[tokio::test]
async fn a_tampered_signature_document_is_signature_invalid() {
    let (key, store) = publisher();
    let policy = TrustPolicy::new(store);
    let tmp = tempfile::tempdir().unwrap();
    let file = signed(tmp.path(), "greeter", "1.0.0", &[], &key);
    let original = reopen(&file);
    let sig: serde_json::Value =
        serde_json::from_slice(original.signature_bytes().unwrap()).unwrap();
    let edits: Vec<(&str, serde_json::Value)> = vec![
        ("signature flipped", {
            let mut s = sig.clone();
            let hex = s["signature"].as_str().unwrap();
            let (first, rest) = hex.split_at(1);
            let flipped = format!("{}{rest}", if first == "0" { "1" } else { "0" });
            s["signature"] = flipped.into();
            s
        }),
        ("digest replaced", {
            let mut s = sig.clone();
            s["digest"] = morph_package::Sha256Digest::of(b"other").to_string().into();
            s
        }),
        ("unknown field", {
            let mut s = sig.clone();
            s["trusted"] = true.into();
            s
        }),
        ("not json", serde_json::Value::String("garbage".into())),
    ];
    for (what, doc) in edits {
        let mut package = original.clone();
        package.set_signature_bytes(serde_json::to_vec(&doc).unwrap());
        package.write_file(&file).unwrap();
        assert_eq!(
            load_code(&file, policy.clone()).await,
            Some(ErrorCode::SignatureInvalid),
            "{what}"
        );
    }
}

/// THREATS.md, "Packages": fail closed: unsigned.
#[tokio::test]
async fn a_stripped_signature_is_unsigned_package_unless_allowed() {
    let (key, store) = publisher();
    let tmp = tempfile::tempdir().unwrap();
    let file = signed(tmp.path(), "greeter", "1.0.0", &[], &key);
    let mut package = reopen(&file);
    package.strip_signature();
    package.write_file(&file).unwrap();
    assert_eq!(
        load_code(&file, TrustPolicy::new(store.clone())).await,
        Some(ErrorCode::UnsignedPackage)
    );
    assert_eq!(
        load_code(&file, TrustPolicy::new(store).allow_unsigned(true)).await,
        None
    );
}

/// THREATS.md, "Packages": fail closed: signature over another artifact.
#[tokio::test]
async fn a_signature_moved_from_another_package_is_signature_invalid() {
    let (key, store) = publisher();
    let tmp = tempfile::tempdir().unwrap();
    let donor = signed(tmp.path(), "donor", "1.0.0", &[], &key);
    let file = signed(tmp.path(), "greeter", "1.0.0", &[], &key);
    let mut package = reopen(&file);
    package.set_signature_bytes(reopen(&donor).signature_bytes().unwrap().to_vec());
    package.write_file(&file).unwrap();
    assert_eq!(
        load_code(&file, TrustPolicy::new(store)).await,
        Some(ErrorCode::SignatureInvalid)
    );
}

/// THREATS.md, "Packages": fail closed: unknown key.
#[tokio::test]
async fn a_package_signed_by_an_unknown_key_is_untrusted_publisher() {
    let (_key, store) = publisher();
    let stranger = generate_signing_key();
    let tmp = tempfile::tempdir().unwrap();
    let file = signed(tmp.path(), "greeter", "1.0.0", &[], &stranger);
    assert_eq!(
        load_code(&file, TrustPolicy::new(store.clone())).await,
        Some(ErrorCode::UntrustedPublisher)
    );
    assert_eq!(
        load_code(&file, TrustPolicy::new(TrustStore::empty())).await,
        Some(ErrorCode::UntrustedPublisher)
    );
    assert_eq!(
        load_code(&file, TrustPolicy::new(store).allow_unsigned(true)).await,
        None
    );
}

#[tokio::test]
async fn a_host_without_an_opener_refuses_archives() {
    let (key, _) = publisher();
    let tmp = tempfile::tempdir().unwrap();
    let file = signed(tmp.path(), "greeter", "1.0.0", &[], &key);
    let host = morph_runtime_core::Host::builder()
        .with_data_dir(tmp.path().join("data"))
        .build()
        .unwrap();
    let err = host.load(&file, serde_json::json!({})).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidPackage);
}

#[tokio::test]
async fn another_publisher_cannot_take_over_an_extension_id() {
    let (key, store) = publisher();
    let other = generate_signing_key();
    let store = store.with_key("other", other.verifying_key()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let staging = tmp.path().join("staging");
    let first = signed(&tmp.path().join("a"), "greeter", "1.0.0", &[], &key);
    let second = signed(&tmp.path().join("b"), "greeter", "1.0.0", &[], &other);
    let host = crate::support::host(&data, TrustPolicy::new(store.clone()), &staging);
    host.load(&first, serde_json::json!({})).await.unwrap();
    // An update from the same key keeps the id; another trusted key does not.
    let update = signed(&tmp.path().join("c"), "greeter", "1.1.0", &[], &key);
    host.load(&update, serde_json::json!({})).await.unwrap();
    let err = host.load(&second, serde_json::json!({})).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidPackage);
}
