//! What an extension asks for and is granted, each item explained: the
//! document `morph inspect --json` prints and `GET /v1/extensions/{id}`
//! answers (the caller adds the extension's state).

use morph_capabilities::{Grants, LIMIT_RANGES, Permission};
use serde_json::{Value, json};

use crate::manifest::Manifest;
use crate::registry::RuntimeRegistry;

/// `manifest` (whose SHA-256 is `manifest_digest`) under `grants`: every
/// permission (requested, granted, explained), the hosts, every limit with
/// its default and range, the actions with their AI access and schemas.
pub fn describe(manifest: &Manifest, manifest_digest: &str, grants: &Grants) -> Value {
    let m = manifest;
    let runtime_linked = RuntimeRegistry::linked()
        .for_kind(m.runtime.as_str())
        .is_some();
    let permissions: Vec<Value> = Permission::ALL
        .into_iter()
        .map(|p| {
            json!({
                "permission": p.as_str(),
                "requested": m.permissions.contains(p),
                "granted": grants.has(p),
                "explain": p.explain(),
            })
        })
        .collect();
    let limits: Vec<Value> = LIMIT_RANGES
        .iter()
        .zip(m.resource_limits.values())
        .map(|(r, v)| {
            json!({
                "limit": r.field, "value": v, "default": r.default,
                "min": r.min, "max": r.max, "explain": r.explain,
            })
        })
        .collect();
    let actions: Vec<Value> = m
        .actions
        .iter()
        .map(|a| {
            json!({
                "name": a.name, "description": a.description,
                "ai_access": a.ai_access, "parameters": a.parameters_schema(),
            })
        })
        .collect();
    json!({
        "extension_id": m.extension_id,
        "version": m.version.to_string(),
        "name": m.metadata.name,
        "runtime": m.runtime.as_str(),
        "runtime_linked": runtime_linked,
        "entry": m.entry,
        "manifest_digest": manifest_digest,
        "permissions": permissions,
        "allowed_hosts": grants.allowed_hosts.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "limits": limits,
        "actions": actions,
    })
}
