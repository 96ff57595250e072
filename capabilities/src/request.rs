//! How a guest's wire request becomes a typed request, and whose fault a
//! malformed one is.
//!
//! **A malformed capability request is the guest's fault**: it is refused as
//! `invalid_request` naming the capability and the offending field, never as
//! `invalid_params`, which is the caller's (an action's parameters or the
//! config). Checks below the broker (lengths, encodings, URLs, paths) report
//! a bad field as `invalid_params` like any other field check; the broker
//! turns every such error into `invalid_request` at its boundary
//! ([`guest_fault`]), so no path from a guest's request can end in the
//! caller's code.
//!
//! [`parse`] reads the request's top-level fields through a `MapAccess` that
//! remembers which field it is on, so a wrong type names its field
//! (`url: invalid type: map, expected a string`) without cloning the request
//! or pulling in a path-tracking crate.

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess};
use serde_json::{Map, Value};

use crate::capability::Capability;
use crate::error::{Error, Result, truncate_for_message};

/// Longest serde message kept in an `invalid_request` reason.
const MAX_REASON: usize = 200;

/// Parses the wire `request` of `cap` into `T` (`null` reads as `{}`).
///
/// # Errors
/// `invalid_request` naming the capability and the field: `request` when it
/// is not an object, the field that is missing, unknown or of the wrong type.
pub(crate) fn parse<T: DeserializeOwned>(cap: Capability, request: Value) -> Result<T> {
    let fields = match request {
        Value::Null => Map::new(),
        Value::Object(fields) => fields,
        other => {
            return Err(Error::request(
                cap.wire_name(),
                "request",
                format!("must be a JSON object, not {}", kind(&other)),
            ));
        }
    };
    let mut current = None;
    let access = Fields {
        entries: fields.into_iter(),
        value: None,
        current: &mut current,
    };
    T::deserialize(MapAccessDeserializer::new(access)).map_err(|e| {
        let message = e.to_string();
        let field = named_field(&message, "missing field `")
            .or(current)
            .unwrap_or_else(|| "request".to_owned());
        Error::request(
            cap.wire_name(),
            truncate_for_message(&field, 64),
            truncate_for_message(&message, MAX_REASON),
        )
    })
}

/// The error a guest sees for `capability`: a field check's `invalid_params`
/// becomes `invalid_request` naming the capability; anything else is kept.
pub(crate) fn guest_fault(error: Error, capability: &str) -> Error {
    match error {
        Error::InvalidParams { field, reason } => Error::request(
            truncate_for_message(capability, 64),
            truncate_for_message(&field, 64),
            reason,
        ),
        other => other,
    }
}

/// What a JSON value is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The name between `` `...` `` after `prefix` in a serde message.
fn named_field(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    let end = rest.find('`')?;
    Some(rest[..end].to_owned())
}

/// A request's top-level fields, remembering the one being read.
struct Fields<'a> {
    entries: serde_json::map::IntoIter,
    value: Option<Value>,
    current: &'a mut Option<String>,
}

impl<'de> MapAccess<'de> for Fields<'_> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> std::result::Result<Option<K::Value>, Self::Error> {
        let Some((key, value)) = self.entries.next() else {
            *self.current = None;
            return Ok(None);
        };
        self.value = Some(value);
        *self.current = Some(key.clone());
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> std::result::Result<V::Value, Self::Error> {
        // `next_key_seed` always sets the value before serde asks for it.
        seed.deserialize(self.value.take().unwrap_or(Value::Null))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::providers::http::HttpRequest;

    fn fetch_error(request: Value) -> String {
        match parse::<HttpRequest>(Capability::HttpFetch, request) {
            Ok(_) => String::new(),
            Err(e) => {
                assert_eq!(e.code().as_str(), "invalid_request");
                e.to_string()
            }
        }
    }

    #[test]
    fn every_malformed_field_is_named_with_its_capability() {
        let cases = [
            (json!({"url": {"a": 1}}), "url: invalid type: map"),
            (
                json!({"url": "x", "headers": {"a": 1}}),
                "headers: invalid type",
            ),
            (json!({}), "url: missing field `url`"),
            (
                json!({"url": "x", "methd": "GET"}),
                "methd: unknown field `methd`",
            ),
            (
                json!({"url": "x", "body_encoding": "hex"}),
                "body_encoding: unknown variant",
            ),
            (json!([1]), "request: must be a JSON object, not an array"),
        ];
        for (request, expected) in cases {
            let message = fetch_error(request.clone());
            assert!(
                message.starts_with("invalid request to `http.fetch`: ")
                    && message.contains(expected),
                "{request}: {message}"
            );
        }
    }

    #[test]
    fn a_well_formed_request_parses_and_null_is_empty() {
        let req: HttpRequest = parse(
            Capability::HttpFetch,
            json!({"url": "http://a/", "method": "POST"}),
        )
        .unwrap();
        assert_eq!(
            (req.url.as_str(), req.method.as_str()),
            ("http://a/", "POST")
        );
        let err = parse::<HttpRequest>(Capability::HttpFetch, Value::Null).unwrap_err();
        assert!(err.to_string().contains("missing field `url`"), "{err}");
    }

    #[test]
    fn field_checks_become_the_guests_fault() {
        let e = guest_fault(Error::params("path", "empty"), "fs.read");
        assert_eq!(e.code().as_str(), "invalid_request");
        assert_eq!(e.to_string(), "invalid request to `fs.read`: path: empty");
        let kept = guest_fault(Error::internal("x"), "fs.read");
        assert_eq!(kept.code().as_str(), "internal");
    }
}
