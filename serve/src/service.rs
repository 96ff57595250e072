//! `Service`: one host over one data dir, kept in step with what is
//! installed, with the token and approval stores, metrics and events. The
//! HTTP API and the MCP server are two faces of it; **every call goes
//! through [`Service::execute`]**, so both record the caller, count the
//! metrics and obey the same host.
//!
//! Installed extensions load at start and again whenever the install store
//! changes (an install through the API at once; one by `morph install` in
//! another process within [`WATCH_INTERVAL`]), each **with no more than the
//! permissions approved at install** (the host policy revokes the rest)
//! and only while its archive is still the one approved.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use morph_capabilities::audit::{AuditEntry, AuditRecord, LOG_FILE};
use morph_capabilities::{Error, ErrorCode, PermissionSet, Result};
use morph_package::oci::{Reference, RegistryClient};
use morph_package::{InstallStore, InstalledRecord, Limits, PackageOpener, TrustPolicy};
use morph_runtime_core::{CallOptions, Execution, Host, HostBuilder};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::approvals::ApprovalStore;
use crate::code_runs::CodeRuns;
use crate::events::ServerEvent;
use crate::install::{diff_digest, needs_approval, permission_diff, record_json};
use crate::metrics::Metrics;
use crate::tokens::TokenStore;
use morph_runtime_core::code::{
    CodePolicy, CodePolicyOverride, CodeRequest, CodeRun, CodeRunStore,
};

/// How often the install store is checked for changes made elsewhere.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// Where a service keeps and finds its state.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The data dir (installs, vault, tasks, audit log, tokens, approvals).
    pub data_dir: PathBuf,
    /// The trust store (default `<data dir>/trust`).
    pub trust_dir: Option<PathBuf>,
    /// How long OCI pulls may take.
    pub registry_deadline: Duration,
    /// How long an approval request waits for a person, and an approval
    /// for its call.
    pub approval_ttl: Duration,
    /// The limits of code runs (`POST /v1/code`, the MCP `run_code` tool).
    pub code_policy: CodePolicy,
}

impl ServiceConfig {
    /// Defaults for `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> ServiceConfig {
        ServiceConfig {
            data_dir: data_dir.into(),
            trust_dir: None,
            registry_deadline: Duration::from_secs(300),
            approval_ttl: crate::approvals::DEFAULT_TTL,
            code_policy: CodePolicy::default(),
        }
    }
}

/// One installed extension as the service holds it.
#[derive(Debug, Clone)]
struct Installed {
    record: InstalledRecord,
    /// `None` when loaded; the error when it could not be.
    load_error: Option<(String, String)>,
}

/// What an install through the service did, or what it needs.
#[derive(Debug)]
pub enum InstallOutcome {
    /// Installed (or already installed exactly so).
    Installed {
        /// The record written.
        record: Box<InstalledRecord>,
        /// The permission diff that was approved.
        diff: Value,
    },
    /// Nothing installed: a person must approve `diff` by sending `digest`.
    NeedsApproval {
        /// What the package would be granted beyond what is installed.
        diff: Value,
        /// What the approval field must carry.
        digest: String,
    },
}

