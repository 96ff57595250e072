//! Load time and resident memory with 1, 10, 100 and 1000 extensions loaded
//! in one host, on every in-process runtime (`BENCHMARKS.md`, "How cost
//! grows"):
//!
//! `cargo run --release -p morph-benches --bin morph-bench-extensions [-- DIR]`
//!
//! Each (runtime, count) pair runs in a process of its own (this binary,
//! with `--one ENGINE COUNT`), so memory from one measurement never counts
//! in another. A child builds a host with the default isolation (`PerCall`),
//! writes COUNT copies of the runtime's test guest under distinct extension
//! ids, and reports as one JSON line: its resident memory before the first
//! load and after the last, and the time the loads took. wasmer's module
//! cache starts empty, so its first load compiles and the others read the
//! cached module (the copies are the same module).
//!
//! The parent writes every line to `DIR/morph-extensions.json` (DIR is the
//! criterion directory, `$CARGO_TARGET_DIR/criterion` by default), where
//! `morph-bench-report` reads them.

use std::process::{Command, ExitCode};
use std::time::Instant;

use morph_benches::report;
use morph_benches::scaling::{self, EXTENSION_COUNTS, Runner};
use morph_benches::scaling_report::EXTENSIONS_FILE;
use morph_runtime_core::Isolation;
use serde_json::{Value, json};

/// Per-thread allocation metering, as in the `morph` binary.
#[global_allocator]
static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
    morph_runtime_core::allocation::MeteredAllocator::system();

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, engine, count] if flag == "--one" => {
            let (Some(runner), Ok(count)) = (Runner::from_engine(engine), count.parse()) else {
                eprintln!("usage: morph-bench-extensions --one ENGINE COUNT");
                return ExitCode::FAILURE;
            };
            println!("{}", one(runner, count));
            ExitCode::SUCCESS
        }
        [] | [_] => all(args.first().map_or_else(report::criterion_dir, Into::into)),
        _ => {
            eprintln!("usage: morph-bench-extensions [CRITERION_DIR]");
            ExitCode::FAILURE
        }
    }
}

/// Every runtime at every count, each in a child process.
fn all(dir: std::path::PathBuf) -> ExitCode {
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("cannot find this binary");
        return ExitCode::FAILURE;
    };
    let mut lines = Vec::new();
    for runner in Runner::ALL {
        for count in EXTENSION_COUNTS {
            eprint!("{} x {count}: ", runner.engine());
            let out = match Command::new(&exe)
                .args(["--one", runner.engine(), &count.to_string()])
                .output()
            {
                Ok(out) if out.status.success() => out,
                Ok(out) => {
                    eprintln!("failed: {}", String::from_utf8_lossy(&out.stderr));
                    return ExitCode::FAILURE;
                }
                Err(e) => {
                    eprintln!("cannot run {}: {e}", exe.display());
                    return ExitCode::FAILURE;
                }
            };
            let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            eprintln!("{line}");
            lines.push(line);
        }
    }
    let path = dir.join(EXTENSIONS_FILE);
    let written =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, lines.join("\n") + "\n"));
    match written {
        Ok(()) => {
            eprintln!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

/// One measurement: `count` copies of `runner`'s test guest in one host.
fn one(runner: Runner, count: usize) -> Value {
    let rt = morph_benches::drive::runtime();
    let dir = tempfile::tempdir().expect("a temporary dir");
    let host = runner.host(&dir.path().join("data"), Isolation::PerCall);
    let template = runner.write_package(&dir.path().join("template"));
    let packages: Vec<_> = (0..count)
        .map(|i| {
            scaling::copy_package(
                &template,
                &dir.path().join("packages"),
                &format!("ext-{i:04}"),
            )
        })
        .collect();
    let before = scaling::resident_bytes().unwrap_or(0);
    let started = Instant::now();
    rt.block_on(async {
        for pkg in &packages {
            host.load(pkg, json!({}))
                .await
                .unwrap_or_else(|e| panic!("loading {}: {e}", pkg.display()));
        }
    });
    let load_ns = started.elapsed().as_nanos() as f64;
    let after = scaling::resident_bytes().unwrap_or(0);
    // One call on the last extension proves the host still serves.
    let last = format!("ext-{:04}", count - 1);
    let echoed = rt
        .block_on(host.execute(&last, "echo", json!({"value": 1})))
        .unwrap_or_else(|e| panic!("echo on {last}: {e}"));
    assert_eq!(echoed, json!({"value": 1}));
    json!({
        "engine": runner.engine(),
        "count": count,
        "load_ns": load_ns,
        "rss_before": before,
        "rss_after": after,
    })
}
