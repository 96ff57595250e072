//! The [`ToolGateway`] of one code run: which tools it sees, how many calls
//! it has left, what it replays, and which `propose` calls wait on a person.
//!
//! **The first stop is final**: once a call ended the run's right to go on
//! (`tool_calls_exceeded`, `approval_required`, `approval_declined`, a replay
//! that diverged, a record that could not be written), every later
//! `tools.call` of the run answers the same error, and the host reports it
//! as the run's outcome even if the program caught it.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use morph_capabilities::{
    CallContext, Error, LimitKind, Result, ToolCallRequest, ToolGateway, WireError,
    canonical_digest, truncate_for_message,
};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::run::ToolCallSummary;
use super::store::{ApprovalAsk, CodeRunStore, RecordedCall};
use crate::host::{CallOptions, Host};
use crate::manifest::AiAccess;

/// One tool a run may call.
#[derive(Debug, Clone)]
pub(crate) struct Reachable {
    pub(crate) extension: String,
    pub(crate) action: String,
    pub(crate) ai_access: AiAccess,
}

/// What the gateway keeps as the run goes.
#[derive(Debug, Default)]
struct Progress {
    /// Calls made so far (replayed ones included).
    calls: u32,
    /// Recorded calls not yet replayed, in order.
    replay: VecDeque<RecordedCall>,
    /// The error that stopped the run, if one did.
    stopped: Option<Error>,
    /// What the run's caller is told about each call.
    summary: Vec<ToolCallSummary>,
}

/// The gateway of one run.
pub(crate) struct RunGateway {
    host: Host,
    run_id: String,
    caller: Option<String>,
    tools: BTreeMap<String, Reachable>,
    max_tool_calls: u32,
    store: Option<std::sync::Arc<dyn CodeRunStore>>,
    cancel: CancellationToken,
    progress: Mutex<Progress>,
}

impl std::fmt::Debug for RunGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunGateway")
            .field("run_id", &self.run_id)
            .field("tools", &self.tools.len())
            .finish_non_exhaustive()
    }
}

/// Everything a gateway is built from.
pub(crate) struct GatewayParts {
    pub(crate) host: Host,
    pub(crate) run_id: String,
    pub(crate) caller: Option<String>,
    pub(crate) tools: BTreeMap<String, Reachable>,
    pub(crate) max_tool_calls: u32,
    pub(crate) store: Option<std::sync::Arc<dyn CodeRunStore>>,
    pub(crate) replay: Vec<RecordedCall>,
    pub(crate) cancel: CancellationToken,
}

impl RunGateway {
    pub(crate) fn new(parts: GatewayParts) -> RunGateway {
        RunGateway {
            host: parts.host,
            run_id: parts.run_id,
            caller: parts.caller,
            tools: parts.tools,
            max_tool_calls: parts.max_tool_calls,
            store: parts.store,
            cancel: parts.cancel,
            progress: Mutex::new(Progress {
                replay: parts.replay.into(),
                ..Progress::default()
            }),
        }
    }

    /// The error that stopped the run, if one did.
    pub(crate) fn stopped(&self) -> Option<Error> {
        self.lock().stopped.as_ref().map(replicate)
    }

