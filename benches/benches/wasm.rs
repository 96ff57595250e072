//! The wasm runtime's figures, each beside its baseline from the same run, on
//! every engine (`cargo bench -p morph-benches`; table: `BENCHMARKS.md`).
//!
//! 1. `overhead`: the trivial `echo` action of the test guest, called raw on a
//!    warm instance and on a fresh one (the baselines, no Morph code), and
//!    through `Host::execute` under `Isolation::Pooled` and `PerCall`.
//! 2. `capability`: the guest's `call` action invoking `log` and `vault.get`
//!    through the broker, beside the same host's `echo`.
//! 3. `load`: `Host::load` with an empty module cache and with a warm one
//!    (wasmer), or compiling in memory (wasmi), beside the engine compiling
//!    the module alone.
//! 4. `plumbing`: the thread hops the isolation modes take, with no guest:
//!    `spawn_blocking` (PerCall) and a job to a worker thread over a channel
//!    answered on a oneshot (Pooled), to tell where their cost goes.
//!
//! `Host::execute` is driven from a task on a multi-thread tokio runtime, as
//! an app would call it, `iters` calls in a row per sample.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode};
use morph_benches::capability;
use morph_benches::drive::{execute_n, in_task};
use morph_benches::fixture;
use morph_benches::ids::{
    CAPABILITY, HOST_PER_CALL, HOST_POOLED, LOAD, LOAD_CACHED, LOAD_COLD, OVERHEAD, PLUMBING,
    PLUMBING_ENGINE, RAW_COMPILE, RAW_FRESH, RAW_WARM, SPAWN_BLOCKING, WORKER_HOP,
};
use morph_benches::raw::{self, wasmer_raw, wasmi_raw};
use morph_benches::{ECHO_ACTION, ECHO_OUTPUT, ECHO_PARAMS, ENGINES};
use morph_runtime_core::{Host, Isolation};
use serde_json::json;
use tokio::runtime::Runtime;

fn main() {
    let rt = morph_benches::drive::runtime();
    let mut c = morph_benches::drive::criterion();
    let wasm = fixture::guest_wasm();
    overhead(&mut c, &rt, &wasm);
    capability(&mut c, &rt);
    load(&mut c, &rt, &wasm);
    plumbing(&mut c, &rt);
    c.final_summary();
}

/// Raw echo (warm and fresh instance) vs `Host::execute` echo.
fn overhead(c: &mut Criterion, rt: &Runtime, wasm: &[u8]) {
    let mut group = c.benchmark_group(OVERHEAD);
    for engine in ENGINES {
        let module = raw::compile(engine, wasm);
        let mut warm = module.instantiate();
        warm.init(b"{}");
        assert_eq!(
            warm.execute(ECHO_ACTION, ECHO_PARAMS),
            ECHO_OUTPUT,
            "raw echo on {engine}"
        );
        group.bench_function(BenchmarkId::new(RAW_WARM, engine), |b| {
            b.iter(|| warm.execute(ECHO_ACTION, black_box(ECHO_PARAMS)));
        });
        group.bench_function(BenchmarkId::new(RAW_FRESH, engine), |b| {
            b.iter(|| {
                let mut fresh = module.instantiate();
                fresh.init(b"{}");
                fresh.execute(ECHO_ACTION, black_box(ECHO_PARAMS))
            });
        });
        for (name, isolation) in [
            (HOST_POOLED, Isolation::Pooled),
            (HOST_PER_CALL, Isolation::PerCall),
        ] {
            let guest = rt.block_on(fixture::load_guest(engine, isolation, &[]));
            let params = json!({"value": 1});
            let out = rt.block_on(guest.host.execute(&guest.id, "echo", params.clone()));
            assert_eq!(out.expect("echo"), params, "Host::execute echo on {engine}");
            group.bench_function(BenchmarkId::new(name, engine), |b| {
                b.iter_custom(|iters| execute_n(rt, &guest, "echo", &params, iters));
            });
        }
    }
    group.finish();
}

