//! THREATS.md, "Packages", registry bullet, through the real `morph`
//! binary against a hostile registry on 127.0.0.1 (a test server speaking
//! just enough of the distribution API): manifest and blob sizes are capped
//! before anything is read past the cap, and nothing is written for a
//! refused pull. (Pull by digest and digest mismatches: `packages.rs` and
//! `package/tests/all/registry.rs`, against a real registry.)

use std::path::Path;
use std::process::{Command, Output};

use morph_testkit::{Reply, TestServer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CONFIG: &[u8] =
    b"extension_id: huge\nversion: 1.0.0\nruntime: js\nentry: index.js\nactions: []\n";

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// An OCI image manifest for a Morph package whose layer claims `layer_size`
/// bytes and digest `layer_digest`.
fn artifact(layer_digest: &str, layer_size: u64, padding: usize) -> Vec<u8> {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.morph.package.v1",
        "config": {
            "mediaType": "application/vnd.morph.manifest.v1+yaml",
            "digest": sha256(CONFIG),
            "size": CONFIG.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.morph.package.v1.tar+gzip",
            "digest": layer_digest,
            "size": layer_size,
        }],
        "annotations": {"padding": "p".repeat(padding)},
    })
    .to_string()
    .into_bytes()
}

/// A registry serving `manifest` for every tag, the config blob, and
/// `layer` for any other blob.
fn registry(manifest: Vec<u8>, layer: Vec<u8>) -> TestServer {
    let config_path = format!("/v2/acme/huge/blobs/{}", sha256(CONFIG));
    TestServer::start(move |seen| {
        let body = if seen.path.starts_with("/v2/acme/huge/manifests/") {
            manifest.clone()
        } else if seen.path == config_path {
            CONFIG.to_vec()
        } else if seen.path.starts_with("/v2/acme/huge/blobs/") {
            layer.clone()
        } else {
            return Reply::json(404, &json!({"errors": [{"code": "NAME_UNKNOWN"}]}));
        };
        Reply {
            status: 200,
            headers: vec![(
                "content-type".into(),
                "application/vnd.oci.image.manifest.v1+json".into(),
            )],
            body,
        }
    })
}

fn pull(server: &TestServer, target: &Path) -> (Output, Value) {
    pull_from(&server.host(), target, &[])
}

/// `morph pull HOST/acme/huge:1.0.0 -o TARGET --json EXTRA...`.
fn pull_from(host: &str, target: &Path, extra: &[&str]) -> (Output, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_morph"))
        .args(["pull", &format!("{host}/acme/huge:1.0.0")])
        .args(extra)
        .arg("-o")
        .arg(target)
        .arg("--json")
        .env_remove("MORPH_REGISTRY_USERNAME")
        .env_remove("MORPH_REGISTRY_PASSWORD")
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, doc)
}

fn blob_requests(server: &TestServer) -> Vec<String> {
    server
        .seen()
        .into_iter()
        .map(|s| s.path)
        .filter(|p| p.contains("/blobs/") && !p.ends_with(&sha256(CONFIG)))
        .collect()
}

/// THREATS.md, "Packages": registry, manifest sizes are capped: a 5 MiB
/// image manifest (the cap is 4 MiB) is refused, no blob is fetched and no
/// file is written.
#[test]
fn registry_an_oversized_manifest_is_refused() {
    let layer = b"not a package".to_vec();
    let server = registry(
        artifact(&sha256(&layer), layer.len() as u64, 5 << 20),
        layer,
    );
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("huge.morph");
    let (out, doc) = pull(&server, &target);
    assert!(!out.status.success(), "{doc}");
    assert_eq!(doc["error"]["code"], "invalid_package", "{doc}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("more than"), "{message}");
    assert!(blob_requests(&server).is_empty(), "{:?}", server.seen());
    assert!(!target.exists(), "nothing is written for a refused pull");
}

/// THREATS.md, "Packages": registry, blob sizes are capped: a layer that
/// claims a terabyte is refused before it is downloaded, and one that
/// claims 100 bytes but sends 8 MiB is refused when the answer passes the
/// claim. Nothing is written.
#[test]
fn registry_an_oversized_blob_is_refused_before_it_is_read() {
    let tmp = tempfile::tempdir().unwrap();

    let layer = vec![b'x'; 8 << 20];
    let server = registry(artifact(&sha256(&layer), 1 << 40, 0), layer.clone());
    let target = tmp.path().join("terabyte.morph");
    let (out, doc) = pull(&server, &target);
    assert!(!out.status.success(), "{doc}");
    assert_eq!(doc["error"]["code"], "invalid_package", "{doc}");
    assert!(
        blob_requests(&server).is_empty(),
        "the layer was requested: {:?}",
        server.seen()
    );
    assert!(!target.exists());

    let server = registry(artifact(&sha256(&layer[..100]), 100, 0), layer);
    let target = tmp.path().join("liar.morph");
    let (out, doc) = pull(&server, &target);
    assert!(!out.status.success(), "{doc}");
    assert_eq!(doc["error"]["code"], "invalid_package", "{doc}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("more than 100 bytes"), "{message}");
    assert!(!target.exists());
}

/// THREATS.md, "Packages": registry, slow registries time out. A registry
/// that accepts the connection and never answers ends the pull with an
/// `io` error after the client's read timeout (30 s), not a hang. (One
/// that drips a byte at a time stays under the read timeout and runs to
/// the 10-minute request timeout: open, issue 26.)
#[test]
fn registry_a_registry_that_never_answers_times_out() {
    let server = TestServer::start(|_| {
        std::thread::sleep(std::time::Duration::from_secs(90));
        Reply::text("too late")
    });
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("slow.morph");
    let started = std::time::Instant::now();
    let (out, doc) = pull_from(&server.host(), &target, &["--timeout", "5"]);
    let took = started.elapsed();
    assert!(!out.status.success(), "{doc}");
    assert_eq!(doc["error"]["code"], "io", "{doc}");
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
    assert!(!target.exists());
}

/// THREATS.md, "Packages": registry, time out slow registries (issue 26,
/// point 6). A registry that answers at once and then sends one byte a
/// second, never finishing (so no per-read timeout fires), is given up on at
/// the overall deadline, and nothing is written.
#[test]
fn registry_a_registry_that_drips_bytes_ends_at_the_overall_deadline() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 1000000\r\n\r\n";
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                for _ in 0..600 {
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    if stream.write_all(b" ").is_err() {
                        return;
                    }
                }
            });
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("drip.morph");
    let started = std::time::Instant::now();
    let (out, doc) = pull_from(&host, &target, &["--timeout", "3"]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(2), "{doc}");
    assert_eq!(doc["error"]["code"], "io", "{doc}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("did not finish within 3 s"), "{message}");
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
    assert!(!target.exists());
}
