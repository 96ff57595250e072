//! The wasm guests as packages (runtime-wasm's test guest, and the compute
//! guest of `benches/compute_wasm.rs` with limits raised for its workloads),
//! and a `Host` that loads them the way `runtime-wasm/tests/all/support.rs`
//! does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use morph_runtime_core::capabilities::audit::{AuditSink, MemoryAuditSink};
use morph_runtime_core::{Host, Isolation, LoadOptions};
use morph_runtime_wasm::{WasmConfig, WasmRuntime};
use serde_json::json;

/// The extension id of the benchmarked guest.
pub const GUEST_ID: &str = "bench-guest";

/// Warm instances per extension under `Pooled` (as in runtime-wasm's tests).
pub const POOL_WORKERS: usize = 2;

/// The extension id of the compute guest's package.
pub const COMPUTE_GUEST_ID: &str = "bench-compute";

/// A wasm file that `scripts/build-guests.sh` builds, by its path relative to
/// this crate.
///
/// # Panics
/// When it has not been built yet.
pub fn built_wasm(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the guests first with scripts/build-guests.sh",
            path.display()
        )
    })
}

/// The test guest (`runtime-wasm/tests/guest/morph_test_guest.wasm`).
///
/// # Panics
/// When it has not been built yet (`scripts/build-guests.sh`).
pub fn guest_wasm() -> Vec<u8> {
    built_wasm("../runtime-wasm/tests/guest/morph_test_guest.wasm")
}

/// The compute guest (`benches/guests/compute/morph_bench_guest.wasm`): the
/// workloads of `morph-bench-workloads` behind the Morph SDK.
///
/// # Panics
/// When it has not been built yet (`scripts/build-guests.sh`).
pub fn compute_guest_wasm() -> Vec<u8> {
    built_wasm("guests/compute/morph_bench_guest.wasm")
}

/// The actions of the compute guest, as its manifest declares them.
pub const COMPUTE_ACTIONS: &str = include_str!("../guests/compute/actions.yaml");

/// The compute guest's limits: room for the slowest workload on the
/// slowest engine (wasmi) and for its 1 MiB inputs, so a figure is never cut
/// short by a limit.
pub const COMPUTE_LIMITS: &str =
    "resource_limits:\n  max_execution_ms: 600000\n  max_memory_mb: 512\n  max_output_kb: 65536\n";

/// The actions of the test guest, as a manifest declares them (the same
/// file runtime-wasm's tests include).
pub const GUEST_ACTIONS: &str = include_str!("../../runtime-wasm/tests/guest/actions.yaml");

/// Writes the test guest's package (manifest and `guest.wasm`) with
/// `permissions` into `dir/GUEST_ID` and returns its path.
///
/// # Panics
/// When the directory cannot be written.
pub fn write_package(dir: &Path, permissions: &[&str]) -> PathBuf {
    write_wasm_package(dir, GUEST_ID, &guest_wasm(), permissions, GUEST_ACTIONS)
}

/// Writes the compute guest's package (its actions and [`COMPUTE_LIMITS`],
/// no permissions) into `dir/COMPUTE_GUEST_ID` and returns its path.
///
/// # Panics
/// When the guest has not been built or the directory cannot be written.
pub fn write_compute_package(dir: &Path) -> PathBuf {
    let rest = format!("{COMPUTE_LIMITS}{COMPUTE_ACTIONS}");
    write_wasm_package(dir, COMPUTE_GUEST_ID, &compute_guest_wasm(), &[], &rest)
}

