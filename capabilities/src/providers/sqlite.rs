//! [`SqliteStore`]: the default vault and task providers, in one SQLite file.
//!
//! **Every statement is parameterised and scoped by namespace** (the calling
//! extension's id, passed by the broker): one extension never sees, changes
//! or learns the existence of another's vault keys or tasks. **Vault values
//! are sealed before they reach SQLite** (see [`super::vault_store`]) and
//! never appear in an error, a log line or `Debug` output. Each change runs
//! in one transaction, so a failure (or a panic) leaves nothing half-written.
//! **Quotas are counted in the write transaction that inserts** (`max_tasks`
//! here, `max_vault_entries` in [`super::vault_store`]), so no two writers,
//! in one process or several, pass a quota together.
//!
//! The connection is hardened at open: WAL journal, `synchronous=NORMAL`, a
//! busy timeout, `SQLITE_DBCONFIG_DEFENSIVE`, no attached databases
//! (`SQLITE_LIMIT_ATTACHED = 0`), `trusted_schema=OFF`, foreign keys on, no
//! double-quoted string literals, `secure_delete=ON` (deleted content is
//! zeroed, not left in free pages) and `temp_store=MEMORY` (no temporary
//! file holds a page); extension loading is never enabled. The schema is
//! created and migrated at open, versioned by `PRAGMA user_version`.
//!
//! SQLite is blocking: every operation runs on tokio's blocking pool with the
//! one connection behind a [`Mutex`]. A panic there fails only that call
//! (`internal`); a poisoned lock is recovered and any transaction the panic
//! left open is rolled back before the connection is used again.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::limits::Limit;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};

use crate::content::check_len as check_text;
use crate::error::{Error, QuotaKind, Result};
use crate::providers::tasks::{
    MAX_DESCRIPTION_BYTES, MAX_LIST_LIMIT, MAX_STATUS_BYTES, MAX_TASK_DATA_BYTES, MAX_TITLE_BYTES,
    NewTask, Task, TaskPatch, TaskProvider, TaskQuery,
};
use crate::providers::vault_keys::key_file_path;
use crate::providers::vault_migration;
use crate::providers::vault_store::KeyCache;

/// The schema version this code writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 3;

/// The database's file name in a data dir.
pub const DATABASE_FILE: &str = "morph.db";

/// How long a statement waits for a lock held by another connection.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest string or blob SQLite accepts on this connection: above every
/// per-field cap, far below SQLite's default of 1 GB.
const MAX_SQL_VALUE_BYTES: i32 = 4 * 1024 * 1024;

/// Tasks listed when the query names no limit.
pub const DEFAULT_LIST_LIMIT: u32 = 100;

/// Most bytes (titles, descriptions, data) one `list` returns: the page ends
/// early once reached (always with at least one task), and the caller pages
/// on with `offset`. Keeps one call from copying up to 1000 × 320 KiB.
pub const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;

