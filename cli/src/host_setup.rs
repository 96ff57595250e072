//! The host a command runs guests on, from [`HostArgs`]: engine and
//! isolation, the quarantine, the audit reserve, the process tier. Shared by
//! `morph run`, `morph serve` and `morph mcp`.

use morph_runtime_core::capabilities::QuarantineConfig;
use morph_runtime_core::{Error, Host, HostBuilder, Isolation, LoadOptions};

use crate::args::{EngineArg, HostArgs, IsolationArg};

impl HostArgs {
    /// A host builder with these choices (the data dir, policy and archive
    /// opener are the command's).
    ///
    /// # Errors
    /// `runtime_unavailable` when the process tier is asked for and the
    /// executable cannot be found.
    pub fn builder(&self) -> Result<HostBuilder, Error> {
        let options = LoadOptions {
            isolation: self.isolation.map(|i| match i {
                IsolationArg::PerCall => Isolation::PerCall,
                IsolationArg::Pooled => Isolation::Pooled,
                IsolationArg::Process => Isolation::Process,
            }),
            engine: self.engine.map(|e| {
                match e {
                    EngineArg::Wasmer => "wasmer",
                    EngineArg::Wasmi => "wasmi",
                }
                .to_owned()
            }),
        };
        let mut builder = Host::builder()
            .with_load_options(options)
            .with_quarantine(QuarantineConfig {
                strikes: self.quarantine_strikes,
                window: std::time::Duration::from_secs(self.quarantine_window),
            })
            .with_audit_reserve(self.audit_reserve_mb.saturating_mul(1024 * 1024));
        if self.isolation == Some(IsolationArg::Process) {
            builder = builder.with_process_isolation(crate::process_tier()?);
        }
        Ok(builder)
    }
}
