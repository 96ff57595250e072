//! Resource limits: their defaults, their sane ranges, and validation.
//!
//! One meaning for every runtime (brief section 6): the same numbers from the
//! same manifest govern wasm, JS and Python. **A limit is never zero and never
//! absurd**: `ResourceLimits::validate` refuses both, naming the field.
//!
//! Three limits budget compilation and so only mean something where there is
//! a module to compile (wasm): `max_module_kb`, `max_functions` and
//! `max_compile_ms`. A wasm load past them fails with `invalid_package`
//! naming the field, before anything is compiled for the first two
//! (`runtime-wasm/README.md` says how each engine enforces them and why the
//! defaults are what they are). JS and Python read source, not modules, and
//! ignore them.
//!
//! Five limits are **quotas**: what one extension may keep in the data dir
//! (`max_files`, `max_storage_mb`, `max_tasks`, `max_vault_entries`,
//! summed over every call and every process on the data dir) and how many
//! events one call may emit (`max_events`; events are broadcast, not
//! stored, so their cap is per call). The provider checks a quota **before
//! the effect**, in the same lock or transaction as the write, and refuses
//! with `quota_exceeded` (audited as denied); a write that grows nothing
//! (a replacement no larger than the file it replaces, a vault key set
//! again, an update of a task) is never refused. A host can lower every
//! quota for every extension ([`crate::HostPolicy::cap_quota`]).

use std::time::Duration;

use crate::error::{Error, QuotaKind, Result};

/// The limits that govern one extension's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResourceLimits {
    /// Guest heap cap in MiB (`memory_limit`).
    pub max_memory_mb: u64,
    /// Wall clock for a whole call, host calls included, in ms (`timeout`).
    pub max_execution_ms: u64,
    /// HTTP requests per call, redirect hops included (`rate_limited`).
    pub max_http_requests: u32,
    /// Largest file the extension may read or write, in MiB.
    pub max_file_size_mb: u64,
    /// Result plus logs per call, in KiB (`output_too_large`).
    pub max_output_kb: u64,
    /// Largest wasm module loaded, in KiB (`invalid_package` at load).
    pub max_module_kb: u64,
    /// Most functions (imported and defined) in a wasm module
    /// (`invalid_package` at load).
    pub max_functions: u32,
    /// Wall clock for compiling a wasm module, in ms (`invalid_package` at
    /// load).
    pub max_compile_ms: u64,
    /// Entries (files and directories) the extension may keep in its
    /// directory (`quota_exceeded`).
    pub max_files: u64,
    /// Total bytes of the extension's files, in MiB (`quota_exceeded`).
    pub max_storage_mb: u64,
    /// Tasks the extension may keep (`quota_exceeded`).
    pub max_tasks: u64,
    /// Vault keys the extension may keep (`quota_exceeded`).
    pub max_vault_entries: u64,
    /// Events emitted per call (`quota_exceeded`).
    pub max_events: u32,
}

/// One limit's allowed range, used by validation and by `morph inspect`.
#[derive(Debug, Clone, Copy)]
pub struct LimitRange {
    /// Manifest field name.
    pub field: &'static str,
    /// Smallest accepted value.
    pub min: u64,
    /// Largest accepted value.
    pub max: u64,
    /// Default when the manifest omits it.
    pub default: u64,
    /// What it limits, for humans.
    pub explain: &'static str,
}

