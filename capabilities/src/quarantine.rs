//! The quarantine: an extension whose calls keep ending in a limit violation
//! or a crash stops running until someone enables it again.
//!
//! A **strike** is a call (or an `init`) that ended in a limit (`timeout`,
//! `memory_limit`, `stack_overflow`, `output_too_large`), a crash
//! (`guest_crash`) or `internal`: the violations after which a worker
//! discards its engine state (`morph_runtime_core::workers::is_violation`)
//! that the extension itself caused ([`is_strike`]). Guest errors and
//! capability refusals are not strikes. [`QuarantineConfig::strikes`] strikes
//! within [`QuarantineConfig::window`] quarantine the extension: **a
//! quarantined extension runs no guest code**; the host refuses its loads and
//! calls with `extension_quarantined` until [`Quarantine::enable`] lifts it.
//! **Every transition is audited**: a `host.quarantine` or `host.enable`
//! record goes into the same log as the capability calls, written before the
//! transition commits, so no transition happens unrecorded.
//!
//! The state lives in `<data dir>/quarantine.db` (SQLite, WAL, hardened like
//! the vault's store) so that it holds across processes: the CLI runs one
//! call per process, and several processes may share a data dir. Only a
//! strike or a transition writes; a successful call writes nothing and
//! [`Quarantine::check`], on every call's path, reads an in-memory mirror.
//! Transitions made by this value reach its mirror at once, those made by
//! another process within [`REFRESH`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, TryLockError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::audit::{AuditEntry, AuditRecord, AuditSink, Decision};
use crate::call::ExtensionIdentity;
use crate::error::{Error, ErrorCode, Result, truncate_for_message};
use crate::providers::sqlite::{create_private, harden, schema_version};

/// The store's file name inside a data dir.
pub const QUARANTINE_FILE: &str = "quarantine.db";

/// The `capability` of the audit record written when an extension is quarantined.
pub const QUARANTINE_RECORD: &str = "host.quarantine";

/// The `capability` of the audit record written when a quarantine is lifted.
pub const ENABLE_RECORD: &str = "host.enable";

/// How soon another process's transitions reach this process's mirror.
pub const REFRESH: Duration = Duration::from_secs(1);

/// The schema version this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

/// Schema migrations; entry `i` moves the database from version `i` to `i + 1`.
const MIGRATIONS: [&str; 1] = ["
    CREATE TABLE strikes (
        extension TEXT    NOT NULL,
        at_ms     INTEGER NOT NULL,
        code      TEXT    NOT NULL
    ) STRICT;
    CREATE INDEX strikes_by_extension ON strikes (extension, at_ms);
    CREATE TABLE quarantined (
        extension TEXT    PRIMARY KEY,
        version   TEXT    NOT NULL,
        runtime   TEXT    NOT NULL,
        since_ms  INTEGER NOT NULL,
        reason    TEXT    NOT NULL,
        code      TEXT    NOT NULL,
        strikes   INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
"];

/// The columns of a [`QuarantineStatus`], `since` formatted by SQLite.
const STATUS_COLUMNS: &str = "extension, version, runtime, since_ms, \
     strftime('%Y-%m-%dT%H:%M:%SZ', since_ms / 1000, 'unixepoch'), reason, code, strikes";

/// When an extension is quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuarantineConfig {
    /// Strikes within [`window`](Self::window) that quarantine an extension;
    /// `0` never quarantines (and records no strike).
    pub strikes: u32,
    /// How far back strikes count.
    pub window: Duration,
}

impl Default for QuarantineConfig {
    /// Five strikes within sixty seconds.
    fn default() -> QuarantineConfig {
        QuarantineConfig {
            strikes: 5,
            window: Duration::from_secs(60),
        }
    }
}

impl QuarantineConfig {
    /// A configuration that never quarantines.
    pub fn disabled() -> QuarantineConfig {
        QuarantineConfig {
            strikes: 0,
            ..QuarantineConfig::default()
        }
    }

    /// Whether strikes can quarantine at all.
    pub fn is_enabled(&self) -> bool {
        self.strikes > 0
    }
}

/// A quarantined extension, as `morph list` and `morph inspect` show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuarantineStatus {
    /// The extension id.
    pub extension: String,
    /// Its version when it was quarantined.
    pub version: String,
    /// The runtime that ran it.
    pub runtime: String,
    /// When it was quarantined, Unix milliseconds.
    pub since_ms: u64,
    /// The same instant, RFC 3339 (UTC, seconds).
    pub since: String,
    /// Why: how many strikes within what window, and the last one.
    pub reason: String,
    /// The error code of the last strike.
    pub code: String,
    /// Strikes counted when it was quarantined.
    pub strikes: u32,
}

