//! MCP over Streamable HTTP, stateless: each POST is one self-contained
//! exchange (no `Mcp-Session-Id`, no GET stream), so any number of server
//! processes can answer and nothing is kept between requests.
//!
//! **It runs nothing for a request without a verified token**: the auth
//! middleware of `morph serve` runs first and puts a
//! [`TokenInfo`](crate::TokenInfo) into the request's extensions; the
//! token's name is the caller. **Browsers are kept out by `Origin`**: a
//! request whose `Origin` is not listed gets 403 (one without `Origin`, from
//! a program, passes), and the `Host` must be one of the allowed hosts
//! (DNS-rebinding guard).
//!
//! What works here: tools, calls, cancellation (a dropped response cancels
//! the call), in-band approval on 2026-07-28 (MRTR), out-of-band approval on
//! every version, and `tools/list_changed` on a 2026-07-28
//! `subscriptions/listen` stream. A 2025-11-25 client gets no
//! `list_changed` push (there is no stream to push on) and no elicitation
//! request (its answer could not come back): it approves out of band.

use std::sync::Arc;

use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::results::MAX_ARGUMENTS_BYTES;
use super::server::{McpServer, Transport};
use super::state::StateSeal;
use crate::service::Service;

/// Who may reach the MCP endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpMcpConfig {
    /// Browser origins allowed, with scheme (`https://app.example`,
    /// `http://localhost:*` for any port). Requests with any other `Origin`
    /// are refused with 403; the empty list refuses every `Origin`.
    pub allowed_origins: Vec<String>,
    /// `Host` values allowed (`example.com`, `example.com:8443`); the
    /// default is the loopback names. The empty list allows any host.
    pub allowed_hosts: Vec<String>,
}

impl Default for HttpMcpConfig {
    /// Loopback hosts; no browser origin.
    fn default() -> HttpMcpConfig {
        HttpMcpConfig {
            allowed_origins: Vec::new(),
            allowed_hosts: ["localhost", "127.0.0.1", "::1"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// The MCP endpoint of `service` as a router, to mount with
/// `Router::nest_service("/mcp", http_router(service, config))` behind the
/// token middleware. It answers on every path below where it is mounted.
///
/// When the server key (`mcp-state.key`) cannot be made, in-band approval
/// is off (logged) and approvals go out of band.
pub fn http_router(service: Arc<Service>, config: HttpMcpConfig) -> axum::Router {
    let seal = match StateSeal::open_in(service.data_dir()) {
        Ok(seal) => Some(Arc::new(seal)),
        Err(e) => {
            tracing::warn!("MCP in-band approval is off: {e}");
            None
        }
    };
    let server = McpServer::new(service, Transport::Http, seal);
    let mut rmcp_config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_allowed_origins(config.allowed_origins)
        .enforce_origin_validation()
        // The arguments' bound plus room for the rest of the request.
        .with_max_request_body_bytes(MAX_ARGUMENTS_BYTES + 64 * 1024);
    rmcp_config = if config.allowed_hosts.is_empty() {
        rmcp_config.disable_allowed_hosts()
    } else {
        rmcp_config.with_allowed_hosts(config.allowed_hosts)
    };
    let service: StreamableHttpService<McpServer, NeverSessionManager> = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        rmcp_config,
    );
    axum::Router::new().fallback_service(service)
}
