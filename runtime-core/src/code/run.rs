//! [`Host::run_code`]: one program, one fresh sandbox, its tool calls, and
//! the outcome.

use std::collections::BTreeMap;
use std::sync::Arc;

use morph_capabilities::audit::{AuditEntry, AuditRecord};
use morph_capabilities::{Call, CallContext, CallKind, Error, LogLine, Result};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::api::CodeTool;
use super::gateway::{GatewayParts, Reachable, RunGateway};
use super::store::{CodeRunStore, RunState, RunTicket};
use super::wrap::{CODE_RUN_ACTION, CODE_RUN_ID, is_generic, params};
use super::{CodeLanguage, CodePolicy, MAX_SOURCE_BYTES};
use crate::host::{Host, charge_result};

/// A program to run.
#[derive(Debug, Clone)]
pub struct CodeRequest {
    /// Its language.
    pub language: CodeLanguage,
    /// Its source.
    pub source: String,
    /// Its limits.
    pub policy: CodePolicy,
    /// Who runs it (`token:<name>`, `mcp:<client>`), as the audit names it.
    pub caller: Option<String>,
    /// The id of a run that ended with `approval_required`, to take it up
    /// again: its completed tool calls are answered from the record.
    pub resume: Option<String>,
    /// Cancelled by the caller: the run and its tool call in flight end
    /// with `cancelled`.
    pub cancel: Option<CancellationToken>,
}

impl CodeRequest {
    /// A new run of `source` in `language` under the default policy.
    pub fn new(language: CodeLanguage, source: impl Into<String>) -> CodeRequest {
        CodeRequest {
            language,
            source: source.into(),
            policy: CodePolicy::default(),
            caller: None,
            resume: None,
            cancel: None,
        }
    }
}

/// One tool call of a run, as its caller is told.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ToolCallSummary {
    /// Its place in the run, from 0.
    pub index: u32,
    /// `<extension>.<action>`.
    pub tool: String,
    /// `ok` or the error code.
    pub outcome: String,
    /// The tool call's id in the audit log (absent when it did not start,
    /// or was answered from the record).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// Answered from the record of the run's earlier send.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
}

/// What a run ended with.
#[derive(Debug)]
pub struct CodeRun {
    /// The run's id (in its audit records and its tools').
    pub run_id: String,
    /// The program's result, or the error that ended it.
    pub result: Result<Value>,
    /// What the program logged (`console.*`, `print`), bounded by its
    /// policy's `max_output_kb`.
    pub logs: Vec<LogLine>,
    /// Its tool calls, in order.
    pub tool_calls: Vec<ToolCallSummary>,
    /// The run's own audit records (its `tools.call` and `log` requests,
    /// refusals, and the closing `host.code_run`); each tool call's records
    /// are in the log under the same run id.
    pub audit: Vec<AuditRecord>,
}

impl CodeRun {
    /// The answer a client gets: `{"ok": true, "run_id", "result", "logs",
    /// "tool_calls"}` or `{"ok": false, "run_id", "error": {"code",
    /// "message", "approval_id"?}, "logs", "tool_calls"}`.
    pub fn envelope(&self) -> Value {
        let mut out = match &self.result {
            Ok(value) => json!({ "ok": true, "result": value }),
            Err(e) => {
                let wire = e.to_wire();
                let mut error = json!({ "code": wire.code, "message": wire.message });
                if let Some(stack) = wire.stack {
                    error["stack"] = Value::String(stack);
                }
                if let Error::ApprovalRequired {
                    approval_id: Some(id),
                    ..
                }
                | Error::ApprovalDeclined {
                    approval_id: id, ..
                } = e
                {
                    error["approval_id"] = Value::String(id.clone());
                }
                json!({ "ok": false, "error": error })
            }
        };
        out["run_id"] = Value::String(self.run_id.clone());
        out["logs"] = json!(self.logs);
        out["tool_calls"] = json!(self.tool_calls);
        out
    }
}

