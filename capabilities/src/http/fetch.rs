//! The `http.fetch` redirect loop: validates the guest's request, then
//! authorises, resolves and sends it one hop at a time.
//!
//! **Every hop, the first and each redirect, passes the same gate** before a
//! provider sees it: a parsed `http`/`https` URL without user-info, the
//! permission for its method, a matching `allowed_hosts` entry, one unit of
//! `max_http_requests`, and resolved addresses that are public or named
//! literally by the allowlist. **The provider connects only to the addresses
//! checked here** (`PreparedRequest::addrs`), so DNS cannot be rebound between
//! the check and the connection. Vault values bound to hosts are kept from
//! every other host, and filled into headers for theirs, by
//! [`super::secrets`].

use std::net::{IpAddr, SocketAddr};

use url::{Host, Url};

use crate::call::CallContext;
use crate::capability::http_permission;
use crate::error::{Error, Result, truncate_for_message};
use crate::http::address::is_public;
use crate::http::allowlist::{Target, TargetHost};
use crate::http::secrets::SecretGate;
use crate::permission::Permission;
use crate::providers::Providers;
use crate::providers::http::{
    BodyEncoding, HopLimits, HttpRequest, HttpResponse, PreparedRequest, RawResponse,
};

/// The capability's wire name, for errors.
const CAPABILITY: &str = "http.fetch";
/// Methods a guest may use.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
/// Most request headers.
const MAX_HEADERS: usize = 64;
/// Longest header name.
const MAX_HEADER_NAME_BYTES: usize = 256;
/// Longest header value.
const MAX_HEADER_VALUE_BYTES: usize = 8 * 1024;
/// Longest request body, as sent (before base64 decoding).
const MAX_REQUEST_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Most redirects followed for one call of `http.fetch`.
const MAX_REDIRECTS: usize = 10;
/// Headers the transport owns; a guest may not set them.
const FORBIDDEN_HEADERS: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];
/// Headers asking a server to treat a request as another method.
const METHOD_OVERRIDE_HEADERS: [&str; 3] = [
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];
/// The form and query field that does the same.
const METHOD_OVERRIDE_FIELD: &str = "_method";
/// Headers that carry credentials; dropped when a redirect leaves the origin.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];
/// Headers that describe a body; dropped when a redirect drops the body.
const BODY_HEADERS: [&str; 4] = [
    "content-type",
    "content-encoding",
    "content-language",
    "content-location",
];

/// Runs `http.fetch` for `ctx`: authorises, resolves and sends every hop,
/// calling `begin_effect` (the broker's audit intent) before each send.
///
/// # Errors
/// `invalid_params` for a malformed request, `permission_denied`,
/// `host_not_allowed`, `rate_limited`, `timeout`, and `capability_failed` for
/// network errors, oversize bodies and too many redirects.
pub(crate) async fn fetch(
    providers: &Providers,
    ctx: &CallContext,
    request: HttpRequest,
    begin_effect: &(dyn Fn() -> Result<()> + Sync),
) -> Result<HttpResponse> {
    let mut method = validate_method(&request.method)?;
    let mut headers = validate_headers(&request.headers)?;
    let mut body = validate_body(request.body, request.body_encoding)?;
    let mut url = Url::parse(&request.url).map_err(|e| {
        Error::params(
            "url",
            // Never echo the URL: its query string may hold a secret.
            format!("not a valid URL ({} bytes): {e}", request.url.len()),
        )
    })?;
    let secrets = SecretGate::load(providers, ctx).await?;

    for redirects in 0..=MAX_REDIRECTS {
        if ctx.remaining().is_zero() {
            return Err(ctx.timeout_error());
        }
        // Before the allowlist's message or a DNS query can carry a value.
        secrets.check(&url, &headers, body.as_deref())?;
        let permission = needed_permission(&method, &headers, body.as_deref(), &url);
        let target = authorise(ctx, permission, &url)?;
        ctx.take_http_request()?;
        let (pin_host, addrs) = resolve(providers, ctx, &url, &target).await?;
        let timeout = ctx.remaining();
        if timeout.is_zero() {
            return Err(ctx.timeout_error());
        }
        let (sent_headers, filled) = secrets.fill(&url, &headers, redirects == 0)?;
        let prepared = PreparedRequest {
            method: method.clone(),
            url: url.clone(),
            pin_host,
            addrs,
            headers: sent_headers,
            body: body.clone(),
        };
        let limits = HopLimits {
            timeout,
            max_body_bytes: providers.http_max_body_bytes,
        };
        // The audit intent, durable before the first byte leaves.
        begin_effect()?;
        let mut raw = providers.http.send(prepared, limits).await?;
        if filled {
            secrets.redact(&url, &mut raw);
        }

        let Some(next) = redirect_target(&url, &raw)? else {
            return Ok(into_response(raw));
        };
        if redirects == MAX_REDIRECTS {
            break;
        }
        if raw.status == 303 || (matches!(raw.status, 301 | 302) && !is_get_or_head(&method)) {
            if method != "HEAD" {
                method = "GET".to_owned();
            }
            body = None;
            headers.retain(|(name, _)| !BODY_HEADERS.contains(&name.as_str()));
        }
        if !same_origin(&url, &next) {
            headers.retain(|(name, _)| !CREDENTIAL_HEADERS.contains(&name.as_str()));
        }
        url = next;
    }
    Err(Error::capability(
        CAPABILITY,
        format!("more than {MAX_REDIRECTS} redirects"),
    ))
}

