//! The web platform globals a guest finds besides ECMAScript's own:
//! `console`, timers, `queueMicrotask`, `structuredClone`, `atob`/`btoa`,
//! `TextEncoder`/`TextDecoder`, `URL`/`URLSearchParams`, `Event`/
//! `EventTarget`/`CustomEvent`, `DOMException`, `AbortController`/
//! `AbortSignal`, `fetch` with `Headers`/`Request`/`Response`, `crypto` and
//! `performance`. The complete list of globals is [`GLOBALS`].
//!
//! **Installed once per context, when the session is created, never per
//! call**; the prelude's files are then loaded on first use, once per
//! context (see [`prelude`]: Boa takes about 18 ms to compile them all).
//! Where they come from:
//!
//! - `boa_runtime` 0.22: `atob`/`btoa`, the timers (which enqueue
//!   `TimeoutJob`/`IntervalJob` for Morph's job queue, see `crate::jobs`),
//!   `queueMicrotask`, `TextEncoder`/`TextDecoder`, `URL`.
//! - Morph's JS prelude (`web/js/*.js`, see [`prelude`]) on a few host
//!   natives: `console` (Node's formatting, bounded; lines go to the `log`
//!   capability, see [`console`]), `fetch` (one `http.fetch` capability call
//!   per request, see [`fetch`]), `crypto` ([`crypto`]), `performance`
//!   ([`performance`]), and what `boa_runtime` lacks or gets wrong for a
//!   sandbox: events, `DOMException`, abort signals with `timeout`/`any`,
//!   `URLSearchParams` and `URL.prototype.searchParams`, and
//!   `structuredClone` (Boa's recurses natively without a depth bound, so a
//!   deeply nested value could overflow the host's stack; the prelude's runs
//!   as budgeted JS under the engine's recursion limit).
//! - Not used from `boa_runtime`: its `console` (not Node's format; its
//!   state sits in a `RefCell` borrowed while guest `toString` runs, so a
//!   re-entrant `console.count` panics), its `fetch` classes (string bodies
//!   only, no `arrayBuffer`), its `AbortController` (not an `EventTarget`).
//!
//! The natives are handed to the prelude as an argument, never through a
//! global: **no internal helper is reachable from guest code**.

mod bytes;
mod capability;
mod console;
mod crypto;
mod fetch;
mod globals;
mod performance;
mod prelude;

use boa_engine::object::FunctionObjectBuilder;
use boa_engine::{Context, JsObject, JsResult, JsString, JsValue, NativeFunction, js_string};
use boa_runtime::extensions::{
    Base64Extension, EncodingExtension, MicrotaskExtension, TimeoutExtension, UrlExtension,
};

pub use globals::GLOBALS;

/// A host native for the prelude: (name, function, length).
type Native = (
    &'static str,
    fn(&JsValue, &[JsValue], &mut Context) -> JsResult<JsValue>,
    usize,
);

/// Installs every web global in `ctx`. Runs before any guest code.
///
/// # Errors
/// Engine errors while building them (none expected).
pub(crate) fn install(ctx: &mut Context) -> JsResult<()> {
    boa_runtime::register_extensions(
        (
            Base64Extension,
            TimeoutExtension,
            EncodingExtension,
            MicrotaskExtension,
            UrlExtension,
        ),
        None,
        ctx,
    )?;
    // Boa 0.22 makes the abstract `%TypedArray%` a global; no other engine
    // does, and nothing needs it there (it stays reachable as
    // `Object.getPrototypeOf(Uint8Array)`).
    ctx.global_object()
        .delete_property_or_throw(js_string!("TypedArray"), ctx)?;
    ctx.insert_data(performance::TimeOrigin::now());
    let natives = JsObject::with_null_proto();
    for (name, f, length) in console::NATIVES
        .iter()
        .chain(fetch::NATIVES)
        .chain(crypto::NATIVES)
        .chain(performance::NATIVES)
    {
        let function = FunctionObjectBuilder::new(ctx.realm(), NativeFunction::from_fn_ptr(*f))
            .name(JsString::from(*name))
            .length(*length)
            .build();
        natives.create_data_property_or_throw(JsString::from(*name), function, ctx)?;
    }
    prelude::run(&natives, ctx)
}
