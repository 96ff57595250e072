//! `/v1/extensions`: list, inspect, install, remove, run an action, store a
//! secret. Running an action answers exactly the `morph run --json`
//! envelope, with the HTTP status of its error code.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use morph_capabilities::HostPattern;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::require;
use crate::api::error::{ApiError, status_for};
use crate::install::record_json;
use crate::service::{InstallOutcome, Service};
use crate::tokens::{Scope, TokenInfo};

/// `GET /v1/extensions`.
pub async fn list(State(service): State<Arc<Service>>) -> Json<Value> {
    Json(json!({"extensions": service.extensions()}))
}

/// `GET /v1/extensions/{id}`.
pub async fn get(
    State(service): State<Arc<Service>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    service
        .extension(&id)
        .map(Json)
        .ok_or_else(|| ApiError::from(morph_capabilities::Error::UnknownExtension { id }))
}

/// The query of an upload.
#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    /// The digest of the permission diff being approved.
    approve: Option<String>,
    /// Allow an older version to replace a newer one.
    #[serde(default)]
    allow_downgrade: bool,
    /// What to record as the package's source.
    source: Option<String>,
}

/// The JSON form of an install from a registry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceInstall {
    /// `REGISTRY/REPO:TAG` or `@sha256:...`.
    reference: String,
    /// The digest of the permission diff being approved.
    approve: Option<String>,
    /// Allow an older version to replace a newer one.
    #[serde(default)]
    allow_downgrade: bool,
}

/// `POST /v1/extensions`: a `.morph` archive as the body
/// (`application/octet-stream`), or `{"reference": ...}` as JSON.
pub async fn install(
    State(service): State<Arc<Service>>,
    Extension(token): Extension<TokenInfo>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require(&token, Scope::Admin)?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let outcome = if is_json {
        let request: ReferenceInstall = serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_params",
                format!("the body: {e}"),
            )
        })?;
        service
            .install_reference(
                &request.reference,
                request.approve.as_deref(),
                request.allow_downgrade,
                &token.caller(),
            )
            .await?
    } else {
        let source = query.source.unwrap_or_else(|| "upload".to_owned());
        service
            .install(
                body.to_vec(),
                &source,
                query.approve.as_deref(),
                query.allow_downgrade,
                &token.caller(),
            )
            .await?
    };
    Ok(match outcome {
        InstallOutcome::Installed { record, diff } => (
            StatusCode::CREATED,
            Json(json!({"ok": true, "installed": record_json(&record), "approved": diff})),
        )
            .into_response(),
        InstallOutcome::NeedsApproval { diff, digest } => ApiError::new(
            StatusCode::CONFLICT,
            "approval_required",
            format!(
                "installing grants what `details.diff` lists; send it again with \
                 approve={digest} once a person approved exactly that"
            ),
        )
        .with_details(json!({"diff": diff, "digest": digest}))
        .into_response(),
    })
}

/// `DELETE /v1/extensions/{id}`.
pub async fn remove(
    State(service): State<Arc<Service>>,
    Extension(token): Extension<TokenInfo>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require(&token, Scope::Admin)?;
    let record = service.remove(&id, &token.caller()).await?;
    Ok(Json(json!({"ok": true, "removed": record_json(&record)})))
}

/// `POST /v1/extensions/{id}/actions/{action}`: the params are the body (an
/// empty body is `{}`).
pub async fn execute(
    State(service): State<Arc<Service>>,
    Extension(token): Extension<TokenInfo>,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let params: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_params",
                format!("the body is not JSON: {e}"),
            )
        })?
    };
    let execution = service
        .execute(&id, &action, params, &token.caller(), None)
        .await;
    Ok(match &execution.result {
        // The common case, serialised straight into the body.
        Ok(result) if execution.audit.is_empty() => (
            StatusCode::OK,
            Json(OkEnvelope {
                audit: &[],
                ok: true,
                result,
            }),
        )
            .into_response(),
        Ok(_) => (StatusCode::OK, Json(execution.envelope())).into_response(),
        Err(e) => (status_for(e.code()), Json(execution.envelope())).into_response(),
    })
}

/// The envelope of a call that succeeded without audit records: the bytes
/// of `Json(execution.envelope())` (a `Value` object, so its keys come out
/// sorted, as they are declared here), without first building the envelope
/// as a `Value` and cloning the result into it. Audit records go through
/// [`Execution::envelope`](morph_runtime_core::Execution::envelope), which
/// sorts their keys too.
#[derive(serde::Serialize)]
struct OkEnvelope<'a> {
    audit: &'a [Value],
    ok: bool,
    result: &'a Value,
}

/// The JSON form of a secret.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secret {
    /// The value.
    value: String,
    /// Hosts it may be sent to.
    hosts: Option<Vec<String>>,
}

/// `PUT /v1/extensions/{id}/vault/{key}`: the value as the body (text), or
/// `{"value": ..., "hosts": [...]}` as JSON. Write-only: the answer never
/// holds the value.
pub async fn vault_set(
    State(service): State<Arc<Service>>,
    Extension(token): Extension<TokenInfo>,
    Path((id, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    require(&token, Scope::Admin)?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let secret = if is_json {
        serde_json::from_slice::<Secret>(&body).map_err(|_| {
            // Never echo the body: it holds the value.
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_params",
                "the body must be {\"value\": string, \"hosts\": [string]?}",
            )
        })?
    } else {
        Secret {
            value: String::from_utf8(body.to_vec()).map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_params",
                    "the value is not UTF-8",
                )
            })?,
            hosts: None,
        }
    };
    let hosts = match &secret.hosts {
        None => None,
        Some(list) => Some(
            list.iter()
                .map(|h| {
                    HostPattern::parse(h.trim())
                        .map_err(|e| morph_capabilities::Error::params("hosts", e.to_string()))
                })
                .collect::<morph_capabilities::Result<Vec<_>>>()?,
        ),
    };
    let record = service
        .vault_set(&id, &key, &secret.value, hosts, &token.caller())
        .await?;
    Ok(Json(json!({
        "ok": true,
        "extension": id,
        "key": key,
        "hosts": secret.hosts,
        "audit_seq": record.seq,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use morph_runtime_core::Execution;

    #[test]
    fn the_ok_envelope_is_the_bytes_of_execution_envelope() {
        for result in [
            json!({"value": 1}),
            json!({"z": [1, 2.5, null], "a": {"y": "\"quoted\"\n", "b": true}}),
            json!("text"),
            json!(null),
            json!([]),
        ] {
            let execution = Execution {
                call_id: "c1".to_owned(),
                result: Ok(result.clone()),
                audit: Vec::new(),
                logs: Vec::new(),
            };
            let direct = serde_json::to_vec(&OkEnvelope {
                audit: &[],
                ok: true,
                result: &result,
            })
            .unwrap();
            assert_eq!(
                String::from_utf8(direct).unwrap(),
                serde_json::to_string(&execution.envelope()).unwrap()
            );
        }
    }
}
