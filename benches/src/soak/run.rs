//! The soak itself: one long-lived `Host` with every extension of
//! [`super::guests::plans`] loaded, several tasks calling the mix
//! ([`super::mix`]) without pause, a maintenance task that delivers host
//! events and reloads extensions in turn, and the process sampled
//! ([`super::probe`]) after a warm-up, periodically, and at the end.
//!
//! **Every sample is taken quiesced**: the callers finish the call they are
//! in and wait, the host settles for [`SETTLE`], the process is read, and the
//! callers resume. A reading then holds what the host keeps between calls,
//! not what the calls in flight happen to hold (a Python call may hold its
//! whole 64 MiB budget), so two readings compare.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use morph_process::{ProcessConfig, ProcessRuntime, WorkerCommand};
use morph_runtime_core::capabilities::QuarantineConfig;
use morph_runtime_core::capabilities::providers::Event;
use morph_runtime_core::{Host, Isolation, LoadOptions, MorphRuntime};
use morph_runtime_js::{JsConfig, JsRuntime};
use morph_runtime_python::{PythonConfig, PythonRuntime};
use morph_runtime_wasm::{WasmConfig, WasmRuntime};
use serde_json::json;

use super::guests::{Plan, plans, write_package};
use super::http_server::SoakServer;
use super::mix::{OPS, Op, Picker, Tally, outcome};
use super::probe::{self, Sample};
use super::report::{SAMPLES_HEADER, row};
use super::router::Router;

/// How long the host settles after the callers stopped, before a reading.
pub const SETTLE: Duration = Duration::from_secs(2);

/// Warm sessions (in-process) and worker processes per extension.
pub const POOL_WORKERS: usize = 2;

/// Between two host events delivered to every extension.
const EVENT_EVERY: Duration = Duration::from_secs(10);

/// Between two reloads by default (each reloads the next extension in turn).
pub const RELOAD_EVERY: Duration = Duration::from_secs(30);

/// How the soak runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The measured phase (after the warm-up).
    pub duration: Duration,
    /// The warm-up: the mix runs, nothing is measured.
    pub warmup: Duration,
    /// Between two readings of the measured phase.
    pub sample_every: Duration,
    /// Concurrent callers.
    pub tasks: usize,
    /// Between two reloads (`None`: never).
    pub reload_every: Option<Duration>,
    /// The `morph worker` executable for process isolation, if any.
    pub worker: Option<PathBuf>,
    /// Only the extensions whose label (`wasmi/pooled`) contains one of
    /// these, and only the ops named here (to find what grows).
    pub only: Filters,
}

/// Narrows the soak to some extensions and ops (empty: all).
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Parts of extension labels.
    pub extensions: Vec<String>,
    /// Op names.
    pub ops: Vec<String>,
    /// `(label part, class)`: those extensions never get that class's ops.
    pub skip: Vec<(String, String)>,
}

impl Filters {
    fn extension(&self, plan: &Plan) -> bool {
        self.extensions.is_empty()
            || self
                .extensions
                .iter()
                .any(|e| plan.label().contains(e.as_str()))
    }

    fn op(&self, name: &str) -> bool {
        self.ops.is_empty() || self.ops.iter().any(|o| o == name)
    }

    /// Whether `op` may run on `plan`.
    fn allows(&self, plan: &Plan, op: &Op) -> bool {
        self.op(op.name)
            && !self.skip.iter().any(|(part, class)| {
                plan.label().contains(part.as_str()) && op.class.name() == class
            })
    }
}

/// What a soak saw.
#[derive(Debug)]
pub struct Outcome {
    /// Every reading, the first after the warm-up, the last at the end.
    pub samples: Vec<Sample>,
    /// What the calls ended with.
    pub tally: Arc<Tally>,
    /// The extensions.
    pub plans: Vec<Plan>,
    /// Calls made during the warm-up.
    pub warmup_calls: u64,
    /// Reloads done, and those that failed (with the first error).
    pub reloads: u64,
    /// Problems outside the calls (failed reloads, event deliveries, the
    /// audit log), each once.
    pub problems: Vec<String>,
    /// Records in the audit log at the end, its size in bytes, and whether
    /// its chain and checkpoints verified.
    pub audit: (u64, u64, bool),
    /// The bound on worker processes (0 without process isolation): per
    /// extension, [`POOL_WORKERS`] and one more, because the tier starts a
    /// call's own worker when it finds none idle while the spare it started
    /// in the background is still starting (`process/src/runtime.rs`,
    /// `Pool::run` and `Pool::replenish`); its docs say `max_workers`.
    pub worker_bound: u64,
}

/// Lets the callers run, or holds them between calls for a reading.
#[derive(Debug, Default)]
struct Gate {
    paused: AtomicBool,
    active: AtomicUsize,
    stop: AtomicBool,
}