/// Version 1: the vault (values in plain text, as Morph first stored them)
/// and the tasks. Version 2 seals the vault ([`vault_migration::seal_plaintext_rows`]);
/// version 3 adds the vault's host bindings ([`SCHEMA_V3`]).
pub(super) const SCHEMA_V1: &str = "
    CREATE TABLE vault (
        namespace  TEXT    NOT NULL,
        key        TEXT    NOT NULL,
        value      TEXT    NOT NULL,
        updated_ms INTEGER NOT NULL,
        PRIMARY KEY (namespace, key)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE tasks (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        namespace   TEXT    NOT NULL,
        title       TEXT    NOT NULL,
        description TEXT    NOT NULL,
        status      TEXT    NOT NULL,
        data        TEXT    NOT NULL,
        created_ms  INTEGER NOT NULL,
        updated_ms  INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX tasks_by_namespace ON tasks (namespace, id);
";

/// Version 3: a vault value may be bound to the hosts it may be sent to
/// (comma-separated `allowed_hosts` entries; `NULL`: not bound).
pub(super) const SCHEMA_V3: &str = "ALTER TABLE vault ADD COLUMN hosts TEXT;";

/// Vault and tasks in one SQLite file.
pub struct SqliteStore {
    pub(super) conn: Arc<Mutex<Connection>>,
    /// The vault's keys, kept in their own file (lock it after `conn`).
    pub(super) keys: Arc<Mutex<KeyCache>>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The path only: never rows, keys or values.
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the store of `data_dir` (created if need be): `<data_dir>/morph.db`, with the vault
    /// key file where [`key_file_path`] says. The host's providers and the
    /// `morph vault` command both open it this way, so they agree on where
    /// a value is.
    ///
    /// # Errors
    /// `io` when the directory cannot be created; else as
    /// [`SqliteStore::open_with_key_file`].
    pub fn open_in(data_dir: &Path) -> Result<SqliteStore> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| Error::io(format!("creating {}", data_dir.display()), e))?;
        SqliteStore::open_with_key_file(&data_dir.join(DATABASE_FILE), &key_file_path(data_dir))
    }

    /// Opens (or creates, readable by the owner only) the database at `path`,
    /// with the vault key file where [`key_file_path`] says for its
    /// directory.
    ///
    /// # Errors
    /// As [`SqliteStore::open_with_key_file`].
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        SqliteStore::open_with_key_file(path, &key_file_path(dir))
    }

    /// Opens (or creates, readable by the owner only) the database at `path`,
    /// hardens the connection and migrates the schema. Vault values are
    /// sealed with the keys in `key_file` (created, mode `0600`, when the
    /// first value needs one); plain-text values left by an older Morph are
    /// sealed now, and the file compacted so that none of their bytes stay
    /// in it or its journal (at the next open if another process keeps the
    /// journal alive now).
    ///
    /// # Errors
    /// `io` when the file cannot be opened or configured, was written by a
    /// newer schema version, or holds plain-text values and the key file
    /// cannot be read or created.
    pub fn open_with_key_file(path: &Path, key_file: &Path) -> Result<SqliteStore> {
        let opening = || format!("opening {}", path.display());
        create_private(path).map_err(|e| Error::io(opening(), e))?;
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| Error::io(opening(), std::io::Error::other(e)))?;
        harden(&conn).map_err(|e| Error::io(opening(), e))?;
        let mut keys = KeyCache::new(key_file);
        migrate(&mut conn, &mut keys)?;
        vault_migration::compact_if_pending(&conn);
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            keys: Arc::new(Mutex::new(keys)),
            path: path.to_owned(),
        })
    }

    /// Runs `f` with the connection and the vault's keys on the blocking pool.
    pub(super) async fn with_vault<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &mut KeyCache) -> Result<T> + Send + 'static,
    {
        let keys = Arc::clone(&self.keys);
        self.with_conn(move |conn| {
            let mut keys = keys.lock().unwrap_or_else(PoisonError::into_inner);
            f(conn, &mut keys)
        })
        .await
    }

    /// Runs `f` with the connection on the blocking pool.
    pub(super) async fn with_conn<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let job = tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(PoisonError::into_inner);
            if !guard.is_autocommit() {
                // Only a panic mid-transaction leaves one open; undo it.
                let _ = guard.execute_batch("ROLLBACK");
            }
            f(&mut guard)
        });
        match job.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err(Error::internal(
                "the SQLite store panicked; the operation was rolled back",
            )),
            Err(_) => Err(Error::internal("the SQLite store task was cancelled")),
        }
    }
}

/// Creates the database file with mode 0600 if it does not exist yet: it
/// holds every extension's secrets.
pub(crate) fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

pub(crate) fn harden(conn: &Connection) -> std::io::Result<()> {
    let sql = |e: rusqlite::Error| std::io::Error::other(e);
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
    for (option, on) in [
        (DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true),
        (DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY, true),
        (DbConfig::SQLITE_DBCONFIG_DQS_DML, false),
        (DbConfig::SQLITE_DBCONFIG_DQS_DDL, false),
    ] {
        if conn.set_db_config(option, on).map_err(sql)? != on {
            return Err(std::io::Error::other(format!(
                "{option:?} could not be set"
            )));
        }
    }
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)
        .map_err(sql)?;
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_SQL_VALUE_BYTES)
        .map_err(sql)?;
    conn.pragma_update(None, "trusted_schema", false)
        .map_err(sql)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(sql)?;
    let secure: i64 = conn
        .pragma_update_and_check(None, "secure_delete", 1, |row| row.get(0))
        .map_err(sql)?;
    if secure != 1 {
        return Err(std::io::Error::other("secure_delete could not be set"));
    }
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(sql)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(std::io::Error::other(format!(
            "journal_mode stayed {mode}, WAL is required"
        )));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sql)?;
    Ok(())
}

