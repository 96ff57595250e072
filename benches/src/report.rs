//! The `BENCHMARKS.md` table from criterion's saved estimates: each figure,
//! its time, its baseline's time from the same run, the difference and the
//! ratio.
//!
//! criterion keeps, per benchmark, `<dir>/<group>/<function>/<engine>/new/`
//! with `benchmark.json` (the full id) and `estimates.json` (in nanoseconds);
//! the directory names are sanitised, so ids are read from `benchmark.json`.
//! The time of a benchmark is the estimate criterion prints: the slope of
//! time over iterations under linear sampling, the mean under flat sampling.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::ENGINES;
use crate::ids::{
    CALL_LOG, CALL_VAULT_GET, CAPABILITY, ECHO, HOST_PER_CALL, HOST_POOLED, LOAD, LOAD_CACHED,
    LOAD_COLD, OVERHEAD, PLUMBING, PLUMBING_ENGINE, RAW_COMPILE, RAW_FRESH, RAW_WARM,
    SPAWN_BLOCKING, WORKER_HOP,
};

/// One row per engine: a figure beside its baseline (both `group/function`).
struct Row {
    figure: (&'static str, &'static str),
    baseline: Option<(&'static str, &'static str)>,
    engines: &'static [&'static str],
}

const fn row(group: &'static str, figure: &'static str, baseline: Option<&'static str>) -> Row {
    Row {
        figure: (group, figure),
        baseline: match baseline {
            Some(b) => Some((group, b)),
            None => None,
        },
        engines: &ENGINES,
    }
}

const fn plumbing(figure: &'static str) -> Row {
    Row {
        figure: (PLUMBING, figure),
        baseline: None,
        engines: &[PLUMBING_ENGINE],
    }
}

const ROWS: &[Row] = &[
    row(OVERHEAD, RAW_WARM, None),
    row(OVERHEAD, HOST_POOLED, Some(RAW_WARM)),
    row(OVERHEAD, HOST_PER_CALL, Some(RAW_WARM)),
    row(OVERHEAD, RAW_FRESH, Some(RAW_WARM)),
    row(OVERHEAD, HOST_PER_CALL, Some(RAW_FRESH)),
    row(CAPABILITY, CALL_LOG, Some(ECHO)),
    row(CAPABILITY, CALL_VAULT_GET, Some(ECHO)),
    row(LOAD, RAW_COMPILE, None),
    row(LOAD, LOAD_COLD, Some(RAW_COMPILE)),
    row(LOAD, LOAD_CACHED, Some(LOAD_COLD)),
    plumbing(SPAWN_BLOCKING),
    plumbing(WORKER_HOP),
];

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

/// The Markdown table of every row whose figure was measured.
pub fn table(means: &BTreeMap<String, f64>) -> String {
    let mut s = String::from(
        "| figure | engine | time | baseline | baseline time | difference | ratio |\n\
         | --- | --- | ---: | --- | ---: | ---: | ---: |\n",
    );
    for row in ROWS {
        for engine in row.engines {
            let id = |(group, function): (&str, &str)| format!("{group}/{function}/{engine}");
            let Some(&mean) = means.get(&id(row.figure)) else {
                continue;
            };
            let base = row
                .baseline
                .and_then(|b| means.get(&id(b)).map(|m| (b.1, *m)));
            let (name, base_mean, diff, ratio) = match base {
                Some((name, b)) => (name, human(b), human(mean - b), format!("{:.2}x", mean / b)),
                None => ("—", "—".into(), "—".into(), "—".into()),
            };
            s.push_str(&format!(
                "| {} / {} | {engine} | {} | {name} | {base_mean} | {diff} | {ratio} |\n",
                row.figure.0,
                row.figure.1,
                human(mean)
            ));
        }
    }
    s
}
