//! Server metrics in the Prometheus text format (`GET /metrics`): calls by
//! outcome, latency histograms, denials and limit hits, per extension and
//! runtime; loaded extensions and live workers of the process tier.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use morph_capabilities::ErrorCode;
use morph_capabilities::audit::{AuditRecord, Decision};

/// Upper bounds of the latency buckets, seconds.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct PerExtension {
    calls: BTreeMap<String, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
    denials: u64,
    limit_hits: BTreeMap<String, u64>,
}

/// The counters of one server.
#[derive(Default)]
pub struct Metrics {
    /// Extension -> runtime -> counters: looked up by `&str` at each level,
    /// so counting a call allocates only the first time a label is seen.
    by_extension: Mutex<BTreeMap<String, BTreeMap<String, PerExtension>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Whether `code` is a limit the call ran into.
fn is_limit(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Timeout
            | ErrorCode::MemoryLimit
            | ErrorCode::StackOverflow
            | ErrorCode::OutputTooLarge
            | ErrorCode::RateLimited
            | ErrorCode::QuotaExceeded
    )
}

impl Metrics {
    /// Counts one call of `extension` on `runtime` that ended with
    /// `outcome` (`ok` or a code) after `elapsed`, with its audit records.
    pub fn record_call(
        &self,
        extension: &str,
        runtime: &str,
        outcome: &str,
        elapsed: Duration,
        audit: &[AuditRecord],
    ) {
        let denials = audit
            .iter()
            .filter(|r| r.entry.decision == Decision::Denied)
            .count() as u64;
        let limit = if outcome == "ok" {
            None
        } else {
            ErrorCode::parse(outcome).filter(|c| is_limit(*c))
        };
        let seconds = elapsed.as_secs_f64();
        let mut all = self
            .by_extension
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let runtimes = match all.get_mut(extension) {
            Some(runtimes) => runtimes,
            None => all.entry(extension.to_owned()).or_default(),
        };
        let m = match runtimes.get_mut(runtime) {
            Some(m) => m,
            None => runtimes.entry(runtime.to_owned()).or_default(),
        };
        bump(&mut m.calls, outcome);
        for (bucket, bound) in m.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        m.count += 1;
        m.sum_seconds += seconds;
        m.denials += denials;
        if let Some(code) = limit {
            bump(&mut m.limit_hits, code.as_str());
        }
    }

    /// The text exposition; `gauges` are extra `(name, help, value)` lines.
    pub fn render(&self, gauges: &[(&str, &str, u64)]) -> String {
        let all = self
            .by_extension
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP morph_calls_total Calls by extension, runtime and outcome.\n\
             # TYPE morph_calls_total counter"
        );
        for (ext, rt, m) in flat(&all) {
            for (outcome, n) in &m.calls {
                let _ = writeln!(
                    out,
                    "morph_calls_total{{extension=\"{}\",runtime=\"{}\",outcome=\"{}\"}} {n}",
                    label(ext),
                    label(rt),
                    label(outcome)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP morph_call_duration_seconds Call latency through the server.\n\
             # TYPE morph_call_duration_seconds histogram"
        );
        for (ext, rt, m) in flat(&all) {
            let labels = format!("extension=\"{}\",runtime=\"{}\"", label(ext), label(rt));
            for (n, bound) in m.buckets.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "morph_call_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "morph_call_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
                 morph_call_duration_seconds_sum{{{labels}}} {}\n\
                 morph_call_duration_seconds_count{{{labels}}} {}",
                m.count, m.sum_seconds, m.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP morph_denials_total Capability calls the broker refused.\n\
             # TYPE morph_denials_total counter"
        );
        for (ext, rt, m) in flat(&all) {
            let _ = writeln!(
                out,
                "morph_denials_total{{extension=\"{}\",runtime=\"{}\"}} {}",
                label(ext),
                label(rt),
                m.denials
            );
        }
        let _ = writeln!(
            out,
            "# HELP morph_limit_hits_total Calls ended by a limit, by its code.\n\
             # TYPE morph_limit_hits_total counter"
        );
        for (ext, rt, m) in flat(&all) {
            for (code, n) in &m.limit_hits {
                let _ = writeln!(
                    out,
                    "morph_limit_hits_total{{extension=\"{}\",runtime=\"{}\",code=\"{code}\"}} {n}",
                    label(ext),
                    label(rt)
                );
            }
        }
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

/// Adds one to `key`'s counter, allocating the key only when it is new.
fn bump(counters: &mut BTreeMap<String, u64>, key: &str) {
    match counters.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counters.insert(key.to_owned(), 1);
        }
    }
}

/// Every `(extension, runtime)` with its counters, in that order.
fn flat(
    all: &BTreeMap<String, BTreeMap<String, PerExtension>>,
) -> impl Iterator<Item = (&String, &String, &PerExtension)> {
    all.iter()
        .flat_map(|(ext, runtimes)| runtimes.iter().map(move |(rt, m)| (ext, rt, m)))
}

/// A label value escaped as the text format wants.
fn label(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_lands_in_its_buckets_and_limit_hits() {
        let m = Metrics::default();
        m.record_call("e", "wasm", "timeout", Duration::from_millis(3), &[]);
        let text = m.render(&[("morph_extensions_loaded", "Loaded.", 1)]);
        assert!(
            text.contains(
                "morph_calls_total{extension=\"e\",runtime=\"wasm\",outcome=\"timeout\"} 1"
            )
        );
        assert!(text.contains("le=\"0.0025\"} 0"));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains(
            "morph_limit_hits_total{extension=\"e\",runtime=\"wasm\",code=\"timeout\"} 1"
        ));
        assert!(text.contains("morph_extensions_loaded 1"));
    }

    #[test]
    fn series_come_out_by_extension_then_runtime() {
        let m = Metrics::default();
        for (ext, rt) in [("b", "wasm"), ("a", "wasm"), ("a", "js"), ("b", "wasm")] {
            m.record_call(ext, rt, "ok", Duration::from_micros(50), &[]);
        }
        let text = m.render(&[]);
        let at = |series: &str| text.find(series).unwrap_or(usize::MAX);
        let a_js = at("morph_calls_total{extension=\"a\",runtime=\"js\",outcome=\"ok\"} 1");
        let a_wasm = at("morph_calls_total{extension=\"a\",runtime=\"wasm\",outcome=\"ok\"} 1");
        let b_wasm = at("morph_calls_total{extension=\"b\",runtime=\"wasm\",outcome=\"ok\"} 2");
        assert!(
            a_js < a_wasm && a_wasm < b_wasm && b_wasm < text.len(),
            "{text}"
        );
        assert!(text.contains("le=\"0.0001\"} 2"));
    }
}
