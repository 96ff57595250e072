//! The suite certifies the wasm runtime on both engines, the JavaScript and
//! the Python runtime against the expected certificates in
//! `conformance/expected/`, and catches deliberately broken runtimes.

/// Meters allocations per thread, as the `morph` binary does, so the JS and
/// Python memory caps see what each call allocates.
#[global_allocator]
static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
    morph_runtime_core::allocation::MeteredAllocator::system();

mod broken;
mod spec;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use morph_conformance::{Certificate, CertifyOptions, Probe, certify, compare_with_expected};
use morph_runtime_core::{Isolation, LoadOptions, MorphRuntime};
use morph_runtime_wasm::{WasmConfig, WasmRuntime};

pub fn wasm(engine: &str, dir: &Path) -> Arc<WasmRuntime> {
    Arc::new(WasmRuntime::new(WasmConfig {
        default_engine: engine.to_owned(),
        cache_dir: Some(dir.to_owned()),
        pool_workers: 2,
    }))
}

pub fn expected(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("expected/{name}.json"))
}

pub async fn run(
    runtime: Arc<dyn MorphRuntime>,
    engine: &str,
    isolation: Option<Isolation>,
    only: &[&str],
) -> Certificate {
    let probe = Probe::wasm_from_workspace().expect("build the guests");
    run_probe(runtime, probe, engine, isolation, only).await
}

pub async fn run_probe(
    runtime: Arc<dyn MorphRuntime>,
    probe: Probe,
    engine: &str,
    isolation: Option<Isolation>,
    only: &[&str],
) -> Certificate {
    let mut options = CertifyOptions::new(probe);
    options.load = LoadOptions {
        isolation,
        engine: Some(engine.to_owned()),
    };
    options.only = only.iter().map(|s| (*s).to_owned()).collect();
    certify(runtime, options).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasmer_matches_its_expected_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = run(wasm("wasmer", dir.path()), "wasmer", None, &[]).await;
    if let Err(diff) = compare_with_expected(&cert, &expected("wasm-wasmer")) {
        panic!("{diff}\n{}", cert.to_table());
    }
    assert!(cert.is_pass() && cert.skipped == 0, "{}", cert.to_table());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasmi_matches_its_expected_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = run(wasm("wasmi", dir.path()), "wasmi", None, &[]).await;
    if let Err(diff) = compare_with_expected(&cert, &expected("wasm-wasmi")) {
        panic!("{diff}\n{}", cert.to_table());
    }
    assert!(cert.is_pass() && cert.skipped == 0, "{}", cert.to_table());
}

/// The probe built for `wasm32-wasip1` earns the same certificate as the
/// `wasm32-unknown-unknown` build on each engine (ABI.md, "WASI preview 1").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wasip1_probe_matches_the_expected_certificates() {
    for engine in ["wasmer", "wasmi"] {
        let dir = tempfile::tempdir().unwrap();
        let probe = Probe::wasm_wasip1_from_workspace().expect("build the guests");
        let cert = run_probe(wasm(engine, dir.path()), probe, engine, None, &[]).await;
        if let Err(diff) = compare_with_expected(&cert, &expected(&format!("wasm-{engine}"))) {
            panic!("wasip1 on {engine}: {diff}\n{}", cert.to_table());
        }
        assert!(cert.is_pass() && cert.skipped == 0, "{}", cert.to_table());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooled_wasmi_passes_too() {
    let dir = tempfile::tempdir().unwrap();
    let cert = run(
        wasm("wasmi", dir.path()),
        "wasmi",
        Some(Isolation::Pooled),
        &[],
    )
    .await;
    assert!(cert.is_pass() && cert.skipped == 0, "{}", cert.to_table());
}

/// Certifies `runtime` with `probe` and compares with `expected/<name>.json`.
async fn matches_expected(runtime: Arc<dyn MorphRuntime>, probe: Probe, name: &str) {
    let cert = certify(runtime, CertifyOptions::new(probe)).await;
    if let Err(diff) = compare_with_expected(&cert, &expected(name)) {
        panic!("{diff}\n{}", cert.to_table());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_matches_its_expected_certificate() {
    let runtime = Arc::new(morph_runtime_js::JsRuntime::default());
    matches_expected(runtime, Probe::js(), "js").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_matches_its_expected_certificate() {
    let runtime = Arc::new(morph_runtime_python::PythonRuntime::default());
    matches_expected(runtime, Probe::python(), "python").await;
}