impl QuarantineStatus {
    /// The error a refused load or call answers with.
    pub fn error(&self) -> Error {
        Error::Quarantined {
            id: self.extension.clone(),
            since: self.since.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// One call that ended in a strike.
#[derive(Debug, Clone, Copy)]
pub struct Strike<'a> {
    /// Whose call it was.
    pub identity: &'a ExtensionIdentity,
    /// The action (or `init`, `on_event`).
    pub action: &'a str,
    /// The call's id (as in its audit records).
    pub call_id: &'a str,
    /// What it ended with (see [`strike_code`]).
    pub code: ErrorCode,
}

/// A transition and the audit record that tells of it.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The quarantine put in place, or the one lifted.
    pub status: QuarantineStatus,
    /// The committed `host.quarantine` or `host.enable` record.
    pub record: AuditRecord,
}

/// Whether a call that ended with `code` is a strike: a limit, a crash or
/// `internal`.
pub fn is_strike(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Timeout
            | ErrorCode::MemoryLimit
            | ErrorCode::StackOverflow
            | ErrorCode::OutputTooLarge
            | ErrorCode::GuestCrash
            | ErrorCode::Internal
    )
}

/// The code that makes `error` a strike, if it is one; an `init_failed`
/// counts by its cause (an `init` that timed out is a strike, one that
/// raised is not).
pub fn strike_code(error: &Error) -> Option<ErrorCode> {
    let code = match error {
        Error::InitFailed(cause) => cause.code(),
        other => other.code(),
    };
    is_strike(code).then_some(code)
}

/// Strikes and quarantined extensions of one data dir, with the audit sink
/// that records every transition. See the module docs.
pub struct Quarantine {
    config: QuarantineConfig,
    audit: Arc<dyn AuditSink>,
    path: Option<PathBuf>,
    conn: Mutex<Connection>,
    mirror: RwLock<Mirror>,
    /// Origin of `next_refresh_ms`.
    born: Instant,
    next_refresh_ms: AtomicU64,
}

/// What [`Quarantine::check`] reads.
#[derive(Default)]
struct Mirror {
    /// `PRAGMA data_version` when `held` was read.
    data_version: i64,
    held: HashMap<String, QuarantineStatus>,
}

