//! The bounded converter between Python objects and JSON values.
//!
//! Every value that crosses between a guest and the host (parameters,
//! results, capability requests and responses, the guest's `json` module)
//! goes through here. **Conversion never recurses without bound and never
//! allocates past its budget**: nesting is capped at [`MAX_DEPTH`], a
//! container met again on its own path is a cycle, and the bytes produced are
//! counted against a caller-given budget while the value is built. Only
//! `None`, `bool`, `int` (64-bit), finite `float`, `str`, `list`, `tuple` and
//! `dict` with `str` keys cross; anything else is refused with its type name.

use rustpython_vm::AsObject;
use rustpython_vm::builtins::{PyDict, PyFloat, PyInt, PyList, PyStr, PyTuple};
use rustpython_vm::{PyObject, PyObjectRef, TryFromObject, VirtualMachine};
use serde_json::{Map, Number, Value};

/// Deepest nesting of lists and dicts that crosses in either direction.
pub const MAX_DEPTH: usize = 128;

/// Why a value could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvertError {
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A container contains itself.
    Cycle,
    /// The value is larger than the budget allowed.
    TooLarge {
        /// The budget in bytes.
        budget: u64,
    },
    /// A value of a type JSON cannot hold.
    Unsupported(String),
}

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConvertError::TooDeep => write!(f, "value nested deeper than {MAX_DEPTH} levels"),
            ConvertError::Cycle => f.write_str("value contains itself (a cycle)"),
            ConvertError::TooLarge { budget } => {
                write!(f, "value larger than the {budget} bytes allowed here")
            }
            ConvertError::Unsupported(what) => f.write_str(what),
        }
    }
}

/// Converts a Python object into JSON, counting roughly the serialised size
/// against `budget` bytes.
///
/// # Errors
/// [`ConvertError`] for deep, cyclic, oversized or non-JSON values.
pub fn to_json(vm: &VirtualMachine, obj: &PyObject, budget: u64) -> Result<Value, ConvertError> {
    let mut walk = ToJson {
        vm,
        path: Vec::new(),
        used: 0,
        budget,
    };
    walk.value(obj)
}

struct ToJson<'a> {
    vm: &'a VirtualMachine,
    /// Addresses of the containers on the current path (cycle detection).
    path: Vec<usize>,
    used: u64,
    budget: u64,
}

