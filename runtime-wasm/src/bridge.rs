//! The host side of the guest ABI, shared by both engines.
//!
//! An engine adapter keeps one [`Bridge`] in its store's data and forwards the
//! three `morph` imports here after reading guest memory (with the bounds and
//! size checks of [`guest_range`] and the caps below). The bridge turns a
//! `call` into `broker.invoke` through the [`Call`] of the running call, keeps
//! the response until the guest fetches it with `response` (**the host never
//! calls back into the guest during a host call**), remembers the panic
//! message and the limit that ended a call, and maps traps and result
//! envelopes to Morph errors.

use std::ops::Range;
use std::time::Instant;

use morph_capabilities::{
    Call, Error, ErrorCode, GuestFault, LimitKind, MAX_REQUEST_BYTES, Result, truncate_for_message,
};
use serde_json::{Value, json};

use crate::wasi::WasiState;

/// The newest ABI version this host supports (`morph_abi_version`); every
/// version from 1 up to it runs.
pub const ABI_VERSION: i32 = 2;
/// Longest capability wire name the host reads.
pub const MAX_CAPABILITY_NAME: u32 = 64;
/// Most of a panic message the host keeps.
pub const MAX_PANIC_MESSAGE: u32 = 4096;
/// Slack allowed on top of the output budget for the envelope around a result.
pub const ENVELOPE_SLACK: u64 = 1024;
/// Capability errors remembered per call for propagation (ABI.md).
const MAX_REMEMBERED_ERRORS: usize = 64;

/// How a guest call trapped, as far as the shared code needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrapKind {
    /// Fuel or metering exhausted, or the deadline interrupt fired.
    OutOfTime,
    /// The guest's call stack overflowed.
    StackOverflow,
    /// A host import asked to end the call (see [`Bridge::raise`]).
    Host,
    /// Any other trap (unreachable, out-of-bounds, bad conversion, ...).
    Other,
}

/// Per-instance host state; reset for every call.
pub struct Bridge {
    handle: tokio::runtime::Handle,
    call: Option<Call>,
    pending: Option<Vec<u8>>,
    panic_message: Option<String>,
    fatal: Option<Error>,
    capability_errors: Vec<Error>,
    memory_denied: bool,
    wasi: WasiState,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("in_call", &self.call.is_some())
            .field("memory_denied", &self.memory_denied)
            .finish_non_exhaustive()
    }
}

impl Bridge {
    /// A bridge that runs capability futures on `handle`.
    pub fn new(handle: tokio::runtime::Handle) -> Bridge {
        Bridge {
            handle,
            call: None,
            pending: None,
            panic_message: None,
            fatal: None,
            capability_errors: Vec::new(),
            memory_denied: false,
            wasi: WasiState::default(),
        }
    }

    /// Starts a call: every host import until [`Bridge::end`] runs under `call`.
    pub fn begin(&mut self, call: Call) {
        self.call = Some(call);
        self.pending = None;
        self.panic_message = None;
        self.fatal = None;
        self.capability_errors.clear();
        self.memory_denied = false;
        self.wasi.clear();
    }

    /// Ends the call; the instance holds nothing of it afterwards.
    pub fn end(&mut self) {
        self.call = None;
        self.pending = None;
    }

    /// The running call's deadline, if a call is running.
    pub fn deadline(&self) -> Option<Instant> {
        self.call.as_ref().map(|c| c.context().deadline())
    }

    /// Whether the running call must stop as at its deadline: the deadline
    /// passed or the caller cancelled it.
    pub fn out_of_time(&self) -> bool {
        self.call.as_ref().is_some_and(|c| {
            let ctx = c.context();
            ctx.is_cancelled() || Instant::now() >= ctx.deadline()
        })
    }

    /// The running call.
    pub fn call(&self) -> Option<&Call> {
        self.call.as_ref()
    }

    /// Output bytes the running call may still produce.
    pub fn output_left(&self) -> u64 {
        self.call.as_ref().map_or(0, |c| c.context().output_left())
    }

