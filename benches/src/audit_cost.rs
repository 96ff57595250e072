//! What the audit log costs per capability call (`benches/audit.rs`): the
//! wasm test guest on one `Pooled` host per [`Policy`], each host writing the
//! real [`FileAuditLog`] (hash chain, `fdatasync`, a signed checkpoint after
//! every durable record) in a temporary dir on the disk, so that the
//! policies' figures differ only in which records are synced.
//!
//! The broker writes an *intent* durably ([`AuditSink::append`]) before a
//! call's effect and its *outcome* batched ([`AuditSink::append_batched`]:
//! written, synced with the next durable append); a call without an effect
//! writes one batched record. [`PolicySink`] keeps that ([`Policy::Now`]) or
//! replays an older policy on the same log, and counts the durable and
//! batched appends it forwards (each durable one is two `fdatasync`s: the
//! log's and the checkpoint's).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use morph_runtime_core::Isolation;
use morph_runtime_core::capabilities::Result;
use morph_runtime_core::capabilities::audit::{
    AuditEntry, AuditRecord, AuditSink, CHECKPOINTS_FILE, CheckpointWriter, FileAuditLog, LOG_FILE,
    load_or_create_signing_key,
};
use morph_testkit::TestServer;
use serde_json::{Value, json};

use crate::capability::{self, PERMISSIONS};
use crate::fixture::{self, Loaded};
use crate::ids::{CALL_HTTP_FETCH, CALL_VAULT_GET, ECHO};

/// The criterion group of `benches/audit.rs`.
pub const GROUP: &str = "audit";

/// The engine every audit figure runs on (the cost is the broker's, not the
/// engine's).
pub const ENGINE: &str = "wasmer";

/// `Host::execute(call, vault.set)`: a call with an effect that stays in the
/// host (SQLite, which syncs too).
pub const CALL_VAULT_SET: &str = "call vault.set";

/// The environment variable naming the directory the temporary data dirs go
/// in (default: the system's temporary dir). It must be on a real disk, not a
/// tmpfs, or `fdatasync` costs nothing.
pub const DIR_ENV: &str = "MORPH_BENCH_AUDIT_DIR";

/// Which records reach the disk before the append returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Today's: intents durable, outcomes and records of calls without an
    /// effect batched ([`FileAuditLog`] as the broker drives it).
    Now,
    /// Every record durable (`append_batched` calls `append`): the policy
    /// before intents, kept with today's two records per effect call.
    Before,
    /// The syncs of the code before intents, which wrote one durable record
    /// per call after the call: outcomes and records without an effect
    /// durable, intents batched (synced by their outcome's append). Two
    /// `fdatasync`s per call, like the old code, plus the intent's unsynced
    /// write. Weaker than [`Policy::Now`] (the intent is not durable before
    /// the effect): a cost reference only.
    OldSyncs,
}

impl Policy {
    /// Every policy, in the order the figures alternate.
    pub const ALL: [Policy; 3] = [Policy::Now, Policy::Before, Policy::OldSyncs];

    /// The label in a figure's id: `CASE (LABEL)`.
    pub fn label(self) -> &'static str {
        match self {
            Policy::Now => "now",
            Policy::Before => "before",
            Policy::OldSyncs => "old syncs",
        }
    }
}

/// An [`AuditSink`] that forwards to a [`FileAuditLog`] under a [`Policy`]
/// and counts the durable and batched appends it makes.
#[derive(Debug)]
pub struct PolicySink {
    log: FileAuditLog,
    policy: Policy,
    durable: AtomicU64,
    batched: AtomicU64,
}

impl PolicySink {
    /// `log` under `policy`.
    pub fn new(log: FileAuditLog, policy: Policy) -> PolicySink {
        PolicySink {
            log,
            policy,
            durable: AtomicU64::new(0),
            batched: AtomicU64::new(0),
        }
    }

    /// Durable and batched appends made so far.
    pub fn counts(&self) -> Appends {
        Appends {
            durable: self.durable.load(Ordering::Relaxed),
            batched: self.batched.load(Ordering::Relaxed),
        }
    }

    fn durable(&self, entry: AuditEntry) -> Result<AuditRecord> {
        self.durable.fetch_add(1, Ordering::Relaxed);
        self.log.append(entry)
    }

    fn batched(&self, entry: AuditEntry) -> Result<AuditRecord> {
        self.batched.fetch_add(1, Ordering::Relaxed);
        self.log.append_batched(entry)
    }
}

impl AuditSink for PolicySink {
    fn append(&self, entry: AuditEntry) -> Result<AuditRecord> {
        match self.policy {
            Policy::Now | Policy::Before => self.durable(entry),
            Policy::OldSyncs => self.batched(entry),
        }
    }

    fn append_batched(&self, entry: AuditEntry) -> Result<AuditRecord> {
        match self.policy {
            Policy::Now => self.batched(entry),
            Policy::Before | Policy::OldSyncs => self.durable(entry),
        }
    }

    fn flush(&self) -> Result<()> {
        self.log.flush()
    }

    fn free_bytes(&self) -> Option<u64> {
        self.log.free_bytes()
    }
}

