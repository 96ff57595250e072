//! The default HTTP provider on reqwest (being written).

use crate::error::{Error, Result};
use crate::providers::http::{HopLimits, HttpProvider, PreparedRequest, RawResponse};

/// Sends hops with reqwest.
#[derive(Debug)]
pub struct ReqwestHttp;

impl ReqwestHttp {
    /// A provider.
    ///
    /// # Errors
    /// `internal` when the TLS stack cannot be set up.
    pub fn new() -> Result<ReqwestHttp> {
        Ok(ReqwestHttp)
    }
}

#[async_trait::async_trait]
impl HttpProvider for ReqwestHttp {
    async fn send(&self, _r: PreparedRequest, _l: HopLimits) -> Result<RawResponse> {
        Err(Error::internal("http provider not built yet"))
    }
}
