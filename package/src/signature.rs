//! `signature.json`: an Ed25519 signature over a package digest.
//!
//! The signed message is `morph-package-v1 signature\0` followed by the 32
//! bytes of the package digest (see [`digest`](crate::digest)), so a
//! signature made for anything else never verifies here. Verification is
//! strict (`verify_strict`: no malleable or small-order signatures). The
//! public key in the document only says which key to look up: **trust comes
//! from the trust store, never from the package itself.**

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use morph_capabilities::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::digest::Sha256Digest;
use crate::format::FORMAT_VERSION;
use crate::keys::{parse_public_key, public_key_hex};

/// Largest `signature.json` accepted.
pub const MAX_SIGNATURE_BYTES: usize = 16 * 1024;

/// The one signature algorithm.
pub const ALGORITHM: &str = "ed25519";

/// The contents of `signature.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageSignature {
    /// Always [`FORMAT_VERSION`].
    pub format: String,
    /// Always [`ALGORITHM`].
    pub algorithm: String,
    /// The signer's public key, 64 hex digits.
    pub public_key: String,
    /// The package digest that was signed, `sha256:<hex>`.
    pub digest: String,
    /// The signature, 128 hex digits.
    pub signature: String,
}

fn message(digest: &Sha256Digest) -> Vec<u8> {
    let mut message = format!("{FORMAT_VERSION} signature\0").into_bytes();
    message.extend_from_slice(&digest.0);
    message
}

impl PackageSignature {
    /// Signs `digest` with `key`.
    pub fn sign(digest: &Sha256Digest, key: &SigningKey) -> PackageSignature {
        let signature = key.sign(&message(digest));
        PackageSignature {
            format: FORMAT_VERSION.to_owned(),
            algorithm: ALGORITHM.to_owned(),
            public_key: public_key_hex(&key.verifying_key()),
            digest: digest.to_string(),
            signature: hex::encode(signature.to_bytes()),
        }
    }

    /// Parses `signature.json`.
    ///
    /// # Errors
    /// `signature_invalid` when it is too large or malformed.
    pub fn from_bytes(bytes: &[u8]) -> Result<PackageSignature> {
        if bytes.len() > MAX_SIGNATURE_BYTES {
            return Err(invalid("signature.json is too large"));
        }
        let doc: PackageSignature = serde_json::from_slice(bytes)
            .map_err(|e| invalid(&format!("signature.json is malformed: {e}")))?;
        if doc.format != FORMAT_VERSION || doc.algorithm != ALGORITHM {
            return Err(invalid(&format!(
                "signature.json is for `{}`/`{}`, expected `{FORMAT_VERSION}`/`{ALGORITHM}`",
                morph_capabilities::truncate_for_message(&doc.format, 40),
                morph_capabilities::truncate_for_message(&doc.algorithm, 40)
            )));
        }
        Ok(doc)
    }

    /// The document as pretty JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// The signer's key as named in the document (not yet trusted).
    ///
    /// # Errors
    /// `signature_invalid` when it is not a usable key.
    pub fn claimed_key(&self) -> Result<VerifyingKey> {
        parse_public_key(&self.public_key).map_err(|e| invalid(&format!("public_key: {e}")))
    }

    /// Checks that this signature covers exactly `digest` and verifies under
    /// the key it names; returns that key.
    ///
    /// # Errors
    /// `signature_invalid` when the digest differs (a file was changed,
    /// added, removed or renamed, or the signature belongs to another
    /// package) or the signature does not verify.
    pub fn verify(&self, digest: &Sha256Digest) -> Result<VerifyingKey> {
        let signed: Sha256Digest = self
            .digest
            .parse()
            .map_err(|_| invalid("signature.json has a malformed digest"))?;
        if signed != *digest {
            return Err(invalid(
                "the package's files do not match the signed digest \
                 (a file was changed, added, removed or renamed, or the signature belongs to another package)",
            ));
        }
        let key = self.claimed_key()?;
        let mut sig = [0u8; 64];
        hex::decode_to_slice(&self.signature, &mut sig)
            .map_err(|_| invalid("signature is not 128 hex digits"))?;
        let sig = ed25519_dalek::Signature::from_bytes(&sig);
        key.verify_strict(&message(digest), &sig)
            .map_err(|_| invalid("the Ed25519 signature does not verify"))?;
        Ok(key)
    }
}

fn invalid(reason: &str) -> Error {
    Error::SignatureInvalid {
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_its_digest_and_key() {
        let key = crate::keys::generate_signing_key();
        let digest = Sha256Digest::of(b"listing");
        let sig = PackageSignature::sign(&digest, &key);
        let parsed = PackageSignature::from_bytes(&sig.to_bytes()).unwrap();
        assert_eq!(parsed.verify(&digest).unwrap(), key.verifying_key());

        let other = Sha256Digest::of(b"other");
        assert_eq!(
            parsed.verify(&other).unwrap_err().code().as_str(),
            "signature_invalid"
        );

        let mut forged = parsed.clone();
        forged.public_key = public_key_hex(&crate::keys::generate_signing_key().verifying_key());
        assert_eq!(
            forged.verify(&digest).unwrap_err().code().as_str(),
            "signature_invalid"
        );

        let mut flipped = parsed;
        let first = if flipped.signature.starts_with("00") {
            "01"
        } else {
            "00"
        };
        flipped.signature.replace_range(0..2, first);
        assert_eq!(
            flipped.verify(&digest).unwrap_err().code().as_str(),
            "signature_invalid"
        );
    }
}
