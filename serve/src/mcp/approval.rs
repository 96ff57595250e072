//! `ai_access: propose`: **the guest runs only after a person approved
//! exactly this call** (caller, extension, action, SHA-256 of the
//! arguments), and an approval serves one call.
//!
//! Three ways to a person, picked per request:
//!
//! - **MRTR** (protocol 2026-07-28, a client that declares form
//!   elicitation; stdio and HTTP): the call answers `input_required` with an
//!   approval form and a `requestState` sealed by [`StateSeal`]; the client
//!   asks its user and calls again with the answer and the state.
//! - **Elicitation request** (2025-11-25 or 2025-06-18 over stdio, a client
//!   that declares elicitation): `elicitation/create` while the call waits.
//!   Not over stateless HTTP, where the client's answer has no way back.
//! - **Out of band** (every other client, or when the above fails): a tool
//!   error `approval_required` with the approval id; a person runs
//!   `morph approve <ID>`, and the same call again consumes the approval.
//!
//! An accepted form approves the pending approval (as
//! `mcp-elicitation:<caller>`) and takes it by id; a declined one declines
//! it. A replayed, altered, expired or misdirected state, or an answer for an
//! approval decided already, runs nothing (`approval_invalid`). **Every step
//! is written to the audit log** (`host.approval.request`, `.approve`,
//! `.decline`, `.use`) before it has effect, and published as
//! [`ServerEvent::Approval`].

use std::collections::BTreeMap;
use std::time::Duration;

use morph_capabilities::truncate_for_message;
use rmcp::model::{
    BooleanSchema, ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction,
    ElicitationSchema, InputRequest, InputRequests, InputRequiredResult, InputResponses,
    PrimitiveSchemaDefinition,
};
use rmcp::service::{Peer, RoleServer};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::results::ToolError;
use super::state::StateSeal;
use super::tools::McpTool;
use crate::approvals::{Approval, arguments_digest};
use crate::events::ServerEvent;
use crate::service::Service;
use crate::tokens::now_ms;

/// The call needs a person's approval; `approval_id` names it.
pub const APPROVAL_REQUIRED: &str = "approval_required";
/// The person declined the call; nothing ran.
pub const APPROVAL_DECLINED: &str = "approval_declined";
/// The approval answer does not stand for this call (altered, replayed,
/// expired, decided already, or for other arguments); nothing ran.
pub const APPROVAL_INVALID: &str = "approval_invalid";

/// The key of the approval form among a round's input requests.
const FORM_KEY: &str = "approval";
/// The form's one field.
const APPROVE_FIELD: &str = "approve";
/// The arguments shown in the form are cut after this many bytes.
const MAX_ARGUMENTS_SHOWN: usize = 4096;

/// How a person can be asked during this request.
#[derive(Debug, Clone)]
pub(crate) enum Asking {
    /// Answer `input_required` (2026-07-28) with states sealed by this.
    Mrtr(std::sync::Arc<StateSeal>),
    /// Send `elicitation/create` to this peer and wait.
    Request(Peer<RoleServer>),
    /// Only out of band.
    OutOfBand,
}

/// What to do with a `propose` call.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Approved, and the approval taken: run it.
    Run,
    /// Ask the client's user first.
    Ask(InputRequiredResult),
}

/// One `propose` call on its way to a person.
pub(crate) struct Proposal<'a> {
    /// The service (approvals, audit, events).
    pub service: &'a Service,
    /// The tool.
    pub tool: &'a McpTool,
    /// The arguments, as called.
    pub arguments: &'a Value,
    /// Who calls.
    pub caller: &'a str,
}

