//! Per-call state: who is calling, what they were granted, and what is left.
//!
//! The host creates one [`CallContext`] for each `execute` (and for `init` and
//! `on_event`); runtimes receive it inside a [`crate::Call`] and cannot build
//! their own grants. **Grants are fixed when the extension is loaded, from the
//! manifest that was approved, intersected with the host policy**: nothing the
//! guest does during a call widens them.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::audit::AuditRecord;
use crate::error::{Error, LimitKind, QuotaKind, Result};
use crate::http::allowlist::HostPattern;
use crate::limits::ResourceLimits;
use crate::permission::{Permission, PermissionSet};

/// The identity of a loaded extension, stamped on every audit record and event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExtensionIdentity {
    /// `extension_id` from the manifest.
    pub id: String,
    /// Its version.
    pub version: String,
    /// The id of the runtime that runs it (e.g. `wasm`, `js`).
    pub runtime: String,
    /// SHA-256 (hex) of the manifest bytes that were approved.
    pub manifest_digest: String,
}

/// What an extension may do: effective permissions, hosts and limits.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// Manifest permissions ∩ host policy.
    pub permissions: PermissionSet,
    /// Parsed `allowed_hosts` (after host policy).
    pub allowed_hosts: Vec<HostPattern>,
    /// The extension's limits.
    pub limits: ResourceLimits,
}

impl Grants {
    /// Whether `p` was granted.
    pub fn has(&self, p: Permission) -> bool {
        self.permissions.contains(p)
    }
}

/// The kind of entry point a call runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// The guest's `init(config)`.
    Init,
    /// The guest's `execute(action, params)`.
    Execute,
    /// The guest's `on_event(event)`.
    Event,
}

/// Where an invocation stands against the per-call capability budget
/// ([`CallContext::take_capability_call`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapabilityBudget {
    /// Within the budget: go on.
    Within,
    /// The first invocation past it: refused and audited as denied.
    JustSpent,
    /// A later one: refused without an audit record, so a guest that keeps
    /// calling cannot grow the audit log.
    Spent,
}

/// One line the guest logged during a call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogLine {
    /// `debug`, `info`, `warn` or `error`.
    pub level: String,
    /// The message.
    pub message: String,
}

/// State of one call. Created by the host; shared by the runtime and the broker.
#[derive(Debug)]
pub struct CallContext {
    extension: Arc<ExtensionIdentity>,
    grants: Arc<Grants>,
    config: Arc<serde_json::Value>,
    kind: CallKind,
    action: String,
    call_id: String,
    started: Instant,
    deadline: Instant,
    http_requests: AtomicU32,
    events: AtomicU32,
    capability_calls: AtomicU32,
    output_bytes: AtomicU64,
    logs: Mutex<Vec<LogLine>>,
    audit: Mutex<Vec<AuditRecord>>,
    /// The extension's vault values, once the call had text to clean.
    redactor: Mutex<Option<Arc<crate::redact::Redactor>>>,
    /// Who asked for the call (an API token's name, an MCP client), as the
    /// audit records name it.
    caller: Option<String>,
    /// The code run this call is, or was called from (its id).
    code_run: Option<String>,
    /// Where a code run's `tools.call` goes; `None` for every extension.
    tools: Option<Arc<dyn crate::tools::ToolGateway>>,
    /// Set once by [`CallContext::cancel`].
    cancelled: AtomicBool,
    /// Wakes [`CallContext::cancelled`] waiters.
    cancel_wake: tokio::sync::Notify,
    /// What the runtime asked to be told of a cancellation
    /// ([`CallContext::on_cancel`]).
    cancel_hooks: Mutex<CancelHooks>,
}

/// A runtime's hook run once when its call is cancelled.
type CancelHook = Box<dyn FnOnce() + Send>;

/// The hooks [`CallContext::cancel`] runs (`Debug` without their closures).
#[derive(Default)]
struct CancelHooks(Vec<CancelHook>);

impl std::fmt::Debug for CancelHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} cancel hook(s)", self.0.len())
    }
}

