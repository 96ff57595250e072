//! The JSON API of `morph serve`, versioned under `/v1`, and its layers:
//! bearer tokens on every route but the health ones, a body cap per route,
//! a per-request timeout, and a concurrency limit that queues briefly and
//! then answers `overloaded` (503, `Retry-After`).

pub mod audit;
pub mod auth;
pub mod code;
pub mod error;
pub mod events;
pub mod extensions;
pub mod health;
pub mod openapi;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::api::error::ApiError;
use crate::service::Service;

/// The limits the API enforces.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest JSON body (action params, secrets, decisions).
    pub max_body_bytes: usize,
    /// Largest uploaded `.morph` archive.
    pub max_package_bytes: usize,
    /// How long one request may take before it is answered `request_timeout`
    /// (an action's own deadline is usually far shorter).
    pub request_timeout: Duration,
    /// Requests handled at once; more wait up to `queue_wait`.
    pub max_concurrent: usize,
    /// How long a request waits for a slot before `overloaded`.
    pub queue_wait: Duration,
}

impl Default for ApiConfig {
    fn default() -> ApiConfig {
        ApiConfig {
            max_body_bytes: 10 * 1024 * 1024,
            max_package_bytes: 256 * 1024 * 1024,
            request_timeout: Duration::from_secs(300),
            max_concurrent: 256,
            queue_wait: Duration::from_secs(5),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct ApiState {
    /// The service.
    pub service: Arc<Service>,
    /// Cancelled when the server starts shutting down.
    pub shutdown: CancellationToken,
    slots: Arc<Semaphore>,
    config: Arc<ApiConfig>,
}

impl FromRef<ApiState> for Arc<Service> {
    fn from_ref(state: &ApiState) -> Arc<Service> {
        state.service.clone()
    }
}

/// The API's routes with their layers. `extra` (the MCP endpoint) is merged
/// behind the same token check and limits.
pub fn router(
    service: Arc<Service>,
    config: ApiConfig,
    shutdown: CancellationToken,
    extra: Option<Router>,
) -> Router {
    let state = ApiState {
        service,
        shutdown,
        slots: Arc::new(Semaphore::new(config.max_concurrent.max(1))),
        config: Arc::new(config.clone()),
    };
    let mut protected = Router::new()
        .route(
            "/v1/extensions",
            get(extensions::list)
                .post(extensions::install)
                .layer(DefaultBodyLimit::max(config.max_package_bytes)),
        )
        .route(
            "/v1/extensions/{id}",
            get(extensions::get).delete(extensions::remove),
        )
        .route(
            "/v1/extensions/{id}/actions/{action}",
            post(extensions::execute),
        )
        .route(
            "/v1/extensions/{id}/vault/{key}",
            put(extensions::vault_set),
        )
        .route("/v1/code", post(code::run))
        .route("/v1/code/api", get(code::api))
        .route("/v1/audit", get(audit::list))
        .route("/v1/audit/verify", get(audit::verify))
        .route("/v1/approvals", get(audit::approvals))
        .route("/v1/approvals/{id}", post(audit::decide))
        .route("/v1/events", get(events::stream))
        .route("/v1/openapi.json", get(openapi::document))
        .route("/metrics", get(health::metrics))
        .with_state(state.clone());
    if let Some(extra) = extra {
        protected = protected.merge(extra);
    }
    let protected = protected
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            state.service.clone(),
            auth::authenticate,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), admit));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(state.clone())
        .merge(protected)
        .fallback(not_found)
}

/// The concurrency limit and the per-request timeout.
async fn admit(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let permit =
        tokio::time::timeout(state.config.queue_wait, state.slots.clone().acquire_owned()).await;
    let Ok(Ok(_permit)) = permit else {
        let mut response = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            format!(
                "{} requests are running; try again shortly",
                state.config.max_concurrent
            ),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    match tokio::time::timeout(state.config.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the request took longer than {} s",
                state.config.request_timeout.as_secs()
            ),
        )
        .into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route; GET /v1/openapi.json lists them")
}
