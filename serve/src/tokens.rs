//! Bearer tokens for `morph serve`: created by `morph token create NAME
//! --scope invoke|admin`, shown once, **kept only as their SHA-256**.
//!
//! The store is `<data dir>/tokens.db` (SQLite, shared by every process on
//! the data dir). A token's name is the caller its calls are recorded under
//! (`token:<name>`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use morph_capabilities::{Error, Result};
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

/// File name of the token store in the data dir.
pub const TOKENS_FILE: &str = "tokens.db";
/// What every token starts with (so a scanner can find a leaked one).
pub const TOKEN_PREFIX: &str = "morph_";

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
    conn: Mutex<Connection>,
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
        restrict(&path);
        Ok(TokenStore {
            path,
            conn: Mutex::new(conn),
        })
    }

    /// Creates token `name` with `scope` and returns it: the only time it is
    /// ever shown.
    ///
    /// # Errors
    /// `invalid_params` for a bad name or one already taken; `io`.
    pub fn create(&self, name: &str, scope: Scope) -> Result<String> {
        check_name(name)?;
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
        let conn = self.lock();
        let inserted = conn.execute(
            "INSERT INTO tokens (name, scope, hash, created_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(name) DO NOTHING",
            params![name, scope.as_str(), hash(&token), now_ms() as i64],
        );
        match inserted.map_err(|e| db_error(&self.path, e))? {
            0 => Err(Error::params(
                "name",
                format!("a token named `{name}` exists; revoke it first"),
            )),
            _ => Ok(token),
        }
    }

    /// The token `token` names, if it is one of the store's.
    ///
    /// # Errors
    /// `io` when the store cannot be read.
    pub fn check(&self, token: &str) -> Result<Option<TokenInfo>> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 256 {
            return Ok(None);
        }
        self.lock()
            .query_row(
                "SELECT name, scope, created_ms FROM tokens WHERE hash = ?1",
                params![hash(token)],
                row_info,
            )
            .optional()
            .map_err(|e| db_error(&self.path, e))
    }

    /// Every token, by name.
    ///
    /// # Errors
    /// `io`.
    pub fn list(&self) -> Result<Vec<TokenInfo>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT name, scope, created_ms FROM tokens ORDER BY name")
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
        self.lock()
            .execute("DELETE FROM tokens WHERE name = ?1", params![name])
            .map(|n| n > 0)
            .map_err(|e| db_error(&self.path, e))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn row_info(row: &rusqlite::Row<'_>) -> rusqlite::Result<TokenInfo> {
    let scope: String = row.get(1)?;
    Ok(TokenInfo {
        name: row.get(0)?,
        // Only this module writes the column.
        scope: Scope::parse(&scope).unwrap_or(Scope::Invoke),
        created_ms: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
    })
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

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
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

    #[test]
    fn admin_allows_invoke_and_not_the_other_way() {
        assert!(Scope::Admin.allows(Scope::Invoke));
        assert!(!Scope::Invoke.allows(Scope::Admin));
    }
}