impl Proposal<'_> {
    /// Decides whether the call runs now, must ask, or is refused.
    ///
    /// `state` and `responses` are what a client sends back in a later MRTR
    /// round; `cancel` ends a wait for an elicitation answer.
    ///
    /// # Errors
    /// A [`ToolError`]: `approval_required`, `approval_declined`,
    /// `approval_invalid`, `cancelled`, or `io` when the approvals or the
    /// audit log cannot be used (then nothing runs).
    pub(crate) async fn verdict(
        &self,
        asking: Asking,
        state: Option<&str>,
        responses: Option<&InputResponses>,
        cancel: &CancellationToken,
    ) -> Result<Verdict, ToolError> {
        if let Some(state) = state {
            let Asking::Mrtr(seal) = &asking else {
                return Err(invalid());
            };
            return self.resume(seal, state, responses);
        }
        // A person may have approved exactly this call out of band.
        let store = self.service.approvals();
        let taken = store
            .take(
                self.caller,
                &self.tool.extension,
                &self.tool.action,
                self.arguments,
            )
            .map_err(|e| ToolError::from(&e))?;
        if let Some(approval) = taken {
            self.record(&approval, Step::Use, self.caller)?;
            return Ok(Verdict::Run);
        }
        let approval = self.pending()?;
        match asking {
            Asking::OutOfBand => Err(required(&approval)),
            Asking::Mrtr(seal) => {
                let state = seal.seal(
                    &approval.id,
                    self.caller,
                    &self.tool.name(),
                    &approval.arguments_digest,
                    remaining(&approval),
                );
                Ok(Verdict::Ask(ask_form(self.form(&approval), state)))
            }
            Asking::Request(peer) => {
                let asked = tokio::time::timeout(
                    remaining(&approval),
                    peer.create_elicitation(self.form(&approval)),
                );
                let answer = tokio::select! {
                    answer = asked => answer,
                    () = cancel.cancelled() => {
                        return Err(ToolError::new(
                            "cancelled",
                            "the client cancelled the call while a person was asked; nothing ran",
                        ));
                    }
                };
                match answer {
                    Ok(Ok(answer)) => self.decide(&approval.id, &answer),
                    // The client could not ask, or nobody answered in time:
                    // the approval waits for a person out of band.
                    Ok(Err(_)) | Err(_) => Err(required(&approval)),
                }
            }
        }
    }

    /// The second MRTR round: the sealed state and the form's answer.
    fn resume(
        &self,
        seal: &StateSeal,
        state: &str,
        responses: Option<&InputResponses>,
    ) -> Result<Verdict, ToolError> {
        let digest = arguments_digest(self.arguments);
        let id = seal
            .open(state, self.caller, &self.tool.name(), &digest)
            .ok_or_else(invalid)?;
        let answer = form_answer(responses).ok_or_else(|| invalid().with_approval(&id))?;
        self.decide(&id, &answer)
    }

    /// Applies the person's answer to approval `id`.
    fn decide(&self, id: &str, answer: &ElicitResult) -> Result<Verdict, ToolError> {
        let store = self.service.approvals();
        let by = format!("mcp-elicitation:{}", self.caller);
        let io = |e: morph_capabilities::Error| ToolError::from(&e);
        if !approved(answer) {
            return match store.decide(id, false, &by) {
                Ok(approval) => {
                    self.record(&approval, Step::Decline, &by)?;
                    Err(ToolError::new(
                        APPROVAL_DECLINED,
                        "the person declined the call; nothing ran",
                    )
                    .with_approval(id))
                }
                Err(_) => Err(invalid().with_approval(id)),
            };
        }
        // Decided already (by `morph approve`, or this very answer sent
        // again): taking it by id below is what allows one call only.
        if let Ok(approval) = store.decide(id, true, &by) {
            self.record(&approval, Step::Approve, &by)?;
        }
        let taken = store
            .take_by_id(
                id,
                self.caller,
                &self.tool.extension,
                &self.tool.action,
                self.arguments,
            )
            .map_err(io)?;
        match taken {
            Some(approval) => {
                self.record(&approval, Step::Use, self.caller)?;
                Ok(Verdict::Run)
            }
            None => Err(invalid().with_approval(id)),
        }
    }

    /// The pending approval for this call: the one waiting, or a new one
    /// (audited).
    fn pending(&self) -> Result<Approval, ToolError> {
        let (approval, new) = self
            .service
            .approvals()
            .request(
                self.caller,
                &self.tool.extension,
                &self.tool.action,
                self.arguments,
            )
            .map_err(|e| ToolError::from(&e))?;
        if new {
            self.record(&approval, Step::Request, self.caller)?;
        }
        Ok(approval)
    }

    /// Audits `step` of `approval` by `by` and publishes it.
    fn record(&self, approval: &Approval, step: Step, by: &str) -> Result<(), ToolError> {
        let tool = self.tool.name();
        let (capability, state, reason) = match step {
            Step::Request => (
                "host.approval.request",
                "pending",
                format!(
                    "approval {} asked for {tool} (arguments sha256 {}) by {}",
                    approval.id, approval.arguments_digest, approval.caller
                ),
            ),
            Step::Approve => (
                "host.approval.approve",
                "approved",
                format!(
                    "approval {} for {tool} approved in the MCP client",
                    approval.id
                ),
            ),
            Step::Decline => (
                "host.approval.decline",
                "declined",
                format!(
                    "approval {} for {tool} declined in the MCP client",
                    approval.id
                ),
            ),
            Step::Use => (
                "host.approval.use",
                "used",
                format!("approval {} used by a call of {tool}", approval.id),
            ),
        };
        self.service
            .audit_change(&approval.extension, capability, by, reason)
            .map_err(|e| ToolError::from(&e))?;
        self.service.publish(ServerEvent::Approval {
            id: approval.id.clone(),
            state: state.to_owned(),
        });
        Ok(())
    }

    /// The approval form: what runs, with what, under which grants.
    fn form(&self, approval: &Approval) -> ElicitRequestParams {
        let tool = self.tool;
        let arguments = truncate_for_message(
            &serde_json::to_string_pretty(self.arguments).unwrap_or_default(),
            MAX_ARGUMENTS_SHOWN,
        );
        let list = |items: &[String]| {
            if items.is_empty() {
                "none".to_owned()
            } else {
                items.join(", ")
            }
        };
        let message = format!(
            "{caller} asks to run {name}.\n\n\
             Extension: {ext} {version}\n\
             Action: {action}: {description}\n\
             Arguments:\n{arguments}\n\n\
             Permissions granted: {permissions}\n\
             HTTP hosts: {hosts}\n\n\
             Approval {id}; it expires in {minutes} min. Approve only a call you expect.",
            caller = self.caller,
            name = tool.name(),
            ext = tool.extension,
            version = tool.version,
            action = tool.action,
            description = tool.description,
            permissions = list(&tool.permissions),
            hosts = list(&tool.hosts),
            id = approval.id,
            minutes = remaining(approval).as_secs().div_ceil(60),
        );
        approval_form(message)
    }
}

