//! A loaded wasm extension: runs entry points per call or on a pool.
//!
//! `PerCall` instantiates a fresh instance (and runs `init`) for every call on
//! the blocking thread pool, so **no state survives between calls**; `Pooled`
//! sends calls to warm instances owned by this extension's workers.

use std::sync::Arc;

use async_trait::async_trait;
use morph_capabilities::providers::Event;
use morph_capabilities::{Call, Error, Result};
use morph_runtime_core::LoadedExtension;
use serde_json::{Value, json};

use crate::engine::{Entry, Input};
use crate::instance_run::{fresh_instance, run_entry};
use crate::pool::{InstanceRecipe, Pool};
use crate::validate::ModuleShape;

/// How calls reach instances.
pub(crate) enum Mode {
    /// A fresh instance per call.
    PerCall(InstanceRecipe),
    /// Warm instances on worker threads.
    Pooled(Pool),
}

/// A wasm extension ready for calls.
pub(crate) struct WasmExtension {
    pub shape: ModuleShape,
    pub mode: Mode,
}

impl WasmExtension {
    async fn run(&self, call: Call, entry: Entry, input: Input) -> Result<Value> {
        match &self.mode {
            Mode::Pooled(pool) => pool.run(call, (entry, input)).await,
            Mode::PerCall(recipe) => {
                let recipe = recipe.clone();
                tokio::task::spawn_blocking(move || {
                    let mut instance = fresh_instance(&recipe, &call)?;
                    run_entry(instance.as_mut(), call, entry, &input)
                })
                .await
                .map_err(|_| Error::internal("the engine panicked; the call was abandoned"))?
            }
        }
    }
}

#[async_trait]
impl LoadedExtension for WasmExtension {
    async fn execute(&self, call: Call, action: &str, params: Value) -> Result<Value> {
        let input = match self.shape.abi_version {
            1 => Input::json(encode(&json!({ "action": action, "params": &params }))?),
            _ => Input::action(action, &encode(&params)?),
        };
        // The params are freed while the guest runs on its own thread, not
        // before it starts (a 1 MiB document takes milliseconds to free).
        let (result, ()) = tokio::join!(self.run(call, Entry::Execute, input), async move {
            drop(params)
        });
        result
    }

    fn handles_events(&self) -> bool {
        self.shape.has_on_event
    }

    async fn on_event(&self, call: Call, event: Event) -> Result<()> {
        if !self.shape.has_on_event {
            return Ok(());
        }
        let input = Input::json(encode(&event)?);
        self.run(call, Entry::OnEvent, input).await.map(|_| ())
    }
}

/// Serialises an entry point's input.
pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| Error::internal(format!("encoding guest input: {e}")))
}

/// Keeps the recipe's module alive for as long as the extension.
pub(crate) fn recipe(
    module: Arc<dyn crate::engine::CompiledModule>,
    config: &Value,
    shape: ModuleShape,
) -> Result<InstanceRecipe> {
    Ok(InstanceRecipe {
        module,
        handle: tokio::runtime::Handle::current(),
        init_input: if shape.has_init {
            Some(Arc::new(Input::json(encode(config)?)))
        } else {
            None
        },
    })
}