    /// The `call` import: invokes `capability` with the JSON `request` and
    /// keeps the response envelope; returns its length.
    ///
    /// # Errors
    /// Returns the error that must end the guest (trap): a limit hit during the
    /// host call (`timeout`, `output_too_large`), the call's cancellation
    /// (`cancelled`), or a call outside an entry point.
    pub fn host_call(&mut self, capability: &[u8], request: &[u8]) -> Result<i32> {
        let Some(call) = self.call.clone() else {
            return Err(self.raise(Error::GuestCrash {
                reason: "a capability was called outside an entry point".into(),
            }));
        };
        let name = String::from_utf8_lossy(capability);
        let outcome = self.handle.block_on(call.invoke_bytes(&name, request));
        let envelope = match outcome {
            Ok(value) => json!({ "ok": value }),
            Err(e)
                if matches!(
                    e.code(),
                    ErrorCode::Timeout | ErrorCode::Cancelled | ErrorCode::OutputTooLarge
                ) =>
            {
                return Err(self.raise(e));
            }
            Err(e) => {
                let wire = json!({ "error": { "code": e.code(), "message": e.to_string() } });
                if self.capability_errors.len() == MAX_REMEMBERED_ERRORS {
                    self.capability_errors.remove(0);
                }
                self.capability_errors.push(e);
                wire
            }
        };
        let bytes = serde_json::to_vec(&envelope)
            .map_err(|e| self.raise(Error::internal(format!("encoding a response: {e}"))))?;
        let len = i32::try_from(bytes.len()).map_err(|_| {
            self.raise(Error::limit(
                LimitKind::Output,
                "a capability response does not fit the guest's address space",
            ))
        })?;
        self.pending = Some(bytes);
        Ok(len)
    }

    /// The instance's WASI state (`crate::wasi`).
    pub fn wasi(&mut self) -> &mut WasiState {
        &mut self.wasi
    }

    /// Sends one line of the guest's stdout or stderr as a `log` record of
    /// `level` for the running call; `false` when the broker refused it
    /// (the guest sees `EIO`).
    ///
    /// # Errors
    /// A limit the record ran into (`output_too_large`, `timeout`,
    /// `cancelled`), already raised: the guest must be trapped.
    pub fn log_line(&mut self, level: &str, line: &[u8]) -> Result<bool> {
        let Some(call) = self.call.clone() else {
            // Output outside an entry point (a start function) has no call
            // to be recorded under: it is dropped.
            return Ok(false);
        };
        let request = json!({ "level": level, "message": String::from_utf8_lossy(line) });
        match self.handle.block_on(call.invoke("log", request)) {
            Ok(_) => Ok(true),
            Err(e)
                if matches!(
                    e.code(),
                    ErrorCode::Timeout | ErrorCode::Cancelled | ErrorCode::OutputTooLarge
                ) =>
            {
                Err(self.raise(e))
            }
            Err(_) => Ok(false),
        }
    }

    /// The `response` import: the pending response if `len` matches it
    /// (the adapter writes it to guest memory), `None` otherwise (`-1`).
    pub fn take_response(&mut self, len: u32) -> Option<Vec<u8>> {
        match &self.pending {
            Some(p) if p.len() as u64 == u64::from(len) => self.pending.take(),
            _ => None,
        }
    }

    /// The `panic` import: keeps the (already capped) message.
    pub fn record_panic(&mut self, message: &[u8]) {
        self.panic_message = Some(String::from_utf8_lossy(message).into_owned());
    }

    /// Called by an adapter's limiter when a memory grow was refused.
    pub fn note_memory_denied(&mut self) {
        self.memory_denied = true;
    }

    /// Remembers `error` as the reason the guest is being trapped and returns
    /// it (adapters turn it into their engine's host trap).
    pub fn raise(&mut self, error: Error) -> Error {
        let copy = clone_error(&error);
        self.fatal = Some(error);
        copy
    }

    /// The error that ends a call whose guest trapped with `kind`.
    pub fn trap_error(&mut self, kind: TrapKind, detail: &str) -> Error {
        if let Some(fatal) = self.fatal.take() {
            return fatal;
        }
        let past_deadline = self.out_of_time();
        match kind {
            TrapKind::OutOfTime => self.timeout(),
            TrapKind::StackOverflow => Error::limit(
                LimitKind::Stack,
                "the guest's call stack overflowed (unbounded recursion?)",
            ),
            _ if self.memory_denied => Error::limit(
                LimitKind::Memory,
                "the guest ran out of memory under max_memory_mb",
            ),
            _ if past_deadline => self.timeout(),
            _ => match &self.panic_message {
                Some(msg) => Error::GuestCrash {
                    reason: format!("guest panicked: {}", truncate_for_message(msg, 4096)),
                },
                None => Error::GuestCrash {
                    reason: format!("guest trapped: {}", truncate_for_message(detail, 512)),
                },
            },
        }
    }

