//! The Python peer: CPython (`python3` on the machine) running the compute
//! workload in a timing loop of its own.
//!
//! Each measurement is one `python3` process: it defines [`FIB_PY`], calls
//! `fib(n)` once to warm up, then times `iters` calls with
//! `time.perf_counter_ns()` and prints the total. Only that loop is counted:
//! process start-up, compiling the script and the warm-up call are not.

use std::process::Command;
use std::time::Duration;

use crate::script_guest::FIB_PY;

/// The interpreter the peer runs (`$MORPH_BENCH_PYTHON`, else `python3`).
pub fn program() -> String {
    std::env::var("MORPH_BENCH_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// `python3 --version`, or `None` when there is no such program.
pub fn version() -> Option<String> {
    let out = Command::new(program()).arg("--version").output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    Some(text.trim().to_owned())
}

/// The time CPython takes for `iters` calls of `fib(n)`, measured by itself.
///
/// # Panics
/// When the program cannot run or prints something unexpected.
pub fn fib_loop(n: u32, iters: u64) -> Duration {
    let script = format!(
        "import sys, time\n{FIB_PY}\nn, iters = int(sys.argv[1]), int(sys.argv[2])\nfib(n)\nstarted = time.perf_counter_ns()\nfor _ in range(iters):\n    fib(n)\nprint(time.perf_counter_ns() - started)\n"
    );
    let out = Command::new(program())
        .args(["-I", "-c", &script, &n.to_string(), &iters.to_string()])
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", program()));
    assert!(
        out.status.success(),
        "{} failed: {}",
        program(),
        String::from_utf8_lossy(&out.stderr)
    );
    let ns: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("the timing loop printed no nanoseconds: {e}"));
    Duration::from_nanos(ns)
}
