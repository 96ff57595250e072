//! Rotating the vault key: a new key, every value re-sealed under it, the
//! old keys retired from the key file.
//!
//! **Rotation never loses a value.** The new key is written to the key file
//! (beside the old ones, atomically) before any row is touched; the rows are
//! re-sealed and the new key made active in one write transaction; a key
//! leaves the file only once no row names it, checked under the write lock
//! again (writers seal with the active key they read in their own write
//! transaction, so none can add a row under an old key after the switch).
//! An interruption anywhere leaves every value readable under a key the
//! file holds; a key left behind is retired by the next rotation. A value
//! that does not open stops the rotation before anything is re-sealed.

use std::path::PathBuf;

use rusqlite::{Connection, params};

use crate::error::Result;
use crate::providers::sqlite::{SqliteStore, storage};
use crate::providers::vault_keys::KeyRing;
use crate::providers::vault_seal::{Place, seal};
use crate::providers::vault_store::{
    ACTIVE_KEY, KeyCache, open_row, set_active, truncate_wal, write_tx,
};

/// What [`SqliteStore::rotate_vault_key`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rotation {
    /// The new active key's id.
    pub key_id: String,
    /// Values re-sealed under it.
    pub resealed: usize,
    /// Ids of the keys removed from the key file.
    pub retired: Vec<String>,
    /// The key file.
    pub key_file: PathBuf,
}

impl SqliteStore {
    /// Replaces the vault key: a new key is added to the key file, every
    /// value is re-sealed under it, and the keys no value uses any more are
    /// removed from the file (see the module docs for why an interruption
    /// loses nothing).
    ///
    /// # Errors
    /// `io` when the key file cannot be read or written; `capability_failed`
    /// when the store fails or a value does not open (nothing is re-sealed
    /// then).
    pub async fn rotate_vault_key(&self) -> Result<Rotation> {
        const WHAT: &str = "vault.rotate_key";
        self.with_vault(move |conn, keys| {
            // 1. Under the write lock: the new key joins the old ones in the
            //    file, then every row is re-sealed and the key made active,
            //    in one transaction.
            let tx = write_tx(conn, WHAT)?;
            let rows: Vec<Row> = {
                let mut stmt = tx
                    .prepare("SELECT namespace, key, hosts, key_id, sealed FROM vault")
                    .map_err(|e| storage(WHAT, &e))?;
                stmt.query_map([], |row| {
                    Ok(Row {
                        namespace: row.get(0)?,
                        key: row.get(1)?,
                        hosts: row.get(2)?,
                        key_id: row.get(3)?,
                        sealed: row.get(4)?,
                    })
                })
                .map_err(|e| storage(WHAT, &e))?
                .collect::<rusqlite::Result<_>>()
                .map_err(|e| storage(WHAT, &e))?
            };
            let mut ring = match KeyRing::load(&keys.path)? {
                Some(ring) => ring,
                None if rows.is_empty() => KeyRing::create(&keys.path)?,
                None => {
                    let id = rows.first().map_or("", |r| r.key_id.as_str()).to_owned();
                    return Err(keys.missing(WHAT, &id));
                }
            };
            keys.ring = Some(ring.clone());
            let mut opened = Vec::with_capacity(rows.len());
            for row in &rows {
                let value = open_row(keys, WHAT, &row.place(), &row.key_id, &row.sealed)?;
                opened.push((row, value));
            }
            let new_key = ring.add_new_key()?;
            ring.save()?;
            keys.ring = Some(ring.clone());
            set_active(&tx, new_key.id(), WHAT)?;
            for (row, value) in opened {
                let sealed = seal(&new_key, &row.place(), value.as_bytes())?;
                drop(value);
                tx.execute(
                    "UPDATE vault SET key_id = ?3, sealed = ?4 WHERE namespace = ?1 AND key = ?2",
                    params![row.namespace, row.key, new_key.id(), sealed],
                )
                .map_err(|e| storage(WHAT, &e))?;
            }
            tx.commit().map_err(|e| storage(WHAT, &e))?;
            // 2. Under the write lock again: no row names an old key and no
            //    writer can add one (they seal with the active key, read in
            //    their own write transaction), so the old keys can go.
            let retired = retire_unused_keys(conn, keys, WHAT)?;
            // Old frames in the WAL hold values sealed under retired keys.
            if let Err(e) = truncate_wal(conn) {
                tracing::warn!(error = %e, "after the vault key rotation");
            }
            Ok(Rotation {
                key_id: new_key.id().to_owned(),
                resealed: rows.len(),
                retired,
                key_file: keys.path.clone(),
            })
        })
        .await
    }
}

/// One vault row as rotation reads it.
struct Row {
    namespace: String,
    key: String,
    hosts: Option<String>,
    key_id: String,
    sealed: Vec<u8>,
}

impl Row {
    fn place(&self) -> Place<'_> {
        Place {
            namespace: &self.namespace,
            name: &self.key,
            hosts: self.hosts.as_deref(),
        }
    }
}

