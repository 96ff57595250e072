//! `Host`: the facade an application uses to load and call extensions.
//!
//! Data flows one way: app -> `Host` -> runtime -> broker -> provider. The
//! host validates the package, manifest and config, fixes the grants (manifest
//! ∩ policy, bound to the approved manifest's digest), picks the runtime by the
//! manifest's `runtime:`, and for every call checks the action and its
//! parameters before the guest runs, creates the [`CallContext`], enforces the
//! deadline as a backstop and counts the result against `max_output_kb`.
//! **A guest never panics the host**: a panicking runtime fails its own call.
//! **A quarantined extension runs no guest code**: its loads, calls and
//! events are refused with `extension_quarantined` before the runtime sees
//! them, and every load, call or event that ends in a limit violation or a
//! crash is a strike ([`morph_capabilities::quarantine`]).

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::FutureExt;
use morph_capabilities::audit::AuditRecord;
use morph_capabilities::providers::Event;
use morph_capabilities::quarantine::{Strike, strike_code};
use morph_capabilities::{
    Call, CallContext, CallKind, CapabilityBroker, Error, ExtensionIdentity, Grants, HostPolicy,
    LogLine, Permission, Quarantine, Result,
};
use serde_json::Value;

use crate::host_builder::HostBuilder;
use crate::manifest::Manifest;
use crate::ownership::Ownership;
use crate::package::{ArchiveOpener, ExtensionPackage};
use crate::registry::RuntimeRegistry;
use crate::runtime::{
    InitCall, LoadOptions, LoadRequest, LoadedExtension, MorphRuntime, RuntimeInfo,
};
use crate::tools::ToolDefinition;

/// How long the host waits past a call's deadline for its runtime to stop
/// on its own before it abandons the call with `timeout`.
pub const DEADLINE_GRACE: Duration = Duration::from_millis(250);

/// Time a runtime may spend compiling on top of `max_execution_ms` before the
/// host gives up on a load.
pub const LOAD_GRACE: Duration = Duration::from_secs(120);

/// One loaded extension as the host keeps it.
struct Loaded {
    manifest: Arc<Manifest>,
    identity: Arc<ExtensionIdentity>,
    grants: Arc<Grants>,
    config: Arc<Value>,
    runtime: RuntimeInfo,
    extension: Arc<dyn LoadedExtension>,
}

/// What a [`HostBuilder`] fixes for the host's lifetime.
pub(crate) struct HostParts {
    pub(crate) broker: Arc<CapabilityBroker>,
    pub(crate) ownership: Ownership,
    pub(crate) registry: RuntimeRegistry,
    pub(crate) policy: HostPolicy,
    pub(crate) options: LoadOptions,
    pub(crate) archives: Option<Arc<dyn ArchiveOpener>>,
    pub(crate) process: Option<Arc<dyn MorphRuntime>>,
    pub(crate) quarantine: Arc<Quarantine>,
}

struct Inner {
    broker: Arc<CapabilityBroker>,
    ownership: Ownership,
    registry: RuntimeRegistry,
    policy: RwLock<HostPolicy>,
    options: LoadOptions,
    archives: Option<Arc<dyn ArchiveOpener>>,
    process: Option<Arc<dyn MorphRuntime>>,
    quarantine: Arc<Quarantine>,
    loaded: RwLock<BTreeMap<String, Arc<Loaded>>>,
    /// Code mode's kept sandboxes.
    code_sandboxes: crate::code::Sandboxes,
}

/// The outcome of one call with what it left behind.
#[derive(Debug)]
pub struct Execution {
    /// The call's id (as in its audit records).
    pub call_id: String,
    /// The guest's result or the error.
    pub result: Result<Value>,
    /// Audit records written during the call, in order (with the
    /// `host.quarantine` record last when this call quarantined the extension).
    pub audit: Vec<AuditRecord>,
    /// Lines the guest logged.
    pub logs: Vec<LogLine>,
}