impl CallContext {
    /// Starts a call now; the deadline is `now + limits.max_execution_ms`.
    pub fn new(
        extension: Arc<ExtensionIdentity>,
        grants: Arc<Grants>,
        config: Arc<serde_json::Value>,
        kind: CallKind,
        action: impl Into<String>,
    ) -> CallContext {
        let started = Instant::now();
        let deadline = started + grants.limits.execution_time();
        CallContext {
            extension,
            grants,
            config,
            kind,
            action: action.into(),
            call_id: uuid::Uuid::new_v4().to_string(),
            started,
            deadline,
            http_requests: AtomicU32::new(0),
            events: AtomicU32::new(0),
            capability_calls: AtomicU32::new(0),
            output_bytes: AtomicU64::new(0),
            logs: Mutex::new(Vec::new()),
            audit: Mutex::new(Vec::new()),
            redactor: Mutex::new(None),
            caller: None,
            code_run: None,
            tools: None,
            cancelled: AtomicBool::new(false),
            cancel_wake: tokio::sync::Notify::new(),
            cancel_hooks: Mutex::new(CancelHooks::default()),
        }
    }

    /// Names the caller behind this call in its audit records.
    #[must_use]
    pub fn with_caller(mut self, caller: Option<String>) -> CallContext {
        self.caller = caller;
        self
    }

    /// The caller named in this call's audit records, if the host was told.
    pub fn caller(&self) -> Option<&str> {
        self.caller.as_deref()
    }

    /// Names the code run this call is (or was called from) in its audit
    /// records.
    #[must_use]
    pub fn with_code_run(mut self, code_run: Option<String>) -> CallContext {
        self.code_run = code_run;
        self
    }

    /// The code run named in this call's audit records.
    pub fn code_run(&self) -> Option<&str> {
        self.code_run.as_deref()
    }

    /// Lets this call use `tools.call` through `gateway`: only the host's
    /// code runs get one.
    #[must_use]
    pub fn with_tools(mut self, gateway: Arc<dyn crate::tools::ToolGateway>) -> CallContext {
        self.tools = Some(gateway);
        self
    }

    /// The gateway of `tools.call`, for a code run.
    pub fn tools(&self) -> Option<&Arc<dyn crate::tools::ToolGateway>> {
        self.tools.as_ref()
    }

