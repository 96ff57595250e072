//! Vault values bound to hosts, at the `http.fetch` gate.
//!
//! A value set with `morph vault set EXT KEY --hosts api.example.com,...` may
//! be sent only to those hosts. On every hop, before the URL is checked
//! against `allowed_hosts` or resolved (so not even a DNS query carries it),
//! the broker looks for each bound value that is not bound to the hop's host
//! in the URL, the header names and values and the body, in the forms of
//! [`super::secret_forms`]; **a request that carries one is refused**
//! (`permission_denied`, audited; the message names the key and its hosts,
//! never the value or the refused host, which may be the value itself).
//!
//! **Injected unseen**: a header value may hold `{{vault:KEY}}` (alone or
//! inside text: `Bearer {{vault:KEY}}`). The broker fills it in for a hop
//! whose host the value is bound to; the guest needs no `vault:read` and
//! never sees the value. On the first hop a placeholder for an unbound or
//! missing key, or for a host the value is not bound to, is refused; a
//! redirect to such a host drops the header. The response has every value
//! the broker filled in replaced by its placeholder again, so a server that
//! echoes headers does not hand it to the guest. The audit record keeps the
//! request as the guest wrote it.

use url::Url;

use crate::call::CallContext;
use crate::error::{Error, Result, truncate_for_message};
use crate::http::secret_forms::{Forms, MIN_FORM_BYTES};
use crate::providers::Providers;
use crate::providers::http::RawResponse;
use crate::providers::vault::{BoundSecret, MAX_VAULT_KEY_BYTES};

/// Where a placeholder starts.
const OPEN: &str = "{{vault:";
/// Where it ends.
const CLOSE: &str = "}}";

/// The calling extension's bound values, for one `http.fetch`.
pub(crate) struct SecretGate {
    bound: Vec<(BoundSecret, Forms)>,
}

impl SecretGate {
    /// The values bound to hosts in the calling extension's vault.
    ///
    /// # Errors
    /// What the vault answers when it fails or a bound value does not open:
    /// the request is refused rather than sent unchecked.
    pub(crate) async fn load(providers: &Providers, ctx: &CallContext) -> Result<SecretGate> {
        let bound = providers.vault.bound(&ctx.extension().id).await?;
        Ok(SecretGate {
            bound: bound
                .into_iter()
                .map(|secret| {
                    let forms = Forms::of(&secret.value);
                    (secret, forms)
                })
                .collect(),
        })
    }

    /// Refuses a hop that carries a bound value to a host it is not bound
    /// to, in the URL, a header (name or value) or the body.
    pub(crate) fn check(
        &self,
        url: &Url,
        headers: &[(String, String)],
        body: Option<&[u8]>,
    ) -> Result<()> {
        for (secret, forms) in &self.bound {
            if secret.hosts.iter().any(|h| h.matches(url)) {
                continue;
            }
            let in_host = url.host_str().is_some_and(|h| forms.found_in_host(h));
            let place = if in_host || forms.found_in(url.as_str().as_bytes()) {
                "URL"
            } else if headers
                .iter()
                .any(|(n, v)| forms.found_in(n.as_bytes()) || forms.found_in(v.as_bytes()))
            {
                "headers"
            } else if body.is_some_and(|b| forms.found_in(b)) {
                "body"
            } else {
                continue;
            };
            return Err(Error::SecretRefused {
                key: truncate_for_message(&secret.key, 64),
                reason: format!(
                    "is bound to {} and the request's {place} would carry it to another host",
                    hosts_of(secret)
                ),
            });
        }
        Ok(())
    }

    /// The headers to send on a hop to `url`: placeholders filled in with
    /// values bound to its host. On the first hop (`first`) a placeholder
    /// that cannot be filled is refused; on a redirect its header is dropped.
    /// Also returns whether anything was filled in.
    pub(crate) fn fill(
        &self,
        url: &Url,
        headers: &[(String, String)],
        first: bool,
    ) -> Result<(Vec<(String, String)>, bool)> {
        let mut out = Vec::with_capacity(headers.len());
        let mut filled = false;
        'headers: for (name, value) in headers {
            if !value.contains(OPEN) {
                out.push((name.clone(), value.clone()));
                continue;
            }
            let mut text = String::with_capacity(value.len());
            let mut rest = value.as_str();
            while let Some((before, key, after)) = placeholder(rest) {
                text.push_str(before);
                match self.value_for(key, url) {
                    Ok(secret) => text.push_str(secret),
                    Err(e) if first => return Err(e),
                    Err(_) => continue 'headers,
                }
                filled = true;
                rest = after;
            }
            text.push_str(rest);
            out.push((name.clone(), text));
        }
        Ok((out, filled))
    }

    /// Puts the placeholders back wherever the response repeats a value the
    /// broker filled in for this request.
    pub(crate) fn redact(&self, url: &Url, raw: &mut RawResponse) {
        for (secret, _) in &self.bound {
            let value = secret.value.as_bytes();
            if value.len() < MIN_FORM_BYTES || !secret.hosts.iter().any(|h| h.matches(url)) {
                continue;
            }
            let placeholder = format!("{OPEN}{}{CLOSE}", secret.key);
            for (_, header) in &mut raw.headers {
                if header.contains(&secret.value) {
                    *header = header.replace(&secret.value, &placeholder);
                }
            }
            if memchr::memmem::find(&raw.body, value).is_some() {
                raw.body = replace_bytes(&raw.body, value, placeholder.as_bytes());
            }
        }
    }

    fn value_for(&self, key: &str, url: &Url) -> Result<&str> {
        let refused = |reason: String| Error::SecretRefused {
            key: truncate_for_message(key, 64),
            reason,
        };
        let Some((secret, _)) = self.bound.iter().find(|(s, _)| s.key == key) else {
            return Err(refused(
                "is not set or not bound to hosts, so no header can ask the broker to insert \
                 it (bind it: `morph vault set EXT KEY --hosts HOST,...`)"
                    .to_owned(),
            ));
        };
        if !secret.hosts.iter().any(|h| h.matches(url)) {
            return Err(refused(format!(
                "is bound to {}; the request goes to another host",
                hosts_of(secret)
            )));
        }
        Ok(&secret.value)
    }
}

