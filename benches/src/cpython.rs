//! The Python peer: CPython (`python3` on the machine) running a workload
//! of `morph_bench_workloads::PYTHON` in a timing loop of its own.
//!
//! Each measurement is one `python3` process: it defines the workloads,
//! reads the function's name, its argument and the iteration count as JSON
//! on stdin (the json workload's document is 1 MiB, too long for argv), calls
//! the function once to warm up, then times `iters` calls with
//! `time.perf_counter_ns()` and prints the total and the warm-up call's
//! answer. Only that loop is counted: process start-up, compiling the
//! script, reading the input and the warm-up call are not.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::script_workload::Workload;

/// The driver after the workloads: input on stdin, one JSON line out.
const DRIVER: &str = r#"
import sys, time
_input = json.loads(sys.stdin.read())
_f, _arg, _iters = globals()[_input["function"]], _input["arg"], _input["iters"]
_answer = _f(_arg)
_started = time.perf_counter_ns()
for _ in range(_iters):
    _f(_arg)
_elapsed = time.perf_counter_ns() - _started
print(json.dumps({"ns": _elapsed, "answer": _answer}))
"#;

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

/// What one timing loop reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Timed {
    /// The time CPython took for the `iters` calls, measured by itself.
    pub elapsed: Duration,
    /// The warm-up call's answer, as JSON.
    pub answer: Value,
}

/// `iters` calls of `workload` in one `python3` process, after a warm-up
/// call.
///
/// # Panics
/// When the program cannot run or prints something unexpected.
pub fn workload_loop(workload: &Workload, iters: u64) -> Timed {
    let script = format!("{}{DRIVER}", morph_bench_workloads::PYTHON);
    let input = json!({"function": workload.function(), "arg": workload.arg(), "iters": iters});
    let mut child = Command::new(program())
        .args(["-I", "-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {}: {e}", program()));
    {
        let mut stdin = child.stdin.take().expect("the child's stdin");
        stdin
            .write_all(input.to_string().as_bytes())
            .expect("writing the input");
    }
    let out = child.wait_with_output().expect("the child's output");
    assert!(
        out.status.success(),
        "{} failed: {}",
        program(),
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the timing loop printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let ns = printed["ns"]
        .as_u64()
        .unwrap_or_else(|| panic!("the timing loop printed no nanoseconds: {printed}"));
    Timed {
        elapsed: Duration::from_nanos(ns),
        answer: printed["answer"].clone(),
    }
}
