//! A loaded JS extension: calls go to its own pool of warm sessions.
//!
//! **A pool belongs to one extension and never serves another.** `Pooled`
//! keeps sessions warm (recycled after a violation or
//! [`RECYCLE_AFTER`](crate::RECYCLE_AFTER) uses); `PerCall` is the same pool
//! with `recycle_after: 1`, so every call gets a fresh context.

use async_trait::async_trait;
use morph_capabilities::providers::Event;
use morph_capabilities::{Call, Error, Result};
use morph_runtime_core::LoadedExtension;
use morph_runtime_core::workers::WorkerPool;
use serde_json::Value;

use crate::session::{Job, JsSession};

/// A JS extension ready for calls.
pub(crate) struct JsExtension {
    pub pool: WorkerPool<JsSession>,
    pub has_on_event: bool,
}

#[async_trait]
impl LoadedExtension for JsExtension {
    async fn execute(&self, call: Call, action: &str, params: Value) -> Result<Value> {
        let job = Job::Execute {
            action: action.to_owned(),
            params,
        };
        self.pool.run(call, job).await
    }

    fn handles_events(&self) -> bool {
        self.has_on_event
    }

    async fn on_event(&self, call: Call, event: Event) -> Result<()> {
        if !self.has_on_event {
            return Ok(());
        }
        let event = serde_json::to_value(&event)
            .map_err(|e| Error::internal(format!("encoding an event: {e}")))?;
        self.pool.run(call, Job::Event(event)).await.map(drop)
    }
}
