//! Bearer tokens for `morph serve`: created by `morph token create NAME
//! --scope invoke|admin`, shown once, **kept only as their SHA-256**.
//!
//! The store is `<data dir>/tokens.db` (SQLite, shared by every process on
//! the data dir). A token's name is the caller its calls are recorded under
//! (`token:<name>`).
//!
//! **Checking a token does not query SQLite on every request.** A
//! [`TokenStore`] keeps the hashes it last read in memory and asks SQLite
//! whether the file changed (`PRAGMA data_version`, which sees commits by
//! any other connection) at most every [`RECHECK_INTERVAL`], and at once
//! when a token is not among the hashes it holds. So a token revoked by
//! another process (`morph token revoke`) is refused within
//! [`RECHECK_INTERVAL`], and one created there is accepted at once; what
//! this handle writes itself is seen at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use morph_capabilities::{Error, Result};
use morph_runtime_core::code::CodePolicyOverride;
use rand::RngCore;
use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use crate::service::{read, write};

/// File name of the token store in the data dir.
pub const TOKENS_FILE: &str = "tokens.db";
/// What every token starts with (so a scanner can find a leaked one).
pub const TOKEN_PREFIX: &str = "morph_";
/// How long a token check trusts the hashes it last read before it asks
/// SQLite whether another process changed `tokens.db`: the longest a token
/// revoked elsewhere keeps working.
pub const RECHECK_INTERVAL: Duration = Duration::from_millis(100);
/// The longest string [`TokenStore::check`] hashes; longer is no token.
const MAX_TOKEN_LEN: usize = 256;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// List extensions and tools, run actions (MCP included).
    Invoke,
    /// Everything: install, remove, vault, audit, approvals.
    Admin,
}

impl Scope {
    /// The spelling in the store and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Invoke => "invoke",
            Scope::Admin => "admin",
        }
    }

    /// Parses `invoke` or `admin`.
    ///
    /// # Errors
    /// `invalid_params` for anything else.
    pub fn parse(text: &str) -> Result<Scope> {
        match text {
            "invoke" => Ok(Scope::Invoke),
            "admin" => Ok(Scope::Admin),
            other => Err(Error::params(
                "scope",
                format!("`{other}` is not `invoke` or `admin`"),
            )),
        }
    }

    /// Whether a token of this scope may do what `needed` allows.
    pub fn allows(self, needed: Scope) -> bool {
        self >= needed
    }
}

/// A token as the store describes it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenInfo {
    /// Its name: the caller recorded for its calls.
    pub name: String,
    /// What it may do.
    pub scope: Scope,
    /// When it was created, Unix milliseconds.
    pub created_ms: u64,
    /// Its own code mode limits, replacing the server's where set.
    #[serde(skip_serializing_if = "CodePolicyOverride::is_empty")]
    pub code_policy: CodePolicyOverride,
}

impl TokenInfo {
    /// The caller its calls are recorded under.
    pub fn caller(&self) -> String {
        format!("token:{}", self.name)
    }
}

/// The token store of one data dir.
#[derive(Debug)]
pub struct TokenStore {
    path: PathBuf,
    /// Locked before `cache` when both are.
    conn: Mutex<Connection>,
    cache: RwLock<Cache>,
}

/// The tokens as this handle last read them.
#[derive(Debug, Default)]
struct Cache {
    /// SHA-256 of each token -> what the store says of it.
    by_hash: HashMap<[u8; 32], TokenInfo>,
    /// `PRAGMA data_version` when `by_hash` was read; `None` before the
    /// first read and after this handle wrote (its own commits do not
    /// change the value it sees).
    version: Option<i64>,
    /// When `version` was last found current.
    confirmed: Option<Instant>,
}

impl Cache {
    /// Whether the hashes may be trusted without asking SQLite.
    fn is_fresh(&self) -> bool {
        self.version.is_some()
            && self
                .confirmed
                .is_some_and(|at| at.elapsed() < RECHECK_INTERVAL)
    }
}

