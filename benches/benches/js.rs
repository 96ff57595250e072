//! The JS runtime's figures (issue 4), each beside its baseline from the same
//! run (`cargo bench -p morph-benches --bench js`; table: `BENCHMARKS.md`).
//!
//! 1. `overhead`: the trivial `echo` action of the JS test guest through
//!    `Host::execute` under `Isolation::Pooled` and `PerCall`, beside Boa
//!    calling `function echo(x) { return x; }` on a warm context (the
//!    baseline, no Morph code), with and without the JSON conversions; and
//!    context creation: `Context::default()` alone, and a fresh context with
//!    the test guest evaluated as a module, `init` and the call (what
//!    `PerCall` does, without Morph); and Morph's guest context before the
//!    entry runs, with and without the web platform globals (what they cost
//!    per context), timed alternately.
//! 2. `capability`: the guest's `call` action invoking `log` and `vault.get`
//!    through the broker, beside the same host's `echo`.
//!
//! Compute (the workloads beside native Rust and the peers) is
//! `benches/compute_script.rs`.
//!
//! The binary installs the metered allocator, as the `morph` CLI does: the JS
//! runtime measures each call's memory with it.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode};
use morph_benches::JS_ENGINE;
use morph_benches::bare_js::{self, BareJs, ECHO_JS};
use morph_benches::capability;
use morph_benches::drive::{self, execute_n, execute_once};
use morph_benches::ids::{
    BARE_CALL, BARE_CALL_JSON, BARE_CONTEXT, BARE_CONTEXT_FRESH, CAPABILITY, HOST_PER_CALL,
    MORPH_CONTEXT, MORPH_CONTEXT_CORE, OVERHEAD,
};
use morph_benches::script_guest::{self, JS_TEST_GUEST, Language};
use morph_runtime_core::Isolation;
use morph_runtime_js::{Globals, new_guest_context};
use serde_json::json;
use tokio::runtime::Runtime;

/// Per-thread allocation metering, as in the `morph` binary: the JS runtime
/// caps each call's memory with it.
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

/// Bare Boa calls and context creation vs `Host::execute` echo.
fn overhead(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group(OVERHEAD);
    let params = json!({"value": 1});

    let mut bare = BareJs::new(ECHO_JS, "echo");
    assert_eq!(bare.call_json(&params), params, "bare echo");
    let arg = bare.value(&params);
    group.bench_function(BenchmarkId::new(BARE_CALL, JS_ENGINE), |b| {
        b.iter(|| bare.call(black_box(&arg)));
    });
    group.bench_function(BenchmarkId::new(BARE_CALL_JSON, JS_ENGINE), |b| {
        b.iter(|| bare.call_json(black_box(&params)));
    });

    let guest = script_guest::test_guest(Language::Js);
    script_guest::bench_pooled_with_and_without_metering(
        &mut group, rt, &guest, JS_ENGINE, &params,
    );

    // A fresh context per iteration: milliseconds, so fewer, flat samples.
    slow(&mut group);
    group.bench_function(BenchmarkId::new(BARE_CONTEXT, JS_ENGINE), |b| {
        b.iter(bare_js::new_context);
    });
    assert_eq!(
        bare_js::fresh_module_call(JS_TEST_GUEST, "echo", &params),
        params,
        "bare fresh module echo"
    );
    group.bench_function(BenchmarkId::new(BARE_CONTEXT_FRESH, JS_ENGINE), |b| {
        b.iter(|| bare_js::fresh_module_call(JS_TEST_GUEST, "echo", black_box(&params)));
    });

    // Morph's guest context with and without the web globals, timed
    // alternately (each sample builds the other kind first) so that both see
    // the same allocator and cache state.
    for (id, globals, other) in [
        (MORPH_CONTEXT_CORE, Globals::Core, Globals::Web),
        (MORPH_CONTEXT, Globals::Web, Globals::Core),
    ] {
        new_guest_context(globals).expect("a guest context");
        group.bench_function(BenchmarkId::new(id, JS_ENGINE), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    drop(new_guest_context(other));
                    let started = Instant::now();
                    drop(black_box(new_guest_context(black_box(globals))));
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
    group.bench_function(BenchmarkId::new(HOST_PER_CALL, JS_ENGINE), |b| {
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
        &script_guest::test_guest(Language::Js),
        Isolation::Pooled,
        &capability::PERMISSIONS,
        &[&server.host()],
    ));
    capability::bench(&mut group, rt, &loaded, &server, JS_ENGINE);
    group.finish();
}
