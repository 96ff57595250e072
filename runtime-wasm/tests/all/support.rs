//! Shared fixtures: a host with the wasm runtime, the test guest's package,
//! and `on_every_engine!` which runs one test body on each engine.

#![allow(dead_code)] // each test module uses a different subset

use std::path::{Path, PathBuf};
use std::sync::Arc;

use morph_runtime_core::capabilities::audit::MemoryAuditSink;
use morph_runtime_core::{Host, Isolation, LoadOptions};
use morph_runtime_wasm::{WasmConfig, WasmRuntime};
use serde_json::{Value, json};

/// Runs `async fn $name(engine: &str)` once per engine compiled in.
#[macro_export]
macro_rules! on_every_engine {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[cfg(feature = "wasmer")]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn wasmer() {
                    super::$name("wasmer").await
                }
                #[cfg(feature = "wasmi")]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn wasmi() {
                    super::$name("wasmi").await
                }
            }
        )*
    };
}

/// A module `scripts/build-guests.sh` built, by its path under `tests/`.
pub fn built_guest(path: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(path);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the guests first with scripts/build-guests.sh",
            path.display()
        )
    })
}

/// The test guest, built by `scripts/build-guests.sh`.
pub fn guest_wasm() -> Vec<u8> {
    built_guest("guest/morph_test_guest.wasm")
}

/// The ABI's allocator exports in WAT, for hand-written modules (put it
/// where `ALLOCATOR` stands): `morph_alloc` (also `$alloc`) bumps `$bump`
/// from 1024, `morph_free` frees nothing.
pub const WAT_BUMP_ALLOCATOR: &str = r#"(global $bump (mut i32) (i32.const 1024))
  (func $alloc (export "morph_alloc") (param i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get 0)))
    (local.get $p))
  (func (export "morph_free") (param i32 i32))"#;

/// The actions of the test guest, as a manifest declares them.
pub const GUEST_ACTIONS: &str = include_str!("../guest/actions.yaml");

/// A host with the wasm runtime and one loaded test guest.
pub struct Guest {
    pub dir: tempfile::TempDir,
    pub host: Host,
    pub audit: Arc<MemoryAuditSink>,
    pub id: String,
}

/// Options for [`load_guest`].
pub struct GuestOptions<'a> {
    pub id: &'a str,
    pub permissions: &'a [&'a str],
    pub allowed_hosts: &'a [&'a str],
    pub limits: &'a str,
    pub isolation: Option<Isolation>,
    pub config: Value,
}

impl Default for GuestOptions<'_> {
    fn default() -> Self {
        GuestOptions {
            id: "test-guest",
            permissions: &[],
            allowed_hosts: &[],
            limits: "",
            isolation: None,
            config: json!({}),
        }
    }
}

/// Writes a package for the test guest with `opts` into `dir`.
pub fn write_package(dir: &Path, opts: &GuestOptions<'_>, wasm: &[u8]) -> PathBuf {
    let pkg = dir.join(opts.id);
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("guest.wasm"), wasm).unwrap();
    let quote = |xs: &[&str]| {
        xs.iter()
            .map(|x| format!("\"{x}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let manifest = format!(
        "extension_id: {}\nversion: 1.0.0\nmetadata:\n  name: Test guest\n  description: Drives the wasm runtime\nruntime: wasm\nentry: guest.wasm\npermissions: [{}]\nallowed_hosts: [{}]\n{}\n{GUEST_ACTIONS}",
        opts.id,
        opts.permissions.join(", "),
        quote(opts.allowed_hosts),
        if opts.limits.is_empty() {
            String::new()
        } else {
            format!("resource_limits:\n{}", opts.limits)
        },
    );
    std::fs::write(pkg.join("manifest.yaml"), manifest).unwrap();
    pkg
}

/// A host for `engine` with a fresh data dir and a memory audit sink.
pub fn host(
    dir: &Path,
    engine: &str,
    isolation: Option<Isolation>,
) -> (Host, Arc<MemoryAuditSink>) {
    let audit = Arc::new(MemoryAuditSink::new());
    let runtime = WasmRuntime::new(WasmConfig {
        default_engine: engine.to_owned(),
        cache_dir: Some(dir.join("cache")),
        pool_workers: 2,
    });
    let host = Host::builder()
        .with_data_dir(dir.join("data"))
        .with_audit_sink(audit.clone())
        .without_linked_runtimes()
        .with_runtime(Arc::new(runtime))
        .with_load_options(LoadOptions {
            isolation,
            engine: Some(engine.to_owned()),
        })
        .build()
        .unwrap();
    (host, audit)
}

/// Loads the test guest on `engine` with `opts`.
pub async fn load_guest(engine: &str, opts: GuestOptions<'_>) -> Guest {
    let dir = tempfile::tempdir().unwrap();
    let (host, audit) = host(dir.path(), engine, opts.isolation);
    let pkg = write_package(dir.path(), &opts, &guest_wasm());
    let id = host.load(&pkg, opts.config.clone()).await.unwrap();
    Guest {
        dir,
        host,
        audit,
        id,
    }
}

impl Guest {
    pub async fn run(&self, action: &str, params: Value) -> morph_runtime_core::Result<Value> {
        self.host.execute(&self.id, action, params).await
    }

    pub async fn code(&self, action: &str, params: Value) -> String {
        match self.run(action, params).await {
            Ok(v) => panic!("expected an error from {action}, got {v}"),
            Err(e) => e.code().as_str().to_owned(),
        }
    }

    /// Proves the host and the extension still serve.
    pub async fn still_serves(&self) {
        let v = self.run("echo", json!({"value": "alive"})).await.unwrap();
        assert_eq!(v, json!({"value": "alive"}));
    }
}

/// A host with one module loaded from bytes (not the test guest).
pub struct Loaded {
    pub dir: tempfile::TempDir,
    pub host: Host,
    pub id: String,
}

/// Loads `wasm`, whose manifest declares `actions` (a YAML `actions:` list)
/// and `limits` (a YAML `resource_limits:` block or nothing), on `engine`.
pub async fn load_module(
    engine: &str,
    wasm: &[u8],
    actions: &str,
    limits: &str,
    isolation: Option<Isolation>,
) -> morph_runtime_core::Result<Loaded> {
    let dir = tempfile::tempdir().unwrap();
    let (host, _audit) = host(dir.path(), engine, isolation);
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("guest.wasm"), wasm).unwrap();
    std::fs::write(
        pkg.join("manifest.yaml"),
        format!(
            "extension_id: module-under-test\nversion: 1.0.0\nmetadata:\n  name: Module under test\n  description: Loaded from bytes\nruntime: wasm\nentry: guest.wasm\npermissions: []\n{limits}\n{actions}"
        ),
    )
    .unwrap();
    let id = host.load(&pkg, json!({})).await?;
    Ok(Loaded { dir, host, id })
}
