//! `morph-benches`: what Morph's criterion benchmarks (`benches/wasm.rs`,
//! `benches/js.rs`, `benches/python.rs`) share, so that every figure is
//! measured beside its baseline in the same run.
//!
//! - [`fixture`]: the wasm test guest's package and a [`Host`](morph_runtime_core::Host)
//!   built as `runtime-wasm`'s tests build it (memory audit sink, only the wasm
//!   runtime, an engine and an isolation mode per load).
//! - [`script_guest`]: the same for the JS and Python test guests, plus the
//!   compute guest (the workloads of `morph-bench-workloads` behind one
//!   action each) the benchmarks write themselves.
//! - [`script_workload`]: one compute workload call as every JS and Python
//!   runner makes it (action and params, function and argument) and native
//!   Rust's answer to it.
//! - [`raw`]: the wasm baselines: the same guest driven through the ABI on
//!   wasmer and wasmi directly, with stub `morph` imports and no Morph code.
//! - [`wasmtime_raw`]: the same baseline on wasmtime (the engine under
//!   Extism), for `benches/compute_wasm.rs`.
//! - [`extism_peer`]: the wasm peer: the compute workloads as an Extism
//!   plugin, called through `Plugin::call`.
//! - [`bare_js`], [`bare_python`]: the JS and Python baselines: Boa and
//!   RustPython driven directly, with no Morph code.
//! - [`cpython`]: the Python peer: `python3` running the same workload in a
//!   timing loop of its own.
//! - [`quickjs`]: the JS peer: QuickJS through rquickjs, calling the same
//!   workload on a warm context.
//! - [`capability`]: the capability round trip each runtime's bench times.
//! - [`audit_cost`]: what the audit log's syncs cost per capability call,
//!   today's policy beside the earlier ones (`benches/audit.rs`).
//! - [`drive`]: how a benchmark calls `Host::execute` (from a task on a
//!   multi-thread tokio runtime, as an app would).
//! - [`scaling`]: how cost grows: the runtimes as runners, concurrent
//!   callers, payloads, many extensions; [`scaling_report`] and [`plot`]
//!   turn those figures into tables and SVG charts.
//! - [`soak`]: one long-lived host under mixed calls with faults, its
//!   memory, descriptors, threads and worker processes read as it runs
//!   (`morph-bench-soak`, `scripts/soak.sh`, RELIABILITY.md).
//! - [`serve_load`]: the load generator of `benches/serve.rs`: `echo`
//!   through `morph serve`'s HTTP API beside `Service::execute`, from 1, 8
//!   and 64 clients at once (calls per second, p50 and p99).
//! - [`code_mode`]: code mode's cost (`benches/code_mode.rs`): a fresh
//!   context per language, `run_code` over MCP on stdio beside direct tool
//!   calls, and a 200-issue job as 21 tool calls or one program.
//! - [`markdown`]: replaces the generated tables of `BENCHMARKS.md` in place.
//! - [`report`]: turns criterion's saved estimates into the tables of
//!   `BENCHMARKS.md` (`cargo run -p morph-benches --bin morph-bench-report`).
//!
//! Run the benchmarks with `cargo bench -p morph-benches`; the wasm test guest
//! must have been built first (`scripts/build-guests.sh`).

pub mod audit_cost;
pub mod bare_js;
pub mod bare_python;
pub mod capability;
pub mod code_mode;
pub mod cpython;
pub mod drive;
pub mod extism_peer;
pub mod fixture;
pub mod markdown;
pub mod plot;
pub mod quickjs;
pub mod raw;
pub mod report;
pub mod scaling;
pub mod scaling_report;
pub mod script_guest;
pub mod script_workload;
pub mod serve_load;
pub mod soak;
pub mod wasmtime_raw;

/// The engines every wasm figure is measured on.
pub const ENGINES: [&str; 2] = ["wasmer", "wasmi"];

/// The engine part of every JS benchmark id.
pub const JS_ENGINE: &str = "boa";

/// The engine part of every Python benchmark id (Morph's runtime and its
/// bare baselines).
pub const PYTHON_ENGINE: &str = "rustpython";

/// The engine part of the CPython peer's benchmark ids.
pub const CPYTHON_ENGINE: &str = "cpython";

/// The engine part of the QuickJS peer's benchmark ids.
pub const QUICKJS_ENGINE: &str = "quickjs";

