//! THREATS.md, "Packages": Ed25519 verification is strict. A signature
//! made malleable (`S + L`, the same signature to a lax verifier), a weak
//! (small-order) public key, and the identity key with the "verifies any
//! message" signature are all refused as `signature_invalid`.

use morph_package::keys::{generate_signing_key, parse_public_key};
use morph_package::{PackageSignature, Sha256Digest};

/// The order of the Ed25519 group, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The identity point, compressed: a small-order (weak) public key.
const IDENTITY: &str = "0100000000000000000000000000000000000000000000000000000000000000";

fn code(result: morph_capabilities::Result<impl std::fmt::Debug>) -> String {
    result.unwrap_err().code().as_str().to_owned()
}

/// THREATS.md, "Packages": Ed25519 verification is strict: a malleable
/// signature (`S + L`) of a genuine signature is refused.
#[test]
fn ed25519_a_malleable_signature_is_refused() {
    let digest = Sha256Digest::of(b"a package");
    let key = generate_signing_key();
    let good = PackageSignature::sign(&digest, &key);
    assert!(good.verify(&digest).is_ok());

    let mut sig = hex::decode(&good.signature).unwrap();
    let mut carry = 0u16;
    for (i, l) in L.iter().enumerate() {
        let sum = u16::from(sig[32 + i]) + u16::from(*l) + carry;
        sig[32 + i] = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + L fits in 32 bytes");
    let malleable = PackageSignature {
        signature: hex::encode(&sig),
        ..good
    };
    assert_eq!(code(malleable.verify(&digest)), "signature_invalid");
}

/// THREATS.md, "Packages": Ed25519 verification is strict: a weak
/// (small-order) public key is refused, in a key file's text and in a
/// signature, including the identity key with the signature (R = identity,
/// S = 0) that a lax verifier accepts for any message.
#[test]
fn ed25519_weak_keys_and_their_universal_signature_are_refused() {
    let err = parse_public_key(IDENTITY).unwrap_err();
    assert!(err.contains("weak"), "{err}");

    let digest = Sha256Digest::of(b"any package at all");
    let key = generate_signing_key();
    let forged = PackageSignature {
        public_key: IDENTITY.to_owned(),
        signature: format!("{IDENTITY}{}", "00".repeat(32)),
        ..PackageSignature::sign(&digest, &key)
    };
    assert_eq!(code(forged.claimed_key()), "signature_invalid");
    assert_eq!(code(forged.verify(&digest)), "signature_invalid");
}
