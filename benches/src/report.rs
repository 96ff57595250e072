//! The `BENCHMARKS.md` tables from criterion's saved estimates, one per
//! [`Suite`]: each figure, its time, its baseline's time from the same run
//! (the same engine's, or a peer's on the same workload), the difference
//! and the ratio.
//!
//! criterion keeps, per benchmark, `<dir>/<group>/<function>/<engine>/new/`
//! with `benchmark.json` (the full id) and `estimates.json` (in nanoseconds);
//! the directory names are sanitised, so ids are read from `benchmark.json`.
//! The time of a benchmark is the estimate criterion prints: the slope of
//! time over iterations under linear sampling, the mean under flat sampling.
//! Given several criterion directories (one per run, `CRITERION_HOME`), a
//! table shows the median over the runs and the range.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::ids::{
    BARE, BARE_CALL, BARE_CALL_JSON, BARE_CONTEXT, BARE_CONTEXT_FRESH, BARE_INTERPRETER,
    BARE_INTERPRETER_FRESH, CALL_HTTP_FETCH, CALL_LOG, CALL_VAULT_GET, CAPABILITY, COMPUTE_FIB,
    COMPUTE_JSON, COMPUTE_SHA, COMPUTE_SHA_SMALL, ECHO, EXTISM_CALL, HOST, HOST_PER_CALL,
    HOST_POOLED, HOST_POOLED_UNMETERED, IN_PROCESS, LOAD, LOAD_CACHED, LOAD_COLD, MORPH_CONTEXT,
    MORPH_CONTEXT_CORE, MORPH_INTERPRETER, MORPH_INTERPRETER_CORE, NATIVE, OVERHEAD, PEER,
    PLUMBING, PLUMBING_ENGINE, PROCESS, PROCESS_ISOLATION, RAW_COMPILE, RAW_FRESH, RAW_WARM, RUST,
    SPAWN_BLOCKING, WORKER_HOP,
};
use crate::{
    CPYTHON_ENGINE, ENGINES, EXTISM_ENGINE, JS_ENGINE, PROCESS_RUNTIMES, PYTHON_ENGINE,
    QUICKJS_ENGINE, WASMTIME_ENGINE,
};

/// A benchmark binary (`benches/<name>.rs`, or two for `Compute`) and its
/// table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// `benches/wasm.rs`: the wasm runtime on wasmer and wasmi.
    Wasm,
    /// `benches/js.rs`: the JS runtime on Boa.
    Js,
    /// `benches/python.rs`: the Python runtime on RustPython.
    Python,
    /// `benches/process.rs`: what the process isolation tier adds per call.
    Process,
    /// `benches/compute_wasm.rs` and `benches/compute_script.rs`: the
    /// workloads of `morph-bench-workloads` on every runtime and peer,
    /// beside native Rust.
    Compute,
}

impl Suite {
    /// Every suite, in the order of `BENCHMARKS.md`.
    pub const ALL: [Suite; 5] = [
        Suite::Wasm,
        Suite::Js,
        Suite::Python,
        Suite::Process,
        Suite::Compute,
    ];

    /// The suite's name (its bench target's, `cargo bench --bench NAME`,
    /// but for `compute`, which is `compute_wasm` and `compute_script`).
    pub fn name(self) -> &'static str {
        match self {
            Suite::Wasm => "wasm",
            Suite::Js => "js",
            Suite::Python => "python",
            Suite::Process => "process",
            Suite::Compute => "compute",
        }
    }

    /// The suite named `name`.
    pub fn from_name(name: &str) -> Option<Suite> {
        Suite::ALL.into_iter().find(|s| s.name() == name)
    }

    fn rows(self) -> Vec<Row> {
        match self {
            Suite::Wasm => WASM_ROWS.to_vec(),
            Suite::Js => JS_ROWS.to_vec(),
            Suite::Python => PYTHON_ROWS.to_vec(),
            Suite::Process => PROCESS_ROWS.to_vec(),
            Suite::Compute => compute_rows(),
        }
    }
}

