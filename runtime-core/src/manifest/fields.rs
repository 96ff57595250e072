//! Reading the parsed manifest (a `serde_json::Value` tree) field by field,
//! each error naming the field's dotted path, and the small helpers every
//! message uses.
//!
//! **Every read is bounded and typed**: a string field is checked for type,
//! length and control characters before anyone looks at it, and an object is
//! checked for unknown keys before its fields are read.

use morph_capabilities::{Error, Result, truncate_for_message};
use serde_json::{Map, Value};

/// How a text field is bounded.
#[derive(Clone, Copy)]
pub(super) enum Text {
    /// One line: no control characters; at most this many characters.
    Line(usize),
    /// Free text: newlines and tabs allowed; at most this many characters.
    Block(usize),
}

/// A mapping of the manifest at a known dotted path, read field by field.
pub(super) struct Obj<'a> {
    pub(super) path: String,
    pub(super) map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    /// `value` as a mapping at `path`, or an error naming `path`.
    pub(super) fn at(value: &'a Value, path: String) -> Result<Obj<'a>> {
        match value {
            Value::Object(map) => Ok(Obj { path, map }),
            other => Err(Error::manifest(
                path,
                format!("must be a mapping, found {}", json_kind(other)),
            )),
        }
    }

    /// The dotted path of `key` in this mapping.
    pub(super) fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Refuses keys outside `allowed`, naming the first one.
    pub(super) fn only(&self, allowed: &[&str]) -> Result<()> {
        match self.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(key) => Err(Error::manifest(
                self.field(&truncate_for_message(key, 64)),
                format!(
                    "unknown field (expected {})",
                    one_of(allowed.iter().copied())
                ),
            )),
            None => Ok(()),
        }
    }

    /// The value at `key`; YAML `null` counts as absent.
    pub(super) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The string at `key`, checked against `bound`.
    pub(super) fn text(&self, key: &str, bound: Text) -> Result<Option<&'a str>> {
        self.get(key)
            .map(|v| text(v, &self.field(key), bound))
            .transpose()
    }

    /// Like [`Obj::text`], refusing absence.
    pub(super) fn required_text(&self, key: &str, bound: Text) -> Result<&'a str> {
        self.text(key, bound)?
            .ok_or_else(|| missing(&self.field(key)))
    }

    /// The boolean at `key`.
    pub(super) fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(Error::manifest(
                self.field(key),
                format!("must be true or false, found {}", json_kind(other)),
            )),
        }
    }

    /// The mapping at `key`.
    pub(super) fn obj(&self, key: &str) -> Result<Option<Obj<'a>>> {
        self.get(key)
            .map(|v| Obj::at(v, self.field(key)))
            .transpose()
    }

    /// The list at `key` (empty when absent), at most `max` long.
    pub(super) fn list(&self, key: &str, max: usize) -> Result<&'a [Value]> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) if items.len() <= max => Ok(items),
            Some(Value::Array(items)) => Err(Error::manifest(
                self.field(key),
                format!("has {} entries; at most {max} are allowed", items.len()),
            )),
            Some(other) => Err(Error::manifest(
                self.field(key),
                format!("must be a list, found {}", json_kind(other)),
            )),
        }
    }
}

/// The error for a required field that is absent (or null).
pub(super) fn missing(path: &str) -> Error {
    Error::manifest(path, "is required")
}

/// Checks that `value` is a string within `bound`.
pub(super) fn text<'a>(value: &'a Value, path: &str, bound: Text) -> Result<&'a str> {
    let Value::String(s) = value else {
        return Err(Error::manifest(
            path,
            format!(
                "must be a string, found {} (quote it if it looks like a number or boolean)",
                json_kind(value)
            ),
        ));
    };
    let (max, block) = match bound {
        Text::Line(max) => (max, false),
        Text::Block(max) => (max, true),
    };
    let len = s.chars().count();
    if len > max {
        return Err(Error::manifest(
            path,
            format!("is {len} characters long; at most {max} are allowed"),
        ));
    }
    let allowed = |c: char| block && matches!(c, '\n' | '\t' | '\r');
    if s.chars()
        .any(|c| (c.is_control() || is_bidi_control(c)) && !allowed(c))
    {
        return Err(Error::manifest(
            path,
            "must not contain control or bidirectional-override characters",
        ));
    }
    Ok(s)
}

/// Bidirectional embedding, override and isolate characters, which can make
/// text shown in an install prompt read differently from what it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The kind of a JSON value, for messages ("a string", "a list").
pub(super) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// "one of `a`, `b`" (or "none").
pub(super) fn one_of<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names = quoted(names);
    if names.is_empty() {
        "none".to_owned()
    } else {
        format!("one of {names}")
    }
}

/// "`a`, `b`".
fn quoted<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<String> = names
        .into_iter()
        .map(|n| format!("`{}`", truncate_for_message(n, 64)))
        .collect();
    names.join(", ")
}
