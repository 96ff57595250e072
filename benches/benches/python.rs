//! The Python runtime's figures (issue 5), each beside its baseline from the
//! same run (`cargo bench -p morph-benches --bench python`; table:
//! `BENCHMARKS.md`).
//!
//! 1. `overhead`: the trivial `echo` action of the Python test guest through
//!    `Host::execute` under `Isolation::Pooled` and `PerCall`, beside
//!    RustPython calling `def echo(x): return x` on a warm interpreter (the
//!    baseline, no Morph code), with and without the JSON conversions; and
//!    interpreter creation: a new interpreter alone, and one with the test
//!    guest run as a module, `init` and the call (what `PerCall` does,
//!    without Morph), and the guest interpreter Morph builds with its
//!    standard library beside the same without it.
//! 2. `capability`: the guest's `call` action invoking `log` and `vault.get`
//!    through the broker, beside the same host's `echo`.
//!
//! Compute (the workloads beside native Rust and the peers, CPython among
//! them) is `benches/compute_script.rs`.
//!
//! The binary installs the metered allocator, as the `morph` CLI does: the
//! Python runtime measures each call's memory with it.

use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode};
use morph_benches::PYTHON_ENGINE;
use morph_benches::bare_python::{self, BarePython, ECHO_PY};
use morph_benches::capability;
use morph_benches::drive::{self, execute_n, execute_once};
use morph_benches::ids::{
    BARE_CALL, BARE_CALL_JSON, BARE_INTERPRETER, BARE_INTERPRETER_FRESH, CAPABILITY, HOST_PER_CALL,
    MORPH_INTERPRETER, MORPH_INTERPRETER_CORE, OVERHEAD,
};
use morph_benches::script_guest::{self, Language, PY_TEST_GUEST};
use morph_runtime_core::Isolation;
use morph_runtime_python::sandbox::{Library, new_guest_interpreter};
use serde_json::json;
use tokio::runtime::Runtime;

/// Per-thread allocation metering, as in the `morph` binary: the Python
/// runtime caps each call's memory with it.
#[global_allocator]
static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
    morph_runtime_core::allocation::MeteredAllocator::system();

fn main() {
    let rt = drive::runtime();
    let mut c = morph_benches::drive::criterion();
    overhead(&mut c, &rt);
    capability(&mut c, &rt);
    c.final_summary();
}

/// Bare RustPython calls and interpreter creation vs `Host::execute` echo.
fn overhead(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group(OVERHEAD);
    let params = json!({"value": 1});

    let bare = BarePython::new(ECHO_PY, "echo", &params);
    assert_eq!(bare.call_json(&params), params, "bare echo");
    group.bench_function(BenchmarkId::new(BARE_CALL, PYTHON_ENGINE), |b| {
        b.iter(|| bare.call());
    });
    group.bench_function(BenchmarkId::new(BARE_CALL_JSON, PYTHON_ENGINE), |b| {
        b.iter(|| bare.call_json(std::hint::black_box(&params)));
    });

    let guest = script_guest::test_guest(Language::Python);
    script_guest::bench_pooled_with_and_without_metering(
        &mut group,
        rt,
        &guest,
        PYTHON_ENGINE,
        &params,
    );

    // A fresh interpreter per iteration: milliseconds, so fewer, flat samples.
    slow(&mut group);
    group.bench_function(BenchmarkId::new(BARE_INTERPRETER, PYTHON_ENGINE), |b| {
        b.iter(bare_python::new_interpreter);
    });
    assert_eq!(
        bare_python::fresh_module_call(PY_TEST_GUEST, "echo", &params),
        params,
        "bare fresh module echo"
    );
    group.bench_function(
        BenchmarkId::new(BARE_INTERPRETER_FRESH, PYTHON_ENGINE),
        |b| {
            b.iter(|| {
                bare_python::fresh_module_call(PY_TEST_GUEST, "echo", std::hint::black_box(&params))
            });
        },
    );

    // The guest interpreter Morph builds, with and without the standard
    // library (what the library adds to every new interpreter). Creation
    // time drifts upward over a long run in this process, so each timed
    // creation alternates with an untimed one of the other kind, and both
    // figures are taken in the same conditions.
    let _context = rt.enter();
    for (id, library, other) in [
        (
            MORPH_INTERPRETER_CORE,
            Library::MorphOnly,
            Library::Standard,
        ),
        (MORPH_INTERPRETER, Library::Standard, Library::MorphOnly),
    ] {
        new_guest_interpreter(library).expect("a guest interpreter");
        group.bench_function(BenchmarkId::new(id, PYTHON_ENGINE), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    let _ = new_guest_interpreter(other);
                    let started = Instant::now();
                    let _ = new_guest_interpreter(std::hint::black_box(library));
                    timed += started.elapsed();
                }
                timed
            });
        });
    }

    let per_call = rt.block_on(script_guest::load(&guest, Isolation::PerCall, &[]));
    assert_eq!(
        execute_once(rt, &per_call, "echo", &params),
        params,
        "PerCall echo"
    );
    group.bench_function(BenchmarkId::new(HOST_PER_CALL, PYTHON_ENGINE), |b| {
        b.iter_custom(|iters| execute_n(rt, &per_call, "echo", &params, iters));
    });
    group.finish();
}

/// Settings for figures of milliseconds: flat sampling (criterion reports
/// the mean), 10 samples over 3 s.
fn slow(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
}

/// `call` of `log` and of `vault.get` vs `echo`, on one pooled host.
fn capability(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group(CAPABILITY);
    let server = capability::server();
    let loaded = rt.block_on(script_guest::load_allowing(
        &script_guest::test_guest(Language::Python),
        Isolation::Pooled,
        &capability::PERMISSIONS,
        &[&server.host()],
    ));
    capability::bench(&mut group, rt, &loaded, &server, PYTHON_ENGINE);
    group.finish();
}
