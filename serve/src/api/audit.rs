//! `/v1/audit` (the latest records, filtered), `/v1/audit/verify` (the
//! chain and checkpoints checked), `/v1/approvals` (the queue of `propose`
//! calls waiting for a person, and the decision). Admin only.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use morph_capabilities::audit::Decision;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::require;
use crate::api::error::ApiError;
use crate::service::Service;
use crate::tokens::{Scope, TokenInfo};

/// The most records one answer holds.
const MAX_LIMIT: usize = 10_000;

/// Filters of `GET /v1/audit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only this extension's records.
    extension: Option<String>,
    /// `allowed` or `denied`.
    decision: Option<String>,
    /// Only records at or after this Unix millisecond.
    since: Option<u64>,
    /// Only this caller's records (`token:<name>`, `mcp:<client>`).
    caller: Option<String>,
    /// How many of the latest (default 100).
    limit: Option<usize>,
}

/// `GET /v1/audit`.
pub async fn list(
    State(service): State<Arc<Service>>,
    Extension(token): Extension<TokenInfo>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    require(&token, Scope::Admin)?;
    let decision = match q.decision.as_deref() {
        None => None,
        Some("allowed") => Some(Decision::Allowed),
        Some("denied") => Some(Decision::Denied),
        Some(other) => {
            return Err(morph_capabilities::Error::params(
                "decision",
                format!("`{other}` is not `allowed` or `denied`"),
            )
            .into());
        }
    };
    let limit = q.limit.unwrap_or(100).min(MAX_LIMIT);
    let records = tokio::task::block_in_place(|| {
        service.audit(limit, |r| {
            q.extension.as_ref().is_none_or(|e| &r.entry.extension == e)
                && decision.is_none_or(|d| r.entry.decision == d)
                && q.since.is_none_or(|s| r.entry.ts_ms >= s)
                && q.caller
                    .as_ref()
                    .is_none_or(|c| r.entry.caller.as_ref() == Some(c))
        })
    })?;
    Ok(Json(json!({"records": records})))
}

/// `GET /v1/audit/verify`.
pub async fn verify(
    State(service): State<Arc<Service>>,
    Extension(token): Extension<TokenInfo>,
) -> Result<Json<Value>, ApiError> {
    require(&token, Scope::Admin)?;
    let report = tokio::task::block_in_place(|| service.verify_audit())?;
    Ok(Json(json!({"ok": report.is_ok(), "report": report})))
}

/// `GET /v1/approvals`: the ones waiting.
pub async fn approvals(
    State(service): State<Arc<Service>>,
    Extension(token): Extension<TokenInfo>,
) -> Result<Json<Value>, ApiError> {
    require(&token, Scope::Admin)?;
    Ok(Json(json!({"approvals": service.approvals().pending()?})))
}

/// The body of `POST /v1/approvals/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decide {
    /// `true` approves, `false` declines.
    approve: bool,
}

/// `POST /v1/approvals/{id}`: a person's decision, audited.
pub async fn decide(
    State(service): State<Arc<Service>>,
    Extension(token): Extension<TokenInfo>,
    Path(id): Path<String>,
    Json(decision): Json<Decide>,
) -> Result<Json<Value>, ApiError> {
    require(&token, Scope::Admin)?;
    let approval = service.decide_approval(&id, decision.approve, &token.caller())?;
    Ok(Json(json!({"ok": true, "approval": approval})))
}
