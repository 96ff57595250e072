//! Name resolution for `http.fetch`, behind a trait so that tests and apps can
//! supply their own (a test maps a name to a private address to prove that
//! DNS rebinding is refused).

use std::net::IpAddr;

use crate::error::{Error, Result};

/// Resolves a host name to addresses.
#[async_trait::async_trait]
pub trait Resolver: Send + Sync + 'static {
    /// All addresses of `host` (a normalised domain name).
    ///
    /// # Errors
    /// `capability_failed` when the name does not resolve.
    async fn resolve(&self, host: &str) -> Result<Vec<IpAddr>>;
}

/// The system resolver (`getaddrinfo` through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

#[async_trait::async_trait]
impl Resolver for SystemResolver {
    async fn resolve(&self, host: &str) -> Result<Vec<IpAddr>> {
        let addrs = tokio::net::lookup_host((host, 0)).await.map_err(|e| {
            Error::capability("http.fetch", format!("cannot resolve `{host}`: {e}"))
        })?;
        let mut ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
        ips.sort();
        ips.dedup();
        if ips.is_empty() {
            return Err(Error::capability(
                "http.fetch",
                format!("`{host}` has no addresses"),
            ));
        }
        Ok(ips)
    }
}
