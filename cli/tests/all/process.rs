//! The process isolation tier with real `morph worker` processes (this
//! crate's binary): native stalls the in-process engines cannot stop end in
//! `timeout` or `memory_limit`, a worker that is killed, writes garbage or
//! floods its pipe gives a clear error, never a hang or a host crash, and
//! a loaded worker, whose filesystem is closed, still imports and runs what
//! its guest needs at call time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use morph_process::{ProcessConfig, ProcessRuntime, WorkerCommand};
use morph_runtime_core::{Host, Isolation, LoadOptions, MorphRuntime};
use morph_testkit::PackageSpec;
use serde_json::{Value, json};

/// The real worker: this crate's `morph` binary.
fn real_worker() -> WorkerCommand {
    WorkerCommand {
        program: env!("CARGO_BIN_EXE_morph").into(),
        args: vec!["worker".into()],
        env: Vec::new(),
    }
}

/// A fake worker: a shell script standing in for a broken or hostile one.
fn fake_worker(script: &str) -> WorkerCommand {
    WorkerCommand {
        program: "/bin/sh".into(),
        args: vec!["-c".into(), script.into()],
        env: Vec::new(),
    }
}

struct Tier {
    _dir: tempfile::TempDir,
    packages: std::path::PathBuf,
    host: Host,
    tier: Arc<ProcessRuntime>,
}

fn tier(command: WorkerCommand) -> Tier {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ProcessConfig::new(command);
    config.load_allowance = Duration::from_secs(3);
    let tier = Arc::new(ProcessRuntime::new(config));
    let host = Host::builder()
        .with_data_dir(dir.path().join("data"))
        .without_linked_runtimes()
        .with_runtime(Arc::new(morph_runtime_js::JsRuntime::default()))
        .with_runtime(Arc::new(morph_runtime_python::PythonRuntime::default()))
        .with_load_options(LoadOptions {
            isolation: Some(Isolation::Process),
            engine: None,
        })
        .with_process_isolation(tier.clone())
        .build()
        .unwrap();
    Tier {
        packages: dir.path().join("packages"),
        _dir: dir,
        host,
        tier,
    }
}

const ACTIONS: &str = "actions:
  - {name: echo, description: Returns its input, parameters: [{name: value, type: any}]}
  - {name: stall, description: One native operation that runs long or big, parameters: [{name: how, type: string}]}
";

const JS: &str = r#"
export function execute(action, params) {
  if (action === "echo") return params.value;
  switch (params.how) {
    case "regex": return /^(a+)+$/.test("a".repeat(40) + "b");
    case "join": return new Array(1000000).fill("x".repeat(1000)).join("").length;
    case "repeat": return "x".repeat(2 ** 29).length;
    case "loop": for (;;) {}
  }
  throw new Error("unknown stall " + params.how);
}
"#;

const PY: &str = r#"
def execute(action, params):
    if action == "echo":
        return params["value"]
    how = params["how"]
    if how == "pow":
        return 10 ** (10 ** 8) > 0
    if how == "join":
        return len("".join(["x" * 1000] * 1000000))
    if how == "loop":
        while True:
            pass
    raise ValueError("unknown stall " + how)
"#;

const LIMITS: &str = "max_execution_ms: 1000\nmax_memory_mb: 32";

fn js(id: &str) -> PackageSpec {
    PackageSpec::new(id, "js", "index.js", JS, ACTIONS).limits(LIMITS)
}

fn python(id: &str) -> PackageSpec {
    PackageSpec::new(id, "python", "main.py", PY, ACTIONS).limits(LIMITS)
}

impl Tier {
    async fn load(&self, spec: &PackageSpec) -> morph_runtime_core::Result<String> {
        self.host.load(spec.write(&self.packages), json!({})).await
    }

    async fn run(
        &self,
        id: &str,
        action: &str,
        params: Value,
    ) -> morph_runtime_core::Result<Value> {
        self.host.execute(id, action, params).await
    }