impl TokenStore {
    /// Opens (creating) the store in `data_dir`.
    ///
    /// # Errors
    /// `io` when the database cannot be opened or created.
    pub fn open_in(data_dir: &Path) -> Result<TokenStore> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| Error::io(format!("creating {}", data_dir.display()), e))?;
        let path = data_dir.join(TOKENS_FILE);
        let conn = Connection::open(&path).map_err(|e| db_error(&path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| db_error(&path, e))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS tokens (
                 name TEXT PRIMARY KEY,
                 scope TEXT NOT NULL,
                 hash TEXT NOT NULL UNIQUE,
                 created_ms INTEGER NOT NULL
             );",
        )
        .map_err(|e| db_error(&path, e))?;
        add_code_policy_column(&conn).map_err(|e| db_error(&path, e))?;
        restrict(&path);
        Ok(TokenStore {
            path,
            conn: Mutex::new(conn),
            cache: RwLock::new(Cache::default()),
        })
    }

    /// Creates token `name` with `scope` and returns it: the only time it is
    /// ever shown.
    ///
    /// # Errors
    /// `invalid_params` for a bad name or one already taken; `io`.
    pub fn create(&self, name: &str, scope: Scope) -> Result<String> {
        self.create_with(name, scope, CodePolicyOverride::default())
    }

    /// [`create`](Self::create), with the token's own code mode limits.
    ///
    /// # Errors
    /// `invalid_params` for a bad name, one already taken or a limit out of
    /// range; `io`.
    pub fn create_with(
        &self,
        name: &str,
        scope: Scope,
        code_policy: CodePolicyOverride,
    ) -> Result<String> {
        check_name(name)?;
        code_policy.validate()?;
        let code_policy = (!code_policy.is_empty())
            .then(|| serde_json::to_string(&code_policy))
            .transpose()
            .map_err(|e| Error::internal(format!("encoding a code policy: {e}")))?;
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
        let conn = self.lock();
        let inserted = conn.execute(
            "INSERT INTO tokens (name, scope, hash, created_ms, code_policy)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(name) DO NOTHING",
            params![
                name,
                scope.as_str(),
                hex::encode(digest(&token)),
                now_ms() as i64,
                code_policy
            ],
        );
        self.invalidate();
        match inserted.map_err(|e| db_error(&self.path, e))? {
            0 => Err(Error::params(
                "name",
                format!("a token named `{name}` exists; revoke it first"),
            )),
            _ => Ok(token),
        }
    }

    /// The token `token` names, if it is one of the store's: looked up by
    /// its SHA-256 among the hashes held in memory, which are re-read when
    /// `tokens.db` changed (checked at most every [`RECHECK_INTERVAL`], and
    /// before answering that a token is unknown).
    ///
    /// # Errors
    /// `io` when the store cannot be read.
    pub fn check(&self, token: &str) -> Result<Option<TokenInfo>> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > MAX_TOKEN_LEN {
            return Ok(None);
        }
        let digest = digest(token);
        {
            let cache = read(&self.cache);
            if cache.is_fresh()
                && let Some(info) = cache.by_hash.get(&digest)
            {
                return Ok(Some(info.clone()));
            }
        }
        // Stale, or not among the hashes held: a token created elsewhere
        // since they were read must not be refused.
        self.recheck()?;
        Ok(read(&self.cache).by_hash.get(&digest).cloned())
    }

    /// Asks SQLite whether `tokens.db` changed since the hashes were read,
    /// and reads them again if it did.
    fn recheck(&self) -> Result<()> {
        let conn = self.lock();
        let version: i64 = conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
            .map_err(|e| db_error(&self.path, e))?;
        if read(&self.cache).version == Some(version) {
            write(&self.cache).confirmed = Some(Instant::now());
            return Ok(());
        }
        // Read after the version: the rows are at least that recent (a
        // commit in between only makes the next recheck read them again).
        let by_hash = {
            let mut stmt = conn
                .prepare_cached("SELECT name, scope, created_ms, code_policy, hash FROM tokens")
                .map_err(|e| db_error(&self.path, e))?;
            let rows = stmt
                .query_map([], |row| Ok((row_info(row)?, row.get::<_, String>(4)?)))
                .map_err(|e| db_error(&self.path, e))?;
            let mut by_hash = HashMap::new();
            for row in rows {
                let (info, hash) = row.map_err(|e| db_error(&self.path, e))?;
                // Only this module writes the column: 64 hex digits. A row
                // that is not can match no token.
                let mut key = [0u8; 32];
                if hex::decode_to_slice(&hash, &mut key).is_ok() {
                    by_hash.insert(key, info);
                }
            }
            by_hash
        };
        let mut cache = write(&self.cache);
        cache.by_hash = by_hash;
        cache.version = Some(version);
        cache.confirmed = Some(Instant::now());
        Ok(())
    }

    /// Makes the next check read the hashes again (this handle wrote).
    fn invalidate(&self) {
        write(&self.cache).version = None;
    }

    /// Every token, by name.
    ///
    /// # Errors
    /// `io`.
    pub fn list(&self) -> Result<Vec<TokenInfo>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT name, scope, created_ms, code_policy FROM tokens ORDER BY name")
            .map_err(|e| db_error(&self.path, e))?;
        let rows = stmt
            .query_map([], row_info)
            .map_err(|e| db_error(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_error(&self.path, e))
    }

    /// Revokes token `name`; whether it existed.
    ///
    /// # Errors
    /// `io`.
    pub fn revoke(&self, name: &str) -> Result<bool> {
        let conn = self.lock();
        let deleted = conn.execute("DELETE FROM tokens WHERE name = ?1", params![name]);
        self.invalidate();
        deleted.map(|n| n > 0).map_err(|e| db_error(&self.path, e))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn row_info(row: &rusqlite::Row<'_>) -> rusqlite::Result<TokenInfo> {
    let scope: String = row.get(1)?;
    let code_policy: Option<String> = row.get(3)?;
    Ok(TokenInfo {
        name: row.get(0)?,
        // Only this module writes the column.
        scope: Scope::parse(&scope).unwrap_or(Scope::Invoke),
        created_ms: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
        code_policy: match code_policy {
            None => CodePolicyOverride::default(),
            // Only this module writes it, validated: a value it cannot read
            // gives the tightest policy there is rather than the server's.
            Some(text) => serde_json::from_str(&text).unwrap_or(CodePolicyOverride {
                max_tool_calls: Some(1),
                ..CodePolicyOverride::default()
            }),
        },
    })
}

/// Adds the `code_policy` column (JSON of a [`CodePolicyOverride`], `NULL`
/// for none) to a `tokens.db` made before it existed.
fn add_code_policy_column(conn: &Connection) -> rusqlite::Result<()> {
    let has = conn
        .prepare("SELECT 1 FROM pragma_table_info('tokens') WHERE name = 'code_policy'")?
        .exists([])?;
    if has {
        return Ok(());
    }
    match conn.execute_batch("ALTER TABLE tokens ADD COLUMN code_policy TEXT") {
        // Another process on the data dir added it first.
        Err(e) if e.to_string().contains("duplicate column") => Ok(()),
        done => done,
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::params(
            "name",
            "a token name is 1 to 64 of a-z, A-Z, 0-9, `-`, `_`, `.`",
        ))
    }
}