/// Who asks for a call and how it may be stopped early: what a server
/// passes to [`Host::execute_with`]. The default is a library call.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// The caller the call's audit records name (`token:<name>`,
    /// `mcp:<client>`); `None` for the app itself.
    pub caller: Option<String>,
    /// Cancelled by the caller (an MCP `notifications/cancelled`, a dropped
    /// request): the call ends with `cancelled` as a call past its deadline
    /// ends with `timeout`, and no capability call of it runs afterwards.
    pub cancel: Option<tokio_util::sync::CancellationToken>,
    /// The code run that calls this action as a tool (its id), named in the
    /// call's audit records.
    pub code_run: Option<String>,
}

impl Execution {
    /// The `morph run --json` envelope: `{"ok": true, "result", "audit"}` or
    /// `{"ok": false, "error": {"code", "message", "stack"?}, "audit"}`.
    pub fn envelope(&self) -> Value {
        envelope(&self.result, &self.audit)
    }
}

/// The envelope of [`Execution::envelope`] for a result and its records.
pub fn envelope(result: &Result<Value>, audit: &[AuditRecord]) -> Value {
    match result {
        Ok(value) => serde_json::json!({ "ok": true, "result": value, "audit": audit }),
        Err(e) => {
            let wire = e.to_wire();
            let mut error = serde_json::json!({ "code": wire.code, "message": wire.message });
            if let Some(stack) = &wire.stack {
                error["stack"] = Value::String(stack.clone());
            }
            serde_json::json!({ "ok": false, "error": error, "audit": audit })
        }
    }
}

/// Loads extensions and runs their actions under one capability broker.
/// Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("runtimes", &self.inner.registry)
            .field("extensions", &self.extensions())
            .finish_non_exhaustive()
    }
}

impl Host {
    /// Starts building a host.
    pub fn builder() -> HostBuilder {
        HostBuilder::default()
    }

    pub(crate) fn from_parts(parts: HostParts) -> Host {
        let HostParts {
            broker,
            ownership,
            registry,
            policy,
            options,
            archives,
            process,
            quarantine,
        } = parts;
        Host {
            inner: Arc::new(Inner {
                broker,
                ownership,
                registry,
                policy: RwLock::new(policy),
                options,
                archives,
                process,
                quarantine,
                loaded: RwLock::new(BTreeMap::new()),
                code_sandboxes: crate::code::Sandboxes::default(),
            }),
        }
    }

    /// Changes the host policy; loads after this use the new policy (a
    /// loaded extension keeps the grants it was loaded with until it is
    /// loaded again).
    pub fn update_policy(&self, change: impl FnOnce(&mut HostPolicy)) {
        change(&mut write(&self.inner.policy));
    }

    /// The broker every runtime's calls go through.
    pub fn broker(&self) -> &Arc<CapabilityBroker> {
        &self.inner.broker
    }

    /// The quarantine of this host's data dir: which extensions are
    /// quarantined, and [`Quarantine::enable`] to lift one (then load it again).
    pub fn quarantine(&self) -> &Arc<Quarantine> {
        &self.inner.quarantine
    }

    /// The runtimes this host can use.
    pub fn runtimes(&self) -> &RuntimeRegistry {
        &self.inner.registry
    }