/// The accepted range of every limit.
pub const LIMIT_RANGES: [LimitRange; 13] = [
    LimitRange {
        field: "max_memory_mb",
        min: 1,
        max: 4096,
        default: 128,
        explain: "guest heap, in MiB; exceeding it ends the call with memory_limit",
    },
    LimitRange {
        field: "max_execution_ms",
        min: 1,
        max: 3_600_000,
        default: 30_000,
        explain: "wall clock per call, host calls included; exceeding it ends the call with timeout",
    },
    LimitRange {
        field: "max_http_requests",
        min: 1,
        max: 100_000,
        default: 100,
        explain: "HTTP requests per call, redirects included; more are refused with rate_limited",
    },
    LimitRange {
        field: "max_file_size_mb",
        min: 1,
        max: 4096,
        default: 10,
        explain: "largest file read or written, in MiB",
    },
    LimitRange {
        field: "max_output_kb",
        min: 1,
        max: 65_536,
        default: 1024,
        explain: "result plus logs per call, in KiB; more ends the call with output_too_large",
    },
    LimitRange {
        field: "max_module_kb",
        min: 1,
        // The largest file a package may hold (MAX_PACKAGE_FILE_BYTES).
        max: 65_536,
        default: 16_384,
        explain: "largest wasm module, in KiB; a bigger one fails the load with invalid_package before it is compiled",
    },
    LimitRange {
        field: "max_functions",
        min: 1,
        // wasmparser's own implementation limit.
        max: 1_000_000,
        default: 50_000,
        explain: "most functions in a wasm module; more fail the load with invalid_package before it is compiled",
    },
    LimitRange {
        field: "max_compile_ms",
        min: 1_000,
        max: 600_000,
        default: 30_000,
        explain: "wall clock for compiling a wasm module; longer fails the load with invalid_package (cached modules do not compile again)",
    },
    LimitRange {
        field: "max_files",
        min: 1,
        // Each write counts the directory: at most this many entries.
        max: 100_000,
        default: 1_000,
        explain: "files and directories the extension keeps in its directory; a write past it is refused with quota_exceeded",
    },
    LimitRange {
        field: "max_storage_mb",
        min: 1,
        max: 65_536,
        default: 100,
        explain: "total size of the extension's files, in MiB; a write past it is refused with quota_exceeded",
    },
    LimitRange {
        field: "max_tasks",
        min: 1,
        max: 1_000_000,
        default: 10_000,
        explain: "tasks the extension keeps; creating one past it is refused with quota_exceeded",
    },
    LimitRange {
        field: "max_vault_entries",
        min: 1,
        max: 100_000,
        default: 1_000,
        explain: "vault keys the extension keeps; setting a new key past it is refused with quota_exceeded",
    },
    LimitRange {
        field: "max_events",
        min: 1,
        // One call makes at most CallContext::MAX_CAPABILITY_CALLS invocations.
        max: 10_000,
        default: 1_000,
        explain: "events emitted per call (they are broadcast, not stored); more are refused with quota_exceeded",
    },
];

impl Default for ResourceLimits {
    fn default() -> Self {
        ResourceLimits {
            max_memory_mb: LIMIT_RANGES[0].default,
            max_execution_ms: LIMIT_RANGES[1].default,
            max_http_requests: LIMIT_RANGES[2].default as u32,
            max_file_size_mb: LIMIT_RANGES[3].default,
            max_output_kb: LIMIT_RANGES[4].default,
            max_module_kb: LIMIT_RANGES[5].default,
            max_functions: LIMIT_RANGES[6].default as u32,
            max_compile_ms: LIMIT_RANGES[7].default,
            max_files: LIMIT_RANGES[8].default,
            max_storage_mb: LIMIT_RANGES[9].default,
            max_tasks: LIMIT_RANGES[10].default,
            max_vault_entries: LIMIT_RANGES[11].default,
            max_events: LIMIT_RANGES[12].default as u32,
        }
    }
}

impl ResourceLimits {
    /// The values in the order of [`LIMIT_RANGES`].
    pub fn values(&self) -> [u64; 13] {
        [
            self.max_memory_mb,
            self.max_execution_ms,
            u64::from(self.max_http_requests),
            self.max_file_size_mb,
            self.max_output_kb,
            self.max_module_kb,
            u64::from(self.max_functions),
            self.max_compile_ms,
            self.max_files,
            self.max_storage_mb,
            self.max_tasks,
            self.max_vault_entries,
            u64::from(self.max_events),
        ]
    }

