//! The audit record, its hash, and the sink contract.
//!
//! **Every capability invocation, allowed or denied, produces exactly one
//! record, and a call whose record cannot be written fails.** A record never
//! holds a secret: no request or response body, no vault value, no header.
//! Records form a chain: each carries the SHA-256 of the one before
//! (`prev_hash`) and its own `hash` over every other field.

use sha2::{Digest, Sha256};

use crate::error::Result;

/// The hash that precedes the first record of a chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Whether the broker let the call reach a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Granted; the provider ran (its outcome may still be an error).
    Allowed,
    /// Refused by the broker before any provider ran.
    Denied,
}

/// What the broker knows about one invocation; the sink turns it into an
/// [`AuditRecord`] by adding the sequence number and hashes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    /// Unix milliseconds.
    pub ts_ms: u64,
    /// Extension id.
    pub extension: String,
    /// Extension version.
    pub version: String,
    /// Runtime id.
    pub runtime: String,
    /// Action (or `init` / `on_event`).
    pub action: String,
    /// The call's id.
    pub call_id: String,
    /// Capability wire name (truncated if the guest sent a long unknown one).
    pub capability: String,
    /// Allowed or denied.
    pub decision: Decision,
    /// `ok` or the error code.
    pub outcome: String,
    /// Why (an error message without secrets), if not ok.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Time spent, microseconds.
    pub duration_us: u64,
}

impl AuditEntry {
    /// The record of a change an operator made on the host (`morph enable`,
    /// `morph vault ...`): no guest call, so a fresh call id, no version or
    /// runtime unless the caller knows them, allowed, `ok`, and `reason`
    /// saying what changed (never a secret).
    pub fn host_change(extension: &str, capability: &str, action: &str, reason: String) -> Self {
        AuditEntry {
            ts_ms: crate::broker::now_ms(),
            extension: extension.to_owned(),
            version: String::new(),
            runtime: String::new(),
            action: action.to_owned(),
            call_id: uuid::Uuid::new_v4().to_string(),
            capability: capability.to_owned(),
            decision: Decision::Allowed,
            outcome: "ok".to_owned(),
            reason: Some(reason),
            duration_us: 0,
        }
    }
}

/// A committed, chained record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// The entry.
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// Hash of the previous record ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) of this record's canonical form without `hash`.
    pub hash: String,
}

#[derive(serde::Serialize)]
struct Unhashed<'a> {
    seq: u64,
    #[serde(flatten)]
    entry: &'a AuditEntry,
    prev_hash: &'a str,
}

impl AuditRecord {
    /// Chains `entry` after a record with `seq - 1` and `prev_hash`.
    pub fn chain(seq: u64, entry: AuditEntry, prev_hash: &str) -> AuditRecord {
        let hash = Self::hash_of(seq, &entry, prev_hash);
        AuditRecord {
            seq,
            entry,
            prev_hash: prev_hash.to_owned(),
            hash,
        }
    }

    /// The hash this record should carry, recomputed from its fields.
    pub fn expected_hash(&self) -> String {
        Self::hash_of(self.seq, &self.entry, &self.prev_hash)
    }

    fn hash_of(seq: u64, entry: &AuditEntry, prev_hash: &str) -> String {
        let canonical = serde_json::to_vec(&Unhashed {
            seq,
            entry,
            prev_hash,
        })
        // Serialising plain strings and integers cannot fail.
        .unwrap_or_default();
        hex::encode(Sha256::digest(&canonical))
    }
}

/// Where audit records go.
pub trait AuditSink: Send + Sync + 'static {
    /// Chains and durably stores one entry, returning the committed record.
    ///
    /// # Errors
    /// `io` (or `internal`) when the record could not be stored; the broker
    /// then fails the capability call.
    fn append(&self, entry: AuditEntry) -> Result<AuditRecord>;
}
