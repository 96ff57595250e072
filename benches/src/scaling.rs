//! How Morph's cost grows (brief section 12), shared by `benches/scaling.rs`
//! and the `morph-bench-extensions` binary: the four in-process runtimes as
//! [`Runner`]s, their test guests loaded with limits that fit the biggest
//! payload, and a driver that calls one extension from several tasks at once.
//!
//! - **callers**: calls per second of the trivial `echo` with 1, 2, 4 and 8
//!   tasks calling the same Pooled extension ([`CALLERS`]);
//! - **payload**: time per `echo` call as its string grows from 1 KiB to
//!   16 MiB ([`PAYLOADS`]);
//! - **extensions**: load time and resident memory with 1, 10, 100 and 1000
//!   extensions loaded in one host ([`EXTENSION_COUNTS`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use morph_runtime_core::{Host, Isolation};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

use crate::fixture::{self, Loaded};
use crate::script_guest::{self, Language};
use crate::{ENGINES, JS_ENGINE, PYTHON_ENGINE};

/// The criterion group of the callers figures (`callers/<N> callers/<engine>`).
pub const CALLERS_GROUP: &str = "callers";

/// The criterion group of the payload figures (`payload/<size>/<engine>`).
pub const PAYLOAD_GROUP: &str = "payload";

/// How many tasks call at once.
pub const CALLERS: [usize; 4] = [1, 2, 4, 8];

/// The `echo` payload sizes: a string of this many bytes, with a label.
pub const PAYLOADS: [(usize, &str); 6] = [
    (1 << 10, "1 KiB"),
    (16 << 10, "16 KiB"),
    (256 << 10, "256 KiB"),
    (1 << 20, "1 MiB"),
    (4 << 20, "4 MiB"),
    (16 << 20, "16 MiB"),
];

/// How many extensions one host loads.
pub const EXTENSION_COUNTS: [usize; 4] = [1, 10, 100, 1000];

/// The limits every scaling package declares: room for a 16 MiB echo in and
/// out, and for the slowest runtime's call on it.
pub const SCALING_LIMITS: &str =
    "resource_limits: {max_memory_mb: 1024, max_execution_ms: 600000, max_output_kb: 65536}\n";

/// The function id of `n` callers (`"4 callers"`).
pub fn callers_id(n: usize) -> String {
    format!("{n} caller{}", if n == 1 { "" } else { "s" })
}

/// One of Morph's in-process runtimes with its test guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// The wasm runtime on `engine` (`wasmer` or `wasmi`).
    Wasm(&'static str),
    /// The JS runtime (Boa).
    Js,
    /// The Python runtime (RustPython).
    Python,
}

impl Runner {
    /// Every runner, in the order of the tables.
    pub const ALL: [Runner; 4] = [
        Runner::Wasm(ENGINES[0]),
        Runner::Wasm(ENGINES[1]),
        Runner::Js,
        Runner::Python,
    ];

    /// The engine part of this runner's ids.
    pub fn engine(self) -> &'static str {
        match self {
            Runner::Wasm(engine) => engine,
            Runner::Js => JS_ENGINE,
            Runner::Python => PYTHON_ENGINE,
        }
    }

    /// The runner whose ids carry `engine`.
    pub fn from_engine(engine: &str) -> Option<Runner> {
        Runner::ALL.into_iter().find(|r| r.engine() == engine)
    }

    /// A host with only this runner's runtime, loading under `isolation`.
    pub fn host(self, data_dir: &Path, isolation: Isolation) -> Host {
        match self {
            Runner::Wasm(engine) => fixture::host(
                data_dir,
                Some(data_dir.join("module-cache")),
                engine,
                isolation,
            ),
            Runner::Js => script_guest::host(data_dir, Language::Js, isolation),
            Runner::Python => script_guest::host(data_dir, Language::Python, isolation),
        }
    }

    /// Writes this runner's test guest, with [`SCALING_LIMITS`], into
    /// `dir` and returns the package's path.
    ///
    /// # Panics
    /// When the package cannot be written.
    pub fn write_package(self, dir: &Path) -> PathBuf {
        let pkg = match self {
            Runner::Wasm(_) => fixture::write_package(dir, &[]),
            Runner::Js => {
                script_guest::write_package(dir, &script_guest::test_guest(Language::Js), &[])
            }
            Runner::Python => {
                script_guest::write_package(dir, &script_guest::test_guest(Language::Python), &[])
            }
        };
        fixture::edit_manifest(&pkg, |text| text + SCALING_LIMITS);
        pkg
    }

    /// Loads this runner's test guest (with [`SCALING_LIMITS`]) under
    /// `isolation` on a host of its own. Must run inside a tokio runtime.
    ///
    /// # Panics
    /// When the guest does not load.
    pub async fn load(self, isolation: Isolation) -> Loaded {
        let dir = tempfile::tempdir().expect("a temporary dir");
        let host = self.host(&dir.path().join("data"), isolation);
        let pkg = self.write_package(dir.path());
        let id = host
            .load(&pkg, json!({}))
            .await
            .unwrap_or_else(|e| panic!("loading the {} test guest: {e}", self.engine()));
        Loaded {
            dir,
            host: Arc::new(host),
            id,
        }
    }
}

/// Copies the package at `pkg` to `dir/<id>` under the extension id `id`.
///
/// # Panics
/// When the copy cannot be written.
pub fn copy_package(pkg: &Path, dir: &Path, id: &str) -> PathBuf {
    let out = dir.join(id);
    std::fs::create_dir_all(&out).expect("create the package dir");
    for entry in std::fs::read_dir(pkg).expect("read the package") {
        let path = entry.expect("a package entry").path();
        let name = path.file_name().expect("a file name");
        std::fs::copy(&path, out.join(name)).expect("copy a package file");
    }
    fixture::edit_manifest(&out, |text| {
        text.lines()
            .map(|line| {
                if line.starts_with("extension_id:") {
                    format!("extension_id: {id}\n")
                } else {
                    format!("{line}\n")
                }
            })
            .collect()
    });
    out
}

/// The `echo` params carrying a string of `bytes` bytes.
pub fn payload(bytes: usize) -> Value {
    json!({ "value": "x".repeat(bytes) })
}

/// Time of `iters` `Host::execute(action, params)` calls made by `callers`
/// tasks at once on `rt` (each task makes its share in a row), from the
/// first spawn to the last answer.
///
/// # Panics
/// When a call fails.
pub fn execute_concurrently(
    rt: &Runtime,
    guest: &Loaded,
    action: &'static str,
    params: &Value,
    callers: usize,
    iters: u64,
) -> Duration {
    let callers = callers.max(1) as u64;
    rt.block_on(async {
        let started = Instant::now();
        let tasks: Vec<_> = (0..callers)
            .map(|i| {
                let share = iters / callers + u64::from(i < iters % callers);
                let host = guest.host.clone();
                let id = guest.id.clone();
                let params = params.clone();
                tokio::spawn(async move {
                    for _ in 0..share {
                        let out = host.execute(&id, action, params.clone()).await;
                        std::hint::black_box(out.expect("Host::execute"));
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a caller task");
        }
        started.elapsed()
    })
}

/// The process's resident set size in bytes (`VmRSS`), if Linux reports it.
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
