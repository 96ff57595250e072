//! The default HTTP provider, on reqwest (rustls): sends one authorised hop.
//!
//! **It connects only to the addresses the broker checked**: each hop gets
//! its own client whose DNS is pinned to `PreparedRequest::addrs` and whose
//! fallback resolver refuses every name, so no lookup happens here at all.
//! The client follows no redirect, ignores proxy variables, keeps no idle
//! connection, stops at the call's deadline and stops reading the body as soon
//! as it passes `max_body_bytes`. Error messages never carry the URL.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Name, Resolve, Resolving};
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::redirect::Policy;

use crate::error::{Error, LimitKind, Result};
use crate::providers::http::{HopLimits, HttpProvider, PreparedRequest, RawResponse};

const CAPABILITY: &str = "http.fetch";

/// Sends hops with reqwest.
#[derive(Debug, Clone)]
pub struct ReqwestHttp {
    refuse_dns: Arc<RefuseDns>,
}

impl ReqwestHttp {
    /// A provider.
    ///
    /// # Errors
    /// `internal` when the TLS stack cannot be set up.
    pub fn new() -> Result<ReqwestHttp> {
        let provider = ReqwestHttp {
            refuse_dns: Arc::new(RefuseDns),
        };
        // Build one client now so that a broken TLS setup fails at startup,
        // not on the first guest request.
        provider.client(None, &[], std::time::Duration::from_secs(1))?;
        Ok(provider)
    }

    fn client(
        &self,
        pin_host: Option<&str>,
        addrs: &[SocketAddr],
        timeout: std::time::Duration,
    ) -> Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .redirect(Policy::none())
            .pool_max_idle_per_host(0)
            .timeout(timeout)
            .dns_resolver(self.refuse_dns.clone());
        if let Some(host) = pin_host {
            builder = builder.resolve_to_addrs(host, addrs);
        }
        builder
            .build()
            .map_err(|e| Error::internal(format!("building the HTTP client: {}", describe(e))))
    }
}

#[async_trait::async_trait]
impl HttpProvider for ReqwestHttp {
    async fn send(&self, request: PreparedRequest, limits: HopLimits) -> Result<RawResponse> {
        let deadline = limits.timeout;
        match tokio::time::timeout(deadline, self.send_hop(request, limits)).await {
            Ok(result) => result,
            Err(_) => Err(timeout_error(limits)),
        }
    }
}

impl ReqwestHttp {
    async fn send_hop(&self, request: PreparedRequest, limits: HopLimits) -> Result<RawResponse> {
        if request.addrs.is_empty() {
            return Err(Error::internal("http.fetch: a hop without addresses"));
        }
        let client = self.client(request.pin_host.as_deref(), &request.addrs, limits.timeout)?;
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| Error::capability(CAPABILITY, "invalid method"))?;
        let mut builder = client.request(method, request.url);
        for (name, value) in &request.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::capability(CAPABILITY, "invalid header name"))?;
            let value = HeaderValue::from_bytes(value.as_bytes())
                .map_err(|_| Error::capability(CAPABILITY, "invalid header value"))?;
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let mut response = builder.send().await.map_err(|e| fail(e, limits))?;

        let max = limits.max_body_bytes;
        if response
            .content_length()
            .is_some_and(|n| n > u64::try_from(max).unwrap_or(u64::MAX))
        {
            return Err(too_large(max));
        }
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| fail(e, limits))? {
            if chunk.len() > max.saturating_sub(body.len()) {
                return Err(too_large(max));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }
}

/// Maps a reqwest error without its URL: timeouts to `timeout`, the rest to
/// `capability_failed` with the chain of causes.
fn fail(e: reqwest::Error, limits: HopLimits) -> Error {
    if e.is_timeout() {
        return timeout_error(limits);
    }
    Error::capability(CAPABILITY, describe(e))
}

fn describe(e: reqwest::Error) -> String {
    use std::error::Error as _;
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    crate::error::truncate_for_message(&message, 300)
}

fn timeout_error(limits: HopLimits) -> Error {
    Error::limit(
        LimitKind::Time,
        format!(
            "the HTTP request did not finish in the {} ms left for the call",
            limits.timeout.as_millis()
        ),
    )
}

fn too_large(max: usize) -> Error {
    Error::capability(CAPABILITY, format!("response body larger than {max} bytes"))
}

/// The fallback resolver: every name not pinned by the broker is refused.
#[derive(Debug)]
struct RefuseDns;

impl Resolve for RefuseDns {
    fn resolve(&self, _name: Name) -> Resolving {
        Box::pin(async {
            Err::<reqwest::dns::Addrs, _>(
                "host name was not resolved by the broker; refusing to look it up".into(),
            )
        })
    }
}
