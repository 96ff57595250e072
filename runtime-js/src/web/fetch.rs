//! The host side of `fetch`: one request is **one `http.fetch` capability
//! call** through the broker, so it meets the same permission,
//! `allowed_hosts`, `max_http_requests`, deadline and audit record as
//! `morph.http.fetch`.
//!
//! `web/js/fetch.js` builds `Headers`, `Request`, `Response` and `fetch` on
//! the one native here. Bodies cross as bytes: the request body is sent as
//! base64 (`body_encoding: "base64"`), the response body arrives as text or
//! base64 (as the broker chose) and is handed back as a `Uint8Array`. The
//! request blocks this worker until the broker answers (the call's deadline
//! bounds it); an abort signal is checked before and after.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use boa_engine::object::builtins::JsArray;
use boa_engine::{
    Context, JsArgs, JsNativeError, JsObject, JsResult, JsString, JsValue, js_string,
};
use serde_json::{Map, Value, json};

use super::{bytes, capability};

fn text(v: &JsValue, what: &str, ctx: &mut Context) -> JsResult<String> {
    if v.is_undefined() {
        return Err(JsNativeError::typ()
            .with_message(format!("fetch: {what} is missing"))
            .into());
    }
    Ok(v.to_string(ctx)?.to_std_string_lossy())
}

/// `httpFetch(method, url, headers, body)`: `headers` is an array of
/// `[name, value]` pairs, `body` a `Uint8Array` or `undefined`. Returns
/// `{status, headers: [[name, value]...], body: Uint8Array}`.
fn http_fetch(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let method = text(args.get_or_undefined(0), "the method", ctx)?;
    let url = text(args.get_or_undefined(1), "the URL", ctx)?;
    let mut headers = Map::new();
    if let Some(list) = args.get_or_undefined(2).as_object() {
        let list = JsArray::from_object(list)?;
        let len = list.length(ctx)?;
        for i in 0..len {
            let pair = list.get(i, ctx)?;
            let Some(pair) = pair.as_object() else {
                continue;
            };
            let name = pair.get(0, ctx)?.to_string(ctx)?.to_std_string_lossy();
            let value = pair.get(1, ctx)?.to_string(ctx)?.to_std_string_lossy();
            headers.insert(name, Value::String(value));
        }
    }
    let mut request = json!({ "method": method, "url": url, "headers": headers });
    let body = args.get_or_undefined(3);
    if !body.is_undefined() {
        let bytes = bytes::read(body, ctx)?;
        request["body"] = Value::String(STANDARD.encode(bytes));
        request["body_encoding"] = json!("base64");
    }
    let Some(response) = capability::invoke("http.fetch", request, ctx)? else {
        return Err(JsNativeError::typ()
            .with_message("fetch is only available while init, execute or onEvent runs")
            .into());
    };
    response_to_js(&response, ctx)
}

fn response_to_js(response: &Value, ctx: &mut Context) -> JsResult<JsValue> {
    let status = response.get("status").and_then(Value::as_u64).unwrap_or(0);
    let body = response.get("body").and_then(Value::as_str).unwrap_or("");
    let body = match response.get("body_encoding").and_then(Value::as_str) {
        Some("base64") => STANDARD.decode(body).map_err(|e| {
            JsNativeError::typ().with_message(format!("fetch: the response body: {e}"))
        })?,
        _ => body.as_bytes().to_vec(),
    };
    let headers = JsArray::new(ctx)?;
    if let Some(map) = response.get("headers").and_then(Value::as_object) {
        for (name, value) in map {
            let pair = JsArray::from_iter(
                [
                    JsValue::from(JsString::from(name.as_str())),
                    JsValue::from(JsString::from(value.as_str().unwrap_or(""))),
                ],
                ctx,
            );
            headers.push(pair, ctx)?;
        }
    }
    let out = JsObject::with_null_proto();
    out.create_data_property_or_throw(js_string!("status"), JsValue::from(status as f64), ctx)?;
    out.create_data_property_or_throw(js_string!("headers"), headers, ctx)?;
    let body = bytes::uint8_array(body, ctx)?;
    out.create_data_property_or_throw(js_string!("body"), body, ctx)?;
    Ok(out.into())
}

/// The natives `web/js/fetch.js` builds `fetch` from.
pub(super) const NATIVES: &[super::Native] = &[("httpFetch", http_fetch, 4)];
