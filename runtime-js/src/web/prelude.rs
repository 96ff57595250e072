//! Morph's JS prelude: the web globals written in JavaScript
//! (`web/js/*.js`), **installed once per context and loaded on first use**.
//!
//! Each file is one arrow function `(natives, shared) => { ... }`: `natives`
//! holds the host natives, `shared` carries what one file hands to the next
//! (e.g. the `EventTarget` internals); neither is ever stored on a global.
//!
//! Boa parses and compiles the prelude in about 18 ms (console.js alone is
//! 9 ms), thirty times the rest of a context, so only `builtins.js` runs
//! when the context is created. Every global a file defines is an accessor
//! on `globalThis` (not Node's data property: replacing the accessor from
//! inside its own getter reshapes the global object while Boa's `GetName`
//! holds a slot index into it, an out-of-bounds panic): reading it loads the
//! file, its dependencies first, and answers what the file put in
//! `shared.globals`; writing it loads the file too (so the file cannot later
//! replace the guest's value) and keeps the guest's value. A global the
//! file reads from the engine while it loads (`URL`, `atob`, `btoa`, which
//! it wraps or patches) is handed the engine's own value. So `console.log` costs its 9 ms once per context, in
//! the first call that uses it, and a context that never logs never pays.
//! A file captures the builtins it relies on when it loads; prelude code
//! runs as ordinary budgeted bytecode under the running call's limits, and
//! its natives reach the host only through the broker.

use boa_engine::object::FunctionObjectBuilder;
use boa_engine::property::{PropertyDescriptor, PropertyKey};
use boa_engine::{
    Context, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction, js_string,
};

/// One prelude file: its source, the files it needs loaded first (indexes
/// into [`FILES`]) and the globals it defines or patches.
struct File {
    name: &'static str,
    source: &'static str,
    needs: &'static [usize],
    globals: &'static [&'static str],
}

const EVENTS: usize = 0;
const CONSOLE: usize = 1;
const URL: usize = 3;

/// The lazily loaded files.
const FILES: &[File] = &[
    File {
        name: "events.js",
        source: include_str!("js/events.js"),
        needs: &[],
        globals: &[
            "DOMException",
            "Event",
            "CustomEvent",
            "EventTarget",
            "AbortSignal",
            "AbortController",
        ],
    },
    File {
        name: "console.js",
        source: include_str!("js/console.js"),
        needs: &[],
        globals: &["console"],
    },
    File {
        name: "clone.js",
        source: include_str!("js/clone.js"),
        needs: &[EVENTS],
        globals: &["structuredClone"],
    },
    File {
        name: "url.js",
        source: include_str!("js/url.js"),
        needs: &[],
        // `URL` itself is the engine's: the file adds `searchParams` to it.
        globals: &["URLSearchParams", "URL"],
    },
    File {
        name: "fetch.js",
        source: include_str!("js/fetch.js"),
        needs: &[EVENTS, URL],
        globals: &["Headers", "Request", "Response", "fetch"],
    },
    File {
        name: "platform.js",
        source: include_str!("js/platform.js"),
        needs: &[EVENTS, CONSOLE],
        // `atob`/`btoa` are the engine's, wrapped to throw DOMExceptions.
        globals: &["crypto", "performance", "atob", "btoa"],
    },
];

/// What runs when the context is created.
const EAGER: (&str, &str) = ("builtins.js", include_str!("js/builtins.js"));

/// Runs `builtins.js` and installs the accessors that load the other files.
///
/// # Errors
/// An engine error if a file does not evaluate (a bug in the prelude).
pub(super) fn run(natives: &JsObject, ctx: &mut Context) -> JsResult<()> {
    let shared = JsObject::with_null_proto();
    evaluate(EAGER.0, EAGER.1, natives, &shared, ctx)?;
    let global = ctx.global_object();
    for (index, file) in FILES.iter().enumerate() {
        for name in file.globals {
            let key = PropertyKey::from(JsString::from(*name));
            // The engine's own value, if it has one (`URL`, `atob`, `btoa`).
            let engine = global.get_own(&JsString::from(*name)).unwrap_or_default();
            let lazy = Lazy {
                natives: natives.clone(),
                shared: shared.clone(),
                file: index,
                name,
                engine,
            };
            let get = FunctionObjectBuilder::new(
                ctx.realm(),
                NativeFunction::from_copy_closure_with_captures(
                    |_, _, lazy: &Lazy, ctx| lazy.get(ctx),
                    lazy.clone(),
                ),
            )
            .name(js_string!("get"))
            .build();
            let set = FunctionObjectBuilder::new(
                ctx.realm(),
                NativeFunction::from_copy_closure_with_captures(
                    |_, args, lazy: &Lazy, ctx| {
                        lazy.set(args.first().cloned().unwrap_or_default(), ctx)
                    },
                    lazy,
                ),
            )
            .name(js_string!("set"))
            .length(1)
            .build();
            global.define_property_or_throw(
                key,
                PropertyDescriptor::builder()
                    .get(get)
                    .set(set)
                    .enumerable(false)
                    .configurable(true),
                ctx,
            )?;
        }
    }
    Ok(())
}

