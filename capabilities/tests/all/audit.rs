//! The durable audit log on a real file: every tampering THREATS.md lists is
//! caught and named, a crash mid-append leaves a log that verifies, and a call
//! whose record cannot be written fails.

use std::num::NonZeroU64;
use std::path::Path;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use morph_capabilities::audit::{
    AuditEntry, AuditFile, AuditRecord, AuditSink, CHECKPOINTS_FILE, Checkpoint, CheckpointWriter,
    Decision, FileAuditLog, GENESIS_HASH, LOG_FILE, Phase, ProblemKind, VerifyReport, key_id,
    read_signing_key, signing_key_path, verify, verify_in,
};
use morph_capabilities::{CapabilityBroker, Error, ErrorCode, Permission, Providers};
use serde_json::json;

use crate::support;

const RECORDS: u64 = 10;

fn entry(i: u64) -> AuditEntry {
    AuditEntry {
        ts_ms: 1_700_000_000_000 + i,
        extension: "ext".to_owned(),
        version: "1.0.0".to_owned(),
        runtime: "test".to_owned(),
        action: "run".to_owned(),
        call_id: format!("call-{i}"),
        capability: "config".to_owned(),
        decision: Decision::Allowed,
        outcome: "ok".to_owned(),
        reason: None,
        duration_us: 10 * i,
        phase: None,
        request_digest: None,
        intent_seq: None,
        caller: None,
        code_run: None,
    }
}

/// A log of [`RECORDS`] records in a fresh directory.
fn filled() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let log = FileAuditLog::open_in(dir.path()).unwrap();
    for i in 1..=RECORDS {
        let record = log.append(entry(i)).unwrap();
        assert_eq!(record.seq, i);
    }
    dir
}

pub(crate) fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

pub(crate) fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

/// Edits the log's lines with `f`, then verifies it.
fn tamper(dir: &Path, f: impl FnOnce(&mut Vec<String>)) -> VerifyReport {
    let path = dir.join(LOG_FILE);
    let mut lines = read_lines(&path);
    f(&mut lines);
    write_lines(&path, &lines);
    verify_in(dir).unwrap()
}

/// Asserts the first problem is `kind` at log line `line` about `seq`.
fn assert_problem(report: &VerifyReport, kind: ProblemKind, line: u64, seq: u64) {
    let problem = report.problem.as_ref().unwrap_or_else(|| {
        panic!("expected {kind}, the log verified: {report:?}");
    });
    assert_eq!(
        (problem.kind, problem.file, problem.line, problem.seq),
        (kind, AuditFile::Log, line, Some(seq)),
        "{problem}"
    );
    assert!(!report.is_ok());
}

#[test]
fn an_untouched_log_verifies() {
    let dir = filled();
    let report = verify_in(dir.path()).unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.records, RECORDS);
    assert_eq!(report.checkpoints_checked, RECORDS);
    assert!(report.signatures_checked);
    assert!(!report.torn_tail);

    let log = FileAuditLog::open_in(dir.path()).unwrap();
    assert_eq!(log.head(), (RECORDS, report.last_hash.clone()));

    // The report is what `morph audit --verify --json` prints.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["records"], json!(RECORDS));
    assert_eq!(json["problem"], json!(null));
}

/// THREATS.md, "Audit": edit, delete, reorder, replay: the verifier names the
/// first bad record (edit).
#[test]
fn an_edited_record_is_named() {
    let dir = filled();
    let report = tamper(dir.path(), |lines| {
        lines[3] = lines[3].replace(r#""outcome":"ok""#, r#""outcome":"permission_denied""#);
    });
    assert_problem(&report, ProblemKind::BadHash, 4, 4);
    assert_eq!(report.records, 3);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["problem"]["kind"], json!("bad_hash"));
}

#[test]
fn a_removed_record_breaks_the_chain() {
    let dir = filled();
    let report = tamper(dir.path(), |lines| {
        lines.remove(4);
    });
    assert_problem(&report, ProblemKind::BrokenChain, 5, 6);
}

#[test]
fn swapped_records_break_the_chain() {
    let dir = filled();
    let report = tamper(dir.path(), |lines| lines.swap(2, 3));
    assert_problem(&report, ProblemKind::BrokenChain, 3, 4);
}

/// THREATS.md, "Audit": edit, delete, reorder, replay: the verifier names the
/// first bad record (replay).
#[test]
fn a_replayed_record_is_named() {
    let dir = filled();
    let report = tamper(dir.path(), |lines| {
        let copy = lines[5].clone();
        lines.insert(6, copy);
    });
    assert_problem(&report, ProblemKind::Replayed, 7, 6);

    let dir = filled();
    let report = tamper(dir.path(), |lines| {
        let copy = lines[1].clone();
        lines.push(copy);
    });
    assert_problem(&report, ProblemKind::Replayed, 11, 2);
}