/// The engine part of the wasmtime peer's ids (Morph's ABI driven by hand).
pub const WASMTIME_ENGINE: &str = "wasmtime";

/// The engine part of the Extism peer's ids (Extism 1.30 on wasmtime).
pub const EXTISM_ENGINE: &str = "extism";

/// The runtimes of the process isolation figures (`benches/process.rs`).
pub const PROCESS_RUNTIMES: [&str; 4] = ["wasm/wasmi", "wasm/wasmer", "js", "python"];

/// The `n` of the compute workload, a naive recursive `fib(n)` (the ids say
/// `fib(20)`).
pub const FIB_N: u32 = 20;

/// `fib(FIB_N)`.
pub const FIB_RESULT: u64 = 6765;

/// The trivial action every overhead figure uses, and its params' JSON text
/// (`morph_execute`'s input, ABI version 2).
pub const ECHO_ACTION: &str = "echo";

/// The params of [`ECHO_ACTION`].
pub const ECHO_PARAMS: &[u8] = br#"{"value":1}"#;

/// What the guest answers to [`ECHO_ACTION`]: a JSON result block.
pub const ECHO_OUTPUT: &[u8] = b"\x00{\"value\":1}";

/// Benchmark names, shared by the benchmarks and [`report`]: a criterion id
/// is `group/function/engine`.
pub mod ids {
    /// Framework overhead of one trivial call.
    pub const OVERHEAD: &str = "overhead";
    /// `morph_execute("echo")` on a warm raw instance.
    pub const RAW_WARM: &str = "raw warm call";
    /// A new raw instance, `morph_init`, then the echo call.
    pub const RAW_FRESH: &str = "raw fresh instance + init + call";
    /// `Host::execute(echo)` under `Isolation::Pooled`.
    pub const HOST_POOLED: &str = "Host::execute Pooled";
    /// The same Pooled call on a session created without allocation
    /// metering (what counting memory costs per call).
    pub const HOST_POOLED_UNMETERED: &str = "Host::execute Pooled, memory not counted";
    /// `Host::execute(echo)` under `Isolation::PerCall`.
    pub const HOST_PER_CALL: &str = "Host::execute PerCall";

    /// JS and Python: `echo(x)` (a one-line function) called directly on a
    /// warm engine with a prepared argument.
    pub const BARE_CALL: &str = "bare call";
    /// The same call with the argument made from `serde_json` and the result
    /// turned back into it (the conversions every host call needs).
    pub const BARE_CALL_JSON: &str = "bare call + JSON";
    /// JS: Boa's `Context::default()` (and its drop).
    pub const BARE_CONTEXT: &str = "bare Context::default()";
    /// JS: a new `Context`, the test guest evaluated as an ES module,
    /// `init({})`, then `execute("echo")`.
    pub const BARE_CONTEXT_FRESH: &str = "bare new Context + module + init + call";
    /// Python: RustPython's `Interpreter::without_stdlib` (and its drop).
    pub const BARE_INTERPRETER: &str = "bare new Interpreter";
    /// Python: a new interpreter, the test guest run as a module, `init({})`,
    /// then `execute("echo")`.
    pub const BARE_INTERPRETER_FRESH: &str = "bare new Interpreter + module + init + call";

    /// Python: a guest interpreter as Morph builds it before the entry
    /// module runs (module tables cut to the allowlist, `sys` scrubbed,
    /// `_morph` and the start-up module), with the standard library.
    pub const MORPH_INTERPRETER: &str = "Morph guest Interpreter";
    /// Python: the same with Morph's own modules only (no RustPython
    /// library, no rustpython-stdlib natives): what the library adds.
    pub const MORPH_INTERPRETER_CORE: &str = "Morph guest Interpreter, no stdlib";

    /// JS: a guest context as Morph builds it before the entry module runs
    /// (job queue, package loader, host hooks, engine limits, the `morph`
    /// object, the builtin guards), with the web platform globals.
    pub const MORPH_CONTEXT: &str = "Morph guest Context";
    /// JS: the same without the web platform globals: what they add.
    pub const MORPH_CONTEXT_CORE: &str = "Morph guest Context, no web globals";

    /// A capability round trip through the broker (all `Pooled`).
    pub const CAPABILITY: &str = "capability";
    /// `Host::execute(echo)`: the same call without a capability.
    pub const ECHO: &str = "echo";
    /// `Host::execute(call, log)`.
    pub const CALL_LOG: &str = "call log";
    /// `Host::execute(call, vault.get)` of a stored key.
    pub const CALL_VAULT_GET: &str = "call vault.get";
    /// `Host::execute(call, http.fetch)`: a GET to a server on 127.0.0.1.
    pub const CALL_HTTP_FETCH: &str = "call http.fetch";

