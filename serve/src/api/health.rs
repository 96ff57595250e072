//! `/healthz` (the process answers), `/readyz` (the extensions are loaded
//! and the server is not shutting down), `/metrics` (Prometheus text).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::api::ApiState;

/// `GET /healthz`: no token needed.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: no token needed; 503 while shutting down.
pub async fn readyz(State(state): State<ApiState>) -> impl IntoResponse {
    if state.shutdown.is_cancelled() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
    } else {
        (StatusCode::OK, "ready\n")
    }
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<ApiState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.service.metrics_text(),
    )
}
