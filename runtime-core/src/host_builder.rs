//! `HostBuilder`: one-shot construction of a [`Host`].
//!
//! Long-lived choices (where state lives, which providers, which policy,
//! which runtimes, which audit sink) are fixed here and cannot change under a
//! running host.

use std::path::PathBuf;
use std::sync::Arc;

use morph_capabilities::audit::{AuditSink, FileAuditLog};
use morph_capabilities::quarantine::QUARANTINE_FILE;
use morph_capabilities::{
    CapabilityBroker, Error, HostPolicy, Providers, Quarantine, QuarantineConfig, Result,
};

use crate::host::{Host, HostParts};
use crate::ownership::Ownership;
use crate::package::ArchiveOpener;
use crate::registry::RuntimeRegistry;
use crate::runtime::{LoadOptions, MorphRuntime};

/// Builds a [`Host`]. See [`Host::builder`].
#[derive(Default)]
pub struct HostBuilder {
    data_dir: Option<PathBuf>,
    providers: Option<Providers>,
    policy: HostPolicy,
    runtimes: Vec<Arc<dyn MorphRuntime>>,
    without_linked: bool,
    audit: Option<Arc<dyn AuditSink>>,
    options: LoadOptions,
    archives: Option<Arc<dyn ArchiveOpener>>,
    process: Option<Arc<dyn MorphRuntime>>,
    quarantine: QuarantineConfig,
    audit_reserve: Option<u64>,
}

impl HostBuilder {
    /// Where the host keeps its state: `morph.db` (vault, tasks), `files/`,
    /// `audit/`, `quarantine.db`. Required unless both providers and an
    /// audit sink are given (the quarantine is then kept in memory).
    pub fn with_data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Replaces the default providers.
    pub fn with_providers(mut self, providers: Providers) -> Self {
        self.providers = Some(providers);
        self
    }

    /// Narrows every manifest's grants (a user's revocations).
    pub fn with_policy(mut self, policy: HostPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Registers a runtime by hand (it wins over a linked one of the same kind).
    pub fn with_runtime(mut self, runtime: Arc<dyn MorphRuntime>) -> Self {
        self.runtimes.push(runtime);
        self
    }

    /// Ignores the runtimes registered at link time.
    pub fn without_linked_runtimes(mut self) -> Self {
        self.without_linked = true;
        self
    }

    /// Replaces the default audit log (`<data dir>/audit/audit.log`).
    pub fn with_audit_sink(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(sink);
        self
    }

    /// Options passed to every load (isolation, engine).
    pub fn with_load_options(mut self, options: LoadOptions) -> Self {
        self.options = options;
        self
    }

    /// Lets [`Host::load`] open sealed archives (`.morph` files) through
    /// `opener`, which verifies them first. Without one, every archive is
    /// refused with `invalid_package`.
    pub fn with_archive_opener(mut self, opener: Arc<dyn ArchiveOpener>) -> Self {
        self.archives = Some(opener);
        self
    }

    /// Lets loads with `Isolation::Process` run in worker processes through
    /// `tier` (the `morph-process` crate's `ProcessRuntime`). Without one,
    /// such loads are refused with `runtime_unavailable`.
    pub fn with_process_isolation(mut self, tier: Arc<dyn MorphRuntime>) -> Self {
        self.process = Some(tier);
        self
    }

    /// When an extension is quarantined: [`QuarantineConfig::strikes`] calls
    /// ending in a limit violation or a crash within
    /// [`QuarantineConfig::window`] (default 5 within 60 s;
    /// [`QuarantineConfig::disabled`] never quarantines).
    pub fn with_quarantine(mut self, config: QuarantineConfig) -> Self {
        self.quarantine = config;
        self
    }

    /// Keeps `bytes` free on the audit log's volume: below it, capability
    /// calls with an effect are refused (`io`, audited), never records
    /// (default [`morph_capabilities::DEFAULT_AUDIT_RESERVE_BYTES`]; 0 turns
    /// the check off).
    pub fn with_audit_reserve(mut self, bytes: u64) -> Self {
        self.audit_reserve = Some(bytes);
        self
    }

    /// Builds the host.
    ///
    /// # Errors
    /// `internal` when neither a data dir nor providers and audit sink were
    /// given; `io` when the data dir, the databases or the audit log cannot
    /// be opened.
    pub fn build(self) -> Result<Host> {
        let missing = || {
            Error::internal("HostBuilder needs with_data_dir (or both providers and an audit sink)")
        };
        let providers = match self.providers {
            Some(p) => p,
            None => Providers::open(self.data_dir.as_deref().ok_or_else(missing)?)?,
        };
        let audit: Arc<dyn AuditSink> = match self.audit {
            Some(a) => a,
            None => {
                let dir = self.data_dir.as_deref().ok_or_else(missing)?.join("audit");
                Arc::new(FileAuditLog::open_in(&dir)?)
            }
        };
        let mut registry = if self.without_linked {
            RuntimeRegistry::empty()
        } else {
            RuntimeRegistry::linked()
        };
        for runtime in self.runtimes {
            registry.register(runtime);
        }
        let quarantine = Arc::new(match &self.data_dir {
            Some(dir) => {
                Quarantine::open(&dir.join(QUARANTINE_FILE), self.quarantine, audit.clone())?
            }
            None => Quarantine::in_memory(self.quarantine, audit.clone())?,
        });
        let mut broker = CapabilityBroker::new(providers, audit);
        if let Some(bytes) = self.audit_reserve {
            broker = broker.with_audit_reserve(bytes);
        }
        let broker = Arc::new(broker);
        let ownership = Ownership::new(self.data_dir.map(|d| d.join("extensions.json")));
        Ok(Host::from_parts(HostParts {
            broker,
            ownership,
            registry,
            policy: self.policy,
            options: self.options,
            archives: self.archives,
            process: self.process,
            quarantine,
        }))
    }
}