/// One row per engine: a figure beside its baseline (both `group/function`).
#[derive(Debug, Clone, Copy)]
struct Row {
    figure: (&'static str, &'static str),
    baseline: Option<(&'static str, &'static str)>,
    engines: &'static [&'static str],
    /// The baseline's engine when it is a peer's rather than the figure's own.
    baseline_engine: Option<&'static str>,
}

const fn on(
    engines: &'static [&'static str],
    group: &'static str,
    figure: &'static str,
    baseline: Option<&'static str>,
) -> Row {
    Row {
        figure: (group, figure),
        baseline: match baseline {
            Some(b) => Some((group, b)),
            None => None,
        },
        engines,
        baseline_engine: None,
    }
}

const fn row(group: &'static str, figure: &'static str, baseline: Option<&'static str>) -> Row {
    on(&ENGINES, group, figure, baseline)
}

const fn plumbing(figure: &'static str) -> Row {
    on(&[PLUMBING_ENGINE], PLUMBING, figure, None)
}

/// A figure beside a peer's: the same workload on `peer_engine`.
const fn peer(
    engines: &'static [&'static str],
    group: &'static str,
    figure: &'static str,
    peer_engine: &'static str,
    baseline: &'static str,
) -> Row {
    Row {
        figure: (group, figure),
        baseline: Some((group, baseline)),
        engines,
        baseline_engine: Some(peer_engine),
    }
}

const WASM_ROWS: &[Row] = &[
    row(OVERHEAD, RAW_WARM, None),
    row(OVERHEAD, HOST_POOLED, Some(RAW_WARM)),
    row(OVERHEAD, HOST_PER_CALL, Some(RAW_WARM)),
    row(OVERHEAD, RAW_FRESH, Some(RAW_WARM)),
    row(OVERHEAD, HOST_PER_CALL, Some(RAW_FRESH)),
    on(&[WASMTIME_ENGINE], OVERHEAD, RAW_WARM, None),
    on(&[EXTISM_ENGINE], OVERHEAD, EXTISM_CALL, None),
    peer(&ENGINES, OVERHEAD, HOST_POOLED, EXTISM_ENGINE, EXTISM_CALL),
    row(CAPABILITY, CALL_LOG, Some(ECHO)),
    row(CAPABILITY, CALL_VAULT_GET, Some(ECHO)),
    row(CAPABILITY, CALL_HTTP_FETCH, Some(ECHO)),
    row(LOAD, RAW_COMPILE, None),
    row(LOAD, LOAD_COLD, Some(RAW_COMPILE)),
    row(LOAD, LOAD_CACHED, Some(LOAD_COLD)),
    plumbing(SPAWN_BLOCKING),
    plumbing(WORKER_HOP),
];

const JS: &[&str] = &[JS_ENGINE];

const JS_ROWS: &[Row] = &[
    on(JS, OVERHEAD, BARE_CALL, None),
    on(JS, OVERHEAD, BARE_CALL_JSON, Some(BARE_CALL)),
    on(JS, OVERHEAD, HOST_POOLED, Some(BARE_CALL)),
    on(JS, OVERHEAD, HOST_POOLED, Some(BARE_CALL_JSON)),
    on(JS, OVERHEAD, HOST_POOLED, Some(HOST_POOLED_UNMETERED)),
    on(JS, OVERHEAD, HOST_PER_CALL, Some(BARE_CALL)),
    on(JS, OVERHEAD, BARE_CONTEXT, None),
    on(JS, OVERHEAD, BARE_CONTEXT_FRESH, Some(BARE_CONTEXT)),
    on(JS, OVERHEAD, MORPH_CONTEXT_CORE, Some(BARE_CONTEXT)),
    on(JS, OVERHEAD, MORPH_CONTEXT, Some(MORPH_CONTEXT_CORE)),
    on(JS, OVERHEAD, HOST_PER_CALL, Some(BARE_CONTEXT_FRESH)),
    on(JS, CAPABILITY, CALL_LOG, Some(ECHO)),
    on(JS, CAPABILITY, CALL_VAULT_GET, Some(ECHO)),
    on(JS, CAPABILITY, CALL_HTTP_FETCH, Some(ECHO)),
];