/// The `user_version` of a store inside `tx`, refused when it is newer than
/// `newest` (a store written by a later Morph), with `what` as the context.
pub(crate) fn schema_version(
    tx: &rusqlite::Transaction<'_>,
    newest: i64,
    what: &str,
) -> Result<i64> {
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| Error::io(what.to_owned(), std::io::Error::other(e)))?;
    if version > newest {
        return Err(Error::io(
            what.to_owned(),
            std::io::Error::other(format!(
                "schema version {version} is newer than this Morph ({newest})"
            )),
        ));
    }
    Ok(version)
}

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction.
fn migrate(conn: &mut Connection, keys: &mut KeyCache) -> Result<()> {
    let failed =
        |e: rusqlite::Error| Error::io("migrating the SQLite schema", std::io::Error::other(e));
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(failed)?;
    let version = schema_version(&tx, SCHEMA_VERSION, "opening the SQLite store")?;
    if version < 1 {
        tx.execute_batch(SCHEMA_V1).map_err(failed)?;
    }
    if version < 2 {
        vault_migration::seal_plaintext_rows(&tx, keys)?;
    }
    if version < 3 {
        tx.execute_batch(SCHEMA_V3).map_err(failed)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(failed)?;
    tx.commit().map_err(failed)
}

/// A storage failure for `capability`. Only SQLite's error code reaches the
/// message, never a value.
pub(super) fn storage(capability: &str, e: &rusqlite::Error) -> Error {
    let reason = match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            "the store is busy; try again".to_owned()
        }
        Some(rusqlite::ErrorCode::DiskFull) => "the store's disk is full".to_owned(),
        Some(code) => format!("storage error ({code:?})"),
        None => "storage error".to_owned(),
    };
    Error::capability(capability, reason)
}

pub(super) fn now_ms() -> i64 {
    i64::try_from(crate::broker::now_ms()).unwrap_or(i64::MAX)
}

/// Serialises task data, enforcing [`MAX_TASK_DATA_BYTES`].
fn data_text(data: &serde_json::Value) -> Result<String> {
    let text = serde_json::to_string(data)
        .map_err(|e| Error::params("data", format!("not serialisable: {e}")))?;
    if text.len() > MAX_TASK_DATA_BYTES {
        return Err(Error::params(
            "data",
            format!(
                "serialised size {} exceeds {MAX_TASK_DATA_BYTES} bytes",
                text.len()
            ),
        ));
    }
    Ok(text)
}

const TASK_COLUMNS: &str = "id, title, description, status, data, created_ms, updated_ms";

/// A task row, with `data` still as text.
struct TaskRow {
    id: i64,
    title: String,
    description: String,
    status: String,
    data: String,
    created_ms: i64,
    updated_ms: i64,
}

impl TaskRow {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<TaskRow> {
        Ok(TaskRow {
            id: row.get(0)?,
            title: row.get(1)?,
            description: row.get(2)?,
            status: row.get(3)?,
            data: row.get(4)?,
            created_ms: row.get(5)?,
            updated_ms: row.get(6)?,
        })
    }

    fn size(&self) -> usize {
        self.title.len() + self.description.len() + self.status.len() + self.data.len()
    }

    fn into_task(self, capability: &str) -> Result<Task> {
        let data = serde_json::from_str(&self.data).map_err(|_| {
            Error::capability(capability, format!("task {} holds corrupt data", self.id))
        })?;
        Ok(Task {
            id: self.id,
            title: self.title,
            description: self.description,
            status: self.status,
            data,
            created_ms: self.created_ms,
            updated_ms: self.updated_ms,
        })
    }
}

