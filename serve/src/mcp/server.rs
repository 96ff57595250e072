//! [`McpServer`]: the MCP request handler over one [`Service`], shared by
//! the stdio and the HTTP transports.
//!
//! It answers `tools/list` with the loaded actions ([`super::tools`]) and
//! `tools/call` by **running the action through [`Service::execute`]** with
//! the request's caller and its cancellation (`notifications/cancelled`, a
//! dropped HTTP response) as the call's cancel token. `propose` actions pass
//! through [`super::approval`] first. One more tool, `run_code`, is code
//! mode ([`super::code`]). Speaks 2026-07-28 and falls back to
//! 2025-11-25 (and 2025-06-18) for clients that still `initialize`.

use std::borrow::Cow;
use std::sync::Arc;

use morph_runtime_core::manifest::AiAccess;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig, SubscriptionFilter,
    Tool,
};
use rmcp::service::{RequestContext, RoleServer, SubscriptionContext};
use rmcp::{ErrorData, ServerHandler};
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use super::approval::{Asking, Proposal, Verdict};
use morph_runtime_core::code::CodePolicyOverride;

use super::caller::{http_caller, http_code_policy, stdio_caller};
use super::code;
use super::results;
use super::state::StateSeal;
use super::tools::{self, McpTool};
use crate::events::ServerEvent;
use crate::service::Service;

/// The protocol versions served, oldest first.
const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V_2025_06_18,
    ProtocolVersion::V_2025_11_25,
    ProtocolVersion::V_2026_07_28,
];

/// Which transport a server answers on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// One client on stdin/stdout.
    Stdio,
    /// Stateless Streamable HTTP behind the token middleware.
    Http,
}

/// The MCP server of one [`Service`]. Cheap to clone (the HTTP transport
/// makes one per request).
#[derive(Debug, Clone)]
pub(crate) struct McpServer {
    service: Arc<Service>,
    transport: Transport,
    /// `None` when the key could not be made: then in-band MRTR approval is
    /// off and approvals go out of band.
    seal: Option<Arc<StateSeal>>,
}

impl McpServer {
    /// A server for `service` on `transport`, with the data dir's state seal.
    pub(crate) fn new(
        service: Arc<Service>,
        transport: Transport,
        seal: Option<Arc<StateSeal>>,
    ) -> McpServer {
        McpServer {
            service,
            transport,
            seal,
        }
    }

    /// Who sends this request.
    ///
    /// # Errors
    /// An invalid-request error over HTTP without a verified token.
    fn caller(&self, ctx: &RequestContext<RoleServer>) -> Result<String, ErrorData> {
        match self.transport {
            Transport::Stdio => Ok(stdio_caller(ctx.client_info().as_ref())),
            Transport::Http => http_caller(ctx.extensions.get()).ok_or_else(|| {
                ErrorData::invalid_request("the request carries no verified bearer token", None)
            }),
        }
    }

    /// Who sends this request, with the code mode limits of its token.
    ///
    /// # Errors
    /// As [`caller`](Self::caller).
    fn code_caller(&self, ctx: &RequestContext<RoleServer>) -> Result<code::Caller, ErrorData> {
        let name = self.caller(ctx)?;
        let limits = match self.transport {
            Transport::Stdio => CodePolicyOverride::default(),
            Transport::Http => http_code_policy(ctx.extensions.get()),
        };
        Ok(code::Caller { name, limits })
    }

    /// How a person can be asked during this request.
    fn asking(&self, ctx: &RequestContext<RoleServer>) -> Asking {
        let form = ctx
            .client_capabilities()
            .and_then(|c| c.elicitation)
            // `elicitation: {}` means form, as before modes existed.
            .is_some_and(|e| e.form.is_some() || e.url.is_none());
        let mrtr = ctx
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        match (&self.seal, form, mrtr, self.transport) {
            (_, false, _, _) => Asking::OutOfBand,
            (Some(seal), true, true, _) => Asking::Mrtr(seal.clone()),
            // A request to a stateless HTTP client never gets its answer.
            (_, true, false, Transport::Stdio) => Asking::Request(ctx.peer.clone()),
            _ => Asking::OutOfBand,
        }
    }

    /// Runs `tool` with `arguments` for `caller` until done or cancelled.
    async fn run(
        &self,
        tool: &McpTool,
        arguments: Value,
        caller: &str,
        ctx: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let execution = self
            .service
            .execute(
                &tool.extension,
                &tool.action,
                arguments,
                caller,
                Some(ctx.ct.clone()),
            )
            .await;
        results::from_execution(execution)
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
        .with_server_info(Implementation::new("morph", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "Morph runs sandboxed extensions; each tool is one action of an installed \
             extension (`<extension>.<action>`). A tool that needs a person's approval \
             says so; without in-band approval it answers `approval_required` with an id \
             a person approves with `morph approve <ID>`.",
        )
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Owned(VERSIONS.to_vec())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        self.caller(&ctx)?;
        let host = self.service.host();
        let mut listed: Vec<Tool> = tools::list(host).iter().map(McpTool::to_tool).collect();
        listed.push(code::tool(host));
        Ok(ListToolsResult::with_all_items(listed))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        if name == code::RUN_CODE {
            return Some(code::tool(self.service.host()));
        }
        tools::find(self.service.host(), name).map(|t| t.to_tool())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if request.name == code::RUN_CODE {
            let caller = self.code_caller(&ctx)?;
            let arguments = match results::arguments(request.arguments) {
                Ok(arguments) => arguments,
                Err(e) => return Ok(e.into_result().into()),
            };
            return Ok(code::call_asking(
                &self.service,
                arguments,
                &caller,
                ctx.ct.clone(),
                self.asking(&ctx),
                request.request_state.as_deref(),
                request.input_responses.as_ref(),
            )
            .await);
        }
        let caller = self.caller(&ctx)?;
        let Some(tool) = tools::find(self.service.host(), &request.name) else {
            return Err(tools::unknown_tool(&request.name));
        };
        let arguments = match results::arguments(request.arguments) {
            Ok(arguments) => arguments,
            Err(e) => return Ok(e.into_result().into()),
        };
        if tool.ai_access != AiAccess::Execute {
            let proposal = Proposal {
                service: &self.service,
                tool: &tool,
                arguments: &arguments,
                caller: &caller,
            };
            let verdict = proposal
                .verdict(
                    self.asking(&ctx),
                    request.request_state.as_deref(),
                    request.input_responses.as_ref(),
                    &ctx.ct,
                )
                .await;
            match verdict {
                Ok(Verdict::Run) => {}
                Ok(Verdict::Ask(input)) => return Ok(input.into()),
                Err(e) => return Ok(e.into_result().into()),
            }
        }
        Ok(self.run(&tool, arguments, &caller, &ctx).await.into())
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(requested.supported_by(&self.get_info().capabilities))
    }

    /// A 2026-07-28 `subscriptions/listen`: `tools/list_changed` whenever
    /// an install or removal changes the tools, until the client cancels.
    async fn listen(&self, ctx: SubscriptionContext) -> Result<(), ErrorData> {
        self.caller(ctx.request_context())?;
        let mut events = self.service.subscribe();
        loop {
            tokio::select! {
                () = ctx.cancelled() => return Ok(()),
                event = events.recv() => match event {
                    Ok(ServerEvent::ToolsChanged) | Err(RecvError::Lagged(_)) => {
                        if ctx.sink().notify_tool_list_changed().await.is_err() {
                            return Ok(());
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Closed) => return Ok(()),
                }
            }
        }
    }
}
