//! Checking an audit log against its chain and its signed checkpoints.
//!
//! [`verify`] reads the log once, front to back, and stops at **the first bad
//! record**, naming it by line and sequence number in a [`VerifyProblem`]:
//!
//! - an edited record no longer matches its own hash ([`ProblemKind::BadHash`]);
//! - a removed or reordered record breaks the `prev_hash` link
//!   ([`ProblemKind::BrokenChain`]);
//! - a replayed record repeats an earlier sequence number
//!   ([`ProblemKind::Replayed`]);
//! - a truncated tail leaves the log shorter than its last signed checkpoint
//!   ([`ProblemKind::Truncated`]);
//! - a chain recomputed without the key disagrees with a signed checkpoint
//!   ([`ProblemKind::CheckpointMismatch`]);
//! - a forged checkpoint fails its signature ([`ProblemKind::BadSignature`]).
//!
//! A torn last line (a crash mid-append, no trailing newline) is not a
//! problem: the log verifies up to the last complete record and the report
//! says `torn_tail`. Nor is an intent without its outcome (a crash or a full
//! disk between the two): the report lists it in `open_intents`, **an effect
//! that may have happened**. Checkpoints detect truncation only against an attacker
//! who cannot rewrite the checkpoint file too; ship it off the host (or
//! compare its last line with a copy kept elsewhere) where that matters.
//! Verification never panics on a hostile file and reads lines of at most
//! 1 MiB.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use ed25519_dalek::VerifyingKey;

use super::checkpoint::Checkpoint;
use super::file::{CHECKPOINTS_FILE, LOG_FILE};
use super::key::{key_id, read_signing_key};
use super::line_file::MAX_LINE_BYTES;
use super::record::{AuditRecord, GENESIS_HASH, Phase};
use crate::error::{Error, Result};

/// What went wrong, as a stable snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// A line is not a record (or checkpoint): bad JSON, unknown fields, too long.
    Malformed,
    /// A record's hash does not match its content: the record was edited.
    BadHash,
    /// A record's `prev_hash` is not the previous record's hash: a record was
    /// removed, inserted or moved.
    BrokenChain,
    /// A sequence number is not the next one (also: checkpoints out of order).
    BadSequence,
    /// A record repeats a sequence number already seen: a replayed record.
    Replayed,
    /// The log ends before the last signed checkpoint: its tail was cut.
    Truncated,
    /// A record's hash differs from the signed checkpoint for its sequence
    /// number: the chain was recomputed.
    CheckpointMismatch,
    /// A checkpoint's signature does not verify (or names another key).
    BadSignature,
}

impl ProblemKind {
    /// The wire spelling, for instance `"broken_chain"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Malformed => "malformed",
            ProblemKind::BadHash => "bad_hash",
            ProblemKind::BrokenChain => "broken_chain",
            ProblemKind::BadSequence => "bad_sequence",
            ProblemKind::Replayed => "replayed",
            ProblemKind::Truncated => "truncated",
            ProblemKind::CheckpointMismatch => "checkpoint_mismatch",
            ProblemKind::BadSignature => "bad_signature",
        }
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which file a problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditFile {
    /// The log itself.
    Log,
    /// The checkpoint file.
    Checkpoints,
}

/// The first problem found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VerifyProblem {
    /// What is wrong.
    pub kind: ProblemKind,
    /// Where: the log or the checkpoint file.
    pub file: AuditFile,
    /// 1-based line number in that file (for [`ProblemKind::Truncated`], the
    /// first missing line of the log).
    pub line: u64,
    /// The sequence number concerned, when known: the bad record's (the
    /// expected one if the line does not parse), the first missing one for
    /// [`ProblemKind::Truncated`], the checkpoint's for checkpoint problems.
    pub seq: Option<u64>,
    /// A human-readable explanation.
    pub detail: String,
}

impl fmt::Display for VerifyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = match self.file {
            AuditFile::Log => "log",
            AuditFile::Checkpoints => "checkpoints",
        };
        write!(f, "{}: {file} line {}", self.kind, self.line)?;
        if let Some(seq) = self.seq {
            write!(f, " (seq {seq})")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VerifyReport {
    /// Records that verified, from the first, before any problem.
    pub records: u64,
    /// Hash of the last verified record ([`GENESIS_HASH`] if none).
    pub last_hash: String,
    /// Checkpoints matched against verified records.
    pub checkpoints_checked: u64,
    /// Whether checkpoint signatures were checked (a public key was given).
    pub signatures_checked: bool,
    /// The log ends in an incomplete line (a crash mid-append), ignored.
    pub torn_tail: bool,
    /// Intents (in verified records) that no outcome names: their effect may
    /// have happened. At most [`MAX_OPEN_INTENTS_LISTED`]; see
    /// `open_intents_total`.
    #[serde(default)]
    pub open_intents: Vec<OpenIntent>,
    /// How many intents have no outcome.
    #[serde(default)]
    pub open_intents_total: u64,
    /// The first problem, if any.
    pub problem: Option<VerifyProblem>,
}

/// Open intents listed in a report (the total is counted beyond it).
pub const MAX_OPEN_INTENTS_LISTED: usize = 1000;

/// An intent without an outcome: the effect may have happened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpenIntent {
    /// The intent's sequence number.
    pub seq: u64,
    /// The extension.
    pub extension: String,
    /// The capability.
    pub capability: String,
    /// The call.
    pub call_id: String,
    /// When, Unix milliseconds.
    pub ts_ms: u64,
}

