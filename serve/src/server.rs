//! Running the server: bind (loopback unless `allow_remote`), serve the API
//! (and the MCP endpoint beside it), watch the install store, and on
//! SIGTERM or SIGINT shut down gracefully: stop accepting, answer `/readyz`
//! 503, end event streams, let calls in flight finish up to the drain
//! deadline, then sync the audit log.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use morph_capabilities::{Error, Result};
use tokio_util::sync::CancellationToken;

use crate::api::{ApiConfig, router};
use crate::service::Service;

/// How a server listens and stops.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Whether a non-loopback address is allowed (serve TLS through a
    /// proxy in front: Morph speaks plain HTTP).
    pub allow_remote: bool,
    /// The API's limits.
    pub api: ApiConfig,
    /// How long calls in flight may run on after a shutdown signal.
    pub drain: Duration,
}

/// Serves until `stop` resolves (a signal, in the CLI). `on_listening` is
/// told the bound address (port 0 picks one) before the first request.
///
/// # Errors
/// `invalid_params` for a non-loopback address without `allow_remote`;
/// `io` when the address cannot be bound or the audit log not synced.
pub async fn serve(
    service: Arc<Service>,
    options: ServeOptions,
    mcp: Option<Router>,
    on_listening: impl FnOnce(SocketAddr),
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    check_listen(&options)?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| Error::io(format!("listening on {}", options.listen), e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::io("reading the bound address", e))?;
    let shutdown = CancellationToken::new();
    let app = router(service.clone(), options.api.clone(), shutdown.clone(), mcp);
    let watch = service.spawn_watch();
    on_listening(bound);
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .into_future();
    let mut server = tokio::spawn(server);
    tokio::select! {
        ended = &mut server => {
            watch.abort();
            service.flush()?;
            return match ended {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(Error::io("serving", e)),
                Err(e) => Err(Error::internal(format!("the server task ended: {e}"))),
            };
        }
        () = stop => {}
    }
    tracing::info!("shutting down: draining calls in flight");
    shutdown.cancel();
    if tokio::time::timeout(options.drain, &mut server)
        .await
        .is_err()
    {
        tracing::warn!(
            "calls still running after {} s; leaving them (their audit intents show it)",
            options.drain.as_secs()
        );
        server.abort();
    }
    watch.abort();
    service.flush()
}

/// Refuses a non-loopback address without `allow_remote`.
///
/// # Errors
/// `invalid_params`.
pub fn check_listen(options: &ServeOptions) -> Result<()> {
    if !options.listen.ip().is_loopback() && !options.allow_remote {
        return Err(Error::params(
            "listen",
            format!(
                "{} is not a loopback address; pass --allow-remote, and put a proxy that \
                 terminates TLS in front (Morph serves plain HTTP)",
                options.listen
            ),
        ));
    }
    Ok(())
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