fn validate_method(method: &str) -> Result<String> {
    let upper = method.to_ascii_uppercase();
    if METHODS.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(Error::params(
            "method",
            format!("`{}` is not one of {}", shorten(method), METHODS.join(", ")),
        ))
    }
}

/// Checks names, values and count; returns `(lowercase name, value)` pairs.
fn validate_headers(
    headers: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<(String, String)>> {
    if headers.len() > MAX_HEADERS {
        return Err(Error::params(
            "headers",
            format!("{} headers; at most {MAX_HEADERS}", headers.len()),
        ));
    }
    let mut out = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        if name.is_empty() || name.len() > MAX_HEADER_NAME_BYTES || !name.bytes().all(is_tchar) {
            return Err(Error::params(
                "headers",
                format!("`{}` is not a valid header name", shorten(name)),
            ));
        }
        let lower = name.to_ascii_lowercase();
        if FORBIDDEN_HEADERS.contains(&lower.as_str()) {
            return Err(Error::params(
                "headers",
                format!("`{lower}` is set by the host and may not be sent"),
            ));
        }
        if value.len() > MAX_HEADER_VALUE_BYTES {
            return Err(Error::params(
                "headers",
                format!("`{lower}` is longer than {MAX_HEADER_VALUE_BYTES} bytes"),
            ));
        }
        if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(Error::params(
                "headers",
                format!("`{lower}` contains CR, LF or another control character"),
            ));
        }
        out.push((lower, value.clone()));
    }
    Ok(out)
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn validate_body(body: Option<String>, encoding: Option<BodyEncoding>) -> Result<Option<Vec<u8>>> {
    let Some(body) = body else {
        return Ok(None);
    };
    if body.len() > MAX_REQUEST_BODY_BYTES {
        return Err(Error::params(
            "body",
            format!("{} bytes; at most {MAX_REQUEST_BODY_BYTES}", body.len()),
        ));
    }
    crate::content::decode_content(body, encoding)
        .map(Some)
        .map_err(|e| match e {
            Error::InvalidParams { reason, .. } => Error::params("body", reason),
            other => other,
        })
}