    /// Loads the package at `path` with `config` and returns the extension
    /// id. `path` is a package directory, or a sealed archive (a file) that
    /// the host's [`ArchiveOpener`] verifies and unpacks first. Loading an
    /// id that is already loaded replaces it; an id is bound to the package
    /// that first used it in this data dir, so another package declaring it
    /// is refused.
    ///
    /// # Errors
    /// `invalid_package` (also for an id owned by another package, and for
    /// an archive when the host has no opener), `unsigned_package`,
    /// `signature_invalid`, `untrusted_publisher` (from the opener),
    /// `invalid_manifest`, `invalid_params` (config does not match
    /// `config_schema`), `extension_quarantined`, `runtime_unavailable`,
    /// `init_failed`.
    pub async fn load(&self, path: impl AsRef<Path>, config: Value) -> Result<String> {
        let path = path.as_ref();
        if path.is_file() {
            let Some(opener) = &self.inner.archives else {
                return Err(Error::InvalidPackage {
                    reason: format!(
                        "{} is an archive, and this host has no archive opener to verify it \
                         (HostBuilder::with_archive_opener)",
                        path.display()
                    ),
                });
            };
            let opened = opener.open_archive(path)?;
            // The staging directory lives until the runtime has read the entry.
            let loaded = self.load_package(&opened.package, config).await;
            drop(opened.keep_alive);
            return loaded;
        }
        let package = ExtensionPackage::open_dir(path)?;
        self.load_package(&package, config).await
    }

    /// Loads an already opened package.
    ///
    /// # Errors
    /// As [`Host::load`].
    pub async fn load_package(&self, package: &ExtensionPackage, config: Value) -> Result<String> {
        let manifest = package.manifest();
        let config = Arc::new(manifest.validate_config(&config)?);
        self.inner
            .ownership
            .claim(&manifest.extension_id, &package.origin())?;
        // Loading runs the guest's `init`.
        self.inner.quarantine.check(&manifest.extension_id)?;
        let kind = manifest.runtime.as_str();
        let runtime = self.runtime_for(kind)?;
        let info = runtime.info();
        let identity = Arc::new(ExtensionIdentity {
            id: manifest.extension_id.clone(),
            version: manifest.version.to_string(),
            runtime: info.id.clone(),
            manifest_digest: package.manifest_digest().to_owned(),
        });
        let grants = Arc::new(read(&self.inner.policy).effective(
            &manifest.extension_id,
            &manifest.permissions,
            &manifest.allowed_hosts,
            manifest.resource_limits,
        ));
        let request = LoadRequest {
            package,
            config: config.clone(),
            options: &self.inner.options,
            init: InitCall::new(
                self.inner.broker.clone(),
                identity.clone(),
                grants.clone(),
                config.clone(),
            ),
        };
        let runtime = self.isolated(runtime)?;
        let loaded = self.load_guarded(&runtime, request, &grants).await;
        let extension = match loaded {
            Ok(extension) => extension,
            Err(e) => {
                let load_id = uuid::Uuid::new_v4().to_string();
                self.strike(&identity, "init", &load_id, &e).await;
                return Err(e);
            }
        };
        let loaded = Arc::new(Loaded {
            manifest: Arc::new(manifest.clone()),
            identity,
            grants,
            config,
            runtime: info,
            extension,
        });
        let id = manifest.extension_id.clone();
        write(&self.inner.loaded).insert(id.clone(), loaded);
        Ok(id)
    }

    /// Runs `action` of extension `id` with `params`.
    ///
    /// # Errors
    /// `unknown_extension`, `extension_quarantined`, `unknown_action`,
    /// `invalid_params` before the guest runs; then whatever the call ends
    /// with (see [`LoadedExtension::execute`]).
    pub async fn execute(&self, id: &str, action: &str, params: Value) -> Result<Value> {
        self.execute_traced(id, action, params).await.result
    }

    /// Like [`Host::execute`], also returning the call's audit records and logs.
    pub async fn execute_traced(&self, id: &str, action: &str, params: Value) -> Execution {
        self.execute_with(id, action, params, CallOptions::default())
            .await
    }