impl Host {
    /// The actions a code run may call: every loaded one an AI agent may
    /// see (never `blocked`), sorted by extension and action.
    pub fn code_tools(&self) -> Vec<CodeTool> {
        let mut tools: Vec<CodeTool> = self
            .extensions()
            .into_iter()
            .filter_map(|id| self.manifest(&id))
            .flat_map(|manifest| {
                manifest
                    .actions
                    .iter()
                    .filter(|a| a.ai_access != crate::manifest::AiAccess::Blocked)
                    .map(|a| CodeTool {
                        extension: manifest.extension_id.clone(),
                        action: a.clone(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        tools.sort_by(|a, b| (&a.extension, &a.action.name).cmp(&(&b.extension, &b.action.name)));
        tools
    }

    /// Runs `request`'s program in a fresh sandbox of its language, with no
    /// capability but `log` and calling [`Host::code_tools`]. `store` keeps
    /// the run's tool calls and decides its `propose` calls (see
    /// [`crate::code`]); without one, `propose` tools are refused.
    ///
    /// Never fails as a whole: every error is the run's result.
    pub async fn run_code(
        &self,
        request: CodeRequest,
        store: Option<Arc<dyn CodeRunStore>>,
    ) -> CodeRun {
        let source_digest = hex::encode(Sha256::digest(request.source.as_bytes()));
        let ticket = RunTicket {
            run_id: request
                .resume
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            caller: request.caller.clone(),
            language: request.language,
            source_digest: source_digest.clone(),
        };
        let started = self.start_run(&request, &ticket, store.as_deref());
        let replay = match started {
            Ok(replay) => replay,
            Err(e) => {
                return CodeRun {
                    run_id: ticket.run_id,
                    result: Err(e),
                    logs: Vec::new(),
                    tool_calls: Vec::new(),
                    audit: Vec::new(),
                };
            }
        };
        let tools = self.code_tools();
        let cancel = request.cancel.clone().unwrap_or_default();
        let gateway = Arc::new(RunGateway::new(GatewayParts {
            host: self.clone(),
            run_id: ticket.run_id.clone(),
            caller: request.caller.clone(),
            tools: tools
                .iter()
                .map(|t| {
                    (
                        t.name(),
                        Reachable {
                            extension: t.extension.clone(),
                            action: t.action.name.clone(),
                            ai_access: t.action.ai_access,
                        },
                    )
                })
                .collect::<BTreeMap<_, _>>(),
            max_tool_calls: request.policy.max_tool_calls,
            store: store.clone(),
            replay,
            cancel: cancel.clone(),
        }));
        let (result, ctx) = self
            .sandboxed(&request, &ticket.run_id, &tools, gateway.clone(), cancel)
            .await;
        // The gateway's stop is the run's outcome, caught or not.
        let result = match gateway.stopped() {
            Some(stopped) => Err(stopped),
            None => result,
        };
        let waiting = matches!(
            &result,
            Err(Error::ApprovalRequired {
                approval_id: Some(_),
                ..
            })
        );
        let mut result = result;
        if let Some(store) = &store {
            let state = if waiting {
                RunState::Waiting
            } else {
                RunState::Finished
            };
            if let Err(e) = store.end(&ticket.run_id, state) {
                tracing::error!("cannot record the end of code run {}: {e}", ticket.run_id);
                if result.is_ok() {
                    result = Err(e);
                }
            }
        }
        let tool_calls = gateway.summary();
        let mut audit = ctx.as_ref().map(|c| c.audit_records()).unwrap_or_default();
        audit.extend(self.close_run(&request, &ticket, &result, tool_calls.len()));
        CodeRun {
            run_id: ticket.run_id,
            result,
            logs: ctx.map(|c| c.logs()).unwrap_or_default(),
            tool_calls,
            audit,
        }
    }

    /// Checks the request and opens (or resumes) its run in the store.
    fn start_run(
        &self,
        request: &CodeRequest,
        ticket: &RunTicket,
        store: Option<&dyn CodeRunStore>,
    ) -> Result<Vec<super::RecordedCall>> {
        request.policy.validate()?;
        if request.source.len() > MAX_SOURCE_BYTES {
            return Err(Error::params(
                "code",
                format!(
                    "{} bytes, more than the {MAX_SOURCE_BYTES} a code run accepts",
                    request.source.len()
                ),
            ));
        }
        match (store, &request.resume) {
            (None, Some(_)) => Err(Error::params(
                "resume",
                "this host keeps no code runs, so none can be resumed",
            )),
            (None, None) => Ok(Vec::new()),
            (Some(store), Some(_)) => store.resume(ticket),
            (Some(store), None) => store.begin(ticket).map(|()| Vec::new()),
        }
    }

    /// Runs the program once, in a fresh context (see `sandbox.rs`).
    async fn sandboxed(
        &self,
        request: &CodeRequest,
        run_id: &str,
        tools: &[CodeTool],
        gateway: Arc<RunGateway>,
        cancel: CancellationToken,
    ) -> (Result<Value>, Option<Arc<CallContext>>) {
        let sandbox = match self
            .code_sandbox(request.language, request.policy, &request.source, tools)
            .await
        {
            Ok(sandbox) => sandbox,
            Err(e) => return (Err(e), None),
        };
        let params = if is_generic(request.language) {
            params(&request.source, tools)
        } else {
            json!({})
        };
        let ctx = Arc::new(
            CallContext::new(
                sandbox.identity.clone(),
                sandbox.grants.clone(),
                sandbox.config.clone(),
                CallKind::Execute,
                CODE_RUN_ACTION,
            )
            .with_caller(request.caller.clone())
            .with_code_run(Some(run_id.to_owned()))
            .with_tools(gateway),
        );
        let call = Call::new(self.broker().clone(), ctx.clone());
        let result = self
            .drive(
                &ctx,
                sandbox.extension.execute(call, CODE_RUN_ACTION, params),
                Some(&cancel),
            )
            .await
            .and_then(|value| charge_result(&ctx, value));
        let result = match result {
            Err(e) => Err(self.redacted(&ctx, e).await),
            ok => ok,
        };
        drop(sandbox);
        (result, Some(ctx))
    }

    /// The closing record of a run: language, source digest, tool calls and
    /// outcome. A record that cannot be written is logged: the run is over.
    fn close_run(
        &self,
        request: &CodeRequest,
        ticket: &RunTicket,
        result: &Result<Value>,
        tool_calls: usize,
    ) -> Option<AuditRecord> {
        let outcome = match result {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.code().as_str().to_owned(),
        };
        let entry = AuditEntry {
            caller: request.caller.clone(),
            code_run: Some(ticket.run_id.clone()),
            outcome: outcome.clone(),
            ..AuditEntry::host_change(
                CODE_RUN_ID,
                "host.code_run",
                CODE_RUN_ACTION,
                format!(
                    "{} run{}, source sha256:{}, {tool_calls} tool call(s), ended {outcome}",
                    request.language.as_str(),
                    if request.resume.is_some() {
                        " (resumed)"
                    } else {
                        ""
                    },
                    ticket.source_digest
                ),
            )
        };
        match self.broker().audit_sink().append_batched(entry) {
            Ok(record) => Some(record),
            Err(e) => {
                tracing::error!("cannot write the record of code run {}: {e}", ticket.run_id);
                None
            }
        }
    }
}