/// `call` of `log` and of `vault.get` vs `echo`, on one pooled host.
fn capability(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group(CAPABILITY);
    let server = capability::server();
    for engine in ENGINES {
        let guest = rt.block_on(fixture::load_guest_allowing(
            engine,
            Isolation::Pooled,
            &capability::PERMISSIONS,
            &[&server.host()],
        ));
        capability::bench(&mut group, rt, &guest, &server, engine);
    }
    group.finish();
}

/// `Host::load` cold and cached vs the engine compiling the module.
fn load(c: &mut Criterion, rt: &Runtime, wasm: &[u8]) {
    let mut group = c.benchmark_group(LOAD);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    let wasmer_engine = wasmer::Engine::default();
    group.bench_function(BenchmarkId::new(RAW_COMPILE, "wasmer"), |b| {
        b.iter(|| wasmer_raw::compile_on(&wasmer_engine, black_box(wasm)));
    });
    let wasmi_engine = wasmi_raw::engine();
    group.bench_function(BenchmarkId::new(RAW_COMPILE, "wasmi"), |b| {
        b.iter(|| wasmi_raw::compile_on(&wasmi_engine, black_box(wasm)));
    });

    for engine in ENGINES {
        let dir = tempfile::tempdir().expect("a temporary dir");
        let cache = dir.path().join("cache");
        let host = fixture::host(
            &dir.path().join("data"),
            Some(cache.clone()),
            engine,
            Isolation::PerCall,
        );
        let pkg = fixture::write_package(dir.path(), &[]);
        let load_once = |host: &Host| {
            let started = Instant::now();
            let id = rt.block_on(host.load(&pkg, json!({}))).expect("Host::load");
            let took = started.elapsed();
            black_box(id);
            took
        };
        group.bench_function(BenchmarkId::new(LOAD_COLD, engine), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        // Untimed: empty the module cache (wasmi has none).
                        let _ = std::fs::remove_dir_all(&cache);
                        load_once(&host)
                    })
                    .sum()
            });
        });
        if engine == "wasmer" {
            load_once(&host); // fills the cache
            group.bench_function(BenchmarkId::new(LOAD_CACHED, engine), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| load_once(&host)).sum());
            });
        }
    }
    group.finish();
}

/// The isolation modes' thread hops alone: what an empty job costs.
fn plumbing(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group(PLUMBING);
    group.bench_function(BenchmarkId::new(SPAWN_BLOCKING, PLUMBING_ENGINE), |b| {
        b.iter_custom(|iters| {
            in_task(rt, async move {
                let started = Instant::now();
                for _ in 0..iters {
                    tokio::task::spawn_blocking(|| black_box(1))
                        .await
                        .expect("spawn_blocking");
                }
                started.elapsed()
            })
        });
    });
    // Like `runtime-wasm`'s pool: a std channel to a worker thread, the
    // answer on a tokio oneshot.
    let (jobs, rx) = std::sync::mpsc::channel::<tokio::sync::oneshot::Sender<u32>>();
    let worker = std::thread::spawn(move || {
        while let Ok(reply) = rx.recv() {
            let _ = reply.send(black_box(1));
        }
    });
    let jobs = std::sync::Mutex::new(jobs);
    group.bench_function(BenchmarkId::new(WORKER_HOP, PLUMBING_ENGINE), |b| {
        b.iter_custom(|iters| {
            let jobs = jobs.lock().expect("the job channel").clone();
            in_task(rt, async move {
                let started = Instant::now();
                for _ in 0..iters {
                    let (reply, answer) = tokio::sync::oneshot::channel();
                    jobs.send(reply).expect("the worker");
                    black_box(answer.await.expect("the worker's answer"));
                }
                started.elapsed()
            })
        });
    });
    group.finish();
    drop(jobs);
    worker.join().expect("the worker thread");
}
