//! The vault of [`SqliteStore`]: sealed rows and the key that seals them.
//!
//! A row is `(namespace, key, key_id, sealed, updated_ms, hosts)`: the value
//! sealed by `vault_seal.rs` under the key `key_id` of the key file
//! ([`vault_keys`](super::vault_keys)), bound to its namespace and key and,
//! when `hosts` is set (comma-separated `allowed_hosts` entries), to the
//! hosts it may be sent to. The
//! key that seals new values is the store's **active key**, recorded in the
//! database (`vault_meta`) and read in each writer's own write transaction,
//! so that every process sharing the data dir seals with the same key and
//! learns of a rotation ([`super::vault_rotation`]) in the transaction that
//! makes it. A key the cached ring lacks is looked up again in the key file.
//!
//! Invariants kept here: **not one byte of a value reaches SQLite unsealed**
//! (plain-text rows of older data dirs: `vault_migration.rs`); **a
//! value never appears in an error** (failures name the extension's key and
//! the key id, nothing else); **values under a lost key are never hidden
//! behind a new key**: while a row needs a key the file does not hold, the
//! vault refuses to seal under another one.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::error::{Error, Result};
use crate::http::allowlist::HostPattern;
use crate::providers::sqlite::{SqliteStore, now_ms, storage};
use crate::providers::vault::{BoundSecret, VaultProvider};
use crate::providers::vault_keys::{KeyRing, VaultKey};
use crate::providers::vault_seal::{Place, open, seal};

/// The `vault_meta` row naming the key that seals new values.
pub(super) const ACTIVE_KEY: &str = "active_key";

/// One key of an extension's vault, without its value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VaultEntry {
    /// The key.
    pub key: String,
    /// When the value was last set (Unix milliseconds).
    pub updated_ms: i64,
    /// The hosts the value is bound to; `None` when it is not bound.
    pub hosts: Option<Vec<String>>,
}

/// The stored form of a host binding: the entries, normalised, joined by
/// commas (what the associated data binds).
fn stored_hosts(hosts: &[HostPattern]) -> String {
    hosts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The entries of a stored host binding.
fn parse_hosts(what: &str, key: &str, stored: &str) -> Result<Vec<HostPattern>> {
    stored
        .split(',')
        .map(|entry| {
            HostPattern::parse(entry).map_err(|e| {
                Error::capability(
                    what,
                    format!(
                        "the hosts bound to `{}` do not parse: {e}",
                        crate::truncate_for_message(key, 64)
                    ),
                )
            })
        })
        .collect()
}

/// The vault's keys as last read from the key file; read again whenever a
/// key is asked for that the cached ring does not hold (another process
/// may have rotated).
#[derive(Debug)]
pub(crate) struct KeyCache {
    pub(super) path: PathBuf,
    pub(super) ring: Option<KeyRing>,
}

impl KeyCache {
    /// A cache of the key file at `path`, not read yet.
    pub(super) fn new(path: &Path) -> KeyCache {
        KeyCache {
            path: path.to_owned(),
            ring: None,
        }
    }

    /// The key `id`, reading the file again if the cached ring lacks it.
    pub(super) fn find(&mut self, id: &str) -> Result<Option<VaultKey>> {
        if let Some(key) = self.ring.as_ref().and_then(|r| r.get(id)) {
            return Ok(Some(key.clone()));
        }
        self.ring = KeyRing::load(&self.path)?;
        Ok(self.ring.as_ref().and_then(|r| r.get(id)).cloned())
    }

    /// The ring in the file now (created with one key when there is none).
    fn load_or_create(&mut self) -> Result<KeyRing> {
        let ring = match KeyRing::load(&self.path)? {
            Some(ring) => ring,
            None => KeyRing::create(&self.path)?,
        };
        self.ring = Some(ring.clone());
        Ok(ring)
    }

    pub(super) fn missing(&self, what: &str, id: &str) -> Error {
        Error::capability(
            what,
            format!(
                "the vault key {id} is not in the key file {}; restore the key file \
                 (or set MORPH_VAULT_KEY_FILE to it)",
                self.path.display()
            ),
        )
    }
}

/// The key that seals new values: the one `vault_meta` names, or, when it
/// names none (a new vault, or an empty one whose key was lost), the newest
/// key of the key file (created if need be), recorded as active. Runs in
/// the caller's write transaction, so every writer agrees on it.
pub(super) fn active_key(
    tx: &Transaction<'_>,
    keys: &mut KeyCache,
    what: &str,
) -> Result<VaultKey> {
    let active: Option<String> = tx
        .query_row(
            "SELECT value FROM vault_meta WHERE name = ?1",
            [ACTIVE_KEY],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| storage(what, &e))?;
    if let Some(id) = &active {
        if let Some(key) = keys.find(id)? {
            return Ok(key);
        }
        // Values sealed under a lost key stay until restored: starting a new
        // key would hide that they cannot be read.
        if row_count(tx, what)? > 0 {
            return Err(keys.missing(what, id));
        }
    }
    let ring = keys.load_or_create()?;
    let key = ring
        .newest()
        .ok_or_else(|| keys.missing(what, "(any)"))?
        .clone();
    set_active(tx, key.id(), what)?;
    Ok(key)
}

pub(super) fn set_active(tx: &Transaction<'_>, id: &str, what: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO vault_meta (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![ACTIVE_KEY, id],
    )
    .map(|_| ())
    .map_err(|e| storage(what, &e))
}