/// Writes a wasm package `id` (manifest and `guest.wasm`) with `permissions`
/// into `dir/id` and returns its path; `rest` ends the manifest (actions,
/// limits).
///
/// # Panics
/// When the directory cannot be written.
fn write_wasm_package(
    dir: &Path,
    id: &str,
    wasm: &[u8],
    permissions: &[&str],
    rest: &str,
) -> PathBuf {
    let pkg = dir.join(id);
    std::fs::create_dir_all(&pkg).expect("create the package dir");
    std::fs::write(pkg.join("guest.wasm"), wasm).expect("write guest.wasm");
    let manifest = format!(
        "extension_id: {id}\nversion: 1.0.0\nmetadata:\n  name: Bench guest\n  description: A guest under benchmark\nruntime: wasm\nentry: guest.wasm\npermissions: [{}]\nallowed_hosts: []\n{rest}",
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
    let audit = Arc::new(MemoryAuditSink::new());
    host_with_audit(data_dir, cache_dir, engine, isolation, audit)
}

/// The same host as [`host`], with `audit` as its audit sink (the real
/// audit log of `benches/audit.rs`).
///
/// # Panics
/// When the host cannot be built.
pub fn host_with_audit(
    data_dir: &Path,
    cache_dir: Option<PathBuf>,
    engine: &str,
    isolation: Isolation,
    audit: Arc<dyn AuditSink>,
) -> Host {
    let runtime = WasmRuntime::new(WasmConfig {
        default_engine: engine.to_owned(),
        cache_dir,
        pool_workers: POOL_WORKERS,
    });
    Host::builder()
        .with_data_dir(data_dir)
        .with_audit_sink(audit)
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
    load_with(engine, isolation, |dir| write_package(dir, permissions)).await
}

/// Loads the test guest with `permissions` on `engine` under `isolation`,
/// allowed to reach `hosts` (`allowed_hosts`). Must run inside a tokio
/// runtime.
///
/// # Panics
/// When the guest does not load.
pub async fn load_guest_allowing(
    engine: &str,
    isolation: Isolation,
    permissions: &[&str],
    hosts: &[&str],
) -> Loaded {
    load_with(engine, isolation, |dir| {
        let pkg = write_package(dir, permissions);
        allow_hosts(&pkg, hosts);
        pkg
    })
    .await
}

/// Sets the `allowed_hosts` of the package at `pkg` (whose manifest, as
/// every bench package's, has `allowed_hosts: []`) to `hosts`.
///
/// # Panics
/// When the manifest cannot be read or written.
pub fn allow_hosts(pkg: &Path, hosts: &[&str]) {
    let quoted: Vec<String> = hosts.iter().map(|h| format!("\"{h}\"")).collect();
    edit_manifest(pkg, |text| {
        text.replacen(
            "allowed_hosts: []",
            &format!("allowed_hosts: [{}]", quoted.join(", ")),
            1,
        )
    });
}

/// Rewrites the manifest of the package at `pkg` with `edit`.
///
/// # Panics
/// When the manifest cannot be read or written.
pub fn edit_manifest(pkg: &Path, edit: impl FnOnce(String) -> String) {
    let manifest = pkg.join("manifest.yaml");
    let text = std::fs::read_to_string(&manifest).expect("read the manifest");
    std::fs::write(&manifest, edit(text)).expect("write the manifest");
}

/// Loads the compute guest on `engine` under `Isolation::Pooled` (the
/// `HOST` runner of `benches/compute_wasm.rs`). Must run inside a tokio
/// runtime.
///
/// # Panics
/// When the guest does not load.
pub async fn load_compute_guest(engine: &str) -> Loaded {
    load_with(engine, Isolation::Pooled, write_compute_package).await
}

/// Loads the package `write` puts into a new temporary dir.
async fn load_with(
    engine: &str,
    isolation: Isolation,
    write: impl FnOnce(&Path) -> PathBuf,
) -> Loaded {
    let dir = tempfile::tempdir().expect("a temporary dir");
    let host = host(
        &dir.path().join("data"),
        Some(dir.path().join("cache")),
        engine,
        isolation,
    );
    let pkg = write(dir.path());
    let id = host
        .load(&pkg, json!({}))
        .await
        .unwrap_or_else(|e| panic!("loading {} on {engine}: {e}", pkg.display()));
    Loaded {
        dir,
        host: Arc::new(host),
        id,
    }
}
