//! OCI distribution against a real registry on 127.0.0.1: push, list tags,
//! pull by tag and by digest, and refusal of anything whose bytes do not
//! match their digest.

use morph_package::oci::{Reference, RegistryClient};
use morph_package::{Limits, SealedPackage, TrustPolicy};
use morph_runtime_core::ErrorCode;

use crate::registry_server::Registry;
use crate::support::{load_code, publisher, signed};

#[tokio::test]
async fn push_tags_pull_and_run_round_trip() {
    let registry = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let (key, store) = publisher();
    let v1 = signed(&tmp.path().join("1"), "greeter", "1.0.0", &[], &key);
    let v2 = signed(&tmp.path().join("2"), "greeter", "1.1.0", &[], &key);
    let client = RegistryClient::new().unwrap();
    let repo: Reference = format!("{}/acme/greeter", registry.addr).parse().unwrap();

    let pushed = client
        .push(&repo, &std::fs::read(&v1).unwrap())
        .await
        .unwrap();
    assert_eq!(
        pushed.reference.tag.as_deref(),
        Some("1.0.0"),
        "the tag defaults to the version"
    );
    client
        .push(
            &repo.with_tag("1.1.0").unwrap(),
            &std::fs::read(&v2).unwrap(),
        )
        .await
        .unwrap();
    client
        .push(
            &repo.with_tag("latest").unwrap(),
            &std::fs::read(&v2).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        client.tags(&repo).await.unwrap(),
        vec!["1.0.0", "1.1.0", "latest"]
    );

    let pulled = client.pull(&repo.with_tag("1.0.0").unwrap()).await.unwrap();
    assert_eq!(pulled.archive, std::fs::read(&v1).unwrap());
    assert_eq!(pulled.digest, pushed.digest);
    assert_eq!(
        pulled.manifest.config.media_type,
        morph_package::format::MANIFEST_MEDIA_TYPE
    );
    assert_eq!(
        pulled.manifest.layers[0].media_type,
        morph_package::format::PACKAGE_MEDIA_TYPE
    );

    let pinned: Reference = format!("{}/acme/greeter@{}", registry.addr, pushed.digest)
        .parse()
        .unwrap();
    let by_digest = client.pull(&pinned).await.unwrap();
    assert_eq!(by_digest.archive, pulled.archive);

    // What was pulled verifies and runs.
    let file = tmp.path().join("pulled.morph");
    std::fs::write(&file, &by_digest.archive).unwrap();
    assert_eq!(load_code(&file, TrustPolicy::new(store)).await, None);
}

/// THREATS.md, "Packages": registry, pull by digest.
#[tokio::test]
async fn a_blob_altered_in_the_registry_storage_is_refused() {
    let registry = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let (key, _) = publisher();
    let v1 = signed(tmp.path(), "greeter", "1.0.0", &[], &key);
    let client = RegistryClient::new().unwrap();
    let repo: Reference = format!("{}/acme/greeter:1.0.0", registry.addr)
        .parse()
        .unwrap();
    client
        .push(&repo, &std::fs::read(&v1).unwrap())
        .await
        .unwrap();
    let layer = client.pull(&repo).await.unwrap().manifest.layers[0]
        .digest
        .clone();

    registry.corrupt_blob(&layer);
    let err = client.pull(&repo).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidPackage, "{err}");
    assert!(err.to_string().contains("digest"), "{err}");
}

/// THREATS.md, "Packages": registry, pull by digest.
#[tokio::test]
async fn a_manifest_that_does_not_match_the_pinned_digest_is_refused() {
    let registry = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let (key, _) = publisher();
    let v1 = signed(tmp.path(), "greeter", "1.0.0", &[], &key);
    let client = RegistryClient::new().unwrap();
    let repo: Reference = format!("{}/acme/greeter:1.0.0", registry.addr)
        .parse()
        .unwrap();
    let pushed = client
        .push(&repo, &std::fs::read(&v1).unwrap())
        .await
        .unwrap();

    // Its manifest blob altered in storage: refused against the pinned digest.
    registry.corrupt_blob(&pushed.digest.to_string());
    let pinned: Reference = format!("{}/acme/greeter@{}", registry.addr, pushed.digest)
        .parse()
        .unwrap();
    let err = client.pull(&pinned).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidPackage, "{err}");

    // An unknown tag is an io error naming the registry's answer.
    let missing = client
        .pull(&repo.with_tag("9.9.9").unwrap())
        .await
        .unwrap_err();
    assert_eq!(missing.code(), ErrorCode::Io, "{missing}");
}

#[tokio::test]
async fn pushing_something_that_is_not_a_package_is_refused_before_upload() {
    let registry = Registry::start();
    let client = RegistryClient::new().unwrap();
    let repo: Reference = format!("{}/acme/junk:1", registry.addr).parse().unwrap();
    let err = client.push(&repo, b"not a package").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidPackage);
    let _ = SealedPackage::read(&b""[..], &Limits::default());
}
