//! How the cost of a call grows (`cargo bench -p morph-benches --bench
//! scaling`; tables and plots: `BENCHMARKS.md`), on every in-process runtime
//! (wasmer, wasmi, Boa, RustPython), each with its test guest loaded
//! `Pooled` (two warm workers):
//!
//! 1. `callers`: the trivial `echo` made by 1, 2, 4 and 8 tasks at once on
//!    one extension. A figure is the time per call over all callers, so
//!    calls per second is its inverse; the baseline is one caller.
//! 2. `payload`: `echo` of a string of 1 KiB up to 16 MiB (in and out, so
//!    twice that crosses the host and the guest). The baseline is the same
//!    runtime's 1 KiB call.
//!
//! Resident memory and load time with 1 to 1000 extensions loaded are
//! measured by the `morph-bench-extensions` binary, one process per count.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use morph_benches::drive::{self, execute_n, execute_once};
use morph_benches::scaling::{
    self, CALLERS, CALLERS_GROUP, PAYLOAD_GROUP, PAYLOADS, Runner, execute_concurrently,
};
use morph_runtime_core::Isolation;
use serde_json::json;
use tokio::runtime::Runtime;

/// Per-thread allocation metering, as in the `morph` binary: the JS and
/// Python runtimes measure each call's memory with it.
#[global_allocator]
static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
    morph_runtime_core::allocation::MeteredAllocator::system();

fn main() {
    let rt = drive::runtime();
    let mut c = morph_benches::drive::criterion();
    for runner in Runner::ALL {
        let guest = rt.block_on(runner.load(Isolation::Pooled));
        callers(&mut c, &rt, runner, &guest);
        payload(&mut c, &rt, runner, &guest);
    }
    c.final_summary();
}

/// `echo` from 1, 2, 4 and 8 tasks at once.
fn callers(
    c: &mut Criterion,
    rt: &Runtime,
    runner: Runner,
    guest: &morph_benches::fixture::Loaded,
) {
    let params = json!({"value": 1});
    assert_eq!(execute_once(rt, guest, "echo", &params), params, "echo");
    let mut group = c.benchmark_group(CALLERS_GROUP);
    group.throughput(Throughput::Elements(1));
    for n in CALLERS {
        group.bench_function(
            BenchmarkId::new(scaling::callers_id(n), runner.engine()),
            |b| b.iter_custom(|iters| execute_concurrently(rt, guest, "echo", &params, n, iters)),
        );
    }
    group.finish();
}

/// `echo` of 1 KiB to 16 MiB.
fn payload(
    c: &mut Criterion,
    rt: &Runtime,
    runner: Runner,
    guest: &morph_benches::fixture::Loaded,
) {
    let mut group = c.benchmark_group(PAYLOAD_GROUP);
    for (bytes, label) in PAYLOADS {
        let params = scaling::payload(bytes);
        assert_eq!(
            execute_once(rt, guest, "echo", &params),
            params,
            "echo of {label}"
        );
        group.throughput(Throughput::Bytes(bytes as u64));
        if bytes >= 1 << 20 {
            group
                .sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .measurement_time(Duration::from_secs(3));
        }
        group.bench_function(BenchmarkId::new(label, runner.engine()), |b| {
            b.iter_custom(|iters| execute_n(rt, guest, "echo", &params, iters));
        });
    }
    group.finish();
}
