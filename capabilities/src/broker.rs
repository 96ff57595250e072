//! The capability broker: the one place a guest's request becomes an effect.
//!
//! [`CapabilityBroker::invoke`] runs the same steps for every runtime (brief
//! section 5): resolve the capability, check the effective grants, check the
//! call's budgets, run the provider with the time left, write one audit record
//! (allowed or denied) and return. **Only the broker grants a capability**;
//! **one call makes at most [`CallContext::MAX_CAPABILITY_CALLS`]
//! invocations**, the first refused one audited and later ones not, so a
//! guest cannot flood the audit log;
//! **a malformed request is the guest's `invalid_request`, never the
//! caller's `invalid_params`** (see `request.rs`);
//! **a call whose audit record cannot be written fails**; **a panicking
//! provider fails only its own call**.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::audit::{AuditEntry, AuditSink, Decision, Phase};
use crate::call::{CallContext, CapabilityBudget, LogLine};
use crate::capability::Capability;
use crate::content::{check_len, decode_content, encode_bytes};
use crate::error::{Error, ErrorCode, Result, truncate_for_message};
use crate::providers::Providers;
use crate::providers::events::{EmitRequest, Event, MAX_EVENT_DATA_BYTES, MAX_EVENT_MESSAGE_BYTES};
use crate::providers::files::{FsList, FsPath, FsWrite, MAX_PATH_BYTES};
use crate::providers::http::HttpRequest;
use crate::providers::log::{LogRequest, normalise_level};
use crate::providers::tasks::{NewTask, TaskId, TaskPatch, TaskQuery};
use crate::providers::vault::{MAX_VAULT_KEY_BYTES, MAX_VAULT_VALUE_BYTES, VaultGet, VaultSet};
use crate::redact::Redactor;
use crate::request::{self, parse};

/// Hard cap on one capability request's JSON, whatever the limits say.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// The longest tool name a `tools.call` request may carry.
const MAX_TOOL_NAME_BYTES: usize = 512;

/// Free space kept on the audit log's volume by default: below it, calls with
/// an effect are refused, so that the records of what runs still fit.
pub const DEFAULT_AUDIT_RESERVE_BYTES: u64 = 32 * 1024 * 1024;

/// Dispatches capability calls to providers under the caller's grants.
pub struct CapabilityBroker {
    providers: Providers,
    audit: Arc<dyn AuditSink>,
    audit_reserve: u64,
}

impl std::fmt::Debug for CapabilityBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapabilityBroker")
            .field("providers", &self.providers)
            .finish_non_exhaustive()
    }
}

impl CapabilityBroker {
    /// A broker over `providers`, auditing into `audit`.
    pub fn new(providers: Providers, audit: Arc<dyn AuditSink>) -> CapabilityBroker {
        CapabilityBroker {
            providers,
            audit,
            audit_reserve: DEFAULT_AUDIT_RESERVE_BYTES,
        }
    }

    /// Keeps `bytes` free on the audit log's volume
    /// ([`DEFAULT_AUDIT_RESERVE_BYTES`] by default; 0 turns the check off):
    /// **below it, effects are refused, never records** (`io`, audited).
    pub fn with_audit_reserve(mut self, bytes: u64) -> CapabilityBroker {
        self.audit_reserve = bytes;
        self
    }

    /// `text` without the calling extension's vault values, in any of the
    /// forms of [`crate::redact`]: every audit reason, log line and call
    /// error passes here. The values are read once per call (and again after
    /// the call writes to the vault); a vault that cannot be read leaves
    /// nothing to redact that the call could have read either.
    pub async fn redact(&self, ctx: &CallContext, text: &str) -> String {
        let redactor = match ctx.redactor() {
            Some(r) => r,
            None => {
                let values = self
                    .providers
                    .vault
                    .values(&ctx.extension().id)
                    .await
                    .unwrap_or_default();
                let r = Arc::new(Redactor::new(
                    values.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                ));
                ctx.set_redactor(Some(r.clone()));
                r
            }
        };
        redactor.redact(text).into_owned()
    }

