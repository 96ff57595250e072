//! Standard base64 (RFC 4648, `+/`, `=` padding): the encoding the host uses
//! for bytes that are not UTF-8 (`fs.read` / `fs.write` content, HTTP bodies).
//!
//! A few dozen lines instead of a dependency keep guests small. **Decoding is
//! strict**: wrong length, a foreign character, misplaced padding or non-zero
//! trailing bits are errors, never silently repaired data.

use crate::error::Error;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes `bytes` as padded standard base64.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [n >> 18, n >> 12, n >> 6, n];
        for (i, s) in sextets.into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(s & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes padded standard base64.
///
/// # Errors
/// `guest_error` naming the problem when `text` is not canonical base64.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, Error> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return Err(Error::new("invalid base64: length is not a multiple of 4"));
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let quads = bytes.len() / 4;
    for (q, quad) in bytes.chunks_exact(4).enumerate() {
        let last = q + 1 == quads;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err(Error::new("invalid base64: misplaced padding"));
        }
        let mut n: u32 = 0;
        for &c in &quad[..4 - pad] {
            let v = sextet(c)
                .ok_or_else(|| Error::new(format!("invalid base64: unexpected byte 0x{c:02x}")))?;
            n = (n << 6) | v;
        }
        n <<= 6 * pad as u32;
        let [_, b0, b1, b2] = n.to_be_bytes();
        match pad {
            0 => out.extend_from_slice(&[b0, b1, b2]),
            1 if b2 == 0 => out.extend_from_slice(&[b0, b1]),
            2 if b1 == 0 && b2 == 0 => out.push(b0),
            _ => return Err(Error::new("invalid base64: non-zero trailing bits")),
        }
    }
    Ok(out)
}

fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn rfc4648_vectors_encode_and_decode() {
        for (plain, coded) in VECTORS {
            assert_eq!(encode(plain.as_bytes()), coded, "encode {plain:?}");
            assert_eq!(decode(coded).unwrap(), plain.as_bytes(), "decode {coded:?}");
        }
    }

    #[test]
    fn every_byte_value_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        for len in 0..all.len() {
            assert_eq!(decode(&encode(&all[..len])).unwrap(), &all[..len]);
        }
        assert_eq!(encode(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn malformed_input_is_refused() {
        for bad in [
            "Zg=", "Zg", "Z===", "Zg==Zg==", "Zm9v!A==", "Zh==", "Zm9=", "=Zg=",
        ] {
            assert!(decode(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
