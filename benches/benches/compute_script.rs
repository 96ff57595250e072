//! Compute on the JS and Python runtimes relative to native Rust, beside the
//! engines alone and the peers, all in the same run
//! (`cargo bench -p morph-benches --bench compute_script`; table:
//! `BENCHMARKS.md`).
//!
//! One criterion group per workload of `morph-bench-workloads`, ids
//! `GROUP/RUNNER/ENGINE`:
//!
//! - `native/rust`: the workload in Rust, called directly (the baseline);
//! - `bare engine call/boa`, `bare engine call/rustpython`: the workload's JS
//!   / Python text on a warm Boa context / RustPython interpreter, the
//!   function called with a prepared argument (no Morph code);
//! - `Host::execute Pooled/boa`, `.../rustpython`: the compute guest's action
//!   through `Host::execute` under `Isolation::Pooled`;
//! - `peer/quickjs`: the JS text on QuickJS through rquickjs;
//! - `peer/cpython`: the Python text in `python3`'s own timing loop.
//!
//! The groups: `fib(25)` and the json transform of a 1 MiB document on every
//! runner; SHA-256 of 1 MiB on native Rust and QuickJS only (one call takes
//! about 1.3 s on QuickJS, 2.3 s on CPython, 4.4 s on bare Boa, 7.6 s through
//! Morph's Boa and longer on RustPython), and of 64 KiB (with its own native
//! baseline) on every runner.
//!
//! Before timing, every runner's answer is checked against native Rust's
//! (and the time of that one call printed). The calls take milliseconds to
//! seconds, so every figure is 10 flat samples (criterion reports the mean).
//!
//! The binary installs the metered allocator, as the `morph` CLI does: the
//! JS and Python runtimes measure each call's memory with it.

use std::hint::black_box;
use std::time::{Duration, Instant};

use boa_engine::JsValue;
use criterion::{Bencher, BenchmarkId, Criterion, SamplingMode};
use morph_bench_workloads::{DOC_BYTES, FIB_N, JS, PYTHON, SHA_BYTES, document};
use morph_benches::bare_js::BareJs;
use morph_benches::bare_python::BarePython;
use morph_benches::drive::{self, execute_n, execute_once};
use morph_benches::fixture::Loaded;
use morph_benches::ids::{
    BARE, COMPUTE_FIB, COMPUTE_JSON, COMPUTE_SHA, COMPUTE_SHA_SMALL, HOST, NATIVE, PEER, RUST,
};
use morph_benches::quickjs::QuickJs;
use morph_benches::script_guest::{self, Language};
use morph_benches::script_workload::Workload;
use morph_benches::{CPYTHON_ENGINE, QUICKJS_ENGINE, cpython};
use morph_runtime_core::Isolation;
use serde_json::Value;
use tokio::runtime::Runtime;

/// Per-thread allocation metering, as in the `morph` binary: the JS and
/// Python runtimes cap each call's memory with it.
#[global_allocator]
static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
    morph_runtime_core::allocation::MeteredAllocator::system();

/// The sha256 input of `COMPUTE_SHA_SMALL`, for the runners too slow for
/// 1 MiB (see [`SHA_RUNNERS`]).
const SHA_SMALL_BYTES: usize = 64 << 10;

/// Who runs a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runner {
    Native,
    Bare(Language),
    Host(Language),
    QuickJs,
    CPython,
}

/// Every runner, in the order of the figures.
const ALL: [Runner; 7] = [
    Runner::Native,
    Runner::Bare(Language::Js),
    Runner::Host(Language::Js),
    Runner::QuickJs,
    Runner::Bare(Language::Python),
    Runner::Host(Language::Python),
    Runner::CPython,
];

/// The runners fast enough for SHA-256 of 1 MiB (one call under ~3 s):
/// QuickJS takes about 1.3 s, Boa about 4.4 s bare and 7.6 s through Morph,
/// RustPython over 9 s, CPython about 2.3 s but only beside the other Python
/// runners, all of which run [`SHA_SMALL_BYTES`].
const SHA_RUNNERS: [Runner; 2] = [Runner::Native, Runner::QuickJs];

impl Runner {
    /// The `RUNNER` and `ENGINE` parts of the id.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Runner::Native => (NATIVE, RUST),
            Runner::Bare(language) => (BARE, language.engine()),
            Runner::Host(language) => (HOST, language.engine()),
            Runner::QuickJs => (PEER, QUICKJS_ENGINE),
            Runner::CPython => (PEER, CPYTHON_ENGINE),
        }
    }
}

/// A runner ready to call one workload: its engine warm, the function and
/// argument prepared.
enum Prepared<'a> {
    Native,
    BareJs(BareJs, JsValue),
    BarePython(BarePython),
    Host(&'a HostGuest<'a>),
    QuickJs(QuickJs),
    CPython,
}