    /// Makes every audit record written so far durable (records of calls
    /// without an effect and outcomes are batched until the next intent):
    /// call it before a process that made calls exits.
    ///
    /// # Errors
    /// `io` when the log cannot be synced.
    pub fn flush_audit(&self) -> Result<()> {
        self.audit.flush()
    }

    /// The audit log every record of this broker goes to: where a host
    /// records the changes its operator makes (`AuditEntry::host_change`).
    pub fn audit_sink(&self) -> &Arc<dyn AuditSink> {
        &self.audit
    }

    /// The providers every capability call reaches.
    pub fn providers(&self) -> &Providers {
        &self.providers
    }

    /// Invokes `capability` (a wire name) with a JSON `request` for `ctx`.
    ///
    /// # Errors
    /// `unknown_capability`, `invalid_request`, `permission_denied`,
    /// `host_not_allowed`, `rate_limited`, `timeout`, `output_too_large`
    /// (refusals, audited as denied), the provider's error (audited as
    /// allowed), or `io` when the audit record cannot be written.
    pub async fn invoke(
        &self,
        ctx: &CallContext,
        capability: &str,
        request: Value,
    ) -> Result<Value> {
        self.audited(ctx, capability, Ok(request)).await
    }

    /// Like [`CapabilityBroker::invoke`] for a request still in bytes, as
    /// runtimes receive it from a guest: the size is checked before parsing.
    ///
    /// # Errors
    /// As [`CapabilityBroker::invoke`]; `invalid_request` for oversize or
    /// malformed JSON (audited as denied).
    pub async fn invoke_bytes(
        &self,
        ctx: &CallContext,
        capability: &str,
        request: &[u8],
    ) -> Result<Value> {
        let parsed = if request.len() > MAX_REQUEST_BYTES {
            Err(Error::params(
                "request",
                format!("larger than {MAX_REQUEST_BYTES} bytes"),
            ))
        } else {
            serde_json::from_slice::<Value>(request)
                .map_err(|e| Error::params("request", format!("not JSON: {e}")))
        };
        self.audited(ctx, capability, parsed).await
    }

    /// Runs one capability call between its audit records: for a call with
    /// an effect, a durable intent before and an outcome after; otherwise
    /// one record (see `audit::record`).
    async fn audited(
        &self,
        ctx: &CallContext,
        capability: &str,
        request: Result<Value>,
    ) -> Result<Value> {
        let started = Instant::now();
        let budget = ctx.take_capability_call();
        if budget == CapabilityBudget::Spent {
            return Err(ctx.capability_calls_error());
        }
        let runnable = match (Capability::from_wire(capability), request) {
            _ if budget == CapabilityBudget::JustSpent => Err(ctx.capability_calls_error()),
            (None, _) => Err(Error::UnknownCapability {
                name: truncate_for_message(capability, 64),
            }),
            (Some(_), Err(e)) => Err(e),
            (Some(cap), Ok(request)) => ctx
                .check_deadline()
                .and_then(|()| fixed_permission(ctx, cap))
                .map(|()| (cap, request)),
        };
        let entry = |outcome: &Result<Value>, reason: Option<String>| {
            let (decision, code) = match outcome {
                Ok(_) => (Decision::Allowed, "ok".to_owned()),
                Err(e) => (
                    if is_refusal(e.code()) {
                        Decision::Denied
                    } else {
                        Decision::Allowed
                    },
                    e.code().as_str().to_owned(),
                ),
            };
            self.entry(ctx, capability, decision, code, reason, started)
        };
        let (cap, request) = match runnable {
            Ok(runnable) => runnable,
            Err(e) => {
                let outcome = Err(request::guest_fault(e, capability));
                let reason = self.reason(ctx, &outcome).await;
                self.record(ctx, entry(&outcome, reason), false)?;
                return outcome;
            }
        };
        let effect = Effect {
            broker: self,
            ctx,
            capability,
            digest: cap.has_effect().then(|| request_digest(cap, &request)),
            started,
            intent: std::sync::Mutex::new(None),
        };
        let outcome = self
            .dispatch(ctx, cap, request, &effect)
            .await
            .map_err(|e| request::guest_fault(e, capability));
        if cap == Capability::VaultSet && outcome.is_ok() {
            ctx.set_redactor(None);
        }
        let reason = self.reason(ctx, &outcome).await;
        let mut done = entry(&outcome, reason);
        if let Some(seq) = effect.intent_seq() {
            done.phase = Some(Phase::Outcome);
            done.intent_seq = Some(seq);
        }
        self.record(ctx, done, false)?;
        outcome
    }

