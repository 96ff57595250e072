//! Morph as a service: `morph serve` (a versioned JSON API under `/v1`,
//! health, metrics, server events) and `morph mcp` (the installed actions
//! as MCP tools), both faces of one [`Service`] over one data dir.
//!
//! Data still flows one way: client -> API or MCP -> [`Service`] -> `Host`
//! -> runtime -> broker -> provider. **Every route but the health ones needs
//! a bearer token** ([`tokens`]); the token's name is the caller the audit
//! log records. **A `propose` action runs only after a person approved
//! exactly that call** ([`approvals`]).

pub mod api;
pub mod approvals;
pub mod code_runs;
pub mod events;
pub mod install;
pub mod lock;
pub mod mcp;
pub mod metrics;
pub mod server;
pub mod service;
pub mod tokens;

pub use approvals::{Approval, ApprovalState, ApprovalStore};
pub use code_runs::CodeRuns;
pub use events::ServerEvent;
pub use lock::lock_data_dir;
pub use server::{ServeOptions, serve, shutdown_signal};
pub use service::{InstallOutcome, Service, ServiceConfig};
pub use tokens::{Scope, TokenInfo, TokenStore};
