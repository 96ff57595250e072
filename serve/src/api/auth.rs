//! Bearer tokens on every route but the health ones. The middleware puts
//! the token's [`TokenInfo`] in the request's extensions; handlers (and the
//! MCP server) take the caller from there. A route that needs `admin`
//! checks it with [`require`].

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::error::ApiError;
use crate::service::Service;
use crate::tokens::{Scope, TokenInfo};

/// Refuses a request without a valid bearer token; otherwise passes it on
/// with the token's [`TokenInfo`] attached.
pub async fn authenticate(
    State(service): State<Arc<Service>>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = token else {
        return ApiError::unauthorized().into_response();
    };
    match service.tokens().check(token) {
        Ok(Some(info)) => {
            request.extensions_mut().insert(info);
            next.run(request).await
        }
        Ok(None) => ApiError::unauthorized().into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The token's info when its scope allows `needed`.
///
/// # Errors
/// `forbidden`.
pub fn require(info: &TokenInfo, needed: Scope) -> Result<(), ApiError> {
    if info.scope.allows(needed) {
        Ok(())
    } else {
        Err(ApiError::forbidden(needed.as_str()))
    }
}