fn select_task(
    conn: &Connection,
    capability: &str,
    namespace: &str,
    id: i64,
) -> Result<Option<TaskRow>> {
    conn.query_row(
        &format!("SELECT {TASK_COLUMNS} FROM tasks WHERE namespace = ?1 AND id = ?2"),
        params![namespace, id],
        TaskRow::from_row,
    )
    .optional()
    .map_err(|e| storage(capability, &e))
}

#[async_trait::async_trait]
impl TaskProvider for SqliteStore {
    async fn create(&self, namespace: &str, task: NewTask, max_tasks: u64) -> Result<Task> {
        const CAP: &str = "data.create_task";
        check_text("title", &task.title, 1, MAX_TITLE_BYTES)?;
        check_text("description", &task.description, 0, MAX_DESCRIPTION_BYTES)?;
        let status = task.status.unwrap_or_else(|| "open".to_owned());
        check_text("status", &status, 1, MAX_STATUS_BYTES)?;
        let data = task.data.unwrap_or(serde_json::Value::Null);
        let data_text = data_text(&data)?;
        let namespace = namespace.to_owned();
        self.with_conn(move |conn| {
            let now = now_ms();
            // IMMEDIATE: the write lock is held from the count to the
            // commit, so no other connection inserts in between.
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| storage(CAP, &e))?;
            let kept: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM tasks WHERE namespace = ?1",
                    params![namespace],
                    |row| row.get(0),
                )
                .map_err(|e| storage(CAP, &e))?;
            let kept = u64::try_from(kept).unwrap_or(0);
            if kept >= max_tasks {
                return Err(Error::quota(
                    CAP,
                    QuotaKind::Tasks,
                    format!("max_tasks = {max_tasks}; the extension keeps {kept}"),
                ));
            }
            tx.execute(
                "INSERT INTO tasks
                 (namespace, title, description, status, data, created_ms, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    namespace,
                    task.title,
                    task.description,
                    status,
                    data_text,
                    now
                ],
            )
            .map_err(|e| storage(CAP, &e))?;
            let id = tx.last_insert_rowid();
            tx.commit().map_err(|e| storage(CAP, &e))?;
            Ok(Task {
                id,
                title: task.title,
                description: task.description,
                status,
                data,
                created_ms: now,
                updated_ms: now,
            })
        })
        .await
    }

    async fn get(&self, namespace: &str, id: i64) -> Result<Option<Task>> {
        const CAP: &str = "data.get_task";
        let namespace = namespace.to_owned();
        self.with_conn(move |conn| {
            select_task(conn, CAP, &namespace, id)?
                .map(|row| row.into_task(CAP))
                .transpose()
        })
        .await
    }

    async fn list(&self, namespace: &str, query: TaskQuery) -> Result<Vec<Task>> {
        const CAP: &str = "data.list_tasks";
        let limit = query.limit.unwrap_or(DEFAULT_LIST_LIMIT);
        if limit > MAX_LIST_LIMIT {
            return Err(Error::params(
                "limit",
                format!("{limit} is above the maximum of {MAX_LIST_LIMIT}"),
            ));
        }
        if let Some(status) = &query.status {
            check_text("status", status, 0, MAX_STATUS_BYTES)?;
        }
        let offset = query.offset.unwrap_or(0);
        let namespace = namespace.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {TASK_COLUMNS} FROM tasks
                     WHERE namespace = ?1 AND (?2 IS NULL OR status = ?2)
                     ORDER BY id LIMIT ?3 OFFSET ?4"
                ))
                .map_err(|e| storage(CAP, &e))?;
            let rows = stmt
                .query_map(
                    params![namespace, query.status, limit, offset],
                    TaskRow::from_row,
                )
                .map_err(|e| storage(CAP, &e))?;
            let mut tasks = Vec::new();
            let mut bytes = 0usize;
            for row in rows {
                let row = row.map_err(|e| storage(CAP, &e))?;
                bytes = bytes.saturating_add(row.size());
                if bytes > MAX_LIST_BYTES && !tasks.is_empty() {
                    break;
                }
                tasks.push(row.into_task(CAP)?);
            }
            Ok(tasks)
        })
        .await
    }

    async fn update(&self, namespace: &str, patch: TaskPatch) -> Result<Option<Task>> {
        const CAP: &str = "data.update_task";
        if let Some(title) = &patch.title {
            check_text("title", title, 1, MAX_TITLE_BYTES)?;
        }
        if let Some(description) = &patch.description {
            check_text("description", description, 0, MAX_DESCRIPTION_BYTES)?;
        }
        if let Some(status) = &patch.status {
            check_text("status", status, 1, MAX_STATUS_BYTES)?;
        }
        let data_text = patch.data.as_ref().map(data_text).transpose()?;
        let namespace = namespace.to_owned();
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(|e| storage(CAP, &e))?;
            let Some(current) = select_task(&tx, CAP, &namespace, patch.id)? else {
                return Ok(None);
            };
            let next = TaskRow {
                id: current.id,
                title: patch.title.unwrap_or(current.title),
                description: patch.description.unwrap_or(current.description),
                status: patch.status.unwrap_or(current.status),
                data: data_text.unwrap_or(current.data),
                created_ms: current.created_ms,
                updated_ms: now_ms(),
            };
            tx.execute(
                "UPDATE tasks SET title = ?3, description = ?4, status = ?5, data = ?6,
                 updated_ms = ?7 WHERE namespace = ?1 AND id = ?2",
                params![
                    namespace,
                    next.id,
                    next.title,
                    next.description,
                    next.status,
                    next.data,
                    next.updated_ms
                ],
            )
            .map_err(|e| storage(CAP, &e))?;
            let task = next.into_task(CAP)?;
            tx.commit().map_err(|e| storage(CAP, &e))?;
            Ok(Some(task))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("morph.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn the_connection_is_hardened() {
        let (_dir, store) = store();
        let conn = store.conn.lock().unwrap();
        assert!(conn.db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE).unwrap());
        assert_eq!(conn.limit(Limit::SQLITE_LIMIT_ATTACHED).unwrap(), 0);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let trusted: bool = conn
            .pragma_query_value(None, "trusted_schema", |r| r.get(0))
            .unwrap();
        assert!(!trusted);
        let secure: i64 = conn
            .pragma_query_value(None, "secure_delete", |r| r.get(0))
            .unwrap();
        assert_eq!(secure, 1);
        let temp: i64 = conn
            .pragma_query_value(None, "temp_store", |r| r.get(0))
            .unwrap();
        assert_eq!(temp, 2, "MEMORY");
        assert!(
            conn.execute_batch("ATTACH DATABASE ':memory:' AS other")
                .is_err()
        );
        assert!(
            conn.query_row("SELECT load_extension('nope')", [], |_| Ok(()))
                .is_err()
        );
        assert!(
            conn.execute_batch("PRAGMA writable_schema = ON; DELETE FROM sqlite_schema")
                .is_err()
        );
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let (dir, store) = store();
        store
            .conn
            .lock()
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(store);
        let err = SqliteStore::open(&dir.path().join("morph.db")).unwrap_err();
        assert_eq!(err.code().as_str(), "io");
    }

    #[test]
    fn debug_shows_no_data() {
        let (_dir, store) = store();
        let text = format!("{store:?}");
        assert!(text.starts_with("SqliteStore"));
        assert!(!text.contains("conn"));
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, _store) = store();
        let mode = std::fs::metadata(dir.path().join("morph.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0);
    }

    #[tokio::test]
    async fn a_panic_mid_transaction_is_rolled_back() {
        let (_dir, store) = store();
        let err = store
            .with_conn(|conn| -> Result<()> {
                let tx = conn.transaction().unwrap();
                tx.execute(
                    "INSERT INTO vault VALUES ('ns', 'k', 'id', x'00', 0, NULL)",
                    [],
                )
                .unwrap();
                std::mem::forget(tx); // the panic below must not rely on Drop
                panic!("boom");
            })
            .await
            .unwrap_err();
        assert_eq!(err.code().as_str(), "internal");
        assert_eq!(
            crate::providers::VaultProvider::get(&store, "ns", "k")
                .await
                .unwrap(),
            None
        );
    }
}
