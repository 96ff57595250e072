//! The forms in which a request can carry a secret, and finding them: what
//! `http.fetch` looks for before a vault value bound to hosts leaves for
//! another host (see [`super::secrets`]).
//!
//! A value is looked for as itself, as hexadecimal (any case), and as
//! standard and URL-safe base64 at each of the three alignments it can have
//! inside a longer base64 text (`Basic base64("user:" + token)` puts the
//! token at an offset). Each form is searched in the text as sent, after
//! undoing percent-encoding (up to three rounds, and once more with `+` as a
//! space, as forms encode), and in every string of a JSON body (its escapes
//! undone).
//!
//! **This is a tripwire, not a wall.** A guest that can read a value can
//! always transform it into something no scanner recognises (reverse it, XOR
//! it, send it a few bytes per request). The wall is not letting it read the
//! value at all: bind the secret, grant no `vault:read`, and let the broker
//! insert it where a header says `{{vault:KEY}}`.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::GeneralPurpose;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use memchr::memmem;

/// Shortest form looked for: shorter ones would match ordinary text.
pub(crate) const MIN_FORM_BYTES: usize = 4;
/// Rounds of percent-decoding undone.
const DECODE_ROUNDS: usize = 3;

/// The forms of one value, ready to search for.
pub(crate) struct Forms {
    /// Case-sensitive forms: the value and its base64 cores.
    exact: Vec<Vec<u8>>,
    /// Lowercase hexadecimal, searched case-insensitively.
    hex: Option<Vec<u8>>,
    /// The value in ASCII lowercase, for host names (which URL parsing
    /// lowercases).
    folded: Vec<u8>,
}

impl Forms {
    /// The forms of `value` (none when it is shorter than
    /// [`MIN_FORM_BYTES`]).
    pub(crate) fn of(value: &str) -> Forms {
        let bytes = value.as_bytes();
        let mut exact = vec![bytes.to_vec()];
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            for shift in 0..3 {
                exact.extend(base64_core(engine, bytes, shift));
            }
        }
        exact.retain(|form| form.len() >= MIN_FORM_BYTES);
        exact.sort();
        exact.dedup();
        let hex = (bytes.len() >= MIN_FORM_BYTES).then(|| hex::encode(bytes).into_bytes());
        Forms {
            exact,
            hex,
            folded: bytes.to_ascii_lowercase(),
        }
    }

    /// Whether a host name (lowercase, as parsed) carries the value in any
    /// case.
    pub(crate) fn found_in_host(&self, host: &str) -> bool {
        self.folded.len() >= MIN_FORM_BYTES
            && memmem::find(host.to_ascii_lowercase().as_bytes(), &self.folded).is_some()
    }

    /// Whether `text` carries the value in any form.
    pub(crate) fn found_in(&self, text: &[u8]) -> bool {
        if self.exact.is_empty() {
            return false;
        }
        views(text).iter().any(|view| self.found_in_view(view))
    }

    fn found_in_view(&self, view: &[u8]) -> bool {
        if self
            .exact
            .iter()
            .any(|form| memmem::find(view, form).is_some())
        {
            return true;
        }
        self.hex.as_ref().is_some_and(|hex| {
            view.len() >= hex.len() && memmem::find(&view.to_ascii_lowercase(), hex).is_some()
        })
    }
}

/// The base64 characters of `value` that do not depend on its neighbours
/// when it starts `shift` bytes into a 3-byte group: whole groups of its own
/// bytes only.
pub(crate) fn base64_core(engine: &GeneralPurpose, value: &[u8], shift: usize) -> Option<Vec<u8>> {
    let mut shifted = vec![0u8; shift];
    shifted.extend_from_slice(value);
    let encoded = engine.encode(&shifted);
    // The first group mixes in the neighbour's bytes unless aligned; the
    // last, partial group depends on what follows.
    let start = if shift == 0 { 0 } else { 4 };
    let end = shifted.len() / 3 * 4;
    (end > start).then(|| encoded.as_bytes()[start..end].to_vec())
}

