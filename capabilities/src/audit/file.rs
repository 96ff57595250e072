//! The durable audit log: hash-chained JSON lines with signed checkpoints.
//!
//! [`FileAuditLog`] writes one [`AuditRecord`] per line, each chained to the
//! SHA-256 of the one before, and after each record (or every N) a signed
//! checkpoint to a separate file (see [`super::checkpoint`]). Invariants:
//!
//! - **A durable append ([`AuditSink::append`], the broker's intents) returns
//!   only once its record, and every record before it, is on disk**
//!   (`sync_data`), then checkpoints. A batched append
//!   ([`AuditSink::append_batched`]: records of calls without an effect, and
//!   outcomes) writes the line without syncing; it reaches the disk with the
//!   next durable append, [`AuditSink::flush`], or when the log is dropped.
//!   Either way, if a record cannot be written the append fails, the
//!   in-memory chain does not move, and the broker fails the call.
//! - **Appends are serialised** by one mutex in a process and, across
//!   processes sharing a data dir (CLI runs beside a server), by an exclusive
//!   advisory lock on the log file held for each append: under it the writer
//!   first catches up with the records the others appended, so the chain
//!   never forks.
//! - **A crash mid-append leaves a log that verifies up to the last committed
//!   record**: the torn line is cut off on the next open and the chain
//!   continues from the last complete record.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ed25519_dalek::VerifyingKey;

use super::checkpoint::CheckpointWriter;
use super::key::open_signing_key;
use super::line_file::{LineFile, Locked};
use super::record::{AuditEntry, AuditRecord, AuditSink, GENESIS_HASH};
use super::witness::witness_path_from_env;
use crate::call::lock;
use crate::error::{Error, Result};

/// The log's file name inside the directory given to [`FileAuditLog::open_in`].
pub const LOG_FILE: &str = "audit.log";
/// The checkpoint file's name inside that directory.
pub const CHECKPOINTS_FILE: &str = "audit.checkpoints";
/// The signing key's file name inside that directory.
pub const KEY_FILE: &str = "audit.key";

/// An [`AuditSink`] writing a hash-chained JSON-lines file. See the module docs.
#[derive(Debug)]
pub struct FileAuditLog {
    path: PathBuf,
    verifying_key: VerifyingKey,
    torn_bytes_cut: u64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    log: LineFile,
    checkpoints: CheckpointWriter,
    /// Sequence number of the last committed record (0 if none).
    seq: u64,
    /// Hash of the last committed record ([`GENESIS_HASH`] if none).
    hash: String,
    /// Records were written by a batched append since the last sync.
    unsynced: bool,
}

impl FileAuditLog {
    /// Opens (creating if absent) the log at `log_path`, checkpointing
    /// through `checkpoints`. The last complete record gives the chain's head;
    /// a torn last line is cut off first.
    ///
    /// Opening reads only the last record; run [`verify`](super::verify) to
    /// check the whole file.
    ///
    /// # Errors
    /// `io` if the file cannot be opened, locked,
    /// read or repaired, or if its last line is not a record.
    pub fn open(log_path: &Path, checkpoints: CheckpointWriter) -> Result<FileAuditLog> {
        let opened = LineFile::open(log_path)?;
        let (seq, hash) = head_of(opened.last_line.as_deref(), log_path)?;
        Ok(FileAuditLog {
            path: log_path.to_owned(),
            verifying_key: checkpoints.verifying_key(),
            torn_bytes_cut: opened.cut_bytes,
            state: Mutex::new(State {
                log: opened.file,
                checkpoints,
                seq,
                hash,
                unsynced: false,
            }),
        })
    }