/// The service. Cheap to share behind an `Arc`.
pub struct Service {
    config: ServiceConfig,
    host: Host,
    trust: TrustPolicy,
    store: InstallStore,
    tokens: TokenStore,
    approvals: ApprovalStore,
    code_runs: Arc<CodeRuns>,
    metrics: Metrics,
    events: broadcast::Sender<ServerEvent>,
    installed: RwLock<BTreeMap<String, Installed>>,
    /// Serialises syncs; holds what the last one saw.
    synced: tokio::sync::Mutex<Vec<(String, String)>>,
    started: Instant,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("data_dir", &self.config.data_dir)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// Builds the host from `builder` (given the data dir here) and loads
    /// every installed extension.
    ///
    /// # Errors
    /// What building the host, opening the trust store or the token and
    /// approval stores fails with. An extension that fails to load does not
    /// stop the service: it is listed with its error.
    pub async fn start(config: ServiceConfig, builder: HostBuilder) -> Result<Arc<Service>> {
        let data_dir = config.data_dir.clone();
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| Error::io(format!("creating {}", data_dir.display()), e))?;
        let trust_dir = config
            .trust_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("trust"));
        let trust = TrustPolicy::new(morph_package::TrustStore::open(trust_dir)?);
        let host = builder.with_data_dir(&data_dir).build()?;
        let (events, _) = broadcast::channel(1024);
        let code_runs = Arc::new(
            CodeRuns::open_in(
                &data_dir,
                config.approval_ttl,
                host.broker().audit_sink().clone(),
            )?
            .with_events(events.clone()),
        );
        let service = Arc::new(Service {
            code_runs,
            store: InstallStore::new(&data_dir),
            tokens: TokenStore::open_in(&data_dir)?,
            approvals: ApprovalStore::open_in(&data_dir)?.with_ttl(config.approval_ttl),
            config,
            host,
            trust,
            metrics: Metrics::default(),
            events,
            installed: RwLock::new(BTreeMap::new()),
            synced: tokio::sync::Mutex::new(Vec::new()),
            started: Instant::now(),
        });
        service.sync().await?;
        Ok(service)
    }

    /// The host every call runs on.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The data dir.
    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// The bearer tokens.
    pub fn tokens(&self) -> &TokenStore {
        &self.tokens
    }

    /// The approvals queue.
    pub fn approvals(&self) -> &ApprovalStore {
        &self.approvals
    }

    /// Subscribes to the server's events.
    pub fn subscribe(&self) -> broadcast::Receiver<ServerEvent> {
        self.events.subscribe()
    }

    /// Publishes `event` (no subscriber is fine).
    pub fn publish(&self, event: ServerEvent) {
        let _ = self.events.send(event);
    }

    /// Seconds since start.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Brings the host in step with the install store: loads what is new or
    /// changed, unloads what was removed. Returns whether anything changed.
    ///
    /// # Errors
    /// `io` when the install store cannot be read.
    pub async fn sync(&self) -> Result<bool> {
        let mut synced = self.synced.lock().await;
        let records = self.store.list()?;
        let seen: Vec<(String, String)> = records
            .iter()
            .map(|r| (r.id.clone(), r.digest.clone()))
            .collect();
        if *synced == seen {
            return Ok(false);
        }
        let before: BTreeMap<String, String> = synced.iter().cloned().collect();
        let now: BTreeMap<&str, &InstalledRecord> =
            records.iter().map(|r| (r.id.as_str(), r)).collect();
        for id in before.keys() {
            if !now.contains_key(id.as_str()) {
                let _ = self.host.unload(id);
                write(&self.installed).remove(id);
                self.publish(ServerEvent::Removed {
                    extension: id.clone(),
                });
            }
        }
        for record in &records {
            if before.get(&record.id) == Some(&record.digest) {
                continue;
            }
            let load_error = self.load(record).await.err().map(|e| {
                let wire = e.to_wire();
                (wire.code.as_str().to_owned(), wire.message)
            });
            self.publish(match &load_error {
                None => ServerEvent::Installed {
                    extension: record.id.clone(),
                    version: record.version.clone(),
                },
                Some((code, _)) => ServerEvent::LoadFailed {
                    extension: record.id.clone(),
                    code: code.clone(),
                },
            });
            write(&self.installed).insert(
                record.id.clone(),
                Installed {
                    record: record.clone(),
                    load_error,
                },
            );
        }
        *synced = seen;
        self.publish(ServerEvent::ToolsChanged);
        Ok(true)
    }

    /// Loads one installed extension under its approval.
    async fn load(&self, record: &InstalledRecord) -> Result<()> {
        let _ = self.host.unload(&record.id);
        let revoked: PermissionSet = record.unapproved().into_iter().collect();
        self.host.update_policy(|policy| {
            policy.set_revoked(&record.id, revoked);
        });
        // An extension installed unsigned was approved so, explicitly.
        let policy = self
            .trust
            .clone()
            .allow_unsigned(record.publisher.is_none());
        let opener = PackageOpener::new(policy);
        let verified = record.open_verified(&opener, &self.store.package_path(&record.id))?;
        self.host.load_package(&verified.package, json!({})).await?;
        Ok(())
    }

    /// Checks the install store now and then until the service is dropped.
    pub fn spawn_watch(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(WATCH_INTERVAL).await;
                let Some(service) = weak.upgrade() else {
                    return;
                };
                if let Err(e) = service.sync().await {
                    tracing::warn!("reading the installed extensions: {e}");
                }
            }
        })
    }

    /// Every installed extension with its state, by id.
    pub fn extensions(&self) -> Vec<Value> {
        read(&self.installed)
            .values()
            .map(|i| {
                let mut doc = record_json(&i.record);
                doc["state"] = json!(self.state(&i.record.id, i.load_error.as_ref()));
                if let Some(rt) = self.host.runtime_of(&i.record.id) {
                    doc["runtime"] = json!(rt.id);
                }
                if let Some((code, message)) = &i.load_error {
                    doc["load_error"] = json!({"code": code, "message": message});
                }
                doc
            })
            .collect()
    }

    /// What `morph inspect` shows for installed extension `id`, under the
    /// grants it runs with, and its state.
    pub fn extension(&self, id: &str) -> Option<Value> {
        let installed = read(&self.installed).get(id).cloned()?;
        let mut doc = match (
            self.host.manifest(id),
            self.host.grants(id),
            self.host.identity(id),
        ) {
            (Some(m), Some(g), Some(identity)) => {
                morph_runtime_core::describe(&m, &identity.manifest_digest, &g)
            }
            _ => json!({"extension_id": id, "version": installed.record.version}),
        };
        doc["installed"] = record_json(&installed.record);
        doc["state"] = json!(self.state(id, installed.load_error.as_ref()));
        if let Ok(Some(q)) = self.host.quarantine().status(id) {
            doc["quarantine"] = json!(q);
        }
        if let Some((code, message)) = &installed.load_error {
            doc["load_error"] = json!({"code": code, "message": message});
        }
        Some(doc)
    }

    fn state(&self, id: &str, load_error: Option<&(String, String)>) -> &'static str {
        if self.host.quarantine().check(id).is_err() {
            "quarantined"
        } else if load_error.is_some() {
            "failed"
        } else {
            "enabled"
        }
    }

    /// Runs `action` of `id` for `caller`: the call every face of the
    /// server makes. Counted in the metrics and published as an event.
    pub async fn execute(
        &self,
        id: &str,
        action: &str,
        params: Value,
        caller: &str,
        cancel: Option<CancellationToken>,
    ) -> Execution {
        let started = Instant::now();
        let options = CallOptions {
            caller: Some(caller.to_owned()),
            cancel,
            code_run: None,
        };
        let mut execution = self.host.execute_with(id, action, params, options).await;
        if matches!(&execution.result, Err(e) if e.code() == ErrorCode::Cancelled) {
            // The call as a whole, in the log: who cancelled what, when.
            let entry = AuditEntry {
                call_id: execution.call_id.clone(),
                outcome: ErrorCode::Cancelled.as_str().to_owned(),
                caller: Some(caller.to_owned()),
                ..AuditEntry::host_change(
                    id,
                    "host.cancel",
                    action,
                    format!("{caller} cancelled the call; the guest was stopped"),
                )
            };
            match self.host.broker().audit_sink().append_batched(entry) {
                Ok(record) => execution.audit.push(record),
                Err(e) => tracing::warn!("recording a cancelled call: {e}"),
            }
        }
        let outcome = match &execution.result {
            Ok(_) => "ok",
            Err(e) => e.code().as_str(),
        };
        let elapsed = started.elapsed();
        if let Some(rt) = self.host.runtime_of(id) {
            self.metrics
                .record_call(id, &rt.id, outcome, elapsed, &execution.audit);
        }
        // Built only for someone to receive it (sending with no subscriber
        // drops it anyway): the hot path allocates nothing for it.
        if self.events.receiver_count() > 0 {
            self.publish(ServerEvent::Call {
                call_id: execution.call_id.clone(),
                extension: id.to_owned(),
                action: action.to_owned(),
                caller: caller.to_owned(),
                outcome: outcome.to_owned(),
                duration_us: u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            });
        }
        execution
    }

    /// The code policy of a caller whose own limits are `limits` (a
    /// token's): the server's, with each limit `limits` sets replaced.
    pub fn code_policy(&self, limits: &CodePolicyOverride) -> CodePolicy {
        limits.apply(self.config.code_policy)
    }

    /// Runs a program in code mode (see `morph_runtime_core::code`): the
    /// data dir's code runs keep its tool calls and its approvals. Published
    /// as a call event of `code-run`. Its policy comes from
    /// [`Service::code_policy`].
    pub async fn run_code(&self, request: CodeRequest) -> CodeRun {
        let started = Instant::now();
        let caller = request.caller.clone().unwrap_or_else(|| "app".to_owned());
        let store: Arc<dyn CodeRunStore> = self.code_runs.clone();
        let run = self.host.run_code(request, Some(store)).await;
        self.publish(ServerEvent::Call {
            call_id: run.run_id.clone(),
            extension: "code-run".to_owned(),
            action: "run".to_owned(),
            caller,
            outcome: match &run.result {
                Ok(_) => "ok".to_owned(),
                Err(e) => e.code().as_str().to_owned(),
            },
            duration_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        });
        run
    }

    /// The code runs of this data dir.
    pub fn code_runs(&self) -> &Arc<CodeRuns> {
        &self.code_runs
    }

    /// Verifies the `.morph` bytes `bytes` from `source` and installs them
    /// when `approve` carries the digest of their permission diff (or no
    /// approval is needed). Recorded in the audit log as `host.install` by
    /// `by`.
    ///
    /// # Errors
    /// What `morph install` refuses (`invalid_package`, `signature_invalid`,
    /// `unsigned_package`, `untrusted_publisher`, ...); `io`.
    pub async fn install(
        &self,
        bytes: Vec<u8>,
        source: &str,
        approve: Option<&str>,
        allow_downgrade: bool,
        by: &str,
    ) -> Result<InstallOutcome> {
        let plan = self.store.plan(
            bytes,
            source,
            &self.trust,
            &Limits::default(),
            allow_downgrade,
        )?;
        let diff = permission_diff(&plan);
        let digest = diff_digest(&diff);
        if needs_approval(&plan) && approve != Some(digest.as_str()) {
            return Ok(InstallOutcome::NeedsApproval { diff, digest });
        }
        let id = plan.manifest().extension_id.clone();
        self.audit_change(
            &id,
            "host.install",
            by,
            format!(
                "installing {} (approved diff {digest})",
                plan.record().digest
            ),
        )?;
        let record = plan.commit()?;
        self.sync().await?;
        Ok(InstallOutcome::Installed {
            record: Box::new(record),
            diff,
        })
    }

    /// Pulls `reference` from its OCI registry, then as [`Service::install`].
    ///
    /// # Errors
    /// `invalid_params` for a bad reference; what pulling and installing
    /// fail with.
    pub async fn install_reference(
        &self,
        reference: &str,
        approve: Option<&str>,
        allow_downgrade: bool,
        by: &str,
    ) -> Result<InstallOutcome> {
        let parsed: Reference = reference.parse().map_err(|_| {
            Error::params(
                "reference",
                format!("`{reference}` is not an OCI reference (REGISTRY/REPO:TAG)"),
            )
        })?;
        let pulled = RegistryClient::new()?
            .with_deadline(self.config.registry_deadline)
            .pull(&parsed)
            .await?;
        self.install(pulled.archive, reference, approve, allow_downgrade, by)
            .await
    }

    /// Uninstalls `id` (its vault, tasks and files stay).
    ///
    /// # Errors
    /// `unknown_extension`; `io`.
    pub async fn remove(&self, id: &str, by: &str) -> Result<InstalledRecord> {
        if self.store.get(id)?.is_none() {
            return Err(Error::UnknownExtension { id: id.to_owned() });
        }
        self.audit_change(id, "host.remove", by, format!("removing {id}"))?;
        let record = self.store.remove(id)?;
        self.sync().await?;
        Ok(record)
    }

    /// Stores `value` under `key` in the vault of `id` (bound to `hosts`
    /// when given). The value never comes back from the server.
    ///
    /// # Errors
    /// `unknown_extension` when `id` is not installed; `invalid_params`;
    /// `io`.
    pub async fn vault_set(
        &self,
        id: &str,
        key: &str,
        value: &str,
        hosts: Option<Vec<morph_capabilities::HostPattern>>,
        by: &str,
    ) -> Result<AuditRecord> {
        if self.store.get(id)?.is_none() {
            return Err(Error::UnknownExtension { id: id.to_owned() });
        }
        let store = morph_capabilities::providers::SqliteStore::open_in(self.data_dir())?;
        let bound = hosts
            .as_ref()
            .map(|h| h.iter().map(ToString::to_string).collect::<Vec<_>>());
        store.vault_set_bound(id, key, value, hosts).await?;
        self.audit_change(
            id,
            "host.vault.set",
            by,
            match bound {
                Some(hosts) => format!("`{key}` set, bound to {}", hosts.join(", ")),
                None => format!("`{key}` set, not bound to hosts"),
            },
        )
    }

    /// A person's decision on approval `id`, audited, published.
    ///
    /// # Errors
    /// As [`crate::approvals::decide_audited`].
    pub fn decide_approval(&self, id: &str, approve: bool, by: &str) -> Result<crate::Approval> {
        let approval = crate::approvals::decide_audited(
            &self.approvals,
            self.host.broker().audit_sink().as_ref(),
            id,
            approve,
            by,
        )?;
        self.publish(ServerEvent::Approval {
            id: id.to_owned(),
            state: approval.state.as_str().to_owned(),
        });
        Ok(approval)
    }

    /// Records a change an operator made, as `by`.
    ///
    /// # Errors
    /// `io` when the record cannot be written (then the change must not
    /// happen).
    pub fn audit_change(
        &self,
        extension: &str,
        capability: &str,
        by: &str,
        reason: String,
    ) -> Result<AuditRecord> {
        let entry = AuditEntry {
            caller: Some(by.to_owned()),
            ..AuditEntry::host_change(extension, capability, capability, reason)
        };
        self.host.broker().audit_sink().append(entry)
    }

    /// The last `limit` audit records that `keep` accepts.
    ///
    /// # Errors
    /// `io`.
    pub fn audit(
        &self,
        limit: usize,
        keep: impl Fn(&AuditRecord) -> bool,
    ) -> Result<Vec<AuditRecord>> {
        self.host.broker().flush_audit()?;
        morph_capabilities::audit::read_latest(
            &self.data_dir().join("audit").join(LOG_FILE),
            limit,
            keep,
        )
    }

    /// Checks the audit log's chain and checkpoints.
    ///
    /// # Errors
    /// `io`.
    pub fn verify_audit(&self) -> Result<morph_capabilities::audit::VerifyReport> {
        self.host.broker().flush_audit()?;
        morph_capabilities::audit::verify_in(&self.data_dir().join("audit"))
    }

    /// The Prometheus text of `GET /metrics`.
    pub fn metrics_text(&self) -> String {
        let loaded = self.host.extensions().len() as u64;
        self.metrics.render(&[
            (
                "morph_extensions_loaded",
                "Installed extensions loaded and ready.",
                loaded,
            ),
            (
                "morph_worker_threads",
                "Worker threads alive (warm sessions of every in-process runtime).",
                morph_runtime_core::workers::live_worker_threads() as u64,
            ),
            (
                "morph_worker_processes",
                "Worker processes alive (--isolation process).",
                morph_runtime_core::workers::live_worker_processes() as u64,
            ),
            (
                "morph_uptime_seconds",
                "Seconds since the server started.",
                self.uptime().as_secs(),
            ),
        ])
    }

    /// Syncs the audit log (graceful shutdown).
    ///
    /// # Errors
    /// `io`.
    pub fn flush(&self) -> Result<()> {
        self.host.broker().flush_audit()
    }
}

/// `lock` read, whether or not a holder panicked.
pub(crate) fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `lock` written, whether or not a holder panicked.
pub(crate) fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
