//! The suite: every case, by group. `SPEC.md` describes the same list.

mod ambient;
mod capabilities;
mod errors;
mod isolation;
mod json;
mod lifecycle;
mod limits;
mod quotas;

use serde_json::Value;

use crate::case::Case;

/// The suite's version: bumped whenever a case is added, removed or changed.
pub const SUITE_VERSION: &str = "1.1.0";

/// Every case, in the order they run.
pub fn suite() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(json::cases());
    all.extend(errors::cases());
    all.extend(lifecycle::cases());
    all.extend(capabilities::cases());
    all.extend(limits::cases());
    all.extend(quotas::cases());
    all.extend(isolation::cases());
    all.extend(ambient::cases());
    all
}

/// `Ok` when `v` is a JSON object whose `key` equals `want`.
fn field_is(v: &Value, key: &str, want: &Value) -> Result<(), String> {
    match v.get(key) {
        Some(got) if got == want => Ok(()),
        got => Err(format!("`{key}` is {got:?}, want {want}")),
    }
}

/// `Ok` when `v` is `call_catch`'s `{"error": {"code": code}}`.
fn caught(v: &Value, code: &str) -> Result<(), String> {
    match v.pointer("/error/code").and_then(Value::as_str) {
        Some(c) if c == code => Ok(()),
        _ => Err(format!("want a caught `{code}`, got {v}")),
    }
}