/// The permission a hop needs: its method's, except that **a read that asks
/// the server to treat it as another method needs `http:write`** (many
/// frameworks honour `X-HTTP-Method-Override` and its spellings, and `_method`
/// in a form body or the query, and would turn the GET into a DELETE).
fn needed_permission(
    method: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
    url: &Url,
) -> Permission {
    let permission = http_permission(method);
    if permission != Permission::HttpRead {
        return permission;
    }
    // Names are lowercase already (`validate_headers`).
    let header = headers
        .iter()
        .any(|(name, _)| METHOD_OVERRIDE_HEADERS.contains(&name.as_str()));
    let field = |pairs: url::form_urlencoded::Parse<'_>| {
        pairs
            .into_iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(METHOD_OVERRIDE_FIELD))
    };
    let in_query = field(url.query_pairs());
    let in_body = body.is_some_and(|b| field(url::form_urlencoded::parse(b)));
    if header || in_query || in_body {
        Permission::HttpWrite
    } else {
        permission
    }
}

/// The checks that need no network: URL shape, permission, allowlist.
fn authorise(ctx: &CallContext, permission: Permission, url: &Url) -> Result<Target> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::HostNotAllowed {
            reason: format!(
                "scheme `{}` is not allowed (only http and https)",
                shorten(url.scheme())
            ),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::HostNotAllowed {
            reason: "URLs with user-info (`user@host`) are not allowed".to_owned(),
        });
    }
    let target = Target::of(url).ok_or_else(|| Error::HostNotAllowed {
        reason: "the URL has no host".to_owned(),
    })?;
    if !ctx.grants().has(permission) {
        return Err(Error::PermissionDenied {
            capability: CAPABILITY.to_owned(),
            permission: permission.as_str().to_owned(),
        });
    }
    if !ctx.grants().allowed_hosts.iter().any(|p| p.matches(url)) {
        return Err(Error::HostNotAllowed {
            reason: format!("`{}` is not in allowed_hosts", describe(&target)),
        });
    }
    Ok(target)
}

/// The host to pin and the addresses the provider may connect to.
async fn resolve(
    providers: &Providers,
    ctx: &CallContext,
    url: &Url,
    target: &Target,
) -> Result<(Option<String>, Vec<SocketAddr>)> {
    let port = target.port;
    let (pin_host, ips) = match (&target.host, url.host()) {
        (TargetHost::Ip(ip), _) => (None, vec![*ip]),
        (TargetHost::Domain(name), Some(Host::Domain(raw))) => {
            let ips = providers.resolver.resolve(name).await?;
            if ips.is_empty() {
                return Err(Error::capability(
                    CAPABILITY,
                    format!("`{}` has no addresses", shorten(name)),
                ));
            }
            (Some(raw.to_owned()), ips)
        }
        (TargetHost::Domain(_), _) => {
            return Err(Error::internal(
                "http.fetch: URL host changed while checking",
            ));
        }
    };
    let allowed_hosts = &ctx.grants().allowed_hosts;
    let named = |ip: IpAddr| allowed_hosts.iter().any(|p| p.names_address(ip, port));
    if let Some(bad) = ips.iter().copied().find(|&ip| !is_public(ip) && !named(ip)) {
        return Err(Error::HostNotAllowed {
            reason: format!(
                "`{}` resolves to {bad}, a private, loopback or otherwise non-public address \
                 (allow it by naming that address in allowed_hosts)",
                describe(target)
            ),
        });
    }
    let addrs = ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect();
    Ok((pin_host, addrs))
}

/// The next URL when `raw` is a redirect with a usable `Location`.
fn redirect_target(current: &Url, raw: &RawResponse) -> Result<Option<Url>> {
    if !matches!(raw.status, 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let Some((_, location)) = raw
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("location"))
    else {
        return Ok(None);
    };
    current.join(location.trim()).map(Some).map_err(|e| {
        Error::capability(
            CAPABILITY,
            format!("redirect {} has an invalid Location: {e}", raw.status),
        )
    })
}

