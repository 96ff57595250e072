//! `morph mcp`: MCP over stdin and stdout for one local client, until it
//! hangs up.
//!
//! **stdout carries only the protocol** (logs go to stderr, through
//! `tracing`). The installed extensions are watched while it runs, and a
//! client that initialized (2025-11-25 and before) is sent
//! `notifications/tools/list_changed` when they change; a 2026-07-28 client
//! hears of it on its `subscriptions/listen` stream.

use std::sync::Arc;

use morph_capabilities::{Error, Result};
use rmcp::ServiceExt;
use rmcp::service::{Peer, RoleServer, ServerInitializeError};
use rmcp::transport::IntoTransport;
use tokio::sync::broadcast::error::RecvError;

use super::server::{McpServer, Transport};
use super::state::StateSeal;
use crate::events::ServerEvent;
use crate::service::Service;

/// Serves MCP on stdin and stdout until stdin ends. Calls are recorded as
/// by `mcp:<clientInfo.name>` (sanitised), or `mcp:stdio` when the client
/// gives no name.
///
/// # Errors
/// `io` when the server key (`mcp-state.key`) cannot be made or read, or
/// stdin or stdout fail; what flushing the audit log fails with. A client
/// that hangs up before it says hello is not an error.
pub async fn serve_stdio(service: Arc<Service>) -> Result<()> {
    serve_on(service, rmcp::transport::stdio()).await
}

/// [`serve_stdio`] on any one-client byte stream (tests use a pipe).
pub(crate) async fn serve_on<T, E, A>(service: Arc<Service>, transport: T) -> Result<()>
where
    T: IntoTransport<RoleServer, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let seal = Arc::new(StateSeal::open_in(service.data_dir())?);
    let server = McpServer::new(service.clone(), Transport::Stdio, Some(seal));
    let watch = service.spawn_watch();
    let served = server.serve(transport).await;
    let outcome = match served {
        Ok(running) => {
            let notifier = tokio::spawn(forward_tools_changed(
                service.clone(),
                running.peer().clone(),
            ));
            let quit = running.waiting().await;
            notifier.abort();
            quit.map(|_| ()).map_err(|e| {
                Error::io("serving MCP on stdio", std::io::Error::other(e.to_string()))
            })
        }
        Err(ServerInitializeError::ConnectionClosed(_) | ServerInitializeError::Cancelled) => {
            Ok(())
        }
        Err(e) => Err(Error::io(
            "starting MCP on stdio",
            std::io::Error::other(e.to_string()),
        )),
    };
    watch.abort();
    service.flush()?;
    outcome
}

/// Tells an initialized client each time the tools change.
async fn forward_tools_changed(service: Arc<Service>, peer: Peer<RoleServer>) {
    let legacy = peer
        .peer_info()
        .is_some_and(|info| info.protocol_version.has_initialize());
    if !legacy {
        return;
    }
    let mut events = service.subscribe();
    loop {
        match events.recv().await {
            Ok(ServerEvent::ToolsChanged) | Err(RecvError::Lagged(_)) => {
                if peer.notify_tool_list_changed().await.is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(RecvError::Closed) => return,
        }
    }
}
