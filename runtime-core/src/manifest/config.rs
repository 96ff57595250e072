//! `config_schema`: checking it when the manifest is read, and checking the
//! host-supplied config against it at load time.
//!
//! **No schema reaches outside itself**: `$ref`s must be local (`#...`), the
//! compiler runs offline, and `pattern` uses a linear-time regex engine.

use morph_capabilities::{Error, Result, truncate_for_message};
use serde_json::{Map, Value};

use super::Manifest;
use super::fields::{json_kind, one_of};

impl Manifest {
    /// Checks the host-supplied config against `config_schema` and returns it
    /// with the top-level `default`s of `config_schema.properties` filled in.
    /// `null` counts as `{}`; without a schema any object is accepted.
    ///
    /// # Errors
    /// `invalid_params` naming `config` or `config.<path>` (for a missing
    /// required property, `config.<property>`). Messages never echo values.
    pub fn validate_config(&self, config: &Value) -> Result<Value> {
        let mut config = match config {
            Value::Null => Value::Object(Map::new()),
            other => other.clone(),
        };
        let Some(schema) = &self.config_schema else {
            return match config {
                Value::Object(_) => Ok(config),
                other => Err(Error::params(
                    "config",
                    format!("must be a JSON object, found {}", json_kind(&other)),
                )),
            };
        };
        if let (Value::Object(map), Some(Value::Object(props))) =
            (&mut config, schema.get("properties"))
        {
            for (name, prop) in props {
                if let Some(default) = prop.get("default")
                    && !map.contains_key(name)
                {
                    map.insert(name.clone(), default.clone());
                }
            }
        }
        let validator = compile_schema(schema).map_err(|reason| {
            // Unreachable for a manifest from `from_yaml`, which compiled it.
            Error::params(
                "config",
                format!("config_schema does not compile: {reason}"),
            )
        })?;
        if let Some(err) = validator.iter_errors(&config).next() {
            let (field, reason) = describe_config_error(&err);
            return Err(Error::params(field, reason));
        }
        Ok(config)
    }
}

/// Checks a manifest's `config_schema`: a mapping, local references only,
/// and a schema that compiles.
pub(super) fn config_schema(value: &Value) -> Result<Value> {
    if !value.is_object() {
        return Err(Error::manifest(
            "config_schema",
            format!("must be a JSON Schema object, found {}", json_kind(value)),
        ));
    }
    check_refs(value, "config_schema")?;
    compile_schema(value).map_err(|reason| {
        Error::manifest(
            "config_schema",
            format!("is not a valid JSON Schema: {reason}"),
        )
    })?;
    Ok(value.clone())
}

/// Refuses `$ref`-like keywords that point outside the schema itself,
/// wherever they appear (data keywords such as `default` included: a false
/// refusal there is cheaper than a missed reference). Recursion depth is
/// bounded by the YAML depth budget.
fn check_refs(value: &Value, path: &str) -> Result<()> {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let here = format!("{path}.{}", truncate_for_message(key, 64));
                let is_ref = matches!(key.as_str(), "$ref" | "$dynamicRef" | "$recursiveRef");
                if let (true, Value::String(target)) = (is_ref, v)
                    && !target.starts_with('#')
                {
                    return Err(Error::manifest(
                        here,
                        format!(
                            "`{}`: only local references (`#...`) are allowed",
                            truncate_for_message(target, 80)
                        ),
                    ));
                }
                check_refs(v, &here)?;
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_refs(v, &format!("{path}[{i}]"))),
        _ => Ok(()),
    }
}

/// Compiles a config schema: draft 2020-12 unless it says otherwise, formats
/// asserted, linear-time regexes, no remote retrieval.
fn compile_schema(schema: &Value) -> std::result::Result<jsonschema::Validator, String> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .offline()
        .build(schema)
        .map_err(|e| truncate_for_message(&e.to_string(), 400))
}

/// The `config.<path>` and a value-free reason for one schema violation.
fn describe_config_error(err: &jsonschema::ValidationError<'_>) -> (String, String) {
    use jsonschema::error::ValidationErrorKind as K;
    let mut path = String::from("config");
    for segment in err.instance_path().segments() {
        match segment {
            jsonschema::paths::LocationSegment::Property(p) => {
                path.push('.');
                path.push_str(&truncate_for_message(&p, 64));
            }
            jsonschema::paths::LocationSegment::Index(i) => path.push_str(&format!("[{i}]")),
        }
    }
    let reason = match err.kind() {
        K::Required { property } => {
            path.push('.');
            path.push_str(&truncate_for_message(
                property.as_str().unwrap_or_default(),
                64,
            ));
            "is required".to_owned()
        }
        K::Type { kind } => format!(
            "must be of type {}, found {}",
            type_kind(kind),
            json_kind(err.instance())
        ),
        K::Format { format } => format!("must be a valid `{format}`"),
        K::Enum { options } => format!(
            "must be one of {}",
            truncate_for_message(&options.to_string(), 200)
        ),
        K::AdditionalProperties { unexpected } => {
            if let Some(first) = unexpected.first() {
                path.push('.');
                path.push_str(&truncate_for_message(first, 64));
            }
            "is not a property the config_schema allows".to_owned()
        }
        other => format!("fails the schema's `{}` keyword", other.keyword()),
    };
    (path, reason)
}

/// "string" or "one of `string`, `null`".
fn type_kind(kind: &jsonschema::error::TypeKind) -> String {
    match kind {
        jsonschema::error::TypeKind::Single(t) => t.to_string(),
        jsonschema::error::TypeKind::Multiple(set) => one_of(
            set.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        ),
    }
}
