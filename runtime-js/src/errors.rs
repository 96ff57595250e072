//! Boa's errors as Morph errors: the one place engine errors get a code.
//!
//! A limit a native raised (deadline, output, memory) wins; then Boa's
//! uncatchable runtime-limit errors (`stack_overflow` for recursion and
//! value-stack depth, `timeout` for the loop-iteration limit, the in-process
//! stand-in for the deadline where evaluation is not budgeted); a thrown
//! value becomes `guest_error` with the guest's message and stack (file and
//! line, paths relative to the package), unless it carries a `code` one of
//! this call's capability calls really returned, which propagates as that
//! error, or is the engine's own refusal of a buffer larger than the call
//! may still allocate ([`BUFFER_REFUSED`]) or of a `BigInt` past its size
//! cap ([`BIGINT_REFUSED`]), which is `memory_limit`.
//! **Reading the thrown value runs no guest code**: only own data
//! properties and the engine's own `stack` getter are read.

use boa_engine::error::{EngineError, RuntimeLimitError};
use boa_engine::property::PropertyKey;
use boa_engine::{Context, JsError, JsObject, JsValue, js_string};
use morph_capabilities::{Error, GuestFault, LimitKind, truncate_for_message};

use crate::call_state::Shared;

/// Longest guest message or stack kept.
const MAX_TEXT: usize = 16 * 1024;

/// The message of the `RangeError` Boa throws, before allocating, for an
/// `ArrayBuffer` or `SharedArrayBuffer` (a typed array's too) larger than
/// the host's cap ([`crate::hooks`]).
pub(crate) const BUFFER_REFUSED: &str =
    "cannot allocate a buffer that exceeds the maximum buffer size";

/// The message of the `RangeError` Boa throws, before allocating, for a
/// `BigInt` result past its own size cap (a billion bits).
pub(crate) const BIGINT_REFUSED: &str = "Maximum BigInt size exceeded";

/// The engine's `Error.prototype.stack` getter, captured before any guest
/// code ran (a guest may replace the property, never this function).
#[derive(Clone)]
pub(crate) struct StackGetter(pub Option<JsObject>);

impl StackGetter {
    /// Captures the intrinsic getter from a fresh context.
    pub fn capture(ctx: &mut Context) -> StackGetter {
        let proto = ctx.intrinsics().constructors().error().prototype();
        let getter = proto
            .borrow()
            .properties()
            .get(&js_string!("stack").into())
            .and_then(|d| d.get().cloned())
            .and_then(|g| g.as_object());
        StackGetter(getter)
    }
}

/// Maps an error that ended guest code to a Morph error.
pub(crate) fn from_js(err: JsError, shared: &Shared, ctx: &mut Context) -> Error {
    if let Some(fatal) = shared.take_fatal() {
        return fatal;
    }
    if let Some(engine) = err.as_engine() {
        return engine_error(engine);
    }
    if shared.out_of_time() {
        return shared.timeout_error();
    }
    let thrown = match err.into_opaque(ctx) {
        Ok(v) => v,
        Err(_) => {
            return Error::GuestCrash {
                reason: "the guest threw a value the engine could not report".into(),
            };
        }
    };
    thrown_to_error(&thrown, shared, ctx)
}

/// Boa's uncatchable errors as Morph limits.
pub(crate) fn engine_error(engine: &EngineError) -> Error {
    match engine {
        EngineError::RuntimeLimit(RuntimeLimitError::Recursion)
        | EngineError::RuntimeLimit(RuntimeLimitError::StackSize) => Error::limit(
            LimitKind::Stack,
            "the guest recursed too deep (unbounded recursion?)",
        ),
        EngineError::RuntimeLimit(RuntimeLimitError::LoopIteration) => Error::limit(
            LimitKind::Time,
            "a loop ran past the iteration limit that stands in for max_execution_ms \
                 where evaluation is not budgeted",
        ),
        other => Error::GuestCrash {
            reason: truncate_for_message(&format!("the engine stopped: {other}"), 1024),
        },
    }
}

/// A thrown JS value as `guest_error` (or the capability error it propagates).
pub(crate) fn thrown_to_error(thrown: &JsValue, shared: &Shared, ctx: &mut Context) -> Error {
    let Some(obj) = thrown.as_object() else {
        return Error::Guest(GuestFault {
            message: truncate_for_message(&thrown.display().to_string(), MAX_TEXT),
            stack: None,
        });
    };
    if let Some(code) = data_string(&obj, "code", 1)
        && let Some(e) = shared.take_capability_error(&code)
    {
        return e;
    }
    let message = data_string(&obj, "message", 8).unwrap_or_default();
    let name = data_string(&obj, "name", 8).unwrap_or_else(|| "Error".into());
    if name == "RangeError" && message == BUFFER_REFUSED {
        let max = shared.max_memory() >> 20;
        return Error::limit(
            LimitKind::Memory,
            format!(
                "a buffer larger than the call may still allocate was refused \
                 (max_memory_mb = {max})"
            ),
        );
    }
    if name == "RangeError" && message == BIGINT_REFUSED {
        return Error::limit(
            LimitKind::Memory,
            "a BigInt past the engine's size cap was refused before it was allocated",
        );
    }
    let message = match (name.as_str(), message.is_empty()) {
        ("Error", false) => message,
        ("Error", true) => "the guest threw an error without a message".into(),
        (_, false) => format!("{name}: {message}"),
        (_, true) => name,
    };
    let stack = ctx
        .get_data::<StackGetter>()
        .and_then(|g| g.0.clone())
        .and_then(|getter| getter.call(thrown, &[], ctx).ok())
        .and_then(|s| s.as_string().map(|s| s.to_std_string_lossy()))
        .filter(|s| !s.trim().is_empty())
        .map(|s| truncate_for_message(&s, MAX_TEXT));
    Error::Guest(GuestFault {
        message: truncate_for_message(&message, MAX_TEXT),
        stack,
    })
}

/// A string data property of `obj` or its first `hops - 1` prototypes,
/// read from storage (no getter or trap runs).
fn data_string(obj: &JsObject, key: &str, hops: usize) -> Option<String> {
    let key = PropertyKey::from(js_string!(key));
    let mut current = Some(obj.clone());
    for _ in 0..hops {
        let o = current?;
        if o.is::<boa_engine::builtins::proxy::Proxy>() {
            return None;
        }
        if let Some(desc) = o.borrow().properties().get(&key) {
            return desc
                .value()
                .and_then(JsValue::as_string)
                .map(|s| s.to_std_string_lossy());
        }
        current = o.prototype();
    }
    None
}