/// THREATS.md, "Audit": truncating the tail is caught by signed checkpoints
/// kept apart from the log.
#[test]
fn a_truncated_tail_is_caught_by_the_checkpoints() {
    let dir = filled();
    let report = tamper(dir.path(), |lines| lines.truncate(lines.len() - 3));
    assert_problem(&report, ProblemKind::Truncated, 8, 8);
    assert_eq!(report.records, 7);

    // The chain alone cannot see it: that is what the checkpoints are for.
    let chain_only = verify(&dir.path().join(LOG_FILE), None, None).unwrap();
    assert!(chain_only.is_ok());
}

/// What an attacker without the key can do: edit record 4 and recompute the
/// hash of every record from there on, so the chain is self-consistent.
fn recompute_from_record_4(dir: &Path) {
    let path = dir.join(LOG_FILE);
    let mut prev = GENESIS_HASH.to_owned();
    let mut out = Vec::new();
    for line in read_lines(&path) {
        let mut record: AuditRecord = serde_json::from_str(&line).unwrap();
        if record.seq == 4 {
            record.entry.outcome = "permission_denied".to_owned();
        }
        let record = AuditRecord::chain(record.seq, record.entry, &prev);
        prev.clone_from(&record.hash);
        out.push(serde_json::to_string(&record).unwrap());
    }
    write_lines(&path, &out);
}

/// THREATS.md, "Audit": recomputing the whole chain is caught by signed
/// checkpoints kept apart from the log.
#[test]
fn a_recomputed_chain_is_caught_by_the_checkpoints() {
    let dir = filled();
    recompute_from_record_4(dir.path());
    let chain_only = verify(&dir.path().join(LOG_FILE), None, None).unwrap();
    assert!(chain_only.is_ok(), "the forged chain is self-consistent");

    let report = verify_in(dir.path()).unwrap();
    assert_problem(&report, ProblemKind::CheckpointMismatch, 4, 4);
    assert_eq!(report.checkpoints_checked, 3);
}

#[test]
fn a_forged_checkpoint_signature_is_caught() {
    let dir = filled();
    recompute_from_record_4(dir.path());
    let real = read_signing_key(dir.path()).unwrap();
    let forger = SigningKey::from_bytes(&[7; 32]);

    // The attacker re-signs the checkpoints of the recomputed chain with their
    // own key, claiming the real key's id.
    let cp_path = dir.path().join(CHECKPOINTS_FILE);
    let log_lines = read_lines(&dir.path().join(LOG_FILE));
    let mut cps = read_lines(&cp_path);
    for (cp_line, log_line) in cps.iter_mut().zip(&log_lines).skip(3) {
        let record: AuditRecord = serde_json::from_str(log_line).unwrap();
        let mut cp = Checkpoint::sign(record.seq, &record.hash, 1, &forger);
        cp.key_id = key_id(&real.verifying_key());
        *cp_line = serde_json::to_string(&cp).unwrap();
    }
    write_lines(&cp_path, &cps);

    let report = verify_in(dir.path()).unwrap();
    let problem = report.problem.unwrap();
    assert_eq!(
        (problem.kind, problem.file, problem.line, problem.seq),
        (
            ProblemKind::BadSignature,
            AuditFile::Checkpoints,
            4,
            Some(4)
        ),
        "{problem}"
    );

    // A genuine checkpoint whose hash was altered fails its signature too.
    let dir = filled();
    let cp_path = dir.path().join(CHECKPOINTS_FILE);
    let mut cps = read_lines(&cp_path);
    let mut cp: Checkpoint = serde_json::from_str(&cps[5]).unwrap();
    cp.hash = "ab".repeat(32);
    cps[5] = serde_json::to_string(&cp).unwrap();
    write_lines(&cp_path, &cps);
    let problem = verify_in(dir.path()).unwrap().problem.unwrap();
    assert_eq!(
        (problem.kind, problem.line, problem.seq),
        (ProblemKind::BadSignature, 6, Some(6))
    );
}

