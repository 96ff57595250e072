//! The `MorphRuntime` trait: what a language runtime implements.
//!
//! A runtime turns a package into a [`LoadedExtension`] and runs guest entry
//! points. **A runtime holds no permission logic**: every guest request goes
//! through the [`Call`] it is handed, which carries the host-made grants,
//! deadline and budgets. **runtime-core knows no engine**: no engine type
//! appears here.

use std::sync::Arc;

use async_trait::async_trait;
use morph_capabilities::providers::Event;
use morph_capabilities::{
    Call, CallContext, CallKind, CallRoute, CapabilityBroker, ExtensionIdentity, Grants, Result,
};
use serde_json::Value;

use crate::package::ExtensionPackage;

/// How guest instances are reused between calls (brief section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Isolation {
    /// A fresh instance for every call.
    PerCall,
    /// Warm instances per extension, never shared between extensions,
    /// recycled after any violation or a number of uses.
    Pooled,
    /// The engine runs in a `morph worker` child process.
    Process,
    /// A fresh instance for every call, as `PerCall`, but built on the
    /// worker thread right after the previous call (so a call finds it
    /// ready) and under an `init` call of its own. Code mode runs its
    /// programs so; not a CLI choice yet.
    Fresh,
}

impl Isolation {
    /// The CLI spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::PerCall => "per-call",
            Isolation::Pooled => "pooled",
            Isolation::Process => "process",
            Isolation::Fresh => "fresh",
        }
    }
}

impl std::str::FromStr for Isolation {
    type Err = morph_capabilities::Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "per-call" => Ok(Isolation::PerCall),
            "pooled" => Ok(Isolation::Pooled),
            "process" => Ok(Isolation::Process),
            other => Err(morph_capabilities::Error::params(
                "isolation",
                format!("`{other}` is not one of per-call, pooled, process"),
            )),
        }
    }
}

/// Options the app passes to every load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The isolation mode; `None` lets the runtime pick its default.
    pub isolation: Option<Isolation>,
    /// An engine choice within the runtime (for wasm: `wasmer` or `wasmi`).
    pub engine: Option<String>,
}

/// What a runtime says about itself (certificates, `morph inspect`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuntimeInfo {
    /// Runtime id, e.g. `wasm`.
    pub id: String,
    /// The manifest `runtime:` kind it serves.
    pub kind: String,
    /// Engine name, e.g. `wasmi`.
    pub engine: String,
    /// Engine version.
    pub engine_version: String,
}

/// How a limit is enforced (brief section 6, reported by certificates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    /// Preemptive and guaranteed: no guest code can exceed the limit.
    Hard,
    /// Best effort: checked at points the guest reaches (loop limits, budget
    /// polls, allocation accounting); a native stall or allocation inside the
    /// engine can overrun it.
    Soft,
}

/// How a runtime enforces the limits that depend on its engine. Output size
/// and request counts are enforced by the host and the broker for every
/// runtime, so they are always hard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LimitEnforcement {
    /// `max_execution_ms`.
    pub execution: Enforcement,
    /// `max_memory_mb`.
    pub memory: Enforcement,
    /// Unbounded recursion.
    pub stack: Enforcement,
}

impl LimitEnforcement {
    /// Every engine-dependent limit hard.
    pub const HARD: LimitEnforcement = LimitEnforcement {
        execution: Enforcement::Hard,
        memory: Enforcement::Hard,
        stack: Enforcement::Hard,
    };

    /// Every engine-dependent limit soft (what a runtime claims by default).
    pub const SOFT: LimitEnforcement = LimitEnforcement {
        execution: Enforcement::Soft,
        memory: Enforcement::Soft,
        stack: Enforcement::Soft,
    };
}

/// Everything a runtime needs to load one extension.
pub struct LoadRequest<'a> {
    /// The validated package.
    pub package: &'a ExtensionPackage,
    /// The validated config (also reachable by the guest as `config`).
    pub config: Arc<Value>,
    /// App options.
    pub options: &'a LoadOptions,
    /// Starts the calls under which the guest's `init` runs.
    pub init: InitCall,
}

/// Starts `init` calls for one extension. The deadline of an `init` call
/// starts when the runtime starts it, after compiling, so compile time is
/// never charged to the guest.
#[derive(Clone)]
pub struct InitCall {
    route: CallRoute,
    identity: Arc<ExtensionIdentity>,
    grants: Arc<Grants>,
    config: Arc<Value>,
}

