//! The MCP `run_code` tool: code mode for agents. One program (JavaScript,
//! TypeScript or Python) runs in a fresh sandbox whose only capability is
//! calling the other tools, each under its own extension's manifest,
//! limits, approval rule and audit records (see `morph_runtime_core::code`).
//!
//! The description carries the typed API of the tools the caller may use,
//! generated from the loaded manifests each time the list is asked for (an
//! install or removal also sends `tools/list_changed`).
//!
//! A `propose` tool stops the run (`approval_required`, with its
//! `approval_id`; the approval is bound to the run). Where the client can
//! ask its user (the same three ways as a `propose` tool, `approval.rs`),
//! the person is asked in band: MRTR (`input_required` with a sealed state
//! bound to the caller, `run_code` and these arguments; the approval names
//! the run), or an `elicitation/create` request on stdio. The answer is
//! recorded (`host.approval.approve`/`.decline`) and **the server resumes
//! the run itself**: its completed calls are answered from the record,
//! never run again. Otherwise the tool error goes back with `approval_id`
//! and `run_id`; once a person approved (`morph approve`), the agent calls
//! `run_code` again with the same code and `resume` = the `run_id`.

use std::sync::Arc;

use morph_capabilities::{canonical_digest, truncate_for_message};
use morph_runtime_core::code::{
    CodeLanguage, CodePolicyOverride, CodeRequest, CodeRun, python_api, typescript_api,
};
use morph_runtime_core::{Error, Host};
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock, ElicitRequestParams, ElicitResult,
    InputResponses, JsonObject, Tool, ToolAnnotations,
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::approval::{
    APPROVAL_REQUIRED, Asking, approval_form, approved, ask_form, form_answer, invalid, remaining,
};
use super::results::ToolError;
use crate::approvals::Approval;
use crate::service::Service;

/// The tool's name (no `.`, so never an extension's action).
pub(crate) const RUN_CODE: &str = "run_code";

/// The tool as `tools/list` shows it, its description holding the API of
/// the tools in `host` now.
pub(crate) fn tool(host: &Host) -> Tool {
    let tools = host.code_tools();
    let description = format!(
        "Runs a short program that calls the tools below, in a fresh sandbox with no other \
         capability (no network, files or secrets of its own), and returns its result: one \
         call instead of many. JavaScript/TypeScript: the code is the body of an async \
         function; `return` the result; call `await tools.<extension>.<action>({{...}})`. \
         Python: the value of the last expression is the result; call \
         `await tools.<extension>.<action>(name=value)`. `console.log`/`print` output comes \
         back as `logs`. A tool that needs a person's approval stops the run with \
         `approval_required` (an `approval_id` and the `run_id`); after approval, call \
         run_code again with the same code and `resume` = the run_id: completed calls are \
         not repeated.\n\nTypeScript API:\n```ts\n{}```\n\nPython API:\n```python\n{}```",
        typescript_api(&tools),
        python_api(&tools)
    );
    let schema = json!({
        "type": "object",
        "properties": {
            "language": {"type": "string", "enum": ["javascript", "typescript", "python"]},
            "code": {"type": "string", "description": "The program."},
            "resume": {"type": "string", "description": "The run_id of a run that ended with approval_required, once approved."}
        },
        "required": ["language", "code"],
        "additionalProperties": false
    });
    let schema: JsonObject = match schema {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    };
    // What the program can do is what its tools can: a write may happen.
    Tool::new(RUN_CODE, description, Arc::new(schema)).with_annotations(
        ToolAnnotations::new()
            .read_only(false)
            .destructive(true)
            .open_world(true),
    )
}

/// Who runs a program: the caller its calls and approvals name, and the
/// limits its token sets over the server's.
pub(crate) struct Caller {
    pub(crate) name: String,
    pub(crate) limits: CodePolicyOverride,
}

/// How many approvals one `run_code` request may ask for in band before
/// it answers `approval_required` (each is a person's decision).
const MAX_ROUNDS: usize = 16;