/// THREATS.md, "Audit": a crash mid-append leaves a log that verifies up to the
/// last committed record.
#[test]
fn a_torn_last_line_verifies_and_is_cut_on_reopen() {
    let dir = filled();
    let path = dir.path().join(LOG_FILE);
    let whole = std::fs::read(&path).unwrap();
    let head = verify_in(dir.path()).unwrap().last_hash;

    // A crash mid-append: part of an 11th record, no newline.
    let record = AuditRecord::chain(RECORDS + 1, entry(RECORDS + 1), &head);
    let line = serde_json::to_vec(&record).unwrap();
    let mut torn = whole.clone();
    torn.extend_from_slice(&line[..line.len() / 2]);
    std::fs::write(&path, &torn).unwrap();

    let report = verify_in(dir.path()).unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert!(report.torn_tail);
    assert_eq!(
        (report.records, report.last_hash.as_str()),
        (RECORDS, head.as_str())
    );

    let log = FileAuditLog::open_in(dir.path()).unwrap();
    assert_eq!(log.torn_bytes_cut(), (line.len() / 2) as u64);
    assert_eq!(std::fs::read(&path).unwrap(), whole);
    assert_eq!(log.head(), (RECORDS, head.clone()));
    let next = log.append(entry(RECORDS + 1)).unwrap();
    assert_eq!(
        (next.seq, next.prev_hash.as_str()),
        (RECORDS + 1, head.as_str())
    );

    let report = verify_in(dir.path()).unwrap();
    assert!(report.is_ok() && !report.torn_tail, "{report:?}");
    assert_eq!(report.records, RECORDS + 1);
}

#[test]
fn an_append_fails_when_the_log_file_is_replaced_and_the_chain_does_not_move() {
    let dir = filled();
    let log = FileAuditLog::open_in(dir.path()).unwrap();
    let head = log.head();
    let path = dir.path().join(LOG_FILE);
    let aside = dir.path().join("audit.log.aside");

    // A directory where the log was.
    std::fs::rename(&path, &aside).unwrap();
    std::fs::create_dir(&path).unwrap();
    let err = log.append(entry(11)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Io, "{err}");
    assert_eq!(log.head(), head);

    // No file at all where the log was.
    std::fs::remove_dir(&path).unwrap();
    let err = log.append(entry(11)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Io, "{err}");
    assert_eq!(log.head(), head);

    // The file comes back: the chain resumes where it stood.
    std::fs::rename(&aside, &path).unwrap();
    let record = log.append(entry(11)).unwrap();
    assert_eq!(
        (record.seq, record.prev_hash.as_str()),
        (11, head.1.as_str())
    );
    let report = verify_in(dir.path()).unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.records, 11);
}

#[test]
fn an_append_fails_when_someone_else_wrote_to_the_log() {
    let dir = filled();
    let log = FileAuditLog::open_in(dir.path()).unwrap();
    let path = dir.path().join(LOG_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"forged\":true}\n");
    std::fs::write(&path, bytes).unwrap();
    let err = log.append(entry(11)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Io, "{err}");
    assert_eq!(log.head().0, RECORDS);
}

#[test]
fn writers_sharing_a_log_append_one_unbroken_chain() {
    // Each writer opens the log on its own (as two processes on one data
    // dir do: the advisory lock is per open file), all append at once.
    const WRITERS: u64 = 4;
    const EACH: u64 = 25;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let log = FileAuditLog::open_in(&path).unwrap();
                for i in 0..EACH {
                    log.append(entry(w * 1000 + i)).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let report = verify_in(dir.path()).unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.records, WRITERS * EACH);
    assert_eq!(report.checkpoints_checked, WRITERS * EACH);
    // A writer opened before the others appended catches up.
    let late = FileAuditLog::open_in(dir.path()).unwrap();
    let record = late.append(entry(9999)).unwrap();
    assert_eq!(record.seq, WRITERS * EACH + 1);
}

/// THREATS.md, "Audit": a crash mid-append leaves a log that verifies up to the
/// last committed record.
#[test]
fn a_writer_that_died_mid_append_leaves_a_tail_the_next_one_cuts() {
    let dir = filled();
    let survivor = FileAuditLog::open_in(dir.path()).unwrap();
    // Another writer crashed halfway through a line.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join(LOG_FILE))
        .unwrap();
    std::io::Write::write_all(&mut file, b"{\"seq\":11,\"ts_ms\":17").unwrap();
    drop(file);
    let report = verify_in(dir.path()).unwrap();
    assert!(report.is_ok() && report.torn_tail, "{report:?}");
    assert_eq!(report.records, RECORDS);
    // The next append, by a writer opened before the crash, cuts the torn
    // line and goes on from the last complete record.
    assert_eq!(survivor.append(entry(11)).unwrap().seq, RECORDS + 1);
    let report = verify_in(dir.path()).unwrap();
    assert!(report.is_ok() && !report.torn_tail, "{report:?}");
    assert_eq!(report.records, RECORDS + 1);
}