fn row_count(conn: &Connection, what: &str) -> Result<i64> {
    conn.query_row("SELECT count(*) FROM vault", [], |row| row.get(0))
        .map_err(|e| storage(what, &e))
}

pub(super) fn write_tx<'c>(conn: &'c mut Connection, what: &str) -> Result<Transaction<'c>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| storage(what, &e))
}

/// Opens one row's value; the error names the key, never the value.
pub(super) fn open_row(
    keys: &mut KeyCache,
    what: &str,
    place: &Place<'_>,
    key_id: &str,
    sealed: &[u8],
) -> Result<String> {
    let key = place.name;
    let Some(vault_key) = keys.find(key_id)? else {
        return Err(keys.missing(what, key_id));
    };
    let bytes = open(&vault_key, place, sealed).ok_or_else(|| {
        Error::capability(
            what,
            format!(
                "the value of `{}` does not open: it was altered, moved from another \
                 extension or key, rebound to other hosts, or sealed under another key",
                crate::truncate_for_message(key, 64)
            ),
        )
    })?;
    String::from_utf8(bytes).map_err(|_| {
        Error::capability(
            what,
            format!(
                "the value of `{}` is not UTF-8",
                crate::truncate_for_message(key, 64)
            ),
        )
    })
}

/// Checkpoints the WAL into the database and truncates it to nothing; fails
/// when another connection's reader keeps the frames alive.
pub(super) fn truncate_wal(conn: &Connection) -> std::io::Result<()> {
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
        .map_err(std::io::Error::other)?;
    if busy != 0 {
        return Err(std::io::Error::other(
            "another process holds the database open; the WAL could not be truncated",
        ));
    }
    Ok(())
}

#[async_trait::async_trait]
impl VaultProvider for SqliteStore {
    async fn get(&self, namespace: &str, key: &str) -> Result<Option<String>> {
        const WHAT: &str = "vault.get";
        let (namespace, key) = (namespace.to_owned(), key.to_owned());
        self.with_vault(move |conn, keys| {
            let row: Option<(Option<String>, String, Vec<u8>)> = conn
                .query_row(
                    "SELECT hosts, key_id, sealed FROM vault WHERE namespace = ?1 AND key = ?2",
                    params![namespace, key],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()
                .map_err(|e| storage(WHAT, &e))?;
            row.map(|(hosts, key_id, sealed)| {
                let place = Place {
                    namespace: &namespace,
                    name: &key,
                    hosts: hosts.as_deref(),
                };
                open_row(keys, WHAT, &place, &key_id, &sealed)
            })
            .transpose()
        })
        .await
    }

    /// Sets the value and keeps the key's host binding, if it has one: an
    /// extension may change its secret, never where it may go.
    async fn set_within(
        &self,
        namespace: &str,
        key: &str,
        value: &str,
        max_entries: u64,
    ) -> Result<()> {
        self.store_value(namespace, key, value, Binding::Keep, max_entries)
            .await
    }

    async fn values(&self, namespace: &str) -> Result<Vec<(String, String)>> {
        let opened = self.opened("vault.values", namespace, false).await?;
        Ok(opened
            .into_iter()
            .map(|(key, value, _)| (key, value))
            .collect())
    }

    async fn bound(&self, namespace: &str) -> Result<Vec<BoundSecret>> {
        const WHAT: &str = "vault.bound";
        self.opened(WHAT, namespace, true)
            .await?
            .into_iter()
            .map(|(key, value, hosts)| {
                let hosts = parse_hosts(WHAT, &key, hosts.as_deref().unwrap_or_default())?;
                Ok(BoundSecret { key, value, hosts })
            })
            .collect()
    }
}

/// What a write does to the key's host binding.
#[derive(Debug, Clone)]
enum Binding {
    /// Keep the stored binding (none for a new key).
    Keep,
    /// Replace it: `None` unbinds.
    Set(Option<Vec<HostPattern>>),
}

impl SqliteStore {
    /// Every `(key, value, hosts)` of `namespace` (only the bound ones when
    /// `bound_only`), opened, sorted by key.
    async fn opened(
        &self,
        what: &'static str,
        namespace: &str,
        bound_only: bool,
    ) -> Result<Vec<(String, String, Option<String>)>> {
        let namespace = namespace.to_owned();
        self.with_vault(move |conn, keys| {
            let rows: Vec<(String, Option<String>, String, Vec<u8>)> = {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT key, hosts, key_id, sealed FROM vault
                         WHERE namespace = ?1 AND (?2 = 0 OR hosts IS NOT NULL) ORDER BY key",
                    )
                    .map_err(|e| storage(what, &e))?;
                stmt.query_map(params![namespace, bound_only], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
                .map_err(|e| storage(what, &e))?
                .collect::<rusqlite::Result<_>>()
                .map_err(|e| storage(what, &e))?
            };
            rows.into_iter()
                .map(|(key, hosts, key_id, sealed)| {
                    let place = Place {
                        namespace: &namespace,
                        name: &key,
                        hosts: hosts.as_deref(),
                    };
                    let value = open_row(keys, what, &place, &key_id, &sealed)?;
                    Ok((key, value, hosts))
                })
                .collect()
        })
        .await
    }

