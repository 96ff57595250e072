//! The audit record, its hash, and the sink contract.
//!
//! **Every capability invocation, allowed or denied, is recorded, and a call
//! whose record cannot be written fails.** A call without an effect outside
//! the guest (a read, a refusal) has one record. **A call with an effect
//! (an HTTP request, a file, vault or task write, an event) has two: an
//! `intent`, written and synced before the effect, and an `outcome` after
//! it**, naming its intent; if the intent cannot be written, the effect does
//! not happen. An intent without an outcome (a crash, a full disk) tells the
//! verifier that the effect may have happened. A record never holds a
//! secret: no request or response body, no vault value, no header (the
//! intent's request digest leaves vault values out). Records form a chain:
//! each carries the SHA-256 of the one before (`prev_hash`) and its own
//! `hash` over every other field.

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
    /// `intent` or `outcome` for a call with an effect; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// An intent's SHA-256 (hex) of the request as the broker parsed it,
    /// vault values left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_digest: Option<String>,
    /// An outcome's intent (its sequence number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent_seq: Option<u64>,
    /// Who asked for the call: `token:<name>` for the API, `mcp:<client>`
    /// for an agent, absent for a library or `morph run` call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// The code run the call belongs to: on the run's own records and on
    /// every record of a tool it called; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_run: Option<String>,
}

/// Which half of a call with an effect a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Written and synced before the effect.
    Intent,
    /// Written after it.
    Outcome,
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
            phase: None,
            request_digest: None,
            intent_seq: None,
            caller: None,
            code_run: None,
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
    /// Chains and durably stores one entry (on disk before it returns),
    /// returning the committed record. The broker appends intents this way.
    ///
    /// # Errors
    /// `io` (or `internal`) when the record could not be stored; the broker
    /// then fails the capability call.
    fn append(&self, entry: AuditEntry) -> Result<AuditRecord>;

    /// Chains and writes one entry that may reach the disk with the next
    /// durable append or [`flush`](AuditSink::flush) instead of now: the
    /// records of calls without an effect, and outcomes (whose intents are
    /// durable already). A crash of the process loses none of them; a power
    /// loss may lose them since the last durable append, never an intent.
    /// Sinks without a cheaper path store it durably.
    ///
    /// # Errors
    /// As for [`append`](AuditSink::append).
    fn append_batched(&self, entry: AuditEntry) -> Result<AuditRecord> {
        self.append(entry)
    }

    /// Makes every record written so far durable.
    ///
    /// # Errors
    /// `io` when the records cannot be synced.
    fn flush(&self) -> Result<()> {
        Ok(())
    }

    /// Free bytes on the volume the records go to, when the sink is a file
    /// (the broker keeps a reserve there); `None` otherwise.
    fn free_bytes(&self) -> Option<u64> {
        None
    }
}