    /// Like [`Host::execute_traced`], on behalf of `options.caller` and
    /// stopped early when `options.cancel` is cancelled.
    pub async fn execute_with(
        &self,
        id: &str,
        action: &str,
        params: Value,
        options: CallOptions,
    ) -> Execution {
        let loaded = match self
            .get(id)
            .and_then(|l| self.inner.quarantine.check(id).map(|()| l))
        {
            Ok(l) => l,
            Err(e) => return Execution::failed_before_start(e),
        };
        let params = match loaded.manifest.action(action) {
            None => Err(Error::UnknownAction {
                extension: id.to_owned(),
                action: morph_capabilities::truncate_for_message(action, 64),
            }),
            Some(spec) => spec.validate_params(&params),
        };
        let params = match params {
            Ok(p) => p,
            Err(e) => return Execution::failed_before_start(e),
        };
        let ctx = Arc::new(
            self.context(&loaded, CallKind::Execute, action)
                .with_caller(options.caller)
                .with_code_run(options.code_run),
        );
        let call = Call::new(self.inner.broker.clone(), ctx.clone());
        let result = self
            .drive(
                &ctx,
                loaded.extension.execute(call, action, params),
                options.cancel.as_ref(),
            )
            .await
            .and_then(|value| charge_result(&ctx, value));
        let result = match result {
            Err(e) => Err(self.redacted(&ctx, e).await),
            ok => ok,
        };
        let mut audit = ctx.audit_records();
        if let Err(e) = &result {
            audit.extend(
                self.strike(&loaded.identity, action, ctx.call_id(), e)
                    .await,
            );
        }
        Execution {
            call_id: ctx.call_id().to_owned(),
            result,
            audit,
            logs: ctx.logs(),
        }
    }

    /// Runs one guest call to its end: under the deadline backstop and the
    /// panic guard, stopped by `cancel`, and cancelled when the caller drops
    /// this future (a client that went away; the guest may still be running
    /// on a worker).
    pub(crate) async fn drive(
        &self,
        ctx: &Arc<CallContext>,
        fut: impl std::future::Future<Output = Result<Value>>,
        cancel: Option<&tokio_util::sync::CancellationToken>,
    ) -> Result<Value> {
        let abandoned = CancelOnDrop(Some(ctx.clone()));
        let run = guarded(ctx, fut);
        let result = match cancel {
            None => run.await,
            Some(cancel) => tokio::select! {
                result = run => result,
                () = cancel.cancelled() => {
                    ctx.cancel();
                    Err(ctx.cancelled_error())
                }
            },
        };
        abandoned.disarm();
        result
    }

    /// The runtime that loads for `runtime` under this host's isolation: the
    /// process tier (with the language's runtime in its workers) when the
    /// host isolates by process.
    fn isolated(&self, runtime: Arc<dyn MorphRuntime>) -> Result<Arc<dyn MorphRuntime>> {
        match self.inner.options.isolation {
            Some(crate::Isolation::Process) => {
                self.inner
                    .process
                    .clone()
                    .ok_or_else(|| Error::RuntimeUnavailable {
                        reason: "process isolation is not set up on this host \
                                 (HostBuilder::with_process_isolation)"
                            .into(),
                    })
            }
            _ => Ok(runtime),
        }
    }

    /// The runtime for manifests of `runtime: kind`, under this host's
    /// isolation.
    pub(crate) fn runtime_for_load(&self, kind: &str) -> Result<Arc<dyn MorphRuntime>> {
        self.isolated(self.runtime_for(kind)?)
    }

    /// Code mode's kept sandboxes.
    pub(crate) fn code_sandboxes(&self) -> &crate::code::Sandboxes {
        &self.inner.code_sandboxes
    }

    /// The options every load gets.
    pub(crate) fn load_options(&self) -> &LoadOptions {
        &self.inner.options
    }

    /// Runs `runtime.load` under the panic guard and a backstop past the
    /// init deadline (the runtime enforces that deadline itself, after
    /// compiling; the backstop only stops a runtime that hangs).
    pub(crate) async fn load_guarded(
        &self,
        runtime: &Arc<dyn MorphRuntime>,
        request: LoadRequest<'_>,
        grants: &Grants,
    ) -> Result<Arc<dyn LoadedExtension>> {
        let backstop = grants.limits.execution_time() + LOAD_GRACE;
        match tokio::time::timeout(
            backstop,
            AssertUnwindSafe(runtime.load(request)).catch_unwind(),
        )
        .await
        {
            Err(_) => Err(Error::InitFailed(Box::new(Error::limit(
                morph_capabilities::LimitKind::Time,
                "loading did not finish in time",
            )))),
            Ok(Err(_panic)) => Err(Error::internal(
                "the runtime panicked while loading; the extension was not loaded",
            )),
            Ok(Ok(result)) => result,
        }
    }

