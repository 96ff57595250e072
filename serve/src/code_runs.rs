//! The data dir's [`CodeRunStore`]: code runs, the tool calls each completed,
//! and the approvals of their `propose` calls, in `approvals.db` beside the
//! approvals queue (so `morph approve` decides both kinds).
//!
//! A run and each tool call it completed are kept in memory (each call
//! before its result reaches the program) until the run first asks for an
//! approval: then they are written in one transaction, before the approval
//! is asked for, and from then on each call's row is written before its
//! result reaches the program. A run that never asks costs no write and
//! leaves no row: only a run that ended `waiting` can be resumed, so the
//! rows of any other would never be read (as those of a run the server
//! died in the middle of). A resume is allowed only for a run that ended
//! `waiting`, by the same caller, with the same language and source. An approval for a code run names the run, and serves only that
//! run's call with exactly those arguments, once. **Every approval step is
//! audited** (`host.approval.request` when one is asked for,
//! `host.approval.use` when a run's call takes it), before it has effect.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use morph_capabilities::audit::{AuditEntry, AuditSink};
use morph_capabilities::{Error, Result, WireError};
use morph_runtime_core::code::{ApprovalAsk, CodeRunStore, RecordedCall, RunState, RunTicket};
use rusqlite::{Connection, OptionalExtension, params};

use tokio::sync::broadcast;

use crate::approvals::{APPROVALS_FILE, ApprovalStore};
use crate::events::ServerEvent;
use crate::tokens::{db_error, now_ms};

/// How long a run that never ended stays in memory: past the longest a
/// run may last (its `max_execution_ms` is at most an hour).
const FORGET_PENDING_MS: u64 = 2 * 60 * 60 * 1000;

/// The caller a run without one is stored under (the app, a person at the CLI).
const NO_CALLER: &str = "app";

/// Code runs of one data dir.
pub struct CodeRuns {
    path: PathBuf,
    conn: Mutex<Connection>,
    /// Runs that have not asked for an approval yet: not in the database.
    pending: Mutex<HashMap<String, Pending>>,
    approvals: ApprovalStore,
    audit: Arc<dyn AuditSink>,
    /// Where approval steps are published (`/v1/events`), if anywhere.
    events: Option<broadcast::Sender<ServerEvent>>,
}

impl std::fmt::Debug for CodeRuns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeRuns")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl CodeRuns {
    /// Opens (creating) the store in `data_dir`; approvals it asks for live
    /// `ttl`, and its approval steps are written to `audit`.
    ///
    /// # Errors
    /// `io`.
    pub fn open_in(data_dir: &Path, ttl: Duration, audit: Arc<dyn AuditSink>) -> Result<CodeRuns> {
        let approvals = ApprovalStore::open_in(data_dir)?.with_ttl(ttl);
        let path = data_dir.join(APPROVALS_FILE);
        let conn = Connection::open(&path).map_err(|e| db_error(&path, e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| db_error(&path, e))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS code_runs (
                 id TEXT PRIMARY KEY,
                 caller TEXT NOT NULL,
                 language TEXT NOT NULL,
                 source_digest TEXT NOT NULL,
                 state TEXT NOT NULL,
                 created_ms INTEGER NOT NULL
             );
             CREATE TABLE IF NOT EXISTS code_run_calls (
                 run_id TEXT NOT NULL,
                 idx INTEGER NOT NULL,
                 tool TEXT NOT NULL,
                 arguments_digest TEXT NOT NULL,
                 outcome TEXT NOT NULL,
                 PRIMARY KEY (run_id, idx)
             );",
        )
        .map_err(|e| db_error(&path, e))?;
        Ok(CodeRuns {
            path,
            conn: Mutex::new(conn),
            pending: Mutex::default(),
            approvals,
            audit,
            events: None,
        })
    }

    /// Publishes each approval a run asks for (`pending`) or takes (`used`)
    /// on `events`, as the server's other approvals are.
    pub fn with_events(mut self, events: broadcast::Sender<ServerEvent>) -> CodeRuns {
        self.events = Some(events);
        self
    }

    fn publish(&self, id: &str, state: &str) {
        if let Some(events) = &self.events {
            let _ = events.send(ServerEvent::Approval {
                id: id.to_owned(),
                state: state.to_owned(),
            });
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes run `run_id` and its calls, if it is still only in memory, in
    /// one transaction.
    fn persist(&self, run_id: &str) -> Result<()> {
        let Some(run) = self.pending().remove(run_id) else {
            return Ok(());
        };
        let mut conn = self.lock();
        let written = (|| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO code_runs (id, caller, language, source_digest, state, created_ms) \
                 VALUES (?1, ?2, ?3, ?4, 'running', ?5)",
                params![
                    run.ticket.run_id,
                    run.ticket.caller.as_deref().unwrap_or(NO_CALLER),
                    run.ticket.language.as_str(),
                    run.ticket.source_digest,
                    run.created_ms as i64
                ],
            )?;
            for call in &run.calls {
                insert_call(&tx, run_id, call)?;
            }
            tx.commit()
        })();
        written.map_err(|e| db_error(&self.path, e))
    }

    fn audit_step(&self, extension: &str, step: &str, by: &str, reason: String) -> Result<()> {
        self.audit
            .append(AuditEntry {
                caller: Some(by.to_owned()),
                ..AuditEntry::host_change(extension, step, step, reason)
            })
            .map(|_| ())
    }
}

