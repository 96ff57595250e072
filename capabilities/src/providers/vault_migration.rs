//! Sealing the plain-text vault of an older data dir (schema version 1 to
//! 2), and clearing every trace of it from the database file.
//!
//! **After the migration no byte of a value is in the file or its journal in
//! the clear**: the rows are sealed into a new table and the old one dropped
//! in the migration's transaction (with `secure_delete` on, freed pages are
//! zeroed), then the file is rewritten from its live rows (`VACUUM`) and its
//! WAL truncated to nothing. Another process's reader can keep the WAL from
//! being truncated; a mark in `vault_meta` then makes the next open finish
//! the job, and the open itself never fails for it (every live value is
//! sealed already).

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::{Error, Result};
use crate::providers::vault_seal::{Place, seal};
use crate::providers::vault_store::{KeyCache, active_key, truncate_wal};

/// Version 2 of the schema: the sealed vault and its metadata. The old
/// plain-text table is dropped once its rows are sealed into the new one.
const SCHEMA_V2: &str = "
    CREATE TABLE vault_sealed (
        namespace  TEXT    NOT NULL,
        key        TEXT    NOT NULL,
        key_id     TEXT    NOT NULL,
        sealed     BLOB    NOT NULL,
        updated_ms INTEGER NOT NULL,
        PRIMARY KEY (namespace, key)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE vault_meta (
        name  TEXT NOT NULL PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
";

/// The `vault_meta` row present while plain-text bytes may still sit in the
/// file or its WAL (sealed, but not yet compacted away).
const COMPACT_PENDING: &str = "compact_pending";

/// Schema migration 1 → 2, inside the migration's transaction: creates the
/// sealed table, seals every plain-text row into it (making the key file if
/// there is a row and no file), drops the plain-text table and, if it sealed
/// anything, marks the file for [`compact_if_pending`]. Returns how many
/// rows it sealed.
///
/// # Errors
/// `io` when a statement fails or the key file cannot be read or created.
pub(super) fn seal_plaintext_rows(tx: &Transaction<'_>, keys: &mut KeyCache) -> Result<usize> {
    const WHAT: &str = "migrating the vault";
    let failed = |e: rusqlite::Error| Error::io(WHAT, std::io::Error::other(e));
    tx.execute_batch(SCHEMA_V2).map_err(failed)?;
    let rows: Vec<(String, String, Vec<u8>, i64)> = {
        let mut stmt = tx
            .prepare("SELECT namespace, key, CAST(value AS BLOB), updated_ms FROM vault")
            .map_err(failed)?;
        stmt.query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .map_err(failed)?
        .collect::<rusqlite::Result<_>>()
        .map_err(failed)?
    };
    if !rows.is_empty() {
        let key = active_key(tx, keys, WHAT)?;
        for (namespace, name, value, updated_ms) in &rows {
            let sealed = seal(&key, &Place::unbound(namespace, name), value)?;
            tx.execute(
                "INSERT INTO vault_sealed (namespace, key, key_id, sealed, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![namespace, name, key.id(), sealed, updated_ms],
            )
            .map_err(failed)?;
        }
    }
    tx.execute_batch(
        "DROP TABLE vault;
         ALTER TABLE vault_sealed RENAME TO vault;
         CREATE INDEX vault_by_key_id ON vault (key_id);",
    )
    .map_err(failed)?;
    if !rows.is_empty() {
        tx.execute(
            "INSERT INTO vault_meta (name, value) VALUES (?1, '1')",
            [COMPACT_PENDING],
        )
        .map_err(failed)?;
    }
    Ok(rows.len())
}

/// Compacts the file when a migration left plain-text bytes to clear; when
/// another process keeps it from finishing, warns and leaves the mark for
/// the next open. Never fails the open: every live value is sealed already.
pub(super) fn compact_if_pending(conn: &Connection) {
    let pending = conn
        .query_row(
            "SELECT 1 FROM vault_meta WHERE name = ?1",
            [COMPACT_PENDING],
            |_| Ok(()),
        )
        .optional();
    if !matches!(pending, Ok(Some(()))) {
        return;
    }
    // The mark goes last, in a fresh WAL that holds sealed pages only.
    let done = compact(conn).and_then(|()| {
        conn.execute("DELETE FROM vault_meta WHERE name = ?1", [COMPACT_PENDING])
            .map(|_| ())
            .map_err(std::io::Error::other)
    });
    if let Err(e) = done {
        tracing::warn!(
            error = %e,
            "the vault was sealed but the old plain-text pages could not be cleared yet; \
             they will be at the next open"
        );
    }
}

/// Rewrites the database file from its live rows (`VACUUM`) and empties its
/// WAL, so that no free page, stale page or old journal frame keeps bytes
/// the live rows no longer hold.
///
/// # Errors
/// When SQLite fails.
fn compact(conn: &Connection) -> std::io::Result<()> {
    use rusqlite::limits::Limit;
    // VACUUM builds the new file as an attached temporary database: allow
    // that one attachment for its duration only.
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 1)
        .map_err(std::io::Error::other)?;
    let vacuumed = conn.execute_batch("VACUUM");
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)
        .map_err(std::io::Error::other)?;
    vacuumed.map_err(std::io::Error::other)?;
    truncate_wal(conn)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::providers::VaultProvider;
    use crate::providers::sqlite::SqliteStore;
    use crate::providers::vault_store::VaultEntry;
    use crate::providers::vault_store::testing::*;

    /// A version 1 database, as Morph wrote it before sealing, with the
    /// value overwritten once (the old text lingers in free space).
    fn legacy_database(db: &Path, secret: &str) {
        let conn = Connection::open(db).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch(crate::providers::sqlite::SCHEMA_V1)
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO vault VALUES ('ext-a', 'token', ?1, 5)",
            [format!("{secret}-old")],
        )
        .unwrap();
        conn.execute("UPDATE vault SET value = ?1", [secret])
            .unwrap();
        conn.execute(
            "INSERT INTO tasks (namespace, title, description, status, data, created_ms, updated_ms)
             VALUES ('ext-a', 't', '', 'open', 'null', 0, 0)",
            [],
        )
        .unwrap();
    }

    fn leaks(dir: &Path, needle: &str) -> Vec<PathBuf> {
        all_bytes(dir)
            .into_iter()
            .filter(|(_, b)| contains(b, needle.as_bytes()))
            .map(|(p, _)| p)
            .collect()
    }

    #[tokio::test]
    async fn plaintext_rows_of_an_older_morph_are_sealed_and_leave_no_trace() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("morph.db");
        let secret = "legacy-plaintext-secret-7f3a";
        legacy_database(&db, secret);
        assert!(!leaks(dir.path(), secret).is_empty());
        let store = SqliteStore::open_with_key_file(&db, &dir.path().join("vault.key")).unwrap();
        assert_eq!(store.get("ext-a", "token").await.unwrap().unwrap(), secret);
        let list = store.vault_list("ext-a").await.unwrap();
        assert_eq!(
            list,
            vec![VaultEntry {
                key: "token".into(),
                updated_ms: 5,
                hosts: None,
            }]
        );
        assert_eq!(
            leaks(dir.path(), "legacy-plaintext-secret"),
            Vec::<PathBuf>::new()
        );
        let version: i64 = store
            .conn
            .lock()
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, crate::providers::sqlite::SCHEMA_VERSION);
        let tasks = crate::providers::TaskProvider::list(
            &store,
            "ext-a",
            crate::providers::tasks::TaskQuery::default(),
        )
        .await
        .unwrap();
        assert_eq!(tasks.len(), 1, "tasks survive the migration");
    }

    #[tokio::test]
    async fn a_compaction_kept_from_finishing_is_done_at_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("morph.db");
        let key_file = dir.path().join("vault.key");
        let secret = "legacy-plaintext-held-open-91c2";
        legacy_database(&db, secret);
        // Another process (an older Morph) reading: its snapshot keeps the
        // WAL from being truncated.
        let reader = Connection::open(&db).unwrap();
        reader
            .execute_batch("BEGIN; SELECT count(*) FROM tasks;")
            .unwrap();
        let store = SqliteStore::open_with_key_file(&db, &key_file).unwrap();
        assert_eq!(store.get("ext-a", "token").await.unwrap().unwrap(), secret);
        let pending: Option<i64> = store
            .conn
            .lock()
            .unwrap()
            .query_row(
                "SELECT 1 FROM vault_meta WHERE name = ?1",
                [COMPACT_PENDING],
                |r| r.get(0),
            )
            .optional()
            .unwrap();
        assert_eq!(
            pending,
            Some(1),
            "the mark stays until the pages are cleared"
        );
        drop(reader);
        drop(store);
        let store = SqliteStore::open_with_key_file(&db, &key_file).unwrap();
        assert_eq!(
            leaks(dir.path(), "legacy-plaintext-held"),
            Vec::<PathBuf>::new()
        );
        let pending: i64 = store
            .conn
            .lock()
            .unwrap()
            .query_row(
                "SELECT count(*) FROM vault_meta WHERE name = ?1",
                [COMPACT_PENDING],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(pending, 0);
    }
}
