//! [`Router`]: one language's runtime as the soak registers it, sending
//! each extension's load to the engine and isolation its [`Plan`] names.
//!
//! A `Host` takes one `LoadOptions` (isolation, wasm engine) for every load.
//! The soak wants the wasm guest on wasmer and on wasmi, each runtime under
//! `Pooled`, `PerCall` and process isolation, all behind **one** host: one
//! broker, one audit log, one quarantine, one set of providers, as a server
//! holds them. So each language's runtime is registered behind a `Router`
//! that forwards the load, unchanged but for the options, to the language's
//! runtime or to the process tier. It forwards and holds nothing else: every
//! call after the load goes to the extension the inner runtime returned.

use std::collections::BTreeMap;
use std::sync::Arc;

use morph_runtime_core::{
    Isolation, LimitEnforcement, LoadOptions, LoadRequest, LoadedExtension, MorphRuntime, Result,
    RuntimeInfo,
};

use super::guests::Plan;

/// A language's runtime with per-extension options.
pub struct Router {
    inner: Arc<dyn MorphRuntime>,
    tier: Option<Arc<dyn MorphRuntime>>,
    options: BTreeMap<String, LoadOptions>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("runtime", &self.inner.info().id)
            .field("extensions", &self.options.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Router {
    /// Routes the loads of `plans` (those of `inner`'s kind) by their plan;
    /// process isolation goes to `tier`.
    pub fn new(
        inner: Arc<dyn MorphRuntime>,
        tier: Option<Arc<dyn MorphRuntime>>,
        plans: &[Plan],
    ) -> Router {
        let kind = inner.info().kind;
        let options = plans
            .iter()
            .filter(|p| p.runner.kind() == kind)
            .map(|p| {
                let options = LoadOptions {
                    isolation: Some(p.isolation),
                    engine: p.runner.engine().map(str::to_owned),
                };
                (p.id.clone(), options)
            })
            .collect();
        Router {
            inner,
            tier,
            options,
        }
    }
}

#[async_trait::async_trait]
impl MorphRuntime for Router {
    fn info(&self) -> RuntimeInfo {
        self.inner.info()
    }

    fn enforcement(&self, options: &LoadOptions) -> LimitEnforcement {
        match (&self.tier, options.isolation) {
            (Some(tier), Some(Isolation::Process)) => tier.enforcement(options),
            _ => self.inner.enforcement(options),
        }
    }

    fn engine_reserve(&self) -> u64 {
        self.inner.engine_reserve()
    }

    async fn load(&self, request: LoadRequest<'_>) -> Result<Arc<dyn LoadedExtension>> {
        let id = &request.package.manifest().extension_id;
        let options = self
            .options
            .get(id)
            .cloned()
            .unwrap_or_else(|| request.options.clone());
        let request = LoadRequest {
            options: &options,
            ..request
        };
        match (&self.tier, options.isolation) {
            (Some(tier), Some(Isolation::Process)) => tier.load(request).await,
            _ => self.inner.load(request).await,
        }
    }
}