fn state_name(state: RunState) -> &'static str {
    match state {
        RunState::Running => "running",
        RunState::Waiting => "waiting",
        RunState::Finished => "finished",
    }
}

/// A run not written yet, and the calls it completed.
struct Pending {
    ticket: RunTicket,
    created_ms: u64,
    calls: Vec<StoredCall>,
}

/// A completed tool call as its row holds it.
struct StoredCall {
    index: u32,
    tool: String,
    arguments_digest: String,
    outcome: String,
}

impl StoredCall {
    fn of(call: &RecordedCall) -> Result<StoredCall> {
        let outcome = serde_json::to_string(&StoredOutcome::from_result(&call.outcome))
            .map_err(|e| Error::internal(format!("recording a tool call: {e}")))?;
        Ok(StoredCall {
            index: call.index,
            tool: call.tool.clone(),
            arguments_digest: call.arguments_digest.clone(),
            outcome,
        })
    }
}

fn insert_call(conn: &Connection, run_id: &str, call: &StoredCall) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO code_run_calls (run_id, idx, tool, arguments_digest, outcome) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            run_id,
            i64::from(call.index),
            call.tool,
            call.arguments_digest,
            call.outcome
        ],
    )
    .map(|_| ())
}

impl CodeRunStore for CodeRuns {
    fn begin(&self, ticket: &RunTicket) -> Result<()> {
        let now = now_ms();
        let mut pending = self.pending();
        // A run whose future was dropped mid-way (its client went away)
        // never ends: forget it once no run can still be going.
        pending.retain(|_, run| now.saturating_sub(run.created_ms) < FORGET_PENDING_MS);
        pending.insert(
            ticket.run_id.clone(),
            Pending {
                ticket: ticket.clone(),
                created_ms: now,
                calls: Vec::new(),
            },
        );
        Ok(())
    }