    /// Cancels the call: it ends with `cancelled` the way a call past its
    /// deadline ends with `timeout`, a capability call in flight is
    /// abandoned, no capability call runs after this one, and the hooks the
    /// runtime registered with [`CallContext::on_cancel`] run (once, here,
    /// on the caller's thread) to stop the guest the way its deadline would.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.cancel_wake.notify_waiters();
        // Taken under the lock, run outside it: a hook may take locks of its
        // own (a watchdog's), never this one.
        let hooks = std::mem::take(&mut lock(&self.cancel_hooks).0);
        for hook in hooks {
            hook();
        }
    }

    /// Tells the runtime running this call of its cancellation: `hook` runs
    /// once when [`CallContext::cancel`] is called, at once (on this thread)
    /// when the call is cancelled already, and never otherwise (dropped with
    /// the context). It runs on the canceller's thread, so it must be quick
    /// and must not block on the guest; and it may run after the guest call
    /// it was registered for has ended, so it must then do nothing (a
    /// watchdog keys what it stops by the id it armed, and an id disarmed is
    /// never armed again).
    pub fn on_cancel(&self, hook: Box<dyn FnOnce() + Send>) {
        let mut hooks = lock(&self.cancel_hooks);
        // Checked under the lock `cancel` takes after setting the flag: a
        // hook is either taken by `cancel` or sees the flag here.
        if self.is_cancelled() {
            drop(hooks);
            hook();
        } else {
            hooks.0.push(hook);
        }
    }

    /// Whether [`CallContext::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves once the call is cancelled (at once when it already is).
    pub async fn cancelled(&self) {
        loop {
            let notified = self.cancel_wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }

    /// The error a cancelled call ends with.
    pub fn cancelled_error(&self) -> Error {
        Error::Cancelled {
            reason: "the caller cancelled the call; it was stopped as at its deadline".to_owned(),
        }
    }

    /// The redactor this call built, if it built one and has not written to
    /// the vault since.
    pub(crate) fn redactor(&self) -> Option<Arc<crate::redact::Redactor>> {
        lock(&self.redactor).clone()
    }

    /// Keeps `redactor` for the rest of the call (`None`: forget it, after a
    /// vault write).
    pub(crate) fn set_redactor(&self, redactor: Option<Arc<crate::redact::Redactor>>) {
        *lock(&self.redactor) = redactor;
    }

    /// The calling extension.
    pub fn extension(&self) -> &ExtensionIdentity {
        &self.extension
    }

    /// What it was granted.
    pub fn grants(&self) -> &Grants {
        &self.grants
    }

    /// Its limits.
    pub fn limits(&self) -> &ResourceLimits {
        &self.grants.limits
    }

    /// The host-supplied, schema-validated config.
    pub fn config(&self) -> &serde_json::Value {
        &self.config
    }

    /// Init, execute or event.
    pub fn kind(&self) -> CallKind {
        self.kind
    }

    /// The action name (`init` / `on_event` for those kinds).
    pub fn action(&self) -> &str {
        &self.action
    }

    /// A unique id for this call (UUID v4).
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// When the call started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// When the call must be over.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Time left before the deadline (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// `Err(timeout)` once the deadline has passed.
    ///
    /// # Errors
    /// [`Error::Limit`] with [`LimitKind::Time`].
    pub fn check_deadline(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(self.cancelled_error())
        } else if Instant::now() >= self.deadline {
            Err(self.timeout_error())
        } else {
            Ok(())
        }
    }

    /// The error a call the runtime stopped at its deadline or on
    /// cancellation ends with: `cancelled` once the call is cancelled (the
    /// runtime's deadline machinery also stops a cancelled guest), else
    /// `timeout` ([`CallContext::timeout_error`]).
    pub fn stopped_error(&self) -> Error {
        if self.is_cancelled() {
            self.cancelled_error()
        } else {
            self.timeout_error()
        }
    }

    /// The error a call past its deadline ends with.
    pub fn timeout_error(&self) -> Error {
        Error::limit(
            LimitKind::Time,
            format!(
                "call exceeded max_execution_ms = {}",
                self.grants.limits.max_execution_ms
            ),
        )
    }

    /// Takes one HTTP request from the per-call budget.
    ///
    /// # Errors
    /// `rate_limited` once `max_http_requests` are spent.
    pub fn take_http_request(&self) -> Result<()> {
        let max = self.grants.limits.max_http_requests;
        let prev = self
            .http_requests
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            });
        prev.map(|_| ()).map_err(|_| {
            Error::limit(
                LimitKind::HttpRequests,
                format!("max_http_requests = {max} reached for this call"),
            )
        })
    }

    /// Takes one event from the per-call `max_events` quota.
    ///
    /// # Errors
    /// `quota_exceeded` once `max_events` are emitted.
    pub fn take_event(&self) -> Result<()> {
        let max = self.grants.limits.max_events;
        self.events
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .map(|_| ())
            .map_err(|_| {
                Error::quota(
                    "events.emit",
                    QuotaKind::Events,
                    format!("max_events = {max} emitted in this call"),
                )
            })
    }

    /// Capability invocations one call may make, allowed or not. Each one
    /// writes an audit record (one fsync with the file sink), so without a
    /// cap a guest looping on a cheap capability for its whole deadline
    /// could add millions of records to the audit log per call.
    pub const MAX_CAPABILITY_CALLS: u32 = 10_000;

    /// Counts one capability invocation against
    /// [`MAX_CAPABILITY_CALLS`](Self::MAX_CAPABILITY_CALLS).
    pub fn take_capability_call(&self) -> CapabilityBudget {
        let prev = self
            .capability_calls
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(1))
            })
            .unwrap_or(u32::MAX);
        match prev.cmp(&Self::MAX_CAPABILITY_CALLS) {
            std::cmp::Ordering::Less => CapabilityBudget::Within,
            std::cmp::Ordering::Equal => CapabilityBudget::JustSpent,
            std::cmp::Ordering::Greater => CapabilityBudget::Spent,
        }
    }

    /// The error an invocation past
    /// [`MAX_CAPABILITY_CALLS`](Self::MAX_CAPABILITY_CALLS) gets.
    pub fn capability_calls_error(&self) -> Error {
        Error::limit(
            LimitKind::CapabilityCalls,
            format!(
                "{} capability calls made in this call; no more are allowed",
                Self::MAX_CAPABILITY_CALLS
            ),
        )
    }

    /// HTTP requests made so far.
    pub fn http_requests(&self) -> u32 {
        self.http_requests.load(Ordering::SeqCst)
    }

    /// Counts `bytes` of output (logs, result) against `max_output_kb`.
    ///
    /// # Errors
    /// `output_too_large` when the total would pass the limit; nothing is
    /// counted then.
    pub fn charge_output(&self, bytes: usize) -> Result<()> {
        let max = self.grants.limits.output_bytes();
        let bytes = bytes as u64;
        self.output_bytes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                n.checked_add(bytes).filter(|&t| t <= max)
            })
            .map(|_| ())
            .map_err(|_| {
                Error::limit(
                    LimitKind::Output,
                    format!(
                        "output exceeds max_output_kb = {}",
                        self.grants.limits.max_output_kb
                    ),
                )
            })
    }

    /// Output bytes counted so far.
    pub fn output_bytes(&self) -> u64 {
        self.output_bytes.load(Ordering::SeqCst)
    }

    /// Output bytes still allowed.
    pub fn output_left(&self) -> u64 {
        self.grants
            .limits
            .output_bytes()
            .saturating_sub(self.output_bytes())
    }

    pub(crate) fn push_log(&self, line: LogLine) {
        lock(&self.logs).push(line);
    }

    /// The lines logged during this call.
    pub fn logs(&self) -> Vec<LogLine> {
        lock(&self.logs).clone()
    }

    pub(crate) fn push_audit(&self, record: AuditRecord) {
        lock(&self.audit).push(record);
    }

    /// The audit records written for this call, in order.
    pub fn audit_records(&self) -> Vec<AuditRecord> {
        lock(&self.audit).clone()
    }
}