    /// Refuses an effect while the audit log's volume has less free space
    /// than the reserve.
    fn check_reserve(&self) -> Result<()> {
        match self.audit.free_bytes() {
            Some(free) if free < self.audit_reserve => Err(Error::io(
                "checking the audit log's volume",
                std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    format!(
                        "{} KiB free, below the {} KiB kept for audit records: \
                         calls with an effect are refused until space is freed",
                        free / 1024,
                        self.audit_reserve / 1024
                    ),
                ),
            )),
            _ => Ok(()),
        }
    }

    /// An audit record's reason for `outcome`: the error's message, redacted
    /// and bounded.
    async fn reason(&self, ctx: &CallContext, outcome: &Result<Value>) -> Option<String> {
        match outcome {
            Ok(_) => None,
            Err(e) => Some(truncate_for_message(
                &self.redact(ctx, &e.to_string()).await,
                512,
            )),
        }
    }

    /// The audit entry of this call of `capability`.
    fn entry(
        &self,
        ctx: &CallContext,
        capability: &str,
        decision: Decision,
        outcome: String,
        reason: Option<String>,
        started: Instant,
    ) -> AuditEntry {
        let ext = ctx.extension();
        AuditEntry {
            ts_ms: now_ms(),
            extension: ext.id.clone(),
            version: ext.version.clone(),
            runtime: ext.runtime.clone(),
            action: ctx.action().to_owned(),
            call_id: ctx.call_id().to_owned(),
            capability: truncate_for_message(capability, 64),
            decision,
            outcome,
            reason,
            duration_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            phase: None,
            request_digest: None,
            intent_seq: None,
            caller: ctx.caller().map(str::to_owned),
            code_run: ctx.code_run().map(str::to_owned),
        }
    }

    /// Appends `entry` (synced now when `durable`), keeps the record on the
    /// call, and returns its sequence number. **A record that cannot be
    /// written fails the call**; for an intent, before the effect.
    fn record(&self, ctx: &CallContext, entry: AuditEntry, durable: bool) -> Result<u64> {
        let appended = if durable {
            self.audit.append(entry)
        } else {
            self.audit.append_batched(entry)
        };
        match appended {
            Ok(record) => {
                let seq = record.seq;
                ctx.push_audit(record);
                Ok(seq)
            }
            Err(e) => Err(Error::io(
                if durable {
                    "writing the audit intent; nothing was done"
                } else {
                    "writing the audit record; the capability call is refused"
                },
                std::io::Error::other(e.to_string()),
            )),
        }
    }

    async fn dispatch(
        &self,
        ctx: &CallContext,
        cap: Capability,
        request: Value,
        effect: &Effect<'_>,
    ) -> Result<Value> {
        let ns = ctx.extension().id.as_str();
        let p = &self.providers;
        let run = async {
            match cap {
                Capability::HttpFetch => {
                    let req: HttpRequest = parse(cap, request)?;
                    to_json(crate::http::fetch::fetch(p, ctx, req, &|| effect.begin()).await?)
                }
                Capability::VaultGet => {
                    let req: VaultGet = parse(cap, request)?;
                    check_len("key", &req.key, 1, MAX_VAULT_KEY_BYTES)?;
                    Ok(json!({ "value": p.vault.get(ns, &req.key).await? }))
                }
                Capability::VaultSet => {
                    let req: VaultSet = parse(cap, request)?;
                    check_len("key", &req.key, 1, MAX_VAULT_KEY_BYTES)?;
                    check_len("value", &req.value, 0, MAX_VAULT_VALUE_BYTES)?;
                    let max = ctx.limits().max_vault_entries;
                    effect.begin()?;
                    p.vault.set_within(ns, &req.key, &req.value, max).await?;
                    Ok(Value::Null)
                }
                Capability::EventsEmit => {
                    let req: EmitRequest = parse(cap, request)?;
                    let level = level(req.level.as_deref())?;
                    check_len("message", &req.message, 0, MAX_EVENT_MESSAGE_BYTES)?;
                    let data = req.data.unwrap_or(Value::Null);
                    if serde_json::to_vec(&data).map_or(true, |b| b.len() > MAX_EVENT_DATA_BYTES) {
                        return Err(Error::params("data", "event data too large"));
                    }
                    ctx.take_event()?;
                    effect.begin()?;
                    p.events
                        .emit(Event {
                            source: ns.to_owned(),
                            level: level.to_owned(),
                            message: req.message,
                            data,
                            ts_ms: now_ms(),
                        })
                        .await?;
                    Ok(Value::Null)
                }
                Capability::FsRead => {
                    let req: FsPath = parse(cap, request)?;
                    check_len("path", &req.path, 1, MAX_PATH_BYTES)?;
                    let bytes = p
                        .files
                        .read(ns, &req.path, ctx.limits().file_bytes())
                        .await?;
                    Ok(encode_content(bytes))
                }
                Capability::FsWrite => {
                    let req: FsWrite = parse(cap, request)?;
                    check_len("path", &req.path, 1, MAX_PATH_BYTES)?;
                    let bytes = decode_content(req.content, req.encoding)?;
                    effect.begin()?;
                    p.files
                        .write(
                            ns,
                            &req.path,
                            bytes,
                            crate::providers::files::FileQuota::of(ctx.limits()),
                        )
                        .await?;
                    Ok(Value::Null)
                }
                Capability::FsList => {
                    let req: FsList = parse(cap, request)?;
                    if let Some(path) = &req.path {
                        check_len("path", path, 0, MAX_PATH_BYTES)?;
                    }
                    Ok(json!({ "entries": p.files.list(ns, req.path.as_deref()).await? }))
                }
                Capability::FsDelete => {
                    let req: FsPath = parse(cap, request)?;
                    check_len("path", &req.path, 1, MAX_PATH_BYTES)?;
                    effect.begin()?;
                    p.files.delete(ns, &req.path).await?;
                    Ok(Value::Null)
                }
                Capability::DataCreateTask => {
                    let req: NewTask = parse(cap, request)?;
                    effect.begin()?;
                    to_json(p.tasks.create(ns, req, ctx.limits().max_tasks).await?)
                }
                Capability::DataGetTask => {
                    let req: TaskId = parse(cap, request)?;
                    let task = p.tasks.get(ns, req.id).await?;
                    task.map_or_else(|| Err(not_found(cap, req.id)), to_json)
                }
                Capability::DataListTasks => {
                    let req: TaskQuery = parse(cap, request)?;
                    Ok(json!({ "tasks": p.tasks.list(ns, req).await? }))
                }
                Capability::DataUpdateTask => {
                    let req: TaskPatch = parse(cap, request)?;
                    let id = req.id;
                    effect.begin()?;
                    let task = p.tasks.update(ns, req).await?;
                    task.map_or_else(|| Err(not_found(cap, id)), to_json)
                }
                Capability::Log => {
                    let req: LogRequest = parse(cap, request)?;
                    let level = level(req.level.as_deref())?;
                    ctx.charge_output(req.message.len())?;
                    let line = LogLine {
                        level: level.to_owned(),
                        message: self.redact(ctx, &req.message).await,
                    };
                    p.log.log(ctx.extension(), &line);
                    ctx.push_log(line);
                    Ok(Value::Null)
                }
                Capability::Config => Ok(ctx.config().clone()),
                Capability::ToolsCall => {
                    let req: crate::tools::ToolCallRequest = parse(cap, request)?;
                    check_len("tool", &req.tool, 1, MAX_TOOL_NAME_BYTES)?;
                    let Some(gateway) = ctx.tools() else {
                        return Err(Error::PermissionDenied {
                            capability: cap.wire_name().to_owned(),
                            permission: "a code run (only programs run by `run_code` call tools)"
                                .to_owned(),
                        });
                    };
                    gateway.call(ctx, req).await
                }
            }
        };
        let guarded = AssertUnwindSafe(run).catch_unwind();
        let timed = tokio::time::timeout(ctx.remaining(), guarded);
        let ended = tokio::select! {
            ended = timed => ended,
            () = ctx.cancelled() => return Err(ctx.cancelled_error()),
        };
        match ended {
            Err(_) => Err(ctx.timeout_error()),
            Ok(Err(_panic)) => Err(Error::capability(
                cap.wire_name(),
                "the provider panicked; the call was abandoned",
            )),
            Ok(Ok(result)) => result,
        }
    }
}