/// Appends counted by a [`PolicySink`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Appends {
    /// Synced appends (two `fdatasync`s each: log and checkpoint).
    pub durable: u64,
    /// Unsynced appends.
    pub batched: u64,
}

impl Appends {
    /// What was appended between `before` and `self`.
    pub fn since(self, before: Appends) -> Appends {
        Appends {
            durable: self.durable - before.durable,
            batched: self.batched - before.batched,
        }
    }
}

/// The test guest loaded on [`ENGINE`] under `Pooled` with
/// [`PERMISSIONS`] (allowed to reach `server`), its host writing a real
/// audit log under `policy`, and that log's counting sink.
pub struct Audited {
    /// The policy of this host's log.
    pub policy: Policy,
    /// The guest and its host (the temporary dir is removed on drop).
    pub guest: Loaded,
    /// The host's audit sink.
    pub sink: Arc<PolicySink>,
}

/// Opens the audit log in `dir/data/audit` as the host would, its signing
/// key at `dir/audit.key` (outside the data dir).
///
/// # Panics
/// When the key or the log cannot be created.
pub fn open_log(dir: &Path) -> FileAuditLog {
    let audit = dir.join("data").join("audit");
    std::fs::create_dir_all(&audit).expect("create the audit dir");
    let key = load_or_create_signing_key(&dir.join("audit.key")).expect("the audit key");
    let checkpoints =
        CheckpointWriter::open(&audit.join(CHECKPOINTS_FILE), key).expect("the checkpoints");
    FileAuditLog::open(&audit.join(LOG_FILE), checkpoints).expect("the audit log")
}

/// Loads the guest for `policy` in a new temporary dir under `$`[`DIR_ENV`]
/// (or the system's temporary dir) and seeds the vault key `vault.get`
/// reads. Must run inside a tokio runtime.
///
/// # Panics
/// When the guest does not load or the seed fails.
pub async fn load(policy: Policy, server: &TestServer) -> Audited {
    let dir = match std::env::var_os(DIR_ENV) {
        Some(parent) => tempfile::tempdir_in(parent),
        None => tempfile::tempdir(),
    }
    .expect("a temporary dir");
    let sink = Arc::new(PolicySink::new(open_log(dir.path()), policy));
    let host = fixture::host_with_audit(
        &dir.path().join("data"),
        Some(dir.path().join("cache")),
        ENGINE,
        Isolation::Pooled,
        sink.clone(),
    );
    let pkg = fixture::write_package(dir.path(), &PERMISSIONS);
    fixture::allow_hosts(&pkg, &[&server.host()]);
    let id = host
        .load(&pkg, json!({}))
        .await
        .unwrap_or_else(|e| panic!("loading {}: {e}", pkg.display()));
    host.execute(&id, "call", capability::seed())
        .await
        .expect("seeding the vault");
    Audited {
        policy,
        guest: Loaded {
            dir,
            host: Arc::new(host),
            id,
        },
        sink,
    }
}

/// Each figure: its name, the guest action, and its params (`echo`, the
/// call without a capability, is the baseline).
pub fn cases(server: &TestServer) -> [(&'static str, &'static str, Value); 4] {
    [
        (ECHO, "echo", json!({"value": 1})),
        (
            CALL_VAULT_GET,
            "call",
            json!({"capability": "vault.get", "request": {"key": "k"}}),
        ),
        (CALL_VAULT_SET, "call", capability::seed()),
        (
            CALL_HTTP_FETCH,
            "call",
            json!({"capability": "http.fetch", "request": {"url": server.url("/bench")}}),
        ),
    ]
}

/// A figure's function id: `CASE (POLICY)`.
pub fn figure(case: &str, policy: Policy) -> String {
    format!("{case} ({})", policy.label())
}

/// The appends the record rule expects of one call of `case` under
/// `policy`: what [`check`] compares with the counted ones.
pub fn expected(case: &str, policy: Policy) -> Appends {
    let effect = matches!(case, CALL_VAULT_SET | CALL_HTTP_FETCH);
    let records = match case {
        ECHO => 0,
        _ if effect => 2,
        _ => 1,
    };
    let durable = match policy {
        Policy::Now => u64::from(effect),
        Policy::Before => records,
        Policy::OldSyncs => u64::from(records > 0),
    };
    Appends {
        durable,
        batched: records - durable,
    }
}

/// Runs `case` once on `audited`, checks its answer and the appends it made
/// against [`expected`], and returns them.
///
/// # Panics
/// When the answer or the appends are wrong.
pub fn check(
    rt: &tokio::runtime::Runtime,
    audited: &Audited,
    case: &str,
    action: &str,
    params: &Value,
) -> Appends {
    let before = audited.sink.counts();
    let out = crate::drive::execute_once(rt, &audited.guest, action, params);
    capability::check(case, &out);
    if case == CALL_VAULT_SET {
        assert!(!out.to_string().contains("error"), "vault.set: {out}");
    }
    let made = audited.sink.counts().since(before);
    assert_eq!(
        made,
        expected(case, audited.policy),
        "{case} under {}",
        audited.policy.label()
    );
    made
}
