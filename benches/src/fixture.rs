//! The test guest as a package, and a `Host` that loads it the way
//! `runtime-wasm/tests/all/support.rs` does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use morph_runtime_core::capabilities::audit::MemoryAuditSink;
use morph_runtime_core::{Host, Isolation, LoadOptions};
use morph_runtime_wasm::{WasmConfig, WasmRuntime};
use serde_json::json;

/// The extension id of the benchmarked guest.
pub const GUEST_ID: &str = "bench-guest";

/// Warm instances per extension under `Pooled` (as in runtime-wasm's tests).
pub const POOL_WORKERS: usize = 2;

/// The test guest (`runtime-wasm/tests/guest/morph_test_guest.wasm`).
///
/// # Panics
/// When it has not been built yet (`scripts/build-guests.sh`).
pub fn guest_wasm() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../runtime-wasm/tests/guest/morph_test_guest.wasm");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the guests first with scripts/build-guests.sh",
            path.display()
        )
    })
}

/// The actions of the test guest, as a manifest declares them (the same
/// file runtime-wasm's tests include).
pub const GUEST_ACTIONS: &str = include_str!("../../runtime-wasm/tests/guest/actions.yaml");

/// Writes the test guest's package (manifest and `guest.wasm`) with
/// `permissions` into `dir/GUEST_ID` and returns its path.
///
/// # Panics
/// When the directory cannot be written.
pub fn write_package(dir: &Path, permissions: &[&str]) -> PathBuf {
    let pkg = dir.join(GUEST_ID);
    std::fs::create_dir_all(&pkg).expect("create the package dir");
    std::fs::write(pkg.join("guest.wasm"), guest_wasm()).expect("write guest.wasm");
    let manifest = format!(
        "extension_id: {GUEST_ID}\nversion: 1.0.0\nmetadata:\n  name: Bench guest\n  description: The test guest under benchmark\nruntime: wasm\nentry: guest.wasm\npermissions: [{}]\nallowed_hosts: []\n{GUEST_ACTIONS}",
        permissions.join(", "),
    );
    std::fs::write(pkg.join("manifest.yaml"), manifest).expect("write manifest.yaml");
    pkg
}

/// A host with only the wasm runtime (`engine`, `isolation`, wasmer's module
/// cache in `cache_dir`) and a memory audit sink, keeping its data in
/// `data_dir`.
///
/// # Panics
/// When the host cannot be built.
pub fn host(
    data_dir: &Path,
    cache_dir: Option<PathBuf>,
    engine: &str,
    isolation: Isolation,
) -> Host {
    let runtime = WasmRuntime::new(WasmConfig {
        default_engine: engine.to_owned(),
        cache_dir,
        pool_workers: POOL_WORKERS,
    });
    Host::builder()
        .with_data_dir(data_dir)
        .with_audit_sink(Arc::new(MemoryAuditSink::new()))
        .without_linked_runtimes()
        .with_runtime(Arc::new(runtime))
        .with_load_options(LoadOptions {
            isolation: Some(isolation),
            engine: Some(engine.to_owned()),
        })
        .build()
        .expect("build the host")
}

/// A host with the test guest loaded, and the temporary directory it lives in.
pub struct Loaded {
    /// Package, data dir and module cache; removed on drop.
    pub dir: tempfile::TempDir,
    /// The host (shared with the tasks that drive it).
    pub host: Arc<Host>,
    /// The guest's extension id.
    pub id: String,
}

/// Loads the test guest with `permissions` on `engine` under `isolation`.
/// Must run inside a tokio runtime (the wasm runtime keeps its handle).
///
/// # Panics
/// When the guest does not load.
pub async fn load_guest(engine: &str, isolation: Isolation, permissions: &[&str]) -> Loaded {
    let dir = tempfile::tempdir().expect("a temporary dir");
    let host = host(
        &dir.path().join("data"),
        Some(dir.path().join("cache")),
        engine,
        isolation,
    );
    let pkg = write_package(dir.path(), permissions);
    let id = host
        .load(&pkg, json!({}))
        .await
        .unwrap_or_else(|e| panic!("loading the test guest on {engine}: {e}"));
    Loaded {
        dir,
        host: Arc::new(host),
        id,
    }
}
