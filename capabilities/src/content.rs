//! Guest-supplied text and bytes as they cross the broker: length checks and
//! the UTF-8-or-base64 encoding shared by `http.fetch` bodies and `fs` files.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, Result};
use crate::providers::http::BodyEncoding;

/// Refuses `s` unless its length in bytes is within `min..=max`.
///
/// # Errors
/// `invalid_params` naming `field`.
pub(crate) fn check_len(field: &str, s: &str, min: usize, max: usize) -> Result<()> {
    if s.len() < min || s.len() > max {
        return Err(Error::params(
            field,
            format!("length {} is outside {min}..={max} bytes", s.len()),
        ));
    }
    Ok(())
}

/// Bytes as text when they are UTF-8, else as base64 (with the encoding said).
pub(crate) fn encode_bytes(bytes: Vec<u8>) -> (String, Option<BodyEncoding>) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => (STANDARD.encode(e.into_bytes()), Some(BodyEncoding::Base64)),
    }
}

/// Decodes a guest-supplied body or file content.
///
/// # Errors
/// `invalid_params` for invalid base64.
pub(crate) fn decode_content(content: String, encoding: Option<BodyEncoding>) -> Result<Vec<u8>> {
    match encoding {
        None | Some(BodyEncoding::Utf8) => Ok(content.into_bytes()),
        Some(BodyEncoding::Base64) => STANDARD
            .decode(content.as_bytes())
            .map_err(|e| Error::params("content", format!("invalid base64: {e}"))),
    }
}