/// `text` as sent, and as each decoding a server might apply makes it.
fn views(text: &[u8]) -> Vec<Cow<'_, [u8]>> {
    let mut out = vec![Cow::Borrowed(text)];
    let mut current: Cow<'_, [u8]> = Cow::Borrowed(text);
    for _ in 0..DECODE_ROUNDS {
        if !current.contains(&b'%') {
            break;
        }
        let decoded: Vec<u8> = percent_encoding::percent_decode(&current).collect();
        if decoded == *current {
            break;
        }
        out.push(Cow::Owned(decoded.clone()));
        current = Cow::Owned(decoded);
    }
    if text.contains(&b'+') {
        let spaced: Vec<u8> = text
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        out.push(Cow::Owned(
            percent_encoding::percent_decode(&spaced).collect(),
        ));
    }
    if let Some(strings) = json_strings(text) {
        out.extend(strings.into_iter().map(|s| Cow::Owned(s.into_bytes())));
    }
    out
}

/// Every string (keys too) of `text` when it is a JSON document with an
/// escape in it (without one, its strings are already in the text).
fn json_strings(text: &[u8]) -> Option<Vec<String>> {
    let trimmed = text.trim_ascii_start();
    if !matches!(trimmed.first(), Some(b'{' | b'[' | b'"')) || !text.contains(&b'\\') {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(text).ok()?;
    let mut out = Vec::new();
    let mut stack = vec![&value];
    while let Some(value) = stack.pop() {
        match value {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(items) => stack.extend(items),
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    out.push(key.clone());
                    stack.push(item);
                }
            }
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    const SECRET: &str = "tok_9f8e7d6c5b4a";

    fn found(text: impl AsRef<[u8]>) -> bool {
        Forms::of(SECRET).found_in(text.as_ref())
    }

    #[test]
    fn the_value_is_found_in_every_encoding_the_issue_names() {
        assert!(found(format!("Bearer {SECRET}")));
        assert!(found(format!("q={}", SECRET.replace('_', "%5F"))));
        // Every character percent-encoded, then encoded again.
        let all: String = SECRET.bytes().map(|b| format!("%{b:02X}")).collect();
        assert!(found(&all));
        assert!(found(all.replace('%', "%25")));
        // A form body: `+` for a space.
        assert!(Forms::of("my secret value").found_in(b"a=1&q=my+secret%20value"));
        // base64 at every offset inside a longer text, both alphabets.
        for prefix in ["", "u", "us", "user:", "user:x"] {
            let text = format!("{prefix}{SECRET}-and-more");
            assert!(found(STANDARD.encode(&text)), "standard after {prefix:?}");
            assert!(
                found(URL_SAFE_NO_PAD.encode(&text)),
                "url-safe after {prefix:?}"
            );
        }
        assert!(found(hex::encode(SECRET)));
        assert!(found(hex::encode_upper(SECRET)));
        // JSON escapes undone.
        let escaped: String = SECRET
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        assert!(found(format!("{{\"k\": \"{escaped}\"}}")));
    }

    #[test]
    fn ordinary_text_and_short_values_are_not_matched() {
        assert!(!found("Bearer tok_9f8e7d6c5b4"), "one byte short");
        assert!(!found(STANDARD.encode("tok_9f8e")));
        assert!(!found("{\"a\": \"\\n\"}"));
        assert!(
            !Forms::of("abc").found_in(b"abcabcabc"),
            "below the minimum"
        );
        assert!(Forms::of(SECRET).found_in_host("x.tok_9f8e7d6c5b4a.evil.test"));
        assert!(Forms::of("TOK-Upper-1").found_in_host("tok-upper-1.evil.test"));
        assert!(Forms::of("abcd").found_in(b"xxabcdxx"));
    }
}