/// The accessor of one lazily loaded global.
#[derive(Clone, boa_gc::Trace, boa_gc::Finalize)]
struct Lazy {
    natives: JsObject,
    shared: JsObject,
    #[unsafe_ignore_trace]
    file: usize,
    #[unsafe_ignore_trace]
    name: &'static str,
    engine: JsValue,
}

impl Lazy {
    /// Loads the file, then answers the global's value: what the guest set,
    /// else what the file defined, else the engine's own.
    fn get(&self, ctx: &mut Context) -> JsResult<JsValue> {
        load(self.file, &self.natives, &self.shared, ctx)?;
        let key = JsString::from(self.name);
        for table in ["setByGuest", "globals"] {
            if let Some(t) = self.shared.get(JsString::from(table), ctx)?.as_object()
                && let Some(value) = t.get_own(&key)
            {
                return Ok(value);
            }
        }
        Ok(self.engine.clone())
    }

    /// Loads the file, then keeps the guest's value (later reads answer it).
    fn set(&self, value: JsValue, ctx: &mut Context) -> JsResult<JsValue> {
        load(self.file, &self.natives, &self.shared, ctx)?;
        let table_key = js_string!("setByGuest");
        let table = match self.shared.get(table_key.clone(), ctx)?.as_object() {
            Some(t) => t,
            None => {
                let t = JsObject::with_null_proto();
                self.shared
                    .create_data_property_or_throw(table_key, t.clone(), ctx)?;
                t
            }
        };
        table.create_data_property_or_throw(JsString::from(self.name), value, ctx)?;
        Ok(JsValue::undefined())
    }
}

/// An own data property, read without running any getter.
trait OwnValue {
    fn get_own(&self, key: &JsString) -> Option<JsValue>;
}

impl OwnValue for JsObject {
    fn get_own(&self, key: &JsString) -> Option<JsValue> {
        self.borrow()
            .properties()
            .get(&PropertyKey::from(key.clone()))
            .and_then(|d| d.value().cloned())
    }
}

/// Loads file `index` once per context, the files it needs first. The mark
/// is set before the file runs, so a file that reads its own globals while
/// loading gets the engine's value instead of loading itself again.
fn load(index: usize, natives: &JsObject, shared: &JsObject, ctx: &mut Context) -> JsResult<()> {
    let Some(file) = FILES.get(index) else {
        return Ok(());
    };
    let mark = JsString::from(format!("loaded:{}", file.name));
    if shared.has_own_property(mark.clone(), ctx)? {
        return Ok(());
    }
    shared.create_data_property_or_throw(mark, true, ctx)?;
    for &need in file.needs {
        load(need, natives, shared, ctx)?;
    }
    evaluate(file.name, file.source, natives, shared, ctx)
}

/// Evaluates one file and calls its function with `natives` and `shared`.
fn evaluate(
    name: &str,
    source: &str,
    natives: &JsObject,
    shared: &JsObject,
    ctx: &mut Context,
) -> JsResult<()> {
    // Compiled as `new Function` does (the way that is safe while other
    // code runs: a file usually loads from inside a guest's call), from the
    // intrinsic constructor the guest cannot replace.
    let body = JsString::from(format!("return (\n{source}\n);"));
    let constructor = ctx.intrinsics().constructors().function().constructor();
    let wrapper = constructor.construct(&[body.into()], None, ctx)?;
    let f = wrapper.call(&JsValue::undefined(), &[], ctx)?;
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
    Ok(())
}
