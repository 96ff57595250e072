//! Cancellation from the caller ends a guest call the way a deadline does,
//! on every runtime: a probe looping forever under a 20 s deadline is
//! cancelled through `Host::execute_with`'s token, the call answers
//! `cancelled` at once, and the guest really stopped: the extension's only
//! worker serves the next call right away instead of waiting behind the
//! loop (in process isolation, the worker process that ran it is dead).
//! One test body, run on wasmer, wasmi, JavaScript, Python and the process
//! tier.

use std::sync::Arc;
use std::time::{Duration, Instant};

use morph_conformance::{PROBE_ACTIONS, Probe};
use morph_process::{ProcessConfig, ProcessRuntime, WorkerCommand};
use morph_runtime_core::{CallOptions, Isolation, LoadOptions, MorphRuntime};
use morph_runtime_js::{JsConfig, JsRuntime};
use morph_runtime_python::{PythonConfig, PythonRuntime};
use morph_runtime_wasm::{WasmConfig, WasmRuntime};
use morph_testkit::{PackageSpec, TestHost};
use serde_json::json;

/// How long the loop runs before it is cancelled.
const RUN_BEFORE_CANCEL: Duration = Duration::from_millis(200);
/// How soon after the cancel the call must answer `cancelled`.
const ANSWER_WITHIN: Duration = Duration::from_millis(500);
/// How soon after the cancel the next call must have its answer: it waits
/// for the one worker, so only a guest that stopped lets it through (the
/// loop's deadline is 20 s away). It includes building a fresh session (the
/// cancelled one is discarded like one that timed out).
const NEXT_CALL_WITHIN: Duration = Duration::from_millis(1500);
/// The same for the process tier, which starts a new worker process.
const NEXT_WORKER_WITHIN: Duration = Duration::from_secs(4);

/// Where the probe runs.
#[derive(Debug, Clone, Copy)]
enum Tier {
    Wasm(&'static str),
    Js,
    Python,
    /// The JavaScript probe in `morph worker` processes.
    Process,
}

/// A host with the probe loaded on `tier`, one worker per extension.
struct Loaded {
    test: TestHost,
    id: String,
    process: Option<Arc<ProcessRuntime>>,
}

async fn load(tier: Tier) -> Loaded {
    let pooled = |engine: Option<&str>| LoadOptions {
        isolation: Some(Isolation::Pooled),
        engine: engine.map(str::to_owned),
    };
    let js = || {
        Arc::new(JsRuntime::new(JsConfig {
            pool_workers: 1,
            ..JsConfig::default()
        }))
    };
    let mut process = None;
    let (test, probe) = match tier {
        Tier::Wasm(engine) => {
            let runtime = WasmRuntime::new(WasmConfig {
                pool_workers: 1,
                cache_dir: None,
                ..WasmConfig::default()
            });
            let probe = Probe::wasm_from_workspace()
                .expect("the wasm probe: build it with scripts/build-guests.sh");
            (
                TestHost::new(Arc::new(runtime), pooled(Some(engine))),
                probe,
            )
        }
        Tier::Js => (TestHost::new(js(), pooled(None)), Probe::js()),
        Tier::Python => {
            let runtime = PythonRuntime::new(PythonConfig {
                pool_workers: 1,
                ..PythonConfig::default()
            });
            (
                TestHost::new(Arc::new(runtime), pooled(None)),
                Probe::python(),
            )
        }
        Tier::Process => {
            let mut config = ProcessConfig::new(WorkerCommand {
                program: env!("CARGO_BIN_EXE_morph").into(),
                args: vec!["worker".into()],
                env: Vec::new(),
            });
            config.max_workers = 1;
            config.load_allowance = Duration::from_secs(3);
            let tier = Arc::new(ProcessRuntime::new(config));
            process = Some(tier.clone());
            let options = LoadOptions {
                isolation: Some(Isolation::Process),
                engine: None,
            };
            let tier: Arc<dyn MorphRuntime> = tier;
            (
                TestHost::with_process_tier(js(), options, Some(tier)),
                Probe::js(),
            )
        }
    };
    let mut spec = PackageSpec::new(
        "cancel-probe",
        &probe.kind,
        &probe.entry,
        Vec::new(),
        PROBE_ACTIONS,
    )
    .limits("max_execution_ms: 20000");
    spec.files = probe.files;
    let id = test.load(&spec, json!({})).await.expect("load the probe");
    Loaded { test, id, process }
}

/// Cancels `loop_forever` after [`RUN_BEFORE_CANCEL`]: `cancelled` within
/// [`ANSWER_WITHIN`], then the next call gets the worker at once.
async fn cancelling_stops_a_looping_guest(tier: Tier) {
    let Loaded { test, id, process } = load(tier).await;
    let host = test.host.clone();
    // The token's type is the field's (tokio-util is no dependency here).
    let options = CallOptions {
        cancel: Some(Default::default()),
        ..CallOptions::default()
    };
    let token = options.cancel.clone().expect("just set");
    let looping = tokio::spawn({
        let (host, id) = (host.clone(), id.clone());
        async move {
            host.execute_with(&id, "loop_forever", json!({}), options)
                .await
        }
    });
    tokio::time::sleep(RUN_BEFORE_CANCEL).await;
    let pids = process
        .as_ref()
        .map(|p| p.worker_pids())
        .unwrap_or_default();
    let cancelled_at = Instant::now();
    token.cancel();

    let execution = tokio::time::timeout(ANSWER_WITHIN, looping)
        .await
        .unwrap_or_else(|_| panic!("{tier:?}: no answer {ANSWER_WITHIN:?} after the cancel"))
        .expect("the call's task");
    let code = execution
        .result
        .expect_err("an endless loop cannot succeed");
    assert_eq!(code.code().as_str(), "cancelled", "{tier:?}: {code}");

    let within = match tier {
        Tier::Process => NEXT_WORKER_WITHIN,
        _ => NEXT_CALL_WITHIN,
    };
    let next = tokio::time::timeout(within, host.execute(&id, "echo", json!({"value": 1})))
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{tier:?}: the next call still waited {within:?} after the cancel: \
                 the cancelled guest kept its worker"
            )
        });
    assert_eq!(next.expect("echo"), json!({"value": 1}), "{tier:?}");
    eprintln!(
        "{tier:?}: cancelled, and the next call answered {:?} after the cancel",
        cancelled_at.elapsed()
    );
    for pid in pids {
        assert!(
            process_ended(pid),
            "{tier:?}: worker {pid} outlived the cancel"
        );
    }
    if let Some(process) = &process {
        // The killed worker no longer counts against `max_workers`: the one
        // that served the next call is kept warm, not retired as one too many.
        assert!(
            !process.worker_pids().is_empty(),
            "the pool still counts the cancelled call's worker"
        );
    }
}

/// Whether process `pid` has ended (gone, or a zombie not yet reaped).
fn process_ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| matches!(rest.trim_start().chars().next(), Some('Z' | 'X'))),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_a_looping_guest_on_wasmer() {
    cancelling_stops_a_looping_guest(Tier::Wasm("wasmer")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_a_looping_guest_on_wasmi() {
    cancelling_stops_a_looping_guest(Tier::Wasm("wasmi")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_a_looping_guest_in_javascript() {
    cancelling_stops_a_looping_guest(Tier::Js).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_a_looping_guest_in_python() {
    cancelling_stops_a_looping_guest(Tier::Python).await;
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_a_looping_guest_in_a_worker_process() {
    cancelling_stops_a_looping_guest(Tier::Process).await;
}
