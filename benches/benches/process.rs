//! The process isolation tier's cost (issue 8): warm `Host::execute` of the
//! trivial `echo` action under `Isolation::Process` beside the same call in
//! process (`Pooled`), for wasm (wasmi and wasmer), JS and Python, in one run
//! (`cargo bench -p morph-benches --bench process`). The difference is what
//! the tier adds per call: a pipe round trip and two JSON frames.
//!
//! The workers are `morph-bench-worker` (this crate's binary), the same
//! `morph_process::worker::serve` as `morph worker`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use criterion::BenchmarkId;
use morph_benches::PROCESS_RUNTIMES;
use morph_benches::ids::{IN_PROCESS, PROCESS, PROCESS_ISOLATION};
use morph_process::{ProcessConfig, ProcessRuntime, WorkerCommand};
use morph_runtime_core::{Host, Isolation, LoadOptions};
use serde_json::{Value, json};

#[global_allocator]
static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
    morph_runtime_core::allocation::MeteredAllocator::system();

const SCRIPT_ACTIONS: &str = "actions:
  - {name: echo, description: Returns its input, parameters: [{name: value, type: any}]}
";

fn script_package(dir: &Path, kind: &str, entry: &str, code: &str) -> PathBuf {
    let root = dir.join(format!("bench-{kind}"));
    std::fs::create_dir_all(&root).expect("package dir");
    std::fs::write(root.join(entry), code).expect("entry");
    let manifest = format!(
        "extension_id: bench-{kind}\nversion: 0.1.0\nmetadata:\n  name: bench {kind}\n\
         runtime: {kind}\nentry: {entry}\n{SCRIPT_ACTIONS}"
    );
    std::fs::write(root.join("manifest.yaml"), manifest).expect("manifest");
    root
}

fn host(dir: &Path, isolation: Isolation, engine: Option<&str>) -> Host {
    let command = WorkerCommand {
        program: env!("CARGO_BIN_EXE_morph-bench-worker").into(),
        args: Vec::new(),
        env: Vec::new(),
    };
    Host::builder()
        .with_data_dir(dir)
        .without_linked_runtimes()
        .with_runtime(Arc::new(morph_runtime_wasm::WasmRuntime::default()))
        .with_runtime(Arc::new(morph_runtime_js::JsRuntime::default()))
        .with_runtime(Arc::new(morph_runtime_python::PythonRuntime::default()))
        .with_load_options(LoadOptions {
            isolation: Some(isolation),
            engine: engine.map(str::to_owned),
        })
        .with_process_isolation(Arc::new(ProcessRuntime::new(ProcessConfig::new(command))))
        .build()
        .expect("host")
}

fn main() {
    let rt = morph_benches::drive::runtime();
    let mut c = morph_benches::drive::criterion();
    let tmp = tempfile::tempdir().expect("tempdir");
    let wasm = morph_benches::fixture::write_package(&tmp.path().join("wasm"), &[]);
    let js = script_package(
        tmp.path(),
        "js",
        "index.js",
        "export function execute(action, params) { return params.value; }\n",
    );
    let python = script_package(
        tmp.path(),
        "python",
        "main.py",
        "def execute(action, params):\n    return params[\"value\"]\n",
    );
    let mut group = c.benchmark_group(PROCESS);
    let [wasmi, wasmer, js_name, python_name] = PROCESS_RUNTIMES;
    for (name, package, engine) in [
        (wasmi, &wasm, Some("wasmi")),
        (wasmer, &wasm, Some("wasmer")),
        (js_name, &js, None),
        (python_name, &python, None),
    ] {
        for (label, isolation) in [
            (IN_PROCESS, Isolation::Pooled),
            (PROCESS_ISOLATION, Isolation::Process),
        ] {
            let data = tmp
                .path()
                .join(format!("data-{}-{label}", name.replace('/', "-")));
            let host = host(&data, isolation, engine);
            let id = rt
                .block_on(host.load(package, json!({})))
                .unwrap_or_else(|e| panic!("load {name} {label}: {e}"));
            let params = json!({"value": 1});
            let echoed = rt
                .block_on(host.execute(&id, "echo", params.clone()))
                .unwrap_or_else(|e| panic!("echo {name} {label}: {e}"));
            assert_eq!(extract(&echoed), json!(1), "{name} {label}: {echoed}");
            group.bench_function(BenchmarkId::new(label, name), |b| {
                b.iter_custom(|iters| {
                    let host = host.clone();
                    let id = id.clone();
                    let params = params.clone();
                    rt.block_on(async move {
                        tokio::spawn(async move {
                            let started = Instant::now();
                            for _ in 0..iters {
                                let _ = host.execute(&id, "echo", params.clone()).await;
                            }
                            started.elapsed()
                        })
                        .await
                        .expect("bench task")
                    })
                });
            });
        }
    }
    group.finish();
    c.final_summary();
}

/// The echoed value: the wasm test guest wraps it as `{"value": ..}`.
fn extract(v: &Value) -> Value {
    v.get("value").cloned().unwrap_or_else(|| v.clone())
}
