//! `allowed_hosts` entries and matching a parsed URL against them.
//!
//! **Matching is structural, never by substring**: an entry is parsed once into
//! a normalised host (lowercase, IDNA to ASCII, one trailing dot dropped, IPv4
//! in any notation turned into an address) plus an optional port, and a URL is
//! matched on the host and port that the `url` crate parsed (WHATWG rules, so
//! user-info, backslashes and numeric IPv4 forms are already resolved).
//!
//! Entry forms: `api.example.com`, `api.example.com:8443`, `*.example.com`
//! (any subdomain, not the apex), `127.0.0.1:8080`, `[::1]:8080`. Without a
//! port an entry matches only the scheme's default port (80 for `http`, 443
//! for `https`).

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

/// The host part of an allowlist entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostMatcher {
    /// One exact domain, normalised.
    Domain(String),
    /// Any subdomain of this normalised domain (not the domain itself).
    Subdomains(String),
    /// One literal IP address.
    Ip(IpAddr),
}

/// One parsed `allowed_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPattern {
    host: HostMatcher,
    port: Option<u16>,
}

/// Why an allowlist entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{entry}`: {reason}")]
pub struct InvalidHostPattern {
    /// The entry (truncated).
    pub entry: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

const MAX_ENTRY_LEN: usize = 260;

impl HostPattern {
    /// Parses one entry.
    ///
    /// # Errors
    /// [`InvalidHostPattern`] for schemes, paths, user-info, wildcards other
    /// than a leading `*.`, bad ports and hosts that do not parse.
    pub fn parse(entry: &str) -> Result<HostPattern, InvalidHostPattern> {
        let bad = |reason| InvalidHostPattern {
            entry: crate::error::truncate_for_message(entry, 80),
            reason,
        };
        if entry.is_empty() || entry.len() > MAX_ENTRY_LEN {
            return Err(bad("must be 1 to 260 characters"));
        }
        if entry
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "/\\@?#%".contains(c))
        {
            return Err(bad(
                "must be a bare host with an optional port (no scheme, path, user-info or escapes)",
            ));
        }
        let (host_part, port) = split_port(entry).ok_or_else(|| bad("invalid port"))?;
        let (wildcard, host_part) = match host_part.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, host_part),
        };
        if host_part.contains('*') {
            return Err(bad("only a leading `*.` wildcard is allowed"));
        }
        let host_part = host_part.strip_suffix('.').unwrap_or(host_part);
        if host_part.is_empty() {
            return Err(bad("empty host"));
        }
        let host = if let Some(v6) = host_part
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
        {
            let ip: std::net::Ipv6Addr = v6.parse().map_err(|_| bad("invalid IPv6 address"))?;
            HostMatcher::Ip(IpAddr::V6(ip))
        } else {
            match Host::parse(host_part).map_err(|_| bad("invalid host name"))? {
                Host::Domain(d) => {
                    let d = d.strip_suffix('.').unwrap_or(&d).to_owned();
                    if d.is_empty() || !d.split('.').all(valid_label) {
                        return Err(bad("invalid host name"));
                    }
                    if wildcard {
                        HostMatcher::Subdomains(d)
                    } else {
                        HostMatcher::Domain(d)
                    }
                }
                Host::Ipv4(ip) => HostMatcher::Ip(IpAddr::V4(ip)),
                Host::Ipv6(ip) => HostMatcher::Ip(IpAddr::V6(ip)),
            }
        };
        if wildcard && matches!(host, HostMatcher::Ip(_)) {
            return Err(bad("a wildcard cannot cover an IP address"));
        }
        let pattern = HostPattern { host, port };
        // IDNA can lengthen an entry: its printed (ASCII) form, what grants
        // and manifests serialise, must parse again.
        if pattern.to_string().len() > MAX_ENTRY_LEN {
            return Err(bad(
                "is longer than 260 characters in its ASCII (IDNA) form",
            ));
        }
        Ok(pattern)
    }

    /// The host part.
    pub fn host(&self) -> &HostMatcher {
        &self.host
    }

    /// The explicit port, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Whether this entry covers `url` (scheme must be `http` or `https`).
    pub fn matches(&self, url: &Url) -> bool {
        let Some(target) = Target::of(url) else {
            return false;
        };
        let port_ok = match self.port {
            Some(p) => target.port == p,
            None => target.default_port,
        };
        port_ok
            && match (&self.host, &target.host) {
                (HostMatcher::Domain(d), TargetHost::Domain(h)) => d == h,
                // The part before `.d` must be labels, none empty: the `url`
                // crate keeps `a..example.com` and `*...example.com` as hosts.
                (HostMatcher::Subdomains(d), TargetHost::Domain(h)) => h
                    .strip_suffix(d.as_str())
                    .and_then(|prefix| prefix.strip_suffix('.'))
                    .is_some_and(|sub| !sub.is_empty() && sub.split('.').all(|l| !l.is_empty())),
                (HostMatcher::Ip(a), TargetHost::Ip(b)) => a == b,
                _ => false,
            }
    }

    /// Whether this entry names exactly `ip` (and `port`, when it has one).
    pub fn names_address(&self, ip: IpAddr, port: u16) -> bool {
        matches!(self.host, HostMatcher::Ip(a) if a == ip) && self.port.is_none_or(|p| p == port)
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            HostMatcher::Domain(d) => f.write_str(d)?,
            HostMatcher::Subdomains(d) => write!(f, "*.{d}")?,
            HostMatcher::Ip(IpAddr::V4(ip)) => write!(f, "{ip}")?,
            HostMatcher::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]")?,
        }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for HostPattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A URL's host, normalised the same way as entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetHost {
    /// A domain name, lowercase ASCII, without a trailing dot.
    Domain(String),
    /// A literal address.
    Ip(IpAddr),
}

