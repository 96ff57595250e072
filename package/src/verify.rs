//! The trust decision: is this package, with this signature, acceptable?
//!
//! Integrity first, then trust. A signature that does not cover exactly the
//! package's digest or does not verify is `signature_invalid`, always, even
//! when unsigned packages are allowed. A package without a signature is
//! `unsigned_package`; one signed by a key the [`TrustStore`] does not hold
//! is `untrusted_publisher`. Only an app's explicit
//! [`TrustPolicy::allow_unsigned`] lets those last two through.

use ed25519_dalek::VerifyingKey;
use morph_capabilities::{Error, Result};

use crate::digest::Sha256Digest;
use crate::keys::public_key_hex;
use crate::signature::PackageSignature;
use crate::trust::TrustStore;

/// What a verified package's signature says about its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// Signed by a publisher in the trust store.
    Trusted {
        /// Its name in the store.
        name: String,
        /// Its key.
        key: VerifyingKey,
    },
    /// Validly signed by a key the store does not hold (only with
    /// [`TrustPolicy::allow_unsigned`]).
    Untrusted {
        /// The key.
        key: VerifyingKey,
    },
    /// Not signed (only with [`TrustPolicy::allow_unsigned`]).
    Unsigned,
}

impl Signer {
    /// The signing key, if any.
    pub fn key(&self) -> Option<&VerifyingKey> {
        match self {
            Signer::Trusted { key, .. } | Signer::Untrusted { key } => Some(key),
            Signer::Unsigned => None,
        }
    }

    /// The publisher's name in the trust store, if trusted.
    pub fn name(&self) -> Option<&str> {
        match self {
            Signer::Trusted { name, .. } => Some(name),
            _ => None,
        }
    }

    /// A one-line description for people.
    pub fn describe(&self) -> String {
        match self {
            Signer::Trusted { name, key } => {
                format!(
                    "signed by trusted publisher `{name}` ({})",
                    public_key_hex(key)
                )
            }
            Signer::Untrusted { key } => {
                format!("signed by an UNTRUSTED key {}", public_key_hex(key))
            }
            Signer::Unsigned => "UNSIGNED".to_owned(),
        }
    }

    /// The identity an extension id is bound to in a data dir: the
    /// publisher's key, so updates keep the id, and another key cannot take
    /// it over.
    pub fn origin(&self, fallback: &str) -> String {
        match self.key() {
            Some(key) => format!("publisher:ed25519:{}", public_key_hex(key)),
            None => format!("unsigned:{fallback}"),
        }
    }
}

/// The trust store and whether unsigned or untrusted packages may pass.
#[derive(Debug, Clone, Default)]
pub struct TrustPolicy {
    store: TrustStore,
    allow_unsigned: bool,
}

impl TrustPolicy {
    /// Trusts the publishers in `store`; refuses anything else.
    pub fn new(store: TrustStore) -> TrustPolicy {
        TrustPolicy {
            store,
            allow_unsigned: false,
        }
    }

    /// Lets unsigned and untrusted (but intact) packages through. Tampered
    /// packages are still refused.
    pub fn allow_unsigned(mut self, allow: bool) -> TrustPolicy {
        self.allow_unsigned = allow;
        self
    }

    /// Whether unsigned packages pass.
    pub fn allows_unsigned(&self) -> bool {
        self.allow_unsigned
    }

    /// The trust store.
    pub fn store(&self) -> &TrustStore {
        &self.store
    }

    /// Decides on a package with digest `digest` and raw `signature.json`.
    ///
    /// # Errors
    /// `signature_invalid`, `unsigned_package`, `untrusted_publisher` (see
    /// the module docs).
    pub fn check(&self, digest: &Sha256Digest, signature: Option<&[u8]>) -> Result<Signer> {
        let Some(bytes) = signature else {
            return if self.allow_unsigned {
                Ok(Signer::Unsigned)
            } else {
                Err(Error::UnsignedPackage)
            };
        };
        let key = PackageSignature::from_bytes(bytes)?.verify(digest)?;
        match self.store.publisher_of(&key) {
            Some(publisher) => Ok(Signer::Trusted {
                name: publisher.name,
                key,
            }),
            None if self.allow_unsigned => Ok(Signer::Untrusted { key }),
            None => Err(Error::UntrustedPublisher {
                reason: format!(
                    "the package is signed by key {}, which is not in the trust store{}",
                    public_key_hex(&key),
                    self.store
                        .dir()
                        .map(|d| format!(" ({})", d.display()))
                        .unwrap_or_default()
                ),
            }),
        }
    }
}
