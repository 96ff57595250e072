//! The installed actions as MCP tools, for AI agents: `morph mcp` (stdio,
//! [`serve_stdio`]) and the `/mcp` endpoint of `morph serve` (stateless
//! Streamable HTTP, [`http_router`]).
//!
//! Both are one handler over one [`Service`](crate::Service), so **every
//! tool call is a [`Service::execute`](crate::Service::execute)** with the
//! client (`mcp:<name>`) or the token (`token:<name>`) as the caller the
//! audit log records. `ai_access` decides what an agent sees: `execute`
//! runs at once, `propose` runs once a person approved that exact call
//! (`approval.rs`), `blocked` is not a tool at all.
//!
//! - `tools.rs`: actions as tools; hints from the granted permissions.
//! - `results.rs`: results and errors as tool results.
//! - `approval.rs`: the three ways to a person, and their audit.
//! - `state.rs`: the sealed `requestState` of in-band approval.
//! - `caller.rs`: who a request comes from.
//! - `code.rs`: the `run_code` tool (code mode).
//! - `server.rs`: the handler; `stdio.rs` and `http.rs`: the transports.

mod approval;
mod caller;
mod code;
mod http;
mod results;
mod server;
mod state;
mod stdio;
mod tools;

#[cfg(test)]
mod tests;

pub use approval::{APPROVAL_DECLINED, APPROVAL_INVALID, APPROVAL_REQUIRED};
pub use http::{HttpMcpConfig, http_router};
pub use results::MAX_ARGUMENTS_BYTES;
pub use state::STATE_KEY_FILE;
pub use stdio::serve_stdio;
pub use tools::WRITE_PERMISSIONS;
