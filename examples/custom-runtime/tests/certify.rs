//! The Rhai runtime, found through the link-time registry, is certified by
//! the same call as Morph's own runtimes and must match its expected
//! certificate (`conformance/expected/rhai.json`).

use std::path::Path;

use morph_conformance::{CertifyOptions, Probe, certify, compare_with_expected};
use morph_runtime_core::{Isolation, LoadOptions, RuntimeRegistry};

const PROBE: &str = include_str!("../probe/probe.rhai");

async fn certify_rhai(isolation: Option<Isolation>) -> morph_conformance::Certificate {
    morph_example_rhai::ensure_linked();
    let runtime = RuntimeRegistry::linked()
        .for_kind("rhai")
        .expect("the rhai runtime registers itself");
    let mut options = CertifyOptions::new(Probe::new("rhai", "probe.rhai", PROBE));
    options.load = LoadOptions {
        isolation,
        engine: None,
    };
    certify(runtime, options).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rhai_matches_its_expected_certificate() {
    let cert = certify_rhai(None).await;
    let expected =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/expected/rhai.json");
    if let Err(diff) = compare_with_expected(&cert, &expected) {
        panic!("{diff}\n{}", cert.to_table());
    }
    assert!(cert.is_pass(), "{}", cert.to_table());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rhai_passes_per_call_too() {
    let cert = certify_rhai(Some(Isolation::PerCall)).await;
    assert!(cert.is_pass(), "{}", cert.to_table());
}

#[test]
fn the_probe_compiles() {
    if let Err(e) = rhai::Engine::new().compile(PROBE) {
        panic!("probe.rhai: {e}");
    }
}