    /// The compute workload, `fib(FIB_N)` (JS and Python).
    pub const COMPUTE: &str = "compute";
    /// `fib(20)` called directly on a warm engine (no Morph code).
    pub const FIB_BARE: &str = "bare fib(20)";
    /// `Host::execute(fib, {"n": 20})` under `Isolation::Pooled`.
    pub const FIB_HOST: &str = "Host::execute fib(20)";
    /// `fib(20)` in a peer's own timing loop (CPython).
    pub const FIB_PEER: &str = "fib(20)";

    /// Loading the test guest.
    pub const LOAD: &str = "load";
    /// The engine alone compiling the module (no validation, no instance).
    pub const RAW_COMPILE: &str = "raw compile";
    /// `Host::load` with an empty module cache (wasmer: compile and store).
    pub const LOAD_COLD: &str = "Host::load cold";
    /// `Host::load` with the module in wasmer's disk cache.
    pub const LOAD_CACHED: &str = "Host::load cached";

    /// The compute workloads of `morph-bench-workloads`, one criterion
    /// group each (`benches/compute_wasm.rs`, `benches/compute_script.rs`):
    /// `GROUP/RUNNER/ENGINE`, every runner beside `NATIVE/RUST` of the same
    /// group and run.
    pub const COMPUTE_FIB: &str = "compute fib(25)";
    /// The json workload on its 1 MiB document.
    pub const COMPUTE_JSON: &str = "compute json transform 1 MiB";
    /// The sha256 workload on 1 MiB.
    pub const COMPUTE_SHA: &str = "compute sha256 1 MiB";
    /// The sha256 workload on 64 KiB (for the runners too slow for 1 MiB).
    pub const COMPUTE_SHA_SMALL: &str = "compute sha256 64 KiB";
    /// Runner: the Rust function called directly (engine [`RUST`]).
    pub const NATIVE: &str = "native";
    /// Runner: the workload called on a warm engine with no Morph code (wasm:
    /// the ABI driven by hand with stub imports; JS and Python: the function
    /// called in the engine).
    pub const BARE: &str = "bare engine call";
    /// Runner: a peer's own call API (Extism's `Plugin::call`, QuickJS
    /// through rquickjs, CPython in a timing loop of its own).
    pub const PEER: &str = "peer";
    /// Extism's `Plugin::call` of an export that does nothing (the peer's
    /// counterpart of [`RAW_WARM`] in the [`OVERHEAD`] group).
    pub const EXTISM_CALL: &str = "Extism call";
    /// Runner: `Host::execute` under `Isolation::Pooled` ([`HOST_POOLED`]).
    pub const HOST: &str = HOST_POOLED;
    /// Engine of the native runner.
    pub const RUST: &str = "rust";

    /// What the process isolation tier adds (`benches/process.rs`).
    pub const PROCESS: &str = "process";
    /// `Host::execute(echo)` under `Isolation::Pooled` in the host process.
    pub const IN_PROCESS: &str = "in process (Pooled)";
    /// The same call under `Isolation::Process`, in a worker process.
    pub const PROCESS_ISOLATION: &str = "process isolation";

    /// The isolation modes' thread hops, with no guest.
    pub const PLUMBING: &str = "plumbing";
    /// What stands for the engine in a plumbing id (no engine runs).
    pub const PLUMBING_ENGINE: &str = "tokio";
    /// `spawn_blocking` of an empty closure, awaited (PerCall's hop).
    pub const SPAWN_BLOCKING: &str = "spawn_blocking round trip";
    /// An empty job to a worker thread, answered on a oneshot (Pooled's hop).
    pub const WORKER_HOP: &str = "worker thread round trip";
}

/// The arguments of a bench binary with a harness of its own
/// (`harness = false`): whether `--bench` was given (`cargo bench` gives
/// it; `cargo test` does not, for a short run that checks the bench
/// works), and the other words, which pick its parts.
pub fn harness_args() -> (bool, Vec<String>) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench = args.iter().any(|a| a == "--bench");
    let words = args.into_iter().filter(|a| !a.starts_with('-')).collect();
    (bench, words)
}
