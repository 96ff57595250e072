//! The witness of an audit log (issue 26, point 3) on real files: every
//! checkpoint head is appended to it, and a log cut or rewritten together
//! with its checkpoints, even re-signed with the key, disagrees with it.

use std::path::PathBuf;

use ed25519_dalek::SigningKey;
use morph_capabilities::audit::{
    AuditEntry, AuditRecord, AuditSink, Checkpoint, CheckpointWriter, FileAuditLog, GENESIS_HASH,
    WitnessProblemKind, WitnessReport, verify, verify_witness,
};

use crate::audit::{read_lines, write_lines};

const RECORDS: u64 = 8;

fn entry(i: u64) -> AuditEntry {
    AuditEntry::host_change("ext", "vault.set", "run", format!("change {i}"))
}

struct Files {
    _dir: tempfile::TempDir,
    log: PathBuf,
    checkpoints: PathBuf,
    witness: PathBuf,
    key: SigningKey,
}

/// A log of [`RECORDS`] durable records, each checkpointed and witnessed.
fn witnessed() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let files = Files {
        log: dir.path().join("audit.log"),
        checkpoints: dir.path().join("audit.checkpoints"),
        witness: dir.path().join("witness"),
        key: SigningKey::from_bytes(&[4; 32]),
        _dir: dir,
    };
    let checkpoints = CheckpointWriter::open(&files.checkpoints, files.key.clone())
        .unwrap()
        .with_witness(&files.witness)
        .unwrap();
    assert_eq!(checkpoints.witness_path(), Some(files.witness.as_path()));
    let log = FileAuditLog::open(&files.log, checkpoints).unwrap();
    for i in 1..=RECORDS {
        log.append(entry(i)).unwrap();
    }
    files
}

fn check(files: &Files) -> WitnessReport {
    verify_witness(&files.log, &files.witness, &files.key.verifying_key()).unwrap()
}

fn log_and_checkpoints_verify(files: &Files) -> bool {
    let key = files.key.verifying_key();
    verify(&files.log, Some(&files.checkpoints), Some(&key))
        .unwrap()
        .is_ok()
}

#[test]
fn the_witness_holds_every_checkpoint_and_agrees_with_the_log() {
    let files = witnessed();
    assert_eq!(read_lines(&files.witness), read_lines(&files.checkpoints));
    let report = check(&files);
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.heads_checked, RECORDS);
    assert_eq!(report.last_witnessed_seq, RECORDS);
    assert_eq!(report.log_last_seq, RECORDS);
}

/// THREATS.md, "Audit": a log truncated together with its checkpoints is
/// caught by the witness.
#[test]
fn a_log_cut_together_with_its_checkpoints_is_truncated_against_the_witness() {
    let files = witnessed();
    let keep = 5;
    for path in [&files.log, &files.checkpoints] {
        let kept: Vec<String> = read_lines(path).into_iter().take(keep).collect();
        write_lines(path, &kept);
    }
    assert!(log_and_checkpoints_verify(&files), "consistent on its own");
    let problem = check(&files).problem.unwrap();
    assert_eq!(problem.kind, WitnessProblemKind::Truncated, "{problem}");
    assert_eq!((problem.line, problem.seq), (6, Some(6)), "{problem}");
}

/// THREATS.md, "Audit": a history rewritten and re-signed with the stolen key
/// is caught by the witness.
#[test]
fn a_history_re_signed_with_the_key_is_rewritten_against_the_witness() {
    let files = witnessed();
    let mut prev = GENESIS_HASH.to_owned();
    let mut hashes = Vec::new();
    let log: Vec<String> = read_lines(&files.log)
        .iter()
        .map(|line| {
            let mut record: AuditRecord = serde_json::from_str(line).unwrap();
            if record.seq >= 3 {
                record.entry.reason = Some("nothing happened".to_owned());
                record = AuditRecord::chain(record.seq, record.entry, &prev);
            }
            prev.clone_from(&record.hash);
            hashes.push(record.hash.clone());
            serde_json::to_string(&record).unwrap()
        })
        .collect();
    write_lines(&files.log, &log);
    let checkpoints: Vec<String> = hashes
        .iter()
        .zip(1..)
        .map(|(hash, seq)| {
            serde_json::to_string(&Checkpoint::sign(seq, hash, 1, &files.key)).unwrap()
        })
        .collect();
    write_lines(&files.checkpoints, &checkpoints);
    assert!(
        log_and_checkpoints_verify(&files),
        "re-signed: verifies alone"
    );

    let report = check(&files);
    let problem = report.problem.unwrap();
    assert_eq!(problem.kind, WitnessProblemKind::Rewritten, "{problem}");
    assert_eq!(problem.seq, Some(3), "{problem}");
    assert_eq!(report.heads_checked, 2);
}

#[test]
fn a_forged_or_foreign_witness_line_fails_its_signature() {
    let files = witnessed();
    let mut witness = read_lines(&files.witness);
    let mut head: Checkpoint = serde_json::from_str(&witness[3]).unwrap();
    head.ts_ms += 1;
    witness[3] = serde_json::to_string(&head).unwrap();
    write_lines(&files.witness, &witness);
    let problem = check(&files).problem.unwrap();
    assert_eq!(problem.kind, WitnessProblemKind::BadSignature, "{problem}");
    assert_eq!((problem.line, problem.seq), (4, Some(4)));

    // Checked with another key (the log's key file replaced): every head fails.
    let files = witnessed();
    let other = SigningKey::from_bytes(&[5; 32]).verifying_key();
    let report = verify_witness(&files.log, &files.witness, &other).unwrap();
    let problem = report.problem.unwrap();
    assert_eq!(problem.kind, WitnessProblemKind::BadSignature, "{problem}");
    assert_eq!(problem.line, 1);
}

#[test]
fn a_hostile_witness_is_named_not_a_panic() {
    let files = witnessed();
    let mut witness = read_lines(&files.witness);
    witness.insert(2, "x".repeat(2 * 1024 * 1024));
    write_lines(&files.witness, &witness);
    let problem = check(&files).problem.unwrap();
    assert_eq!(problem.kind, WitnessProblemKind::Malformed, "{problem}");
    assert_eq!(problem.line, 3);

    // Heads out of order.
    let files = witnessed();
    let mut witness = read_lines(&files.witness);
    witness.swap(1, 2);
    write_lines(&files.witness, &witness);
    let problem = check(&files).problem.unwrap();
    assert_eq!(problem.kind, WitnessProblemKind::BadSequence, "{problem}");

    // A torn last line is an interrupted append: ignored.
    let files = witnessed();
    let mut text = std::fs::read_to_string(&files.witness).unwrap();
    text.push_str(r#"{"seq":9,"ha"#);
    std::fs::write(&files.witness, text).unwrap();
    assert!(check(&files).is_ok());
}

#[test]
fn a_checkpoint_file_signed_by_another_key_is_not_reopened_with_a_new_one() {
    let files = witnessed();
    let other = SigningKey::from_bytes(&[6; 32]);
    let err = CheckpointWriter::open(&files.checkpoints, other).unwrap_err();
    assert!(err.to_string().contains("signed by key"), "{err}");
    CheckpointWriter::open(&files.checkpoints, files.key.clone()).unwrap();
}
