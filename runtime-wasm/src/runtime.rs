//! `WasmRuntime`: the `MorphRuntime` for `runtime: wasm`, with an engine choice.
//!
//! Loading checks the module against its compile budget (`crate::budget`),
//! validates it against the ABI and the shared feature set
//! (so the same `.wasm` runs on both engines), compiles it on the chosen
//! engine off the async threads, and proves that it instantiates and that its
//! `init` succeeds before the extension is handed out.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use morph_capabilities::{Error, Result};
use morph_runtime_core::{
    Isolation, LimitEnforcement, LoadOptions, LoadRequest, LoadedExtension, MorphRuntime,
    RuntimeInfo,
};

use crate::budget;
use crate::engine::Engine;
use crate::extension::{Mode, WasmExtension, recipe};
use crate::instance_run::fresh_instance;
use crate::pool;
use crate::validate::validate;

/// Settings of a [`WasmRuntime`].
#[derive(Debug, Clone)]
pub struct WasmConfig {
    /// Engine used when the app does not pick one (`wasmer` when compiled in).
    pub default_engine: String,
    /// Where wasmer keeps compiled modules (`None`: no disk cache).
    pub cache_dir: Option<PathBuf>,
    /// Worker threads (warm instances) per extension under `Pooled`.
    pub pool_workers: usize,
}

impl Default for WasmConfig {
    fn default() -> Self {
        WasmConfig {
            default_engine: DEFAULT_ENGINE.to_owned(),
            cache_dir: default_cache_dir(),
            pool_workers: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(4),
        }
    }
}

#[cfg(feature = "wasmer")]
const DEFAULT_ENGINE: &str = "wasmer";
#[cfg(all(not(feature = "wasmer"), feature = "wasmi"))]
const DEFAULT_ENGINE: &str = "wasmi";
#[cfg(not(any(feature = "wasmer", feature = "wasmi")))]
const DEFAULT_ENGINE: &str = "none";

/// `$MORPH_CACHE_DIR/modules`, else `$XDG_CACHE_HOME/morph/modules`, else
/// `$HOME/.cache/morph/modules`.
fn default_cache_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("MORPH_CACHE_DIR")
        .or_else(|| env("XDG_CACHE_HOME").map(|p| p.join("morph")))
        .or_else(|| env("HOME").map(|p| p.join(".cache/morph")))
        .map(|p| p.join("modules"))
}

/// The wasm runtime.
pub struct WasmRuntime {
    config: WasmConfig,
    engines: Vec<Arc<dyn Engine>>,
}

impl std::fmt::Debug for WasmRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmRuntime")
            .field("config", &self.config)
            .field("engines", &self.engine_names())
            .finish()
    }
}

impl Default for WasmRuntime {
    fn default() -> Self {
        WasmRuntime::new(WasmConfig::default())
    }
}

impl WasmRuntime {
    /// A runtime with every engine compiled into this build.
    pub fn new(config: WasmConfig) -> WasmRuntime {
        let engines: Vec<Arc<dyn Engine>> = vec![
            #[cfg(feature = "wasmer")]
            Arc::new(crate::wasmer_engine::WasmerEngine::new(
                config.cache_dir.clone(),
            )),
            #[cfg(feature = "wasmi")]
            Arc::new(crate::wasmi_engine::WasmiEngine::new()),
        ];
        WasmRuntime { config, engines }
    }

    /// The engines compiled in.
    pub fn engine_names(&self) -> Vec<&'static str> {
        self.engines.iter().map(|e| e.name()).collect()
    }

    fn engine(&self, name: Option<&str>) -> Result<Arc<dyn Engine>> {
        let name = name.unwrap_or(&self.config.default_engine);
        self.engines
            .iter()
            .find(|e| e.name() == name)
            .cloned()
            .ok_or_else(|| Error::RuntimeUnavailable {
                reason: format!(
                    "wasm engine `{name}` is not compiled into this build (available: {})",
                    self.engine_names().join(", ")
                ),
            })
    }
}

#[async_trait]
impl MorphRuntime for WasmRuntime {
    fn info(&self) -> RuntimeInfo {
        let engine = self.engine(None).ok();
        RuntimeInfo {
            id: "wasm".into(),
            kind: "wasm".into(),
            engine: engine.as_ref().map_or("none", |e| e.name()).into(),
            engine_version: engine.as_ref().map_or("", |e| e.version()).into(),
        }
    }

    /// Both engines preempt (wasmer: metering and the interrupter; wasmi:
    /// fuel slices), cap linear memory and tables, and bound the stack.
    fn enforcement(&self, _options: &LoadOptions) -> LimitEnforcement {
        LimitEnforcement::HARD
    }

    /// The engine, a compiled module and the worker stacks: measured 13 MiB
    /// (wasmi) to 33 MiB (wasmer compiling the probe) of data in a
    /// `morph worker` after a call (debug build, `VmData` in
    /// `/proc/PID/status`); compiling a module at the default compile budget
    /// takes 105 to 200 MiB on wasmer, so 256 MiB. The guest's linear memory
    /// counts in `max_memory_mb`.
    fn engine_reserve(&self) -> u64 {
        256 << 20
    }

    async fn load(&self, request: LoadRequest<'_>) -> Result<Arc<dyn LoadedExtension>> {
        let engine = self.engine(request.options.engine.as_deref())?;
        let isolation = request.options.isolation.unwrap_or(Isolation::PerCall);
        if isolation == Isolation::Process {
            return Err(Error::RuntimeUnavailable {
                reason: "process isolation is not available in this build yet".into(),
            });
        }
        let wasm = request.package.read_entry()?;
        let limits = request.package.manifest().resource_limits;
        let (shape, module) = tokio::task::spawn_blocking(move || {
            // Cheapest first: the budget reads section headers only.
            budget::check(&wasm, &limits)?;
            let shape = validate(&wasm)?;
            let module = engine.compile(&wasm, &limits)?;
            Ok::<_, Error>((shape, module))
        })
        .await
        .map_err(|_| Error::internal("the engine panicked while compiling"))??;

        let recipe = recipe(module, &request.config, shape)?;
        // Prove the module instantiates and `init` succeeds before handing it out.
        let check = recipe.clone();
        let init = request.init.start();
        tokio::task::spawn_blocking(move || fresh_instance(&check, &init).map(drop))
            .await
            .map_err(|_| Error::internal("the engine panicked while instantiating"))??;

        let mode = match isolation {
            Isolation::Pooled => Mode::Pooled(pool::start(
                recipe,
                request.init.clone(),
                self.config.pool_workers,
                &request.package.manifest().extension_id,
            )),
            _ => Mode::PerCall(recipe),
        };
        Ok(Arc::new(WasmExtension { shape, mode }))
    }
}

morph_runtime_core::register_runtime!(|| Arc::new(WasmRuntime::default()));