    /// `timeout`, or `cancelled` when the caller cancelled the call (its
    /// guest was stopped the same way).
    fn timeout(&self) -> Error {
        match &self.call {
            Some(c) => c.context().stopped_error(),
            None => Error::limit(LimitKind::Time, "the guest ran out of time"),
        }
    }

    /// Interprets the result block of an entry point of a module of ABI
    /// `version` (ABI.md): version 1's envelope (`{"ok": v}` or
    /// `{"error": {...}}`), version 2's tagged block (`0` JSON, `1` error,
    /// `2` text).
    ///
    /// # Errors
    /// `guest_error` with the guest's message (or the propagated capability
    /// error, when the guest names a code one of its capability calls really
    /// returned), `guest_crash` for a malformed result.
    pub fn finish_result(&mut self, version: i32, bytes: &[u8]) -> Result<Value> {
        if version == 1 {
            return self.finish_envelope(bytes);
        }
        let crash = |reason: &str| Error::GuestCrash {
            reason: format!("invalid result: {reason}"),
        };
        match bytes.split_first() {
            Some((0, [])) => Ok(Value::Null),
            Some((0, json)) => serde_json::from_slice(json).map_err(|e| crash(&e.to_string())),
            Some((1, error)) => {
                let error: Value =
                    serde_json::from_slice(error).map_err(|e| crash(&e.to_string()))?;
                Err(self.guest_error(&error))
            }
            Some((2, text)) => std::str::from_utf8(text)
                .map(|t| Value::String(t.to_owned()))
                .map_err(|e| crash(&format!("text that is not UTF-8: {e}"))),
            Some((tag, _)) => Err(crash(&format!("unknown first byte {tag}"))),
            None => Err(crash("an empty block")),
        }
    }

    /// Interprets a version 1 result envelope: `{"ok": v}` or `{"error": {...}}`.
    fn finish_envelope(&mut self, bytes: &[u8]) -> Result<Value> {
        let crash = |reason: &str| Error::GuestCrash {
            reason: format!("invalid result envelope: {reason}"),
        };
        let mut doc: Value = serde_json::from_slice(bytes).map_err(|e| crash(&e.to_string()))?;
        let Some(obj) = doc.as_object_mut() else {
            return Err(crash("not a JSON object"));
        };
        if let Some(value) = obj.remove("ok") {
            return Ok(value);
        }
        let Some(error) = obj.remove("error") else {
            return Err(crash("neither `ok` nor `error`"));
        };
        Err(self.guest_error(&error))
    }

    /// The error a guest returned as `{"message", "code", "stack"}`.
    fn guest_error(&mut self, error: &Value) -> Error {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("the guest returned an error without a message");
        let claimed = error
            .get("code")
            .and_then(Value::as_str)
            .and_then(ErrorCode::parse);
        if let Some(code) = claimed
            && let Some(pos) = self
                .capability_errors
                .iter()
                .rposition(|e| e.code() == code)
        {
            return self.capability_errors.remove(pos);
        }
        Error::Guest(GuestFault {
            message: truncate_for_message(message, 16 * 1024),
            stack: error
                .get("stack")
                .and_then(Value::as_str)
                .map(|s| truncate_for_message(s, 16 * 1024)),
        })
    }
}

/// The byte range `[ptr, ptr + len)` of a guest memory of `memory_size`
/// bytes, computed without overflow.
///
/// # Errors
/// `guest_crash` when the range is negative, overflows or lies outside memory.
pub fn guest_range(ptr: i32, len: i32, memory_size: usize) -> Result<Range<usize>> {
    let bad = || Error::GuestCrash {
        reason: format!("guest passed an out-of-bounds buffer (ptr {ptr}, len {len})"),
    };
    let start = usize::try_from(ptr as u32).map_err(|_| bad())?;
    let len = usize::try_from(len as u32).map_err(|_| bad())?;
    let end = start.checked_add(len).ok_or_else(bad)?;
    if end > memory_size {
        return Err(bad());
    }
    Ok(start..end)
}

/// Unpacks a result `i64` into `(ptr, len)` (ABI.md: `(ptr << 32) | len`).
pub fn unpack(packed: i64) -> (i32, i32) {
    let bits = packed as u64;
    (
        (bits >> 32) as u32 as i32,
        (bits & 0xffff_ffff) as u32 as i32,
    )
}

