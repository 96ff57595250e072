//! The "How cost grows" tables and plots of `BENCHMARKS.md`: calls per
//! second by concurrent callers and time per call by payload (criterion's
//! estimates of `benches/scaling.rs`), and load time and resident memory by
//! extensions loaded (`morph-bench-extensions`' lines).
//!
//! Each figure sits beside its baseline from the same run: one caller, the
//! 1 KiB payload, one extension. Given several criterion directories (one
//! per run), every figure is the median over the runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::plot::{Axis, Chart, Series};
use crate::report::{Runs, human, median};
use crate::scaling::{
    CALLERS, CALLERS_GROUP, EXTENSION_COUNTS, PAYLOAD_GROUP, PAYLOADS, Runner, callers_id,
};

/// The file `morph-bench-extensions` writes in a criterion directory.
pub const EXTENSIONS_FILE: &str = "morph-extensions.json";

/// Median time (ns) of `group/function/engine` over the runs.
fn time(runs: &Runs, group: &str, function: &str, engine: &str) -> Option<f64> {
    runs.get(&format!("{group}/{function}/{engine}"))
        .filter(|t| !t.is_empty())
        .map(|t| median(t))
}

/// Whether any callers or payload figure was measured.
pub fn measured(runs: &Runs) -> bool {
    runs.keys().any(|id| {
        id.starts_with(&format!("{CALLERS_GROUP}/")) || id.starts_with(&format!("{PAYLOAD_GROUP}/"))
    })
}

/// Calls per second with 1, 2, 4 and 8 callers, each beside one caller's.
pub fn callers_table(runs: &Runs) -> String {
    let mut s = header("callers", "calls/s (ratio to 1 caller)");
    for n in CALLERS {
        s.push_str(&format!("| {n} |"));
        for runner in Runner::ALL {
            let engine = runner.engine();
            let cell = match (
                time(runs, CALLERS_GROUP, &callers_id(n), engine),
                time(runs, CALLERS_GROUP, &callers_id(1), engine),
            ) {
                (Some(t), Some(base)) => format!("{:.0} ({:.2}x)", 1e9 / t, base / t),
                _ => "—".into(),
            };
            s.push_str(&format!(" {cell} |"));
        }
        s.push('\n');
    }
    s
}

/// Time per echo call from 1 KiB to 16 MiB, each beside the 1 KiB call.
pub fn payload_table(runs: &Runs) -> String {
    let mut s = header("payload", "time per call (ratio to 1 KiB; MiB/s each way)");
    let base_label = PAYLOADS[0].1;
    for (bytes, label) in PAYLOADS {
        s.push_str(&format!("| {label} |"));
        for runner in Runner::ALL {
            let engine = runner.engine();
            let cell = match (
                time(runs, PAYLOAD_GROUP, label, engine),
                time(runs, PAYLOAD_GROUP, base_label, engine),
            ) {
                (Some(t), Some(base)) => format!(
                    "{} ({:.1}x; {:.0} MiB/s)",
                    human(t),
                    t / base,
                    bytes as f64 / (1 << 20) as f64 / (t / 1e9)
                ),
                _ => "—".into(),
            };
            s.push_str(&format!(" {cell} |"));
        }
        s.push('\n');
    }
    s
}

fn header(first: &str, what: &str) -> String {
    let engines: Vec<&str> = Runner::ALL.iter().map(|r| r.engine()).collect();
    format!(
        "{what}:\n\n| {first} | {} |\n| ---: |{}\n",
        engines.join(" | "),
        " ---: |".repeat(engines.len())
    )
}

/// One `morph-bench-extensions` measurement.
#[derive(Debug, Clone, Copy)]
struct Loaded {
    load_ns: f64,
    rss_before: f64,
    rss_after: f64,
}

/// Every run's measurements by (engine, count).
pub type ExtensionRuns = BTreeMap<(String, u64), Vec<Value>>;

/// The `morph-bench-extensions` lines of each directory, by engine and
/// count (a directory without them adds nothing).
pub fn extension_runs(dirs: &[PathBuf]) -> ExtensionRuns {
    let mut out = ExtensionRuns::new();
    for dir in dirs {
        let Ok(text) = std::fs::read_to_string(dir.join(EXTENSIONS_FILE)) else {
            continue;
        };
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let (Some(engine), Some(count)) = (v["engine"].as_str(), v["count"].as_u64()) else {
                continue;
            };
            out.entry((engine.to_owned(), count)).or_default().push(v);
        }
    }
    out
}