    /// `error` with the calling extension's vault values taken out of its
    /// message and stack (the same step as audit reasons and log lines:
    /// `morph_capabilities::redact`); unchanged when it held none.
    pub(crate) async fn redacted(&self, ctx: &CallContext, error: Error) -> Error {
        let wire = error.to_wire();
        let message = self.inner.broker.redact(ctx, &wire.message).await;
        let stack = match &wire.stack {
            Some(s) => Some(self.inner.broker.redact(ctx, s).await),
            None => None,
        };
        if message == wire.message && stack == wire.stack {
            return error;
        }
        Error::Relayed(morph_capabilities::WireError {
            code: wire.code,
            message,
            stack,
        })
    }

    /// Delivers `event` to every loaded extension that was granted
    /// `event:listen` and defines `on_event` (never back to its source).
    /// Returns each recipient's id with its outcome (`extension_quarantined`
    /// for a quarantined one, which does not run).
    pub async fn deliver_event(&self, event: &Event) -> Vec<(String, Result<()>)> {
        let recipients: Vec<Arc<Loaded>> = read(&self.inner.loaded)
            .values()
            .filter(|l| {
                l.grants.has(Permission::EventListen)
                    && l.extension.handles_events()
                    && l.identity.id != event.source
            })
            .cloned()
            .collect();
        let mut outcomes = Vec::with_capacity(recipients.len());
        for loaded in recipients {
            if let Err(e) = self.inner.quarantine.check(&loaded.identity.id) {
                outcomes.push((loaded.identity.id.clone(), Err(e)));
                continue;
            }
            let ctx = Arc::new(self.context(&loaded, CallKind::Event, "on_event"));
            let call = Call::new(self.inner.broker.clone(), ctx.clone());
            let outcome = guarded(&ctx, loaded.extension.on_event(call, event.clone())).await;
            if let Err(e) = &outcome {
                self.strike(&loaded.identity, "on_event", ctx.call_id(), e)
                    .await;
            }
            outcomes.push((loaded.identity.id.clone(), outcome));
        }
        outcomes
    }

