//! The bounded JSON converter between guest values and `serde_json`.
//!
//! **No guest code runs while a value crosses**: objects are read from their
//! own property storage (no getters, no `toJSON`, no proxy traps, no
//! `then`), so a value is converted exactly once into a host-owned
//! [`Value`] and cannot change under the broker. Every walk is bounded:
//! nesting depth ([`MAX_DEPTH`]), cycles, and the serialised size (charged
//! while walking, before anything big is allocated, so a sparse array with a
//! huge `length` is refused without iterating it). Boa's own
//! `JsValue::to_json`/`from_json` recurse without limit and are never used.

use boa_engine::builtins::proxy::Proxy;
use boa_engine::object::builtins::JsArray;
use boa_engine::property::{PropertyDescriptor, PropertyKey};
use boa_engine::value::JsVariant;
use boa_engine::{Context, JsObject, JsResult, JsString, JsValue, js_string};
use serde_json::{Map, Number, Value};

/// Deepest nesting of arrays and objects that crosses in either direction.
pub const MAX_DEPTH: usize = 128;

/// Why a guest value could not become JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvertError {
    /// The serialised value would pass the size budget (bytes).
    TooLarge {
        /// The budget in bytes.
        budget: u64,
    },
    /// Nested deeper than [`MAX_DEPTH`], or cyclic.
    TooDeep {
        /// Where (a JSON-path-like location).
        at: String,
        /// `true` when the value refers to itself.
        cycle: bool,
    },
    /// A value JSON cannot carry (function, symbol, BigInt, proxy, accessor).
    Unsupported {
        /// Where.
        at: String,
        /// What it was.
        what: &'static str,
    },
}

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConvertError::TooLarge { budget } => {
                write!(f, "the value is larger than {budget} bytes as JSON")
            }
            ConvertError::TooDeep { at, cycle: true } => {
                write!(f, "the value is cyclic at {at}")
            }
            ConvertError::TooDeep { at, cycle: false } => {
                write!(
                    f,
                    "the value is nested deeper than {MAX_DEPTH} levels at {at}"
                )
            }
            ConvertError::Unsupported { at, what } => {
                write!(f, "{what} at {at} cannot be converted to JSON")
            }
        }
    }
}

/// Converts a guest value to JSON, charging its serialised size against
/// `budget` bytes. `undefined` becomes `null` (at the top and in arrays) or is
/// left out (in objects), like `JSON.stringify`; non-finite numbers become
/// `null`.
///
/// # Errors
/// [`ConvertError`] for values too large, too deep, cyclic or not JSON.
pub fn to_json(value: &JsValue, budget: u64, ctx: &mut Context) -> Result<Value, ConvertError> {
    let mut walk = ToJson {
        left: budget,
        budget,
        stack: Vec::new(),
        path: Vec::new(),
    };
    walk.value(value, ctx)
}

struct ToJson {
    left: u64,
    budget: u64,
    stack: Vec<JsObject>,
    path: Vec<String>,
}

impl ToJson {
    fn charge(&mut self, bytes: u64) -> Result<(), ConvertError> {
        self.left = self.left.checked_sub(bytes).ok_or(ConvertError::TooLarge {
            budget: self.budget,
        })?;
        Ok(())
    }

    fn at(&self) -> String {
        let mut s = String::from("$");
        for p in self.path.iter().take(16) {
            s.push_str(p);
        }
        if self.path.len() > 16 {
            s.push_str("...");
        }
        s
    }

    fn unsupported(&self, what: &'static str) -> ConvertError {
        ConvertError::Unsupported {
            at: self.at(),
            what,
        }
    }

    fn value(&mut self, value: &JsValue, ctx: &mut Context) -> Result<Value, ConvertError> {
        match value.variant() {
            JsVariant::Null | JsVariant::Undefined => {
                self.charge(4)?;
                Ok(Value::Null)
            }
            JsVariant::Boolean(b) => {
                self.charge(5)?;
                Ok(Value::Bool(b))
            }
            JsVariant::Integer32(i) => {
                self.charge(11)?;
                Ok(Value::from(i))
            }
            JsVariant::Float64(f) => {
                self.charge(24)?;
                Ok(number(f))
            }
            JsVariant::String(s) => {
                // Charge before converting: a long string is refused before
                // it is copied.
                self.charge(s.len() as u64 + 2)?;
                let text = s.to_std_string_lossy();
                // Escapes and multi-byte characters take more than one byte.
                self.charge((text.len() as u64).saturating_sub(s.len() as u64))?;
                Ok(Value::String(text))
            }
            JsVariant::BigInt(_) => Err(self.unsupported("a BigInt")),
            JsVariant::Symbol(_) => Err(self.unsupported("a symbol")),
            JsVariant::Object(obj) => self.object(&obj, ctx),
        }
    }

    fn object(&mut self, obj: &JsObject, ctx: &mut Context) -> Result<Value, ConvertError> {
        if obj.is_callable() {
            return Err(self.unsupported("a function"));
        }
        if obj.is::<Proxy>() {
            return Err(self.unsupported("a proxy"));
        }
        if self.stack.iter().any(|o| JsObject::equals(o, obj)) {
            return Err(ConvertError::TooDeep {
                at: self.at(),
                cycle: true,
            });
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(ConvertError::TooDeep {
                at: self.at(),
                cycle: false,
            });
        }
        self.stack.push(obj.clone());
        let out = if obj.is_array() {
            self.array(obj, ctx)
        } else {
            self.plain(obj, ctx)
        };
        self.stack.pop();
        out
    }