/// Runs a `run_code` call for `caller`, asking a person in band where
/// `asking` allows; `state` and `responses` are a later MRTR round's.
pub(crate) async fn call_asking(
    service: &Service,
    arguments: Value,
    who: &Caller,
    cancel: CancellationToken,
    asking: Asking,
    state: Option<&str>,
    responses: Option<&InputResponses>,
) -> CallToolResponse {
    let digest = canonical_digest(&arguments);
    let caller = who.name.as_str();
    let mut resume_as = None;
    if let Some(state) = state {
        // The second MRTR round: the person's answer to the approval the
        // sealed state names, then the run it belongs to, resumed.
        let Asking::Mrtr(seal) = &asking else {
            return invalid().into_result().into();
        };
        let Some(id) = seal.open(state, caller, RUN_CODE, &digest) else {
            return invalid().into_result().into();
        };
        match decide(service, &id, caller, form_answer(responses).as_ref()) {
            Ok(run_id) => resume_as = Some(run_id),
            Err(e) => return e.into_result().into(),
        }
    }
    for _ in 0..MAX_ROUNDS {
        let run = match run(service, &arguments, resume_as.take(), who, cancel.clone()).await {
            Ok(run) => run,
            Err(e) => return e.into_result().into(),
        };
        let Err(Error::ApprovalRequired {
            approval_id: Some(id),
            ..
        }) = &run.result
        else {
            return result(&run).into();
        };
        let Ok(Some(approval)) = service.approvals().get(id) else {
            return result(&run).into();
        };
        match &asking {
            Asking::OutOfBand => return result(&run).into(),
            Asking::Mrtr(seal) => {
                let state = seal.seal(id, caller, RUN_CODE, &digest, remaining(&approval));
                return ask_form(form(&approval, &run.run_id), state).into();
            }
            Asking::Request(peer) => {
                let asked = tokio::time::timeout(
                    remaining(&approval),
                    peer.create_elicitation(form(&approval, &run.run_id)),
                );
                let answer = tokio::select! {
                    answer = asked => answer,
                    () = cancel.cancelled() => return result(&run).into(),
                };
                let Ok(Ok(answer)) = answer else {
                    // Nobody could be asked: the approval waits out of band.
                    return result(&run).into();
                };
                match decide(service, id, caller, Some(&answer)) {
                    Ok(run_id) => resume_as = Some(run_id),
                    Err(e) => return e.into_result().into(),
                }
            }
        }
    }
    ToolError::new(
        APPROVAL_REQUIRED,
        format!("the run asked for more than {MAX_ROUNDS} approvals in one request; send it again with resume"),
    )
    .into_result()
    .into()
}

/// Records the person's `answer` to approval `id` of a code run and returns
/// the run's id, to resume it (a declined run then ends `approval_declined`).
fn decide(
    service: &Service,
    id: &str,
    caller: &str,
    answer: Option<&ElicitResult>,
) -> Result<String, ToolError> {
    let approval = service
        .approvals()
        .get(id)
        .map_err(|e| ToolError::from(&e))?
        .ok_or_else(invalid)?;
    let run_id = approval.code_run.clone().ok_or_else(invalid)?;
    let Some(answer) = answer else {
        return Err(invalid().with_approval(id));
    };
    let by = format!("mcp-elicitation:{caller}");
    // Decided already (by `morph approve`, or this answer sent again): the
    // run's own store decides whether the approval still serves it.
    let _ = service.decide_approval(id, approved(answer), &by);
    Ok(run_id)
}

/// What the person is asked for a code run's `propose` call.
fn form(approval: &Approval, run_id: &str) -> ElicitRequestParams {
    let arguments = truncate_for_message(
        &serde_json::to_string_pretty(&approval.arguments).unwrap_or_default(),
        4096,
    );
    approval_form(format!(
        "{caller} runs a program (code run {run_id}) that asks to call {ext}.{action}.\n\n\
         Arguments:\n{arguments}\n\n\
         Approval {id}; it expires in {minutes} min. Yes runs this one call once; the \
         program's earlier tool calls are not repeated.",
        caller = approval.caller,
        ext = approval.extension,
        action = approval.action,
        id = approval.id,
        minutes = remaining(approval).as_secs().div_ceil(60),
    ))
}

/// Runs (or resumes) the program in `arguments` for `who`.
async fn run(
    service: &Service,
    arguments: &Value,
    resume_as: Option<String>,
    who: &Caller,
    cancel: CancellationToken,
) -> Result<CodeRun, ToolError> {
    let parsed = (|| {
        let text = |name: &str| arguments.get(name).and_then(Value::as_str);
        let language = CodeLanguage::parse(text("language").unwrap_or(""))?;
        let code = text("code")
            .ok_or_else(|| Error::params("code", "the program is required, as a string"))?
            .to_owned();
        if let Some(extra) = arguments.as_object().and_then(|o| {
            o.keys()
                .find(|k| !["language", "code", "resume"].contains(&k.as_str()))
        }) {
            return Err(Error::params(extra.clone(), "unknown argument"));
        }
        Ok::<_, Error>((language, code, text("resume").map(str::to_owned)))
    })();
    let (language, code, resume) = parsed.map_err(|e| ToolError::from(&e))?;
    Ok(service
        .run_code(CodeRequest {
            language,
            source: code,
            policy: service.code_policy(&who.limits),
            caller: Some(who.name.clone()),
            resume: resume_as.or(resume),
            cancel: Some(cancel),
        })
        .await)
}

/// A run as a tool result: its envelope as `structuredContent` (an error
/// when it failed, with the code first in the text).
fn result(run: &CodeRun) -> CallToolResult {
    let envelope = run.envelope();
    match &run.result {
        Ok(_) => CallToolResult::structured(envelope),
        Err(e) => {
            let wire = e.to_wire();
            let mut structured = envelope["error"].clone();
            for key in ["run_id", "logs", "tool_calls"] {
                structured[key] = envelope[key].clone();
            }
            let mut result = CallToolResult::structured_error(structured.clone());
            result.content = vec![ContentBlock::text(format!(
                "{}: {}\n{}",
                wire.code,
                wire.message,
                serde_json::to_string(&structured).unwrap_or_default()
            ))];
            result
        }
    }
}