    /// Unloads extension `id`; its in-flight calls finish on their own.
    ///
    /// # Errors
    /// `unknown_extension`.
    pub fn unload(&self, id: &str) -> Result<()> {
        write(&self.inner.loaded)
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| Error::UnknownExtension { id: id.to_owned() })
    }

    /// Ids of the loaded extensions, sorted.
    pub fn extensions(&self) -> Vec<String> {
        read(&self.inner.loaded).keys().cloned().collect()
    }

    /// The manifest extension `id` was loaded with.
    pub fn manifest(&self, id: &str) -> Option<Arc<Manifest>> {
        read(&self.inner.loaded).get(id).map(|l| l.manifest.clone())
    }

    /// The effective grants of extension `id`.
    pub fn grants(&self, id: &str) -> Option<Arc<Grants>> {
        read(&self.inner.loaded).get(id).map(|l| l.grants.clone())
    }

    /// The identity (version, runtime, manifest digest) of extension `id`.
    pub fn identity(&self, id: &str) -> Option<Arc<ExtensionIdentity>> {
        read(&self.inner.loaded).get(id).map(|l| l.identity.clone())
    }

    /// What runtime runs extension `id`.
    pub fn runtime_of(&self, id: &str) -> Option<RuntimeInfo> {
        read(&self.inner.loaded).get(id).map(|l| l.runtime.clone())
    }

    /// Every loaded action an AI agent may see, as a tool definition
    /// (`blocked` actions are left out).
    pub fn tools(&self) -> Vec<ToolDefinition> {
        read(&self.inner.loaded)
            .values()
            .flat_map(|l| ToolDefinition::for_manifest(&l.manifest))
            .collect()
    }

    /// Counts `error` against the extension when it is a strike, and
    /// returns the `host.quarantine` record when that quarantined it. The
    /// call has failed already: a store that cannot record the strike is
    /// logged, not made the call's error.
    async fn strike(
        &self,
        identity: &Arc<ExtensionIdentity>,
        action: &str,
        call_id: &str,
        error: &Error,
    ) -> Option<AuditRecord> {
        let code = strike_code(error)?;
        let quarantine = self.inner.quarantine.clone();
        if !quarantine.config().is_enabled() {
            return None;
        }
        let (identity, action, call_id) = (identity.clone(), action.to_owned(), call_id.to_owned());
        let recorded = tokio::task::spawn_blocking(move || {
            quarantine.strike(&Strike {
                identity: &identity,
                action: &action,
                call_id: &call_id,
                code,
            })
        })
        .await;
        match recorded {
            Ok(Ok(transition)) => transition.map(|t| {
                tracing::warn!(
                    extension = %t.status.extension,
                    "quarantined: {}", t.status.reason
                );
                t.record
            }),
            Ok(Err(e)) => {
                tracing::error!("cannot record a strike: {e}");
                None
            }
            Err(e) => {
                tracing::error!("recording a strike failed: {e}");
                None
            }
        }
    }

    fn runtime_for(&self, kind: &str) -> Result<Arc<dyn MorphRuntime>> {
        self.inner
            .registry
            .for_kind(kind)
            .ok_or_else(|| Error::RuntimeUnavailable {
                reason: format!(
                    "no runtime for `runtime: {kind}` is linked into this host (available: {})",
                    match self.inner.registry.kinds() {
                        k if k.is_empty() => "none".to_owned(),
                        k => k.join(", "),
                    }
                ),
            })
    }

    fn get(&self, id: &str) -> Result<Arc<Loaded>> {
        read(&self.inner.loaded)
            .get(id)
            .cloned()
            .ok_or_else(|| Error::UnknownExtension {
                id: morph_capabilities::truncate_for_message(id, 64),
            })
    }

    fn context(&self, loaded: &Loaded, kind: CallKind, action: &str) -> CallContext {
        CallContext::new(
            loaded.identity.clone(),
            loaded.grants.clone(),
            loaded.config.clone(),
            kind,
            action,
        )
    }
}

impl Execution {
    fn failed_before_start(error: Error) -> Execution {
        Execution {
            call_id: String::new(),
            result: Err(error),
            audit: Vec::new(),
            logs: Vec::new(),
        }
    }
}

/// Cancels a call's context when dropped armed: the caller stopped
/// waiting before the call ended.
struct CancelOnDrop(Option<Arc<CallContext>>);

impl CancelOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(ctx) = self.0.take() {
            ctx.cancel();
        }
    }
}

/// Runs a runtime future with a panic guard and the deadline backstop.
async fn guarded<T>(
    ctx: &CallContext,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let budget = ctx.remaining() + DEADLINE_GRACE;
    match tokio::time::timeout(budget, AssertUnwindSafe(fut).catch_unwind()).await {
        Err(_) => Err(ctx.timeout_error()),
        Ok(Err(_panic)) => Err(Error::internal(
            "the runtime panicked during this call; the call was abandoned",
        )),
        Ok(Ok(result)) => result,
    }
}

/// Counts the serialised result against `max_output_kb` (logs already count).
pub(crate) fn charge_result(ctx: &CallContext, value: Value) -> Result<Value> {
    let size = serde_json::to_vec(&value)
        .map_err(|e| Error::internal(format!("serialising the result: {e}")))?
        .len();
    ctx.charge_output(size)?;
    Ok(value)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
