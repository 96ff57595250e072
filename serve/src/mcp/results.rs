//! A call's outcome as an MCP `tools/call` result.
//!
//! Success: `structuredContent` is the action's result (a non-object
//! wrapped as `{"result": value}`, since MCP wants an object) and a text
//! block carries the same JSON. **Every Morph error is a tool error**
//! (`isError: true`), never a protocol error: `structuredContent` is
//! `{"code", "message"}` (plus `approval_id` for approvals) and the text
//! starts with the code, so a model reads why.

use morph_capabilities::Error;
use morph_runtime_core::Execution;
use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use serde_json::{Value, json};

/// The largest arguments object accepted, as JSON.
pub const MAX_ARGUMENTS_BYTES: usize = 1024 * 1024;

/// A call that ended in an error, as the client is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ToolError {
    /// The stable code (Morph's, or one of the approval codes).
    pub code: String,
    /// What happened.
    pub message: String,
    /// The approval it concerns, if any.
    pub approval_id: Option<String>,
}

impl ToolError {
    /// An error with `code`.
    pub(crate) fn new(code: &str, message: impl Into<String>) -> ToolError {
        ToolError {
            code: code.to_owned(),
            message: message.into(),
            approval_id: None,
        }
    }

    /// The same error, naming approval `id`.
    #[must_use]
    pub(crate) fn with_approval(mut self, id: &str) -> ToolError {
        self.approval_id = Some(id.to_owned());
        self
    }

    /// The tool result.
    pub(crate) fn into_result(self) -> CallToolResult {
        let mut structured = json!({"code": self.code, "message": self.message});
        if let Some(id) = &self.approval_id {
            structured["approval_id"] = json!(id);
        }
        let mut result = CallToolResult::structured_error(structured);
        result.content = vec![ContentBlock::text(format!(
            "{}: {}",
            self.code, self.message
        ))];
        result
    }
}

impl From<&Error> for ToolError {
    fn from(error: &Error) -> ToolError {
        let wire = error.to_wire();
        ToolError::new(wire.code.as_str(), wire.message)
    }
}

/// The result of a call that returned `value`.
pub(crate) fn success(value: Value) -> CallToolResult {
    let structured = match value {
        Value::Object(_) => value,
        other => json!({ "result": other }),
    };
    CallToolResult::structured(structured)
}

/// The result of `execution`.
pub(crate) fn from_execution(execution: Execution) -> CallToolResult {
    match execution.result {
        Ok(value) => success(value),
        Err(e) => ToolError::from(&e).into_result(),
    }
}

/// The arguments of a call as one JSON object (none is `{}`).
///
/// # Errors
/// `invalid_params` when they exceed [`MAX_ARGUMENTS_BYTES`] as JSON.
pub(crate) fn arguments(arguments: Option<JsonObject>) -> Result<Value, ToolError> {
    let arguments = Value::Object(arguments.unwrap_or_default());
    let mut counter = Counter(0);
    // Writing into a counter fails only when the limit is passed.
    if serde_json::to_writer(&mut counter, &arguments).is_err() {
        return Err(ToolError::new(
            "invalid_params",
            format!(
                "the arguments exceed {} KiB as JSON",
                MAX_ARGUMENTS_BYTES / 1024
            ),
        ));
    }
    Ok(arguments)
}

/// Counts bytes written, failing past [`MAX_ARGUMENTS_BYTES`].
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        if self.0 > MAX_ARGUMENTS_BYTES {
            Err(std::io::Error::other("too large"))
        } else {
            Ok(buf.len())
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_an_object_with_a_text_copy() {
        let r = success(json!(42));
        assert_eq!(r.structured_content, Some(json!({"result": 42})));
        assert_eq!(r.is_error, Some(false));
        let r = success(json!({"a": 1}));
        assert_eq!(r.structured_content, Some(json!({"a": 1})));
        let text = r.content[0].as_text().unwrap().text.clone();
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"a": 1})
        );
    }

    #[test]
    fn an_error_names_its_code_in_both_forms() {
        let r = ToolError::new("approval_required", "ask a person")
            .with_approval("abc")
            .into_result();
        assert_eq!(r.is_error, Some(true));
        assert_eq!(
            r.structured_content,
            Some(
                json!({"code": "approval_required", "message": "ask a person", "approval_id": "abc"})
            )
        );
        assert!(
            r.content[0]
                .as_text()
                .unwrap()
                .text
                .starts_with("approval_required: ")
        );
    }

    #[test]
    fn arguments_are_bounded() {
        let mut big = JsonObject::new();
        big.insert("s".into(), json!("x".repeat(MAX_ARGUMENTS_BYTES)));
        assert_eq!(arguments(Some(big)).unwrap_err().code, "invalid_params");
        assert_eq!(arguments(None).unwrap(), json!({}));
    }
}