impl Gate {
    /// Waits until calls may run; `false` once the soak is over.
    async fn enter(&self) -> bool {
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return false;
            }
            if !self.paused.load(Ordering::SeqCst) {
                self.active.fetch_add(1, Ordering::SeqCst);
                if !self.paused.load(Ordering::SeqCst) {
                    return true;
                }
                self.active.fetch_sub(1, Ordering::SeqCst);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn leave(&self) {
        self.active.fetch_sub(1, Ordering::SeqCst);
    }

    /// Holds the callers and waits until none is in a call, then settles.
    async fn quiesce(&self) {
        self.paused.store(true, Ordering::SeqCst);
        while self.active.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(SETTLE).await;
    }

    fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }
}

/// The soak's host: every runtime behind a [`Router`], the real audit log
/// and quarantine in `data`, and (with a worker) the process tier.
fn build_host(
    dir: &Path,
    plans: &[Plan],
    worker: Option<&Path>,
) -> Result<(Host, Option<Arc<ProcessRuntime>>), String> {
    let cache = dir.join("cache");
    let tier = worker.map(|program| {
        Arc::new(ProcessRuntime::new(ProcessConfig {
            max_workers: POOL_WORKERS,
            ..ProcessConfig::new(WorkerCommand {
                program: program.to_path_buf(),
                args: Vec::new(),
                env: vec![("MORPH_CACHE_DIR".into(), cache.clone().into_os_string())],
            })
        }))
    });
    let tier_dyn = tier.clone().map(|t| t as Arc<dyn MorphRuntime>);
    let runtimes: [Arc<dyn MorphRuntime>; 3] = [
        Arc::new(WasmRuntime::new(WasmConfig {
            default_engine: "wasmer".into(),
            cache_dir: Some(cache),
            pool_workers: POOL_WORKERS,
        })),
        Arc::new(JsRuntime::new(JsConfig {
            pool_workers: POOL_WORKERS,
            ..JsConfig::default()
        })),
        Arc::new(PythonRuntime::new(PythonConfig {
            pool_workers: POOL_WORKERS,
            ..PythonConfig::default()
        })),
    ];
    let mut builder = Host::builder()
        .with_data_dir(dir.join("data"))
        .without_linked_runtimes()
        .with_load_options(LoadOptions {
            isolation: Some(Isolation::Pooled),
            engine: None,
        })
        // Faults are a quarter of the mix: the default (5 strikes in 60 s)
        // would quarantine every extension within seconds. Strikes are
        // still recorded (the store, its pruning and the audit path run on
        // every fault); only the threshold is out of reach.
        .with_quarantine(QuarantineConfig {
            strikes: u32::MAX,
            window: Duration::from_secs(60),
        });
    for runtime in runtimes {
        builder = builder.with_runtime(Arc::new(Router::new(runtime, tier_dyn.clone(), plans)));
    }
    let host = builder
        .build()
        .map_err(|e| format!("building the host: {e}"))?;
    Ok((host, tier))
}