impl Prepared<'_> {
    /// The workload's answer on this runner, as JSON.
    fn answer(&mut self, workload: &Workload) -> Value {
        match self {
            Prepared::Native => workload.native(),
            Prepared::BareJs(bare, _) => bare.call_json(&workload.arg()),
            Prepared::BarePython(bare) => bare.call_json(&workload.arg()),
            Prepared::Host(loaded) => execute_once(
                loaded.runtime,
                loaded.guest,
                workload.action(),
                &workload.params(),
            ),
            Prepared::QuickJs(quickjs) => quickjs.call_json(),
            Prepared::CPython => cpython::workload_loop(workload, 0).answer,
        }
    }

    /// Times the workload on this runner.
    fn bench(&mut self, b: &mut Bencher<'_>, workload: &Workload, expected: &Value) {
        match self {
            Prepared::Native => b.iter(|| black_box(workload).native()),
            Prepared::BareJs(bare, arg) => b.iter(|| bare.call(black_box(arg))),
            Prepared::BarePython(bare) => b.iter(|| bare.call()),
            Prepared::Host(loaded) => {
                let params = workload.params();
                b.iter_custom(|iters| {
                    execute_n(
                        loaded.runtime,
                        loaded.guest,
                        workload.action(),
                        &params,
                        iters,
                    )
                });
            }
            Prepared::QuickJs(quickjs) => b.iter(|| quickjs.call()),
            Prepared::CPython => b.iter_custom(|iters| {
                let timed = cpython::workload_loop(workload, iters);
                assert_eq!(&timed.answer, expected, "CPython's answer");
                timed.elapsed
            }),
        }
    }
}

/// A loaded compute guest and the runtime its host runs on.
struct HostGuest<'a> {
    runtime: &'a Runtime,
    guest: &'a Loaded,
}

fn main() {
    let rt = drive::runtime();
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let cpython = cpython::version();
    match &cpython {
        Some(version) => eprintln!("peer: {version} ({})", cpython::program()),
        None => eprintln!(
            "peer: no `{}` on this machine; the CPython figures are skipped",
            cpython::program()
        ),
    }
    let load = |language| {
        rt.block_on(script_guest::load(
            &script_guest::compute_guest(language),
            Isolation::Pooled,
            &[],
        ))
    };
    let js_guest = load(Language::Js);
    let py_guest = load(Language::Python);
    let hosts = Hosts {
        js: HostGuest {
            runtime: &rt,
            guest: &js_guest,
        },
        python: HostGuest {
            runtime: &rt,
            guest: &py_guest,
        },
        cpython: cpython.is_some(),
    };

    compute(&mut c, &hosts, COMPUTE_FIB, &Workload::Fib(FIB_N), &ALL);
    compute(
        &mut c,
        &hosts,
        COMPUTE_JSON,
        &Workload::Transform(document(DOC_BYTES)),
        &ALL,
    );
    compute(
        &mut c,
        &hosts,
        COMPUTE_SHA,
        &Workload::Sha256(SHA_BYTES),
        &SHA_RUNNERS,
    );
    compute(
        &mut c,
        &hosts,
        COMPUTE_SHA_SMALL,
        &Workload::Sha256(SHA_SMALL_BYTES),
        &ALL,
    );
    c.final_summary();
}

/// The loaded compute guests, and whether CPython is there.
struct Hosts<'a> {
    js: HostGuest<'a>,
    python: HostGuest<'a>,
    cpython: bool,
}

/// One group: `workload` on each of `runners`, each answer checked against
/// native Rust's before any timing.
fn compute(
    c: &mut Criterion,
    hosts: &Hosts<'_>,
    name: &str,
    workload: &Workload,
    runners: &[Runner],
) {
    let expected = workload.native();
    let mut prepared: Vec<(Runner, Prepared<'_>)> = runners
        .iter()
        .filter(|runner| hosts.cpython || **runner != Runner::CPython)
        .map(|&runner| (runner, prepare(hosts, runner, workload)))
        .collect();
    for (runner, ready) in &mut prepared {
        let started = Instant::now();
        let answer = ready.answer(workload);
        let (function, engine) = runner.names();
        eprintln!(
            "{name}/{function}/{engine}: answer checked ({:.1?} for one call)",
            started.elapsed()
        );
        assert_eq!(
            answer, expected,
            "{name}/{function}/{engine}: not native's answer"
        );
    }
    let mut group = c.benchmark_group(name);
    group.sampling_mode(SamplingMode::Flat);
    for (runner, ready) in &mut prepared {
        let (function, engine) = runner.names();
        group.bench_function(BenchmarkId::new(function, engine), |b| {
            ready.bench(b, workload, &expected);
        });
    }
    group.finish();
}

/// `runner` warm and ready for `workload`.
fn prepare<'a>(hosts: &'a Hosts<'a>, runner: Runner, workload: &Workload) -> Prepared<'a> {
    match runner {
        Runner::Native => Prepared::Native,
        Runner::Bare(Language::Js) => {
            let mut bare = BareJs::new(JS, workload.function());
            let arg = bare.value(&workload.arg());
            Prepared::BareJs(bare, arg)
        }
        Runner::Bare(Language::Python) => Prepared::BarePython(BarePython::new(
            PYTHON,
            workload.function(),
            &workload.arg(),
        )),
        Runner::Host(Language::Js) => Prepared::Host(&hosts.js),
        Runner::Host(Language::Python) => Prepared::Host(&hosts.python),
        Runner::QuickJs => {
            Prepared::QuickJs(QuickJs::new(JS, workload.function(), &workload.arg()))
        }
        Runner::CPython => Prepared::CPython,
    }
}
