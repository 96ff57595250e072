//! Code mode: a program nobody installed (an AI agent's, a person's) runs in
//! a fresh sandbox and calls the installed extensions' actions as tools.
//!
//! [`Host::run_code`](crate::Host::run_code) loads the program as a
//! throwaway extension of the JavaScript or Python runtime with **no
//! permission at all**: its only capabilities are `log` and `tools.call`.
//! Every tool call is an ordinary [`Host::execute_with`](crate::Host::execute_with)
//! of that extension's action, under its own manifest, limits, approval rule
//! and audit records, which name the run's id and its caller. The program's
//! own limits come from a [`CodePolicy`] (time, memory, output, and
//! `max_tool_calls`).
//!
//! **Approval is never bypassed.** A `propose` tool runs only after a person
//! approved exactly that call (extension, action, digest of the arguments,
//! caller and run id) in the host's [`CodeRunStore`]. A run that reaches an
//! unapproved one ends with `approval_required` (the approval's id in the
//! error); every tool call it completed is recorded in the store before its
//! result reached the program. Re-sent with `resume` (same source, language
//! and caller) after the approval, the run starts again from the top, and
//! its earlier tool calls are **answered from the record, never run
//! again**: the n-th call must be the recorded n-th call (same tool, same
//! arguments), or the run ends with `invalid_params` and nothing more runs.
//! A finished run cannot be resumed. The design in full: `docs/code-mode.md`.

mod api;
mod gateway;
mod run;
mod sandbox;
mod store;
mod wrap;

pub use api::{CodeTool, python_api, typescript_api};
pub use run::{CodeRequest, CodeRun, ToolCallSummary};
pub(crate) use sandbox::Sandboxes;
pub use store::{ApprovalAsk, CodeRunStore, RecordedCall, RunState, RunTicket};

use morph_capabilities::{Error, LIMIT_RANGES, ResourceLimits, Result};

/// The language of a code run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeLanguage {
    /// JavaScript (the `js` runtime: Boa, with the web APIs).
    Javascript,
    /// TypeScript: types stripped, then JavaScript.
    Typescript,
    /// Python (the `python` runtime: RustPython, with its stdlib).
    Python,
}

impl CodeLanguage {
    /// The spelling in requests (`javascript`, `typescript`, `python`).
    pub fn as_str(self) -> &'static str {
        match self {
            CodeLanguage::Javascript => "javascript",
            CodeLanguage::Typescript => "typescript",
            CodeLanguage::Python => "python",
        }
    }

    /// Reads a language name (`javascript`/`js`, `typescript`/`ts`,
    /// `python`/`py`).
    ///
    /// # Errors
    /// `invalid_params` naming the languages there are.
    pub fn parse(name: &str) -> Result<CodeLanguage> {
        match name {
            "javascript" | "js" => Ok(CodeLanguage::Javascript),
            "typescript" | "ts" => Ok(CodeLanguage::Typescript),
            "python" | "py" => Ok(CodeLanguage::Python),
            other => Err(Error::params(
                "language",
                format!(
                    "`{}` is not a code mode language (javascript, typescript, python)",
                    morph_capabilities::truncate_for_message(other, 32)
                ),
            )),
        }
    }

    /// The language of a file, by its extension (`.js`, `.mjs`, `.ts`, `.py`).
    pub fn from_path(path: &std::path::Path) -> Option<CodeLanguage> {
        match path.extension()?.to_str()? {
            "js" | "mjs" => Some(CodeLanguage::Javascript),
            "ts" | "mts" => Some(CodeLanguage::Typescript),
            "py" => Some(CodeLanguage::Python),
            _ => None,
        }
    }

    /// The manifest `runtime:` that runs it.
    pub(crate) fn runtime_kind(self) -> &'static str {
        match self {
            CodeLanguage::Javascript | CodeLanguage::Typescript => "js",
            CodeLanguage::Python => "python",
        }
    }
}

/// The largest program a code run accepts, in bytes.
pub const MAX_SOURCE_BYTES: usize = 1024 * 1024;

/// The most `max_tool_calls` a policy may allow.
pub const MAX_TOOL_CALLS: u32 = 10_000;

/// The limits of one code run (the tools it calls keep their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CodePolicy {
    /// Wall clock of the whole run, tool calls included, in ms.
    pub max_execution_ms: u64,
    /// The program's heap, in MiB.
    pub max_memory_mb: u64,
    /// Result plus logs, in KiB.
    pub max_output_kb: u64,
    /// Tool calls per run; one more ends the run with `tool_calls_exceeded`.
    pub max_tool_calls: u32,
}

impl Default for CodePolicy {
    fn default() -> CodePolicy {
        CodePolicy {
            max_execution_ms: 30_000,
            max_memory_mb: 128,
            max_output_kb: 1024,
            max_tool_calls: 100,
        }
    }
}

