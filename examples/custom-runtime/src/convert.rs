//! Values between Rhai and JSON. Host-made JSON (parameters, capability
//! results) is already bounded by the host, so it goes in through rhai's
//! serde support; guest-made values come out through a converter with a depth
//! and a size budget, because a script can build values nested far deeper
//! than a recursive conversion could survive.

use morph_runtime_core::{Error, Result};
use rhai::Dynamic;
use serde_json::{Map, Number, Value};

/// Deepest nesting a guest value may have.
pub const MAX_DEPTH: usize = 128;

/// JSON into a Rhai value.
///
/// # Errors
/// `internal` if rhai's serializer refuses the value.
pub fn to_rhai(value: &Value) -> Result<Dynamic> {
    rhai::serde::to_dynamic(value).map_err(|e| Error::internal(format!("JSON into rhai: {e}")))
}

/// A guest value into JSON, at most [`MAX_DEPTH`] deep and `budget` bytes
/// (counted as JSON text, roughly).
///
/// # Errors
/// `guest_error` for values JSON cannot hold (functions, NaN, ...) or nesting
/// too deep; `output_too_large` when the budget runs out.
pub fn to_json(value: &Dynamic, budget: usize) -> Result<Value> {
    let mut left = budget;
    convert(value, 0, &mut left)
}

fn charge(left: &mut usize, n: usize) -> Result<()> {
    *left = left.checked_sub(n).ok_or_else(|| {
        Error::limit(
            morph_runtime_core::capabilities::LimitKind::Output,
            "the guest's value is larger than max_output_kb",
        )
    })?;
    Ok(())
}

fn convert(value: &Dynamic, depth: usize, left: &mut usize) -> Result<Value> {
    if depth > MAX_DEPTH {
        return Err(Error::guest(format!(
            "the result is nested more than {MAX_DEPTH} levels deep"
        )));
    }
    charge(left, 8)?;
    if value.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(i) = value.as_int() {
        return Ok(Value::Number(i.into()));
    }
    if let Ok(f) = value.as_float() {
        return Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| Error::guest(format!("{f} is not a JSON number")));
    }
    if value.is_string() || value.is_char() {
        let s = value.to_string();
        charge(left, s.len())?;
        return Ok(Value::String(s));
    }
    if let Some(array) = value.read_lock::<rhai::Array>() {
        let mut out = Vec::with_capacity(array.len().min(1024));
        for item in array.iter() {
            out.push(convert(item, depth + 1, left)?);
        }
        return Ok(Value::Array(out));
    }
    if let Some(map) = value.read_lock::<rhai::Map>() {
        let mut out = Map::new();
        for (k, v) in map.iter() {
            charge(left, k.len())?;
            out.insert(k.to_string(), convert(v, depth + 1, left)?);
        }
        return Ok(Value::Object(out));
    }
    Err(Error::guest(format!(
        "a value of type `{}` cannot cross as JSON",
        value.type_name()
    )))
}
