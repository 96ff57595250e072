//! The witness: every signed checkpoint head also kept outside the data dir,
//! and the check of a log against it.
//!
//! Checkpoints catch a truncated tail and a recomputed chain only against
//! someone who cannot rewrite the checkpoint file too, and a re-signed
//! history only against someone without the key. The witness is a second
//! append-only file of the same checkpoint lines (`seq`, `hash`, `ts_ms`,
//! `key_id`, `signature`) at a path outside the data dir
//! (`$MORPH_AUDIT_WITNESS`, [`WITNESS_ENV`]; one witness per log), ideally
//! one the data dir's owner cannot rewrite: another user's directory, an
//! append-only (`chattr +a`) file, a mount shipped off the host. **Every
//! head in the witness must be in the log with the same hash**:
//!
//! - a head past the log's last record: the log and its checkpoints were
//!   truncated together ([`WitnessProblemKind::Truncated`]);
//! - a head whose record has another hash, or is missing: the history was
//!   rewritten, even if re-signed with a stolen key
//!   ([`WitnessProblemKind::Rewritten`]);
//! - a head whose signature does not verify with the log's key: a forged
//!   witness line, or the log's key was replaced
//!   ([`WitnessProblemKind::BadSignature`]).
//!
//! What it cannot catch: records appended after the witness's last head
//! (vouched for by the key alone), and anything done by whoever can rewrite
//! the witness too. [`verify_witness`] streams both files, reads lines of at
//! most 1 MiB and never panics on a hostile file; it checks the witness
//! against the log, while [`verify`](super::verify) checks the log's own
//! chain and checkpoints: run both.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;

use super::checkpoint::Checkpoint;
use super::key::key_id;
use super::line_file::{LineFile, MAX_LINE_BYTES};
use crate::error::{Error, Result};

/// The environment variable naming the witness file of the logs a process
/// opens with [`FileAuditLog::open_in`](super::FileAuditLog::open_in).
pub const WITNESS_ENV: &str = "MORPH_AUDIT_WITNESS";

