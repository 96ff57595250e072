//! The approvals queue: a `propose` action asked for by an AI agent runs only
//! after a person approved exactly that call.
//!
//! An approval names the caller, the extension, the action and the SHA-256
//! of the arguments (canonical JSON). It is approved or declined once (by
//! `morph approve ID`, the API, or in-band through MCP elicitation), expires
//! ([`DEFAULT_TTL`]), and **is used at most once**: taking it for a call
//! marks it used in the same statement. The store is `<data dir>/approvals.db`
//! (SQLite), shared by `morph serve`, `morph mcp` and `morph approve`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use morph_capabilities::audit::{AuditEntry, AuditSink};
use morph_capabilities::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::tokens::{db_error, now_ms, restrict};

/// File name of the store in the data dir.
pub const APPROVALS_FILE: &str = "approvals.db";
/// How long an approval request waits for a person, and an approval for
/// its call.
pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);

/// Where an approval is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// Waiting for a person.
    Pending,
    /// Approved; the call may run once.
    Approved,
    /// Declined; nothing runs.
    Declined,
    /// Approved and used by its call.
    Used,
}

impl ApprovalState {
    /// The spelling in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
            ApprovalState::Declined => "declined",
            ApprovalState::Used => "used",
        }
    }

    fn parse(text: &str) -> ApprovalState {
        match text {
            "approved" => ApprovalState::Approved,
            "declined" => ApprovalState::Declined,
            "used" => ApprovalState::Used,
            _ => ApprovalState::Pending,
        }
    }
}

/// One approval.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Approval {
    /// Its id (what `morph approve` takes).
    pub id: String,
    /// Who asked (`token:<name>`, `mcp:<client>`).
    pub caller: String,
    /// The extension.
    pub extension: String,
    /// The action.
    pub action: String,
    /// The arguments, as asked.
    pub arguments: Value,
    /// SHA-256 (hex) of the canonical arguments.
    pub arguments_digest: String,
    /// The code run that asked (its id): such an approval serves only that
    /// run's call, and an ordinary tool call's only an ordinary call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_run: Option<String>,
    /// Where it is.
    pub state: ApprovalState,
    /// Unix milliseconds.
    pub created_ms: u64,
    /// After this, it neither can be decided nor used.
    pub expires_ms: u64,
    /// Who decided, when decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
}

impl Approval {
    /// Whether it is past its expiry at `now_ms`.
    pub fn expired(&self, now_ms: u64) -> bool {
        now_ms >= self.expires_ms
    }
}

/// The approvals of one data dir.
#[derive(Debug)]
pub struct ApprovalStore {
    path: PathBuf,
    conn: Mutex<Connection>,
    ttl: Duration,
}

const COLUMNS: &str = "id, caller, extension, action, arguments, arguments_digest, state, \
                       created_ms, expires_ms, decided_by, code_run";