    /// Sets `key` in `namespace` bound to `hosts` (`None`: not bound, any
    /// host the manifest allows may receive it), replacing any binding.
    ///
    /// # Errors
    /// `invalid_params` for an empty host list; `capability_failed` when the
    /// store fails.
    pub async fn vault_set_bound(
        &self,
        namespace: &str,
        key: &str,
        value: &str,
        hosts: Option<Vec<HostPattern>>,
    ) -> Result<()> {
        if hosts.as_ref().is_some_and(Vec::is_empty) {
            return Err(Error::params("hosts", "name at least one host"));
        }
        // The host's user sets it (`morph vault set`): no guest quota.
        self.store_value(namespace, key, value, Binding::Set(hosts), u64::MAX)
            .await
    }

    /// Seals and stores one value under the active key, with its binding;
    /// a new key only while the namespace keeps fewer than `max_entries`
    /// (counted in the same write transaction as the insert).
    async fn store_value(
        &self,
        namespace: &str,
        key: &str,
        value: &str,
        binding: Binding,
        max_entries: u64,
    ) -> Result<()> {
        const WHAT: &str = "vault.set";
        let (namespace, key, value) = (namespace.to_owned(), key.to_owned(), value.to_owned());
        self.with_vault(move |conn, keys| {
            let tx = write_tx(conn, WHAT)?;
            let (kept, exists): (i64, bool) = tx
                .query_row(
                    "SELECT COUNT(*), COUNT(*) FILTER (WHERE key = ?2)
                     FROM vault WHERE namespace = ?1",
                    params![namespace, key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .map_err(|e| storage(WHAT, &e))?;
            let kept = u64::try_from(kept).unwrap_or(0);
            if !exists && kept >= max_entries {
                return Err(Error::quota(
                    WHAT,
                    crate::error::QuotaKind::VaultEntries,
                    format!("max_vault_entries = {max_entries}; the extension keeps {kept} keys"),
                ));
            }
            let hosts: Option<String> = match binding {
                Binding::Set(hosts) => hosts.as_deref().map(stored_hosts),
                Binding::Keep => tx
                    .query_row(
                        "SELECT hosts FROM vault WHERE namespace = ?1 AND key = ?2",
                        params![namespace, key],
                        |row| row.get(0),
                    )
                    .optional()
                    .map_err(|e| storage(WHAT, &e))?
                    .flatten(),
            };
            let vault_key = active_key(&tx, keys, WHAT)?;
            let place = Place {
                namespace: &namespace,
                name: &key,
                hosts: hosts.as_deref(),
            };
            let sealed = seal(&vault_key, &place, value.as_bytes())?;
            drop(value);
            tx.execute(
                "INSERT INTO vault (namespace, key, key_id, sealed, updated_ms, hosts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (namespace, key) DO UPDATE SET key_id = excluded.key_id,
                 sealed = excluded.sealed, updated_ms = excluded.updated_ms,
                 hosts = excluded.hosts",
                params![namespace, key, vault_key.id(), sealed, now_ms(), hosts],
            )
            .map_err(|e| storage(WHAT, &e))?;
            tx.commit().map_err(|e| storage(WHAT, &e))
        })
        .await
    }

    /// The keys set in `namespace` and when, sorted by key; never a value.
    ///
    /// # Errors
    /// `capability_failed` when the store fails.
    pub async fn vault_list(&self, namespace: &str) -> Result<Vec<VaultEntry>> {
        const WHAT: &str = "vault.list";
        let namespace = namespace.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT key, updated_ms, hosts FROM vault WHERE namespace = ?1 ORDER BY key",
                )
                .map_err(|e| storage(WHAT, &e))?;
            stmt.query_map([namespace], |row| {
                let hosts: Option<String> = row.get(2)?;
                Ok(VaultEntry {
                    key: row.get(0)?,
                    updated_ms: row.get(1)?,
                    hosts: hosts.map(|h| h.split(',').map(str::to_owned).collect()),
                })
            })
            .map_err(|e| storage(WHAT, &e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| storage(WHAT, &e))
        })
        .await
    }

