//! The audit log: one chained record per capability invocation.
//!
//! [`AuditRecord`] and the [`AuditSink`] contract define a record and where it goes;
//! [`MemoryAuditSink`] keeps records in memory; [`FileAuditLog`] appends JSON
//! lines to a file with signed checkpoints kept in a separate file
//! ([`CheckpointWriter`]), signed with a key kept outside the data dir
//! ([`signing_key_path`]) and optionally appended to a witness outside it too
//! ([`WITNESS_ENV`]); [`verify`] checks a log against its checkpoints, naming
//! the first bad record, and [`verify_witness`] checks it against its witness.

mod checkpoint;
mod file;
mod key;
mod line_file;
mod memory;
mod read;
mod record;
mod verify;
mod witness;

pub use checkpoint::{CHECKPOINT_DOMAIN, Checkpoint, CheckpointWriter, checkpoint_message};
pub use file::{CHECKPOINTS_FILE, FileAuditLog, KEY_FILE, LOG_FILE};
pub use key::{
    KEY_FILE_ENV, KEYS_DIR, key_id, load_or_create_signing_key, load_signing_key, open_signing_key,
    read_signing_key, signing_key_path,
};
pub use memory::MemoryAuditSink;
pub use read::read_latest;
pub use record::{AuditEntry, AuditRecord, AuditSink, Decision, GENESIS_HASH, Phase};
pub use verify::{
    AuditFile, MAX_OPEN_INTENTS_LISTED, OpenIntent, ProblemKind, VerifyProblem, VerifyReport,
    verify, verify_in,
};
pub use witness::{
    WITNESS_ENV, WitnessProblem, WitnessProblemKind, WitnessReport, verify_witness,
    witness_path_from_env,
};