impl ApprovalStore {
    /// Opens (creating) the store in `data_dir`.
    ///
    /// # Errors
    /// `io`.
    pub fn open_in(data_dir: &Path) -> Result<ApprovalStore> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| Error::io(format!("creating {}", data_dir.display()), e))?;
        let path = data_dir.join(APPROVALS_FILE);
        let conn = Connection::open(&path).map_err(|e| db_error(&path, e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| db_error(&path, e))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS approvals (
                 id TEXT PRIMARY KEY,
                 caller TEXT NOT NULL,
                 extension TEXT NOT NULL,
                 action TEXT NOT NULL,
                 arguments TEXT NOT NULL,
                 arguments_digest TEXT NOT NULL,
                 state TEXT NOT NULL,
                 created_ms INTEGER NOT NULL,
                 expires_ms INTEGER NOT NULL,
                 decided_by TEXT
             );
             CREATE INDEX IF NOT EXISTS approvals_call
                 ON approvals (caller, extension, action, arguments_digest, state);",
        )
        .map_err(|e| db_error(&path, e))?;
        add_code_run_column(&conn).map_err(|e| db_error(&path, e))?;
        restrict(&path);
        Ok(ApprovalStore {
            path,
            conn: Mutex::new(conn),
            ttl: DEFAULT_TTL,
        })
    }

    /// The same store with approvals expiring after `ttl`.
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> ApprovalStore {
        self.ttl = ttl;
        self
    }

    /// How long approvals live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A pending approval for this call: the one already waiting, or a new
    /// one. The second value is whether it is new.
    ///
    /// # Errors
    /// `io`.
    pub fn request(
        &self,
        caller: &str,
        extension: &str,
        action: &str,
        arguments: &Value,
    ) -> Result<(Approval, bool)> {
        self.request_for(None, caller, extension, action, arguments)
    }

    /// [`ApprovalStore::request`] for a call of code run `code_run` (or an
    /// ordinary call, `None`).
    ///
    /// # Errors
    /// `io`.
    pub fn request_for(
        &self,
        code_run: Option<&str>,
        caller: &str,
        extension: &str,
        action: &str,
        arguments: &Value,
    ) -> Result<(Approval, bool)> {
        let digest = arguments_digest(arguments);
        let now = now_ms();
        let conn = self.lock();
        let waiting = conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM approvals WHERE caller = ?1 AND extension = ?2 \
                     AND action = ?3 AND arguments_digest = ?4 AND state = 'pending' \
                     AND expires_ms > ?5 AND code_run IS ?6 ORDER BY created_ms DESC LIMIT 1"
                ),
                params![caller, extension, action, digest, now as i64, code_run],
                row_approval,
            )
            .optional()
            .map_err(|e| db_error(&self.path, e))?;
        if let Some(waiting) = waiting {
            return Ok((waiting, false));
        }
        let approval = Approval {
            id: uuid::Uuid::new_v4().simple().to_string(),
            caller: caller.to_owned(),
            extension: extension.to_owned(),
            action: action.to_owned(),
            arguments: arguments.clone(),
            arguments_digest: digest,
            code_run: code_run.map(str::to_owned),
            state: ApprovalState::Pending,
            created_ms: now,
            expires_ms: now.saturating_add(u64::try_from(self.ttl.as_millis()).unwrap_or(0)),
            decided_by: None,
        };
        conn.execute(
            &format!(
                "INSERT INTO approvals ({COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
            ),
            params![
                approval.id,
                approval.caller,
                approval.extension,
                approval.action,
                approval.arguments.to_string(),
                approval.arguments_digest,
                approval.state.as_str(),
                approval.created_ms as i64,
                approval.expires_ms as i64,
                approval.decided_by,
                approval.code_run,
            ],
        )
        .map_err(|e| db_error(&self.path, e))?;
        Ok((approval, true))
    }

    /// Approves (or declines) the pending approval `id`, as `by`.
    ///
    /// # Errors
    /// `invalid_params` when there is no such approval, or it was decided
    /// already, or it expired; `io`.
    pub fn decide(&self, id: &str, approve: bool, by: &str) -> Result<Approval> {
        let state = if approve {
            ApprovalState::Approved
        } else {
            ApprovalState::Declined
        };
        let conn = self.lock();
        let changed = conn
            .execute(
                "UPDATE approvals SET state = ?2, decided_by = ?3 \
                 WHERE id = ?1 AND state = 'pending' AND expires_ms > ?4",
                params![id, state.as_str(), by, now_ms() as i64],
            )
            .map_err(|e| db_error(&self.path, e))?;
        let found = get(&conn, &self.path, id)?;
        match found {
            Some(approval) if changed == 1 => Ok(approval),
            Some(approval) if approval.state != ApprovalState::Pending => Err(Error::params(
                "id",
                format!("approval {id} was {} already", approval.state.as_str()),
            )),
            Some(_) => Err(Error::params("id", format!("approval {id} expired"))),
            None => Err(Error::params("id", format!("there is no approval {id}"))),
        }
    }

    /// Takes the approved, unexpired approval for exactly this call and
    /// marks it used, so that it never serves another call.
    ///
    /// # Errors
    /// `io`.
    pub fn take(
        &self,
        caller: &str,
        extension: &str,
        action: &str,
        arguments: &Value,
    ) -> Result<Option<Approval>> {
        self.take_matching(None, None, caller, extension, action, arguments)
    }

    /// [`ApprovalStore::take`] for a call of code run `code_run`.
    ///
    /// # Errors
    /// `io`.
    pub fn take_for_run(
        &self,
        code_run: &str,
        caller: &str,
        extension: &str,
        action: &str,
        arguments: &Value,
    ) -> Result<Option<Approval>> {
        self.take_matching(None, Some(code_run), caller, extension, action, arguments)
    }

    /// The latest declined approval for exactly this call of code run
    /// `code_run`, if a person declined one.
    ///
    /// # Errors
    /// `io`.
    pub fn declined_for_run(
        &self,
        code_run: &str,
        caller: &str,
        extension: &str,
        action: &str,
        arguments: &Value,
    ) -> Result<Option<Approval>> {
        self.lock()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM approvals WHERE code_run = ?1 AND caller = ?2 \
                     AND extension = ?3 AND action = ?4 AND arguments_digest = ?5 \
                     AND state = 'declined' ORDER BY created_ms DESC LIMIT 1"
                ),
                params![
                    code_run,
                    caller,
                    extension,
                    action,
                    arguments_digest(arguments)
                ],
                row_approval,
            )
            .optional()
            .map_err(|e| db_error(&self.path, e))
    }

    /// Takes approval `id` for a call that must match it exactly (the
    /// in-band path, where the id comes back sealed): approved, unexpired,
    /// unused, same caller, extension, action and arguments.
    ///
    /// # Errors
    /// `io`.
    pub fn take_by_id(
        &self,
        id: &str,
        caller: &str,
        extension: &str,
        action: &str,
        arguments: &Value,
    ) -> Result<Option<Approval>> {
        self.take_matching(Some(id), None, caller, extension, action, arguments)
    }

    /// The oldest approval for this call (with id `id` when given), marked
    /// used in the same statement.
    fn take_matching(
        &self,
        id: Option<&str>,
        code_run: Option<&str>,
        caller: &str,
        extension: &str,
        action: &str,
        arguments: &Value,
    ) -> Result<Option<Approval>> {
        let digest = arguments_digest(arguments);
        self.lock()
            .query_row(
                &format!(
                    "UPDATE approvals SET state = 'used' WHERE id = (
                         SELECT id FROM approvals WHERE (?1 IS NULL OR id = ?1)
                         AND caller = ?2 AND extension = ?3 AND action = ?4
                         AND arguments_digest = ?5 AND state = 'approved'
                         AND expires_ms > ?6 AND code_run IS ?7 ORDER BY created_ms LIMIT 1)
                     RETURNING {COLUMNS}"
                ),
                params![
                    id,
                    caller,
                    extension,
                    action,
                    digest,
                    now_ms() as i64,
                    code_run
                ],
                row_approval,
            )
            .optional()
            .map_err(|e| db_error(&self.path, e))
    }

    /// Approval `id`.
    ///
    /// # Errors
    /// `io`.
    pub fn get(&self, id: &str) -> Result<Option<Approval>> {
        get(&self.lock(), &self.path, id)
    }

    /// The approvals still waiting for a person, oldest first.
    ///
    /// # Errors
    /// `io`.
    pub fn pending(&self) -> Result<Vec<Approval>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM approvals WHERE state = 'pending' AND expires_ms > ?1 \
                 ORDER BY created_ms"
            ))
            .map_err(|e| db_error(&self.path, e))?;
        let rows = stmt
            .query_map(params![now_ms() as i64], row_approval)
            .map_err(|e| db_error(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_error(&self.path, e))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Decides approval `id` as `by`: checked first, then recorded in `audit`
/// (`host.approval.approve` / `host.approval.decline`), then decided. **A
/// decision that cannot be recorded is not made.**
///
/// # Errors
/// `invalid_params` for an unknown, decided or expired approval; `io`.
pub fn decide_audited(
    approvals: &ApprovalStore,
    audit: &dyn AuditSink,
    id: &str,
    approve: bool,
    by: &str,
) -> Result<Approval> {
    let pending = approvals
        .get(id)?
        .ok_or_else(|| Error::params("id", format!("there is no approval {id}")))?;
    if pending.state != ApprovalState::Pending {
        return Err(Error::params(
            "id",
            format!("approval {id} was {} already", pending.state.as_str()),
        ));
    }
    if pending.expired(now_ms()) {
        return Err(Error::params("id", format!("approval {id} expired")));
    }
    let (capability, verb) = if approve {
        ("host.approval.approve", "approved")
    } else {
        ("host.approval.decline", "declined")
    };
    audit.append(AuditEntry {
        caller: Some(by.to_owned()),
        ..AuditEntry::host_change(
            &pending.extension,
            capability,
            capability,
            format!(
                "approval {id} of {}.{} for {} {verb}",
                pending.extension, pending.action, pending.caller
            ),
        )
    })?;
    approvals.decide(id, approve, by)
}

fn get(conn: &Connection, path: &Path, id: &str) -> Result<Option<Approval>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM approvals WHERE id = ?1"),
        params![id],
        row_approval,
    )
    .optional()
    .map_err(|e| db_error(path, e))
}