    /// Removes `key` from `namespace`; `false` when it was not set.
    ///
    /// # Errors
    /// `capability_failed` when the store fails.
    pub async fn vault_remove(&self, namespace: &str, key: &str) -> Result<bool> {
        const WHAT: &str = "vault.remove";
        let (namespace, key) = (namespace.to_owned(), key.to_owned());
        self.with_conn(move |conn| {
            conn.execute(
                "DELETE FROM vault WHERE namespace = ?1 AND key = ?2",
                params![namespace, key],
            )
            .map(|n| n > 0)
            .map_err(|e| storage(WHAT, &e))
        })
        .await
    }
}

/// Fixtures for the vault's unit tests (this file's, the rotation's and the
/// migration's).
#[cfg(test)]
pub(super) mod testing {
    use super::*;

    /// A store on a fresh temporary data dir.
    pub(crate) struct Fixture {
        pub(crate) dir: tempfile::TempDir,
        pub(crate) store: SqliteStore,
    }

    impl Fixture {
        pub(crate) fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteStore::open_with_key_file(
                &dir.path().join("morph.db"),
                &dir.path().join("vault.key"),
            )
            .unwrap();
            Fixture { dir, store }
        }

        pub(crate) fn reopen(&mut self) {
            self.store = SqliteStore::open_with_key_file(
                &self.dir.path().join("morph.db"),
                &self.dir.path().join("vault.key"),
            )
            .unwrap();
        }

        pub(crate) fn sql<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
            f(&self.store.conn.lock().unwrap())
        }

