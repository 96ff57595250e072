//! The audit log: one chained record per capability invocation.
//!
//! [`AuditRecord`] and the [`AuditSink`] contract define a record and where it goes;
//! [`MemoryAuditSink`] keeps records in memory; [`FileAuditLog`] appends JSON
//! lines to a file with signed checkpoints kept in a separate file
//! ([`CheckpointWriter`]), and [`verify`] checks a log against its
//! checkpoints, naming the first bad record.

mod checkpoint;
mod file;
mod key;
mod line_file;
mod memory;
mod record;
mod verify;

pub use checkpoint::{CHECKPOINT_DOMAIN, Checkpoint, CheckpointWriter, checkpoint_message};
pub use file::{CHECKPOINTS_FILE, FileAuditLog, KEY_FILE, LOG_FILE};
pub use key::{key_id, load_or_create_signing_key, load_signing_key};
pub use memory::MemoryAuditSink;
pub use record::{AuditEntry, AuditRecord, AuditSink, Decision, GENESIS_HASH};
pub use verify::{AuditFile, ProblemKind, VerifyProblem, VerifyReport, verify, verify_in};