impl CodePolicy {
    /// Checks every limit against the ranges a manifest may use.
    ///
    /// # Errors
    /// `invalid_params` naming the limit out of range.
    pub fn validate(&self) -> Result<()> {
        for (field, value) in [
            ("max_execution_ms", self.max_execution_ms),
            ("max_memory_mb", self.max_memory_mb),
            ("max_output_kb", self.max_output_kb),
        ] {
            if let Some(range) = LIMIT_RANGES.iter().find(|r| r.field == field)
                && !(range.min..=range.max).contains(&value)
            {
                return Err(Error::params(
                    field,
                    format!("{value} is outside {}..={}", range.min, range.max),
                ));
            }
        }
        if !(1..=MAX_TOOL_CALLS).contains(&self.max_tool_calls) {
            return Err(Error::params(
                "max_tool_calls",
                format!("{} is outside 1..={MAX_TOOL_CALLS}", self.max_tool_calls),
            ));
        }
        Ok(())
    }

    /// The resource limits of the run's sandbox: the policy's, and nothing
    /// to spend on HTTP (it has no permission for it anyway).
    pub(crate) fn limits(&self) -> ResourceLimits {
        ResourceLimits {
            max_execution_ms: self.max_execution_ms,
            max_memory_mb: self.max_memory_mb,
            max_output_kb: self.max_output_kb,
            ..ResourceLimits::default()
        }
    }
}

/// A caller's own code mode limits (a token's, in `morph serve`): each one
/// set replaces the server's for that caller's runs, up or down.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CodePolicyOverride {
    /// Replaces [`CodePolicy::max_execution_ms`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_execution_ms: Option<u64>,
    /// Replaces [`CodePolicy::max_memory_mb`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_memory_mb: Option<u64>,
    /// Replaces [`CodePolicy::max_output_kb`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_kb: Option<u64>,
    /// Replaces [`CodePolicy::max_tool_calls`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tool_calls: Option<u32>,
}

impl CodePolicyOverride {
    /// Whether it sets nothing.
    pub fn is_empty(&self) -> bool {
        *self == CodePolicyOverride::default()
    }

    /// `base` with the limits this one sets.
    pub fn apply(&self, base: CodePolicy) -> CodePolicy {
        CodePolicy {
            max_execution_ms: self.max_execution_ms.unwrap_or(base.max_execution_ms),
            max_memory_mb: self.max_memory_mb.unwrap_or(base.max_memory_mb),
            max_output_kb: self.max_output_kb.unwrap_or(base.max_output_kb),
            max_tool_calls: self.max_tool_calls.unwrap_or(base.max_tool_calls),
        }
    }

    /// Checks the limits it sets against [`CodePolicy::validate`]'s ranges.
    ///
    /// # Errors
    /// `invalid_params` naming the limit out of range.
    pub fn validate(&self) -> Result<()> {
        self.apply(CodePolicy::default()).validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_replaces_only_what_it_sets() {
        let base = CodePolicy::default();
        assert_eq!(CodePolicyOverride::default().apply(base), base);
        let tight = CodePolicyOverride {
            max_tool_calls: Some(3),
            ..CodePolicyOverride::default()
        };
        let applied = tight.apply(base);
        assert_eq!(applied.max_tool_calls, 3);
        assert_eq!(applied.max_execution_ms, base.max_execution_ms);
        assert_eq!(
            serde_json::to_string(&tight).unwrap(),
            r#"{"max_tool_calls":3}"#
        );
        let wrong = CodePolicyOverride {
            max_memory_mb: Some(0),
            ..CodePolicyOverride::default()
        };
        assert!(
            wrong
                .validate()
                .unwrap_err()
                .to_string()
                .contains("max_memory_mb")
        );
        assert!(serde_json::from_str::<CodePolicyOverride>(r#"{"max_calls":1}"#).is_err());
    }

    #[test]
    fn languages_parse_by_name_and_file() {
        assert_eq!(CodeLanguage::parse("js").unwrap(), CodeLanguage::Javascript);
        assert_eq!(CodeLanguage::parse("python").unwrap(), CodeLanguage::Python);
        assert_eq!(
            CodeLanguage::parse("ruby").unwrap_err().code(),
            morph_capabilities::ErrorCode::InvalidParams
        );
        assert_eq!(
            CodeLanguage::from_path(std::path::Path::new("a/b.ts")),
            Some(CodeLanguage::Typescript)
        );
        assert_eq!(CodeLanguage::from_path(std::path::Path::new("b.rb")), None);
    }

    #[test]
    fn policies_out_of_range_are_refused() {
        assert!(CodePolicy::default().validate().is_ok());
        let zero = CodePolicy {
            max_tool_calls: 0,
            ..CodePolicy::default()
        };
        assert!(
            zero.validate()
                .unwrap_err()
                .to_string()
                .contains("max_tool_calls")
        );
        let huge = CodePolicy {
            max_memory_mb: 1 << 20,
            ..CodePolicy::default()
        };
        assert!(
            huge.validate()
                .unwrap_err()
                .to_string()
                .contains("max_memory_mb")
        );
    }
}