/// Checks the sizes of a `call` import before any guest memory is read.
///
/// # Errors
/// `guest_crash` for a name longer than [`MAX_CAPABILITY_NAME`] or a request
/// larger than [`MAX_REQUEST_BYTES`].
pub fn check_call_sizes(cap_len: i32, req_len: i32) -> Result<()> {
    if cap_len < 0 || cap_len as u32 > MAX_CAPABILITY_NAME {
        return Err(Error::GuestCrash {
            reason: format!("capability name of {cap_len} bytes (max {MAX_CAPABILITY_NAME})"),
        });
    }
    if req_len < 0 || req_len as u32 as usize > MAX_REQUEST_BYTES {
        return Err(Error::GuestCrash {
            reason: format!(
                "capability request of {} bytes (max {MAX_REQUEST_BYTES})",
                req_len as u32
            ),
        });
    }
    Ok(())
}

/// Checks a result's length against the output budget before it is copied.
///
/// # Errors
/// `output_too_large`.
pub fn check_result_len(len: i32, output_left: u64) -> Result<()> {
    if u64::from(len as u32) > output_left.saturating_add(ENVELOPE_SLACK) {
        return Err(Error::limit(
            LimitKind::Output,
            format!(
                "the guest's result of {} bytes exceeds max_output_kb",
                len as u32
            ),
        ));
    }
    Ok(())
}

/// A copy of an error for the engine's trap object (the original stays in
/// the bridge and is what the call ends with).
fn clone_error(e: &Error) -> Error {
    match e {
        Error::Limit { kind, detail } => Error::limit(*kind, detail.clone()),
        other => Error::GuestCrash {
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// THREATS.md, "Guests reaching the host without the broker": wasm, host
    /// reads and writes of guest memory check `ptr + len` for overflow and
    /// bounds.
    #[test]
    fn ranges_are_checked_without_overflow() {
        assert_eq!(guest_range(10, 5, 100).unwrap(), 10..15);
        assert!(guest_range(-1, 5, 100).is_err());
        assert!(guest_range(i32::MAX, i32::MAX, 1 << 20).is_err());
        assert!(guest_range(90, 11, 100).is_err());
        assert!(guest_range(100, 0, 100).is_ok());
    }

    #[test]
    fn packing_round_trips_unsigned_halves() {
        let packed = ((0xffff_fff0u64 << 32) | 0x8000_0001u64) as i64;
        let (p, l) = unpack(packed);
        assert_eq!(p as u32, 0xffff_fff0);
        assert_eq!(l as u32, 0x8000_0001);
    }

    #[test]
    fn version_two_blocks_map_to_results_and_guest_errors() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut b = Bridge::new(rt.handle().clone());
        assert_eq!(
            b.finish_result(2, b"\x00[1,\"x\"]").unwrap(),
            json!([1, "x"])
        );
        assert_eq!(b.finish_result(2, b"\x00").unwrap(), Value::Null);
        assert_eq!(
            b.finish_result(2, "\u{2}h\u{e9}llo \"".as_bytes()).unwrap(),
            json!("h\u{e9}llo \"")
        );
        let e = b
            .finish_result(2, b"\x01{\"message\": \"nope\", \"code\": \"timeout\"}")
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::GuestError);
        assert!(e.to_string().contains("nope"));
        for bad in [&b""[..], b"\x03{}", b"\x00{", b"\x02\xff\xfe", b"\x01[1"] {
            assert_eq!(
                b.finish_result(2, bad).unwrap_err().code(),
                ErrorCode::GuestCrash,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn envelopes_map_to_results_and_guest_errors() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut b = Bridge::new(rt.handle().clone());
        assert_eq!(
            b.finish_envelope(br#"{"ok": [1, "x"]}"#).unwrap(),
            json!([1, "x"])
        );
        let e = b
            .finish_envelope(br#"{"error": {"message": "nope", "code": "permission_denied"}}"#)
            .unwrap_err();
        assert_eq!(
            e.code(),
            ErrorCode::GuestError,
            "a code never returned is not honoured"
        );
        assert!(e.to_string().contains("nope"));
        assert_eq!(
            b.finish_envelope(b"[]").unwrap_err().code(),
            ErrorCode::GuestCrash
        );
        assert_eq!(
            b.finish_envelope(b"not json").unwrap_err().code(),
            ErrorCode::GuestCrash
        );
    }
}
