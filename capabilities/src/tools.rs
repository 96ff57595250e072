//! `tools.call`: how a code run reaches installed extensions' actions.
//!
//! A code run (the host's `run_code`) is a program nobody installed; its one
//! capability besides `log` is calling tools. The broker refuses
//! `tools.call` to every call whose [`CallContext`] carries no
//! [`ToolGateway`] (every extension), and for a code run hands the request
//! to the gateway the host attached: **the broker still counts, times and
//! audits the request**, and the gateway runs the tool as an ordinary call
//! of its extension, under that extension's own manifest, limits, approval
//! rule and audit records.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::call::CallContext;
use crate::error::Result;

/// The `tools.call` request: which tool, with which arguments.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCallRequest {
    /// `<extension>.<action>`.
    pub tool: String,
    /// The action's parameters (an object); absent for none.
    #[serde(default)]
    pub arguments: Option<Value>,
}

/// Runs the tools a code run calls (implemented by the host).
pub trait ToolGateway: Send + Sync + std::fmt::Debug {
    /// Runs `request` for the code run `ctx` belongs to and returns the
    /// tool's result.
    ///
    /// # Errors
    /// What the tool's call ended with (`unknown_action` for a tool the
    /// run may not see, `invalid_params`, the tool's own failure), or the
    /// run's own limits and approvals (`tool_calls_exceeded`,
    /// `approval_required`, `approval_declined`).
    fn call<'a>(
        &'a self,
        ctx: &'a CallContext,
        request: ToolCallRequest,
    ) -> Pin<Box<dyn Future<Output = Result<Value>> + Send + 'a>>;
}
