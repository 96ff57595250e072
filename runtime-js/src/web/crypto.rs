//! The host side of `crypto`: random bytes from the operating system's
//! generator (through `rand`'s thread RNG, seeded from it) and SHA digests
//! (RustCrypto `sha1`/`sha2`).
//!
//! `web/js/platform.js` builds the WebCrypto surface on these natives
//! (`crypto.getRandomValues`, `crypto.randomUUID`, `crypto.subtle.digest`)
//! and checks the arguments; the natives check again what keeps the host
//! safe: at most [`MAX_RANDOM_BYTES`] per call, ranges inside the buffer.

use boa_engine::{Context, JsArgs, JsNativeError, JsResult, JsString, JsValue};
use rand::RngCore;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::bytes;

/// Most bytes `getRandomValues` fills at once (the Web Crypto limit).
pub const MAX_RANDOM_BYTES: usize = 65536;

/// `randomFill(view)`: fills the bytes `view` sees.
fn random_fill(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let (buffer, range) = bytes::view_of(args.get_or_undefined(0), ctx)?;
    if range.len() > MAX_RANDOM_BYTES {
        return Err(JsNativeError::range()
            .with_message(format!(
                "getRandomValues: {} bytes requested, at most {MAX_RANDOM_BYTES}",
                range.len()
            ))
            .into());
    }
    let mut data = buffer
        .data_mut()
        .ok_or_else(|| JsNativeError::typ().with_message("the ArrayBuffer is detached"))?;
    let target = data
        .get_mut(range)
        .ok_or_else(|| JsNativeError::typ().with_message("the view is out of bounds"))?;
    rand::thread_rng().fill_bytes(target);
    Ok(JsValue::undefined())
}

/// `randomUUID()`: a version 4 UUID.
fn random_uuid(_: &JsValue, _: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let uuid = format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    );
    Ok(JsString::from(uuid.as_str()).into())
}

/// `digest(name, data)`: the digest of `data` as a `Uint8Array`; `name` is
/// already normalised (`SHA-1`, `SHA-256`, `SHA-384`, `SHA-512`).
fn digest(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let name = args
        .get_or_undefined(0)
        .as_string()
        .map(|s| s.to_std_string_lossy())
        .unwrap_or_default();
    let data = bytes::read(args.get_or_undefined(1), ctx)?;
    let out = match name.as_str() {
        "SHA-1" => Sha1::digest(&data).to_vec(),
        "SHA-256" => Sha256::digest(&data).to_vec(),
        "SHA-384" => Sha384::digest(&data).to_vec(),
        "SHA-512" => Sha512::digest(&data).to_vec(),
        other => {
            return Err(JsNativeError::typ()
                .with_message(format!("unsupported digest algorithm {other}"))
                .into());
        }
    };
    bytes::uint8_array(out, ctx)
}

/// The natives `web/js/platform.js` builds `crypto` from.
pub(super) const NATIVES: &[super::Native] = &[
    ("randomFill", random_fill, 1),
    ("randomUUID", random_uuid, 0),
    ("digest", digest, 2),
];
