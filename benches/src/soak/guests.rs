//! The soak's extensions: the behaviour guest of each language (the wasm
//! test guest on wasmer and on wasmi, the JS and Python test guests) in
//! process under `Pooled`, once more under `PerCall` (wasmer), and each again
//! under process isolation, every one with the same grants, limits and
//! allowlist, written as packages into the soak's directory.

use std::path::{Path, PathBuf};

use morph_runtime_core::Isolation;

use crate::fixture::{GUEST_ACTIONS, guest_wasm};
use crate::script_guest::{Language, test_guest};

/// What each extension is granted: enough for every capability call of the
/// mix, and not `http:write`, whose refusal is one of the mix's denials.
pub const PERMISSIONS: &str = "[vault:read, vault:write, fs:read, fs:write, data:read, data:write, http:read, event:emit, event:listen]";

/// Each extension's limits: a short deadline so that the infinite loops of
/// the mix cost a second each, and a heap small enough that `grow_memory`
/// of [`super::mix::GROW_MB`] crosses it.
pub const LIMITS: &str = "resource_limits:\n  max_execution_ms: 1000\n  max_memory_mb: 64\n";

/// A guest's language and engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// The wasm test guest on wasmer.
    Wasmer,
    /// The wasm test guest on wasmi.
    Wasmi,
    /// The JS test guest on Boa.
    Js,
    /// The Python test guest on RustPython.
    Python,
}

impl Runner {
    /// The manifest's `runtime:`.
    pub fn kind(self) -> &'static str {
        match self {
            Runner::Wasmer | Runner::Wasmi => "wasm",
            Runner::Js => "js",
            Runner::Python => "python",
        }
    }

    /// The wasm engine, for the wasm runners.
    pub fn engine(self) -> Option<&'static str> {
        match self {
            Runner::Wasmer => Some("wasmer"),
            Runner::Wasmi => Some("wasmi"),
            Runner::Js | Runner::Python => None,
        }
    }

    /// The name in the soak's tables.
    pub fn name(self) -> &'static str {
        match self {
            Runner::Wasmer => "wasmer",
            Runner::Wasmi => "wasmi",
            Runner::Js => "js",
            Runner::Python => "python",
        }
    }
}

/// One extension of the soak: how it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Its extension id (and package directory).
    pub id: String,
    /// Language and engine.
    pub runner: Runner,
    /// Its isolation mode.
    pub isolation: Isolation,
}

impl Plan {
    fn new(runner: Runner, isolation: Isolation) -> Plan {
        let mode = match isolation {
            Isolation::Pooled => "pooled",
            Isolation::PerCall => "percall",
            Isolation::Fresh => "fresh",
            Isolation::Process => "process",
        };
        Plan {
            id: format!("soak-{}-{mode}", runner.name()),
            runner,
            isolation,
        }
    }

    /// `runner/isolation`, for the tables.
    pub fn label(&self) -> String {
        format!("{}/{}", self.runner.name(), self.isolation.as_str())
    }
}

/// Every extension of the soak; the process-isolation ones only when
/// `process` is set.
pub fn plans(process: bool) -> Vec<Plan> {
    let runners = [Runner::Wasmer, Runner::Wasmi, Runner::Js, Runner::Python];
    let mut plans: Vec<Plan> = runners
        .iter()
        .map(|r| Plan::new(*r, Isolation::Pooled))
        .collect();
    plans.push(Plan::new(Runner::Wasmer, Isolation::PerCall));
    if process {
        plans.extend(runners.iter().map(|r| Plan::new(*r, Isolation::Process)));
    }
    plans
}

/// Writes `plan`'s package into `dir/<id>`, allowed to reach `allowed_host`,
/// and returns its path.
///
/// # Errors
/// When the files cannot be written.
pub fn write_package(dir: &Path, plan: &Plan, allowed_host: &str) -> std::io::Result<PathBuf> {
    let root = dir.join(&plan.id);
    std::fs::create_dir_all(&root)?;
    let (entry, actions) = match plan.runner {
        Runner::Wasmer | Runner::Wasmi => {
            std::fs::write(root.join("guest.wasm"), guest_wasm())?;
            ("guest.wasm", GUEST_ACTIONS.to_owned())
        }
        Runner::Js | Runner::Python => {
            let language = match plan.runner {
                Runner::Js => Language::Js,
                _ => Language::Python,
            };
            let guest = test_guest(language);
            std::fs::write(root.join(guest.entry), &guest.code)?;
            (guest.entry, guest.actions)
        }
    };
    let manifest = format!(
        "extension_id: {id}\nversion: 1.0.0\nmetadata:\n  name: Soak guest\n  description: A guest under the soak\n\
         runtime: {kind}\nentry: {entry}\npermissions: {PERMISSIONS}\nallowed_hosts: [\"{allowed_host}\"]\n{LIMITS}{actions}",
        id = plan.id,
        kind = plan.runner.kind(),
    );
    std::fs::write(root.join("manifest.yaml"), manifest)?;
    Ok(root)
}
