//! `morph audit [--verify]`: show the latest audit records, or verify the
//! chain and its signed checkpoints and name the first bad record.

use std::io::{BufRead, BufReader, Read, Write};

use morph_capabilities::Error;
use morph_capabilities::audit::{
    AuditRecord, CHECKPOINTS_FILE, KEY_FILE, LOG_FILE, VerifyReport, load_signing_key, verify,
    verify_in,
};

use crate::args::AuditArgs;
use crate::data_dir::default_data_dir;
use crate::output::{EXIT_EXTENSION_FAILED, EXIT_OK, failure};

/// Longest line `morph audit` reads back (records are far smaller).
const MAX_LINE_BYTES: u64 = 64 * 1024;

pub fn audit(args: &AuditArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let dir = args
        .data_dir
        .clone()
        .unwrap_or_else(default_data_dir)
        .join("audit");
    if args.public_key {
        return match load_signing_key(&dir.join(KEY_FILE)) {
            Err(e) => failure(out, err, args.json, &e, &[]),
            Ok(key) => {
                let _ = writeln!(out, "{}", hex::encode(key.verifying_key().as_bytes()));
                EXIT_OK
            }
        };
    }
    if args.verify {
        return match verify_with(&dir, args.key.as_deref()) {
            Err(e) => failure(out, err, args.json, &e, &[]),
            Ok(report) => {
                if args.json {
                    let _ = writeln!(
                        out,
                        "{}",
                        serde_json::to_string_pretty(&report).unwrap_or_default()
                    );
                } else if let Some(problem) = &report.problem {
                    let _ = writeln!(out, "FAILED: {problem}");
                } else {
                    let _ = writeln!(
                        out,
                        "ok: {} records, {} checkpoints checked{}",
                        report.records,
                        report.checkpoints_checked,
                        if report.torn_tail {
                            "; the tail was cut: an append was interrupted (a crash or a kill \
                             mid-write) and its incomplete last line is not a record; the next \
                             append removes it and the chain goes on"
                        } else {
                            ""
                        }
                    );
                }
                if report.is_ok() {
                    EXIT_OK
                } else {
                    EXIT_EXTENSION_FAILED
                }
            }
        };
    }
    match latest(&dir.join(LOG_FILE), args.limit) {
        Err(e) => failure(out, err, args.json, &e, &[]),
        Ok(records) => {
            if args.json {
                let _ = writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&records).unwrap_or_default()
                );
            } else {
                for r in &records {
                    let e = &r.entry;
                    let _ = writeln!(
                        out,
                        "#{:<6} {} {}@{} {:<18} {:<8} {:<18} {}",
                        r.seq,
                        e.call_id,
                        e.extension,
                        e.version,
                        e.capability,
                        serde_json::to_value(e.decision)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                        e.outcome,
                        e.action
                    );
                }
            }
            EXIT_OK
        }
    }
}

/// Verifies against the pinned key when given, else the key beside the log
/// (which proves the chain but not who wrote it: pin the key for that).
fn verify_with(dir: &std::path::Path, key: Option<&str>) -> Result<VerifyReport, Error> {
    let Some(hex) = key else {
        return verify_in(dir);
    };
    let bytes: [u8; 32] = hex::decode(hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::params("key", "must be 64 hex digits (an Ed25519 public key)"))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
        .map_err(|e| Error::params("key", format!("not an Ed25519 public key: {e}")))?;
    verify(
        &dir.join(LOG_FILE),
        Some(&dir.join(CHECKPOINTS_FILE)),
        Some(&key),
    )
}

/// The last `limit` parseable records of the log.
fn latest(path: &std::path::Path, limit: usize) -> Result<Vec<AuditRecord>, Error> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let mut reader = BufReader::new(file);
    let mut records = std::collections::VecDeque::with_capacity(limit.min(1024));
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        if let Ok(record) = serde_json::from_slice::<AuditRecord>(&line) {
            if records.len() == limit {
                records.pop_front();
            }
            if limit > 0 {
                records.push_back(record);
            }
        }
    }
    Ok(records.into())
}