impl InitCall {
    pub(crate) fn new(
        broker: Arc<CapabilityBroker>,
        identity: Arc<ExtensionIdentity>,
        grants: Arc<Grants>,
        config: Arc<Value>,
    ) -> InitCall {
        InitCall::routed(CallRoute::Broker(broker), identity, grants, config)
    }

    /// `init` calls whose capability requests go to `route`: a process
    /// isolation worker relays them to the host's broker.
    pub fn routed(
        route: CallRoute,
        identity: Arc<ExtensionIdentity>,
        grants: Arc<Grants>,
        config: Arc<Value>,
    ) -> InitCall {
        InitCall {
            route,
            identity,
            grants,
            config,
        }
    }

    /// The identity of the extension being loaded.
    pub fn identity(&self) -> &Arc<ExtensionIdentity> {
        &self.identity
    }

    /// The config the app passed.
    pub fn config(&self) -> &Arc<Value> {
        &self.config
    }

    /// A new `init` call whose deadline starts now.
    pub fn start(&self) -> Call {
        let ctx = CallContext::new(
            self.identity.clone(),
            self.grants.clone(),
            self.config.clone(),
            CallKind::Init,
            "init",
        );
        Call::routed(self.route.clone(), Arc::new(ctx))
    }

    /// The extension's limits (for runtimes that size engines by them).
    pub fn limits(&self) -> &morph_capabilities::ResourceLimits {
        &self.grants.limits
    }
}

/// A language runtime.
#[async_trait]
pub trait MorphRuntime: Send + Sync + 'static {
    /// Identity, engine and version.
    fn info(&self) -> RuntimeInfo;

    /// Loads the package: compiles, instantiates as the isolation mode
    /// requires, and runs the guest's `init` (if any) under `request.init`.
    ///
    /// # Errors
    /// `invalid_package` for code the engine refuses; `init_failed` (wrapping
    /// the cause) when the guest's `init` fails; `runtime_unavailable` for an
    /// unsupported engine or isolation mode.
    async fn load(&self, request: LoadRequest<'_>) -> Result<Arc<dyn LoadedExtension>>;

    /// How this runtime enforces the engine-dependent limits under
    /// `options`. The default claims nothing: every such limit `Soft`.
    fn enforcement(&self, options: &LoadOptions) -> LimitEnforcement {
        let _ = options;
        LimitEnforcement::SOFT
    }

    /// Memory this runtime needs in a worker process beyond the extension's
    /// `max_memory_mb`, in bytes: its worker threads' stacks (reserved in
    /// full), the engine and its code, the interpreter's own heap at rest.
    /// The process tier adds it to `max_memory_mb` for the worker's data
    /// limit, so a runtime states what it measured rather than a slack that
    /// fits every engine. The default, [`DEFAULT_ENGINE_RESERVE`], is for
    /// runtimes that have not measured theirs.
    fn engine_reserve(&self) -> u64 {
        DEFAULT_ENGINE_RESERVE
    }
}

/// [`MorphRuntime::engine_reserve`] of a runtime that did not measure its
/// own: 768 MiB.
pub const DEFAULT_ENGINE_RESERVE: u64 = 768 << 20;

/// A loaded extension, ready for calls.
#[async_trait]
pub trait LoadedExtension: Send + Sync + 'static {
    /// Runs `execute(action, params)` under `call`. The host has already
    /// checked that the action exists and that `params` match its schema.
    ///
    /// # Errors
    /// `guest_error` with the guest's message and stack, a limit code
    /// (`timeout`, `memory_limit`, `stack_overflow`, `output_too_large`),
    /// `guest_crash`, or a capability error the guest did not handle.
    async fn execute(&self, call: Call, action: &str, params: Value) -> Result<Value>;

    /// Whether the guest defines `on_event`.
    fn handles_events(&self) -> bool {
        false
    }

    /// Runs `on_event(event)` under `call`.
    ///
    /// # Errors
    /// As [`LoadedExtension::execute`].
    async fn on_event(&self, call: Call, event: Event) -> Result<()> {
        let _ = (call, event);
        Ok(())
    }
}
