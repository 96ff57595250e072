//! Checking a call's parameters against its [`ActionSpec`], and the JSON
//! Schema of those parameters for AI tool definitions.
//!
//! **Runs before the guest does**: a call that does not match the declared
//! parameters never reaches the extension, and its error never echoes the
//! values it was given.

use morph_capabilities::{Error, Result, truncate_for_message};
use serde_json::{Map, Value};

use super::fields::{json_kind, one_of};
use super::{ActionSpec, ParamSpec, ParamType};

impl ActionSpec {
    /// The declared parameter called `name`.
    pub fn parameter(&self, name: &str) -> Option<&ParamSpec> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// Checks a call's parameters and returns them normalised: an object
    /// (`null` counts as `{}`) with defaults filled in. An explicit `null`
    /// counts as absent, and an omitted parameter that has a default (even a
    /// required one) takes it. Error messages never echo the values.
    ///
    /// # Errors
    /// `invalid_params` naming the parameter: not an object (`params`),
    /// unknown, missing while required, of the wrong type, or not in its enum.
    pub fn validate_params(&self, params: &Value) -> Result<Value> {
        let empty = Map::new();
        let given = match params {
            Value::Null => &empty,
            Value::Object(map) => map,
            other => {
                return Err(Error::params(
                    "params",
                    format!("must be a JSON object, found {}", json_kind(other)),
                ));
            }
        };
        if let Some(unknown) = given.keys().find(|k| self.parameter(k).is_none()) {
            return Err(Error::params(
                truncate_for_message(unknown, 64),
                format!(
                    "unknown parameter of action `{}` (expected {})",
                    self.name,
                    one_of(self.parameters.iter().map(|p| p.name.as_str()))
                ),
            ));
        }
        let mut out = Map::new();
        for spec in &self.parameters {
            // An explicit `null` counts as absent, except where any value is allowed.
            let value = given
                .get(&spec.name)
                .filter(|v| !v.is_null() || spec.r#type == ParamType::Any);
            let Some(value) = value.or(spec.default.as_ref()) else {
                if spec.required {
                    return Err(Error::params(&spec.name, "is required"));
                }
                continue;
            };
            if !spec.r#type.matches(value) {
                return Err(Error::params(
                    &spec.name,
                    format!(
                        "must be of type {}, found {}",
                        spec.r#type.as_str(),
                        json_kind(value)
                    ),
                ));
            }
            if let Some(allowed) = &spec.r#enum
                && !allowed.contains(value)
            {
                return Err(Error::params(
                    &spec.name,
                    format!("must be one of {}", enum_list(allowed)),
                ));
            }
            out.insert(spec.name.clone(), value.clone());
        }
        Ok(Value::Object(out))
    }

    /// The parameters as a JSON Schema (draft 2020-12) object schema, for AI
    /// tool definitions: `type`, `properties` (with `type`, `description`,
    /// `default`, `enum`), `required`, and `additionalProperties: false`.
    pub fn parameters_schema(&self) -> Value {
        let mut properties = Map::new();
        for p in &self.parameters {
            let mut prop = Map::new();
            if p.r#type != ParamType::Any {
                prop.insert("type".into(), Value::from(p.r#type.as_str()));
            }
            if let Some(d) = &p.description {
                prop.insert("description".into(), Value::from(d.as_str()));
            }
            if let Some(d) = &p.default {
                prop.insert("default".into(), d.clone());
            }
            if let Some(e) = &p.r#enum {
                prop.insert("enum".into(), Value::Array(e.clone()));
            }
            properties.insert(p.name.clone(), Value::Object(prop));
        }
        let required: Vec<Value> = self
            .parameters
            .iter()
            .filter(|p| p.required)
            .map(|p| Value::from(p.name.as_str()))
            .collect();
        serde_json::json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        })
    }
}

/// An enum's values for a message, bounded.
pub(super) fn enum_list(values: &[Value]) -> String {
    truncate_for_message(&Value::Array(values.to_vec()).to_string(), 200)
}