    async fn echoes(&self, id: &str) {
        assert_eq!(
            self.run(id, "echo", json!({"value": "alive"}))
                .await
                .unwrap(),
            json!("alive"),
            "{id} still answers"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_stalls_end_in_timeout_or_memory_limit_and_others_still_answer() {
    let t = tier(real_worker());
    let js_id = t.load(&js("stalls-js")).await.unwrap();
    let py_id = t.load(&python("stalls-py")).await.unwrap();
    let bystander = t.load(&js("bystander")).await.unwrap();
    for (id, how, codes) in [
        (&js_id, "regex", &["timeout"][..]),
        (&js_id, "loop", &["timeout"][..]),
        (&js_id, "join", &["memory_limit", "timeout"][..]),
        (&js_id, "repeat", &["memory_limit", "timeout"][..]),
        (&py_id, "pow", &["memory_limit", "timeout"][..]),
        (&py_id, "join", &["memory_limit", "timeout"][..]),
        (&py_id, "loop", &["timeout"][..]),
    ] {
        let started = Instant::now();
        let err = t
            .run(id, "stall", json!({ "how": how }))
            .await
            .expect_err(how);
        let took = started.elapsed();
        assert!(
            codes.contains(&err.code().as_str()),
            "{id} {how}: {} ({err})",
            err.code().as_str()
        );
        // Killed at the deadline (1 s) plus the host's grace, never later.
        assert!(
            took < Duration::from_millis(2500),
            "{id} {how} took {took:?}"
        );
        t.echoes(id).await;
        t.echoes(&bystander).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_from_outside_mid_call_is_a_clear_error() {
    let t = tier(real_worker());
    let id = t
        .load(
            &PackageSpec::new("victim", "js", "index.js", JS, ACTIONS)
                .limits("max_execution_ms: 20000\nmax_memory_mb: 20"),
        )
        .await
        .unwrap();
    t.echoes(&id).await;
    let host = t.host.clone();
    let call_id = id.clone();
    let call = tokio::spawn(async move {
        host.execute(&call_id, "stall", json!({"how": "loop"}))
            .await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let pids = t.tier.worker_pids();
    assert!(!pids.is_empty());
    for pid in &pids {
        // Every worker runs under both seccomp stages and its rlimits.
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        assert!(status.contains("Seccomp:\t2"), "{status}");
        let filters = morph_process::syscalls::FILTERS + morph_process::filesystem::FILTERS;
        assert!(
            status.contains(&format!("Seccomp_filters:\t{filters}\n")),
            "{status}"
        );
        assert!(status.contains("NoNewPrivs:\t1"), "{status}");
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let data = limits
            .lines()
            .find(|l| l.starts_with("Max data size"))
            .unwrap();
        // max_memory_mb plus what Boa measured it needs at rest.
        let reserve = morph_runtime_js::JsRuntime::default().engine_reserve();
        assert!(
            data.contains(&((20u64 << 20) + reserve).to_string()),
            "{data}"
        );
    }
    for pid in pids {
        // SAFETY: signalling a worker process this test's tier started.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    }
    let err = call.await.unwrap().expect_err("the call cannot succeed");
    assert_eq!(err.code().as_str(), "guest_crash", "{err}");
    assert!(err.to_string().contains("signal 9"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    // A new worker takes over. (The idle spare was killed too; the kernel
    // tears a killed process down before its exit can be seen, so give it a
    // moment: a call that picks a worker in that instant fails like this
    // one did.)
    tokio::time::sleep(Duration::from_millis(300)).await;
    t.echoes(&id).await;
}

/// Imported only at call time, after the worker closed its filesystem.
const JS_LATE: &str = r#"
export async function execute(action, params) {
  const late = await import("./late.js");
  const date = new Date(Date.UTC(2020, 0, 2, 3, 4, 5));
  return [late.late(), date.toISOString(), date.toString().length > 0, typeof Math.random()];
}
"#;

const PY_LATE: &str = r#"
def execute(action, params):
    import late
    import datetime, decimal, json, re
    return [
        late.late(),
        datetime.datetime(2020, 1, 2, 3, 4, 5).isoformat(),
        json.dumps({"d": str(decimal.Decimal("1.5") * 2)}),
        bool(re.match("a+$", "aaa")),
    ]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_load_workers_open_no_file_yet_import_and_run_what_calls_need() {
    let t = tier(real_worker());
    let js_id = t
        .load(
            &PackageSpec::new("late-js", "js", "index.js", JS_LATE, ACTIONS)
                .file("late.js", "export function late() { return 'late'; }"),
        )
        .await
        .unwrap();
    let py_id = t
        .load(
            &PackageSpec::new("late-py", "python", "main.py", PY_LATE, ACTIONS)
                .file("late.py", "def late():\n    return 'late'\n"),
        )
        .await
        .unwrap();
    // Twice: the second call may land on the spare worker started after
    // the first.
    for _ in 0..2 {
        assert_eq!(
            t.run(&js_id, "echo", json!({"value": 1})).await.unwrap(),
            json!(["late", "2020-01-02T03:04:05.000Z", true, "number"])
        );
        assert_eq!(
            t.run(&py_id, "echo", json!({"value": 1})).await.unwrap(),
            json!(["late", "2020-01-02T03:04:05", "{\"d\": \"3.0\"}", true])
        );
    }
    // No worker holds a file or directory to read through.
    for pid in t.tier.worker_pids() {
        for fd in std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap() {
            let target = std::fs::read_link(fd.unwrap().path()).unwrap();
            let target = target.to_string_lossy();
            assert!(
                ["pipe:", "anon_inode:", "socket:"]
                    .iter()
                    .any(|kind| target.starts_with(kind)),
                "worker {pid} holds {target}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_workers_are_clear_errors_never_hangs() {
    for (what, script, code) in [
        // Four bytes of text announce a 1.6 GB frame: refused unread.
        (
            "garbage",
            "printf 'garbage on the pipe'; sleep 30",
            "guest_crash",
        ),
        // A frame that is not JSON.
        (
            "malformed",
            "printf '\\000\\000\\000\\005hello'; sleep 30",
            "guest_crash",
        ),
        // An endless stream.
        ("flood", "yes", "guest_crash"),
        // Exits before answering.
        ("exit", "exit 3", "guest_crash"),
        // Never answers: killed at the load deadline.
        ("silent", "sleep 30", "timeout"),
    ] {
        let t = tier(fake_worker(script));
        let started = Instant::now();
        let err = t
            .load(&js(what).limits("max_execution_ms: 200"))
            .await
            .expect_err(what);
        assert_eq!(err.code().as_str(), code, "{what}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{what} took {:?}",
            started.elapsed()
        );
        assert!(
            t.tier.worker_pids().is_empty(),
            "{what}: the worker is gone"
        );
    }
    // The host process is fine: a real worker still serves.
    let t = tier(real_worker());
    let id = t.load(&js("after")).await.unwrap();
    t.echoes(&id).await;
}

#[test]
fn every_runtime_is_certified_with_every_limit_hard_under_process_isolation() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_morph"))
        .args(["conformance", "--isolation", "process", "--json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["ok"], true, "{doc}");
    let certificates = doc["result"].as_array().unwrap();
    let names: Vec<String> = certificates
        .iter()
        .map(|c| format!("{}/{}", c["runtime"]["id"], c["runtime"]["engine"]))
        .collect();
    assert_eq!(certificates.len(), 4, "{names:?}");
    for c in certificates {
        let failed: Vec<&Value> = c["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|case| case["status"] != "pass")
            .collect();
        assert!(failed.is_empty(), "{}: {failed:?}", c["runtime"]);
        assert_eq!(c["isolation"], "process");
        for pair in c["enforcement"].as_array().unwrap() {
            assert_eq!(pair[1], "hard", "{}: {pair}", c["runtime"]);
        }
    }
}