        pub(crate) fn key_file(&self) -> PathBuf {
            self.dir.path().join("vault.key")
        }
    }

    /// Every file under `dir`, read whole.
    pub(crate) fn all_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(all_bytes(&path));
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
        out
    }

    pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[tokio::test]
    async fn values_are_sealed_and_the_key_file_appears_with_the_first() {
        let f = Fixture::new();
        assert!(!f.key_file().exists(), "no key until a value needs one");
        f.store
            .set("ext-a", "token", "s3cr3t-value-1")
            .await
            .unwrap();
        assert!(f.key_file().exists());
        assert_eq!(
            f.store.get("ext-a", "token").await.unwrap().as_deref(),
            Some("s3cr3t-value-1")
        );
        let (key_id, sealed): (String, Vec<u8>) = f.sql(|c| {
            c.query_row("SELECT key_id, sealed FROM vault", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
        });
        assert_eq!(key_id.len(), 16);
        assert!(!contains(&sealed, b"s3cr3t"));
        assert_eq!(f.store.get("ext-b", "token").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_row_moved_to_another_extension_or_key_does_not_open() {
        let f = Fixture::new();
        f.store.set("ext-a", "token", "moved-secret").await.unwrap();
        f.store.set("ext-b", "token", "placeholder").await.unwrap();
        f.store.set("ext-a", "other", "placeholder").await.unwrap();
        // Copy ext-a's sealed token over ext-b's and over ext-a's `other`.
        f.sql(|c| {
            c.execute_batch(
                "UPDATE vault SET sealed = (SELECT sealed FROM vault
                   WHERE namespace = 'ext-a' AND key = 'token')
                 WHERE (namespace = 'ext-b' AND key = 'token')
                    OR (namespace = 'ext-a' AND key = 'other');",
            )
            .unwrap();
        });
        for (ns, key) in [("ext-b", "token"), ("ext-a", "other")] {
            let err = f.store.get(ns, key).await.unwrap_err();
            assert_eq!(err.code().as_str(), "capability_failed");
            assert!(err.to_string().contains("does not open"), "{err}");
            assert!(!err.to_string().contains("moved-secret"));
        }
        // Renaming the row itself does not help either.
        f.sql(|c| {
            c.execute("DELETE FROM vault WHERE namespace = 'ext-b'", [])
                .unwrap();
            c.execute(
                "UPDATE vault SET namespace = 'ext-b' WHERE namespace = 'ext-a' AND key = 'token'",
                [],
            )
            .unwrap();
        });
        assert!(f.store.get("ext-b", "token").await.is_err());
    }

    #[tokio::test]
    async fn a_lost_key_file_is_an_error_not_a_new_key() {
        let f = Fixture::new();
        f.store.set("ext-a", "token", "v").await.unwrap();
        std::fs::remove_file(f.key_file()).unwrap();
        let mut g = f;
        g.reopen();
        let err = g.store.get("ext-a", "token").await.unwrap_err();
        assert!(err.to_string().contains("is not in the key file"), "{err}");
        let err = g.store.set("ext-a", "other", "v").await.unwrap_err();
        assert_eq!(err.code().as_str(), "capability_failed");
        assert!(!g.key_file().exists(), "no new key hides the lost one");
        // Once the vault is empty, a new key is fine.
        assert!(g.store.vault_remove("ext-a", "token").await.unwrap());
        g.store.set("ext-a", "token", "fresh").await.unwrap();
        assert_eq!(
            g.store.get("ext-a", "token").await.unwrap().unwrap(),
            "fresh"
        );
    }

    #[tokio::test]
    async fn a_binding_is_kept_by_the_guests_writes_and_moved_rows_do_not_open() {
        let f = Fixture::new();
        let hosts = vec![
            HostPattern::parse("API.example.com").unwrap(),
            HostPattern::parse("*.example.org:8443").unwrap(),
        ];
        f.store
            .vault_set_bound("ext-a", "token", "first", Some(hosts.clone()))
            .await
            .unwrap();
        f.store.set("ext-a", "plain", "p").await.unwrap();
        // The guest's own `vault.set` changes the value, never the binding.
        f.store.set("ext-a", "token", "second").await.unwrap();
        let bound = f.store.bound("ext-a").await.unwrap();
        assert_eq!(bound.len(), 1);
        assert_eq!(bound[0].key, "token");
        assert_eq!(bound[0].value, "second");
        assert_eq!(bound[0].hosts, hosts);
        assert!(f.store.bound("ext-b").await.unwrap().is_empty());
        let list = f.store.vault_list("ext-a").await.unwrap();
        assert_eq!(list[0].hosts, None, "`plain` is not bound");
        assert_eq!(
            list[1].hosts.as_deref(),
            Some(
                &[
                    "api.example.com".to_owned(),
                    "*.example.org:8443".to_owned()
                ][..]
            )
        );
        assert!(
            !format!("{bound:?}").contains("second"),
            "Debug hides values"
        );
        // Unbinding or rebinding the row in the database does not open it.
        for rebind in [
            "UPDATE vault SET hosts = NULL",
            "UPDATE vault SET hosts = 'evil.example'",
        ] {
            f.sql(|c| {
                c.execute(&format!("{rebind} WHERE key = 'token'"), [])
                    .unwrap()
            });
            let err = f.store.get("ext-a", "token").await.unwrap_err();
            assert!(err.to_string().contains("does not open"), "{err}");
        }
        // `morph vault set` without --hosts unbinds.
        f.store
            .vault_set_bound("ext-a", "token", "third", None)
            .await
            .unwrap();
        assert!(f.store.bound("ext-a").await.unwrap().is_empty());
        let err = f
            .store
            .vault_set_bound("ext-a", "token", "x", Some(vec![]))
            .await
            .unwrap_err();
        assert_eq!(err.code().as_str(), "invalid_params");
    }

    #[tokio::test]
    async fn list_and_remove_never_show_values() {
        let f = Fixture::new();
        f.store.set("ext-a", "b", "vb").await.unwrap();
        f.store.set("ext-a", "a", "va").await.unwrap();
        f.store.set("ext-b", "c", "vc").await.unwrap();
        let list = f.store.vault_list("ext-a").await.unwrap();
        assert_eq!(
            list.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(list.iter().all(|e| e.updated_ms > 0));
        assert!(f.store.vault_remove("ext-a", "a").await.unwrap());
        assert!(!f.store.vault_remove("ext-a", "a").await.unwrap());
        assert!(
            !f.store.vault_remove("ext-a", "c").await.unwrap(),
            "ext-b's key"
        );
        assert_eq!(f.store.get("ext-b", "c").await.unwrap().unwrap(), "vc");
    }
}
