//! Compute on wasm relative to native Rust, beside a peer, in one run
//! (`cargo bench -p morph-benches --bench compute_wasm`; table:
//! `BENCHMARKS.md`).
//!
//! Each workload of `morph-bench-workloads` is one group (`compute fib(25)`,
//! `compute json transform 1 MiB`, `compute sha256 1 MiB`), with the ids
//! `GROUP/RUNNER/ENGINE`:
//!
//! - `native/rust`: the Rust function called directly;
//! - `bare engine call/{wasmer,wasmi,wasmtime}`: the compute guest
//!   (`benches/guests/compute`) driven through the ABI on a warm instance
//!   with stub imports and no Morph code (the params' JSON text is prepared
//!   once; the guest still parses it and writes its result);
//! - `Host::execute Pooled/{wasmer,wasmi}`: the same guest through Morph,
//!   from a task on a multi-thread tokio runtime;
//! - `peer/extism`: the same workloads as an Extism plugin
//!   (`benches/guests/extism-compute`) through `Plugin::call`.
//!
//! Every runner's answer is checked against native's before timing. The
//! `overhead` group adds the per-call floor of the peers: the test guest's
//! `echo` on a warm wasmtime instance (`raw warm call/wasmtime`, beside
//! `benches/wasm.rs`'s wasmer and wasmi figures) and Extism's call of an
//! export that does nothing (`Extism call/extism`).

use std::hint::black_box;

use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, measurement::WallTime};
use morph_bench_workloads::{self as workloads, DOC_BYTES, FIB_N, SHA_BYTES};
use morph_benches::drive::{self, execute_n};
use morph_benches::extism_peer::{self, ExtismPeer};
use morph_benches::fixture::{self, Loaded};
use morph_benches::ids::{
    BARE, COMPUTE_FIB, COMPUTE_JSON, COMPUTE_SHA, EXTISM_CALL, HOST, NATIVE, OVERHEAD, PEER,
    RAW_WARM, RUST,
};
use morph_benches::raw::{self, RawInstance};
use morph_benches::{ECHO_ACTION, ECHO_OUTPUT, ECHO_PARAMS, ENGINES};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

/// The engines of the bare runner: Morph's two and the one under Extism.
const BARE_ENGINES: [&str; 3] = ["wasmer", "wasmi", "wasmtime"];

/// The engine part of the Extism ids.
const EXTISM: &str = "extism";

/// One workload as every runner gets it.
struct Workload {
    /// The criterion group.
    group: &'static str,
    /// The compute guest's action and the Extism plugin's export.
    action: &'static str,
    /// The action's params.
    params: Value,
    /// The Extism export's input.
    extism_input: Vec<u8>,
    /// Reads the Extism export's output as the guest's answer.
    extism_answer: fn(&[u8]) -> Value,
    /// Native Rust's answer, which every runner must give.
    expected: Value,
    /// The workload called natively.
    native: Box<dyn Fn() -> Value>,
    /// Samples per figure (fewer for the slow workloads).
    samples: usize,
}

fn json_answer(out: &[u8]) -> Value {
    serde_json::from_slice(out).expect("the plugin answers JSON")
}

fn text_answer(out: &[u8]) -> Value {
    Value::String(String::from_utf8(out.to_vec()).expect("the plugin answers text"))
}

fn workloads() -> Vec<Workload> {
    let doc = workloads::document(DOC_BYTES);
    let summary = |s: workloads::Summary| json!({"count": s.count, "bytes": s.bytes});
    let expected_summary = summary(workloads::transform(&doc).expect("the document transforms"));
    let native_doc = doc.clone();
    vec![
        Workload {
            group: COMPUTE_FIB,
            action: "fib",
            params: json!({"n": FIB_N}),
            extism_input: FIB_N.to_string().into_bytes(),
            extism_answer: json_answer,
            expected: json!(workloads::fib(FIB_N)),
            native: Box::new(|| json!(workloads::fib(black_box(FIB_N)))),
            samples: 20,
        },
        Workload {
            group: COMPUTE_JSON,
            action: "transform",
            // The document as JSON: ABI version 2 hands its text to the
            // guest unescaped, which parses it once into its records.
            params: json!({"doc": serde_json::from_str::<Value>(&doc).expect("the document")}),
            extism_input: doc.into_bytes(),
            extism_answer: json_answer,
            expected: expected_summary,
            native: Box::new(move || {
                summary(workloads::transform(black_box(&native_doc)).expect("transform"))
            }),
            samples: 10,
        },
        Workload {
            group: COMPUTE_SHA,
            action: "sha256",
            params: json!({"len": SHA_BYTES}),
            extism_input: SHA_BYTES.to_string().into_bytes(),
            extism_answer: text_answer,
            expected: json!(workloads::sha256_hex(SHA_BYTES)),
            native: Box::new(|| json!(workloads::sha256_hex(black_box(SHA_BYTES)))),
            samples: 10,
        },
    ]
}

