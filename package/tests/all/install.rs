//! Installing into a data dir: fresh installs, updates that widen
//! permissions, refused downgrades and publisher switches, list and remove.

use morph_capabilities::Permission;
use morph_package::install::Change;
use morph_package::keys::generate_signing_key;
use morph_package::{InstallStore, Limits, TrustPolicy};
use morph_runtime_core::ErrorCode;

use crate::support::{publisher, signed};

fn plan(
    store: &InstallStore,
    file: &std::path::Path,
    policy: &TrustPolicy,
    allow_downgrade: bool,
) -> morph_runtime_core::Result<morph_package::InstallPlan> {
    store.plan(
        std::fs::read(file).unwrap(),
        &file.display().to_string(),
        policy,
        &Limits::default(),
        allow_downgrade,
    )
}

/// THREATS.md, "Packages": fail closed: a downgrade.
#[test]
fn install_update_widening_downgrade_list_remove() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, trust) = publisher();
    let policy = TrustPolicy::new(trust);
    let store = InstallStore::new(&tmp.path().join("data"));

    let v1 = signed(
        &tmp.path().join("1"),
        "greeter",
        "1.0.0",
        &["data:read"],
        &key,
    );
    let first = plan(&store, &v1, &policy, false).unwrap();
    assert_eq!(first.change(), &Change::Fresh);
    assert_eq!(first.signer().name(), Some("acme"));
    let record = first.commit().unwrap();
    assert_eq!(record.permissions, vec!["data:read"]);
    assert!(store.package_path("greeter").is_file());

    // The same package again changes nothing.
    assert_eq!(
        plan(&store, &v1, &policy, false).unwrap().change(),
        &Change::Unchanged
    );

    // An update that asks for more shows exactly what is new.
    let v2 = signed(
        &tmp.path().join("2"),
        "greeter",
        "2.0.0",
        &["data:read", "http:read", "vault:write"],
        &key,
    );
    let update = plan(&store, &v2, &policy, false).unwrap();
    assert_eq!(
        update.change(),
        &Change::Update {
            from: "1.0.0".into()
        }
    );
    assert_eq!(
        update.widening().permissions,
        vec![Permission::HttpRead, Permission::VaultWrite]
    );
    update.commit().unwrap();

    // A downgrade is refused, installed version untouched, unless allowed.
    let err = plan(&store, &v1, &policy, false).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidPackage);
    assert!(err.to_string().contains("downgrade"), "{err}");
    assert_eq!(store.get("greeter").unwrap().unwrap().version, "2.0.0");
    let down = plan(&store, &v1, &policy, true).unwrap();
    assert_eq!(
        down.change(),
        &Change::Downgrade {
            from: "2.0.0".into()
        }
    );
    assert!(down.widening().is_empty());
    down.commit().unwrap();
    assert_eq!(store.get("greeter").unwrap().unwrap().version, "1.0.0");

    // Listing and removing; nothing is left of the staging.
    assert_eq!(store.list().unwrap().len(), 1);
    let removed = store.remove("greeter").unwrap();
    assert_eq!(removed.id, "greeter");
    assert!(store.list().unwrap().is_empty());
    let left: Vec<_> = std::fs::read_dir(store.root()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(
        store.remove("greeter").unwrap_err().code(),
        ErrorCode::UnknownExtension
    );
}

#[test]
fn an_update_from_another_publisher_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, trust) = publisher();
    let other = generate_signing_key();
    let policy = TrustPolicy::new(trust.with_key("other", other.verifying_key()).unwrap());
    let store = InstallStore::new(&tmp.path().join("data"));
    let v1 = signed(&tmp.path().join("1"), "greeter", "1.0.0", &[], &key);
    plan(&store, &v1, &policy, false).unwrap().commit().unwrap();
    let hijack = signed(&tmp.path().join("2"), "greeter", "9.0.0", &[], &other);
    assert_eq!(
        plan(&store, &hijack, &policy, false).unwrap_err().code(),
        ErrorCode::UntrustedPublisher
    );
}

#[test]
fn unsigned_and_untrusted_packages_are_not_installed() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, trust) = publisher();
    let policy = TrustPolicy::new(trust);
    let store = InstallStore::new(&tmp.path().join("data"));
    let stranger = signed(
        &tmp.path().join("1"),
        "greeter",
        "1.0.0",
        &[],
        &generate_signing_key(),
    );
    assert_eq!(
        plan(&store, &stranger, &policy, false).unwrap_err().code(),
        ErrorCode::UntrustedPublisher
    );
    assert!(store.list().unwrap().is_empty());
    assert!(!store.root().exists());
}

#[test]
fn a_record_from_before_a_limit_existed_is_not_widened_by_its_default() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, trust) = publisher();
    let policy = TrustPolicy::new(trust);
    let store = InstallStore::new(&tmp.path().join("data"));
    let v1 = signed(&tmp.path().join("1"), "old", "1.0.0", &[], &key);
    plan(&store, &v1, &policy, false).unwrap().commit().unwrap();
    // An install record written before the compile budget fields existed.
    let path = tmp.path().join("data/extensions/old/install.json");
    let mut record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let limits = record["limits"].as_object_mut().unwrap();
    for field in ["max_module_kb", "max_functions", "max_compile_ms"] {
        assert!(limits.remove(field).is_some(), "{field} in {limits:?}");
    }
    std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    let v2 = signed(&tmp.path().join("2"), "old", "2.0.0", &[], &key);
    let update = plan(&store, &v2, &policy, false).unwrap();
    assert!(
        update.widening().limits.is_empty(),
        "{:?}",
        update.widening().limits
    );
}
