//! The MCP `run_code` tool: code mode for agents. One program (JavaScript,
//! TypeScript or Python) runs in a fresh sandbox whose only capability is
//! calling the other tools, each under its own extension's manifest,
//! limits, approval rule and audit records (see `morph_runtime_core::code`).
//!
//! The description carries the typed API of the tools the caller may use,
//! generated from the loaded manifests each time the list is asked for (an
//! install or removal also sends `tools/list_changed`). A `propose` tool
//! stops the run with the tool error `approval_required` and its
//! `approval_id` and `run_id`; once a person approved it (`morph approve`),
//! the agent calls `run_code` again with the same code and `resume` set to
//! the `run_id`: the calls the run completed are answered from the record,
//! never run again.

use std::sync::Arc;

use morph_runtime_core::code::{CodeLanguage, CodeRun, python_api, typescript_api};
use morph_runtime_core::{Error, Host};
use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::results::ToolError;
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

/// Runs a `run_code` call for `caller`.
pub(crate) async fn call(
    service: &Service,
    arguments: Value,
    caller: &str,
    cancel: CancellationToken,
) -> CallToolResult {
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
    let (language, code, resume) = match parsed {
        Ok(p) => p,
        Err(e) => return ToolError::from(&e).into_result(),
    };
    let run = service
        .run_code(language, code, resume, caller, Some(cancel))
        .await;
    result(&run)
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
