//! An in-memory audit sink for tests and embedders that ship records elsewhere.

use std::sync::Mutex;

use super::record::{AuditEntry, AuditRecord, AuditSink, GENESIS_HASH};
use crate::call::lock;
use crate::error::Result;

/// Keeps the chain in memory.
#[derive(Debug, Default)]
pub struct MemoryAuditSink {
    records: Mutex<Vec<AuditRecord>>,
}

impl MemoryAuditSink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of every record so far.
    pub fn records(&self) -> Vec<AuditRecord> {
        lock(&self.records).clone()
    }
}

impl AuditSink for MemoryAuditSink {
    fn append(&self, entry: AuditEntry) -> Result<AuditRecord> {
        let mut records = lock(&self.records);
        let (seq, prev) = match records.last() {
            Some(last) => (last.seq + 1, last.hash.as_str()),
            None => (1, GENESIS_HASH),
        };
        let record = AuditRecord::chain(seq, entry, prev);
        records.push(record.clone());
        Ok(record)
    }
}
