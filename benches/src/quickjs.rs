//! The JS peer: QuickJS through rquickjs 0.14 (its own call API, no Morph
//! code), running the workloads' JS text.
//!
//! A [`QuickJs`] is a `Runtime` and a `Context::full` in which
//! `morph_bench_workloads::JS` ran as a script; a call is
//! `Function::call((arg,))` inside `Context::with`, on the calling thread,
//! with the function and its argument prepared beforehand (as the bare Boa
//! call of [`crate::bare_js`] has them), the result dropped inside the
//! context. [`QuickJs::call_json`] gives the answer as JSON, to check it.

use rquickjs::{CaughtError, Context, Ctx, Function, Persistent, Runtime, Value as JsValue};
use serde_json::Value;

/// A warm QuickJS context holding one global function and its argument.
pub struct QuickJs {
    // Values first: they must go before the context and runtime.
    function: Persistent<Function<'static>>,
    arg: Persistent<JsValue<'static>>,
    ctx: Context,
    _rt: Runtime,
}

impl QuickJs {
    /// A new runtime and full context in which `script` ran, its global
    /// function `name`, and `arg` made from JSON.
    ///
    /// # Panics
    /// When the script throws or `name` is not a function.
    pub fn new(script: &str, name: &str, arg: &Value) -> QuickJs {
        let rt = Runtime::new().expect("a QuickJS runtime");
        let ctx = Context::full(&rt).expect("a QuickJS context");
        let (function, arg) = ctx.with(|ctx| {
            caught(&ctx, ctx.eval::<(), _>(script), "the script");
            let function: Function = caught(&ctx, ctx.globals().get(name), name);
            let arg = caught(&ctx, ctx.json_parse(arg.to_string()), "the argument");
            (
                Persistent::save(&ctx, function),
                Persistent::save(&ctx, arg),
            )
        });
        QuickJs {
            function,
            arg,
            ctx,
            _rt: rt,
        }
    }

    /// `f(arg)` with the prepared argument; the result is dropped inside the
    /// context.
    ///
    /// # Panics
    /// When the function throws.
    pub fn call(&self) {
        self.ctx.with(|ctx| {
            let out = self.call_in(&ctx);
            std::hint::black_box(out);
        });
    }

    /// `f(arg)`, the result as JSON.
    ///
    /// # Panics
    /// When the function throws or returns something that is not JSON.
    pub fn call_json(&self) -> Value {
        self.ctx.with(|ctx| {
            let out = self.call_in(&ctx);
            let text = caught(&ctx, ctx.json_stringify(out), "JSON.stringify")
                .map(|s| s.to_string().expect("a JSON string"))
                .unwrap_or_else(|| "null".to_owned());
            serde_json::from_str(&text).expect("JSON text")
        })
    }

    fn call_in<'js>(&self, ctx: &Ctx<'js>) -> JsValue<'js> {
        let function = self.function.clone().restore(ctx).expect("the function");
        let arg = self.arg.clone().restore(ctx).expect("the argument");
        caught(ctx, function.call((arg,)), "the call")
    }
}

/// `result`'s value, or a panic naming `what` and the exception thrown.
fn caught<'js, T>(ctx: &Ctx<'js>, result: rquickjs::Result<T>, what: &str) -> T {
    match CaughtError::catch(ctx, result) {
        Ok(value) => value,
        Err(e) => panic!("QuickJS, {what}: {e}"),
    }
}
