//! `morph verify FILE`: check a `.morph` file's integrity and signature
//! against the trust store (or one `--key`), with the same decision the
//! host makes before loading it.

use std::io::Write;
use std::path::PathBuf;

use morph_package::keys::read_public_key;
use morph_package::{Limits, SealedPackage, Signer, TrustPolicy, TrustStore};
use morph_runtime_core::Error;
use serde_json::json;

use crate::args::{TrustLocation, VerifyArgs};
use crate::data_dir::default_data_dir;
use crate::output::{failure, success};

/// The data dir of `loc`.
pub(crate) fn data_dir(loc: &TrustLocation) -> PathBuf {
    loc.data_dir.clone().unwrap_or_else(default_data_dir)
}

/// The trust store of `loc`: `--trust-dir`, else `<data dir>/trust`.
pub(crate) fn trust_store(loc: &TrustLocation) -> Result<TrustStore, Error> {
    let dir = loc
        .trust_dir
        .clone()
        .unwrap_or_else(|| data_dir(loc).join("trust"));
    TrustStore::open(dir)
}

/// The policy the host applies, for `loc`.
pub(crate) fn trust_policy(
    loc: &TrustLocation,
    allow_unsigned: bool,
) -> Result<TrustPolicy, Error> {
    Ok(TrustPolicy::new(trust_store(loc)?).allow_unsigned(allow_unsigned))
}

pub fn verify(args: &VerifyArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let checked = (|| {
        let policy = match &args.key {
            Some(key) => {
                TrustPolicy::new(TrustStore::empty().with_key("key", read_public_key(key)?)?)
            }
            None => trust_policy(&args.trust, false)?,
        };
        let package = SealedPackage::open(&args.file, &Limits::default())?;
        let digest = package.digest();
        let signer = policy.check(&digest, package.signature_bytes())?;
        let manifest = package.manifest()?;
        Ok::<_, Error>((package, digest, signer, manifest))
    })();
    let (package, digest, signer, manifest) = match checked {
        Ok(c) => c,
        Err(e) => return failure(out, err, args.json, &e, &[]),
    };
    let publisher = match &signer {
        Signer::Trusted { name, .. } => Some(name.clone()),
        _ => None,
    };
    let doc = json!({
        "file": args.file,
        "id": manifest.extension_id,
        "version": manifest.version.to_string(),
        "digest": digest.to_string(),
        "files": package.files().len(),
        "publisher": publisher,
        "public_key": signer.key().map(morph_package::keys::public_key_hex),
    });
    if args.json {
        return success(out, true, &doc, &[]);
    }
    let _ = writeln!(
        out,
        "OK {} {} {}\ndigest {} over {} files",
        manifest.extension_id,
        manifest.version,
        signer.describe(),
        digest,
        package.files().len()
    );
    0
}