#[cfg(unix)]
#[test]
fn the_signing_key_is_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = filled();
    // Kept outside the data dir (issue 26, point 3): see audit_witness.rs.
    let mode = std::fs::metadata(signing_key_path(dir.path()).unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn checkpoints_every_n_records() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::from_bytes(&[3; 32]);
    let public = key.verifying_key();
    let cp_path = dir.path().join("cp");
    let log_path = dir.path().join("log");
    let checkpoints = CheckpointWriter::open(&cp_path, key)
        .unwrap()
        .with_interval(NonZeroU64::new(3).unwrap());
    let log = FileAuditLog::open(&log_path, checkpoints).unwrap();
    for i in 1..=RECORDS {
        log.append(entry(i)).unwrap();
    }
    let report = verify(&log_path, Some(&cp_path), Some(&public)).unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.checkpoints_checked, 3); // seq 3, 6, 9

    log.checkpoint().unwrap(); // seq 10, e.g. at shutdown
    log.checkpoint().unwrap(); // already checkpointed: nothing written
    let report = verify(&log_path, Some(&cp_path), Some(&public)).unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.checkpoints_checked, 4);
}

#[tokio::test]
async fn a_capability_call_through_the_broker_is_logged_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let audit_dir = dir.path().join("audit");
    let log = FileAuditLog::open_in(&audit_dir).unwrap();
    let providers = Providers::open(&dir.path().join("data")).unwrap();
    let broker = CapabilityBroker::new(providers, Arc::new(log));
    let ctx = support::ctx("ext", &[]);

    let config = broker.invoke(&ctx, "config", json!({})).await.unwrap();
    assert_eq!(config, json!({"greeting": "hi"}));

    let report = verify_in(&audit_dir).unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.records, 1);
    let record: AuditRecord =
        serde_json::from_str(&read_lines(&audit_dir.join(LOG_FILE))[0]).unwrap();
    assert_eq!(
        (
            record.entry.capability.as_str(),
            record.entry.extension.as_str(),
            record.entry.call_id.as_str(),
            record.entry.decision,
        ),
        ("config", "ext", ctx.call_id(), Decision::Allowed)
    );
    assert_eq!(ctx.audit_records(), vec![record]);
}

/// A sink whose disk is gone.
struct FailingSink;

impl AuditSink for FailingSink {
    fn append(&self, _entry: AuditEntry) -> morph_capabilities::Result<AuditRecord> {
        Err(Error::io(
            "appending to the audit log",
            std::io::Error::other("disk full"),
        ))
    }
}

/// THREATS.md, "Audit": if an audit record cannot be written, the capability
/// call fails rather than going unlogged.
#[tokio::test]
async fn a_capability_call_fails_when_its_audit_record_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let providers = Providers::open(dir.path()).unwrap();
    let broker = CapabilityBroker::new(providers, Arc::new(FailingSink));
    let ctx = support::ctx("ext", &[]);
    let err = broker.invoke(&ctx, "config", json!({})).await.unwrap_err();
    assert!(err.to_string().contains("audit"), "{err}");
    assert!(ctx.audit_records().is_empty());
}

/// A broker on real providers in `dir`, auditing into `sink`.
fn broker_auditing_into(dir: &Path, sink: Arc<dyn AuditSink>) -> CapabilityBroker {
    CapabilityBroker::new(Providers::open(&dir.join("data")).unwrap(), sink)
}

/// The log of `dir/audit` with durable appends (intents) refused: its disk
/// is full for a record that must be synced.
struct NoIntents(FileAuditLog);

impl AuditSink for NoIntents {
    fn append(&self, _entry: AuditEntry) -> morph_capabilities::Result<AuditRecord> {
        Err(Error::io(
            "appending to the audit log",
            std::io::Error::other("disk full"),
        ))
    }
    fn append_batched(&self, entry: AuditEntry) -> morph_capabilities::Result<AuditRecord> {
        self.0.append_batched(entry)
    }
}

/// The log of `dir/audit` that takes the intent, then fails every later
/// record: the disk filled between an intent and its outcome.
struct LosesOutcomes(FileAuditLog);

impl AuditSink for LosesOutcomes {
    fn append(&self, entry: AuditEntry) -> morph_capabilities::Result<AuditRecord> {
        self.0.append(entry)
    }
    fn append_batched(&self, _entry: AuditEntry) -> morph_capabilities::Result<AuditRecord> {
        Err(Error::io(
            "appending to the audit log",
            std::io::Error::other("disk full"),
        ))
    }
}