    fn array(&mut self, obj: &JsObject, ctx: &mut Context) -> Result<Value, ConvertError> {
        let len = match own_data(obj, &js_string!("length").into())? {
            Some(v) => v.as_number().unwrap_or(0.0),
            None => 0.0,
        };
        let len = if len.is_finite() && len > 0.0 {
            len as u64
        } else {
            0
        };
        // Every element takes at least two bytes (`0,`): refuse a huge
        // (possibly sparse) array before iterating it.
        self.charge(2)?;
        if len.saturating_mul(2) > self.left {
            return Err(ConvertError::TooLarge {
                budget: self.budget,
            });
        }
        let mut items = Vec::with_capacity(len.min(4096) as usize);
        for i in 0..len {
            self.path.push(format!("[{i}]"));
            let key = PropertyKey::from(u32::try_from(i).unwrap_or(u32::MAX));
            let item = match own_descriptor(obj, &key) {
                None => {
                    self.charge(5)?;
                    Value::Null
                }
                Some(desc) => {
                    let v = data_value(&desc).map_err(|()| self.unsupported("a getter"))?;
                    match v.variant() {
                        JsVariant::Undefined => {
                            self.charge(5)?;
                            Value::Null
                        }
                        _ => self.value(&v, ctx)?,
                    }
                }
            };
            self.path.pop();
            self.charge(1)?;
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn plain(&mut self, obj: &JsObject, ctx: &mut Context) -> Result<Value, ConvertError> {
        self.charge(2)?;
        let keys = obj
            .own_property_keys(ctx)
            .map_err(|_| self.unsupported("an exotic object"))?;
        let mut map = Map::new();
        for key in keys {
            let name = match &key {
                PropertyKey::String(s) => s.to_std_string_lossy(),
                PropertyKey::Index(i) => i.get().to_string(),
                PropertyKey::Symbol(_) => continue,
            };
            let Some(desc) = own_descriptor(obj, &key) else {
                continue;
            };
            if desc.enumerable() != Some(true) {
                continue;
            }
            self.path.push(format!(".{}", truncate(&name, 32)));
            let v = data_value(&desc).map_err(|()| self.unsupported("a getter"))?;
            if !v.is_undefined() {
                self.charge(name.len() as u64 + 4)?;
                let item = self.value(&v, ctx)?;
                map.insert(name, item);
            }
            self.path.pop();
        }
        Ok(Value::Object(map))
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// An own property's descriptor, read from storage (no traps run).
fn own_descriptor(obj: &JsObject, key: &PropertyKey) -> Option<PropertyDescriptor> {
    obj.borrow().properties().get(key)
}

/// An own data property's value; `Err` for an accessor.
fn own_data(obj: &JsObject, key: &PropertyKey) -> Result<Option<JsValue>, ConvertError> {
    match own_descriptor(obj, key) {
        None => Ok(None),
        Some(d) => Ok(d.value().cloned()),
    }
}

fn data_value(desc: &PropertyDescriptor) -> Result<JsValue, ()> {
    if desc.is_accessor_descriptor() {
        return Err(());
    }
    Ok(desc.value().cloned().unwrap_or_default())
}

/// A JS number as JSON: integers stay integers (`2^64` saturates to
/// `u64::MAX`, the nearest a JS number gets to it); non-finite is `null`.
fn number(f: f64) -> Value {
    if !f.is_finite() {
        return Value::Null;
    }
    if f.fract() == 0.0 {
        if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
            return Value::from(f as i64);
        }
        if (0.0..=18_446_744_073_709_551_616.0).contains(&f) {
            return Value::from(f as u64);
        }
    }
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// Converts host JSON into a guest value (host-made values only: params,
/// config, capability responses).
///
/// # Errors
/// A JS `RangeError` when the value is nested deeper than [`MAX_DEPTH`].
pub fn to_js(value: &Value, ctx: &mut Context) -> JsResult<JsValue> {
    to_js_at(value, 0, ctx)
}

fn to_js_at(value: &Value, depth: usize, ctx: &mut Context) -> JsResult<JsValue> {
    if depth > MAX_DEPTH {
        return Err(boa_engine::JsNativeError::range()
            .with_message("a host value is nested too deeply")
            .into());
    }
    Ok(match value {
        Value::Null => JsValue::null(),
        Value::Bool(b) => JsValue::from(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) if i32::try_from(i).is_ok() => JsValue::from(i as i32),
            (_, Some(f)) => JsValue::from(f),
            _ => JsValue::null(),
        },
        Value::String(s) => JsValue::from(JsString::from(s.as_str())),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(to_js_at(item, depth + 1, ctx)?);
            }
            JsArray::from_iter(out, ctx).into()
        }
        Value::Object(map) => {
            let obj = JsObject::with_object_proto(ctx.intrinsics());
            for (k, v) in map {
                let v = to_js_at(v, depth + 1, ctx)?;
                obj.create_data_property_or_throw(JsString::from(k.as_str()), v, ctx)?;
            }
            obj.into()
        }
    })
}