/// The host and port a URL points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Normalised host.
    pub host: TargetHost,
    /// Effective port.
    pub port: u16,
    /// Whether the port is the scheme's default.
    pub default_port: bool,
}

impl Target {
    /// The target of an `http`/`https` URL without user-info; `None` otherwise.
    pub fn of(url: &Url) -> Option<Target> {
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return None;
        }
        let host = match url.host()? {
            Host::Domain(d) => {
                let d = d.strip_suffix('.').unwrap_or(d);
                if d.is_empty() {
                    return None;
                }
                TargetHost::Domain(d.to_ascii_lowercase())
            }
            Host::Ipv4(ip) => TargetHost::Ip(IpAddr::V4(ip)),
            Host::Ipv6(ip) => TargetHost::Ip(IpAddr::V6(ip)),
        };
        let port = url.port_or_known_default()?;
        Some(Target {
            host,
            port,
            default_port: url.port().is_none(),
        })
    }
}

fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Splits `host[:port]` / `[v6][:port]`; `None` when the port is malformed.
fn split_port(entry: &str) -> Option<(&str, Option<u16>)> {
    if entry.starts_with('[') {
        let end = entry.find(']')?;
        let (host, rest) = entry.split_at(end + 1);
        return match rest.strip_prefix(':') {
            Some(p) => Some((host, Some(parse_port(p)?))),
            None if rest.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match entry.rsplit_once(':') {
        Some((host, p)) if !host.contains(':') => Some((host, Some(parse_port(p)?))),
        Some(_) => None,
        None => Some((entry, None)),
    }
}

fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse().ok().filter(|&p| p != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(entry: &str, url: &str) -> bool {
        HostPattern::parse(entry)
            .unwrap()
            .matches(&Url::parse(url).unwrap())
    }

    #[test]
    fn exact_domain_matches_only_itself_on_default_port() {
        assert!(allowed("api.example.com", "https://api.example.com/x"));
        assert!(allowed("api.example.com", "http://API.Example.COM./x"));
        assert!(!allowed("api.example.com", "https://api.example.com:8443/"));
        assert!(!allowed(
            "api.example.com",
            "https://api.example.com.evil.com/"
        ));
        assert!(!allowed("api.example.com", "https://evilapi.example.com/"));
        assert!(!allowed(
            "api.example.com",
            "https://api.example.com@evil.com/"
        ));
        assert!(!allowed("api.example.com", "ftp://api.example.com/"));
        assert!(!allowed(
            "api.example.com",
            "https://evil.com\\@api.example.com/"
        ));
    }

    #[test]
    fn wildcard_covers_subdomains_not_apex_or_lookalikes() {
        assert!(allowed("*.example.com", "https://a.b.example.com/"));
        assert!(!allowed("*.example.com", "https://example.com/"));
        assert!(!allowed("*.example.com", "https://evilexample.com/"));
    }

    /// Found by the `url_allowlist` fuzz target: `url` parses
    /// `http://*...example.com./` to a host with empty labels, which
    /// `*.example.com` allowed as if it were a subdomain.
    #[test]
    fn fuzz_url_allowlist_empty_labels_are_not_subdomains() {
        for url in [
            "http://*...example.com./",
            "https://..example.com/",
            "https://a..example.com/",
            "https://a..b.example.com/",
        ] {
            assert!(!allowed("*.example.com", url), "{url} allowed");
        }
        assert!(allowed("*.example.com", "https://a.b.example.com./"));
    }

    /// Found by the `url_allowlist` fuzz target: an entry within 260 bytes
    /// whose Punycode form is longer printed to an entry that `parse`
    /// refused, so a serialised grant or manifest did not read back.
    #[test]
    fn fuzz_url_allowlist_long_idna_entry_is_refused() {
        let entry = ["üaaaaaÿbbbbbӵ"; 15].join(".");
        assert!(entry.len() <= MAX_ENTRY_LEN);
        assert!(HostPattern::parse(&entry).is_err());
        let shorter = ["üaaaaaÿbbbbbӵ"; 10].join(".");
        let p = HostPattern::parse(&shorter).unwrap();
        assert_eq!(HostPattern::parse(&p.to_string()), Ok(p));
    }

    #[test]
    fn ports_and_ip_forms() {
        assert!(allowed("127.0.0.1:8080", "http://127.0.0.1:8080/"));
        assert!(allowed("127.0.0.1:8080", "http://2130706433:8080/"));
        assert!(allowed("127.0.0.1:8080", "http://0x7f.1:8080/"));
        assert!(!allowed("127.0.0.1:8080", "http://127.0.0.1:8081/"));
        assert!(allowed("[::1]:9000", "http://[0:0::1]:9000/"));
        assert!(!allowed("[::1]:9000", "http://[::ffff:127.0.0.1]:9000/"));
    }

    #[test]
    fn bad_entries_are_refused() {
        for e in [
            "",
            "https://a.com",
            "a.com/path",
            "user@a.com",
            "a.*.com",
            "*.1.2.3.4",
            "a.com:0",
            "a.com:99999",
            "a.com:",
            "::1",
            "a b.com",
        ] {
            assert!(HostPattern::parse(e).is_err(), "{e} should be refused");
        }
    }

    #[test]
    fn unicode_entries_normalise_to_punycode() {
        let p = HostPattern::parse("bücher.example").unwrap();
        assert_eq!(p.to_string(), "xn--bcher-kva.example");
        assert!(p.matches(&Url::parse("https://BÜCHER.example/").unwrap()));
    }
}
