//! The capability transport: [`invoke`] sends one request to the host by wire
//! name and unwraps the response envelope.
//!
//! On `wasm32` this is the ABI's `morph.call` import followed by
//! `morph.response` into a buffer the guest allocated itself (**the host never
//! calls back into the guest during a host call**). On other targets there is
//! no host, and every call fails with `unknown_capability`, so the crate and
//! the extensions built on it compile and unit-test natively.

use serde_json::Value;

use crate::error::{Error, Result};

/// Invokes a capability by wire name with a JSON request: the escape hatch
/// under every typed wrapper (`http.fetch`, `vault.get`, `data.list_tasks`,
/// `log`, `config`, ...; the brief's section 4 lists them).
///
/// ```no_run
/// use morph_sdk::json;
///
/// let reply = morph_sdk::invoke("vault.get", &json!({"key": "token"}))?;
/// let token = reply["value"].as_str();
/// # Ok::<(), morph_sdk::Error>(())
/// ```
///
/// # Errors
/// The host's error, code included (`permission_denied`,
/// `unknown_capability`, `invalid_request`, `capability_failed`, ...).
/// Outside a Morph host (native builds, unit tests) every call fails with
/// `unknown_capability`.
pub fn invoke(capability: &str, request: &Value) -> Result<Value> {
    let request = serde_json::to_vec(request)?;
    let response = transport::call(capability, &request)?;
    parse_envelope(&response)
}

/// Unwraps the host's response envelope: `{"ok": v}` or
/// `{"error": {"code", "message"}}`.
pub(crate) fn parse_envelope(bytes: &[u8]) -> Result<Value> {
    let bad = || Error::with_code("internal", "the host sent a malformed response envelope");
    let Value::Object(mut map) = serde_json::from_slice(bytes).map_err(|_| bad())? else {
        return Err(bad());
    };
    if let Some(ok) = map.remove("ok") {
        return Ok(ok);
    }
    let Some(err) = map.remove("error") else {
        return Err(bad());
    };
    let text = |key: &str| err.get(key).and_then(Value::as_str).map(str::to_owned);
    Err(Error::with_code(
        text("code").unwrap_or_else(|| "internal".to_owned()),
        text("message").unwrap_or_default(),
    ))
}

/// Deserialises a capability response into `T`.
pub(crate) fn from_response<T: serde::de::DeserializeOwned>(
    capability: &str,
    value: Value,
) -> Result<T> {
    serde_json::from_value(value).map_err(|e| {
        Error::with_code(
            "internal",
            format!("unexpected `{capability}` response from the host: {e}"),
        )
    })
}

#[cfg(target_arch = "wasm32")]
mod transport {
    use crate::error::{Error, Result};

    #[link(wasm_import_module = "morph")]
    unsafe extern "C" {
        /// Invokes a capability; returns the response length.
        #[link_name = "call"]
        fn host_call(cap_ptr: *const u8, cap_len: usize, req_ptr: *const u8, req_len: usize)
        -> i32;
        /// Copies the pending response; `0` on success.
        #[link_name = "response"]
        fn host_response(ptr: *mut u8, len: usize) -> i32;
    }

    /// Calls the host and fetches the response bytes.
    pub(super) fn call(capability: &str, request: &[u8]) -> Result<Vec<u8>> {
        // SAFETY: both pointers and lengths describe live, initialised slices
        // borrowed for the duration of the call; the host only reads them.
        let len = unsafe {
            host_call(
                capability.as_ptr(),
                capability.len(),
                request.as_ptr(),
                request.len(),
            )
        };
        let len = usize::try_from(len)
            .map_err(|_| Error::with_code("internal", format!("the host returned length {len}")))?;
        let mut buf: Vec<u8> = Vec::with_capacity(len);
        // SAFETY: `buf` has room for `len` bytes; the host writes exactly
        // `len` bytes there (or nothing, returning -1) and does not keep the
        // pointer.
        let status = unsafe { host_response(buf.as_mut_ptr(), len) };
        if status != 0 {
            return Err(Error::with_code(
                "internal",
                "the host had no pending response to copy",
            ));
        }
        // SAFETY: `response` returned 0, so it initialised all `len` bytes.
        unsafe { buf.set_len(len) };
        Ok(buf)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod transport {
    use crate::error::{Error, Result};

    /// Outside a Morph host no capability exists.
    pub(super) fn call(capability: &str, request: &[u8]) -> Result<Vec<u8>> {
        #[cfg(test)]
        if let Some(reply) = mock::answer(capability, request) {
            return Ok(reply);
        }
        let _ = request;
        Err(Error::with_code(
            "unknown_capability",
            format!("`{capability}`: not running inside a Morph host"),
        ))
    }

    #[cfg(test)]
    pub(crate) mod mock {
        //! A test double for the host, per test thread.
        use std::cell::RefCell;

        use serde_json::Value;

        type Handler = Box<dyn FnMut(&str, Value) -> Value>;

        thread_local! {
            static HANDLER: RefCell<Option<Handler>> = RefCell::new(None);
        }

        /// Answers this thread's capability calls with `handler`, which gets
        /// the wire name and request and returns the response envelope.
        pub(crate) fn install(handler: impl FnMut(&str, Value) -> Value + 'static) {
            HANDLER.with(|h| *h.borrow_mut() = Some(Box::new(handler)));
        }

        /// Answers every call with `reply` and records the calls.
        pub(crate) fn record(reply: Value) -> std::rc::Rc<RefCell<Vec<(String, Value)>>> {
            let calls = std::rc::Rc::new(RefCell::new(Vec::new()));
            let seen = std::rc::Rc::clone(&calls);
            install(move |cap, req| {
                seen.borrow_mut().push((cap.to_owned(), req));
                reply.clone()
            });
            calls
        }

        pub(super) fn answer(capability: &str, request: &[u8]) -> Option<Vec<u8>> {
            HANDLER.with(|h| {
                let mut h = h.borrow_mut();
                let handler = h.as_mut()?;
                let request = serde_json::from_slice(request).ok()?;
                serde_json::to_vec(&handler(capability, request)).ok()
            })
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) use transport::mock;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn outside_a_host_every_call_is_an_unknown_capability() {
        let err = invoke("vault.get", &json!({"key": "k"})).unwrap_err();
        assert_eq!(err.code(), "unknown_capability");
        assert!(err.message().contains("not running inside a Morph host"));
    }

    #[test]
    fn envelopes_unwrap_to_values_or_coded_errors() {
        assert_eq!(
            parse_envelope(br#"{"ok": {"a": 1}}"#).unwrap(),
            json!({"a": 1})
        );
        assert_eq!(parse_envelope(br#"{"ok": null}"#).unwrap(), Value::Null);
        let err = parse_envelope(
            br#"{"error": {"code": "permission_denied", "message": "needs vault:read"}}"#,
        )
        .unwrap_err();
        assert_eq!(err.code(), "permission_denied");
        assert_eq!(err.message(), "needs vault:read");
        for bad in [&b"[1]"[..], b"{}", b"not json", br#"{"other": 1}"#] {
            assert_eq!(parse_envelope(bad).unwrap_err().code(), "internal");
        }
    }

    #[test]
    fn invoke_sends_the_wire_name_and_request() {
        mock::install(|cap, req| json!({"ok": {"cap": cap, "req": req}}));
        let reply = invoke("data.get_task", &json!({"id": 7})).unwrap();
        assert_eq!(reply, json!({"cap": "data.get_task", "req": {"id": 7}}));
    }
}