fn row_approval(row: &rusqlite::Row<'_>) -> rusqlite::Result<Approval> {
    let arguments: String = row.get(4)?;
    let state: String = row.get(6)?;
    Ok(Approval {
        id: row.get(0)?,
        caller: row.get(1)?,
        extension: row.get(2)?,
        action: row.get(3)?,
        arguments: serde_json::from_str(&arguments).unwrap_or(Value::Null),
        arguments_digest: row.get(5)?,
        state: ApprovalState::parse(&state),
        created_ms: u64::try_from(row.get::<_, i64>(7)?).unwrap_or(0),
        expires_ms: u64::try_from(row.get::<_, i64>(8)?).unwrap_or(0),
        decided_by: row.get(9)?,
        code_run: row.get(10)?,
    })
}

/// Adds the `code_run` column to a store made before code mode.
fn add_code_run_column(conn: &Connection) -> rusqlite::Result<()> {
    let has = conn
        .prepare("SELECT 1 FROM pragma_table_info('approvals') WHERE name = 'code_run'")?
        .exists([])?;
    if !has {
        conn.execute_batch("ALTER TABLE approvals ADD COLUMN code_run TEXT")?;
    }
    Ok(())
}

/// SHA-256 (hex) of `value` in canonical JSON: object keys sorted at every
/// level, no white space.
pub fn arguments_digest(value: &Value) -> String {
    morph_capabilities::canonical_digest(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_approval_serves_exactly_one_matching_call() {
        let dir = tempfile::tempdir().unwrap();
        let store = ApprovalStore::open_in(dir.path()).unwrap();
        let args = json!({"b": 1, "a": [1, 2]});
        let (approval, new) = store.request("mcp:x", "ext", "act", &args).unwrap();
        assert!(new);
        let (again, new) = store.request("mcp:x", "ext", "act", &args).unwrap();
        assert_eq!((again.id.as_str(), new), (approval.id.as_str(), false));
        assert!(store.take("mcp:x", "ext", "act", &args).unwrap().is_none());
        store.decide(&approval.id, true, "alice").unwrap();
        assert!(store.decide(&approval.id, false, "bob").is_err());
        assert!(store.take("mcp:y", "ext", "act", &args).unwrap().is_none());
        assert!(
            store
                .take("mcp:x", "ext", "act", &json!({"a": [1, 2], "b": 2}))
                .unwrap()
                .is_none()
        );
        let reordered = json!({"a": [1, 2], "b": 1});
        let used = store
            .take("mcp:x", "ext", "act", &reordered)
            .unwrap()
            .unwrap();
        assert_eq!(used.state, ApprovalState::Used);
        assert!(store.take("mcp:x", "ext", "act", &args).unwrap().is_none());
    }

    #[test]
    fn an_expired_approval_is_neither_decided_nor_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = ApprovalStore::open_in(dir.path())
            .unwrap()
            .with_ttl(Duration::ZERO);
        let (approval, _) = store.request("c", "e", "a", &json!({})).unwrap();
        assert!(store.decide(&approval.id, true, "alice").is_err());
        assert!(store.take("c", "e", "a", &json!({})).unwrap().is_none());
    }
}