/// Carries a call's capability requests to the broker of another process:
/// how a process-isolation worker reaches the one broker, which stays in the
/// host with the audit log and every provider.
///
/// **A relay decides nothing**: it hands the request, still in bytes, to the
/// host, which runs it through its broker under the host's own
/// [`CallContext`] for that call.
pub trait CapabilityRelay: Send + Sync + std::fmt::Debug {
    /// Sends `request` (JSON bytes) for `capability` on behalf of the call
    /// `ctx` mirrors, and waits for the host's answer.
    fn relay<'a>(
        &'a self,
        ctx: &'a CallContext,
        capability: &'a str,
        request: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = Result<Value>> + Send + 'a>>;
}

/// Where a call's capability requests go.
#[derive(Debug, Clone)]
pub enum CallRoute {
    /// This process's broker (the host).
    Broker(Arc<CapabilityBroker>),
    /// The host's broker, through a relay (a process-isolation worker).
    Relay(Arc<dyn CapabilityRelay>),
}

/// A handle on the broker for one call: what a runtime holds while a guest runs.
///
/// **A runtime reaches capabilities only through this handle**, which carries
/// the host-made [`CallContext`]: it cannot pick its own grants or limits.
#[derive(Debug, Clone)]
pub struct Call {
    route: CallRoute,
    ctx: Arc<CallContext>,
}

