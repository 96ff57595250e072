//! How a web global reaches the broker: one capability call from a native,
//! under the running call.
//!
//! **The web globals check no permission**: like `morph.*` (see
//! `host_api`), they hand a wire request to the broker, which decides,
//! counts and audits. A refusal is thrown as a catchable `TypeError` (what
//! `fetch` rejects with in browsers and Node) carrying `code` and
//! `capability`, and is remembered so that an uncaught one ends the call with
//! its own code; limits hit during the call (`timeout`, `output_too_large`)
//! end the call uncatchably.

use boa_engine::{Context, JsError, JsNativeError, JsResult, JsString, js_string};
use morph_capabilities::{ErrorCode, truncate_for_message};
use morph_runtime_core::allocation;
use serde_json::Value;

use crate::call_state::Shared;

/// Sends `request` to capability `wire` under the running call. `Ok(None)`
/// when no call runs (no broker to ask).
///
/// # Errors
/// The refusal as a catchable `TypeError` with `code`; a limit as an
/// uncatchable error.
pub(crate) fn invoke(wire: &str, request: Value, ctx: &mut Context) -> JsResult<Option<Value>> {
    let Some(shared) = Shared::of(ctx) else {
        return Ok(None);
    };
    let Some(call) = shared.call() else {
        return Ok(None);
    };
    shared.check_deadline()?;
    // Host work outside the call's allocation ceiling (see `host_api`).
    let handle = shared.handle();
    match allocation::unbudgeted(|| handle.block_on(call.invoke(wire, request))) {
        Ok(value) => Ok(Some(value)),
        Err(e) if matches!(e.code(), ErrorCode::Timeout | ErrorCode::OutputTooLarge) => {
            Err(shared.raise(e))
        }
        Err(e) => {
            let obj = JsNativeError::typ()
                .with_message(truncate_for_message(&e.to_string(), 4096))
                .into_opaque(ctx);
            obj.create_data_property_or_throw(
                js_string!("code"),
                JsString::from(e.code().as_str()),
                ctx,
            )?;
            obj.create_data_property_or_throw(
                js_string!("capability"),
                JsString::from(truncate_for_message(wire, 64).as_str()),
                ctx,
            )?;
            shared.remember(e);
            Err(JsError::from_opaque(obj.into()))
        }
    }
}