impl ToJson<'_> {
    fn charge(&mut self, bytes: usize) -> Result<(), ConvertError> {
        self.used = self.used.saturating_add(bytes as u64);
        if self.used > self.budget {
            return Err(ConvertError::TooLarge {
                budget: self.budget,
            });
        }
        Ok(())
    }

    fn enter(&mut self, obj: &PyObject) -> Result<(), ConvertError> {
        let id = obj as *const PyObject as usize;
        if self.path.contains(&id) {
            return Err(ConvertError::Cycle);
        }
        if self.path.len() >= MAX_DEPTH {
            return Err(ConvertError::TooDeep);
        }
        self.path.push(id);
        Ok(())
    }

    fn value(&mut self, obj: &PyObject) -> Result<Value, ConvertError> {
        let vm = self.vm;
        if vm.is_none(obj) {
            self.charge(4)?;
            return Ok(Value::Null);
        }
        // bool before int: bool is an int subclass.
        if obj.class().is(vm.ctx.types.bool_type) {
            self.charge(5)?;
            return Ok(Value::Bool(obj.is(&vm.ctx.true_value)));
        }
        if obj.downcast_ref::<PyInt>().is_some() {
            self.charge(20)?;
            let owned: PyObjectRef = obj.to_owned();
            if let Ok(i) = i64::try_from_object(vm, owned.clone()) {
                return Ok(Value::from(i));
            }
            if let Ok(u) = u64::try_from_object(vm, owned) {
                return Ok(Value::from(u));
            }
            return Err(ConvertError::Unsupported(
                "int does not fit in 64 bits (JSON numbers cross as i64/u64)".into(),
            ));
        }
        if let Some(f) = obj.downcast_ref::<PyFloat>() {
            self.charge(24)?;
            return Number::from_f64(f.to_f64())
                .map(Value::Number)
                .ok_or_else(|| ConvertError::Unsupported("float is NaN or infinite".into()));
        }
        if let Some(s) = obj.downcast_ref::<PyStr>() {
            self.charge(s.byte_len() + 2)?;
            return s
                .to_str()
                .map(|s| Value::String(s.to_owned()))
                .ok_or_else(|| {
                    ConvertError::Unsupported("str holds lone surrogates (not valid UTF-8)".into())
                });
        }
        if let Some(list) = obj.downcast_ref::<PyList>() {
            self.enter(obj)?;
            // Snapshot the items: guest code cannot run during conversion,
            // but the lock must not be held across recursion.
            let items: Vec<PyObjectRef> = list.borrow_vec().to_vec();
            let out = self.array(&items);
            self.path.pop();
            return out;
        }
        if let Some(tuple) = obj.downcast_ref::<PyTuple>() {
            self.enter(obj)?;
            let items: Vec<PyObjectRef> = tuple.as_slice().to_vec();
            let out = self.array(&items);
            self.path.pop();
            return out;
        }
        if let Some(dict) = obj.downcast_ref::<PyDict>() {
            self.enter(obj)?;
            let out = self.object(dict);
            self.path.pop();
            return out;
        }
        Err(ConvertError::Unsupported(format!(
            "a value of type `{}` is not JSON (use None, bool, int, float, str, list, dict)",
            crate::traceback::bounded(&obj.class().name(), 64)
        )))
    }

    fn array(&mut self, items: &[PyObjectRef]) -> Result<Value, ConvertError> {
        self.charge(2)?;
        let mut out = Vec::with_capacity(items.len().min(1024));
        for item in items {
            self.charge(1)?;
            out.push(self.value(item)?);
        }
        Ok(Value::Array(out))
    }

    fn object(&mut self, dict: &PyDict) -> Result<Value, ConvertError> {
        self.charge(2)?;
        let mut out = Map::new();
        let entries: Vec<(PyObjectRef, PyObjectRef)> = dict.into_iter().collect();
        for (key, value) in entries {
            let Some(key) = key.downcast_ref::<PyStr>() else {
                return Err(ConvertError::Unsupported(format!(
                    "dict keys must be str, not `{}`",
                    crate::traceback::bounded(&key.class().name(), 64)
                )));
            };
            let Some(key) = key.to_str() else {
                return Err(ConvertError::Unsupported(
                    "dict key holds lone surrogates".into(),
                ));
            };
            self.charge(key.len() + 4)?;
            let value = self.value(&value)?;
            out.insert(key.to_owned(), value);
        }
        Ok(Value::Object(out))
    }
}

/// Converts a JSON value into Python objects.
///
/// # Errors
/// [`ConvertError::TooDeep`] past [`MAX_DEPTH`].
pub fn to_py(vm: &VirtualMachine, value: &Value) -> Result<PyObjectRef, ConvertError> {
    to_py_at(vm, value, 0)
}

fn to_py_at(vm: &VirtualMachine, value: &Value, depth: usize) -> Result<PyObjectRef, ConvertError> {
    if depth > MAX_DEPTH {
        return Err(ConvertError::TooDeep);
    }
    Ok(match value {
        Value::Null => vm.ctx.none(),
        Value::Bool(b) => vm.ctx.new_bool(*b).into(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                vm.ctx.new_int(i).into()
            } else if let Some(u) = n.as_u64() {
                vm.ctx.new_int(u).into()
            } else {
                vm.ctx.new_float(n.as_f64().unwrap_or(f64::NAN)).into()
            }
        }
        Value::String(s) => vm.ctx.new_str(s.as_str()).into(),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(to_py_at(vm, item, depth + 1)?);
            }
            vm.ctx.new_list(out).into()
        }
        Value::Object(map) => {
            let dict = vm.ctx.new_dict();
            for (k, v) in map {
                let v = to_py_at(vm, v, depth + 1)?;
                dict.set_item(k.as_str(), v, vm)
                    .map_err(|_| ConvertError::Unsupported("building a dict failed".into()))?;
            }
            dict.into()
        }
    })
}
