//! The process tier's integration tests, on real worker processes.
//!
//! This binary is also the worker it tests: started as `all worker`, it
//! serves [`probe::FileProbe`], a test-only runtime whose "guest" calls the
//! filesystem directly, as code that escaped its engine would; so the
//! production protocol needs no debug request, and `morph worker` links no
//! test code. Hence its own small harness (`harness = false`): the worker
//! branch must run before any test machinery.

mod confined;
mod probe;

use std::process::ExitCode;
use std::sync::Arc;

/// The tests: (name, body).
const TESTS: &[(&str, fn())] = &[
    (
        "confined::a_loaded_worker_cannot_open_or_change_files",
        confined::a_loaded_worker_cannot_open_or_change_files,
    ),
    (
        "confined::a_loaded_worker_runs_under_both_seccomp_stages_and_holds_no_file",
        confined::a_loaded_worker_runs_under_both_seccomp_stages_and_holds_no_file,
    ),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).is_some_and(|a| a == "worker") {
        let mut registry = morph_runtime_core::RuntimeRegistry::empty();
        registry.register(Arc::new(probe::FileProbe));
        return morph_process::worker::serve(registry);
    }
    if args.iter().any(|a| a == "--list") {
        for (name, _) in TESTS {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }
    // `cargo test -p morph-process -- <filter>`: other flags are ignored,
    // the first other argument filters by name.
    let filter = args.iter().skip(1).find(|a| !a.starts_with('-'));
    let chosen: Vec<_> = TESTS
        .iter()
        .filter(|(name, _)| filter.is_none_or(|f| name.contains(f.as_str())))
        .collect();
    println!("\nrunning {} tests", chosen.len());
    let mut failed = Vec::new();
    for (name, body) in &chosen {
        let passed = std::panic::catch_unwind(body).is_ok();
        println!("test {name} ... {}", if passed { "ok" } else { "FAILED" });
        if !passed {
            failed.push(*name);
        }
    }
    let result = if failed.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {result}. {} passed; {} failed\n",
        chosen.len() - failed.len(),
        failed.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