/// Removes from the key file every key that is neither active nor named by
/// a row; returns their ids.
fn retire_unused_keys(
    conn: &mut Connection,
    keys: &mut KeyCache,
    what: &str,
) -> Result<Vec<String>> {
    let tx = write_tx(conn, what)?;
    let in_use: Vec<String> = {
        let mut stmt = tx
            .prepare(
                "SELECT DISTINCT key_id FROM vault
                 UNION SELECT value FROM vault_meta WHERE name = ?1",
            )
            .map_err(|e| storage(what, &e))?;
        stmt.query_map([ACTIVE_KEY], |row| row.get(0))
            .map_err(|e| storage(what, &e))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| storage(what, &e))?
    };
    let Some(mut ring) = KeyRing::load(&keys.path)? else {
        return Ok(Vec::new());
    };
    let retired = ring.retain(&in_use);
    if !retired.is_empty() {
        ring.save()?;
    }
    keys.ring = Some(ring);
    tx.commit().map_err(|e| storage(what, &e))?;
    Ok(retired)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::VaultProvider;
    use crate::providers::vault_store::testing::*;

    #[tokio::test]
    async fn rotation_reseals_every_value_and_retires_the_old_key() {
        let f = Fixture::new();
        f.store.set("ext-a", "one", "first-value").await.unwrap();
        f.store.set("ext-b", "two", "second-value").await.unwrap();
        let hosts = vec![crate::HostPattern::parse("api.example.com").unwrap()];
        f.store
            .vault_set_bound("ext-b", "bound", "bound-value", Some(hosts.clone()))
            .await
            .unwrap();
        let old = KeyRing::load(&f.key_file()).unwrap().unwrap().ids();
        let rotation = f.store.rotate_vault_key().await.unwrap();
        assert_eq!(rotation.resealed, 3);
        let bound = f.store.bound("ext-b").await.unwrap();
        assert_eq!(bound.len(), 1, "a bound value keeps its hosts");
        assert_eq!(
            (bound[0].value.as_str(), &bound[0].hosts),
            ("bound-value", &hosts)
        );
        assert_eq!(rotation.retired, old);
        let ring = KeyRing::load(&f.key_file()).unwrap().unwrap();
        assert_eq!(ring.ids(), vec![rotation.key_id.clone()]);
        let ids: Vec<String> = f.sql(|c| {
            let mut s = c.prepare("SELECT DISTINCT key_id FROM vault").unwrap();
            s.query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        });
        assert_eq!(ids, vec![rotation.key_id.clone()]);
        assert_eq!(
            f.store.get("ext-a", "one").await.unwrap().unwrap(),
            "first-value"
        );
        assert_eq!(
            f.store.get("ext-b", "two").await.unwrap().unwrap(),
            "second-value"
        );
        f.store.set("ext-a", "three", "third").await.unwrap();
        let third: String = f.sql(|c| {
            c.query_row("SELECT key_id FROM vault WHERE key = 'three'", [], |r| {
                r.get(0)
            })
            .unwrap()
        });
        assert_eq!(third, rotation.key_id, "new values use the new key");
    }

    #[tokio::test]
    async fn an_interrupted_rotation_loses_nothing_and_the_next_one_finishes() {
        let f = Fixture::new();
        f.store.set("ext-a", "one", "kept-value").await.unwrap();
        let old = KeyRing::load(&f.key_file()).unwrap().unwrap();
        // Interrupted after the new key was written, before any row was
        // re-sealed: the file holds both keys, the rows the old one.
        let mut both = old.clone();
        both.add_new_key().unwrap();
        both.save().unwrap();
        assert_eq!(
            f.store.get("ext-a", "one").await.unwrap().unwrap(),
            "kept-value"
        );
        f.store.set("ext-a", "two", "during").await.unwrap();
        // A second store (another process) rotates while the first one
        // cached the old ring.
        let other =
            SqliteStore::open_with_key_file(&f.dir.path().join("morph.db"), &f.key_file()).unwrap();
        let rotation = other.rotate_vault_key().await.unwrap();
        assert_eq!(rotation.retired.len(), 2, "the old key and the orphan");
        // The first store learns the new key from the database and the file.
        assert_eq!(
            f.store.get("ext-a", "one").await.unwrap().unwrap(),
            "kept-value"
        );
        f.store.set("ext-a", "three", "after").await.unwrap();
        assert_eq!(other.get("ext-a", "three").await.unwrap().unwrap(), "after");
        let ids: Vec<String> = f.sql(|c| {
            let mut s = c.prepare("SELECT DISTINCT key_id FROM vault").unwrap();
            s.query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        });
        assert_eq!(ids, vec![rotation.key_id]);
    }

    #[tokio::test]
    async fn a_rotation_that_cannot_open_a_value_changes_nothing() {
        let f = Fixture::new();
        f.store.set("ext-a", "good", "good-value").await.unwrap();
        f.store.set("ext-a", "bad", "bad-value").await.unwrap();
        f.sql(|c| {
            c.execute("UPDATE vault SET key = 'worse' WHERE key = 'bad'", [])
                .unwrap()
        });
        let before = std::fs::read(f.key_file()).unwrap();
        let err = f.store.rotate_vault_key().await.unwrap_err();
        assert!(err.to_string().contains("`worse` does not open"), "{err}");
        assert_eq!(std::fs::read(f.key_file()).unwrap(), before);
        assert_eq!(
            f.store.get("ext-a", "good").await.unwrap().unwrap(),
            "good-value"
        );
    }
}
