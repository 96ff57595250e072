//! Morph's JS prelude: the web globals written in JavaScript
//! (`web/js/*.js`), evaluated once per context before any guest code.
//!
//! Each file is one arrow function `(natives, shared) => { ... }`: `natives`
//! holds the host natives, `shared` carries what one file hands to the next
//! (e.g. the `EventTarget` internals); neither is ever stored on a global.
//! Each file captures the builtins it relies on when it runs, so a guest
//! that later replaces a global changes only its own view. Prelude code
//! called by the guest runs as ordinary budgeted bytecode under the call's
//! limits.

use boa_engine::{Context, JsNativeError, JsObject, JsResult, JsValue, Source};

/// The prelude's files, in evaluation order.
const FILES: &[(&str, &str)] = &[
    ("events.js", include_str!("js/events.js")),
    ("console.js", include_str!("js/console.js")),
    ("clone.js", include_str!("js/clone.js")),
    ("url.js", include_str!("js/url.js")),
    ("fetch.js", include_str!("js/fetch.js")),
    ("platform.js", include_str!("js/platform.js")),
];

/// Evaluates every prelude file with `natives`.
///
/// # Errors
/// An engine error if a file does not evaluate (a bug in the prelude).
pub(super) fn run(natives: &JsObject, ctx: &mut Context) -> JsResult<()> {
    let shared = JsObject::with_null_proto();
    for (name, source) in FILES {
        let f = ctx.eval(Source::from_bytes(source))?;
        let Some(f) = f.as_callable() else {
            return Err(JsNativeError::typ()
                .with_message(format!("prelude {name} is not a function"))
                .into());
        };
        f.call(
            &JsValue::undefined(),
            &[natives.clone().into(), shared.clone().into()],
            ctx,
        )?;
    }
    Ok(())
}
