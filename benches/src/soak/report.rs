//! The soak's tables (Markdown, to paste as they are) and its verdict: what
//! may grow between the first reading and the last, and by how much.
//!
//! - **heap** (live bytes, [`super::heap`]) and **RSS**: the growth is the
//!   lowest reading of the last third minus the lowest of the first third.
//!   A leak raises the floor; garbage that a warm session holds until its
//!   engine collects it (Boa's heap saws between collections by tens of
//!   MiB) only rises above it, so the floors compare where single readings
//!   would not. The limits are [`HEAP_LIMIT`] and [`RSS_LIMIT`] (their docs
//!   say why).
//! - **fds** and **threads**: the last reading may exceed the first only by
//!   what the pools may still add ([`fd_slack`], [`thread_slack`]).
//! - **workers**, **children**, **zombies**: never above the process tier's
//!   bound, at any reading.
//! - **outcomes**: no call ended in an outcome its op does not allow, no
//!   reload or event delivery failed, and the audit log verifies.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::mix::{OPS, TIMEOUT};
use super::probe::Sample;
use super::run::{Outcome, POOL_WORKERS};

/// The most the live heap may grow over the measured phase: 8 MiB.
///
/// Quiesced readings of a host with no leak still differ by what warm
/// sessions hold between collections and recyclings: wasm and process
/// isolation read the same to the byte over 250,000 calls, the short mix
/// of CI (no JS in process) moved within 4 MiB with no trend
/// (RELIABILITY.md). 8 MiB is twice that spread, so it does not flake; it
/// fails a leak of 80 bytes per call over the 20-minute run's 107,551 calls
/// on a busy machine (more calls on a quiet one catch smaller leaks), and
/// the verdict prints the growth per call beside it.
pub const HEAP_LIMIT: i64 = 8 << 20;

/// The most the resident set may grow over the measured phase: 64 MiB.
///
/// The resident set also holds what the C allocator keeps after frees
/// (per-thread arenas that grow to their peak and stay), wasm linear
/// memories and JIT code, which move by tens of MiB with no leak; the heap
/// verdict is the precise one. 64 MiB still fails a leak of a wasm instance
/// or an interpreter per few hundred calls.
pub const RSS_LIMIT: i64 = 64 << 20;

/// Descriptors the last reading may hold beyond the first: three pipe ends
/// per worker process the tier may have started since (stdin, stdout,
/// stderr), and 16 for SQLite's journal files, the tokio driver and
/// connections closing.
pub fn fd_slack(worker_bound: u64) -> u64 {
    16 + 3 * worker_bound
}

/// Threads the last reading may hold beyond the first: every in-process
/// pool filling up to its bound (`extensions x POOL_WORKERS`), tokio's
/// blocking threads (idle ones live 10 s: at most one per caller and the
/// maintenance task), and 8 more.
pub fn thread_slack(in_process: u64, tasks: u64) -> u64 {
    in_process * POOL_WORKERS as u64 + tasks + 1 + 8
}

/// One check of the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// The figure and the limit, in words.
    pub detail: String,
    /// Whether it held.
    pub passed: bool,
}

const MIB: f64 = 1024.0 * 1024.0;

/// The header of the table of readings.
pub const SAMPLES_HEADER: &str = "| time | calls | RSS MiB | heap MiB | fds | threads | workers | children (zombies) | children RSS MiB |\n\
     | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";

/// The table of readings.
pub fn samples_table(samples: &[Sample]) -> String {
    let mut out = format!("{SAMPLES_HEADER}\n");
    for s in samples {
        let _ = writeln!(out, "{}", row(s));
    }
    out
}

/// One reading as a row of the table.
pub fn row(s: &Sample) -> String {
    let r = &s.reading;
    format!(
        "| {} | {} | {:.1} | {:.1} | {} | {} | {} | {} ({}) | {:.1} |",
        clock(s.at.as_secs()),
        s.calls,
        r.rss_kib as f64 / 1024.0,
        r.heap_bytes as f64 / MIB,
        r.fds,
        r.threads,
        r.workers,
        r.children,
        r.zombies,
        r.children_rss_kib as f64 / 1024.0,
    )
}

fn clock(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The outcomes by op (every extension together), then every unexpected
/// line in full.
pub fn outcomes_table(outcome: &Outcome) -> String {
    let lines = outcome.tally.lines();
    let mut by_op: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for line in &lines {
        *by_op
            .entry(line.op)
            .or_default()
            .entry(line.outcome)
            .or_default() += line.count;
    }
    let mut out = String::from("| class | op | calls | outcomes |\n| --- | --- | ---: | --- |\n");
    for op in &OPS {
        let Some(outcomes) = by_op.get(op.name) else {
            continue;
        };
        let total: u64 = outcomes.values().sum();
        let text: Vec<String> = outcomes.iter().map(|(o, n)| format!("{o} {n}")).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {total} | {} |",
            op.class.name(),
            op.name,
            text.join(", ")
        );
    }
    let mut by_extension: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for line in &lines {
        let entry = by_extension.entry(&line.extension).or_default();
        entry.0 += line.count;
        if line.outcome == TIMEOUT {
            entry.1 += line.count;
        }
    }
    out.push_str("\n| extension | calls | of them timeouts |\n| --- | ---: | ---: |\n");
    for (extension, (calls, timeouts)) in by_extension {
        let _ = writeln!(out, "| {extension} | {calls} | {timeouts} |");
    }
    let unexpected: Vec<_> = lines.iter().filter(|l| !l.expected).collect();
    if !unexpected.is_empty() {
        out.push_str("\nUnexpected outcomes:\n");
        for l in unexpected {
            let _ = writeln!(
                out,
                "- {} {}: {} x{}",
                l.extension, l.op, l.outcome, l.count
            );
        }
    }
    out
}