const PY: &[&str] = &[PYTHON_ENGINE];

const PYTHON_ROWS: &[Row] = &[
    on(PY, OVERHEAD, BARE_CALL, None),
    on(PY, OVERHEAD, BARE_CALL_JSON, Some(BARE_CALL)),
    on(PY, OVERHEAD, HOST_POOLED, Some(BARE_CALL)),
    on(PY, OVERHEAD, HOST_POOLED, Some(BARE_CALL_JSON)),
    on(PY, OVERHEAD, HOST_POOLED, Some(HOST_POOLED_UNMETERED)),
    on(PY, OVERHEAD, HOST_PER_CALL, Some(BARE_CALL)),
    on(PY, OVERHEAD, BARE_INTERPRETER, None),
    on(PY, OVERHEAD, BARE_INTERPRETER_FRESH, Some(BARE_INTERPRETER)),
    on(PY, OVERHEAD, MORPH_INTERPRETER_CORE, Some(BARE_INTERPRETER)),
    on(
        PY,
        OVERHEAD,
        MORPH_INTERPRETER,
        Some(MORPH_INTERPRETER_CORE),
    ),
    on(PY, OVERHEAD, HOST_PER_CALL, Some(BARE_INTERPRETER_FRESH)),
    on(PY, CAPABILITY, CALL_LOG, Some(ECHO)),
    on(PY, CAPABILITY, CALL_VAULT_GET, Some(ECHO)),
    on(PY, CAPABILITY, CALL_HTTP_FETCH, Some(ECHO)),
];

const PROCESS_ROWS: &[Row] = &[on(
    &PROCESS_RUNTIMES,
    PROCESS,
    PROCESS_ISOLATION,
    Some(IN_PROCESS),
)];

/// Every compute group, each workload beside native Rust, then Morph beside
/// the peer of its language (Extism runs on wasmtime).
fn compute_rows() -> Vec<Row> {
    const BARE_ENGINES: &[&str] = &[
        ENGINES[0],
        ENGINES[1],
        WASMTIME_ENGINE,
        JS_ENGINE,
        PYTHON_ENGINE,
    ];
    const HOST_ENGINES: &[&str] = &[ENGINES[0], ENGINES[1], JS_ENGINE, PYTHON_ENGINE];
    const PEERS: &[&str] = &[EXTISM_ENGINE, QUICKJS_ENGINE, CPYTHON_ENGINE];
    let mut rows = Vec::new();
    for group in [COMPUTE_FIB, COMPUTE_JSON, COMPUTE_SHA, COMPUTE_SHA_SMALL] {
        rows.extend([
            on(&[RUST], group, NATIVE, None),
            peer(BARE_ENGINES, group, BARE, RUST, NATIVE),
            peer(PEERS, group, PEER, RUST, NATIVE),
            peer(HOST_ENGINES, group, HOST, RUST, NATIVE),
            on(HOST_ENGINES, group, HOST, Some(BARE)),
            peer(&ENGINES, group, HOST, EXTISM_ENGINE, PEER),
            peer(&[JS_ENGINE], group, HOST, QUICKJS_ENGINE, PEER),
            peer(&[PYTHON_ENGINE], group, HOST, CPYTHON_ENGINE, PEER),
        ]);
    }
    rows
}

/// The criterion output directory: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `target/criterion` (criterion's order).
pub fn criterion_dir() -> PathBuf {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(home) = env("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    env("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
        .join("criterion")
}

/// Every benchmark's time per iteration (ns) in `dir`, by full id.
///
/// # Errors
/// When `dir` cannot be read.
pub fn means(dir: &Path) -> std::io::Result<BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    collect(dir, &mut out)?;
    Ok(out)
}

fn collect(dir: &Path, out: &mut BTreeMap<String, f64>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            if let Some((id, mean)) = read_estimate(&path) {
                out.insert(id, mean);
            }
        } else {
            collect(&path, out)?;
        }
    }
    Ok(())
}