fn is_get_or_head(method: &str) -> bool {
    method == "GET" || method == "HEAD"
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn into_response(raw: RawResponse) -> HttpResponse {
    let mut headers = std::collections::BTreeMap::<String, String>::new();
    for (name, value) in raw.headers {
        headers
            .entry(name.to_ascii_lowercase())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let (body, body_encoding) = crate::content::encode_bytes(raw.body);
    HttpResponse {
        status: raw.status,
        headers,
        body,
        body_encoding,
    }
}

/// `host:port` for messages.
fn describe(target: &Target) -> String {
    match &target.host {
        TargetHost::Domain(d) => format!("{}:{}", shorten(d), target.port),
        TargetHost::Ip(ip) => SocketAddr::new(*ip, target.port).to_string(),
    }
}

/// Guest-controlled text, bounded for a message.
fn shorten(s: &str) -> String {
    truncate_for_message(s, 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_overrides_its_method_needs_write() {
        let url = |s: &str| Url::parse(s).unwrap();
        let plain = url("http://a.test/x?q=1");
        let h = |name: &str| vec![(name.to_owned(), "DELETE".to_owned())];
        assert_eq!(
            needed_permission("GET", &[], None, &plain),
            Permission::HttpRead
        );
        for name in [
            "x-http-method-override",
            "x-http-method",
            "x-method-override",
        ] {
            assert_eq!(
                needed_permission("GET", &h(name), None, &plain),
                Permission::HttpWrite
            );
            assert_eq!(
                needed_permission("HEAD", &h(name), None, &plain),
                Permission::HttpWrite
            );
        }
        let form = needed_permission("GET", &[], Some(b"a=1&_METHOD=DELETE"), &plain);
        assert_eq!(form, Permission::HttpWrite);
        let query = needed_permission("GET", &[], None, &url("http://a.test/?_method=PUT"));
        assert_eq!(query, Permission::HttpWrite);
        assert_eq!(
            needed_permission("GET", &[], Some(b"method=x"), &plain),
            Permission::HttpRead
        );
        assert_eq!(
            needed_permission("POST", &[], None, &plain),
            Permission::HttpWrite
        );
    }

    #[test]
    fn methods_are_upper_cased_and_limited() {
        assert_eq!(validate_method("post").unwrap(), "POST");
        assert!(validate_method("TRACE").is_err());
        assert!(validate_method("CONNECT").is_err());
        assert!(validate_method("GET ").is_err());
    }

    #[test]
    fn headers_are_checked() {
        let h = |k: &str, v: &str| {
            validate_headers(&[(k.to_owned(), v.to_owned())].into_iter().collect())
        };
        assert_eq!(
            h("X-Token", "a\tb").unwrap(),
            vec![("x-token".into(), "a\tb".into())]
        );
        assert!(h("Host", "evil.com").is_err());
        assert!(h("Transfer-Encoding", "chunked").is_err());
        assert!(h("x", "a\r\nInjected: 1").is_err());
        assert!(h("bad name", "v").is_err());
        assert!(h("", "v").is_err());
        assert!(h("x", &"v".repeat(MAX_HEADER_VALUE_BYTES + 1)).is_err());
        let many = (0..=MAX_HEADERS)
            .map(|i| (format!("x-{i}"), String::new()))
            .collect();
        assert!(validate_headers(&many).is_err());
    }

    #[test]
    fn redirects_resolve_relative_locations() {
        let raw = RawResponse {
            status: 302,
            headers: vec![("location".into(), "../b?q=1".into())],
            body: Vec::new(),
        };
        let base = Url::parse("http://a.test/x/y").unwrap();
        let next = redirect_target(&base, &raw).unwrap().unwrap();
        assert_eq!(next.as_str(), "http://a.test/b?q=1");
        let ok = RawResponse { status: 200, ..raw };
        assert!(redirect_target(&base, &ok).unwrap().is_none());
    }

    #[test]
    fn repeated_headers_are_joined() {
        let r = into_response(RawResponse {
            status: 200,
            headers: vec![
                ("Set-Cookie".into(), "a=1".into()),
                ("set-cookie".into(), "b=2".into()),
            ],
            body: vec![0xff],
        });
        assert_eq!(r.headers["set-cookie"], "a=1, b=2");
        assert_eq!(r.body, "/w==");
        assert_eq!(r.body_encoding, Some(BodyEncoding::Base64));
    }
}