impl std::fmt::Debug for Quarantine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Quarantine")
            .field("config", &self.config)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Quarantine {
    /// Opens (or creates, readable by the owner only) the store at `path`
    /// (normally `<data dir>/quarantine.db`), recording transitions in `audit`.
    ///
    /// # Errors
    /// `io` when the file cannot be created, opened, configured or migrated.
    pub fn open(
        path: &Path,
        config: QuarantineConfig,
        audit: Arc<dyn AuditSink>,
    ) -> Result<Quarantine> {
        let opening = || format!("opening {}", path.display());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(opening(), e))?;
        }
        create_private(path).map_err(|e| Error::io(opening(), e))?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| Error::io(opening(), std::io::Error::other(e)))?;
        harden(&conn).map_err(|e| Error::io(opening(), e))?;
        Quarantine::with_connection(conn, Some(path.to_owned()), config, audit)
    }

    /// A store kept in memory, for a host without a data dir: the state
    /// lasts as long as this value.
    ///
    /// # Errors
    /// `io` when SQLite cannot open an in-memory database.
    pub fn in_memory(config: QuarantineConfig, audit: Arc<dyn AuditSink>) -> Result<Quarantine> {
        let conn = Connection::open_in_memory()
            .map_err(|e| Error::io("opening the quarantine", std::io::Error::other(e)))?;
        Quarantine::with_connection(conn, None, config, audit)
    }

    fn with_connection(
        mut conn: Connection,
        path: Option<PathBuf>,
        config: QuarantineConfig,
        audit: Arc<dyn AuditSink>,
    ) -> Result<Quarantine> {
        migrate(&mut conn)?;
        let mirror = read_mirror(&conn).map_err(|e| storage("reading the quarantine", &e))?;
        Ok(Quarantine {
            config,
            audit,
            path,
            conn: Mutex::new(conn),
            mirror: RwLock::new(mirror),
            born: Instant::now(),
            next_refresh_ms: AtomicU64::new(millis(REFRESH)),
        })
    }

    /// Every quarantined extension recorded in the store at `path`, read
    /// without creating or changing anything (none when there is no store).
    ///
    /// # Errors
    /// `io` when the store exists but cannot be read.
    pub fn list_at(path: &Path) -> Result<Vec<QuarantineStatus>> {
        if !path.exists() {
            return Ok(Vec::new());
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| storage(&format!("opening {}", path.display()), &e))?;
        let reading = |e: rusqlite::Error| storage(&format!("reading {}", path.display()), &e);
        conn.busy_timeout(Duration::from_secs(5)).map_err(reading)?;
        let exists: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'quarantined')",
                [],
                |row| row.get(0),
            )
            .map_err(reading)?;
        if !exists {
            return Ok(Vec::new());
        }
        list(&conn).map_err(reading)
    }

    /// The configuration strikes are counted under.
    pub fn config(&self) -> &QuarantineConfig {
        &self.config
    }

    /// Where the store lives (`None`: in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Refuses extension `id` when it is quarantined. Cheap: reads the
    /// in-memory mirror (brought up to date with other processes at most
    /// once per [`REFRESH`]).
    ///
    /// # Errors
    /// `extension_quarantined`.
    pub fn check(&self, id: &str) -> Result<()> {
        self.refresh_if_due();
        match read(&self.mirror).held.get(id) {
            None => Ok(()),
            Some(status) => Err(status.error()),
        }
    }

    /// Whether extension `id` is quarantined, read from the store.
    ///
    /// # Errors
    /// `io` when the store cannot be read.
    pub fn status(&self, id: &str) -> Result<Option<QuarantineStatus>> {
        let conn = lock(&self.conn);
        select_status(&conn, id).map_err(|e| storage("reading the quarantine", &e))
    }

    /// Every quarantined extension, by id, read from the store.
    ///
    /// # Errors
    /// `io` when the store cannot be read.
    pub fn list(&self) -> Result<Vec<QuarantineStatus>> {
        let conn = lock(&self.conn);
        list(&conn).map_err(|e| storage("reading the quarantine", &e))
    }

    /// Records a strike; when it is the [`QuarantineConfig::strikes`]th
    /// within the window, quarantines the extension (audited) and returns
    /// the transition. A strike of an extension already quarantined (by a
    /// call that ran beside this one, or another process) changes nothing.
    /// Blocking (SQLite, and the audit record's sync when it quarantines).
    ///
    /// # Errors
    /// `io` when the store or the audit record cannot be written; nothing
    /// is recorded then.
    pub fn strike(&self, strike: &Strike<'_>) -> Result<Option<Transition>> {
        if !self.config.is_enabled() {
            return Ok(None);
        }
        let failed = |e: rusqlite::Error| storage("recording a strike", &e);
        let id = strike.identity.id.as_str();
        let now = now_ms();
        let mut conn = lock(&self.conn);
        let tx = begin(&mut conn).map_err(failed)?;
        if let Some(status) = select_status(&tx, id).map_err(failed)? {
            tx.commit().map_err(failed)?;
            write(&self.mirror).held.insert(id.to_owned(), status);
            return Ok(None);
        }
        let horizon = now.saturating_sub(millis(self.config.window));
        tx.execute(
            "DELETE FROM strikes WHERE extension = ?1 AND at_ms <= ?2",
            params![id, sql_int(horizon)],
        )
        .map_err(failed)?;
        tx.execute(
            "INSERT INTO strikes (extension, at_ms, code) VALUES (?1, ?2, ?3)",
            params![id, sql_int(now), strike.code.as_str()],
        )
        .map_err(failed)?;
        let count: u32 = tx
            .query_row(
                "SELECT COUNT(*) FROM strikes WHERE extension = ?1",
                params![id],
                |row| row.get(0),
            )
            .map_err(failed)?;
        if count < self.config.strikes {
            tx.commit().map_err(failed)?;
            return Ok(None);
        }
        let reason = format!(
            "{count} calls ended in a limit violation or a crash within {} (the last: `{}` in `{}`)",
            describe(self.config.window),
            strike.code,
            truncate_for_message(strike.action, 64),
        );
        tx.execute(
            "INSERT INTO quarantined (extension, version, runtime, since_ms, reason, code, strikes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                strike.identity.version,
                strike.identity.runtime,
                sql_int(now),
                reason,
                strike.code.as_str(),
                count
            ],
        )
        .map_err(failed)?;
        tx.execute("DELETE FROM strikes WHERE extension = ?1", params![id])
            .map_err(failed)?;
        let status = select_status(&tx, id)
            .map_err(failed)?
            .ok_or_else(|| Error::internal("the quarantine row just written is missing"))?;
        let record = self.audit.append(AuditEntry {
            ts_ms: now,
            version: status.version.clone(),
            runtime: status.runtime.clone(),
            call_id: strike.call_id.to_owned(),
            decision: Decision::Denied,
            outcome: ErrorCode::ExtensionQuarantined.as_str().to_owned(),
            ..AuditEntry::host_change(id, QUARANTINE_RECORD, strike.action, status.reason.clone())
        })?;
        tx.commit().map_err(failed)?;
        write(&self.mirror)
            .held
            .insert(id.to_owned(), status.clone());
        Ok(Some(Transition { status, record }))
    }

    /// Lifts the quarantine of extension `id` (audited) and forgets its
    /// strikes. Returns the lifted quarantine, or `None` when `id` was not
    /// quarantined (its strikes are forgotten all the same, unaudited).
    /// Blocking.
    ///
    /// # Errors
    /// `io` when the store or the audit record cannot be written; nothing
    /// changes then.
    pub fn enable(&self, id: &str) -> Result<Option<Transition>> {
        let failed = |e: rusqlite::Error| storage("lifting the quarantine", &e);
        let mut conn = lock(&self.conn);
        let tx = begin(&mut conn).map_err(failed)?;
        let status = select_status(&tx, id).map_err(failed)?;
        tx.execute("DELETE FROM strikes WHERE extension = ?1", params![id])
            .map_err(failed)?;
        let Some(status) = status else {
            tx.commit().map_err(failed)?;
            write(&self.mirror).held.remove(id);
            return Ok(None);
        };
        tx.execute("DELETE FROM quarantined WHERE extension = ?1", params![id])
            .map_err(failed)?;
        let record = self.audit.append(AuditEntry {
            version: status.version.clone(),
            runtime: status.runtime.clone(),
            ..AuditEntry::host_change(
                id,
                ENABLE_RECORD,
                "enable",
                format!("quarantined since {}: {}", status.since, status.reason),
            )
        })?;
        tx.commit().map_err(failed)?;
        write(&self.mirror).held.remove(id);
        Ok(Some(Transition { status, record }))
    }

    /// Re-reads the quarantined set when another connection changed the
    /// store, at most once per [`REFRESH`], never waiting for the lock.
    fn refresh_if_due(&self) {
        if self.path.is_none() {
            return; // in memory: no other connection
        }
        let now = millis(self.born.elapsed());
        if now < self.next_refresh_ms.load(Ordering::Relaxed) {
            return;
        }
        self.next_refresh_ms
            .store(now + millis(REFRESH), Ordering::Relaxed);
        let conn = match self.conn.try_lock() {
            Ok(conn) => conn,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            // A strike or a transition is being written: it updates the mirror.
            Err(TryLockError::WouldBlock) => return,
        };
        let Ok(version) = data_version(&conn) else {
            return;
        };
        if version == read(&self.mirror).data_version {
            return;
        }
        match read_mirror(&conn) {
            Ok(fresh) => *write(&self.mirror) = fresh,
            Err(e) => tracing::warn!("cannot re-read the quarantine: {e}"),
        }
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let failed = |e: rusqlite::Error| storage("migrating the quarantine schema", &e);
    let tx = begin(conn).map_err(failed)?;
    let version = schema_version(&tx, SCHEMA_VERSION, "opening the quarantine")?;
    let from = usize::try_from(version).unwrap_or(0);
    for sql in MIGRATIONS.iter().skip(from) {
        tx.execute_batch(sql).map_err(failed)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(failed)?;
    tx.commit().map_err(failed)
}

/// A write transaction, after rolling back one a panic may have left open.
fn begin(conn: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    if !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK")?;
    }
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
}

fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |row| row.get(0))
}

fn read_mirror(conn: &Connection) -> rusqlite::Result<Mirror> {
    let data_version = data_version(conn)?;
    let held = list(conn)?
        .into_iter()
        .map(|s| (s.extension.clone(), s))
        .collect();
    Ok(Mirror { data_version, held })
}

fn list(conn: &Connection) -> rusqlite::Result<Vec<QuarantineStatus>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {STATUS_COLUMNS} FROM quarantined ORDER BY extension"
    ))?;
    let rows = stmt.query_map([], status_of)?;
    rows.collect()
}

fn select_status(conn: &Connection, id: &str) -> rusqlite::Result<Option<QuarantineStatus>> {
    conn.query_row(
        &format!("SELECT {STATUS_COLUMNS} FROM quarantined WHERE extension = ?1"),
        params![id],
        status_of,
    )
    .optional()
}

fn status_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<QuarantineStatus> {
    Ok(QuarantineStatus {
        extension: row.get(0)?,
        version: row.get(1)?,
        runtime: row.get(2)?,
        since_ms: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
        since: row.get(4)?,
        reason: row.get(5)?,
        code: row.get(6)?,
        strikes: row.get(7)?,
    })
}

/// A store failure; only SQLite's error code reaches the message.
fn storage(doing: &str, e: &rusqlite::Error) -> Error {
    let what = match e.sqlite_error_code() {
        Some(code) => format!("{code:?}"),
        None => e.to_string(),
    };
    Error::io(doing.to_owned(), std::io::Error::other(what))
}

/// `60 s`, `1500 ms`.
fn describe(window: Duration) -> String {
    if window.subsec_millis() == 0 {
        format!("{} s", window.as_secs())
    } else {
        format!("{} ms", window.as_millis())
    }
}

fn now_ms() -> u64 {
    crate::broker::now_ms()
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn sql_int(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
