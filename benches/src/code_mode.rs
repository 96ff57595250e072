//! What `benches/code_mode.rs` shares (`cargo bench -p morph-benches
//! --bench code_mode`; figures: BENCHMARKS.md, "Code mode"): code mode's
//! cost (issue 27, points 4 and 5), in three parts.
//!
//! - **Fresh context**: one `Host::run_code` of a trivial program
//!   (`return 1`, `1`) per language with no tools, each in a fresh context
//!   built ahead on the kept sandbox's worker (`runtime-core/src/code/
//!   sandbox.rs`), beside a run in a throwaway sandbox (TypeScript), the
//!   engine alone and Morph's guest context or interpreter (as
//!   `benches/js.rs` and `benches/python.rs` time them).
//! - **MCP round trip** ([`mcp`]): `run_code` of the trivial program beside
//!   direct tool calls, over MCP on stdio: the bench re-executes itself as
//!   the `morph` binary (`morph_cli::main_from_env`, what `cli/src/main.rs`
//!   runs) with `mcp --data-dir D`, and rmcp's client drives it, as an MCP
//!   client configured with `{"command": "morph", "args": ["mcp"]}` does.
//! - **The workload** ([`tracker`]): a stand-in issue tracker on 127.0.0.1
//!   and a JS extension over it; 200 issues listed, the 20 stale ones
//!   commented, once as 21 MCP tool calls from a scripted client and once
//!   as one `run_code` (JavaScript, and Python).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use morph_runtime_core::capabilities::audit::{AuditSink, FileAuditLog};
use morph_runtime_core::code::{CodeLanguage, CodeRequest, CodeRunStore};
use morph_runtime_core::{Host, Isolation, LoadOptions};
use serde_json::json;

use crate::{audit_cost, serve_load};

#[path = "code_mode_mcp.rs"]
pub mod mcp;
#[path = "code_mode_tracker.rs"]
pub mod tracker;

/// The environment variable under which the bench binary runs as `morph`.
pub const AS_MORPH: &str = "MORPH_BENCH_CODE_MODE_AS_MORPH";

/// What `morph serve` and `morph mcp` give `--audit-reserve-mb` by default.
const AUDIT_RESERVE_BYTES: u64 = 32 * 1024 * 1024;

/// The trivial program of a language: its result is 1.
pub fn trivial(language: CodeLanguage) -> &'static str {
    match language {
        CodeLanguage::Python => "1",
        CodeLanguage::Javascript | CodeLanguage::Typescript => "return 1",
    }
}

/// How long each part runs.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Untimed rounds first.
    pub warm_up: usize,
    /// Timed rounds of the fresh-context part, per language (JS, Python).
    pub fresh: [usize; 2],
    /// Timed rounds of the MCP round trip.
    pub round_trips: usize,
    /// Repetitions of each way of the workload.
    pub workload: usize,
}

impl Timing {
    /// The figures of BENCHMARKS.md.
    pub const BENCH: Timing = Timing {
        warm_up: 5,
        fresh: [200, 60],
        round_trips: 100,
        workload: 5,
    };

    /// A few rounds, to check that the bench works (`cargo test`).
    pub const SMOKE: Timing = Timing {
        warm_up: 1,
        fresh: [2, 1],
        round_trips: 2,
        workload: 1,
    };
}

/// Durations of one figure, sorted.
#[derive(Debug, Clone, Default)]
pub struct Samples(Vec<Duration>);

impl Samples {
    /// Adds one.
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    fn sorted(&self) -> Vec<Duration> {
        let mut v = self.0.clone();
        v.sort_unstable();
        v
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The smallest at least `q` of them do not exceed (0 to 1).
    pub fn quantile(&self, q: f64) -> Duration {
        let v = self.sorted();
        if v.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    }

    /// The median.
    pub fn p50(&self) -> Duration {
        self.quantile(0.5)
    }

    /// The 99th percentile.
    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }

    /// The smallest.
    pub fn min(&self) -> Duration {
        self.quantile(0.0)
    }

    /// The largest.
    pub fn max(&self) -> Duration {
        self.quantile(1.0)
    }

    /// The mean.
    pub fn mean(&self) -> Duration {
        let total: Duration = self.0.iter().sum();
        total / u32::try_from(self.0.len().max(1)).unwrap_or(u32::MAX)
    }
}

/// `d` as µs below a millisecond, else as ms.
pub fn shown(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.1} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

/// CPU time this process has used so far, all threads (user + system,
/// from `/proc/self/stat`, in ticks of 10 ms).
///
/// # Panics
/// When `/proc/self/stat` cannot be read.
pub fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime: fields 14 and 15 of the line, 12 and 13 here.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// This process's resident memory, in bytes (`/proc/self/statm`, pages
/// of 4 KiB).
///
/// # Panics
/// When `/proc/self/statm` cannot be read.
pub fn process_rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// A host as `morph mcp` builds one, with no extension: the linked
/// runtimes, `Pooled`, the real `FileAuditLog` in `dir/data/audit` (its key
/// in `dir`), the command's audit reserve. Also the log, for a run store.
///
/// # Panics
/// When the host cannot be built.
pub fn empty_host(dir: &Path) -> (Host, Arc<FileAuditLog>) {
    serve_load::link_runtimes();
    let audit = Arc::new(audit_cost::open_log(dir));
    let host = Host::builder()
        .with_data_dir(dir.join("data"))
        .with_audit_sink(audit.clone())
        .with_audit_reserve(AUDIT_RESERVE_BYTES)
        .with_load_options(LoadOptions {
            isolation: Some(Isolation::Pooled),
            engine: None,
        })
        .build()
        .expect("build the host");
    (host, audit)
}

