//! The log provider contract and the default sink on `tracing`.
//!
//! Guest log lines are counted against `max_output_kb` by the broker before
//! they reach a provider, so a provider never sees more than a call may emit.

use crate::call::{ExtensionIdentity, LogLine};

/// `log` request.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogRequest {
    /// `debug`, `info`, `warn` or `error`; default `info`.
    #[serde(default)]
    pub level: Option<String>,
    /// The message.
    pub message: String,
}

/// Receives guest log lines.
pub trait LogProvider: Send + Sync + 'static {
    /// Records one line from `extension`.
    fn log(&self, extension: &ExtensionIdentity, line: &LogLine);
}

/// Forwards guest lines to `tracing` under the target `morph::guest`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingLog;

impl LogProvider for TracingLog {
    fn log(&self, extension: &ExtensionIdentity, line: &LogLine) {
        let ext = extension.id.as_str();
        let msg = line.message.as_str();
        match line.level.as_str() {
            "error" => tracing::error!(target: "morph::guest", extension = ext, "{msg}"),
            "warn" => tracing::warn!(target: "morph::guest", extension = ext, "{msg}"),
            "debug" => tracing::debug!(target: "morph::guest", extension = ext, "{msg}"),
            _ => tracing::info!(target: "morph::guest", extension = ext, "{msg}"),
        }
    }
}

/// The accepted levels.
pub const LEVELS: [&str; 4] = ["debug", "info", "warn", "error"];

/// Validates an optional level, defaulting to `info`.
pub fn normalise_level(level: Option<&str>) -> Option<&'static str> {
    match level {
        None => Some("info"),
        Some(l) => LEVELS.into_iter().find(|x| *x == l),
    }
}
