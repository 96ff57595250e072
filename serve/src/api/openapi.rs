//! `GET /v1/openapi.json`: the OpenAPI 3.1 description of every route.
//! A test checks that each route the router serves is described here.

use axum::Json;
use serde_json::{Value, json};

/// Every described `(method, path)`, for the test that keeps this page and
/// the router in step.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/v1/openapi.json"),
    ("get", "/v1/extensions"),
    ("post", "/v1/extensions"),
    ("get", "/v1/extensions/{id}"),
    ("delete", "/v1/extensions/{id}"),
    ("post", "/v1/extensions/{id}/actions/{action}"),
    ("put", "/v1/extensions/{id}/vault/{key}"),
    ("get", "/v1/audit"),
    ("get", "/v1/audit/verify"),
    ("post", "/v1/code"),
    ("get", "/v1/code/api"),
    ("get", "/v1/approvals"),
    ("post", "/v1/approvals/{id}"),
    ("get", "/v1/events"),
    ("post", "/mcp"),
];

/// `GET /v1/openapi.json`.
pub async fn document() -> Json<Value> {
    Json(spec())
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Failure"}}}
    })
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description,
           "schema": {"type": "string"}})
}

/// The document.
pub fn spec() -> Value {
    let id = path_param("id", "The extension id.");
    let errors = json!({
        "401": error_response("`unauthorized`: no or an unknown bearer token."),
        "403": error_response("`forbidden`: the token's scope does not allow the route."),
        "503": error_response("`overloaded`: too many requests at once; see `Retry-After`."),
    });
    let with_errors = |mut responses: Value| {
        if let (Some(r), Some(e)) = (responses.as_object_mut(), errors.as_object()) {
            for (k, v) in e {
                r.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        responses
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Morph",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Run sandboxed extensions (WebAssembly, JavaScript, Python) under one \
                capability broker. Every route but /healthz and /readyz needs \
                `Authorization: Bearer <token>` (`morph token create NAME --scope invoke|admin`); \
                the token's name is the caller the audit log records."
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Failure": {
                    "type": "object", "required": ["ok", "error"],
                    "properties": {
                        "ok": {"const": false},
                        "error": {"type": "object", "required": ["code", "message"], "properties": {
                            "code": {"type": "string", "description": "A stable code: Morph's (`permission_denied`, `timeout`, ...) or the server's (`unauthorized`, `forbidden`, `not_found`, `overloaded`, `approval_required`, `request_timeout`)."},
                            "message": {"type": "string"},
                            "stack": {"type": "string"},
                            "details": {}
                        }},
                        "audit": {"type": "array", "items": {"$ref": "#/components/schemas/AuditRecord"}}
                    }
                },
                "Envelope": {
                    "description": "Exactly what `morph run --json` prints.",
                    "oneOf": [
                        {"type": "object", "required": ["ok", "result", "audit"], "properties": {
                            "ok": {"const": true}, "result": {},
                            "audit": {"type": "array", "items": {"$ref": "#/components/schemas/AuditRecord"}}}},
                        {"$ref": "#/components/schemas/Failure"}
                    ]
                },
                "AuditRecord": {"type": "object", "required": ["seq", "ts_ms", "extension", "capability", "decision", "outcome", "prev_hash", "hash"],
                    "properties": {"seq": {"type": "integer"}, "ts_ms": {"type": "integer"},
                        "extension": {"type": "string"}, "action": {"type": "string"},
                        "call_id": {"type": "string"}, "capability": {"type": "string"},
                        "decision": {"enum": ["allowed", "denied"]}, "outcome": {"type": "string"},
                        "caller": {"type": "string"}, "prev_hash": {"type": "string"}, "hash": {"type": "string"}}},
                "Installed": {"type": "object", "properties": {
                    "id": {"type": "string"}, "version": {"type": "string"}, "digest": {"type": "string"},
                    "publisher": {"type": ["string", "null"]}, "permissions": {"type": "array", "items": {"type": "string"}},
                    "allowed_hosts": {"type": "array", "items": {"type": "string"}}, "source": {"type": "string"},
                    "state": {"enum": ["enabled", "quarantined", "failed"]}, "runtime": {"type": "string"}}}
            }
        },
        "security": [{"bearer": []}],
        "paths": {
            "/healthz": {"get": {"summary": "The process answers.", "security": [],
                "responses": {"200": {"description": "ok"}}}},
            "/readyz": {"get": {"summary": "Ready to serve (not shutting down).", "security": [],
                "responses": {"200": {"description": "ready"}, "503": {"description": "shutting down"}}}},
            "/metrics": {"get": {"summary": "Prometheus text: calls, latency histograms, denials and limit hits per extension and runtime, extensions loaded.",
                "responses": with_errors(json!({"200": {"description": "text/plain; version=0.0.4"}}))}},
            "/v1/openapi.json": {"get": {"summary": "This document.",
                "responses": with_errors(json!({"200": {"description": "OpenAPI 3.1"}}))}},
            "/v1/extensions": {
                "get": {"summary": "Installed extensions with their state (scope invoke).",
                    "responses": with_errors(json!({"200": {"description": "ok", "content": {"application/json": {"schema": {
                        "type": "object", "properties": {"extensions": {"type": "array", "items": {"$ref": "#/components/schemas/Installed"}}}}}}}}))},
                "post": {"summary": "Install or update (scope admin): a `.morph` archive as the body, or `{\"reference\": \"REGISTRY/REPO:TAG\"}` as JSON. The same trust checks as `morph install`. Without `approve` equal to the digest of the permission diff the answer is 409 `approval_required` with `details.diff` and `details.digest`.",
                    "parameters": [
                        {"name": "approve", "in": "query", "schema": {"type": "string"}, "description": "`sha256:...` of the permission diff a person approved."},
                        {"name": "allow_downgrade", "in": "query", "schema": {"type": "boolean"}},
                        {"name": "source", "in": "query", "schema": {"type": "string"}, "description": "Recorded as the package's source."}],
                    "requestBody": {"content": {
                        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                        "application/json": {"schema": {"type": "object", "required": ["reference"], "properties": {
                            "reference": {"type": "string"}, "approve": {"type": "string"}, "allow_downgrade": {"type": "boolean"}}}}}},
                    "responses": with_errors(json!({
                        "201": {"description": "installed"},
                        "400": error_response("`invalid_package`, `invalid_manifest`"),
                        "409": error_response("`approval_required`")}))}
            },
            "/v1/extensions/{id}": {
                "get": {"summary": "What `morph inspect` shows, under the grants it runs with (scope invoke).", "parameters": [id],
                    "responses": with_errors(json!({"200": {"description": "ok"}, "404": error_response("`unknown_extension`")}))},
                "delete": {"summary": "Uninstall (scope admin); its vault, tasks and files stay.", "parameters": [id],
                    "responses": with_errors(json!({"200": {"description": "removed"}, "404": error_response("`unknown_extension`")}))}
            },
            "/v1/extensions/{id}/actions/{action}": {"post": {
                "summary": "Run an action (scope invoke). The body is the params (JSON; empty is {}). The answer is the `morph run --json` envelope; its status fits the error code: 404 unknown_extension/unknown_action, 422 invalid_params, 403 permission_denied/host_not_allowed, 429 rate_limited/quota_exceeded, 423 extension_quarantined, 504 timeout, 502 an extension failure (guest_error, guest_crash, memory_limit, ...), 500 io/internal.",
                "parameters": [id, path_param("action", "The action.")],
                "requestBody": {"content": {"application/json": {"schema": {}}}},
                "responses": with_errors(json!({
                    "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}},
                    "4XX": {"description": "the call failed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}},
                    "5XX": {"description": "the call failed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}}}))}},
            "/v1/extensions/{id}/vault/{key}": {"put": {
                "summary": "Store a secret (scope admin). Write-only: no route returns a value. The body is the value as text, or `{\"value\": ..., \"hosts\": [...]}` as JSON to bind it to hosts.",
                "parameters": [id, path_param("key", "The vault key.")],
                "requestBody": {"content": {"text/plain": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "object", "required": ["value"], "properties": {
                        "value": {"type": "string"}, "hosts": {"type": "array", "items": {"type": "string"}}}}}}},
                "responses": with_errors(json!({"200": {"description": "stored"}, "404": error_response("`unknown_extension`")}))}},
            "/v1/audit": {"get": {"summary": "The latest audit records (scope admin), oldest first.",
                "parameters": [
                    {"name": "extension", "in": "query", "schema": {"type": "string"}},
                    {"name": "decision", "in": "query", "schema": {"enum": ["allowed", "denied"]}},
                    {"name": "since", "in": "query", "schema": {"type": "integer"}, "description": "Unix milliseconds."},
                    {"name": "caller", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 10000}}],
                "responses": with_errors(json!({"200": {"description": "ok"}}))}},
            "/v1/audit/verify": {"get": {"summary": "Check the hash chain and the signed checkpoints (scope admin).",
                "responses": with_errors(json!({"200": {"description": "`ok` and the report"}}))}},
            "/v1/code": {"post": {"summary": "Code mode (scope invoke): run a JavaScript, TypeScript or Python program in a fresh sandbox with no permission but calling the installed tools (`await tools.<extension>.<action>(...)`). A `propose` tool stops the run with 409 `approval_required` and `error.approval_id`; once approved, send the same code with `resume` = the `run_id`: completed tool calls are answered from the record, never run again.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["language", "code"], "properties": {
                    "language": {"type": "string", "enum": ["javascript", "typescript", "python"]},
                    "code": {"type": "string", "description": "JS/TS: the body of an async function (`return` gives the result). Python: a module whose last expression is the result; `await` works at the top level."},
                    "resume": {"type": "string", "description": "The run_id of a run that ended with approval_required."}}}}}},
                "responses": with_errors(json!({
                    "200": {"description": "`ok`, `run_id`, `result`, `logs`, `tool_calls`"},
                    "4XX": {"description": "the run failed: `ok` false, `run_id`, `error` (`code`, `message`, `approval_id`?), `logs`, `tool_calls`"}}))}},
            "/v1/code/api": {"get": {"summary": "The tools a program may call (never `blocked` ones), as TypeScript declarations or a Python listing (scope invoke).",
                "parameters": [{"name": "language", "in": "query", "schema": {"type": "string", "enum": ["javascript", "typescript", "python"]}}],
                "responses": with_errors(json!({"200": {"description": "text/plain"}}))}},
            "/v1/approvals": {"get": {"summary": "The `propose` calls waiting for a person (scope admin).",
                "responses": with_errors(json!({"200": {"description": "ok"}}))}},
            "/v1/approvals/{id}": {"post": {"summary": "Approve or decline (scope admin); audited.",
                "parameters": [path_param("id", "The approval id.")],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["approve"], "properties": {"approve": {"type": "boolean"}}}}}},
                "responses": with_errors(json!({"200": {"description": "decided"}, "422": error_response("`invalid_params`: unknown, decided or expired")}))}},
            "/v1/events": {"get": {"summary": "Server events as SSE (scope admin): call, installed, removed, load_failed, tools_changed, approval.",
                "responses": with_errors(json!({"200": {"description": "text/event-stream"}}))}},
            "/mcp": {"post": {"summary": "The Model Context Protocol (Streamable HTTP, stateless; 2026-07-28 with 2025-11-25 fallback): the installed actions as tools (scope invoke). The Origin header, when sent, must be allowed.",
                "responses": with_errors(json!({"200": {"description": "JSON-RPC"}}))}}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_described() {
        let spec = spec();
        for (method, path) in ROUTES {
            assert!(
                spec["paths"][path][method].is_object(),
                "{method} {path} is not in the document"
            );
        }
    }
}
