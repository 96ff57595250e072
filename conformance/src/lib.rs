//! `morph-conformance`: the suite that certifies a [`MorphRuntime`].
//!
//! One probe extension, written in every language from `SPEC.md`, is loaded
//! under many manifest variants (grants, allowlists, limits, isolation); each
//! [case](case::Case) calls it and checks the outcome: a value or a stable
//! error code. [`certify`] works on any `MorphRuntime`, so a third-party
//! runtime is certified by the same call as Morph's own.
//!
//! ```no_run
//! # async fn demo() {
//! use std::sync::Arc;
//! use morph_conformance::{CertifyOptions, Probe, certify};
//!
//! let runtime = Arc::new(morph_runtime_wasm::WasmRuntime::default());
//! let probe = Probe::wasm_from_workspace().expect("build the guests first");
//! let certificate = certify(runtime, CertifyOptions::new(probe)).await;
//! print!("{}", certificate.to_table());
//! # }
//! ```

pub mod case;
mod cases;
mod certificate;
mod peak;
mod probe;
mod runner;
mod spec;

use std::sync::Arc;
use std::time::{Duration, Instant};

use morph_runtime_core::{Enforcement, LoadOptions, MorphRuntime};
use sha2::{Digest, Sha256};

pub use cases::{SUITE_VERSION, suite};
pub use certificate::{CaseResult, Certificate, Status, Summary};
pub use probe::{PROBE_ACTIONS, Probe};
pub use spec::spec_markdown;

use case::Limit;
use runner::Runner;

/// Called after each case: the result, its index (from 1) and the total.
pub type Progress = dyn Fn(&CaseResult, usize, usize) + Send + Sync;

/// How to certify.
pub struct CertifyOptions {
    /// The probe in the runtime's language.
    pub probe: Probe,
    /// Isolation and engine for every load (a case may ask for an isolation).
    pub load: LoadOptions,
    /// Only cases whose id starts with one of these (all when empty).
    pub only: Vec<String>,
    /// Longest a load or a step may take before its case fails as hung.
    pub step_timeout: Duration,
    /// Told after each case.
    pub progress: Option<Arc<Progress>>,
    /// The process isolation tier, for `Isolation::Process` (its enforcement
    /// is then the one certified).
    pub process: Option<Arc<dyn MorphRuntime>>,
}

impl CertifyOptions {
    /// Every case, default load options, 30 s per step.
    pub fn new(probe: Probe) -> CertifyOptions {
        CertifyOptions {
            probe,
            load: LoadOptions::default(),
            only: Vec::new(),
            step_timeout: Duration::from_secs(30),
            progress: None,
            process: None,
        }
    }
}

/// Runs the suite against `runtime` and returns its certificate.
pub async fn certify(runtime: Arc<dyn MorphRuntime>, options: CertifyOptions) -> Certificate {
    let cases: Vec<case::Case> = suite()
        .into_iter()
        .filter(|c| {
            options.only.is_empty() || options.only.iter().any(|p| c.id.starts_with(p.as_str()))
        })
        .collect();
    let declared = match (&options.process, options.load.isolation) {
        (Some(tier), Some(morph_runtime_core::Isolation::Process)) => {
            tier.enforcement(&options.load)
        }
        _ => runtime.enforcement(&options.load),
    };
    let enforcement_of = |limit: Limit| match limit {
        Limit::Execution => declared.execution,
        Limit::Memory => declared.memory,
        Limit::Stack => declared.stack,
        // Counted by the host and the broker for every runtime.
        Limit::Output | Limit::HttpRequests => Enforcement::Hard,
    };
    let fixtures = fixtures_digest(&cases, &options.probe);
    let runner = Runner::new(
        runtime.clone(),
        options.probe,
        options.load.clone(),
        options.step_timeout,
        options.process.clone(),
    );
    let mut results = Vec::with_capacity(cases.len());
    for (i, case) in cases.iter().enumerate() {
        let started = Instant::now();
        let ran = runner.run(case).await;
        let result = CaseResult {
            id: case.id.to_owned(),
            group: case.group,
            title: case.title.to_owned(),
            status: ran.status,
            observed: ran.observed,
            limit: case.limit.map(|l| (l, enforcement_of(l))),
            millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        if let Some(progress) = &options.progress {
            progress(&result, i + 1, cases.len());
        }
        results.push(result);
    }
    let count = |s: Status| results.iter().filter(|r| r.status == s).count();
    Certificate {
        suite_version: SUITE_VERSION.to_owned(),
        runtime: runtime.info(),
        isolation: options
            .load
            .isolation
            .map_or("default".to_owned(), |i| i.as_str().to_owned()),
        fixtures_sha256: fixtures,
        enforcement: [
            Limit::Execution,
            Limit::Memory,
            Limit::Stack,
            Limit::Output,
            Limit::HttpRequests,
        ]
        .into_iter()
        .map(|l| (l, enforcement_of(l)))
        .collect(),
        passed: count(Status::Pass),
        failed: count(Status::Fail),
        skipped: count(Status::Skip),
        cases: results,
    }
}

/// Compares `certificate` with the expected summary in `path` (JSON), or
/// writes it there when the environment has `UPDATE_EXPECTED` set.
///
/// # Errors
/// A readable description of every difference, or of why the file could not
/// be read or written.
pub fn compare_with_expected(
    certificate: &Certificate,
    path: &std::path::Path,
) -> std::result::Result<(), String> {
    let have = certificate.summary();
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        let text = serde_json::to_string_pretty(&have).map_err(|e| e.to_string())?;
        return std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: {e} (write it with UPDATE_EXPECTED=1)", path.display()))?;
    let want: Summary =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut diffs = Vec::new();
    if want.suite_version != have.suite_version {
        diffs.push(format!(
            "suite {} ≠ expected {}",
            have.suite_version, want.suite_version
        ));
    }
    for (id, status) in &have.cases {
        match want.cases.get(id) {
            Some(w) if w == status => {}
            Some(w) => diffs.push(format!("{id}: {status:?}, expected {w:?}")),
            None => diffs.push(format!("{id}: {status:?}, not in the expected file")),
        }
    }
    for id in want.cases.keys().filter(|id| !have.cases.contains_key(*id)) {
        diffs.push(format!("{id}: expected but not run"));
    }
    if want.enforcement != have.enforcement {
        diffs.push(format!(
            "enforcement {:?}, expected {:?}",
            have.enforcement, want.enforcement
        ));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!("{}:\n  {}", path.display(), diffs.join("\n  ")))
    }
}

/// SHA-256 over the cases (as JSON) and the probe's files.
fn fixtures_digest(cases: &[case::Case], probe: &Probe) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(cases).unwrap_or_default());
    h.update(PROBE_ACTIONS.as_bytes());
    h.update(probe.digest());
    hex::encode(h.finalize())
}
