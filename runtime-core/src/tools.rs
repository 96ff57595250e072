//! Tool definitions: loaded actions described for an AI agent.
//!
//! An assistant calls extensions through the same `Host::execute` and the same
//! broker as any other caller; `ai_access` tells the app whether it may do so
//! without asking the user (`execute`) or only with approval (`propose`).
//! Actions marked `blocked` are never offered.

use serde_json::Value;

use crate::manifest::{AiAccess, Manifest};

/// One action as a tool an AI agent can call.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ToolDefinition {
    /// A tool name unique in the host: `<extension_id>__<action>`, with
    /// `-` kept (names match `^[a-z0-9_-]{1,130}$`).
    pub name: String,
    /// The extension id.
    pub extension: String,
    /// The action name.
    pub action: String,
    /// The action's description.
    pub description: String,
    /// JSON Schema of the parameters.
    pub parameters: Value,
    /// Whether the agent may call it without approval.
    pub ai_access: AiAccess,
}

impl ToolDefinition {
    /// The tools of one manifest (`blocked` actions left out).
    pub fn for_manifest(manifest: &Manifest) -> Vec<ToolDefinition> {
        manifest
            .actions
            .iter()
            .filter(|a| a.ai_access != AiAccess::Blocked)
            .map(|a| ToolDefinition {
                name: format!("{}__{}", manifest.extension_id, a.name),
                extension: manifest.extension_id.clone(),
                action: a.name.clone(),
                description: a.description.clone(),
                parameters: a.parameters_schema(),
                ai_access: a.ai_access,
            })
            .collect()
    }
}