/// The first well-formed `{{vault:KEY}}` in `text`: what precedes it, the
/// key, what follows. Malformed ones stay text.
fn placeholder(text: &str) -> Option<(&str, &str, &str)> {
    let mut from = 0;
    while let Some(at) = text[from..].find(OPEN).map(|i| from + i) {
        let key_start = at + OPEN.len();
        let len = text[key_start..].find(CLOSE)?;
        let key = &text[key_start..key_start + len];
        if !key.is_empty() && key.len() <= MAX_VAULT_KEY_BYTES && !key.contains('{') {
            return Some((&text[..at], key, &text[key_start + len + CLOSE.len()..]));
        }
        from = key_start;
    }
    None
}

fn hosts_of(secret: &BoundSecret) -> String {
    let list = secret
        .hosts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    truncate_for_message(&list, 200)
}

fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = memchr::memmem::find(rest, needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(with);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::allowlist::HostPattern;

    fn gate() -> SecretGate {
        let secret = BoundSecret {
            key: "token".to_owned(),
            value: "s3cr3t-token-value".to_owned(),
            hosts: vec![HostPattern::parse("api.example.com").unwrap()],
        };
        let forms = Forms::of(&secret.value);
        SecretGate {
            bound: vec![(secret, forms)],
        }
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_bound_value_goes_only_to_its_hosts() {
        let g = gate();
        let h = headers(&[("authorization", "Bearer s3cr3t-token-value")]);
        assert!(g.check(&url("https://api.example.com/x"), &h, None).is_ok());
        let err = g
            .check(&url("https://evil.example/x"), &h, None)
            .unwrap_err();
        assert_eq!(err.code().as_str(), "permission_denied");
        assert!(
            err.to_string()
                .contains("`token` is bound to api.example.com")
        );
        assert!(!err.to_string().contains("s3cr3t"));
        // In the host name itself: the message does not name the host.
        let err = g
            .check(&url("https://s3cr3t-token-value.evil.example/"), &[], None)
            .unwrap_err();
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
        assert!(
            g.check(
                &url("https://evil.example/"),
                &[],
                Some(b"x=s3cr3t-token-value")
            )
            .is_err()
        );
        assert!(
            g.check(&url("https://evil.example/"), &[], Some(b"x"))
                .is_ok()
        );
    }

    #[test]
    fn placeholders_are_filled_for_bound_hosts_only() {
        let g = gate();
        let h = headers(&[
            ("authorization", "Bearer {{vault:token}}"),
            ("x-plain", "{{vault:}} {{vault:token"),
        ]);
        let (sent, filled) = g.fill(&url("https://api.example.com/"), &h, true).unwrap();
        assert!(filled);
        assert_eq!(sent[0].1, "Bearer s3cr3t-token-value");
        assert_eq!(
            sent[1].1, "{{vault:}} {{vault:token",
            "malformed stays text"
        );
        let err = g.fill(&url("https://evil.example/"), &h, true).unwrap_err();
        assert_eq!(err.code().as_str(), "permission_denied");
        // A redirect elsewhere drops the header instead.
        let (sent, _) = g.fill(&url("https://evil.example/"), &h, false).unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, "x-plain");
        let unknown = headers(&[("x", "{{vault:other}}")]);
        let err = g
            .fill(&url("https://api.example.com/"), &unknown, true)
            .unwrap_err();
        assert!(err.to_string().contains("not set or not bound"), "{err}");
    }

    #[test]
    fn an_echoed_value_is_put_back_as_its_placeholder() {
        let g = gate();
        let mut raw = RawResponse {
            status: 200,
            headers: vec![("x-echo".into(), "Bearer s3cr3t-token-value".into())],
            body: b"{\"auth\":\"Bearer s3cr3t-token-value\"}".to_vec(),
        };
        g.redact(&url("https://api.example.com/"), &mut raw);
        assert_eq!(raw.headers[0].1, "Bearer {{vault:token}}");
        assert_eq!(raw.body, b"{\"auth\":\"Bearer {{vault:token}}\"}");
    }
}
