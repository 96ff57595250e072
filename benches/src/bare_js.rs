//! The JS baselines: Boa 0.22 driven directly, with no Morph code.
//!
//! A bare call is `f.call(undefined, [arg], ctx)` on a warm
//! `Context::default()`, on the calling thread: no sandbox setup, no frozen
//! `morph` object, no budgeted evaluation or deadline, no job queue of
//! Morph's, no allocation meter, no worker thread, and the JSON conversions
//! (when measured) are Boa's own `JsValue::from_json` / `to_json`.

use boa_engine::builtins::promise::PromiseState;
use boa_engine::module::Module;
use boa_engine::{Context, JsObject, JsValue, Source, js_string};
use serde_json::{Value, json};

/// The trivial function of the overhead baselines.
pub const ECHO_JS: &str = "function echo(x) { return x; }";

/// A warm Boa context holding one global function.
pub struct BareJs {
    ctx: Context,
    function: JsObject,
}

impl BareJs {
    /// A `Context::default()` in which `script` ran, and its global `name`.
    ///
    /// # Panics
    /// When the script fails or `name` is not a function.
    pub fn new(script: &str, name: &str) -> BareJs {
        let mut ctx = Context::default();
        ctx.eval(Source::from_bytes(script))
            .unwrap_or_else(|e| panic!("the bare script: {e}"));
        let function = ctx
            .global_object()
            .get(js_string!(name), &mut ctx)
            .ok()
            .and_then(|v| v.as_object())
            .filter(JsObject::is_callable)
            .unwrap_or_else(|| panic!("`{name}` is not a function"));
        BareJs { ctx, function }
    }

    /// `json` as a value of this context (to prepare an argument).
    ///
    /// # Panics
    /// When Boa refuses the value.
    pub fn value(&mut self, json: &Value) -> JsValue {
        JsValue::from_json(json, &mut self.ctx).expect("a JSON value")
    }

    /// `f(arg)`.
    ///
    /// # Panics
    /// When the function throws.
    pub fn call(&mut self, arg: &JsValue) -> JsValue {
        self.function
            .call(
                &JsValue::undefined(),
                std::slice::from_ref(arg),
                &mut self.ctx,
            )
            .expect("the bare call")
    }

    /// `f(params)` with `params` made from JSON and the result turned back.
    ///
    /// # Panics
    /// When the function throws or returns something that is not JSON.
    pub fn call_json(&mut self, params: &Value) -> Value {
        let arg = self.value(params);
        let out = self.call(&arg);
        out.to_json(&mut self.ctx)
            .expect("a JSON result")
            .unwrap_or(Value::Null)
    }
}

/// A fresh `Context::default()`, dropped at once.
pub fn new_context() {
    drop(std::hint::black_box(Context::default()));
}

/// A fresh `Context::default()` with `module` evaluated as an ES module (its
/// promise settled by `run_jobs`), its `init({})` if it exports one, then
/// `execute(action, params)`, the result as JSON: what a `PerCall` session
/// does, without Morph.
///
/// # Panics
/// When the module does not evaluate or a call throws.
pub fn fresh_module_call(module: &str, action: &str, params: &Value) -> Value {
    let mut ctx = Context::default();
    let module = Module::parse(Source::from_bytes(module), None, &mut ctx)
        .unwrap_or_else(|e| panic!("the module does not parse: {e}"));
    let evaluated = module.load_link_evaluate(&mut ctx);
    ctx.run_jobs().expect("the module's jobs");
    if let PromiseState::Rejected(e) = evaluated.state() {
        panic!("the module failed: {}", e.display());
    }
    let namespace = module.namespace(&mut ctx);
    let export = |name: &str, ctx: &mut Context| {
        namespace
            .get(js_string!(name), ctx)
            .ok()
            .and_then(|v| v.as_object())
            .filter(JsObject::is_callable)
    };
    let undefined = JsValue::undefined();
    if let Some(init) = export("init", &mut ctx) {
        let config = JsValue::from_json(&json!({}), &mut ctx).expect("a JSON value");
        init.call(&undefined, &[config], &mut ctx)
            .expect("the module's init");
    }
    let execute = export("execute", &mut ctx).expect("the module exports execute");
    let params = JsValue::from_json(params, &mut ctx).expect("a JSON value");
    let out = execute
        .call(&undefined, &[js_string!(action).into(), params], &mut ctx)
        .expect("the module's execute");
    out.to_json(&mut ctx)
        .expect("a JSON result")
        .unwrap_or(Value::Null)
}