/// Issue 26, point 1. THREATS.md, "Audit": if an audit record cannot be
/// written, the capability call fails rather than going unlogged, and an
/// effect never happens before its record: when the intent cannot be made
/// durable, the file is not written; calls without an effect still run.
#[tokio::test]
async fn an_effect_happens_only_after_its_intent_is_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let log = FileAuditLog::open_in(&dir.path().join("audit")).unwrap();
    let broker = broker_auditing_into(dir.path(), Arc::new(NoIntents(log)));
    let ctx = support::ctx("ext", &[Permission::FsWrite, Permission::FsRead]);
    let err = broker
        .invoke(&ctx, "fs.write", json!({"path": "a.txt", "content": "x"}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Io);
    assert!(
        err.to_string().contains("intent; nothing was done"),
        "{err}"
    );
    assert!(!dir.path().join("data/files/ext/a.txt").exists());
    // The failed attempt is itself recorded (records are batched): no
    // intent, the `io` outcome.
    let records = ctx.audit_records();
    assert_eq!(records.len(), 1);
    assert_eq!(
        (records[0].entry.phase, records[0].entry.outcome.as_str()),
        (None, "io")
    );
    // A read has no effect: its one record is batched, and it runs.
    let listed = broker.invoke(&ctx, "fs.list", json!({})).await.unwrap();
    assert_eq!(listed, json!({"entries": []}));
    assert_eq!(ctx.audit_records()[1].entry.phase, None);
}

/// Issue 26, point 1: an intent whose outcome could not be written (a full
/// disk, a kill) verifies, and the report names it as an effect that may
/// have happened.
#[tokio::test]
async fn an_intent_without_its_outcome_is_an_effect_that_may_have_happened() {
    let dir = tempfile::tempdir().unwrap();
    let audit_dir = dir.path().join("audit");
    let log = FileAuditLog::open_in(&audit_dir).unwrap();
    let broker = broker_auditing_into(dir.path(), Arc::new(LosesOutcomes(log)));
    let ctx = support::ctx("ext", &[Permission::FsWrite]);
    let err = broker
        .invoke(&ctx, "fs.write", json!({"path": "a.txt", "content": "x"}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Io, "{err}");
    let written: Vec<_> = walk(dir.path());
    assert!(
        dir.path().join("data/files/ext/a.txt").exists(),
        "it happened: {err} {written:?}"
    );
    drop(broker);
    let report = verify_in(&audit_dir).unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.open_intents_total, 1);
    let open = &report.open_intents[0];
    assert_eq!(
        (
            open.capability.as_str(),
            open.extension.as_str(),
            open.call_id.as_str()
        ),
        ("fs.write", "ext", ctx.call_id())
    );
}

/// Issue 26, point 1: the records of a call with an effect (an intent with
/// the request's digest, then an outcome naming it) and of one without (a
/// single record); a vault value never shapes the digest.
#[tokio::test]
async fn effects_have_an_intent_and_an_outcome_and_reads_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let audit_dir = dir.path().join("audit");
    let log = Arc::new(FileAuditLog::open_in(&audit_dir).unwrap());
    let broker = broker_auditing_into(dir.path(), log.clone());
    let ctx = support::ctx("ext", &[Permission::VaultWrite, Permission::VaultRead]);
    for value in ["first-secret", "second-secret"] {
        let set = json!({"key": "token", "value": value});
        broker.invoke(&ctx, "vault.set", set).await.unwrap();
    }
    broker
        .invoke(&ctx, "vault.get", json!({"key": "token"}))
        .await
        .unwrap();
    let records = ctx.audit_records();
    let phases: Vec<_> = records.iter().map(|r| r.entry.phase).collect();
    assert_eq!(
        phases,
        [
            Some(Phase::Intent),
            Some(Phase::Outcome),
            Some(Phase::Intent),
            Some(Phase::Outcome),
            None
        ]
    );
    assert_eq!(records[1].entry.intent_seq, Some(records[0].seq));
    assert_eq!(records[1].entry.outcome, "ok");
    assert_eq!(
        records[0].entry.request_digest, records[2].entry.request_digest,
        "the value is left out of the digest"
    );
    log.flush().unwrap();
    let text = std::fs::read_to_string(audit_dir.join(LOG_FILE)).unwrap();
    assert!(!text.contains("secret"));
    let report = verify_in(&audit_dir).unwrap();
    assert!(
        report.is_ok() && report.open_intents.is_empty(),
        "{report:?}"
    );
    // Intents checkpoint (seq 1, 3); the flush checkpoints the batched head (5).
    assert_eq!(report.checkpoints_checked, 3);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}
