//! Signed checkpoints of the audit chain, kept in a file apart from the log.
//!
//! A [`Checkpoint`] states "record `seq` of the log had hash `hash`", signed
//! with the audit key over a fixed, domain-separated byte string
//! ([`checkpoint_message`]). The chain alone catches an edit, a removal, a
//! reorder or a replay; checkpoints catch what the chain cannot: **a log
//! shorter than its last checkpoint (a truncated tail) and a chain recomputed
//! from some record on (a checkpointed hash no longer matches)**, as long as
//! the attacker does not hold the key.
//!
//! [`CheckpointWriter`] appends one JSON line per checkpoint, durably, every
//! `interval` records (default: every record). A record past the last
//! checkpoint is covered by the chain only: with an interval of N, a tail of
//! fewer than N records can be cut without trace, so keep N at 1 unless the
//! write cost matters.
//!
//! With a witness ([`CheckpointWriter::with_witness`], see [`super::witness`])
//! every checkpoint line is also appended, after the checkpoint file, to a
//! file outside the data dir; a checkpoint that cannot be witnessed fails the
//! append like one that cannot be written. **A checkpoint file is signed by
//! one key**: opening it with another key than its last checkpoint names
//! fails, rather than start a history no single key verifies.

use std::fmt;
use std::num::NonZeroU64;
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::key::key_id;
use super::line_file::LineFile;
use super::witness::WitnessWriter;
use crate::error::{Error, Result};

/// The domain-separation prefix of every signed checkpoint message.
pub const CHECKPOINT_DOMAIN: &str = "morph-audit-checkpoint-v1";

/// The exact bytes a checkpoint signature covers:
/// `morph-audit-checkpoint-v1\n{seq}\n{hash}\n{ts_ms}`.
pub fn checkpoint_message(seq: u64, hash: &str, ts_ms: u64) -> Vec<u8> {
    format!("{CHECKPOINT_DOMAIN}\n{seq}\n{hash}\n{ts_ms}").into_bytes()
}

/// One line of the checkpoint file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The sequence number of the checkpointed record.
    pub seq: u64,
    /// That record's hash (hex SHA-256).
    pub hash: String,
    /// When the checkpoint was signed, Unix milliseconds.
    pub ts_ms: u64,
    /// [`key_id`](super::key_id) of the signing key.
    pub key_id: String,
    /// Ed25519 signature over [`checkpoint_message`], hex.
    pub signature: String,
}

impl Checkpoint {
    /// Signs "record `seq` has hash `hash`" at time `ts_ms`.
    pub fn sign(seq: u64, hash: &str, ts_ms: u64, key: &SigningKey) -> Checkpoint {
        let signature = key.sign(&checkpoint_message(seq, hash, ts_ms));
        Checkpoint {
            seq,
            hash: hash.to_owned(),
            ts_ms,
            key_id: key_id(&key.verifying_key()),
            signature: hex::encode(signature.to_bytes()),
        }
    }

    /// Whether this checkpoint names `key` and carries its valid signature.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        if self.key_id != key_id(key) {
            return false;
        }
        let mut sig = [0u8; 64];
        if hex::decode_to_slice(&self.signature, &mut sig).is_err() {
            return false;
        }
        let message = checkpoint_message(self.seq, &self.hash, self.ts_ms);
        key.verify_strict(&message, &Signature::from_bytes(&sig))
            .is_ok()
    }
}

/// Appends signed checkpoints to their own file. Hand it to
/// [`FileAuditLog::open`](super::FileAuditLog::open).
pub struct CheckpointWriter {
    file: LineFile,
    key: SigningKey,
    interval: NonZeroU64,
    last_seq: Option<u64>,
    witness: Option<WitnessWriter>,
}

