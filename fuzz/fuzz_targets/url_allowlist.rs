//! The HTTP allowlist (`capabilities/src/http/allowlist.rs`), differentially
//! against the `url` crate: the input is an `allowed_hosts` entry, a newline
//! and a URL. Checked:
//!
//! - an entry that parses prints to one that parses to itself, and (without
//!   a wildcard) `url` parses `http://<entry>/` to that very host and port;
//! - **whenever the entry allows the URL**, `url`'s parse of it names an
//!   `http`/`https` URL without user-info whose host is the entry's (or a
//!   subdomain of it, for `*.`) and whose port is the entry's (or the
//!   scheme's default when the entry has none), and the URL's serialisation
//!   is allowed too (what the provider sends is what was checked).

#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use morph_capabilities::HostPattern;
use morph_capabilities::http::allowlist::HostMatcher;
use url::{Host, Url};

/// The host `url` parsed, normalised as an independent reading: lowercase,
/// one trailing dot dropped.
fn url_host(url: &Url) -> Option<Result<String, IpAddr>> {
    Some(match url.host()? {
        Host::Domain(d) => Ok(d.strip_suffix('.').unwrap_or(d).to_ascii_lowercase()),
        Host::Ipv4(ip) => Err(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Err(IpAddr::V6(ip)),
    })
}

fn check_entry(pattern: &HostPattern) {
    let printed = pattern.to_string();
    let again = HostPattern::parse(&printed)
        .unwrap_or_else(|e| panic!("`{printed}` (a printed entry) is refused: {e}"));
    assert_eq!(&again, pattern, "`{printed}` parses to another entry");
    if matches!(pattern.host(), HostMatcher::Subdomains(_)) {
        return;
    }
    let url = Url::parse(&format!("http://{printed}/"))
        .unwrap_or_else(|e| panic!("url refuses `http://{printed}/`: {e}"));
    let host = url_host(&url).expect("an http URL has a host");
    match (pattern.host(), &host) {
        (HostMatcher::Domain(d), Ok(h)) => assert_eq!(d, h, "`{printed}`"),
        (HostMatcher::Ip(a), Err(b)) => assert_eq!(a, b, "`{printed}`"),
        _ => panic!(
            "`{printed}`: entry host {:?}, url host {host:?}",
            pattern.host()
        ),
    }
    assert_eq!(
        url.port_or_known_default(),
        Some(pattern.port().unwrap_or(80)),
        "`{printed}`"
    );
}

fn check_allowed(pattern: &HostPattern, url: &Url) {
    let scheme = url.scheme();
    assert!(
        scheme == "http" || scheme == "https",
        "scheme `{scheme}` allowed: {url}"
    );
    assert!(
        url.username().is_empty() && url.password().is_none(),
        "user-info allowed: {url}"
    );
    let default = if scheme == "http" { 80 } else { 443 };
    let port = url.port_or_known_default().expect("http(s) has a port");
    match pattern.port() {
        Some(p) => assert_eq!(port, p, "port of {url} against `{pattern}`"),
        None => assert_eq!(port, default, "port of {url} against `{pattern}`"),
    }
    let host = url_host(url).expect("an allowed URL has a host");
    match (pattern.host(), &host) {
        (HostMatcher::Domain(d), Ok(h)) => assert_eq!(d, h, "{url} against `{pattern}`"),
        (HostMatcher::Subdomains(d), Ok(h)) => {
            let prefix = h.strip_suffix(&format!(".{d}"));
            assert!(
                prefix.is_some_and(|p| p.split('.').all(|label| !label.is_empty())),
                "{url} is not a subdomain of `{pattern}`"
            );
        }
        (HostMatcher::Ip(a), Err(b)) => assert_eq!(a, b, "{url} against `{pattern}`"),
        _ => panic!("{url}: host {host:?} allowed by `{pattern}`"),
    }
    let reparsed = Url::parse(url.as_str()).expect("a URL's serialisation parses");
    assert!(
        pattern.matches(&reparsed),
        "{url} allowed, its serialisation not"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (entry, url) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(pattern) = HostPattern::parse(entry) else {
        return;
    };
    check_entry(&pattern);
    if let Ok(url) = Url::parse(url)
        && pattern.matches(&url)
    {
        check_allowed(&pattern, &url);
    }
});