/// A [`morph_serve::Service`] on the data dir `data` (its audit key in
/// `dir`), started as `morph mcp` starts one (linked runtimes, the real
/// `FileAuditLog`, the command's audit reserve and default code policy),
/// for calls made in process beside the same calls over MCP. Must run
/// inside the runtime it is to run on.
///
/// # Panics
/// When it does not start or an extension did not load.
pub async fn start_service(dir: &Path, data: &Path) -> Arc<morph_serve::Service> {
    serve_load::link_runtimes();
    let audit = Arc::new(audit_cost::open_log(dir));
    let builder = Host::builder()
        .with_audit_sink(audit)
        .with_audit_reserve(AUDIT_RESERVE_BYTES);
    let service = morph_serve::Service::start(morph_serve::ServiceConfig::new(data), builder)
        .await
        .expect("start the service");
    for state in service.extensions() {
        assert_eq!(state["state"], "enabled", "did not load: {state}");
    }
    service
}

/// The data dir's run store (`approvals.db`), as `Service::start` opens it.
///
/// # Panics
/// When it cannot be opened.
pub fn run_store(dir: &Path, audit: Arc<FileAuditLog>) -> Arc<morph_serve::CodeRuns> {
    let audit: Arc<dyn AuditSink> = audit;
    Arc::new(
        morph_serve::CodeRuns::open_in(&dir.join("data"), Duration::from_secs(600), audit)
            .expect("the run store"),
    )
}

/// One `Host::run_code` of `source`, from a task on the current runtime;
/// panics unless its result is 1.
pub async fn run_code(
    host: &Host,
    language: CodeLanguage,
    store: Option<Arc<dyn CodeRunStore>>,
) -> Duration {
    let started = Instant::now();
    let run = host
        .run_code(CodeRequest::new(language, trivial(language)), store)
        .await;
    let elapsed = started.elapsed();
    match run.result {
        Ok(v) if v == json!(1) => elapsed,
        other => panic!("{} run_code: {other:?}", language.as_str()),
    }
}

/// The stack of a pool worker thread of `language`'s runtime (both 256 MiB
/// today: `morph_runtime_js::WORKER_STACK`, `PythonConfig::stack_size`).
pub fn worker_stack(language: CodeLanguage) -> usize {
    match language {
        CodeLanguage::Python => morph_runtime_python::PythonConfig::default().stack_size,
        CodeLanguage::Javascript | CodeLanguage::Typescript => morph_runtime_js::WORKER_STACK,
    }
}

/// Runs `work` on a new thread with `stack` bytes of stack, inside the
/// tokio runtime of `handle`, as a code run's pool worker starts: the time
/// from the spawn to the join, and what `work` returned.
///
/// # Panics
/// When the thread cannot start or `work` panics.
pub fn on_new_thread<T: Send + 'static>(
    stack: usize,
    handle: &tokio::runtime::Handle,
    work: impl FnOnce() -> T + Send + 'static,
) -> (Duration, T) {
    let handle = handle.clone();
    let started = Instant::now();
    let out = std::thread::Builder::new()
        .name("code-mode-bench".to_owned())
        .stack_size(stack)
        .spawn(move || {
            let _entered = handle.enter();
            work()
        })
        .expect("spawn a thread")
        .join()
        .expect("the thread");
    (started.elapsed(), out)
}

/// On a new thread as [`on_new_thread`] starts one: the time of the first
/// guest context (or interpreter) built on it, and of a second one after
/// it (which finds the thread's start-up done).
pub fn guest_on_new_thread(
    language: CodeLanguage,
    handle: &tokio::runtime::Handle,
) -> (Duration, Duration) {
    on_new_thread(worker_stack(language), handle, move || {
        let started = Instant::now();
        guest_context(language);
        let first = started.elapsed();
        let started = Instant::now();
        guest_context(language);
        (first, started.elapsed())
    })
    .1
}

/// Morph's guest context (JS, with the web globals) or interpreter
/// (Python, with the standard library), built and dropped on this thread.
///
/// # Panics
/// When it cannot be built.
pub fn guest_context(language: CodeLanguage) {
    match language {
        CodeLanguage::Python => {
            morph_runtime_python::sandbox::new_guest_interpreter(
                morph_runtime_python::sandbox::Library::Standard,
            )
            .expect("a guest interpreter");
        }
        CodeLanguage::Javascript | CodeLanguage::Typescript => drop(
            morph_runtime_js::new_guest_context(morph_runtime_js::Globals::Web)
                .expect("a guest context"),
        ),
    }
}
