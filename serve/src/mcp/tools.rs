//! The loaded actions as MCP tools: `<extension>.<action>` (MCP tool names
//! allow `A-Z a-z 0-9 _ - .`; extension ids hold no `.` and action names
//! none either, so the first `.` splits a name unambiguously), the action's
//! description, its parameter schema as the input schema, and hints.
//!
//! **`ai_access: blocked` actions are never tools**: not listed, and a call
//! to one is answered exactly as a call to a tool that does not exist.
//! Installing, removing and granting are never tools either: only actions
//! are.
//!
//! **The hints come from the permissions the extension was granted**
//! (manifest ∩ host policy ∩ what was approved at install), never from
//! anything the extension says about itself:
//!
//! - `readOnlyHint` when it holds none of [`WRITE_PERMISSIONS`]
//!   (`http:write`, `vault:write`, `fs:write`, `data:write`, and
//!   `event:emit`, which reaches every listening extension);
//! - `destructiveHint` otherwise;
//! - `openWorldHint` when it holds `http:read` or `http:write`.

use std::sync::Arc;

use morph_capabilities::{Grants, Permission};
use morph_runtime_core::Host;
use morph_runtime_core::manifest::AiAccess;
use rmcp::ErrorData;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::Value;

/// The permissions that let a call change something.
pub const WRITE_PERMISSIONS: [Permission; 5] = [
    Permission::HttpWrite,
    Permission::VaultWrite,
    Permission::FsWrite,
    Permission::DataWrite,
    Permission::EventEmit,
];

/// Tool names longer than this are cut in error messages.
const MAX_NAME_IN_MESSAGE: usize = 140;

/// One loaded action offered as a tool.
#[derive(Debug, Clone)]
pub(crate) struct McpTool {
    /// The extension id.
    pub extension: String,
    /// The action name.
    pub action: String,
    /// The action's description.
    pub description: String,
    /// JSON Schema of the parameters.
    pub schema: Arc<JsonObject>,
    /// `execute` or `propose` (never `blocked`).
    pub ai_access: AiAccess,
    /// What the grants allow, as hints.
    pub hints: Hints,
    /// The granted permissions, for the approval form.
    pub permissions: Vec<String>,
    /// The granted HTTP hosts, for the approval form.
    pub hosts: Vec<String>,
    /// The extension's version.
    pub version: String,
}

/// The MCP tool annotations Morph sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hints {
    /// Holds no write permission.
    pub read_only: bool,
    /// Not read-only.
    pub destructive: bool,
    /// Holds an HTTP permission.
    pub open_world: bool,
}

impl Hints {
    /// The hints `grants` earn.
    pub(crate) fn from_grants(grants: &Grants) -> Hints {
        let read_only = !WRITE_PERMISSIONS.iter().any(|p| grants.has(*p));
        Hints {
            read_only,
            destructive: !read_only,
            open_world: grants.has(Permission::HttpRead) || grants.has(Permission::HttpWrite),
        }
    }
}

impl McpTool {
    /// `<extension>.<action>`.
    pub(crate) fn name(&self) -> String {
        format!("{}.{}", self.extension, self.action)
    }

    /// The tool as `tools/list` shows it.
    pub(crate) fn to_tool(&self) -> Tool {
        let description = match self.ai_access {
            AiAccess::Propose => format!(
                "{}\n\nA person approves each call of this tool before it runs.",
                self.description
            ),
            _ => self.description.clone(),
        };
        Tool::new(self.name(), description, self.schema.clone()).with_annotations(
            ToolAnnotations::new()
                .read_only(self.hints.read_only)
                .destructive(self.hints.destructive)
                .open_world(self.hints.open_world),
        )
    }
}

/// Every tool of the loaded extensions, by extension id, then in manifest
/// order.
pub(crate) fn list(host: &Host) -> Vec<McpTool> {
    host.extensions()
        .iter()
        .flat_map(|id| tools_of(host, id, None))
        .collect()
}

/// The tool named `name`, if it is one (`blocked` actions are not).
pub(crate) fn find(host: &Host, name: &str) -> Option<McpTool> {
    let (extension, action) = name.split_once('.')?;
    tools_of(host, extension, Some(action)).into_iter().next()
}

/// The tools of extension `id` (only `action`'s, when given).
fn tools_of(host: &Host, id: &str, action: Option<&str>) -> Vec<McpTool> {
    let (Some(manifest), Some(grants)) = (host.manifest(id), host.grants(id)) else {
        return Vec::new();
    };
    let hints = Hints::from_grants(&grants);
    let permissions: Vec<String> = grants.permissions.iter().map(|p| p.to_string()).collect();
    let hosts: Vec<String> = grants
        .allowed_hosts
        .iter()
        .map(ToString::to_string)
        .collect();
    manifest
        .actions
        .iter()
        .filter(|a| a.ai_access != AiAccess::Blocked)
        .filter(|a| action.is_none_or(|wanted| a.name == wanted))
        .map(|a| McpTool {
            extension: manifest.extension_id.clone(),
            action: a.name.clone(),
            description: a.description.clone(),
            schema: Arc::new(match a.parameters_schema() {
                Value::Object(schema) => schema,
                _ => JsonObject::new(),
            }),
            ai_access: a.ai_access,
            hints,
            permissions: permissions.clone(),
            hosts: hosts.clone(),
            version: manifest.version.to_string(),
        })
        .collect()
}

/// The answer to a call of a tool that is not one (unknown, or
/// `blocked`): a JSON-RPC invalid-params error, as MCP asks.
pub(crate) fn unknown_tool(name: &str) -> ErrorData {
    let shown: String = name
        .chars()
        .take(MAX_NAME_IN_MESSAGE)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    ErrorData::invalid_params(format!("Unknown tool: {shown}"), None)
}

#[cfg(test)]
mod tests {
    use morph_capabilities::PermissionSet;

    use super::*;

    fn hints(permissions: &[Permission]) -> Hints {
        let grants = Grants {
            permissions: permissions.iter().copied().collect::<PermissionSet>(),
            ..Grants::default()
        };
        Hints::from_grants(&grants)
    }

    #[test]
    fn hints_follow_the_granted_permissions() {
        let none = hints(&[]);
        assert!(none.read_only && !none.destructive && !none.open_world);
        let reader = hints(&[Permission::HttpRead, Permission::DataRead]);
        assert!(reader.read_only && !reader.destructive && reader.open_world);
        for write in WRITE_PERMISSIONS {
            let writer = hints(&[Permission::FsRead, write]);
            assert!(!writer.read_only && writer.destructive, "{write}");
            assert_eq!(writer.open_world, write == Permission::HttpWrite, "{write}");
        }
    }

    #[test]
    fn an_unknown_name_is_shown_bounded_and_printable() {
        let error = unknown_tool(&format!("x\n{}", "y".repeat(1000)));
        assert!(error.message.starts_with("Unknown tool: x?y"));
        assert!(error.message.len() < 200);
    }
}