/// Locks a mutex whose data stays valid even if a holder panicked (the data
/// here are append-only vectors).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn context() -> CallContext {
        let identity = ExtensionIdentity {
            id: "ext".into(),
            version: "1.0.0".into(),
            runtime: "test".into(),
            manifest_digest: String::new(),
        };
        CallContext::new(
            Arc::new(identity),
            Arc::new(Grants::default()),
            Arc::new(serde_json::Value::Null),
            CallKind::Execute,
            "run",
        )
    }

    fn counting(count: &Arc<AtomicUsize>) -> CancelHook {
        let count = count.clone();
        Box::new(move || {
            count.fetch_add(1, Ordering::SeqCst);
        })
    }

    #[test]
    fn cancel_hooks_run_once_and_at_once_when_already_cancelled() {
        let ctx = context();
        let ran = Arc::new(AtomicUsize::new(0));
        ctx.on_cancel(counting(&ran));
        ctx.on_cancel(counting(&ran));
        assert_eq!(ran.load(Ordering::SeqCst), 0, "not before the cancel");
        ctx.cancel();
        assert_eq!(ran.load(Ordering::SeqCst), 2);
        ctx.cancel();
        assert_eq!(ran.load(Ordering::SeqCst), 2, "each hook runs once");
        ctx.on_cancel(counting(&ran));
        assert_eq!(ran.load(Ordering::SeqCst), 3, "a late hook runs at once");
        assert_eq!(ctx.stopped_error().code(), crate::ErrorCode::Cancelled);
        assert_eq!(
            ctx.check_deadline().unwrap_err().code(),
            crate::ErrorCode::Cancelled
        );
    }

    #[test]
    fn a_call_never_cancelled_never_runs_its_hooks() {
        let ran = Arc::new(AtomicUsize::new(0));
        let ctx = context();
        ctx.on_cancel(counting(&ran));
        assert_eq!(ctx.stopped_error().code(), crate::ErrorCode::Timeout);
        drop(ctx);
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }
}
