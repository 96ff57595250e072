//! Sealing one vault value: XChaCha20-Poly1305 with the value's place bound
//! into the associated data.
//!
//! A sealed value is `0x01 ‖ nonce (24 random bytes) ‖ ciphertext ‖ tag (16)`.
//! The associated data is
//!
//! ```text
//! "morph-vault" 0x00 0x01 ‖ key id (16 ASCII hex digits)
//!   ‖ u32 BE length ‖ namespace ‖ u32 BE length ‖ key name
//! ```
//!
//! so **a sealed value opens only under the key it names and only in the
//! namespace (extension) and key it was stored for**: moved to another
//! extension or another key, or altered by one bit, it does not open. The
//! lengths make the encoding unambiguous (`a`+`bc` is not `ab`+`c`). The
//! random 192-bit nonce never repeats in practice, so one key seals any
//! number of values.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::error::{Error, Result};
use crate::providers::vault_keys::VaultKey;

/// The first byte of every sealed value: the format.
const VERSION: u8 = 1;
/// XChaCha20's nonce.
const NONCE_BYTES: usize = 24;
/// Poly1305's tag.
const TAG_BYTES: usize = 16;
/// Where the associated data starts: the construction and its version.
const AD_PREFIX: &[u8] = b"morph-vault\0\x01";

/// Seals `value`, stored as `name` in `namespace`, under `key`.
///
/// # Errors
/// `internal` when the random source or the cipher fails.
pub(crate) fn seal(key: &VaultKey, namespace: &str, name: &str, value: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_BYTES];
    rand::rngs::OsRng
        .try_fill_bytes(&mut nonce)
        .map_err(|_| Error::internal("the system random source failed"))?;
    let ad = associated_data(key.id(), namespace, name);
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let sealed = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: value,
                aad: &ad,
            },
        )
        .map_err(|_| Error::internal("sealing a vault value failed"))?;
    let mut out = Vec::with_capacity(1 + NONCE_BYTES + sealed.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a value sealed by [`seal`] for `name` in `namespace`; `None` when
/// it does not open (another key, place or format, or altered).
pub(crate) fn open(key: &VaultKey, namespace: &str, name: &str, sealed: &[u8]) -> Option<Vec<u8>> {
    let (&version, rest) = sealed.split_first()?;
    if version != VERSION || rest.len() < NONCE_BYTES + TAG_BYTES {
        return None;
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_BYTES);
    let nonce = XNonce::try_from(nonce).ok()?;
    let ad = associated_data(key.id(), namespace, name);
    XChaCha20Poly1305::new(key.bytes().into())
        .decrypt(
            &nonce,
            Payload {
                msg: ciphertext,
                aad: &ad,
            },
        )
        .ok()
}

fn associated_data(key_id: &str, namespace: &str, name: &str) -> Vec<u8> {
    let mut ad =
        Vec::with_capacity(AD_PREFIX.len() + key_id.len() + 8 + namespace.len() + name.len());
    ad.extend_from_slice(AD_PREFIX);
    ad.extend_from_slice(key_id.as_bytes());
    for part in [namespace, name] {
        // Namespaces and key names are capped far below 4 GiB by the broker;
        // saturating keeps the encoding total anyway.
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        ad.extend_from_slice(&len.to_be_bytes());
        ad.extend_from_slice(part.as_bytes());
    }
    ad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_only_in_its_place_under_its_key() {
        let key = VaultKey::generate().unwrap();
        let other = VaultKey::generate().unwrap();
        let sealed = seal(&key, "ext-a", "token", b"hunter2").unwrap();
        assert_eq!(open(&key, "ext-a", "token", &sealed).unwrap(), b"hunter2");
        assert!(
            open(&key, "ext-b", "token", &sealed).is_none(),
            "moved namespace"
        );
        assert!(open(&key, "ext-a", "other", &sealed).is_none(), "moved key");
        assert!(
            open(&key, "ext-at", "oken", &sealed).is_none(),
            "shifted boundary"
        );
        assert!(
            open(&other, "ext-a", "token", &sealed).is_none(),
            "another key"
        );
        for i in 0..sealed.len() {
            let mut bent = sealed.clone();
            bent[i] ^= 1;
            assert!(open(&key, "ext-a", "token", &bent).is_none(), "bit {i}");
        }
        assert!(open(&key, "ext-a", "token", &sealed[..20]).is_none());
        assert!(open(&key, "ext-a", "token", &[]).is_none());
    }

    #[test]
    fn sealing_twice_gives_different_bytes_without_the_value() {
        let key = VaultKey::generate().unwrap();
        let a = seal(&key, "ns", "k", b"same secret value").unwrap();
        let b = seal(&key, "ns", "k", b"same secret value").unwrap();
        assert_ne!(a, b, "fresh nonce per seal");
        assert_eq!(a.len(), 1 + NONCE_BYTES + 17 + TAG_BYTES);
        assert!(!a.windows(6).any(|w| w == b"secret"));
        let empty = seal(&key, "ns", "k", b"").unwrap();
        assert_eq!(open(&key, "ns", "k", &empty).unwrap(), b"");
    }
}
