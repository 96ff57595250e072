//! Code mode over HTTP: `POST /v1/code` runs a program that calls the
//! installed tools (scope `invoke`), `GET /v1/code/api` lists those tools as
//! typed declarations for the program's language.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use morph_runtime_core::code::{CodeLanguage, CodeRequest, python_api, typescript_api};
use serde::Deserialize;

use super::error::{ApiError, status_for};
use crate::service::Service;
use crate::tokens::TokenInfo;

/// The body of `POST /v1/code`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// `javascript`, `typescript` or `python`.
    language: String,
    /// The program.
    code: String,
    /// The id of a run that ended with `approval_required`, to take it up
    /// again once the approval is decided.
    #[serde(default)]
    resume: Option<String>,
}

/// `POST /v1/code`: the answer is the run's envelope (`run_id`, `result` or
/// `error`, `logs`, `tool_calls`), with the status of its error's code.
pub async fn run(
    State(service): State<Arc<Service>>,
    Extension(token): Extension<TokenInfo>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let body: CodeBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_params",
            format!("the body must be {{\"language\", \"code\", \"resume\"?}}: {e}"),
        )
    })?;
    let language = CodeLanguage::parse(&body.language)?;
    let run = service
        .run_code(CodeRequest {
            language,
            source: body.code,
            policy: service.code_policy(&token.code_policy),
            caller: Some(token.caller()),
            resume: body.resume,
            cancel: None,
        })
        .await;
    let status = match &run.result {
        Ok(_) => StatusCode::OK,
        Err(e) => status_for(e.code()),
    };
    Ok((status, Json(run.envelope())).into_response())
}

/// The query of `GET /v1/code/api`.
#[derive(Debug, Deserialize)]
pub struct ApiQuery {
    /// `javascript` (default), `typescript` or `python`.
    language: Option<String>,
}

/// `GET /v1/code/api`: the tools a program may call, as TypeScript
/// declarations or a Python listing (text).
pub async fn api(
    State(service): State<Arc<Service>>,
    Query(query): Query<ApiQuery>,
) -> Result<Response, ApiError> {
    let language = CodeLanguage::parse(query.language.as_deref().unwrap_or("javascript"))?;
    let tools = service.host().code_tools();
    let text = match language {
        CodeLanguage::Python => python_api(&tools),
        CodeLanguage::Javascript | CodeLanguage::Typescript => typescript_api(&tools),
    };
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