impl Call {
    /// Binds `ctx` to `broker`. Only the host should create calls.
    pub fn new(broker: Arc<CapabilityBroker>, ctx: Arc<CallContext>) -> Call {
        Call {
            route: CallRoute::Broker(broker),
            ctx,
        }
    }

    /// Binds `ctx` to `route` (a worker process binds its mirror of the
    /// host's context to a relay).
    pub fn routed(route: CallRoute, ctx: Arc<CallContext>) -> Call {
        Call { route, ctx }
    }

    /// The call's context (identity, grants, deadline, counters).
    pub fn context(&self) -> &CallContext {
        &self.ctx
    }

    /// Where this call's capability requests go.
    pub fn route(&self) -> &CallRoute {
        &self.route
    }

    /// Invokes a capability for this call.
    ///
    /// # Errors
    /// See [`CapabilityBroker::invoke`].
    pub async fn invoke(&self, capability: &str, request: Value) -> Result<Value> {
        match &self.route {
            CallRoute::Broker(broker) => broker.invoke(&self.ctx, capability, request).await,
            CallRoute::Relay(relay) => {
                let bytes = serde_json::to_vec(&request).map_err(|e| {
                    let capability = truncate_for_message(capability, 64);
                    Error::request(capability, "request", e.to_string())
                })?;
                relay.relay(&self.ctx, capability, bytes).await
            }
        }
    }

