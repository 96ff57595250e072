//! The quarantine store on a real SQLite file: strikes within the window
//! quarantine, older ones do not count, state holds across processes
//! (connections), every transition is audited, and a transition whose audit
//! record cannot be written does not happen.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use morph_capabilities::audit::{AuditEntry, AuditRecord, AuditSink, Decision, MemoryAuditSink};
use morph_capabilities::quarantine::{
    ENABLE_RECORD, QUARANTINE_FILE, QUARANTINE_RECORD, REFRESH, Strike, is_strike, strike_code,
};
use morph_capabilities::{
    Error, ErrorCode, ExtensionIdentity, LimitKind, Quarantine, QuarantineConfig, Result,
};

fn identity(id: &str) -> ExtensionIdentity {
    ExtensionIdentity {
        id: id.to_owned(),
        version: "1.2.3".to_owned(),
        runtime: "js".to_owned(),
        manifest_digest: "0".repeat(64),
    }
}

fn config(strikes: u32, window: Duration) -> QuarantineConfig {
    QuarantineConfig { strikes, window }
}

fn open(path: &Path, config: QuarantineConfig) -> (Quarantine, Arc<MemoryAuditSink>) {
    let audit = Arc::new(MemoryAuditSink::new());
    (
        Quarantine::open(path, config, audit.clone()).unwrap(),
        audit,
    )
}

/// Records one strike of `id` ending in `code`.
fn strike(q: &Quarantine, id: &str, code: ErrorCode) -> Option<AuditRecord> {
    let who = identity(id);
    q.strike(&Strike {
        identity: &who,
        action: "spin",
        call_id: "call-1",
        code,
    })
    .unwrap()
    .map(|t| t.record)
}

#[test]
fn limits_crashes_and_internal_are_strikes_and_guest_errors_are_not() {
    let strikes: Vec<ErrorCode> = ErrorCode::ALL
        .into_iter()
        .filter(|c| is_strike(*c))
        .collect();
    assert_eq!(
        strikes,
        [
            ErrorCode::Timeout,
            ErrorCode::MemoryLimit,
            ErrorCode::StackOverflow,
            ErrorCode::OutputTooLarge,
            ErrorCode::GuestCrash,
            ErrorCode::Internal,
        ]
    );
    assert_eq!(
        strike_code(&Error::limit(LimitKind::Time, "slow")),
        Some(ErrorCode::Timeout)
    );
    assert_eq!(strike_code(&Error::guest("no")), None);
    assert_eq!(
        strike_code(&Error::limit(LimitKind::HttpRequests, "spent")),
        None,
        "rate_limited is the guest's to handle"
    );
    // An init counts by its cause.
    let init = |cause| Error::InitFailed(Box::new(cause));
    assert_eq!(
        strike_code(&init(Error::limit(LimitKind::Memory, "big"))),
        Some(ErrorCode::MemoryLimit)
    );
    assert_eq!(strike_code(&init(Error::guest("refused"))), None);
}

#[test]
fn the_nth_strike_within_the_window_quarantines_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let (q, audit) = open(
        &dir.path().join(QUARANTINE_FILE),
        config(3, Duration::from_secs(60)),
    );
    assert!(strike(&q, "spinner", ErrorCode::Timeout).is_none());
    assert!(strike(&q, "spinner", ErrorCode::GuestCrash).is_none());
    q.check("spinner").unwrap();
    assert!(
        audit.records().is_empty(),
        "strikes alone are not transitions"
    );

    let record =
        strike(&q, "spinner", ErrorCode::MemoryLimit).expect("the third strike quarantines");
    let err = q.check("spinner").unwrap_err();
    assert_eq!(err.code(), ErrorCode::ExtensionQuarantined);
    assert!(err.to_string().contains("morph enable spinner"), "{err}");
    q.check("other").unwrap();

    assert_eq!(record.entry.capability, QUARANTINE_RECORD);
    assert_eq!(record.entry.decision, Decision::Denied);
    assert_eq!(record.entry.outcome, "extension_quarantined");
    assert_eq!(record.entry.extension, "spinner");
    assert_eq!(record.entry.version, "1.2.3");
    assert_eq!(record.entry.call_id, "call-1");
    let reason = record.entry.reason.as_deref().unwrap();
    assert!(
        reason.contains("3 calls") && reason.contains("60 s"),
        "{reason}"
    );
    assert!(reason.contains("`memory_limit` in `spin`"), "{reason}");
    assert_eq!(audit.records(), vec![record]);

    let status = q.status("spinner").unwrap().unwrap();
    assert_eq!(status.code, "memory_limit");
    assert_eq!(status.strikes, 3);
    assert_eq!(
        status.since.len(),
        "2025-01-01T00:00:00Z".len(),
        "{status:?}"
    );
    assert_eq!(q.list().unwrap(), vec![status]);

    // Later strikes of a quarantined extension change nothing.
    assert!(strike(&q, "spinner", ErrorCode::Timeout).is_none());
    assert_eq!(audit.records().len(), 1);
}

#[test]
fn strikes_older_than_the_window_do_not_count() {
    let dir = tempfile::tempdir().unwrap();
    let (q, _) = open(
        &dir.path().join(QUARANTINE_FILE),
        config(2, Duration::from_millis(300)),
    );
    assert!(strike(&q, "slow", ErrorCode::Timeout).is_none());
    std::thread::sleep(Duration::from_millis(400));
    assert!(
        strike(&q, "slow", ErrorCode::Timeout).is_none(),
        "the first one expired"
    );
    assert!(strike(&q, "slow", ErrorCode::Timeout).is_some());
}

