//! A loaded Python extension: calls go to warm interpreters on this
//! extension's own worker threads (`Pooled`) or to a fresh one per call
//! (`PerCall`, a pool whose sessions serve one call each).
//!
//! **A pool belongs to one extension and never serves another**; a session
//! that hit a limit is discarded by the pool, and the next call gets a new
//! interpreter.

use async_trait::async_trait;
use morph_capabilities::providers::Event;
use morph_capabilities::{Call, Result};
use morph_runtime_core::LoadedExtension;
use morph_runtime_core::workers::WorkerPool;
use serde_json::Value;

use crate::session::{Job, PySession};

/// A Python extension ready for calls.
pub(crate) struct PythonExtension {
    pub pool: WorkerPool<PySession>,
    pub has_on_event: bool,
}

#[async_trait]
impl LoadedExtension for PythonExtension {
    async fn execute(&self, call: Call, action: &str, params: Value) -> Result<Value> {
        self.pool
            .run(
                call,
                Job::Execute {
                    action: action.to_owned(),
                    params,
                },
            )
            .await
    }

    fn handles_events(&self) -> bool {
        self.has_on_event
    }

    async fn on_event(&self, call: Call, event: Event) -> Result<()> {
        if !self.has_on_event {
            return Ok(());
        }
        self.pool.run(call, Job::Event(event)).await.map(|_| ())
    }
}
