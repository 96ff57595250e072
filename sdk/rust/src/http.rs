//! `http.fetch`: outbound HTTP through the host.
//!
//! **The host decides what is reachable**: `GET`, `HEAD` and `OPTIONS` need
//! `http:read`, other methods `http:write`, and the URL's host must match the
//! manifest's `allowed_hosts` (`host_not_allowed` otherwise). Redirects are
//! followed by the host hop by hop, each hop checked and counted against
//! `max_http_requests`.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::base64;
use crate::error::{Error, Result};
use crate::host::{from_response, invoke};

/// How a body string is encoded on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyEncoding {
    /// The body is the text itself.
    Utf8,
    /// The body is standard base64 of the bytes.
    Base64,
}

/// An HTTP request.
///
/// ```
/// use morph_sdk::http::Request;
///
/// let req = Request::post("https://api.example.com/items")
///     .header("accept", "application/json")
///     .json(&morph_sdk::json!({"name": "x"}))?;
/// assert_eq!(req.method, "POST");
/// assert_eq!(req.headers["content-type"], "application/json");
/// # Ok::<(), morph_sdk::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE` or `OPTIONS`.
    pub method: String,
    /// Absolute `http` or `https` URL.
    pub url: String,
    /// Request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// How `body` is encoded; UTF-8 text when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_encoding: Option<BodyEncoding>,
}

impl Request {
    /// A request with `method` to `url`, no headers and no body.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Request {
        Request {
            method: method.into(),
            url: url.into(),
            headers: BTreeMap::new(),
            body: None,
            body_encoding: None,
        }
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Request {
        Request::new("GET", url)
    }

    /// A `POST` request.
    pub fn post(url: impl Into<String>) -> Request {
        Request::new("POST", url)
    }

    /// Adds (or replaces) a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// Sets a text body.
    pub fn body(mut self, body: impl Into<String>) -> Request {
        self.body = Some(body.into());
        self.body_encoding = None;
        self
    }

    /// Sets a binary body (sent base64-encoded, decoded by the host).
    pub fn body_bytes(mut self, body: &[u8]) -> Request {
        self.body = Some(base64::encode(body));
        self.body_encoding = Some(BodyEncoding::Base64);
        self
    }

    /// Sets a JSON body and `content-type: application/json`.
    ///
    /// # Errors
    /// `guest_error` when `value` cannot be serialised.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Request> {
        let body = serde_json::to_string(value)?;
        Ok(self.header("content-type", "application/json").body(body))
    }
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// Status code. Any status is a response, not an error: check it.
    pub status: u16,
    /// Headers, names lowercase; repeated headers joined with `, `.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body: text, or base64 when [`body_encoding`](Response::body_encoding)
    /// says so (the body was not UTF-8). Prefer [`Response::bytes`] for
    /// binary content.
    #[serde(default)]
    pub body: String,
    /// `Some(Base64)` when the body was not valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_encoding: Option<BodyEncoding>,
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body bytes, base64-decoded when needed.
    ///
    /// # Errors
    /// `guest_error` when a base64 body is malformed.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        match self.body_encoding {
            Some(BodyEncoding::Base64) => base64::decode(&self.body),
            _ => Ok(self.body.clone().into_bytes()),
        }
    }

    /// The body as text.
    ///
    /// # Errors
    /// `guest_error` when the body is not UTF-8.
    pub fn text(&self) -> Result<String> {
        match self.body_encoding {
            Some(BodyEncoding::Base64) => String::from_utf8(self.bytes()?)
                .map_err(|_| Error::new("the response body is not UTF-8")),
            _ => Ok(self.body.clone()),
        }
    }

    /// The body parsed as JSON into `T` (`serde_json::Value` for anything).
    ///
    /// # Errors
    /// `guest_error` when the body is not JSON of that shape.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        match self.body_encoding {
            Some(BodyEncoding::Base64) => Ok(serde_json::from_slice(&self.bytes()?)?),
            _ => Ok(serde_json::from_str(&self.body)?),
        }
    }
}

/// Sends `request` through the host's `http.fetch`.
///
/// ```no_run
/// use morph_sdk::http::{self, Request};
///
/// let resp = http::fetch(&Request::get("https://api.github.com/zen"))?;
/// if resp.is_success() {
///     morph_sdk::log::info(&resp.body)?;
/// }
/// # Ok::<(), morph_sdk::Error>(())
/// ```
///
/// # Errors
/// `permission_denied` (no `http:read` / `http:write`), `host_not_allowed`,
/// `rate_limited` (`max_http_requests`), `invalid_request`, or
/// `capability_failed` for network failures and oversize bodies.
pub fn fetch(request: &Request) -> Result<Response> {
    let request = serde_json::to_value(request)?;
    from_response("http.fetch", invoke("http.fetch", &request)?)
}

/// `GET url`.
///
/// # Errors
/// As [`fetch`].
pub fn get(url: &str) -> Result<Response> {
    fetch(&Request::get(url))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::host::mock;

    #[test]
    fn requests_serialise_to_the_wire_shape() {
        let req = Request::get("https://a.example/x");
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            json!({"method": "GET", "url": "https://a.example/x", "headers": {}})
        );
        let req = Request::new("PUT", "https://a.example/y")
            .header("x-k", "v")
            .body_bytes(&[0xff, 0]);
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            json!({"method": "PUT", "url": "https://a.example/y", "headers": {"x-k": "v"},
                   "body": "/wA=", "body_encoding": "base64"})
        );
    }

    #[test]
    fn fetch_round_trips_through_the_host() {
        mock::install(|cap, req| {
            assert_eq!(cap, "http.fetch");
            assert_eq!(req["method"], "POST");
            assert_eq!(req["body"], r#"{"a":1}"#);
            json!({"ok": {"status": 201, "headers": {"content-type": "application/json"},
                          "body": "{\"id\": 4}"}})
        });
        let resp = fetch(
            &Request::post("https://a.example")
                .json(&json!({"a": 1}))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(resp.status, 201);
        assert!(resp.is_success());
        assert_eq!(resp.json::<serde_json::Value>().unwrap(), json!({"id": 4}));
    }

    #[test]
    fn binary_bodies_are_decoded() {
        let resp = Response {
            status: 200,
            headers: BTreeMap::new(),
            body: "/wA=".to_owned(),
            body_encoding: Some(BodyEncoding::Base64),
        };
        assert_eq!(resp.bytes().unwrap(), vec![0xff, 0]);
        assert_eq!(resp.text().unwrap_err().code(), "guest_error");
    }

    #[test]
    fn host_errors_keep_their_code() {
        mock::install(|_, _| json!({"error": {"code": "host_not_allowed", "message": "no"}}));
        assert_eq!(
            get("https://x.example").unwrap_err().code(),
            "host_not_allowed"
        );
    }
}
