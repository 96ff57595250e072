//! The Python baselines: RustPython 0.5 driven directly, with no Morph code.
//!
//! A bare call is `f.call((arg,), vm)` inside `Interpreter::enter` on a warm
//! `Interpreter::without_stdlib` (the same crate features as Morph's: the
//! compiler, no `host_env`, `stdio` or `threading`), on the calling thread:
//! no stripped module table or scrubbed `sys`, no `morph` module, no
//! watchdog or interrupt, no allocation meter, no worker thread, and the JSON
//! conversions (when measured) are the plain ones below, without budgets.
//!
//! The compute workloads (`morph_bench_workloads::PYTHON`) `import json`,
//! which an interpreter without the standard library lacks: [`BarePython`]
//! registers a plain `json` of its own first (`loads` / `dumps` on
//! serde_json through the conversions below, compact output, no budgets),
//! as Morph's runtime and CPython each bring theirs.

use rustpython_vm::builtins::{PyDict, PyDictRef, PyFloat, PyInt, PyList, PyStr, PyStrRef};
use rustpython_vm::compiler::Mode;
use rustpython_vm::convert::TryFromObject;
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{AsObject, Interpreter, PyObjectRef, PyResult, Settings, VirtualMachine};
use serde_json::{Map, Value, json};

/// The trivial function of the overhead baselines.
pub const ECHO_PY: &str = "def echo(x):\n    return x\n";

/// An interpreter without the standard library, set up as an embedder sets
/// one up (isolated, no `site`, no signal handlers).
pub fn interpreter() -> Interpreter {
    let mut settings = Settings::default();
    settings.isolated = true;
    settings.ignore_environment = true;
    settings.import_site = false;
    settings.user_site_directory = false;
    settings.install_signal_handlers = false;
    settings.write_bytecode = false;
    Interpreter::without_stdlib(settings)
}

/// A new interpreter, dropped at once.
pub fn new_interpreter() {
    drop(std::hint::black_box(interpreter()));
}

/// A warm interpreter holding one function and a prepared argument.
pub struct BarePython {
    // Python objects first: they must go before the interpreter.
    function: PyObjectRef,
    arg: PyObjectRef,
    interp: Interpreter,
}

impl BarePython {
    /// An interpreter in which `source` ran as a module (with the plain
    /// `json` module importable), its function `name` and `arg` made from
    /// JSON.
    ///
    /// # Panics
    /// When the source fails or `name` is not callable.
    pub fn new(source: &str, name: &str, arg: &Value) -> BarePython {
        let interp = interpreter();
        let (function, arg) = interp.enter(|vm| {
            let run = || -> PyResult<(PyObjectRef, PyObjectRef)> {
                add_module(vm, "json", json_module(vm)?)?;
                let code = vm
                    .compile(source, Mode::Exec, "<bare>".to_owned())
                    .map_err(|e| vm.new_syntax_error(&e, Some(source)))?;
                let scope = vm.new_scope_with_builtins();
                vm.run_code_obj(code, scope.clone())?;
                Ok((scope.globals.get_item(name, vm)?, to_py(vm, arg)))
            };
            vm.expect_pyresult(run(), "the bare module")
        });
        BarePython {
            function,
            arg,
            interp,
        }
    }

    /// `f(arg)` with the prepared argument; the result is dropped inside the
    /// interpreter.
    ///
    /// # Panics
    /// When the function raises.
    pub fn call(&self) {
        self.interp.enter(|vm| {
            let out = self.function.call((self.arg.clone(),), vm);
            std::hint::black_box(vm.expect_pyresult(out, "the bare call"));
        });
    }

    /// `f(params)` with `params` made from JSON and the result turned back.
    ///
    /// # Panics
    /// When the function raises or returns something that is not JSON.
    pub fn call_json(&self, params: &Value) -> Value {
        self.interp.enter(|vm| {
            let out = self.function.call((to_py(vm, params),), vm);
            to_json(vm, &vm.expect_pyresult(out, "the bare call"))
        })
    }
}

/// A fresh interpreter with `source` run as a module (`import morph`
/// answered by an empty module), its `init({})` if it defines one, then
/// `execute(action, params)`, the result as JSON: what a `PerCall` session
/// does, without Morph.
///
/// # Panics
/// When the module fails or a call raises.
pub fn fresh_module_call(source: &str, action: &str, params: &Value) -> Value {
    let interp = interpreter();
    interp.enter(|vm| {
        let run = || -> PyResult<Value> {
            add_module(vm, "morph", vm.ctx.new_dict())?;
            let code = vm
                .compile(source, Mode::Exec, "main.py".to_owned())
                .map_err(|e| vm.new_syntax_error(&e, Some(source)))?;
            let scope = vm.new_scope_with_builtins();
            vm.run_code_obj(code, scope.clone())?;
            if let Some(init) = scope.globals.get_item_opt("init", vm)? {
                init.call((to_py(vm, &json!({})),), vm)?;
            }
            let execute = scope.globals.get_item("execute", vm)?;
            let out = execute.call((vm.ctx.new_str(action), to_py(vm, params)), vm)?;
            Ok(to_json(vm, &out))
        };
        vm.expect_pyresult(run(), "the fresh module call")
    })
}

