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

use std::time::Duration;

use crate::error::{Error, Result};

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
pub const LIMIT_RANGES: [LimitRange; 8] = [
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
        }
    }
}

impl ResourceLimits {
    /// The values in the order of [`LIMIT_RANGES`].
    pub fn values(&self) -> [u64; 8] {
        [
            self.max_memory_mb,
            self.max_execution_ms,
            u64::from(self.max_http_requests),
            self.max_file_size_mb,
            self.max_output_kb,
            self.max_module_kb,
            u64::from(self.max_functions),
            self.max_compile_ms,
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