fn main() {
    let rt = drive::runtime();
    let mut c = morph_benches::drive::criterion();
    let guest = fixture::compute_guest_wasm();
    let mut bare: Vec<(&str, Box<dyn RawInstance>)> = BARE_ENGINES
        .into_iter()
        .map(|engine| {
            let mut warm = raw::compile(engine, &guest).instantiate();
            warm.init(b"{}");
            (engine, warm)
        })
        .collect();
    let hosts: Vec<(&str, Loaded)> = ENGINES
        .into_iter()
        .map(|engine| (engine, rt.block_on(fixture::load_compute_guest(engine))))
        .collect();
    let mut peer = ExtismPeer::new(&extism_peer::plugin_wasm());
    for workload in workloads() {
        compute(&mut c, &rt, &workload, &mut bare, &hosts, &mut peer);
    }
    overhead(&mut c, &mut peer);
    c.final_summary();
}

/// One workload's group: native, bare engines, Morph, Extism.
fn compute(
    c: &mut Criterion,
    rt: &Runtime,
    w: &Workload,
    bare: &mut [(&str, Box<dyn RawInstance>)],
    hosts: &[(&str, Loaded)],
    peer: &mut ExtismPeer,
) {
    let mut group = c.benchmark_group(w.group);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(w.samples);

    assert_eq!((w.native)(), w.expected, "native {}", w.group);
    group.bench_function(BenchmarkId::new(NATIVE, RUST), |b| b.iter(|| (w.native)()));

    let params = serde_json::to_vec(&w.params).expect("the params");
    for (engine, warm) in bare.iter_mut() {
        let block = warm.execute(w.action, &params);
        assert_eq!(
            block.first(),
            Some(&0),
            "bare {engine} {}: an error",
            w.group
        );
        let out: Value = serde_json::from_slice(&block[1..]).expect("a JSON result");
        assert_eq!(out, w.expected, "bare {engine} {}: {out}", w.group);
        group.bench_function(BenchmarkId::new(BARE, *engine), |b| {
            b.iter(|| warm.execute(w.action, black_box(&params)));
        });
    }

    for (engine, guest) in hosts {
        let out = drive::execute_once(rt, guest, w.action, &w.params);
        assert_eq!(out, w.expected, "Host::execute {engine} {}", w.group);
        group.bench_function(BenchmarkId::new(HOST, *engine), |b| {
            b.iter_custom(|iters| execute_n(rt, guest, w.action, &w.params, iters));
        });
    }

    let out = (w.extism_answer)(&peer.call(w.action, &w.extism_input));
    assert_eq!(out, w.expected, "Extism {}", w.group);
    bench_extism(&mut group, peer, PEER, w.action, &w.extism_input);
    group.finish();
}

/// `name/extism`: the export `export` called with `input`.
fn bench_extism(
    group: &mut BenchmarkGroup<'_, WallTime>,
    peer: &mut ExtismPeer,
    name: &str,
    export: &str,
    input: &[u8],
) {
    group.bench_function(BenchmarkId::new(name, EXTISM), |b| {
        b.iter(|| peer.call(export, black_box(input)));
    });
}

/// The peers' per-call floor: a warm wasmtime echo, an Extism no-op.
fn overhead(c: &mut Criterion, peer: &mut ExtismPeer) {
    let mut group = c.benchmark_group(OVERHEAD);
    let mut warm = raw::compile("wasmtime", &fixture::guest_wasm()).instantiate();
    warm.init(b"{}");
    assert_eq!(
        warm.execute(ECHO_ACTION, ECHO_PARAMS),
        ECHO_OUTPUT,
        "raw echo on wasmtime"
    );
    group.bench_function(BenchmarkId::new(RAW_WARM, "wasmtime"), |b| {
        b.iter(|| warm.execute(ECHO_ACTION, black_box(ECHO_PARAMS)));
    });
    assert!(peer.call("noop", b"").is_empty(), "Extism noop");
    bench_extism(&mut group, peer, EXTISM_CALL, "noop", b"");
    group.finish();
}
