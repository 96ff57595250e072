//! The host side of `console`: each line the guest logs is one `log`
//! capability call with its level, so it is audited like `morph.log` and
//! charged to `max_output_kb` by the broker.
//!
//! Formatting (Node's `util.format`/`util.inspect`, bounded) and the
//! console's state (`count`, `time`, groups) live in `web/js/console.js`.
//! **Outside a call a line is dropped**, never an error: there is no broker
//! to hand it to (top-level module code runs under the `init` call, so it
//! does log).

use boa_engine::builtins::promise::PromiseState;
use boa_engine::object::builtins::{JsArray, JsPromise};
use boa_engine::{Context, JsArgs, JsNativeError, JsResult, JsValue, js_string};
use morph_capabilities::providers::log::LEVELS;
use serde_json::json;

use super::capability;

/// `log(level, message)`: `level` is one of the `log` capability's levels
/// (anything else is `info`).
fn log(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let level = args
        .get_or_undefined(0)
        .as_string()
        .map(|s| s.to_std_string_lossy())
        .filter(|l| LEVELS.contains(&l.as_str()))
        .unwrap_or_else(|| "info".to_owned());
    let message = args
        .get_or_undefined(1)
        .to_string(ctx)?
        .to_std_string_lossy();
    capability::invoke("log", json!({ "message": message, "level": level }), ctx)?;
    Ok(JsValue::undefined())
}

/// `promiseState(p)`: `["pending"]`, `["fulfilled", value]` or
/// `["rejected", reason]`, for inspecting a promise as Node does.
fn promise_state(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let promise = args
        .get_or_undefined(0)
        .as_object()
        .and_then(|o| JsPromise::from_object(o).ok())
        .ok_or_else(|| JsNativeError::typ().with_message("not a promise"))?;
    let items = match promise.state() {
        PromiseState::Pending => vec![js_string!("pending").into()],
        PromiseState::Fulfilled(v) => vec![js_string!("fulfilled").into(), v],
        PromiseState::Rejected(e) => vec![js_string!("rejected").into(), e],
    };
    Ok(JsArray::from_iter(items, ctx).into())
}

/// The natives `web/js/console.js` builds `console` from.
pub(super) const NATIVES: &[super::Native] = &[("log", log, 2), ("promiseState", promise_state, 1)];