impl fmt::Debug for CheckpointWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret key.
        f.debug_struct("CheckpointWriter")
            .field("path", &self.file.path())
            .field("key_id", &key_id(&self.key.verifying_key()))
            .field("interval", &self.interval)
            .field("last_seq", &self.last_seq)
            .field("witness", &self.witness.as_ref().map(WitnessWriter::path))
            .finish()
    }
}

impl CheckpointWriter {
    /// Opens (creating if absent) the checkpoint file at `path`, signing with
    /// `key`, one checkpoint per record. A torn last line is cut off.
    ///
    /// # Errors
    /// `io` if the file cannot be opened, locked or repaired, or if its last
    /// checkpoint names another key than `key`.
    pub fn open(path: &Path, key: SigningKey) -> Result<CheckpointWriter> {
        let opened = LineFile::open(path)?;
        let last = opened
            .last_line
            .and_then(|line| serde_json::from_slice::<Checkpoint>(&line).ok());
        let ours = key_id(&key.verifying_key());
        if let Some(last) = &last
            && last.key_id != ours
        {
            return Err(Error::io(
                format!("opening {}", path.display()),
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "its checkpoints are signed by key {}, not by this log's key {ours}: \
                         use the key that signed them (MORPH_AUDIT_KEY_FILE)",
                        last.key_id
                    ),
                ),
            ));
        }
        Ok(CheckpointWriter {
            file: opened.file,
            key,
            interval: NonZeroU64::MIN,
            last_seq: last.map(|c| c.seq),
            witness: None,
        })
    }

    /// Also appends every checkpoint to the witness file at `path` (created
    /// if absent), which should lie outside the data dir. See
    /// `audit/witness.rs`.
    ///
    /// # Errors
    /// `io` if the witness file cannot be opened, locked or repaired.
    pub fn with_witness(mut self, path: &Path) -> Result<CheckpointWriter> {
        self.witness = Some(WitnessWriter::open(path)?);
        Ok(self)
    }

    /// The witness file's path, if checkpoints are witnessed.
    pub fn witness_path(&self) -> Option<&Path> {
        self.witness.as_ref().map(WitnessWriter::path)
    }

    /// Checkpoints every `interval` records instead of every record.
    pub fn with_interval(mut self, interval: NonZeroU64) -> CheckpointWriter {
        self.interval = interval;
        self
    }

    /// How many records lie between two checkpoints.
    pub fn interval(&self) -> NonZeroU64 {
        self.interval
    }

    /// The public half of the signing key, for [`verify`](super::verify).
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The checkpoint file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Called after record `seq` (with `hash`) was committed, under the
    /// log's lock: writes a checkpoint when `seq` falls on the interval.
    pub(crate) fn after_record(&mut self, seq: u64, hash: &str) -> Result<()> {
        if seq.is_multiple_of(self.interval.get()) {
            self.write(seq, hash)
        } else {
            Ok(())
        }
    }

    /// Writes a checkpoint for record `seq` unless the last one already is.
    /// The caller holds the log's lock, the one lock of every writer, so the
    /// checkpoint file catches up with other writers' checkpoints first.
    pub(crate) fn write(&mut self, seq: u64, hash: &str) -> Result<()> {
        let mut file = self.file.lock()?;
        let caught_up = file.catch_up()?;
        if caught_up.moved {
            self.last_seq = caught_up
                .last_line
                .and_then(|line| serde_json::from_slice::<Checkpoint>(&line).ok())
                .map(|c| c.seq);
        }
        if self.last_seq.is_some_and(|last| last >= seq) {
            return Ok(());
        }
        let checkpoint = Checkpoint::sign(seq, hash, crate::broker::now_ms(), &self.key);
        let line = serde_json::to_vec(&checkpoint)
            .map_err(|e| Error::internal(format!("serialising an audit checkpoint: {e}")))?;
        file.append(&line)?;
        self.last_seq = Some(seq);
        match &mut self.witness {
            Some(witness) => witness.append(&line),
            None => Ok(()),
        }
    }
}