impl VerifyReport {
    /// No problem was found.
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// Verifies the log at `log_path`, against the checkpoints at
/// `checkpoints_path` if given, checking their signatures with `public_key`
/// if given.
///
/// # Errors
/// `io` if a file cannot be opened or read. Tampering is not an error: it is
/// reported in [`VerifyReport::problem`].
pub fn verify(
    log_path: &Path,
    checkpoints_path: Option<&Path>,
    public_key: Option<&VerifyingKey>,
) -> Result<VerifyReport> {
    let signed = match checkpoints_path {
        Some(path) => read_checkpoints(path, public_key)?,
        None => SignedCheckpoints::default(),
    };
    let mut report = VerifyReport {
        records: 0,
        last_hash: GENESIS_HASH.to_owned(),
        checkpoints_checked: 0,
        signatures_checked: checkpoints_path.is_some() && public_key.is_some(),
        torn_tail: false,
        open_intents: Vec::new(),
        open_intents_total: 0,
        problem: None,
    };
    let log_problem = check_log(log_path, &signed.checkpoints, &mut report)?;
    report.problem = match (log_problem, signed.problem) {
        (Some(log), Some((order, cp))) => Some(if order < log.line { cp } else { log }),
        (log, cp) => log.or(cp.map(|(_, p)| p)),
    };
    Ok(report)
}

/// Verifies the log kept in `dir` by [`FileAuditLog::open_in`](super::FileAuditLog::open_in),
/// with its checkpoints and the public half of its key.
///
/// # Errors
/// `io` if the log, the checkpoint file or the key is missing or unreadable.
pub fn verify_in(dir: &Path) -> Result<VerifyReport> {
    let key = read_signing_key(dir)?.verifying_key();
    verify(
        &dir.join(LOG_FILE),
        Some(&dir.join(CHECKPOINTS_FILE)),
        Some(&key),
    )
}

/// Streams the log, filling `report`; returns the first problem.
fn check_log(
    path: &Path,
    checkpoints: &[(u64, Checkpoint)],
    report: &mut VerifyReport,
) -> Result<Option<VerifyProblem>> {
    let ctx = || format!("reading {}", path.display());
    let file = File::open(path).map_err(|e| Error::io(ctx(), e))?;
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    let mut pending = checkpoints.iter().peekable();
    let mut intents = std::collections::BTreeMap::<u64, OpenIntent>::new();
    let mut line_no = 0u64;
    loop {
        let read = read_line(&mut reader, &mut buf).map_err(|e| Error::io(ctx(), e))?;
        line_no += 1;
        let expected = report.records + 1;
        let problem = |kind, seq, detail: String| VerifyProblem {
            kind,
            file: AuditFile::Log,
            line: line_no,
            seq,
            detail,
        };
        match read {
            Line::Eof => break,
            Line::Torn => {
                report.torn_tail = true;
                break;
            }
            Line::TooLong => {
                return Ok(Some(problem(
                    ProblemKind::Malformed,
                    Some(expected),
                    format!("line longer than {MAX_LINE_BYTES} bytes"),
                )));
            }
            Line::Complete => {}
        }
        let record: AuditRecord = match serde_json::from_slice(&buf) {
            Ok(r) => r,
            Err(e) => {
                return Ok(Some(problem(
                    ProblemKind::Malformed,
                    Some(expected),
                    format!("not an audit record: {e}"),
                )));
            }
        };
        if let Some((kind, detail)) = check_record(&record, expected, &report.last_hash) {
            return Ok(Some(problem(kind, Some(record.seq), detail)));
        }
        if let Some((cp_line, cp)) = pending.next_if(|(_, cp)| cp.seq == record.seq) {
            if cp.hash != record.hash {
                return Ok(Some(problem(
                    ProblemKind::CheckpointMismatch,
                    Some(record.seq),
                    format!(
                        "hash {} differs from {} signed in checkpoints line {cp_line}: \
                         the chain was recomputed from here",
                        record.hash, cp.hash
                    ),
                )));
            }
            report.checkpoints_checked += 1;
        }
        match (record.entry.phase, record.entry.intent_seq) {
            (Some(Phase::Intent), _) => {
                report.open_intents_total += 1;
                if intents.len() < MAX_OPEN_INTENTS_LISTED {
                    let e = &record.entry;
                    intents.insert(
                        record.seq,
                        OpenIntent {
                            seq: record.seq,
                            extension: e.extension.clone(),
                            capability: e.capability.clone(),
                            call_id: e.call_id.clone(),
                            ts_ms: e.ts_ms,
                        },
                    );
                }
            }
            (Some(Phase::Outcome), Some(intent)) if intent < record.seq => {
                intents.remove(&intent);
                report.open_intents_total = report.open_intents_total.saturating_sub(1);
            }
            _ => {}
        }
        report.records = record.seq;
        report.last_hash = record.hash;
    }
    report.open_intents = intents.into_values().collect();
    if let Some((cp_line, cp)) = checkpoints.last()
        && cp.seq > report.records
    {
        let torn = if report.torn_tail {
            " (after a torn last line)"
        } else {
            ""
        };
        return Ok(Some(VerifyProblem {
            kind: ProblemKind::Truncated,
            file: AuditFile::Log,
            line: line_no,
            seq: Some(report.records + 1),
            detail: format!(
                "the log ends at seq {}{torn}, but checkpoints line {cp_line} signed seq {}",
                report.records, cp.seq
            ),
        }));
    }
    Ok(None)
}

/// Checks one parsed record against the chain so far.
fn check_record(
    record: &AuditRecord,
    expected: u64,
    prev_hash: &str,
) -> Option<(ProblemKind, String)> {
    let actual = record.expected_hash();
    if record.hash != actual {
        return Some((
            ProblemKind::BadHash,
            format!(
                "record hash {} does not match its content ({actual}): the record was edited",
                record.hash
            ),
        ));
    }
    if record.seq < expected {
        return Some((
            ProblemKind::Replayed,
            format!(
                "seq {} appears again where seq {expected} was expected",
                record.seq
            ),
        ));
    }
    if record.prev_hash != prev_hash {
        return Some((
            ProblemKind::BrokenChain,
            format!(
                "prev_hash {} is not the hash of the previous record ({prev_hash}): \
                 a record was removed, inserted or moved",
                record.prev_hash
            ),
        ));
    }
    if record.seq != expected {
        return Some((
            ProblemKind::BadSequence,
            format!("seq {} where seq {expected} was expected", record.seq),
        ));
    }
    None
}

/// The usable checkpoints (line number, checkpoint), in increasing `seq`,
/// and the first problem in the file with its ordering key (the sequence
/// number it concerns) if reading stopped early.
#[derive(Debug, Default)]
struct SignedCheckpoints {
    checkpoints: Vec<(u64, Checkpoint)>,
    problem: Option<(u64, VerifyProblem)>,
}

fn read_checkpoints(path: &Path, key: Option<&VerifyingKey>) -> Result<SignedCheckpoints> {
    let ctx = || format!("reading {}", path.display());
    let file = File::open(path).map_err(|e| Error::io(ctx(), e))?;
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    let mut out = SignedCheckpoints::default();
    let mut line_no = 0u64;
    loop {
        let read = read_line(&mut reader, &mut buf).map_err(|e| Error::io(ctx(), e))?;
        line_no += 1;
        let last_seq = out.checkpoints.last().map_or(0, |(_, c)| c.seq);
        let mut stop = |kind, seq: Option<u64>, detail: String| {
            let order = seq.unwrap_or(last_seq + 1);
            out.problem = Some((
                order,
                VerifyProblem {
                    kind,
                    file: AuditFile::Checkpoints,
                    line: line_no,
                    seq,
                    detail,
                },
            ));
        };
        match read {
            // A torn checkpoint line is an interrupted write: ignore it.
            Line::Eof | Line::Torn => break,
            Line::TooLong => {
                stop(
                    ProblemKind::Malformed,
                    None,
                    format!("line longer than {MAX_LINE_BYTES} bytes"),
                );
                break;
            }
            Line::Complete => {}
        }
        let cp: Checkpoint = match serde_json::from_slice(&buf) {
            Ok(cp) => cp,
            Err(e) => {
                stop(
                    ProblemKind::Malformed,
                    None,
                    format!("not a checkpoint: {e}"),
                );
                break;
            }
        };
        if let Some(key) = key
            && !cp.verify(key)
        {
            let detail = if cp.key_id == key_id(key) {
                "the signature does not verify: the checkpoint was forged or altered".to_owned()
            } else {
                format!(
                    "signed by key {}, expected key {}: the checkpoint was forged",
                    cp.key_id,
                    key_id(key)
                )
            };
            stop(ProblemKind::BadSignature, Some(cp.seq), detail);
            break;
        }
        if cp.seq <= last_seq {
            stop(
                ProblemKind::BadSequence,
                Some(cp.seq),
                format!("checkpoint seq {} does not follow seq {last_seq}", cp.seq),
            );
            break;
        }
        out.checkpoints.push((line_no, cp));
    }
    Ok(out)
}

/// How [`read_line`] ended.
enum Line {
    /// A complete line is in the buffer, without its `\n`.
    Complete,
    /// End of file.
    Eof,
    /// The file ends in an incomplete line.
    Torn,
    /// The line exceeds [`MAX_LINE_BYTES`].
    TooLong,
}

fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Line> {
    buf.clear();
    let limit = MAX_LINE_BYTES as u64 + 2;
    let n = reader.by_ref().take(limit).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(Line::Eof);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.len() <= MAX_LINE_BYTES {
            return Ok(Line::Complete);
        }
        return Ok(Line::TooLong);
    }
    if buf.len() > MAX_LINE_BYTES {
        return Ok(Line::TooLong);
    }
    Ok(Line::Torn)
}
