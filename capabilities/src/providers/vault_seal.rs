//! Sealing one vault value: XChaCha20-Poly1305 with the value's place bound
//! into the associated data.
//!
//! A sealed value is `0x01 ‖ nonce (24 random bytes) ‖ ciphertext ‖ tag (16)`.
//! The associated data is
//!
//! ```text
//! "morph-vault" 0x00 0x01 ‖ key id (16 ASCII hex digits)
//!   ‖ u32 BE length ‖ namespace ‖ u32 BE length ‖ key name
//!   [‖ u32 BE length ‖ hosts]      (only for a value bound to hosts)
//! ```
//!
//! so **a sealed value opens only under the key it names, only in the
//! namespace (extension) and key it was stored for, and only with the hosts
//! it was bound to**: moved to another extension or key, unbound or bound to
//! other hosts in the database, or altered by one bit, it does not open. The
//! lengths make the encoding unambiguous (`a`+`bc` is not `ab`+`c`, and a
//! bound value's data never equals an unbound one's). The
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

/// Where a value is stored: what its associated data binds it to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place<'a> {
    /// The extension's id.
    pub namespace: &'a str,
    /// The key name.
    pub name: &'a str,
    /// The hosts it is bound to, as stored (`None`: not bound).
    pub hosts: Option<&'a str>,
}

impl<'a> Place<'a> {
    /// A value not bound to hosts.
    pub(crate) fn unbound(namespace: &'a str, name: &'a str) -> Place<'a> {
        Place {
            namespace,
            name,
            hosts: None,
        }
    }
}

/// Seals `value`, stored at `place`, under `key`.
///
/// # Errors
/// `internal` when the random source or the cipher fails.
pub(crate) fn seal(key: &VaultKey, place: &Place<'_>, value: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_BYTES];
    rand::rngs::OsRng
        .try_fill_bytes(&mut nonce)
        .map_err(|_| Error::internal("the system random source failed"))?;
    let ad = associated_data(key.id(), place);
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

/// Opens a value sealed by [`seal`] for `place`; `None` when it does not
/// open (another key, place or format, or altered).
pub(crate) fn open(key: &VaultKey, place: &Place<'_>, sealed: &[u8]) -> Option<Vec<u8>> {
    let (&version, rest) = sealed.split_first()?;
    if version != VERSION || rest.len() < NONCE_BYTES + TAG_BYTES {
        return None;
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_BYTES);
    let nonce = XNonce::try_from(nonce).ok()?;
    let ad = associated_data(key.id(), place);
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

fn associated_data(key_id: &str, place: &Place<'_>) -> Vec<u8> {
    let hosts = place.hosts.unwrap_or("");
    let mut ad = Vec::with_capacity(
        AD_PREFIX.len()
            + key_id.len()
            + 12
            + place.namespace.len()
            + place.name.len()
            + hosts.len(),
    );
    ad.extend_from_slice(AD_PREFIX);
    ad.extend_from_slice(key_id.as_bytes());
    let parts = [Some(place.namespace), Some(place.name), place.hosts];
    for part in parts.into_iter().flatten() {
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
        let at = |ns, name| Place::unbound(ns, name);
        let sealed = seal(&key, &at("ext-a", "token"), b"hunter2").unwrap();
        assert_eq!(
            open(&key, &at("ext-a", "token"), &sealed).unwrap(),
            b"hunter2"
        );
        assert!(
            open(&key, &at("ext-b", "token"), &sealed).is_none(),
            "moved namespace"
        );
        assert!(
            open(&key, &at("ext-a", "other"), &sealed).is_none(),
            "moved key"
        );
        assert!(
            open(&key, &at("ext-at", "oken"), &sealed).is_none(),
            "shifted boundary"
        );
        assert!(
            open(&other, &at("ext-a", "token"), &sealed).is_none(),
            "another key"
        );
        for i in 0..sealed.len() {
            let mut bent = sealed.clone();
            bent[i] ^= 1;
            assert!(
                open(&key, &at("ext-a", "token"), &bent).is_none(),
                "bit {i}"
            );
        }
        assert!(open(&key, &at("ext-a", "token"), &sealed[..20]).is_none());
        assert!(open(&key, &at("ext-a", "token"), &[]).is_none());
    }

    #[test]
    fn a_bound_value_opens_only_with_its_hosts() {
        let key = VaultKey::generate().unwrap();
        let bound = |hosts| Place {
            namespace: "ext-a",
            name: "token",
            hosts,
        };
        let sealed = seal(&key, &bound(Some("api.example.com")), b"hunter2").unwrap();
        assert_eq!(
            open(&key, &bound(Some("api.example.com")), &sealed).unwrap(),
            b"hunter2"
        );
        assert!(open(&key, &bound(None), &sealed).is_none(), "unbound");
        assert!(
            open(&key, &bound(Some("evil.example")), &sealed).is_none(),
            "rebound"
        );
        assert!(open(&key, &bound(Some("")), &sealed).is_none(), "emptied");
        let unbound = seal(&key, &bound(None), b"hunter2").unwrap();
        assert!(
            open(&key, &bound(Some("api.example.com")), &unbound).is_none(),
            "an unbound value does not gain hosts"
        );
    }

    #[test]
    fn sealing_twice_gives_different_bytes_without_the_value() {
        let key = VaultKey::generate().unwrap();
        let place = Place::unbound("ns", "k");
        let a = seal(&key, &place, b"same secret value").unwrap();
        let b = seal(&key, &place, b"same secret value").unwrap();
        assert_ne!(a, b, "fresh nonce per seal");
        assert_eq!(a.len(), 1 + NONCE_BYTES + 17 + TAG_BYTES);
        assert!(!a.windows(6).any(|w| w == b"secret"));
        let empty = seal(&key, &place, b"").unwrap();
        assert_eq!(open(&key, &place, &empty).unwrap(), b"");
    }
}