/// The lowest reading `f` gives over `samples`.
fn floor(samples: &[Sample], f: impl Fn(&Sample) -> i64) -> i64 {
    samples.iter().map(f).min().unwrap_or(0)
}

/// Last third's floor minus first third's (at least one reading each).
fn trend(samples: &[Sample], f: impl Fn(&Sample) -> i64 + Copy) -> i64 {
    let third = (samples.len() / 3).max(1);
    let first = &samples[..third.min(samples.len())];
    let last = &samples[samples.len().saturating_sub(third)..];
    floor(last, f) - floor(first, f)
}

/// The verdict's checks.
pub fn verdict(outcome: &Outcome, tasks: usize) -> Vec<Check> {
    let s = &outcome.samples;
    let (Some(first), Some(last)) = (s.first(), s.last()) else {
        return vec![Check {
            name: "readings",
            detail: "no reading was taken".into(),
            passed: false,
        }];
    };
    let mut checks = Vec::new();
    let heap = trend(s, |x| x.reading.heap_bytes);
    let calls = last.calls.max(1);
    checks.push(Check {
        name: "heap",
        detail: format!(
            "grew {:.2} MiB ({:+.1} bytes per call over {calls} calls; first to last reading {:+.2} MiB); limit {:.0} MiB",
            heap as f64 / MIB,
            heap as f64 / calls as f64,
            (last.reading.heap_bytes - first.reading.heap_bytes) as f64 / MIB,
            HEAP_LIMIT as f64 / MIB
        ),
        passed: heap <= HEAP_LIMIT,
    });
    let rss = trend(s, |x| x.reading.rss_kib as i64 * 1024);
    checks.push(Check {
        name: "RSS",
        detail: format!(
            "grew {:.1} MiB (first to last reading {:+.1} MiB); limit {:.0} MiB",
            rss as f64 / MIB,
            (last.reading.rss_kib as f64 - first.reading.rss_kib as f64) / 1024.0,
            RSS_LIMIT as f64 / MIB
        ),
        passed: rss <= RSS_LIMIT,
    });
    let fd_limit = first.reading.fds + fd_slack(outcome.worker_bound);
    checks.push(Check {
        name: "fds",
        detail: format!(
            "{} -> {} (max {}); limit {fd_limit}",
            first.reading.fds,
            last.reading.fds,
            s.iter().map(|x| x.reading.fds).max().unwrap_or(0)
        ),
        passed: last.reading.fds <= fd_limit,
    });
    let in_process = outcome
        .plans
        .iter()
        .filter(|p| p.isolation != morph_runtime_core::Isolation::Process)
        .count() as u64;
    let thread_limit = first.reading.threads + thread_slack(in_process, tasks as u64);
    checks.push(Check {
        name: "threads",
        detail: format!(
            "{} -> {} (max {}); limit {thread_limit}",
            first.reading.threads,
            last.reading.threads,
            s.iter().map(|x| x.reading.threads).max().unwrap_or(0)
        ),
        passed: last.reading.threads <= thread_limit,
    });
    let bound = outcome.worker_bound;
    let max_workers = s.iter().map(|x| x.reading.workers).max().unwrap_or(0);
    let max_children = s.iter().map(|x| x.reading.children).max().unwrap_or(0);
    let max_zombies = s.iter().map(|x| x.reading.zombies).max().unwrap_or(0);
    checks.push(Check {
        name: "worker processes",
        detail: format!(
            "at most {max_workers} listed, {max_children} children, {max_zombies} zombies at any reading; bound {bound}"
        ),
        passed: max_workers <= bound && max_children <= bound && max_zombies <= bound,
    });
    let unexpected: u64 = outcome
        .tally
        .lines()
        .iter()
        .filter(|l| !l.expected)
        .map(|l| l.count)
        .sum();
    checks.push(Check {
        name: "outcomes",
        detail: format!(
            "{unexpected} calls ended unexpectedly; {} other problems",
            outcome.problems.len()
        ),
        passed: unexpected == 0 && outcome.problems.is_empty(),
    });
    let (records, bytes, verified) = outcome.audit;
    checks.push(Check {
        name: "audit log",
        detail: format!(
            "{records} records, {:.1} MiB, chain and checkpoints {}",
            bytes as f64 / MIB,
            if verified { "verified" } else { "NOT verified" }
        ),
        passed: verified,
    });
    checks
}

/// The verdict as a list.
pub fn verdict_text(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let _ = writeln!(
            out,
            "- {} {}: {}",
            if c.passed { "PASS" } else { "FAIL" },
            c.name,
            c.detail
        );
    }
    out
}
