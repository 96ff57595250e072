//! How a benchmark calls `Host::execute`: from a task on a multi-thread
//! tokio runtime, as an app would, `iters` calls in a row per sample (the
//! same driver `benches/wasm.rs` uses).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use morph_runtime_core::Host;
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::fixture::Loaded;

/// Criterion as every suite sets it up: 20 samples, 0.5 s of warm-up, 2 s
/// of measurement, then the command line's options.
pub fn criterion() -> criterion::Criterion {
    criterion::Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args()
}

/// A multi-thread tokio runtime for the hosts (the machine's cores).
///
/// # Panics
/// When the runtime cannot start.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Runs `fut` as a task on `rt` (not on the calling thread) and returns its
/// output.
///
/// # Panics
/// When the task panics.
pub fn in_task<T: Send + 'static>(
    rt: &Runtime,
    fut: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    rt.block_on(async move { tokio::spawn(fut).await.expect("the benchmark task") })
}

/// Time of `iters` sequential `Host::execute(action, params)` calls from one
/// task on `rt`.
///
/// # Panics
/// When a call fails.
pub fn execute_n(
    rt: &Runtime,
    guest: &Loaded,
    action: &'static str,
    params: &Value,
    iters: u64,
) -> Duration {
    let host: Arc<Host> = guest.host.clone();
    let id = guest.id.clone();
    // The caller's params are built before the clock starts, as a peer's
    // input bytes are: cloning a 1 MiB document is not Morph's cost.
    let inputs: Vec<Value> = (0..iters).map(|_| params.clone()).collect();
    in_task(rt, async move {
        let started = Instant::now();
        for params in inputs {
            let out = host.execute(&id, action, params).await;
            black_box(out.expect("Host::execute"));
        }
        started.elapsed()
    })
}

/// One `Host::execute(action, params)` on `rt`, its result or a panic naming
/// what failed.
///
/// # Panics
/// When the call fails.
pub fn execute_once(rt: &Runtime, guest: &Loaded, action: &str, params: &Value) -> Value {
    rt.block_on(guest.host.execute(&guest.id, action, params.clone()))
        .unwrap_or_else(|e| {
            let shown: String = params.to_string().chars().take(200).collect();
            panic!("{action} {shown}: {e}")
        })
}
