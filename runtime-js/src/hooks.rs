//! Host hooks: what Boa asks the embedder while guest code runs.
//!
//! - `eval` and `new Function` stay inside the sandbox (same realm, same
//!   `morph`, same limits); their source passes the deadline check and the
//!   nesting check of [`crate::source_check`] first.
//! - Promise jobs check the deadline before each callback.
//! - `ArrayBuffer` and `SharedArrayBuffer` allocations (a typed array's
//!   included) are capped at what the running call may still allocate
//!   ([`Shared::buffer_room`]; `max_memory_mb` outside a call). Boa refuses a larger
//!   one before allocating with its own `RangeError`; uncaught, that ends
//!   the call with `memory_limit` ([`crate::errors`]).
//! - The local time zone is UTC: the host's zone is ambient information.

use boa_engine::context::HostHooks;
use boa_engine::job::JobCallback;
use boa_engine::realm::Realm;
use boa_engine::{Context, JsNativeError, JsResult, JsString, JsValue};

use crate::call_state::{Shared, check_deadline};
use crate::source_check;

/// Morph's host hooks for one context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hooks {
    /// `max_memory_mb` in bytes: no buffer is ever larger.
    pub max_memory: u64,
}

impl HostHooks for Hooks {
    fn call_job_callback(
        &self,
        job: &JobCallback,
        this: &JsValue,
        args: &[JsValue],
        context: &mut Context,
    ) -> JsResult<JsValue> {
        check_deadline(context)?;
        let result = job.callback().call(this, args, context);
        // Boa drops an uncatchable error that ends a promise job (the promise
        // just stays pending): remember it so that the call ends with it.
        if let Err(e) = &result
            && let Some(engine) = e.as_engine()
            && let Some(shared) = Shared::of(context)
        {
            let _ = shared.raise(crate::errors::engine_error(engine));
        }
        result
    }

    fn ensure_can_compile_strings(
        &self,
        _realm: Realm,
        parameters: &[JsString],
        body: &JsString,
        _direct: bool,
        context: &mut Context,
    ) -> JsResult<()> {
        check_deadline(context)?;
        let text: String = parameters
            .iter()
            .map(JsString::to_std_string_lossy)
            .chain(std::iter::once(body.to_std_string_lossy()))
            .collect::<Vec<_>>()
            .join("\n");
        source_check::check(text.chars()).map_err(|e| {
            JsNativeError::range()
                .with_message(format!("eval refused: {e}"))
                .into()
        })
    }

    fn local_timezone_offset_seconds(&self, _unix_time_seconds: i64) -> i32 {
        0
    }

    fn max_buffer_size(&self, context: &mut Context) -> u64 {
        Shared::of(context).map_or(self.max_memory, |s| s.buffer_room().min(self.max_memory))
    }
}
