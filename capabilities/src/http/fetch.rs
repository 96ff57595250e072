//! The `http.fetch` redirect loop (being written).

use crate::call::CallContext;
use crate::error::{Error, Result};
use crate::providers::Providers;
use crate::providers::http::{HttpRequest, HttpResponse};

/// Runs `http.fetch` for `ctx`: authorises, resolves and sends every hop.
pub(crate) async fn fetch(
    _providers: &Providers,
    _ctx: &CallContext,
    _request: HttpRequest,
) -> Result<HttpResponse> {
    Err(Error::capability("http.fetch", "not built yet"))
}
