//! The audit log: one chained record per capability invocation.
//!
//! [`record`] defines the record and the [`AuditSink`] contract;
//! [`MemoryAuditSink`] keeps records in memory; [`FileAuditLog`] appends JSON
//! lines to a file with signed checkpoints kept in a separate file, and
//! [`verify`] checks a log against its checkpoints, naming the first bad record.

mod memory;
mod record;

pub use memory::MemoryAuditSink;
pub use record::{AuditEntry, AuditRecord, AuditSink, Decision, GENESIS_HASH};