/// The approval form: `message`, and one yes-or-no field.
pub(crate) fn approval_form(message: String) -> ElicitRequestParams {
    let mut properties = BTreeMap::new();
    properties.insert(
        APPROVE_FIELD.to_owned(),
        PrimitiveSchemaDefinition::Boolean(
            BooleanSchema::new()
                .title("Run this call")
                .description("Yes runs the call once, with exactly these arguments."),
        ),
    );
    ElicitRequestParams::FormElicitationParams {
        meta: None,
        message,
        requested_schema: ElicitationSchema::new(properties)
            .with_required(vec![APPROVE_FIELD.to_owned()])
            .with_title("Approve a Morph call"),
    }
}

/// The form's answer among a round's input responses.
pub(crate) fn form_answer(responses: Option<&InputResponses>) -> Option<ElicitResult> {
    responses
        .and_then(|r| r.get(FORM_KEY))
        .and_then(|raw| serde_json::from_value::<ElicitResult>(raw.clone()).ok())
}

/// The input requests of an MRTR round that asks `form`.
pub(crate) fn ask_form(form: ElicitRequestParams, state: String) -> InputRequiredResult {
    let mut inputs = InputRequests::new();
    inputs.insert(
        FORM_KEY.to_owned(),
        InputRequest::Elicitation(ElicitRequest::new(form)),
    );
    InputRequiredResult::new(Some(inputs), Some(state))
}

/// A step of an approval's life.
#[derive(Debug, Clone, Copy)]
enum Step {
    Request,
    Approve,
    Decline,
    Use,
}

/// Whether the person accepted and said yes.
pub(crate) fn approved(answer: &ElicitResult) -> bool {
    answer.action == ElicitationAction::Accept
        && answer
            .content
            .as_ref()
            .and_then(|c| c.get(APPROVE_FIELD))
            .and_then(Value::as_bool)
            == Some(true)
}

/// Time left before `approval` expires (at least 1 ms, so a seal always
/// carries an expiry).
pub(crate) fn remaining(approval: &Approval) -> Duration {
    Duration::from_millis(approval.expires_ms.saturating_sub(now_ms()).max(1))
}

fn required(approval: &Approval) -> ToolError {
    ToolError::new(
        APPROVAL_REQUIRED,
        format!(
            "this call needs a person's approval (approval {id}); a person approves it \
             with `morph approve {id}`, then call the tool again with the same arguments",
            id = approval.id
        ),
    )
    .with_approval(&approval.id)
}

pub(crate) fn invalid() -> ToolError {
    ToolError::new(
        APPROVAL_INVALID,
        "the approval does not stand for this call (altered, replayed, expired, decided \
         already, or for other arguments); nothing ran",
    )
}
