//! The sealed continuation of an in-band approval (MCP 2026-07-28
//! multi-round-trip requests): the server key in `<data dir>/mcp-state.key`
//! and the `requestState` it seals.
//!
//! A client echoes `requestState` back, so it is untrusted input. **It is
//! sealed (HMAC-SHA256 through rmcp's request-state codec) and bound to the
//! caller, the tool and the SHA-256 of the arguments**: a state opened by
//! another caller, for another tool or other arguments, altered, or past
//! its expiry opens to nothing. It carries only the approval id; single use
//! is the approval store's (an approval is taken once).

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use morph_capabilities::{Error, Result};
use rand::RngCore;
use rmcp::model::{RequestStateCodec, SealOptions};
use serde::{Deserialize, Serialize};

/// File name of the server key in the data dir (32 random bytes, `0600`,
/// created once and shared by every `morph serve` and `morph mcp` on the
/// data dir).
pub const STATE_KEY_FILE: &str = "mcp-state.key";

/// Length of the key written.
const KEY_LEN: usize = 32;

/// What a sealed state holds.
#[derive(Debug, Serialize, Deserialize)]
struct Sealed {
    /// The approval it continues.
    approval: String,
}

/// Seals and opens approval states with the data dir's key.
pub(crate) struct StateSeal {
    codec: RequestStateCodec,
}

impl std::fmt::Debug for StateSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateSeal { .. }")
    }
}

impl StateSeal {
    /// The seal of `data_dir`, its key created on first use.
    ///
    /// # Errors
    /// `io` when the key cannot be created or read, or is shorter than 32
    /// bytes.
    pub(crate) fn open_in(data_dir: &Path) -> Result<StateSeal> {
        let key = load_or_create_key(data_dir)?;
        let codec = RequestStateCodec::try_new(key).map_err(|e| {
            Error::io(
                format!("using {}", data_dir.join(STATE_KEY_FILE).display()),
                std::io::Error::other(e.to_string()),
            )
        })?;
        Ok(StateSeal { codec })
    }

    /// Seals approval `approval_id` for this call, valid for `ttl`.
    pub(crate) fn seal(
        &self,
        approval_id: &str,
        caller: &str,
        tool: &str,
        arguments_digest: &str,
        ttl: Duration,
    ) -> String {
        let payload = Sealed {
            approval: approval_id.to_owned(),
        };
        let bound = binding(caller, tool, arguments_digest);
        let options = SealOptions::new().associated_data(&bound).ttl(ttl);
        // Serialising a struct of one string cannot fail; should it ever,
        // the state opens to nothing and the call runs nothing.
        self.codec
            .seal_json_with(&payload, &options)
            .unwrap_or_default()
    }

    /// The approval id `state` carries when it was sealed here for exactly
    /// this call and has not expired; `None` for anything else (one answer
    /// for every failure, so a client learns nothing from it).
    pub(crate) fn open(
        &self,
        state: &str,
        caller: &str,
        tool: &str,
        arguments_digest: &str,
    ) -> Option<String> {
        if state.len() > MAX_STATE_LEN {
            return None;
        }
        let bound = binding(caller, tool, arguments_digest);
        self.codec
            .open_json_with::<Sealed>(state, &bound)
            .ok()
            .map(|s| s.approval)
    }
}

/// Longer states were not sealed here (an id and a tag are far shorter).
const MAX_STATE_LEN: usize = 4096;

/// The associated data: what the state is bound to, each part ended by a
/// NUL (none of them holds one: callers and tool names are sanitised, the
/// digest is hex).
fn binding(caller: &str, tool: &str, arguments_digest: &str) -> Vec<u8> {
    let mut bound = b"morph/mcp/approval/v1\0".to_vec();
    for part in [caller, tool, arguments_digest] {
        bound.extend_from_slice(part.as_bytes());
        bound.push(0);
    }
    bound
}

/// Reads the key, creating it first when there is none. Two processes
/// starting at once agree on one key: each writes a private temporary file
/// and links it into place, which fails for all but the first.
fn load_or_create_key(data_dir: &Path) -> Result<Vec<u8>> {
    let path = data_dir.join(STATE_KEY_FILE);
    let io = |what: &str, e: std::io::Error| Error::io(format!("{what} {}", path.display()), e);
    if !path.exists() {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| Error::io(format!("creating {}", data_dir.display()), e))?;
        let mut key = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let temp = data_dir.join(format!(
            ".{STATE_KEY_FILE}.{}.tmp",
            uuid::Uuid::new_v4().simple()
        ));
        let written = write_private(&temp, &key);
        let linked = written.and_then(|()| std::fs::hard_link(&temp, &path));
        let _ = std::fs::remove_file(&temp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io("creating", e)),
        }
    }
    let key = std::fs::read(&path).map_err(|e| io("reading", e))?;
    if key.len() < RequestStateCodec::MIN_KEY_LENGTH {
        return Err(io(
            "using",
            std::io::Error::other(format!(
                "the key holds {} bytes; at least {} are needed (remove the file to \
                 make a new key)",
                key.len(),
                RequestStateCodec::MIN_KEY_LENGTH
            )),
        ));
    }
    Ok(key)
}

/// Writes `bytes` to a new file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_opens_only_for_the_call_it_was_sealed_for() {
        let dir = tempfile::tempdir().unwrap();
        let seal = StateSeal::open_in(dir.path()).unwrap();
        let state = seal.seal("a1", "mcp:x", "ext.act", "d1", Duration::from_secs(60));
        assert_eq!(
            seal.open(&state, "mcp:x", "ext.act", "d1").as_deref(),
            Some("a1")
        );
        assert_eq!(seal.open(&state, "mcp:y", "ext.act", "d1"), None);
        assert_eq!(seal.open(&state, "mcp:x", "ext.other", "d1"), None);
        assert_eq!(seal.open(&state, "mcp:x", "ext.act", "d2"), None);
        let mut tampered = state.clone();
        tampered.insert(8, 'A');
        assert_eq!(seal.open(&tampered, "mcp:x", "ext.act", "d1"), None);
        let expired = seal.seal("a1", "mcp:x", "ext.act", "d1", Duration::ZERO);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(seal.open(&expired, "mcp:x", "ext.act", "d1"), None);
    }

    #[test]
    fn the_key_is_created_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateSeal::open_in(dir.path()).unwrap();
        let state = first.seal("a1", "c", "t", "d", Duration::from_secs(60));
        let again = StateSeal::open_in(dir.path()).unwrap();
        assert_eq!(again.open(&state, "c", "t", "d").as_deref(), Some("a1"));
        let key = dir.path().join(STATE_KEY_FILE);
        assert_eq!(std::fs::read(&key).unwrap().len(), KEY_LEN);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = tempfile::tempdir().unwrap();
        let stranger = StateSeal::open_in(other.path()).unwrap();
        assert_eq!(stranger.open(&state, "c", "t", "d"), None);
    }
}
