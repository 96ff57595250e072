//! `morph audit [--verify [--witness PATH]]`: show the latest audit records,
//! or verify the chain and its signed checkpoints, and the log against its
//! witness kept outside the data dir, and name the first bad record.

use std::io::Write;

use morph_capabilities::Error;
use morph_capabilities::audit::{
    AuditRecord, CHECKPOINTS_FILE, LOG_FILE, VerifyReport, WitnessReport, read_latest,
    read_signing_key, verify, verify_witness,
};

use crate::args::AuditArgs;
use crate::data_dir::default_data_dir;
use crate::output::{EXIT_EXTENSION_FAILED, EXIT_OK, failure};

pub fn audit(args: &AuditArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let dir = args
        .data_dir
        .clone()
        .unwrap_or_else(default_data_dir)
        .join("audit");
    if args.public_key {
        return match read_signing_key(&dir) {
            Err(e) => failure(out, err, args.json, &e, &[]),
            Ok(key) => {
                let _ = writeln!(out, "{}", hex::encode(key.verifying_key().as_bytes()));
                EXIT_OK
            }
        };
    }
    if args.verify {
        return match verify_with(&dir, args.key.as_deref(), args.witness.as_deref()) {
            Err(e) => failure(out, err, args.json, &e, &[]),
            Ok((report, witness)) => {
                if args.json {
                    let mut doc = serde_json::to_value(&report).unwrap_or_default();
                    if let (Some(witness), Some(doc)) = (&witness, doc.as_object_mut()) {
                        doc.insert(
                            "witness".to_owned(),
                            serde_json::to_value(witness).unwrap_or_default(),
                        );
                    }
                    let _ = writeln!(
                        out,
                        "{}",
                        serde_json::to_string_pretty(&doc).unwrap_or_default()
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
                    for open in &report.open_intents {
                        let _ = writeln!(
                            out,
                            "effect may have happened: #{} {} of {} (call {}) has an intent \
                             and no outcome (the run was killed or the disk filled between them)",
                            open.seq, open.capability, open.extension, open.call_id
                        );
                    }
                }
                if !args.json
                    && let Some(witness) = &witness
                {
                    print_witness(out, witness);
                }
                if report.is_ok() && witness.as_ref().is_none_or(WitnessReport::is_ok) {
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

/// Verifies against the pinned key when given, else the log's key (kept
/// outside the data dir: it proves the chain, and who wrote it as long as the
/// key was not stolen or replaced; pin it, and keep a witness, for that), and
/// the log against its witness when one is given.
fn verify_with(
    dir: &std::path::Path,
    key: Option<&str>,
    witness: Option<&std::path::Path>,
) -> Result<(VerifyReport, Option<WitnessReport>), Error> {
    let key = match key {
        None => read_signing_key(dir)?.verifying_key(),
        Some(hex) => {
            let bytes: [u8; 32] = hex::decode(hex)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    Error::params("key", "must be 64 hex digits (an Ed25519 public key)")
                })?;
            ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .map_err(|e| Error::params("key", format!("not an Ed25519 public key: {e}")))?
        }
    };
    let log = dir.join(LOG_FILE);
    let report = verify(&log, Some(&dir.join(CHECKPOINTS_FILE)), Some(&key))?;
    let witness = match witness {
        Some(path) => Some(verify_witness(&log, path, &key)?),
        None => None,
    };
    Ok((report, witness))
}

/// The witness's verdict, after the log's.
fn print_witness(out: &mut dyn Write, witness: &WitnessReport) {
    let _ = match &witness.problem {
        Some(problem) => writeln!(out, "FAILED: {problem}"),
        None => writeln!(
            out,
            "witness ok: {} heads found in the log, the last at seq {} (the log ends at seq {}{})",
            witness.heads_checked,
            witness.last_witnessed_seq,
            witness.log_last_seq,
            if witness.log_last_seq > witness.last_witnessed_seq {
                ": later records are vouched for by the key alone"
            } else {
                ""
            }
        ),
    };
}

/// The last `limit` parseable records of the log.
fn latest(path: &std::path::Path, limit: usize) -> Result<Vec<AuditRecord>, Error> {
    read_latest(path, limit, |_| true)
}