    /// Opens the log kept in `dir` (created if absent): [`LOG_FILE`],
    /// checkpoints in [`CHECKPOINTS_FILE`] after every record, signed with the
    /// key kept outside `dir` at [`signing_key_path`](super::signing_key_path)
    /// (`$MORPH_AUDIT_KEY_FILE`, else one key per log under the user's config
    /// dir; created, mode `0600`, on first use; an older `dir/`[`KEY_FILE`]
    /// moved there, the same key), and, when `$MORPH_AUDIT_WITNESS` names a
    /// file, every checkpoint also appended to that witness (see
    /// [`verify_witness`](super::verify_witness)).
    ///
    /// # Errors
    /// `io` as for [`FileAuditLog::open`], if the directory, the key or the
    /// witness cannot be created or read, if the log has checkpoints but its
    /// key is missing, or if they are signed by another key (see
    /// [`open_signing_key`](super::open_signing_key)).
    pub fn open_in(dir: &Path) -> Result<FileAuditLog> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let key = open_signing_key(dir)?;
        let mut checkpoints = CheckpointWriter::open(&dir.join(CHECKPOINTS_FILE), key)?;
        if let Some(witness) = witness_path_from_env() {
            checkpoints = checkpoints.with_witness(&witness)?;
        }
        FileAuditLog::open(&dir.join(LOG_FILE), checkpoints)
    }

    /// The log file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The public key checkpoints are signed with.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.verifying_key
    }

    /// How many bytes of a torn last line (an interrupted append) were cut
    /// off the log when it was opened; 0 if it ended cleanly.
    pub fn torn_bytes_cut(&self) -> u64 {
        self.torn_bytes_cut
    }

    /// The chain's head: the last committed sequence number (0 for an empty
    /// log) and its hash ([`GENESIS_HASH`] for an empty log).
    pub fn head(&self) -> (u64, String) {
        let state = lock(&self.state);
        (state.seq, state.hash.clone())
    }

    /// Syncs what batched appends wrote, then writes a checkpoint for the
    /// current head (for instance at shutdown when checkpointing every N
    /// records). Does nothing more for an empty log or when the head is
    /// already checkpointed.
    ///
    /// # Errors
    /// `io` if the checkpoint cannot be written.
    pub fn checkpoint(&self) -> Result<()> {
        let mut state = lock(&self.state);
        let State {
            log,
            checkpoints,
            seq,
            hash,
            unsynced,
        } = &mut *state;
        let mut log = log.lock()?;
        if *unsynced {
            log.sync()?;
            *unsynced = false;
        }
        catch_up(&mut log, seq, hash, &self.path)?;
        if *seq == 0 {
            return Ok(());
        }
        checkpoints.write(*seq, hash)
    }

    /// Chains `entry`, writes it (synced when `durable`), and checkpoints a
    /// synced head.
    fn write(&self, entry: AuditEntry, durable: bool) -> Result<AuditRecord> {
        let mut state = lock(&self.state);
        let State {
            log,
            checkpoints,
            seq: head_seq,
            hash: head_hash,
            unsynced,
        } = &mut *state;
        // Held until the checkpoint is written: one writer at a time.
        let mut log = log.lock()?;
        catch_up(&mut log, head_seq, head_hash, &self.path)?;
        let seq = head_seq
            .checked_add(1)
            .ok_or_else(|| Error::internal("audit sequence number overflow"))?;
        let record = AuditRecord::chain(seq, entry, head_hash);
        let line = serde_json::to_vec(&record)
            .map_err(|e| Error::internal(format!("serialising an audit record: {e}")))?;
        if durable {
            // One sync covers the batched lines before it too.
            log.append(&line)?;
            *unsynced = false;
        } else {
            log.append_unsynced(&line)?;
            *unsynced = true;
        }
        *head_seq = seq;
        head_hash.clone_from(&record.hash);
        if durable {
            checkpoints.after_record(seq, &record.hash)?;
        }
        Ok(record)
    }
}

impl Drop for FileAuditLog {
    /// Syncs and checkpoints what batched appends left unsynced; an error
    /// here can only be logged (the records are written, not yet durable).
    fn drop(&mut self) {
        if lock(&self.state).unsynced
            && let Err(e) = self.checkpoint()
        {
            tracing::warn!(error = %e, "syncing the audit log at close");
        }
    }
}

impl AuditSink for FileAuditLog {
    /// Chains `entry` after the head, writes and syncs it (and every batched
    /// record before it), then checkpoints.
    ///
    /// # Errors
    /// `io` if the record cannot be written (the head does not move), or if
    /// the record was written but its checkpoint could not be (the head
    /// moves: the record is in the log).
    fn append(&self, entry: AuditEntry) -> Result<AuditRecord> {
        self.write(entry, true)
    }

    /// Chains and writes `entry` without syncing (see the module docs).
    fn append_batched(&self, entry: AuditEntry) -> Result<AuditRecord> {
        self.write(entry, false)
    }

    /// Syncs batched records and checkpoints the head.
    fn flush(&self) -> Result<()> {
        self.checkpoint()
    }

    fn free_bytes(&self) -> Option<u64> {
        free_bytes(&self.path)
    }
}

/// Free bytes for an unprivileged writer on the volume holding `path`.
#[cfg(unix)]
#[allow(clippy::useless_conversion)] // the fields are narrower on some targets
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a NUL-terminated path and `stat` a buffer of the
    // right type, filled by the call when it returns 0.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `stat`.
    let stat = unsafe { stat.assume_init() };
    Some(u64::from(stat.f_bavail).saturating_mul(u64::from(stat.f_frsize)))
}

#[cfg(not(unix))]
fn free_bytes(_path: &Path) -> Option<u64> {
    None
}

/// Moves the head to the log's last record when other writers appended
/// since this one last did (under the log's lock).
fn catch_up(log: &mut Locked<'_>, seq: &mut u64, hash: &mut String, path: &Path) -> Result<()> {
    let caught_up = log.catch_up()?;
    if !caught_up.moved {
        return Ok(());
    }
    (*seq, *hash) = head_of(caught_up.last_line.as_deref(), path)?;
    Ok(())
}

/// The chain's head given the log's last complete line.
fn head_of(last_line: Option<&[u8]>, path: &Path) -> Result<(u64, String)> {
    match last_line {
        None => Ok((0, GENESIS_HASH.to_owned())),
        Some(line) => {
            let record: AuditRecord = serde_json::from_slice(line).map_err(|e| {
                Error::io(
                    format!("reading the last record of {}", path.display()),
                    std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                )
            })?;
            Ok((record.seq, record.hash))
        }
    }
}