    fn resume(&self, ticket: &RunTicket) -> Result<Vec<RecordedCall>> {
        let conn = self.lock();
        let found: Option<(String, String, String, String)> = conn
            .query_row(
                "SELECT caller, language, source_digest, state FROM code_runs WHERE id = ?1",
                params![ticket.run_id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()
            .map_err(|e| db_error(&self.path, e))?;
        let Some((caller, language, digest, state)) = found else {
            return Err(Error::params(
                "resume",
                format!("there is no code run {}", truncate(&ticket.run_id)),
            ));
        };
        if caller != ticket.caller.as_deref().unwrap_or(NO_CALLER) {
            // Said the same way as a missing run: a run id is not a capability.
            return Err(Error::params(
                "resume",
                format!("there is no code run {}", truncate(&ticket.run_id)),
            ));
        }
        if language != ticket.language.as_str() || digest != ticket.source_digest {
            return Err(Error::params(
                "resume",
                "a resumed run must send the same language and source as its first send",
            ));
        }
        // Taken over in the same statement: two resumes never both run.
        let taken = conn
            .execute(
                "UPDATE code_runs SET state = 'running' WHERE id = ?1 AND state = 'waiting'",
                params![ticket.run_id],
            )
            .map_err(|e| db_error(&self.path, e))?;
        if taken != 1 {
            return Err(Error::params(
                "resume",
                format!(
                    "code run {} is {state}: only a run that ended waiting for an approval \
                     may be resumed",
                    ticket.run_id
                ),
            ));
        }
        let mut stmt = conn
            .prepare(
                "SELECT idx, tool, arguments_digest, outcome FROM code_run_calls \
                 WHERE run_id = ?1 ORDER BY idx",
            )
            .map_err(|e| db_error(&self.path, e))?;
        let rows = stmt
            .query_map(params![ticket.run_id], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })
            .map_err(|e| db_error(&self.path, e))?;
        let mut calls = Vec::new();
        for row in rows {
            let (index, tool, arguments_digest, outcome) =
                row.map_err(|e| db_error(&self.path, e))?;
            let outcome: std::result::Result<serde_json::Value, WireError> =
                serde_json::from_str::<StoredOutcome>(&outcome)
                    .map(StoredOutcome::into_result)
                    .map_err(|e| {
                        Error::internal(format!("a recorded tool call is unreadable: {e}"))
                    })?;
            calls.push(RecordedCall {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                tool,
                arguments_digest,
                outcome,
            });
        }
        Ok(calls)
    }

    fn record(&self, run_id: &str, call: &RecordedCall) -> Result<()> {
        let stored = StoredCall::of(call)?;
        if let Some(run) = self.pending().get_mut(run_id) {
            run.calls.push(stored);
            return Ok(());
        }
        insert_call(&self.lock(), run_id, &stored).map_err(|e| db_error(&self.path, e))
    }

    fn end(&self, run_id: &str, state: RunState) -> Result<()> {
        if self.pending().remove(run_id).is_some() {
            // It never asked for an approval: it cannot be resumed, and
            // nothing of it was written.
            return Ok(());
        }
        self.lock()
            .execute(
                "UPDATE code_runs SET state = ?2 WHERE id = ?1",
                params![run_id, state_name(state)],
            )
            .map(|_| ())
            .map_err(|e| db_error(&self.path, e))
    }

    fn authorize(&self, ask: &ApprovalAsk) -> Result<()> {
        // Written before an approval can name it, so that a resume finds it.
        self.persist(&ask.run_id)?;
        let caller = ask.caller.as_deref().unwrap_or(NO_CALLER);
        let tool = format!("{}.{}", ask.extension, ask.action);
        if let Some(approval) = self.approvals.take_for_run(
            &ask.run_id,
            caller,
            &ask.extension,
            &ask.action,
            &ask.arguments,
        )? {
            self.audit_step(
                &ask.extension,
                "host.approval.use",
                caller,
                format!(
                    "approval {} used by code run {} for {tool}",
                    approval.id, ask.run_id
                ),
            )?;
            self.publish(&approval.id, "used");
            return Ok(());
        }
        if let Some(declined) = self.approvals.declined_for_run(
            &ask.run_id,
            caller,
            &ask.extension,
            &ask.action,
            &ask.arguments,
        )? {
            return Err(Error::ApprovalDeclined {
                approval_id: declined.id.clone(),
                reason: format!(
                    "approval {} of {tool} was declined; nothing of it ran",
                    declined.id
                ),
            });
        }
        let (approval, new) = self.approvals.request_for(
            Some(&ask.run_id),
            caller,
            &ask.extension,
            &ask.action,
            &ask.arguments,
        )?;
        if new {
            self.audit_step(
                &ask.extension,
                "host.approval.request",
                caller,
                format!(
                    "approval {} asked for {tool} (arguments sha256 {}) by code run {}",
                    approval.id, approval.arguments_digest, ask.run_id
                ),
            )?;
            self.publish(&approval.id, "pending");
        }
        Err(Error::ApprovalRequired {
            approval_id: Some(approval.id.clone()),
            reason: format!(
                "{tool} needs a person's approval: approval {id}; once it is approved \
                 (`morph approve {id}`), send the same code again with resume = {run}",
                id = approval.id,
                run = ask.run_id
            ),
        })
    }
}

/// A recorded outcome as stored: the value, or the error on the wire.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum StoredOutcome {
    Ok(serde_json::Value),
    Err(WireError),
}