fn read_estimate(new: &Path) -> Option<(String, f64)> {
    let json = |name: &str| -> Option<Value> {
        serde_json::from_slice(&std::fs::read(new.join(name)).ok()?).ok()
    };
    let id = json("benchmark.json")?.get("full_id")?.as_str()?.to_owned();
    let estimates = json("estimates.json")?;
    // criterion's headline figure: the slope under linear sampling, else the mean.
    let time = estimates
        .pointer("/slope/point_estimate")
        .and_then(Value::as_f64)
        .or_else(|| estimates.pointer("/mean/point_estimate")?.as_f64())?;
    Some((id, time))
}

/// A duration in nanoseconds, in the unit that suits it.
pub fn human(ns: f64) -> String {
    let (value, unit) = match ns.abs() {
        x if x >= 1e9 => (ns / 1e9, "s"),
        x if x >= 1e6 => (ns / 1e6, "ms"),
        x if x >= 1e3 => (ns / 1e3, "µs"),
        _ => (ns, "ns"),
    };
    format!("{value:.2} {unit}")
}

/// Every benchmark's times (ns per iteration) by full id, one per run that
/// measured it.
pub type Runs = BTreeMap<String, Vec<f64>>;

/// The estimates of several runs (one criterion directory each) side by side.
///
/// # Errors
/// When a directory cannot be read.
pub fn runs(dirs: &[PathBuf]) -> std::io::Result<Runs> {
    let mut out = Runs::new();
    for dir in dirs {
        for (id, time) in means(dir)? {
            out.entry(id).or_default().push(time);
        }
    }
    Ok(out)
}

/// The median of `times` (not empty).
pub fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// The Markdown table of `suite`: every row whose figure was measured.
///
/// With one run, a time is that run's estimate. With several, it is the
/// median over the runs, a `range` column gives the figure's lowest and
/// highest run, and the difference and ratio compare the two medians.
pub fn table(suite: Suite, runs: &Runs) -> String {
    let n = runs.values().map(Vec::len).max().unwrap_or(0);
    let multi = n > 1;
    let mut s = if multi {
        format!(
            "| figure | engine | time (median of {n} runs) | range | baseline | baseline time | difference | ratio |\n\
             | --- | --- | ---: | ---: | --- | ---: | ---: | ---: |\n"
        )
    } else {
        String::from(
            "| figure | engine | time | baseline | baseline time | difference | ratio |\n\
             | --- | --- | ---: | --- | ---: | ---: | ---: |\n",
        )
    };
    let time_of = |id: &str| runs.get(id).filter(|t| !t.is_empty()).map(|t| median(t));
    for row in suite.rows() {
        for engine in row.engines {
            let id = |(group, function): (&str, &str), engine: &str| {
                format!("{group}/{function}/{engine}")
            };
            let figure_id = id(row.figure, engine);
            let Some(time) = time_of(&figure_id) else {
                continue;
            };
            let base_engine = row.baseline_engine.unwrap_or(engine);
            let base = row
                .baseline
                .and_then(|b| time_of(&id(b, base_engine)).map(|t| (b.1, t)));
            let (name, base_time, diff, ratio) = match base {
                Some((name, b)) => {
                    let name = match row.baseline_engine {
                        Some(peer) => format!("{name} ({peer})"),
                        None => name.to_owned(),
                    };
                    (name, human(b), human(time - b), format!("{:.2}x", time / b))
                }
                None => ("—".into(), "—".into(), "—".into(), "—".into()),
            };
            let range = if multi {
                let times = &runs[&figure_id];
                let lo = times.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                format!(" {} – {} |", human(lo), human(hi))
            } else {
                String::new()
            };
            s.push_str(&format!(
                "| {} / {} | {engine} | {} |{range} {name} | {base_time} | {diff} | {ratio} |\n",
                row.figure.0,
                row.figure.1,
                human(time)
            ));
        }
    }
    s
}

/// Whether any figure of `suite` was measured.
pub fn measured(suite: Suite, runs: &Runs) -> bool {
    suite.rows().iter().any(|row| {
        row.engines
            .iter()
            .any(|engine| runs.contains_key(&format!("{}/{}/{engine}", row.figure.0, row.figure.1)))
    })
}