/// The median of each field over the runs of (engine, count).
fn loaded(runs: &ExtensionRuns, engine: &str, count: usize) -> Option<Loaded> {
    let values = runs.get(&(engine.to_owned(), count as u64))?;
    let field = |name: &str| {
        let xs: Vec<f64> = values.iter().filter_map(|v| v[name].as_f64()).collect();
        (!xs.is_empty()).then(|| median(&xs))
    };
    Some(Loaded {
        load_ns: field("load_ns")?,
        rss_before: field("rss_before")?,
        rss_after: field("rss_after")?,
    })
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / f64::from(1 << 20))
}

/// Load time and resident memory by extensions loaded, per extension beside
/// the one-extension figure.
pub fn extensions_table(runs: &ExtensionRuns) -> String {
    let mut s = String::from(
        "| engine | extensions | load, all | load per extension (ratio to 1) | RSS before | RSS after | RSS added per extension (ratio to 1) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for runner in Runner::ALL {
        let engine = runner.engine();
        let Some(one) = loaded(runs, engine, 1) else {
            continue;
        };
        let one_rss = (one.rss_after - one.rss_before).max(1.0);
        for count in EXTENSION_COUNTS {
            let Some(m) = loaded(runs, engine, count) else {
                continue;
            };
            let n = count as f64;
            let per_load = m.load_ns / n;
            let per_rss = (m.rss_after - m.rss_before) / n;
            s.push_str(&format!(
                "| {engine} | {count} | {} | {} ({:.2}x) | {} | {} | {} ({:.2}x) |\n",
                human(m.load_ns),
                human(per_load),
                per_load / one.load_ns,
                mib(m.rss_before),
                mib(m.rss_after),
                mib(per_rss),
                per_rss / one_rss,
            ));
        }
    }
    s
}

/// The three scaling plots as SVG documents: (file name, SVG).
pub fn plots(runs: &Runs, extensions: &ExtensionRuns) -> Vec<(&'static str, String)> {
    let series = |points: &dyn Fn(&str) -> Vec<(f64, f64)>| -> Vec<Series> {
        Runner::ALL
            .iter()
            .map(|r| Series {
                name: r.engine().to_owned(),
                points: points(r.engine()),
            })
            .filter(|s| !s.points.is_empty())
            .collect()
    };
    let callers = Chart {
        title: "Calls per second by concurrent callers (Pooled echo)".into(),
        x: Axis::linear("concurrent callers"),
        y: Axis::log("calls per second"),
        series: series(&|engine| {
            CALLERS
                .iter()
                .filter_map(|&n| {
                    time(runs, CALLERS_GROUP, &callers_id(n), engine).map(|t| (n as f64, 1e9 / t))
                })
                .collect()
        }),
    };
    let payload = Chart {
        title: "Time per echo call by payload size (Pooled)".into(),
        x: Axis::log("payload, KiB"),
        y: Axis::log("time per call, ms"),
        series: series(&|engine| {
            PAYLOADS
                .iter()
                .filter_map(|&(bytes, label)| {
                    time(runs, PAYLOAD_GROUP, label, engine)
                        .map(|t| (bytes as f64 / 1024.0, t / 1e6))
                })
                .collect()
        }),
    };
    let rss = Chart {
        title: "Resident memory added by extensions loaded (PerCall)".into(),
        x: Axis::log("extensions loaded"),
        y: Axis::log("RSS added, MiB"),
        series: series(&|engine| {
            EXTENSION_COUNTS
                .iter()
                .filter_map(|&n| {
                    let m = loaded(extensions, engine, n)?;
                    Some((
                        n as f64,
                        ((m.rss_after - m.rss_before) / f64::from(1 << 20)).max(0.1),
                    ))
                })
                .collect()
        }),
    };
    let load = Chart {
        title: "Time to load every extension (PerCall)".into(),
        x: Axis::log("extensions loaded"),
        y: Axis::log("load time, ms"),
        series: series(&|engine| {
            EXTENSION_COUNTS
                .iter()
                .filter_map(|&n| loaded(extensions, engine, n).map(|m| (n as f64, m.load_ns / 1e6)))
                .collect()
        }),
    };
    [
        ("scaling-callers.svg", callers),
        ("scaling-payload.svg", payload),
        ("scaling-extensions-rss.svg", rss),
        ("scaling-extensions-load.svg", load),
    ]
    .into_iter()
    .filter(|(_, chart)| !chart.series.is_empty())
    .map(|(name, chart)| (name, chart.svg()))
    .collect()
}

/// Writes [`plots`] into `dir`, returning the paths written.
///
/// # Errors
/// When a file cannot be written.
pub fn write_plots(
    dir: &Path,
    runs: &Runs,
    extensions: &ExtensionRuns,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, svg) in plots(runs, extensions) {
        let path = dir.join(name);
        std::fs::write(&path, svg)?;
        written.push(path);
    }
    Ok(written)
}
