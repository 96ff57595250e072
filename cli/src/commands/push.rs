//! `morph push FILE.morph REGISTRY/REPO[:TAG]`: publish a package as an OCI
//! artifact (the tag defaults to the package version).

use std::io::{Read, Write};

use morph_package::Limits;
use morph_package::oci::Reference;
use morph_runtime_core::Error;
use serde_json::json;

use crate::args::PushArgs;
use crate::output::{failure, success};

pub async fn push(args: &PushArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let pushed = async {
        let reference: Reference = args.reference.parse()?;
        let file = std::fs::File::open(&args.file)
            .map_err(|e| Error::io(format!("opening {}", args.file.display()), e))?;
        let mut bytes = Vec::new();
        file.take(Limits::default().max_total_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(format!("reading {}", args.file.display()), e))?;
        super::pull::client(args.registry)?
            .push(&reference, &bytes)
            .await
    }
    .await;
    match pushed {
        Err(e) => failure(out, err, args.json, &e, &[]),
        Ok(p) => {
            let pinned = format!(
                "{}/{}@{}",
                p.reference.registry, p.reference.repository, p.digest
            );
            if args.json {
                return success(
                    out,
                    true,
                    &json!({"reference": p.reference.to_string(), "digest": p.digest.to_string(), "pinned": pinned, "size": p.size}),
                    &[],
                );
            }
            let _ = writeln!(
                out,
                "pushed {} ({} bytes)\ndigest {}\npull exactly this with: morph pull {pinned}",
                p.reference, p.size, p.digest
            );
            0
        }
    }
}