/// Puts a module `name` with `dict` in `sys.modules`, so that `import name`
/// finds it.
fn add_module(vm: &VirtualMachine, name: &str, dict: PyDictRef) -> PyResult<()> {
    let module = vm.new_module(name, dict, None);
    vm.sys_module
        .get_attr("modules", vm)?
        .set_item(name, module.into(), vm)
}

/// The plain `json` module's dict: `loads(text)` and `dumps(obj, ...)`
/// (keyword arguments ignored, always compact), on serde_json through
/// [`to_py`] / [`to_json`].
fn json_module(vm: &VirtualMachine) -> PyResult<PyDictRef> {
    let dict = vm.ctx.new_dict();
    let loads = |text: PyStrRef, vm: &VirtualMachine| -> PyResult<PyObjectRef> {
        let text = text
            .to_str()
            .ok_or_else(|| vm.new_value_error("not UTF-8"))?;
        let value: Value =
            serde_json::from_str(text).map_err(|e| vm.new_value_error(e.to_string()))?;
        Ok(to_py(vm, &value))
    };
    let dumps = |args: FuncArgs, vm: &VirtualMachine| -> PyResult<String> {
        let obj = args
            .args
            .first()
            .ok_or_else(|| vm.new_type_error("dumps() takes the object to write"))?;
        serde_json::to_string(&to_json(vm, obj)).map_err(|e| vm.new_value_error(e.to_string()))
    };
    dict.set_item("loads", vm.new_function("loads", loads).into(), vm)?;
    dict.set_item("dumps", vm.new_function("dumps", dumps).into(), vm)?;
    Ok(dict)
}

/// A JSON value as Python objects (no depth or size budget).
pub fn to_py(vm: &VirtualMachine, value: &Value) -> PyObjectRef {
    match value {
        Value::Null => vm.ctx.none(),
        Value::Bool(b) => vm.ctx.new_bool(*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => vm.ctx.new_int(i).into(),
            None => vm.ctx.new_float(n.as_f64().unwrap_or(f64::NAN)).into(),
        },
        Value::String(s) => vm.ctx.new_str(s.as_str()).into(),
        Value::Array(items) => vm
            .ctx
            .new_list(items.iter().map(|v| to_py(vm, v)).collect())
            .into(),
        Value::Object(map) => {
            let dict = vm.ctx.new_dict();
            for (k, v) in map {
                dict.set_item(k.as_str(), to_py(vm, v), vm)
                    .expect("a str key");
            }
            dict.into()
        }
    }
}

/// A Python object as JSON (no budget).
///
/// # Panics
/// For a value that is not `None`, bool, int (64 bits), float, str, list or
/// a dict with str keys.
pub fn to_json(vm: &VirtualMachine, obj: &PyObjectRef) -> Value {
    if vm.is_none(obj) {
        return Value::Null;
    }
    if obj.class().is(vm.ctx.types.bool_type) {
        return Value::Bool(obj.is(&vm.ctx.true_value));
    }
    if obj.downcast_ref::<PyInt>().is_some() {
        return Value::from(i64::try_from_object(vm, obj.clone()).expect("a 64-bit int"));
    }
    if let Some(f) = obj.downcast_ref::<PyFloat>() {
        return json!(f.to_f64());
    }
    if let Some(s) = obj.downcast_ref::<PyStr>() {
        return Value::String(s.to_str().expect("UTF-8").to_owned());
    }
    if let Some(list) = obj.downcast_ref::<PyList>() {
        let items: Vec<PyObjectRef> = list.borrow_vec().to_vec();
        return Value::Array(items.iter().map(|v| to_json(vm, v)).collect());
    }
    if let Some(dict) = obj.downcast_ref::<PyDict>() {
        let mut out = Map::new();
        for (k, v) in dict {
            let key = k.downcast_ref::<PyStr>().expect("a str key");
            out.insert(key.to_str().expect("UTF-8").to_owned(), to_json(vm, &v));
        }
        return Value::Object(out);
    }
    panic!("`{}` is not JSON", obj.class().name());
}
