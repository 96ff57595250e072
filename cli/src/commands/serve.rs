//! `morph serve`: the installed extensions of a data dir behind a JSON API
//! (and MCP at `/mcp`) until SIGTERM or SIGINT. Prints
//! `listening on http://ADDR` first, so that scripts can find the port.
//! A second server on the same data dir refuses to start.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use morph_runtime_core::Error;
use morph_serve::api::ApiConfig;
use morph_serve::server::check_listen;
use morph_serve::{ServeOptions, Service, ServiceConfig, lock_data_dir, serve, shutdown_signal};

use super::verify::data_dir;
use crate::args::ServeArgs;
use crate::output::failure;

pub async fn run(args: &ServeArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match start(args, out, err).await {
        Ok(()) => 0,
        Err(e) => failure(out, err, false, &e, &[]),
    }
}

async fn start(args: &ServeArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Error> {
    let options = ServeOptions {
        listen: args.listen,
        allow_remote: args.allow_remote,
        api: ApiConfig {
            max_concurrent: args.max_concurrent,
            request_timeout: Duration::from_secs(args.request_timeout),
            ..ApiConfig::default()
        },
        drain: Duration::from_secs(args.drain),
    };
    check_listen(&options)?;
    let _lock = lock_data_dir(&data_dir(&args.service.trust))?;
    let service = start_service(&args.service, &args.host).await?;
    for ext in service.extensions() {
        if let Some(e) = ext.get("load_error") {
            let _ = writeln!(
                err,
                "warning: {} is installed but did not load: [{}] {}",
                ext["id"].as_str().unwrap_or_default(),
                e["code"].as_str().unwrap_or_default(),
                e["message"].as_str().unwrap_or_default()
            );
        }
    }
    let mcp = super::mcp::http_router(&service, args);
    serve(
        service,
        options,
        Some(mcp),
        |addr| {
            let _ = writeln!(out, "listening on http://{addr}");
            let _ = out.flush();
        },
        shutdown_signal(),
    )
    .await
}

/// The service over the data dir of `args`, with the host of `host`.
pub(crate) async fn start_service(
    args: &crate::args::ServiceArgs,
    host: &crate::args::HostArgs,
) -> Result<Arc<Service>, Error> {
    let config = ServiceConfig {
        trust_dir: args.trust.trust_dir.clone(),
        approval_ttl: Duration::from_secs(args.approval_ttl),
        code_policy: args.code_policy()?,
        ..ServiceConfig::new(data_dir(&args.trust))
    };
    Service::start(config, host.builder()?).await
}
