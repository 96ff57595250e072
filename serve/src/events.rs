//! What happens on a server, as events: `GET /v1/events` streams them (SSE)
//! and the MCP server turns install and removal into `tools/list_changed`.

use serde::Serialize;

/// One server event. Never carries a parameter, a result or a secret:
/// only what the audit log would name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// A call ended.
    Call {
        /// Its id (as in its audit records).
        call_id: String,
        /// The extension.
        extension: String,
        /// The action.
        action: String,
        /// Who asked.
        caller: String,
        /// `ok` or the error code.
        outcome: String,
        /// How long it took, microseconds.
        duration_us: u64,
    },
    /// An extension was installed, updated or loaded again.
    Installed {
        /// Its id.
        extension: String,
        /// Its version.
        version: String,
    },
    /// An extension was removed.
    Removed {
        /// Its id.
        extension: String,
    },
    /// An installed extension could not be loaded.
    LoadFailed {
        /// Its id.
        extension: String,
        /// The error code.
        code: String,
    },
    /// The set of tools changed (after installs and removals).
    ToolsChanged,
    /// An approval was asked for or decided.
    Approval {
        /// Its id.
        id: String,
        /// `pending`, `approved`, `declined`, `used`.
        state: String,
    },
}
