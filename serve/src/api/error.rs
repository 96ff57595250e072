//! Errors as the API answers them: the `morph run --json` failure envelope
//! (`{"ok": false, "error": {"code", "message"}}`) with an HTTP status that
//! fits the code. Morph's own codes keep their spelling; the server adds
//! its own (`unauthorized`, `forbidden`, `not_found`, `payload_too_large`,
//! `overloaded`, `approval_required`, `request_timeout`).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use morph_capabilities::{Error, ErrorCode};
use serde_json::{Value, json};

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code.
    pub code: String,
    /// What happened (never a secret).
    pub message: String,
    /// More, for codes that carry it (`approval_required`: the diff).
    pub details: Option<Value>,
}

impl ApiError {
    /// An error with a server code.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
            details: None,
        }
    }

    /// No or a wrong bearer token.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this route needs `Authorization: Bearer <token>` with a token from \
             `morph token create`",
        )
    }

    /// A token whose scope does not allow the route.
    pub fn forbidden(needed: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this route needs a token with scope `{needed}`"),
        )
    }

    /// A route or resource that does not exist.
    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    /// The same error with `details`.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = Some(details);
        self
    }

    /// The body.
    pub fn body(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(details) = &self.details {
            error["details"] = details.clone();
        }
        json!({"ok": false, "error": error})
    }
}

/// The HTTP status for a Morph error code.
pub fn status_for(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidManifest | ErrorCode::InvalidPackage => StatusCode::BAD_REQUEST,
        ErrorCode::SignatureInvalid
        | ErrorCode::UnsignedPackage
        | ErrorCode::UntrustedPublisher
        | ErrorCode::PermissionDenied
        | ErrorCode::HostNotAllowed
        | ErrorCode::ApprovalDeclined => StatusCode::FORBIDDEN,
        // A person must decide first: the same status as an install's.
        ErrorCode::ApprovalRequired => StatusCode::CONFLICT,
        ErrorCode::UnknownExtension | ErrorCode::UnknownAction => StatusCode::NOT_FOUND,
        ErrorCode::InvalidParams => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::RateLimited | ErrorCode::QuotaExceeded | ErrorCode::ToolCallsExceeded => {
            StatusCode::TOO_MANY_REQUESTS
        }
        ErrorCode::Timeout => StatusCode::GATEWAY_TIMEOUT,
        ErrorCode::ExtensionQuarantined => StatusCode::LOCKED,
        ErrorCode::RuntimeUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        // The client went away or asked to stop: 499 as nginx spells it.
        ErrorCode::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        ErrorCode::Io | ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        // The extension itself failed: the upstream of this gateway.
        _ => StatusCode::BAD_GATEWAY,
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let wire = e.to_wire();
        ApiError {
            status: status_for(wire.code),
            code: wire.code.as_str().to_owned(),
            message: wire.message,
            details: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
