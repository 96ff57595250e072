//! The runtime registry: which runtimes this process can use.
//!
//! Runtime crates register themselves at link time with
//! [`register_runtime!`](crate::register_runtime) (on `inventory`), so an app
//! that links `morph-runtime-wasm` finds the wasm runtime without naming it;
//! an app (or a test) can also register one by hand. A runtime registered by
//! hand takes precedence over a linked one for the same kind.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::runtime::{MorphRuntime, RuntimeInfo};

/// A link-time registration, submitted by [`register_runtime!`](crate::register_runtime).
pub struct RuntimeRegistration {
    factory: fn() -> Arc<dyn MorphRuntime>,
}

impl RuntimeRegistration {
    /// A registration whose `factory` builds the runtime on first use.
    pub const fn new(factory: fn() -> Arc<dyn MorphRuntime>) -> Self {
        RuntimeRegistration { factory }
    }
}

inventory::collect!(RuntimeRegistration);

/// Registers a runtime at link time.
///
/// ```text
/// morph_runtime_core::register_runtime!(|| std::sync::Arc::new(MyRuntime::default()));
/// ```
#[macro_export]
macro_rules! register_runtime {
    ($factory:expr) => {
        $crate::inventory::submit! {
            $crate::RuntimeRegistration::new($factory)
        }
    };
}

/// The runtimes a host can pick from, by manifest kind.
#[derive(Clone, Default)]
pub struct RuntimeRegistry {
    by_kind: BTreeMap<String, Arc<dyn MorphRuntime>>,
}

impl std::fmt::Debug for RuntimeRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.by_kind.keys()).finish()
    }
}

impl RuntimeRegistry {
    /// A registry with no runtime.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every runtime linked into this binary.
    pub fn linked() -> Self {
        let mut registry = Self::empty();
        for registration in inventory::iter::<RuntimeRegistration> {
            let runtime = (registration.factory)();
            let kind = runtime.info().kind;
            registry.by_kind.entry(kind).or_insert(runtime);
        }
        registry
    }

    /// Registers `runtime` for its kind, replacing any other.
    pub fn register(&mut self, runtime: Arc<dyn MorphRuntime>) -> &mut Self {
        self.by_kind.insert(runtime.info().kind, runtime);
        self
    }

    /// The runtime serving manifest kind `kind`.
    pub fn for_kind(&self, kind: &str) -> Option<Arc<dyn MorphRuntime>> {
        self.by_kind.get(kind).cloned()
    }

    /// What every registered runtime says about itself.
    pub fn list(&self) -> Vec<RuntimeInfo> {
        self.by_kind.values().map(|r| r.info()).collect()
    }

    /// The kinds served, sorted.
    pub fn kinds(&self) -> Vec<String> {
        self.by_kind.keys().cloned().collect()
    }
}
