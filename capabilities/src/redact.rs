//! One redaction step for everything that leaves a call as text: audit
//! reasons, log lines, the call's error message and stack.
//!
//! **No vault value of the calling extension reaches a record, a log line,
//! an error message or an envelope**, in the forms a leak plausibly takes:
//! as itself (and, for host names, in lowercase), percent-encoded, in
//! standard or URL-safe base64 (whole, with or without padding, and at each
//! of the three alignments inside a longer base64 text), and in hex (either
//! case). Each occurrence becomes `[vault:KEY]`. Values shorter than
//! [`MIN_REDACTED_BYTES`] are left alone: they would match ordinary text.
//!
//! The broker builds a [`Redactor`] from the extension's vault the first time
//! a call has text to clean (most calls have none) and drops it when the
//! call writes to the vault.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::http::secret_forms::base64_core;

/// Shortest value redacted.
pub const MIN_REDACTED_BYTES: usize = 4;

/// The vault values of one extension, in every form they are looked for.
#[derive(Default)]
pub struct Redactor {
    /// `(form, marker)`, longest forms first so that a form never leaves a
    /// piece of a longer one behind.
    forms: Vec<(String, String)>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values.
        f.debug_struct("Redactor")
            .field("forms", &self.forms.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor for `(key, value)` pairs.
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Redactor {
        let mut forms = Vec::new();
        for (key, value) in entries {
            if value.len() < MIN_REDACTED_BYTES {
                continue;
            }
            let marker = format!("[vault:{key}]");
            for form in forms_of(value) {
                if form.len() >= MIN_REDACTED_BYTES {
                    forms.push((form, marker.clone()));
                }
            }
        }
        forms.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        forms.dedup_by(|a, b| a.0 == b.0);
        Redactor { forms }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// `text` with every form of every value replaced by its marker.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for (form, marker) in &self.forms {
            if out.contains(form.as_str()) {
                out = Cow::Owned(out.replace(form.as_str(), marker));
            }
        }
        out
    }
}

/// What JavaScript's `encodeURIComponent` leaves as it is.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');
/// What Python's `urllib.parse.quote` leaves as it is.
const PYTHON_QUOTE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Every form of `value` a leak plausibly takes.
fn forms_of(value: &str) -> Vec<String> {
    let bytes = value.as_bytes();
    let mut forms = vec![
        value.to_owned(),
        value.to_ascii_lowercase(),
        hex::encode(bytes),
        hex::encode_upper(bytes),
    ];
    for set in [NON_ALPHANUMERIC, URI_COMPONENT, PYTHON_QUOTE] {
        let encoded = utf8_percent_encode(value, set).to_string();
        let lower = percent_lower(&encoded);
        forms.push(encoded.replace("%20", "+"));
        forms.push(lower.replace("%20", "+"));
        forms.push(encoded);
        forms.push(lower);
    }
    for engine in [&STANDARD, &URL_SAFE] {
        forms.push(engine.encode(bytes));
    }
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        for shift in 0..3 {
            forms.extend(
                base64_core(engine, bytes, shift).map(|c| String::from_utf8_lossy(&c).into_owned()),
            );
        }
    }
    forms
}

/// `%2F` written `%2f`: the same bytes to every decoder.
fn percent_lower(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let escape = rest.get(at..at + 3).unwrap_or(&rest[at..]);
        out.push_str(&escape.to_ascii_lowercase());
        rest = &rest[at + escape.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Tok-9f8e/7d6c+5b4a (x)";

    #[test]
    fn every_form_becomes_the_marker() {
        let r = Redactor::new([("token", SECRET)]);
        let percent = utf8_percent_encode(SECRET, NON_ALPHANUMERIC).to_string();
        let texts = [
            format!("error: {SECRET} is bad"),
            format!("host {}.evil.test", SECRET.to_ascii_lowercase()),
            format!("GET /x?t={percent}"),
            format!("q={}", utf8_percent_encode(SECRET, URI_COMPONENT)),
            format!("q={}", utf8_percent_encode(SECRET, PYTHON_QUOTE)).replace("%20", "+"),
            percent_lower(&percent),
            format!("Basic {}", STANDARD.encode(format!("me:{SECRET}"))),
            URL_SAFE_NO_PAD.encode(format!("xy{SECRET}")),
            hex::encode(SECRET),
            hex::encode_upper(SECRET),
        ];
        for text in texts {
            let out = r.redact(&text);
            assert!(out.contains("[vault:token]"), "{text} -> {out}");
            assert!(!out.contains(SECRET) && !out.contains(&percent), "{out}");
        }
        assert_eq!(r.redact("nothing here"), "nothing here");
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn short_values_and_debug_show_nothing() {
        let r = Redactor::new([("pin", "123"), ("token", SECRET)]);
        assert_eq!(r.redact("123 and 123"), "123 and 123");
        assert!(!format!("{r:?}").contains("Tok"));
        assert!(Redactor::new([("pin", "123")]).is_empty());
    }
}
