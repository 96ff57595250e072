//! `morph mcp`: the installed extensions of a data dir as MCP tools on
//! stdin/stdout, for an AI agent that starts Morph itself; and the `/mcp`
//! endpoint `morph serve` mounts.

use std::io::Write;
use std::sync::Arc;

use axum::Router;
use morph_serve::Service;
use morph_serve::mcp::{HttpMcpConfig, http_router as mcp_router, serve_stdio};

use crate::args::{McpArgs, ServeArgs};
use crate::output::failure;

pub async fn run(args: &McpArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let served = async {
        // Watches the installs and syncs the audit log at the end itself.
        let service = super::serve::start_service(&args.service, &args.host).await?;
        serve_stdio(service).await
    };
    match served.await {
        Ok(()) => 0,
        // stdout belongs to the protocol: the error goes to stderr only.
        Err(e) => {
            let _ = out.flush();
            failure(&mut std::io::sink(), err, false, &e, &[])
        }
    }
}

/// `/mcp` for `morph serve`: browser origins from `--allow-origin`; the
/// `Host` header checked against loopback names unless the server listens
/// beyond loopback (then a proxy in front decides the names).
pub(crate) fn http_router(service: &Arc<Service>, args: &ServeArgs) -> Router {
    let mut config = HttpMcpConfig {
        allowed_origins: args.allowed_origins.clone(),
        ..HttpMcpConfig::default()
    };
    if args.allow_remote {
        config.allowed_hosts.clear();
    }
    Router::new().nest_service("/mcp", mcp_router(service.clone(), config))
}