/// The SHA-256 of `token`: what the store keeps (hex-encoded).
fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The store holds only hashes; still, nobody else needs to read it.
pub(crate) fn restrict(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
}

pub(crate) fn db_error(path: &Path, e: rusqlite::Error) -> Error {
    Error::io(
        format!("using {}", path.display()),
        std::io::Error::other(e.to_string()),
    )
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_shown_once_and_stored_as_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::open_in(dir.path()).unwrap();
        let token = store.create("ci", Scope::Invoke).unwrap();
        assert!(token.starts_with(TOKEN_PREFIX));
        let info = store.check(&token).unwrap().unwrap();
        assert_eq!((info.name.as_str(), info.scope), ("ci", Scope::Invoke));
        assert!(store.check(&format!("{token}x")).unwrap().is_none());
        let bytes = std::fs::read(dir.path().join(TOKENS_FILE)).unwrap();
        assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
        assert!(store.create("ci", Scope::Admin).is_err());
        assert!(store.revoke("ci").unwrap());
        assert!(store.check(&token).unwrap().is_none());
    }

    /// Two handles on one file, as `morph serve` and `morph token` in two
    /// processes: each has its own SQLite connection.
    #[test]
    fn a_token_revoked_by_another_process_is_refused_promptly() {
        let dir = tempfile::tempdir().unwrap();
        let server = TokenStore::open_in(dir.path()).unwrap();
        let cli = TokenStore::open_in(dir.path()).unwrap();
        // Read by the server before the token exists...
        assert!(server.check("morph_nothing").unwrap().is_none());
        // ...a token created elsewhere is accepted at once, then from memory.
        let token = cli.create("ci", Scope::Invoke).unwrap();
        let info = server.check(&token).unwrap().unwrap();
        assert_eq!((info.name.as_str(), info.scope), ("ci", Scope::Invoke));
        assert_eq!(server.check(&token).unwrap(), Some(info));

        assert!(cli.revoke("ci").unwrap());
        let revoked = Instant::now();
        while server.check(&token).unwrap().is_some() {
            assert!(
                revoked.elapsed() < Duration::from_secs(1),
                "a revoked token still works after 1 s"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        // Deterministically: no check trusts what it read for longer.
        assert!(RECHECK_INTERVAL < Duration::from_secs(1));
        let again = cli.create("ci", Scope::Admin).unwrap();
        assert_eq!(server.check(&again).unwrap().unwrap().scope, Scope::Admin);
        assert!(cli.revoke("ci").unwrap());
        std::thread::sleep(RECHECK_INTERVAL);
        assert!(server.check(&again).unwrap().is_none());
        assert!(server.check(&token).unwrap().is_none());
        assert!(server.list().unwrap().is_empty());
    }

    #[test]
    fn what_a_handle_writes_itself_is_seen_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::open_in(dir.path()).unwrap();
        let token = store.create("a", Scope::Admin).unwrap();
        assert!(store.check(&token).unwrap().is_some());
        assert!(store.revoke("a").unwrap());
        // Within the recheck interval: this handle's own commit does not
        // change the data version it sees, so it must not rely on it.
        assert!(store.check(&token).unwrap().is_none());
        assert!(!store.revoke("a").unwrap());
        // Not a token at all: refused without a look.
        assert!(store.check("Bearer x").unwrap().is_none());
        let long = format!("{TOKEN_PREFIX}{}", "a".repeat(MAX_TOKEN_LEN));
        assert!(store.check(&long).unwrap().is_none());
    }

    #[test]
    fn admin_allows_invoke_and_not_the_other_way() {
        assert!(Scope::Admin.allows(Scope::Invoke));
        assert!(!Scope::Invoke.allows(Scope::Admin));
    }
}
