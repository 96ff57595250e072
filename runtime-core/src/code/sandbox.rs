//! A code run's sandbox: the `code-run` extension of one language under one
//! policy's limits, loaded with no permission.
//!
//! **Every run gets a fresh context.** In process (the host's isolation is
//! not `process`), JavaScript and Python runs share one loaded sandbox per
//! (language, policy), under [`Isolation::Fresh`]: each call of it gets a
//! context (Boa) or interpreter (RustPython) of its own, built on the worker
//! thread right after the previous call, and dropped after its call. So a
//! run neither waits for a context to be built nor for a worker thread to
//! start, and no state survives between runs. Their entries are generic
//! (the program and the tools arrive as the call's params, `wrap.rs`).
//!
//! TypeScript runs (the loader strips the types of the entry, so the
//! program is written into it) and every run under process isolation (a
//! worker process keeps its session between calls) load a sandbox of their
//! own, used once and dropped.
//!
//! At most [`MAX_KEPT`] (language, policy) pairs keep a loaded sandbox; the
//! least recently used goes first.

use std::sync::{Arc, Mutex, PoisonError};

use morph_capabilities::{Error, ExtensionIdentity, Grants, ResourceLimits, Result};
use serde_json::{Value, json};

use super::api::CodeTool;
use super::wrap::{CODE_RUN_ID, is_generic, write_package};
use super::{CodeLanguage, CodePolicy};
use crate::host::Host;
use crate::package::ExtensionPackage;
use crate::runtime::{InitCall, Isolation, LoadOptions, LoadRequest, LoadedExtension};

/// The most (language, policy) pairs that keep a loaded sandbox.
pub(crate) const MAX_KEPT: usize = 8;

/// A loaded `code-run` extension.
pub(crate) struct Sandbox {
    pub(crate) extension: Arc<dyn LoadedExtension>,
    pub(crate) identity: Arc<ExtensionIdentity>,
    pub(crate) grants: Arc<Grants>,
    pub(crate) config: Arc<Value>,
    /// The package's files, removed with the sandbox.
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("runtime", &self.identity.runtime)
            .finish_non_exhaustive()
    }
}

/// What a kept sandbox is kept for.
type Key = (CodeLanguage, CodePolicy);

/// The kept sandboxes of one host, least recently used first.
#[derive(Debug, Default)]
pub(crate) struct Sandboxes {
    kept: Mutex<Vec<(Key, Arc<Sandbox>)>>,
}

impl Sandboxes {
    fn get(&self, key: Key) -> Option<Arc<Sandbox>> {
        let mut kept = self.lock();
        let at = kept.iter().position(|(k, _)| *k == key)?;
        let entry = kept.remove(at);
        let sandbox = entry.1.clone();
        kept.push(entry);
        Some(sandbox)
    }

    /// Keeps `sandbox` for `key`, or returns the one a concurrent load kept
    /// first.
    fn keep(&self, key: Key, sandbox: Arc<Sandbox>) -> Arc<Sandbox> {
        let mut kept = self.lock();
        if let Some((_, first)) = kept.iter().find(|(k, _)| *k == key) {
            return first.clone();
        }
        if kept.len() >= MAX_KEPT {
            kept.remove(0);
        }
        kept.push((key, sandbox.clone()));
        sandbox
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Key, Arc<Sandbox>)>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Host {
    /// The sandbox one run of `source` in `language` under `policy` runs in
    /// (see the module docs for which is kept and which is the run's own).
    pub(crate) async fn code_sandbox(
        &self,
        language: CodeLanguage,
        policy: CodePolicy,
        source: &str,
        tools: &[CodeTool],
    ) -> Result<Arc<Sandbox>> {
        let limits = policy.limits();
        let in_process = self.load_options().isolation != Some(Isolation::Process);
        if !(in_process && is_generic(language)) {
            let options = self.load_options().clone();
            let own = self
                .load_sandbox(language, &limits, source, tools, &options)
                .await?;
            return Ok(Arc::new(own));
        }
        let key = (language, policy);
        if let Some(kept) = self.code_sandboxes().get(key) {
            return Ok(kept);
        }
        let options = LoadOptions {
            isolation: Some(Isolation::Fresh),
            engine: None,
        };
        let loaded = self
            .load_sandbox(language, &limits, "", &[], &options)
            .await?;
        Ok(self.code_sandboxes().keep(key, Arc::new(loaded)))
    }

    /// Loads a `code-run` extension whose entry `wrap.rs` writes.
    async fn load_sandbox(
        &self,
        language: CodeLanguage,
        limits: &ResourceLimits,
        source: &str,
        tools: &[CodeTool],
        options: &LoadOptions,
    ) -> Result<Sandbox> {
        let dir = tempfile::Builder::new()
            .prefix("morph-code-")
            .tempdir()
            .map_err(|e| Error::io("creating the code run's directory", e))?;
        write_package(dir.path(), language, source, tools, limits)
            .map_err(|e| Error::io("writing the code run's package", e))?;
        let package = ExtensionPackage::open_dir(dir.path())?;
        let runtime = self.runtime_for_load(language.runtime_kind())?;
        let identity = Arc::new(ExtensionIdentity {
            id: CODE_RUN_ID.to_owned(),
            version: "0.0.0".to_owned(),
            runtime: runtime.info().id,
            manifest_digest: package.manifest_digest().to_owned(),
        });
        let grants = Arc::new(Grants {
            permissions: morph_capabilities::PermissionSet::default(),
            allowed_hosts: Vec::new(),
            limits: *limits,
        });
        let config = Arc::new(json!({}));
        let load = LoadRequest {
            package: &package,
            config: config.clone(),
            options,
            init: InitCall::new(
                self.broker().clone(),
                identity.clone(),
                grants.clone(),
                config.clone(),
            ),
        };
        let extension = self.load_guarded(&runtime, load, &grants).await?;
        Ok(Sandbox {
            extension,
            identity,
            grants,
            config,
            _dir: dir,
        })
    }
}
