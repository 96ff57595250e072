//! What a code run keeps across its re-sends, and where its `propose` tool
//! calls are approved: the [`CodeRunStore`] a host is given.
//!
//! `morph serve`, `morph mcp` and `morph code run` share one store in the
//! data dir (SQLite, beside the approvals queue); an app embedding the host
//! brings its own. A host without a store runs code, and refuses every
//! `propose` tool with `approval_required` (no approval id: there is nowhere
//! to ask).

use morph_capabilities::{Result, WireError};
use serde_json::Value;

use super::CodeLanguage;

/// One code run as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTicket {
    /// The run's id (a UUID).
    pub run_id: String,
    /// Who runs it (`token:<name>`, `mcp:<client>`); `None` for the app.
    pub caller: Option<String>,
    /// Its language.
    pub language: CodeLanguage,
    /// SHA-256 (hex) of its source.
    pub source_digest: String,
}

/// Where a run stands in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Running now (or ended without word: a host that stopped mid-run).
    Running,
    /// Ended waiting for an approval: it may be resumed.
    Waiting,
    /// Ended for good: it may not be resumed.
    Finished,
}

/// A tool call a run completed, as recorded before its result reached the
/// program.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCall {
    /// Its place in the run, from 0.
    pub index: u32,
    /// `<extension>.<action>`.
    pub tool: String,
    /// SHA-256 (hex) of the canonical arguments.
    pub arguments_digest: String,
    /// What the tool answered.
    pub outcome: std::result::Result<Value, WireError>,
}

/// A `propose` tool call waiting on a person.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalAsk {
    /// The run.
    pub run_id: String,
    /// Who runs it.
    pub caller: Option<String>,
    /// The tool's extension.
    pub extension: String,
    /// The tool's action.
    pub action: String,
    /// The arguments, as the program passed them.
    pub arguments: Value,
    /// SHA-256 (hex) of the canonical arguments.
    pub arguments_digest: String,
}

/// Code runs and their approvals, kept where a person can decide them.
pub trait CodeRunStore: Send + Sync + std::fmt::Debug {
    /// Records a new run (state [`RunState::Running`]).
    ///
    /// # Errors
    /// `io` when the store cannot be written (then the run does not start).
    fn begin(&self, ticket: &RunTicket) -> Result<()>;

    /// Takes up run `ticket.run_id` again and returns the tool calls it
    /// completed, in order.
    ///
    /// # Errors
    /// `invalid_params` when there is no such run, it is not waiting for an
    /// approval (finished, or running now), or the caller, language or
    /// source differ from the first send; `io` when the store fails.
    fn resume(&self, ticket: &RunTicket) -> Result<Vec<RecordedCall>>;

    /// Records a tool call the run completed.
    ///
    /// # Errors
    /// `io` (the run then ends: a result that was not recorded would run
    /// again on a resume).
    fn record(&self, run_id: &str, call: &RecordedCall) -> Result<()>;

    /// Marks how the run ended.
    ///
    /// # Errors
    /// `io`.
    fn end(&self, run_id: &str, state: RunState) -> Result<()>;

    /// Lets a `propose` tool call run: `Ok` when a person approved exactly
    /// this call for this run and caller (the approval is used up here, in
    /// the same step), otherwise the run must stop.
    ///
    /// # Errors
    /// `approval_required` with the id of the (new or still pending)
    /// approval; `approval_declined` when a person declined it; `io`.
    fn authorize(&self, ask: &ApprovalAsk) -> Result<()>;
}