/// Runs the soak in `dir` (packages, data dir, module cache).
///
/// # Errors
/// When the host cannot be built or an extension does not load.
pub async fn run(settings: &Settings, dir: &Path) -> Result<Outcome, String> {
    let server = SoakServer::start()
        .await
        .map_err(|e| format!("starting the HTTP server: {e}"))?;
    let plans: Vec<Plan> = plans(settings.worker.is_some())
        .into_iter()
        .filter(|p| settings.only.extension(p))
        .collect();
    if plans.is_empty() || !OPS.iter().any(|o| settings.only.op(o.name)) {
        return Err("the filters leave no extension or no op".into());
    }
    let mut packages = Vec::new();
    for plan in &plans {
        let pkg = write_package(&dir.join("packages"), plan, &server.host())
            .map_err(|e| format!("writing {}: {e}", plan.id))?;
        packages.push(pkg);
    }
    let (host, tier) = build_host(dir, &plans, settings.worker.as_deref())?;
    for (plan, pkg) in plans.iter().zip(&packages) {
        host.load(pkg, json!({}))
            .await
            .map_err(|e| format!("loading {}: {e}", plan.label()))?;
    }
    let workers = move || tier.as_ref().map_or(0, |t| t.worker_pids().len());
    let gate = Arc::new(Gate::default());
    let tally = Arc::new(Tally::default());
    let calls = Arc::new(AtomicU64::new(0));
    let plans = Arc::new(plans);

    let mut callers = Vec::new();
    for task in 0..settings.tasks {
        let (host, gate, tally, calls, plans, only) = (
            host.clone(),
            gate.clone(),
            tally.clone(),
            calls.clone(),
            plans.clone(),
            settings.only.clone(),
        );
        callers.push(tokio::spawn(async move {
            let mut picker = Picker::new(task);
            let mut n = 0u64;
            while gate.enter().await {
                let plan = &plans[picker.below(plans.len())];
                let Some(op) = (0..1000)
                    .map(|_| picker.op())
                    .find(|op| only.allows(plan, op))
                else {
                    gate.leave();
                    continue;
                };
                let result = host
                    .execute(&plan.id, op.action, op.params(task, n, &server))
                    .await;
                tally.count(&plan.label(), op.name, outcome(&result));
                calls.fetch_add(1, Ordering::Relaxed);
                n += 1;
                gate.leave();
            }
        }));
    }

    let maintenance = {
        let (host, gate, plans) = (host.clone(), gate.clone(), plans.clone());
        let reload_every = settings.reload_every;
        tokio::spawn(async move { maintain(&host, &gate, &plans, &packages, reload_every).await })
    };

    tokio::time::sleep(settings.warmup).await;
    gate.quiesce().await;
    let warmup_calls = calls.swap(0, Ordering::SeqCst);
    let started = Instant::now();
    let mut samples = vec![Sample {
        at: Duration::ZERO,
        calls: 0,
        reading: probe::read(workers()),
    }];
    // Each reading as it is taken, so a long run shows its course.
    println!("\nreadings as they are taken:\n{SAMPLES_HEADER}");
    println!("{}", row(&samples[0]));
    gate.resume();
    let end = started + settings.duration;
    loop {
        let next = (started + settings.sample_every * samples.len() as u32).min(end);
        tokio::time::sleep_until(next.into()).await;
        gate.quiesce().await;
        let sample = Sample {
            at: started.elapsed(),
            calls: calls.load(Ordering::SeqCst),
            reading: probe::read(workers()),
        };
        println!("{}", row(&sample));
        samples.push(sample);
        if Instant::now() >= end {
            break;
        }
        gate.resume();
    }
    gate.stop.store(true, Ordering::SeqCst);
    gate.resume();
    for caller in callers {
        let _ = caller.await;
    }
    let (reloads, mut problems) = maintenance
        .await
        .unwrap_or_else(|e| (0, vec![format!("the maintenance task ended: {e}")]));
    let audit = audit_figures(&dir.join("data").join("audit"), &mut problems);
    Ok(Outcome {
        samples,
        tally,
        plans: plans.to_vec(),
        warmup_calls,
        reloads,
        problems,
        audit,
        worker_bound: (plans
            .iter()
            .filter(|p| p.isolation == Isolation::Process)
            .count()
            * (POOL_WORKERS + 1)) as u64,
    })
}

/// Delivers a host event to every extension every [`EVENT_EVERY`] and
/// reloads the next extension every `reload_every`, until the soak stops;
/// returns the reloads done and the problems seen.
async fn maintain(
    host: &Host,
    gate: &Gate,
    plans: &[Plan],
    packages: &[PathBuf],
    reload_every: Option<Duration>,
) -> (u64, Vec<String>) {
    let started = Instant::now();
    let (mut events, mut reloads) = (0u32, 0u64);
    let mut problems = Vec::new();
    let mut note = |problem: String| {
        if problems.len() < 20 {
            problems.push(problem);
        }
    };
    while gate.enter().await {
        let now = started.elapsed();
        if now >= EVENT_EVERY * (events + 1) {
            events += 1;
            let event = Event {
                source: "host".into(),
                level: "info".into(),
                message: format!("soak event {events}"),
                data: json!({"n": events}),
                ts_ms: 0,
            };
            for (id, result) in host.deliver_event(&event).await {
                if let Err(e) = result {
                    note(format!("event to {id}: {e}"));
                }
            }
        }
        if let Some(every) = reload_every
            && now >= every * (reloads as u32 + 1)
        {
            let i = reloads as usize % plans.len();
            reloads += 1;
            if let Err(e) = host.load(&packages[i], json!({})).await {
                note(format!("reloading {}: {e}", plans[i].label()));
            }
        }
        gate.leave();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    (reloads, problems)
}

/// Records, bytes and verification of the audit log in `dir`.
fn audit_figures(dir: &Path, problems: &mut Vec<String>) -> (u64, u64, bool) {
    let bytes = std::fs::metadata(dir.join("audit.log")).map_or(0, |m| m.len());
    match morph_runtime_core::capabilities::audit::verify_in(dir) {
        Ok(report) => {
            if let Some(problem) = &report.problem {
                problems.push(format!("audit log: {problem}"));
            }
            (report.records, bytes, report.is_ok())
        }
        Err(e) => {
            problems.push(format!("verifying the audit log: {e}"));
            (0, bytes, false)
        }
    }
}