impl StoredOutcome {
    fn from_result(result: &std::result::Result<serde_json::Value, WireError>) -> StoredOutcome {
        match result {
            Ok(v) => StoredOutcome::Ok(v.clone()),
            Err(e) => StoredOutcome::Err(e.clone()),
        }
    }

    fn into_result(self) -> std::result::Result<serde_json::Value, WireError> {
        match self {
            StoredOutcome::Ok(v) => Ok(v),
            StoredOutcome::Err(e) => Err(e),
        }
    }
}

fn truncate(id: &str) -> String {
    morph_capabilities::truncate_for_message(id, 64)
}

#[cfg(test)]
mod tests {
    use morph_capabilities::audit::MemoryAuditSink;
    use morph_runtime_core::code::CodeLanguage;
    use serde_json::json;

    use super::*;

    fn ticket(run_id: &str) -> RunTicket {
        RunTicket {
            run_id: run_id.to_owned(),
            caller: Some("token:agent".to_owned()),
            language: CodeLanguage::Python,
            source_digest: "ab".repeat(32),
        }
    }

    fn call(index: u32) -> RecordedCall {
        RecordedCall {
            index,
            tool: "notes.add".to_owned(),
            arguments_digest: "cd".repeat(32),
            outcome: Ok(json!({"added": index})),
        }
    }

    fn ask(run_id: &str) -> ApprovalAsk {
        ApprovalAsk {
            run_id: run_id.to_owned(),
            caller: Some("token:agent".to_owned()),
            extension: "notes".to_owned(),
            action: "publish".to_owned(),
            arguments: json!({"title": "draft"}),
            arguments_digest: "ef".repeat(32),
        }
    }

    fn rows(runs: &CodeRuns) -> (i64, i64) {
        let conn = runs.lock();
        let count = |table: &str| {
            conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
                .unwrap()
        };
        (count("code_runs"), count("code_run_calls"))
    }

    #[test]
    fn a_run_is_written_only_when_it_asks_and_its_approvals_are_published() {
        let dir = tempfile::tempdir().unwrap();
        let (events, mut seen) = broadcast::channel(16);
        let runs = CodeRuns::open_in(
            dir.path(),
            Duration::from_secs(60),
            Arc::new(MemoryAuditSink::new()),
        )
        .unwrap()
        .with_events(events);

        // A run that never asks: nothing written, and it cannot be resumed.
        runs.begin(&ticket("quiet")).unwrap();
        runs.record("quiet", &call(0)).unwrap();
        runs.end("quiet", RunState::Finished).unwrap();
        assert_eq!(rows(&runs), (0, 0));
        assert!(runs.resume(&ticket("quiet")).is_err());

        // A run that asks: it and its completed call are written first.
        runs.begin(&ticket("asking")).unwrap();
        runs.record("asking", &call(0)).unwrap();
        let Err(Error::ApprovalRequired {
            approval_id: Some(id),
            ..
        }) = runs.authorize(&ask("asking"))
        else {
            panic!("a propose call without an approval must wait");
        };
        assert_eq!(rows(&runs), (1, 1));
        assert!(matches!(
            seen.try_recv().unwrap(),
            ServerEvent::Approval { id: ref got, ref state } if *got == id && state == "pending"
        ));
        runs.end("asking", RunState::Waiting).unwrap();

        // Approved, the resumed run gets its call back and takes the approval.
        runs.approvals.decide(&id, true, "person").unwrap();
        let replay = runs.resume(&ticket("asking")).unwrap();
        assert_eq!(replay, vec![call(0)]);
        runs.record("asking", &call(1)).unwrap();
        runs.authorize(&ask("asking")).unwrap();
        assert!(matches!(
            seen.try_recv().unwrap(),
            ServerEvent::Approval { ref state, .. } if state == "used"
        ));
        runs.end("asking", RunState::Finished).unwrap();
        assert_eq!(rows(&runs), (1, 2));
        assert!(runs.resume(&ticket("asking")).is_err(), "a finished run");
    }
}