    /// Refuses zero and absurd values.
    ///
    /// # Errors
    /// [`Error::InvalidManifest`] naming `resource_limits.<field>`.
    pub fn validate(&self) -> Result<()> {
        for (range, value) in LIMIT_RANGES.iter().zip(self.values()) {
            if value < range.min || value > range.max {
                return Err(Error::manifest(
                    format!("resource_limits.{}", range.field),
                    format!(
                        "{value} is out of range (allowed {}..={})",
                        range.min, range.max
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `max_execution_ms` as a duration.
    pub fn execution_time(&self) -> Duration {
        Duration::from_millis(self.max_execution_ms)
    }

    /// `max_memory_mb` in bytes.
    pub fn memory_bytes(&self) -> u64 {
        self.max_memory_mb.saturating_mul(1024 * 1024)
    }

    /// `max_output_kb` in bytes.
    pub fn output_bytes(&self) -> u64 {
        self.max_output_kb.saturating_mul(1024)
    }

    /// `max_file_size_mb` in bytes.
    pub fn file_bytes(&self) -> u64 {
        self.max_file_size_mb.saturating_mul(1024 * 1024)
    }

    /// `max_module_kb` in bytes.
    pub fn module_bytes(&self) -> u64 {
        self.max_module_kb.saturating_mul(1024)
    }

    /// `max_storage_mb` in bytes.
    pub fn storage_bytes(&self) -> u64 {
        self.max_storage_mb.saturating_mul(1024 * 1024)
    }

    /// The quota `kind` as set here (`max_storage_mb` in MiB).
    pub fn quota(&self, kind: QuotaKind) -> u64 {
        match kind {
            QuotaKind::Files => self.max_files,
            QuotaKind::Storage => self.max_storage_mb,
            QuotaKind::Tasks => self.max_tasks,
            QuotaKind::VaultEntries => self.max_vault_entries,
            QuotaKind::Events => u64::from(self.max_events),
        }
    }

    /// These limits with the quota `kind` lowered to at most `max` (never
    /// raised; never below 1, which no manifest may set either).
    pub fn with_quota_at_most(mut self, kind: QuotaKind, max: u64) -> ResourceLimits {
        let max = max.max(1);
        match kind {
            QuotaKind::Files => self.max_files = self.max_files.min(max),
            QuotaKind::Storage => self.max_storage_mb = self.max_storage_mb.min(max),
            QuotaKind::Tasks => self.max_tasks = self.max_tasks.min(max),
            QuotaKind::VaultEntries => self.max_vault_entries = self.max_vault_entries.min(max),
            QuotaKind::Events => {
                let max = u32::try_from(max).unwrap_or(u32::MAX);
                self.max_events = self.max_events.min(max);
            }
        }
        self
    }

    /// `max_compile_ms` as a duration.
    pub fn compile_time(&self) -> Duration {
        Duration::from_millis(self.max_compile_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        ResourceLimits::default().validate().unwrap();
    }

    #[test]
    fn zero_and_absurd_values_name_the_field() {
        let l = ResourceLimits {
            max_memory_mb: 0,
            ..Default::default()
        };
        let e = l.validate().unwrap_err();
        assert!(
            e.to_string().contains("resource_limits.max_memory_mb"),
            "{e}"
        );
        let l = ResourceLimits {
            max_execution_ms: u64::MAX,
            ..Default::default()
        };
        let e = l.validate().unwrap_err();
        assert!(e.to_string().contains("max_execution_ms"), "{e}");
        let l = ResourceLimits {
            max_functions: 0,
            ..Default::default()
        };
        let e = l.validate().unwrap_err();
        assert!(e.to_string().contains("max_functions"), "{e}");
    }

    #[test]
    fn ranges_and_fields_agree() {
        // `values()` and `Default` index LIMIT_RANGES by position.
        let defaults = ResourceLimits::default().values();
        for (range, value) in LIMIT_RANGES.iter().zip(defaults) {
            assert_eq!(range.default, value, "{}", range.field);
            assert!((range.min..=range.max).contains(&value), "{}", range.field);
        }
        let json = serde_json::to_value(ResourceLimits::default()).unwrap();
        let mut names: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        let mut fields: Vec<&str> = LIMIT_RANGES.iter().map(|r| r.field).collect();
        names.sort_unstable();
        fields.sort_unstable();
        assert_eq!(names, fields);
    }
}
