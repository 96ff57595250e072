//! `morph-benches`: what Morph's criterion benchmarks (`benches/wasm.rs`)
//! share, so that every figure is measured beside its baseline in the same run.
//!
//! - [`fixture`]: the test guest's package and a [`Host`](morph_runtime_core::Host)
//!   built as `runtime-wasm`'s tests build it (memory audit sink, only the wasm
//!   runtime, an engine and an isolation mode per load).
//! - [`raw`]: the baselines: the same guest driven through the ABI on wasmer
//!   and wasmi directly, with stub `morph` imports and no Morph code at all.
//! - [`report`]: turns criterion's saved estimates into the table of
//!   `BENCHMARKS.md` (`cargo run -p morph-benches --bin morph-bench-report`).
//!
//! Run the benchmarks with `cargo bench -p morph-benches`; the test guest must
//! have been built first (`scripts/build-guests.sh`).

pub mod fixture;
pub mod raw;
pub mod report;

/// The engines every figure is measured on.
pub const ENGINES: [&str; 2] = ["wasmer", "wasmi"];

/// The `morph_execute` input of the trivial action every overhead figure uses.
pub const ECHO_INPUT: &[u8] = br#"{"action":"echo","params":{"value":1}}"#;

/// What the guest answers to [`ECHO_INPUT`].
pub const ECHO_OUTPUT: &[u8] = br#"{"ok":{"value":1}}"#;

/// Benchmark names, shared by `benches/wasm.rs` and [`report`]: a criterion
/// id is `group/function/engine`.
pub mod ids {
    /// Framework overhead of one trivial call.
    pub const OVERHEAD: &str = "overhead";
    /// `morph_execute("echo")` on a warm raw instance.
    pub const RAW_WARM: &str = "raw warm call";
    /// A new raw instance, `morph_init`, then the echo call.
    pub const RAW_FRESH: &str = "raw fresh instance + init + call";
    /// `Host::execute(echo)` under `Isolation::Pooled`.
    pub const HOST_POOLED: &str = "Host::execute Pooled";
    /// `Host::execute(echo)` under `Isolation::PerCall`.
    pub const HOST_PER_CALL: &str = "Host::execute PerCall";

    /// A capability round trip through the broker (all `Pooled`).
    pub const CAPABILITY: &str = "capability";
    /// `Host::execute(echo)`: the same call without a capability.
    pub const ECHO: &str = "echo";
    /// `Host::execute(call, log)`.
    pub const CALL_LOG: &str = "call log";
    /// `Host::execute(call, vault.get)` of a stored key.
    pub const CALL_VAULT_GET: &str = "call vault.get";

    /// Loading the test guest.
    pub const LOAD: &str = "load";
    /// The engine alone compiling the module (no validation, no instance).
    pub const RAW_COMPILE: &str = "raw compile";
    /// `Host::load` with an empty module cache (wasmer: compile and store).
    pub const LOAD_COLD: &str = "Host::load cold";
    /// `Host::load` with the module in wasmer's disk cache.
    pub const LOAD_CACHED: &str = "Host::load cached";

    /// The isolation modes' thread hops, with no guest.
    pub const PLUMBING: &str = "plumbing";
    /// What stands for the engine in a plumbing id (no engine runs).
    pub const PLUMBING_ENGINE: &str = "tokio";
    /// `spawn_blocking` of an empty closure, awaited (PerCall's hop).
    pub const SPAWN_BLOCKING: &str = "spawn_blocking round trip";
    /// An empty job to a worker thread, answered on a oneshot (Pooled's hop).
    pub const WORKER_HOP: &str = "worker thread round trip";
}
