//! `morph pull REF`: download a package from an OCI registry, every digest
//! checked, into a `.morph` file (verify or install it next).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use morph_package::oci::{Reference, RegistryClient};
use morph_package::{Limits, SealedPackage};
use morph_runtime_core::Error;
use serde_json::json;

use crate::args::{PullArgs, RegistryDeadline};
use crate::output::{failure, success};

/// The registry client, with credentials from `MORPH_REGISTRY_USERNAME` and
/// `MORPH_REGISTRY_PASSWORD` when set, and the command's `--timeout`.
pub(crate) fn client(deadline: RegistryDeadline) -> Result<RegistryClient, Error> {
    let client =
        RegistryClient::new()?.with_deadline(std::time::Duration::from_secs(deadline.secs));
    match (
        std::env::var("MORPH_REGISTRY_USERNAME"),
        std::env::var("MORPH_REGISTRY_PASSWORD"),
    ) {
        (Ok(u), Ok(p)) if !u.is_empty() => Ok(client.with_credentials(u, p)),
        _ => Ok(client),
    }
}

pub async fn pull(args: &PullArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    if !args.json && std::io::stderr().is_terminal() {
        let _ = writeln!(err, "pulling {} ...", args.reference);
    }
    let pulled = async {
        let reference: Reference = args.reference.parse()?;
        let pulled = client(args.registry)?.pull(&reference).await?;
        let package = SealedPackage::read(pulled.archive.as_slice(), &Limits::default())?;
        let manifest = package.manifest()?;
        let output = args.output.clone().unwrap_or_else(|| {
            PathBuf::from(format!(
                "{}-{}.morph",
                manifest.extension_id, manifest.version
            ))
        });
        morph_package::sealed::write_file_atomically(&output, &pulled.archive)?;
        Ok::<_, Error>((
            pulled,
            manifest,
            output,
            package.signature_bytes().is_some(),
        ))
    }
    .await;
    match pulled {
        Err(e) => failure(out, err, args.json, &e, &[]),
        Ok((pulled, manifest, output, signed)) => {
            let doc = json!({
                "file": output,
                "id": manifest.extension_id,
                "version": manifest.version.to_string(),
                "digest": pulled.digest.to_string(),
                "signed": signed,
            });
            if args.json {
                return success(out, true, &doc, &[]);
            }
            let _ = writeln!(
                out,
                "pulled {} {} into {} (manifest {})\nnext: morph verify {} && morph install {}",
                manifest.extension_id,
                manifest.version,
                output.display(),
                pulled.digest,
                output.display(),
                output.display()
            );
            0
        }
    }
}
