//! The certificate: what the suite observed for one runtime, as JSON and as a
//! table.

use std::fmt::Write as _;

use morph_runtime_core::{Enforcement, RuntimeInfo};

use crate::case::{Group, Limit};

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every step observed what it must.
    Pass,
    /// A step observed something else.
    Fail,
    /// The runtime does not offer what the case needs (`runtime_unavailable`).
    Skip,
}

/// One case's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseResult {
    /// The case id.
    pub id: String,
    /// Its group.
    pub group: Group,
    /// What it proves.
    pub title: String,
    /// How it ended.
    pub status: Status,
    /// What was observed (of the failing step, or every step when passing).
    pub observed: String,
    /// The limit it proves and how the runtime enforces it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<(Limit, Enforcement)>,
    /// Wall time of the case.
    pub millis: u64,
}

/// A runtime's certificate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Certificate {
    /// The suite's version.
    pub suite_version: String,
    /// The runtime (id, kind, engine, version).
    pub runtime: RuntimeInfo,
    /// The isolation the runtime was certified under (`default` if unset).
    pub isolation: String,
    /// SHA-256 over the cases and the probe's files.
    pub fixtures_sha256: String,
    /// Limit enforcement as the runtime declares it.
    pub enforcement: Vec<(Limit, Enforcement)>,
    /// Every case.
    pub cases: Vec<CaseResult>,
    /// Counts.
    pub passed: usize,
    /// Counts.
    pub failed: usize,
    /// Counts.
    pub skipped: usize,
}

/// What a certificate must match from run to run: per case status, and the
/// enforcement of each limit (no timings, no observed text). CI compares it
/// with `conformance/expected/<name>.json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// The suite's version.
    pub suite_version: String,
    /// `kind/engine`.
    pub runtime: String,
    /// Case id to status.
    pub cases: std::collections::BTreeMap<String, Status>,
    /// Limit to enforcement.
    pub enforcement: std::collections::BTreeMap<String, Enforcement>,
}

impl Certificate {
    /// The part that must stay the same from run to run.
    pub fn summary(&self) -> Summary {
        Summary {
            suite_version: self.suite_version.clone(),
            runtime: format!("{}/{}", self.runtime.kind, self.runtime.engine),
            cases: self
                .cases
                .iter()
                .map(|c| (c.id.clone(), c.status))
                .collect(),
            enforcement: self
                .enforcement
                .iter()
                .map(|(l, e)| {
                    let l = serde_json::to_value(l)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned));
                    (l.unwrap_or_default(), *e)
                })
                .collect(),
        }
    }

    /// Whether no case failed.
    pub fn is_pass(&self) -> bool {
        self.failed == 0
    }

    /// The certificate as a readable table.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let r = &self.runtime;
        let _ = writeln!(
            out,
            "Morph conformance {} — runtime `{}` ({} {}), isolation {}",
            self.suite_version, r.id, r.engine, r.engine_version, self.isolation
        );
        let _ = writeln!(out, "fixtures sha256 {}", self.fixtures_sha256);
        let width = self.cases.iter().map(|c| c.id.len()).max().unwrap_or(4);
        let _ = writeln!(out);
        let _ = writeln!(out, "{:width$}  result  limit      observed", "case");
        for c in &self.cases {
            let status = match c.status {
                Status::Pass => "pass",
                Status::Fail => "FAIL",
                Status::Skip => "skip",
            };
            let limit = c.limit.map_or(String::new(), |(_, e)| name_of(&e));
            let _ = writeln!(
                out,
                "{:width$}  {status:6}  {limit:9}  {}",
                c.id,
                one_line(&c.observed, 100)
            );
        }
        let _ = writeln!(out);
        let limits: Vec<String> = self
            .enforcement
            .iter()
            .map(|(l, e)| format!("{} {}", name_of(l), name_of(e)))
            .collect();
        let _ = writeln!(out, "limits: {}", limits.join(", "));
        let _ = writeln!(
            out,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        );
        out
    }
}

/// `s` on one line, cut to `max` characters.
pub(crate) fn one_line(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// The serde name of a unit enum value (`http_requests`, `hard`).
fn name_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
