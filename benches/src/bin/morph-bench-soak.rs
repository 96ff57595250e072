//! `morph-bench-soak`: the bounded soak of `morph_benches::soak`. One host,
//! every runtime, a mix of calls with faults on several tasks; readings of
//! RSS, live heap, descriptors, threads and worker processes after a
//! warm-up, periodically and at the end; a table and a verdict; exit status
//! 1 when a check fails (2 when the soak could not run).
//!
//! ```text
//! morph-bench-soak [--minutes M | --seconds S] [--warmup S] [--every S]
//!                  [--tasks N] [--reload-every S] [--no-process] [--worker PATH]
//!                  [--only LABEL,...] [--ops OP,...] [--skip LABEL:CLASS,...]
//! ```
//!
//! `--only` keeps the extensions whose label (`wasmi/pooled`,
//! `python/process`) contains one of the parts given, `--ops` the ops named
//! (see `soak::mix::OPS`): to find what grows once the full mix says
//! something does. `--skip python/pooled:fault` gives those extensions
//! no call of that class (`ordinary`, `capability`, `denial`, `fault`): to
//! set a known leak apart (RELIABILITY.md) and watch the rest.
//!
//! Process isolation uses `morph-bench-worker` beside this executable
//! (`--worker` names another); without one the soak runs in process only
//! and says so.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use morph_benches::soak::heap::LiveHeap;
use morph_benches::soak::report::{outcomes_table, samples_table, verdict, verdict_text};
use morph_benches::soak::run::{Filters, RELOAD_EVERY, Settings, run};
use morph_runtime_core::allocation::MeteredAllocator;

#[global_allocator]
static ALLOC: MeteredAllocator<LiveHeap> = MeteredAllocator::new(LiveHeap::new());

const USAGE: &str = "morph-bench-soak [--minutes M | --seconds S] [--warmup S] [--every S] [--tasks N] [--reload-every S] [--no-process] [--worker PATH] [--only wasmi/pooled,js] [--ops echo,http] [--skip python/pooled:fault]";

fn main() -> ExitCode {
    let settings = match settings(std::env::args().skip(1)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}\nusage: {USAGE}");
            return ExitCode::from(2);
        }
    };
    let dir = match tempfile::Builder::new().prefix("morph-soak-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("a temporary directory: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "soak: {} s measured after {} s of warm-up, a reading every {} s, {} callers, process isolation {}",
        settings.duration.as_secs(),
        settings.warmup.as_secs(),
        settings.sample_every.as_secs(),
        settings.tasks,
        settings
            .worker
            .as_ref()
            .map_or("off".to_owned(), |w| format!("on ({})", w.display())),
    );
    let only = &settings.only;
    if !only.extensions.is_empty() || !only.ops.is_empty() || !only.skip.is_empty() {
        let skip: Vec<String> = only.skip.iter().map(|(p, c)| format!("{p}:{c}")).collect();
        println!(
            "narrowed: extensions [{}], ops [{}], skipped [{}]",
            only.extensions.join(", "),
            only.ops.join(", "),
            skip.join(", ")
        );
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("a tokio runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match rt.block_on(run(&settings, dir.path())) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("soak: {e}");
            return ExitCode::from(2);
        }
    };
    let extensions: Vec<String> = outcome.plans.iter().map(|p| p.label()).collect();
    println!("\nextensions: {}", extensions.join(", "));
    println!(
        "calls: {} during the warm-up, {} measured; reloads: {}",
        outcome.warmup_calls,
        outcome.samples.last().map_or(0, |s| s.calls),
        outcome.reloads
    );
    println!("\n{}", samples_table(&outcome.samples));
    println!("{}", outcomes_table(&outcome));
    for problem in &outcome.problems {
        println!("problem: {problem}");
    }
    let checks = verdict(&outcome, settings.tasks);
    println!("verdict:\n{}", verdict_text(&checks));
    // The workers and the tokio runtime end with it; the temporary dir after.
    drop(rt);
    if checks.iter().all(|c| c.passed) {
        println!("soak passed");
        ExitCode::SUCCESS
    } else {
        println!("soak FAILED");
        ExitCode::from(1)
    }
}

/// The settings from the command line.
fn settings(mut args: impl Iterator<Item = String>) -> Result<Settings, String> {
    let mut duration = Duration::from_secs(20 * 60);
    let mut warmup = None;
    let mut every = None;
    let mut tasks = 6;
    let mut reload_every = Some(RELOAD_EVERY);
    let mut process = true;
    let mut worker = None;
    let mut only = Filters::default();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value"))
                .and_then(|v| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite() && *n >= 0.0)
                        .ok_or_else(|| format!("{name}: `{v}` is not a number"))
                })
        };
        match arg.as_str() {
            "--minutes" => duration = Duration::from_secs_f64(value("--minutes")? * 60.0),
            "--seconds" => duration = Duration::from_secs_f64(value("--seconds")?),
            "--warmup" => warmup = Some(Duration::from_secs_f64(value("--warmup")?)),
            "--every" => every = Some(Duration::from_secs_f64(value("--every")?.max(1.0))),
            "--tasks" => tasks = (value("--tasks")? as usize).max(1),
            "--no-process" => process = false,
            "--reload-every" => {
                let secs = value("--reload-every")?;
                reload_every = (secs > 0.0).then(|| Duration::from_secs_f64(secs));
            }
            "--only" => only.extensions = list(args.next().ok_or("--only needs a list")?),
            "--ops" => only.ops = list(args.next().ok_or("--ops needs a list")?),
            "--skip" => {
                for item in list(args.next().ok_or("--skip needs a list")?) {
                    let (part, class) = item
                        .split_once(':')
                        .ok_or_else(|| format!("--skip: `{item}` is not LABEL:CLASS"))?;
                    only.skip.push((part.to_owned(), class.to_owned()));
                }
            }
            "--worker" => worker = Some(PathBuf::from(args.next().ok_or("--worker needs a path")?)),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if process && worker.is_none() {
        let beside = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|d| d.join("morph-bench-worker")));
        match beside {
            Some(path) if path.is_file() => worker = Some(path),
            _ => {
                return Err(
                    "process isolation needs morph-bench-worker beside this executable \
                            (cargo build -p morph-benches --bins) or --worker PATH; \
                            --no-process runs without it"
                        .into(),
                );
            }
        }
    }
    if !process {
        worker = None;
    }
    // A tenth of the soak warms up (20 s to 2 min); twenty readings at most
    // after it, one every 10 s at least.
    let warmup = warmup.unwrap_or_else(|| {
        (duration / 10).clamp(Duration::from_secs(20), Duration::from_secs(120))
    });
    let every = every.unwrap_or_else(|| (duration / 20).max(Duration::from_secs(10)));
    Ok(Settings {
        duration,
        warmup,
        sample_every: every,
        tasks,
        reload_every,
        worker,
        only,
    })
}

/// A comma-separated list.
fn list(text: String) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