    /// The calls the run made, in order.
    pub(crate) fn summary(&self) -> Vec<ToolCallSummary> {
        self.lock().summary.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stops the run with `error` (the first stop wins) and returns it.
    fn stop(&self, error: Error) -> Error {
        let mut progress = self.lock();
        replicate(progress.stopped.get_or_insert(error))
    }

    async fn run(&self, request: ToolCallRequest) -> Result<Value> {
        let tool_name = request.tool;
        let arguments = request
            .arguments
            .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
        let digest = canonical_digest(&arguments);
        // Checked and counted under one lock: the order of calls is the
        // order of the record.
        let (index, tool, replayed) = {
            let mut progress = self.lock();
            if let Some(stopped) = &progress.stopped {
                return Err(replicate(stopped));
            }
            let Some(tool) = self.tools.get(&tool_name) else {
                // A blocked or unknown tool: the same answer for both.
                let (extension, action) = tool_name.split_once('.').unwrap_or((&tool_name, ""));
                return Err(Error::UnknownAction {
                    extension: truncate_for_message(extension, 64),
                    action: truncate_for_message(action, 64),
                });
            };
            if progress.calls >= self.max_tool_calls {
                drop(progress);
                return Err(self.stop(Error::limit(
                    LimitKind::ToolCalls,
                    format!(
                        "the run made {} tool calls, its policy's max_tool_calls",
                        self.max_tool_calls
                    ),
                )));
            }
            let index = progress.calls;
            progress.calls += 1;
            let replayed = match progress.replay.pop_front() {
                None => None,
                Some(recorded)
                    if recorded.tool == tool_name && recorded.arguments_digest == digest =>
                {
                    Some(recorded.outcome)
                }
                Some(recorded) => {
                    drop(progress);
                    return Err(self.stop(Error::params(
                        "resume",
                        format!(
                            "tool call {index} of the resumed run is `{}` with other arguments \
                             than the recorded `{}`: a resumed run must repeat its earlier \
                             tool calls in order; nothing more runs (send it as a new run)",
                            truncate_for_message(&tool_name, 64),
                            recorded.tool
                        ),
                    )));
                }
            };
            (index, tool.clone(), replayed)
        };
        if let Some(outcome) = replayed {
            self.note(index, &tool_name, &outcome, None, true);
            return outcome.map_err(WireError::into_error);
        }
        if tool.ai_access == AiAccess::Propose {
            self.authorize(&tool, &arguments, &digest)?;
        }
        let execution = self
            .host
            .execute_with(
                &tool.extension,
                &tool.action,
                arguments,
                CallOptions {
                    caller: self.caller.clone(),
                    cancel: Some(self.cancel.child_token()),
                    code_run: Some(self.run_id.clone()),
                },
            )
            .await;
        let outcome = execution.result.map_err(|e| e.to_wire());
        if let Some(store) = &self.store {
            let recorded = store.record(
                &self.run_id,
                &RecordedCall {
                    index,
                    tool: tool_name.clone(),
                    arguments_digest: digest,
                    outcome: outcome.clone(),
                },
            );
            if let Err(e) = recorded {
                return Err(self.stop(e));
            }
        }
        let call_id = (!execution.call_id.is_empty()).then_some(execution.call_id);
        self.note(index, &tool_name, &outcome, call_id, false);
        outcome.map_err(WireError::into_error)
    }

    /// Asks the store whether a person approved this `propose` call.
    fn authorize(&self, tool: &Reachable, arguments: &Value, digest: &str) -> Result<()> {
        let Some(store) = &self.store else {
            return Err(self.stop(Error::ApprovalRequired {
                approval_id: None,
                reason: format!(
                    "`{}.{}` is a propose action, and this host keeps no approvals for code runs",
                    tool.extension, tool.action
                ),
            }));
        };
        store
            .authorize(&ApprovalAsk {
                run_id: self.run_id.clone(),
                caller: self.caller.clone(),
                extension: tool.extension.clone(),
                action: tool.action.clone(),
                arguments: arguments.clone(),
                arguments_digest: digest.to_owned(),
            })
            .map_err(|e| self.stop(e))
    }

    fn note(
        &self,
        index: u32,
        tool: &str,
        outcome: &std::result::Result<Value, WireError>,
        call_id: Option<String>,
        replayed: bool,
    ) {
        self.lock().summary.push(ToolCallSummary {
            index,
            tool: tool.to_owned(),
            outcome: match outcome {
                Ok(_) => "ok".to_owned(),
                Err(e) => e.code.as_str().to_owned(),
            },
            call_id,
            replayed,
        });
    }
}

impl ToolGateway for RunGateway {
    fn call<'a>(
        &'a self,
        _ctx: &'a CallContext,
        request: ToolCallRequest,
    ) -> Pin<Box<dyn Future<Output = Result<Value>> + Send + 'a>> {
        Box::pin(self.run(request))
    }
}

/// A copy of `error` for one more reader: the approval errors keep their
/// variant (and so their approval id), every other error its code, message
/// and stack.
fn replicate(error: &Error) -> Error {
    match error {
        Error::ApprovalRequired {
            approval_id,
            reason,
        } => Error::ApprovalRequired {
            approval_id: approval_id.clone(),
            reason: reason.clone(),
        },
        Error::ApprovalDeclined {
            approval_id,
            reason,
        } => Error::ApprovalDeclined {
            approval_id: approval_id.clone(),
            reason: reason.clone(),
        },
        other => other.to_wire().into_error(),
    }
}