/// `$MORPH_AUDIT_WITNESS`, when set and not empty.
pub fn witness_path_from_env() -> Option<PathBuf> {
    std::env::var_os(WITNESS_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Appends checkpoint lines to a witness file, durably, under its lock.
#[derive(Debug)]
pub(crate) struct WitnessWriter {
    file: LineFile,
}

impl WitnessWriter {
    /// Opens (creating if absent) the witness at `path`; a torn last line
    /// is cut off.
    pub(crate) fn open(path: &Path) -> Result<WitnessWriter> {
        Ok(WitnessWriter {
            file: LineFile::open(path)?.file,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        self.file.path()
    }

    /// Appends one checkpoint line after whatever other writers appended.
    pub(crate) fn append(&mut self, line: &[u8]) -> Result<()> {
        let mut file = self.file.lock()?;
        file.catch_up()?;
        file.append(line)
    }
}

/// What is wrong with a log seen from its witness, as a stable snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WitnessProblemKind {
    /// A witness line is not a checkpoint (bad JSON, unknown fields, too long).
    Malformed,
    /// A witness head's signature does not verify with the log's key.
    BadSignature,
    /// Witness heads are not in increasing sequence order.
    BadSequence,
    /// The log ends before a witnessed head: the log (and its checkpoints)
    /// were cut.
    Truncated,
    /// The log's record at a witnessed sequence number has another hash, or
    /// is missing: the history was rewritten.
    Rewritten,
}

impl WitnessProblemKind {
    /// The wire spelling, for instance `"truncated"`.
    pub fn as_str(self) -> &'static str {
        match self {
            WitnessProblemKind::Malformed => "malformed",
            WitnessProblemKind::BadSignature => "bad_signature",
            WitnessProblemKind::BadSequence => "bad_sequence",
            WitnessProblemKind::Truncated => "truncated",
            WitnessProblemKind::Rewritten => "rewritten",
        }
    }
}

impl fmt::Display for WitnessProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first disagreement between a log and its witness.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WitnessProblem {
    /// What is wrong.
    pub kind: WitnessProblemKind,
    /// 1-based line number in the witness file.
    pub line: u64,
    /// The witnessed sequence number concerned, when the line parsed.
    pub seq: Option<u64>,
    /// A human-readable explanation.
    pub detail: String,
}

impl fmt::Display for WitnessProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: witness line {}", self.kind, self.line)?;
        if let Some(seq) = self.seq {
            write!(f, " (seq {seq})")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// The outcome of [`verify_witness`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WitnessReport {
    /// Witness heads found in the log with their hash, before any problem.
    pub heads_checked: u64,
    /// The last witnessed sequence number checked (0 if none).
    pub last_witnessed_seq: u64,
    /// The log's last sequence number (records past `last_witnessed_seq`
    /// are vouched for by the key alone).
    pub log_last_seq: u64,
    /// The first problem, if any.
    pub problem: Option<WitnessProblem>,
}

impl WitnessReport {
    /// No problem was found.
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// Checks that every head in the witness at `witness_path` is signed with
/// `key` and present, with the same hash, in the log at `log_path`.
///
/// # Errors
/// `io` if a file cannot be opened or read. A disagreement is not an error:
/// it is reported in [`WitnessReport::problem`].
pub fn verify_witness(
    log_path: &Path,
    witness_path: &Path,
    key: &VerifyingKey,
) -> Result<WitnessReport> {
    let mut heads = Heads::open(witness_path, key)?;
    let mut log = Lines::open(log_path)?;
    let mut report = WitnessReport {
        heads_checked: 0,
        last_witnessed_seq: 0,
        log_last_seq: 0,
        problem: None,
    };
    let mut next = heads.next()?;
    while let Some(line) = log.next()? {
        // The log's own shape is `verify`'s business: only seq and hash here.
        let Ok(record) = serde_json::from_slice::<LogHead>(&line) else {
            continue;
        };
        report.log_last_seq = report.log_last_seq.max(record.seq);
        let head = match next {
            Next::Head(line_no, ref head) => (line_no, head),
            Next::Problem(problem) => {
                report.problem = Some(problem);
                return Ok(report);
            }
            Next::End => continue,
        };
        let (line_no, head) = head;
        if record.seq < head.seq {
            continue;
        }
        let problem = |detail: String| WitnessProblem {
            kind: WitnessProblemKind::Rewritten,
            line: line_no,
            seq: Some(head.seq),
            detail,
        };
        if record.seq > head.seq {
            report.problem = Some(problem(format!(
                "the log has no record seq {} (it goes on to seq {}): the history was rewritten",
                head.seq, record.seq
            )));
            return Ok(report);
        }
        if record.hash != head.hash {
            report.problem = Some(problem(format!(
                "the log's record seq {} has hash {}, the witness holds {}: the history \
                 was rewritten from here (re-signed with the key if the checkpoints verify)",
                head.seq, record.hash, head.hash
            )));
            return Ok(report);
        }
        report.heads_checked += 1;
        report.last_witnessed_seq = head.seq;
        next = heads.next()?;
    }
    report.problem = match next {
        Next::End => None,
        Next::Problem(problem) => Some(problem),
        Next::Head(line_no, head) => Some(WitnessProblem {
            kind: WitnessProblemKind::Truncated,
            line: line_no,
            seq: Some(head.seq),
            detail: format!(
                "the log ends at seq {}, but the witness holds seq {}: the log and its \
                 checkpoints were cut",
                report.log_last_seq, head.seq
            ),
        }),
    };
    Ok(report)
}

/// The two fields of a log record the witness is compared with.
#[derive(serde::Deserialize)]
struct LogHead {
    seq: u64,
    hash: String,
}

/// What [`Heads::next`] found.
enum Next {
    Head(u64, Checkpoint),
    Problem(WitnessProblem),
    End,
}

/// The witness's heads, checked one by one: parsed, signed, increasing.
struct Heads<'k> {
    lines: Lines,
    key: &'k VerifyingKey,
    last_seq: Option<u64>,
}

impl<'k> Heads<'k> {
    fn open(path: &Path, key: &'k VerifyingKey) -> Result<Heads<'k>> {
        Ok(Heads {
            lines: Lines::open(path)?,
            key,
            last_seq: None,
        })
    }

    fn next(&mut self) -> Result<Next> {
        let Some(line) = self.lines.next()? else {
            return Ok(Next::End);
        };
        let line_no = self.lines.line_no;
        let problem = |kind, seq, detail| {
            Ok(Next::Problem(WitnessProblem {
                kind,
                line: line_no,
                seq,
                detail,
            }))
        };
        let head: Checkpoint = match serde_json::from_slice(&line) {
            Ok(head) => head,
            Err(e) => {
                return problem(
                    WitnessProblemKind::Malformed,
                    None,
                    format!("not a checkpoint: {e}"),
                );
            }
        };
        if !head.verify(self.key) {
            let ours = key_id(self.key);
            let detail = if head.key_id == ours {
                "the signature does not verify: the witness line was forged or altered".to_owned()
            } else {
                format!(
                    "signed by key {}, the log's key is {ours}: the witness belongs to \
                     another log, or the log's key was replaced",
                    head.key_id
                )
            };
            return problem(WitnessProblemKind::BadSignature, Some(head.seq), detail);
        }
        if let Some(last) = self.last_seq
            && head.seq <= last
        {
            return problem(
                WitnessProblemKind::BadSequence,
                Some(head.seq),
                format!("witness seq {} does not follow seq {last}", head.seq),
            );
        }
        self.last_seq = Some(head.seq);
        Ok(Next::Head(line_no, head))
    }
}

/// Complete lines of a file, at most [`MAX_LINE_BYTES`] each; a torn last
/// line (an interrupted append) ends the file, a longer line is an error
/// reported as a malformed line by the caller (here: returned as is, too
/// long to parse).
struct Lines {
    path: PathBuf,
    reader: BufReader<File>,
    buf: Vec<u8>,
    line_no: u64,
}

impl Lines {
    fn open(path: &Path) -> Result<Lines> {
        let file =
            File::open(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        Ok(Lines {
            path: path.to_owned(),
            reader: BufReader::new(file),
            buf: Vec::new(),
            line_no: 0,
        })
    }

    /// The next complete line, without its `\n`; `None` at the end of the
    /// file or at a torn last line.
    fn next(&mut self) -> Result<Option<Vec<u8>>> {
        self.buf.clear();
        let limit = MAX_LINE_BYTES as u64 + 1;
        let read = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| Error::io(format!("reading {}", self.path.display()), e))?;
        if read == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        if self.buf.last() != Some(&b'\n') {
            if self.buf.len() as u64 >= limit {
                // Too long: skip to its end so that line numbers stay right,
                // and hand back what cannot parse.
                skip_line(&mut self.reader)
                    .map_err(|e| Error::io(format!("reading {}", self.path.display()), e))?;
                return Ok(Some(b"<line too long>".to_vec()));
            }
            return Ok(None);
        }
        self.buf.pop();
        Ok(Some(std::mem::take(&mut self.buf)))
    }
}

fn skip_line(reader: &mut impl BufRead) -> io::Result<()> {
    loop {
        let (done, used) = {
            let available = reader.fill_buf()?;
            if available.is_empty() {
                return Ok(());
            }
            match available.iter().position(|&b| b == b'\n') {
                Some(i) => (true, i + 1),
                None => (false, available.len()),
            }
        };
        reader.consume(used);
        if done {
            return Ok(());
        }
    }
}