    /// Invokes a capability with a request still in bytes.
    ///
    /// # Errors
    /// See [`CapabilityBroker::invoke_bytes`].
    pub async fn invoke_bytes(&self, capability: &str, request: &[u8]) -> Result<Value> {
        match &self.route {
            CallRoute::Broker(broker) => broker.invoke_bytes(&self.ctx, capability, request).await,
            CallRoute::Relay(relay) => {
                if request.len() > MAX_REQUEST_BYTES {
                    return Err(Error::request(
                        truncate_for_message(capability, 64),
                        "request",
                        format!("larger than {MAX_REQUEST_BYTES} bytes"),
                    ));
                }
                relay.relay(&self.ctx, capability, request.to_vec()).await
            }
        }
    }
}

/// Codes that mean "the broker refused before any provider ran".
/// The audit intent of one call with an effect, written (durably, after
/// the reserve check) by the first [`Effect::begin`]: the dispatch calls it
/// right before the provider acts, after every check that needs no effect,
/// so a refusal stays one record.
struct Effect<'a> {
    broker: &'a CapabilityBroker,
    ctx: &'a CallContext,
    capability: &'a str,
    /// The request's digest; `None` for a capability without an effect.
    digest: Option<String>,
    started: Instant,
    intent: std::sync::Mutex<Option<u64>>,
}

impl Effect<'_> {
    /// Makes the intent durable, once; fails (and nothing may happen) when
    /// the audit volume is below its reserve or the intent cannot be written.
    fn begin(&self) -> Result<()> {
        let mut intent = crate::call::lock(&self.intent);
        if intent.is_some() {
            return Ok(());
        }
        let Some(digest) = &self.digest else {
            return Err(Error::internal(format!(
                "`{}` is not declared as a capability with an effect",
                self.capability
            )));
        };
        self.broker.check_reserve()?;
        let entry = AuditEntry {
            phase: Some(Phase::Intent),
            request_digest: Some(digest.clone()),
            ..self.broker.entry(
                self.ctx,
                self.capability,
                Decision::Allowed,
                "intent".to_owned(),
                None,
                self.started,
            )
        };
        *intent = Some(self.broker.record(self.ctx, entry, true)?);
        Ok(())
    }

    fn intent_seq(&self) -> Option<u64> {
        *crate::call::lock(&self.intent)
    }
}

/// Refuses a capability whose one permission the extension lacks (before
/// any intent: nothing can happen).
fn fixed_permission(ctx: &CallContext, cap: Capability) -> Result<()> {
    match cap.fixed_permission() {
        Some(p) if !ctx.grants().has(p) => Err(Error::PermissionDenied {
            capability: cap.wire_name().to_owned(),
            permission: p.as_str().to_owned(),
        }),
        _ => Ok(()),
    }
}

/// SHA-256 (hex) of the request as parsed, with a vault value left out (a
/// digest of a short secret could be reversed by trying candidates).
fn request_digest(cap: Capability, request: &Value) -> String {
    let bytes = match request.get("value") {
        // Only `vault.set`'s small request is copied; a body is hashed as it is.
        Some(_) if cap == Capability::VaultSet => {
            let mut request = request.clone();
            request["value"] = Value::Null;
            serde_json::to_vec(&request)
        }
        _ => serde_json::to_vec(request),
    };
    hex::encode(sha2::Sha256::digest(bytes.unwrap_or_default()))
}

fn is_refusal(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::UnknownCapability
            | ErrorCode::InvalidRequest
            | ErrorCode::InvalidParams
            | ErrorCode::PermissionDenied
            | ErrorCode::HostNotAllowed
            | ErrorCode::RateLimited
            | ErrorCode::OutputTooLarge
            | ErrorCode::QuotaExceeded
    )
}

fn to_json<T: serde::Serialize>(value: T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::internal(format!("serialising a response: {e}")))
}

fn level(level: Option<&str>) -> Result<&'static str> {
    normalise_level(level)
        .ok_or_else(|| Error::params("level", "must be debug, info, warn or error"))
}

fn not_found(cap: Capability, id: i64) -> Error {
    Error::capability(cap.wire_name(), format!("task {id} not found"))
}

fn encode_content(bytes: Vec<u8>) -> Value {
    let (content, encoding) = encode_bytes(bytes);
    let encoding = if encoding.is_some() { "base64" } else { "utf8" };
    json!({ "content": content, "encoding": encoding })
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
