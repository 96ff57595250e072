//! The natives behind the guest's `json` module: `dumps` and `loads` on the
//! host's bounded converter (the frozen stdlib, and so CPython's `json`, is
//! not in the interpreter). Output is capped by `max_memory_mb`, input
//! nesting by serde_json's recursion limit and [`convert::MAX_DEPTH`].

use std::rc::Rc;

use rustpython_vm::builtins::{PyDictRef, PyStrRef};
use rustpython_vm::{PyObjectRef, PyResult, TryFromObject, VirtualMachine};
use serde_json::{Map, Value};

use crate::call_state::CallState;
use crate::convert::{self, ConvertError};

/// Widest indent `dumps` accepts.
const MAX_INDENT: usize = 16;

/// Adds `json_dumps` and `json_loads` to the `_morph` module dict.
///
/// # Errors
/// A Python exception if the dict cannot be written (never guest input).
pub fn add_natives(vm: &VirtualMachine, dict: &PyDictRef, state: &Rc<CallState>) -> PyResult<()> {
    let budget = state.memory_bytes;
    dict.set_item(
        "json_dumps",
        vm.new_function(
            "json_dumps",
            move |obj: PyObjectRef, indent: PyObjectRef, sort_keys: bool, vm: &VirtualMachine| {
                dumps(vm, &obj, &indent, sort_keys, budget)
            },
        )
        .into(),
        vm,
    )?;
    dict.set_item(
        "json_loads",
        vm.new_function("json_loads", |s: PyStrRef, vm: &VirtualMachine| {
            loads(vm, &s)
        })
        .into(),
        vm,
    )?;
    Ok(())
}

fn dumps(
    vm: &VirtualMachine,
    obj: &PyObjectRef,
    indent: &PyObjectRef,
    sort_keys: bool,
    budget: u64,
) -> PyResult<String> {
    let value = convert::to_json(vm, obj, budget).map_err(|e| match e {
        ConvertError::Unsupported(_) => vm.new_type_error(e.to_string()),
        ConvertError::TooLarge { .. } => vm.new_memory_error(e.to_string()),
        _ => vm.new_value_error(e.to_string()),
    })?;
    let value = if sort_keys { sorted(value) } else { value };
    let indent = if vm.is_none(indent) {
        None
    } else {
        Some(usize::try_from_object(vm, indent.clone())?.min(MAX_INDENT))
    };
    let text = match indent {
        None => serde_json::to_string(&value),
        Some(n) => {
            let pad = vec![b' '; n];
            let mut out = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(&pad);
            let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
            serde::Serialize::serialize(&value, &mut ser)
                .map(|()| String::from_utf8_lossy(&out).into_owned())
        }
    };
    text.map_err(|e| vm.new_value_error(e.to_string()))
}

/// The value with every object's keys in order (depth bounded by the converter).
fn sorted(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        other => other,
    }
}

/// `(True, value)` or `(False, message)`; the prelude raises `JSONDecodeError`.
fn loads(vm: &VirtualMachine, s: &PyStrRef) -> PyResult {
    let text = s.to_string_lossy();
    let parsed = serde_json::from_str::<Value>(&text)
        .map_err(|e| e.to_string())
        .and_then(|v| convert::to_py(vm, &v).map_err(|e| e.to_string()));
    Ok(match parsed {
        Ok(obj) => vm.new_tuple((true, obj)).into(),
        Err(msg) => vm.new_tuple((false, msg)).into(),
    })
}
