//! `morph sign FILE --key K`: sign a `.morph` file's canonical digest,
//! replacing any signature it had.

use std::io::Write;

use morph_package::keys::read_signing_key;
use morph_package::{Limits, SealedPackage};
use serde_json::json;

use crate::args::SignArgs;
use crate::output::{failure, success};

pub fn sign(args: &SignArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let output = args.output.clone().unwrap_or_else(|| args.file.clone());
    let signed = read_signing_key(&args.key).and_then(|key| {
        let mut package = SealedPackage::open(&args.file, &Limits::default())?;
        package.manifest()?;
        let signature = package.sign(&key);
        package.write_file(&output)?;
        Ok(signature)
    });
    match signed {
        Err(e) => failure(out, err, args.json, &e, &[]),
        Ok(signature) => {
            let doc = json!({
                "file": output,
                "digest": signature.digest,
                "public_key": signature.public_key,
            });
            if args.json {
                return success(out, true, &doc, &[]);
            }
            let _ = writeln!(
                out,
                "signed {} ({}) with key {}",
                output.display(),
                signature.digest,
                signature.public_key
            );
            0
        }
    }
}