#[test]
fn strikes_and_quarantines_hold_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(QUARANTINE_FILE);
    let three = config(3, Duration::from_secs(60));
    {
        let (first, _) = open(&path, three);
        strike(&first, "crashy", ErrorCode::GuestCrash);
        strike(&first, "crashy", ErrorCode::GuestCrash);
    }
    // A new process (a new connection) counts on from there.
    let (second, _) = open(&path, three);
    assert!(strike(&second, "crashy", ErrorCode::GuestCrash).is_some());
    let (third, _) = open(&path, three);
    assert_eq!(
        third.check("crashy").unwrap_err().code(),
        ErrorCode::ExtensionQuarantined
    );
    let listed = Quarantine::list_at(&path).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].extension, "crashy");
}

#[test]
fn another_processs_transitions_reach_the_mirror_within_the_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(QUARANTINE_FILE);
    let one = config(1, Duration::from_secs(60));
    let (server, _) = open(&path, one);
    let (cli, _) = open(&path, one);
    server.check("shared").unwrap();
    assert!(strike(&cli, "shared", ErrorCode::Timeout).is_some());
    std::thread::sleep(REFRESH + Duration::from_millis(200));
    assert_eq!(
        server.check("shared").unwrap_err().code(),
        ErrorCode::ExtensionQuarantined
    );
    assert!(cli.enable("shared").unwrap().is_some());
    std::thread::sleep(REFRESH + Duration::from_millis(200));
    server.check("shared").unwrap();
}

#[test]
fn enable_lifts_the_quarantine_audited_and_forgets_the_strikes() {
    let dir = tempfile::tempdir().unwrap();
    let (q, audit) = open(
        &dir.path().join(QUARANTINE_FILE),
        config(2, Duration::from_secs(60)),
    );
    assert!(q.enable("never-held").unwrap().is_none());
    assert!(
        audit.records().is_empty(),
        "nothing lifted, nothing audited"
    );

    strike(&q, "flaky", ErrorCode::Timeout);
    strike(&q, "flaky", ErrorCode::Timeout).expect("quarantined");
    let lifted = q.enable("flaky").unwrap().expect("it was quarantined");
    q.check("flaky").unwrap();
    assert!(q.list().unwrap().is_empty());
    assert_eq!(lifted.status.extension, "flaky");
    let record = &lifted.record;
    assert_eq!(record.entry.capability, ENABLE_RECORD);
    assert_eq!(record.entry.decision, Decision::Allowed);
    assert_eq!(record.entry.outcome, "ok");
    assert!(
        record
            .entry
            .reason
            .as_deref()
            .unwrap()
            .contains(&lifted.status.since),
        "{record:?}"
    );
    let kinds: Vec<String> = audit
        .records()
        .into_iter()
        .map(|r| r.entry.capability)
        .collect();
    assert_eq!(kinds, [QUARANTINE_RECORD, ENABLE_RECORD]);

    // The strikes before the quarantine are gone: one more is not enough.
    assert!(strike(&q, "flaky", ErrorCode::Timeout).is_none());
    // Enabling an extension with strikes but no quarantine forgets them.
    assert!(q.enable("flaky").unwrap().is_none());
    assert!(strike(&q, "flaky", ErrorCode::Timeout).is_none());
}

#[test]
fn a_disabled_quarantine_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (q, audit) = open(
        &dir.path().join(QUARANTINE_FILE),
        QuarantineConfig::disabled(),
    );
    for _ in 0..20 {
        assert!(strike(&q, "wild", ErrorCode::GuestCrash).is_none());
    }
    q.check("wild").unwrap();
    assert!(audit.records().is_empty());
}

#[test]
fn the_default_is_five_strikes_within_sixty_seconds() {
    let d = QuarantineConfig::default();
    assert_eq!((d.strikes, d.window), (5, Duration::from_secs(60)));
    let audit = Arc::new(MemoryAuditSink::new());
    let q = Quarantine::in_memory(d, audit).unwrap();
    for _ in 0..4 {
        assert!(strike(&q, "mem", ErrorCode::StackOverflow).is_none());
    }
    assert!(strike(&q, "mem", ErrorCode::StackOverflow).is_some());
    assert!(q.check("mem").is_err());
}

#[test]
fn listing_a_data_dir_without_a_quarantine_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent").join(QUARANTINE_FILE);
    assert!(Quarantine::list_at(&path).unwrap().is_empty());
    assert!(!dir.path().join("absent").exists());
}

/// An audit sink whose disk is gone.
struct Broken;

impl AuditSink for Broken {
    fn append(&self, _entry: AuditEntry) -> Result<AuditRecord> {
        Err(Error::io("appending", std::io::Error::other("disk gone")))
    }
}

#[test]
fn a_transition_whose_audit_record_cannot_be_written_does_not_happen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(QUARANTINE_FILE);
    let q = Quarantine::open(&path, config(1, Duration::from_secs(60)), Arc::new(Broken)).unwrap();
    let who = identity("unrecorded");
    let err = q
        .strike(&Strike {
            identity: &who,
            action: "spin",
            call_id: "c",
            code: ErrorCode::Timeout,
        })
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Io);
    q.check("unrecorded").unwrap();
    assert!(Quarantine::list_at(&path).unwrap().is_empty());

    // Held in the store (by a host whose log works), it cannot be lifted
    // unrecorded either.
    let (working, _) = open(&path, config(1, Duration::from_secs(60)));
    assert!(strike(&working, "unrecorded", ErrorCode::Timeout).is_some());
    assert_eq!(q.enable("unrecorded").unwrap_err().code(), ErrorCode::Io);
    assert_eq!(Quarantine::list_at(&path).unwrap().len(), 1);
}
