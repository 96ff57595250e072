//! The HTTP provider contract: send one request to a target the broker has
//! already authorised and resolved.
//!
//! **The provider never decides what is allowed.** The broker (see
//! [`crate::http`]) parses the URL, checks permissions and `allowed_hosts`,
//! resolves the host, refuses private addresses, follows redirects hop by hop
//! and counts every hop; a provider only connects to the addresses it is
//! handed (so DNS cannot be rebound between check and use), follows no
//! redirect, ignores proxy variables and stops reading at `max_body_bytes`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use crate::error::Result;

/// A request as the guest sends it (`http.fetch`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpRequest {
    /// `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE` or `OPTIONS`; default `GET`.
    #[serde(default = "default_method")]
    pub method: String,
    /// Absolute `http` or `https` URL.
    pub url: String,
    /// Request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Request body.
    #[serde(default)]
    pub body: Option<String>,
    /// `utf8` (default) or `base64`, for `body`.
    #[serde(default)]
    pub body_encoding: Option<BodyEncoding>,
}

fn default_method() -> String {
    "GET".to_owned()
}

/// How a body string is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyEncoding {
    /// The body is the text itself.
    Utf8,
    /// The body is standard base64 of the bytes.
    Base64,
}

/// The response handed back to the guest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Response headers (lowercase names; repeated headers joined with `, `).
    pub headers: BTreeMap<String, String>,
    /// Body: text when it is valid UTF-8, base64 otherwise.
    pub body: String,
    /// `base64` when the body was not UTF-8; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_encoding: Option<BodyEncoding>,
}

/// One hop, authorised and resolved by the broker.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    /// Upper-case method.
    pub method: String,
    /// The URL of this hop.
    pub url: url::Url,
    /// The host name to pin (`None` for IP-literal URLs).
    pub pin_host: Option<String>,
    /// The only addresses the provider may connect to.
    pub addrs: Vec<SocketAddr>,
    /// Request headers (already validated).
    pub headers: Vec<(String, String)>,
    /// Request body bytes.
    pub body: Option<Vec<u8>>,
}

/// Bounds for one hop.
#[derive(Debug, Clone, Copy)]
pub struct HopLimits {
    /// Time left for the whole call.
    pub timeout: Duration,
    /// The most body bytes to read before failing.
    pub max_body_bytes: usize,
}

/// A raw response of one hop, before redirect handling.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// Headers in arrival order, names lowercase.
    pub headers: Vec<(String, String)>,
    /// Body bytes (at most `max_body_bytes`).
    pub body: Vec<u8>,
}

/// Sends one authorised hop. Implementations must connect only to
/// `request.addrs`, follow no redirects, use no proxy, respect the timeout and
/// fail with `capability_failed` once the body passes `max_body_bytes`.
#[async_trait::async_trait]
pub trait HttpProvider: Send + Sync + 'static {
    /// Sends the request and reads the response.
    ///
    /// # Errors
    /// `capability_failed` for network errors and oversize bodies, `timeout`
    /// when the time runs out.
    async fn send(&self, request: PreparedRequest, limits: HopLimits) -> Result<RawResponse>;
}
