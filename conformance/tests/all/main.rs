//! The suite certifies the wasm runtime on both engines, and a certificate
//! says what it saw.

use std::sync::Arc;

use morph_conformance::{CertifyOptions, Probe, certify};
use morph_runtime_core::{Isolation, LoadOptions};
use morph_runtime_wasm::{WasmConfig, WasmRuntime};

fn wasm(engine: &str, dir: &std::path::Path) -> Arc<WasmRuntime> {
    Arc::new(WasmRuntime::new(WasmConfig {
        default_engine: engine.to_owned(),
        cache_dir: Some(dir.to_owned()),
        pool_workers: 2,
    }))
}

async fn certifies(engine: &str, isolation: Option<Isolation>) {
    let dir = tempfile::tempdir().unwrap();
    let mut options = CertifyOptions::new(Probe::wasm_from_workspace().expect("build the guests"));
    options.load = LoadOptions {
        isolation,
        engine: Some(engine.to_owned()),
    };
    let cert = certify(wasm(engine, dir.path()), options).await;
    let table = cert.to_table();
    assert!(cert.is_pass(), "{table}");
    assert_eq!(cert.skipped, 0, "{table}");
    assert!(cert.passed >= 40, "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasmer_passes_every_case() {
    certifies("wasmer", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasmi_passes_every_case_pooled() {
    certifies("wasmi", Some(Isolation::Pooled)).await;
}
