//! `morph package DIR -o FILE.morph`: pack an extension directory into an
//! unsigned `.morph` archive (after validating it as a package).

use std::io::Write;
use std::path::PathBuf;

use morph_package::{Limits, SealedPackage};
use morph_runtime_core::ExtensionPackage;
use serde_json::json;

use crate::args::PackageBuildArgs;
use crate::output::{failure, success};

pub fn package(args: &PackageBuildArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let built = ExtensionPackage::open_dir(&args.dir).and_then(|checked| {
        let sealed = SealedPackage::from_dir(&args.dir, &Limits::default())?;
        sealed.manifest()?;
        let manifest = checked.manifest();
        let output = args.output.clone().unwrap_or_else(|| {
            PathBuf::from(format!(
                "{}-{}.morph",
                manifest.extension_id, manifest.version
            ))
        });
        sealed.write_file(&output)?;
        Ok((sealed, output, manifest.clone()))
    });
    let (sealed, output, manifest) = match built {
        Ok(b) => b,
        Err(e) => return failure(out, err, args.json, &e, &[]),
    };
    let doc = json!({
        "file": output,
        "id": manifest.extension_id,
        "version": manifest.version.to_string(),
        "files": sealed.files().len(),
        "digest": sealed.digest().to_string(),
        "signed": false,
    });
    if args.json {
        return success(out, true, &doc, &[]);
    }
    let _ = writeln!(
        out,
        "packaged {} {} ({} files) into {}\ndigest {}\nnext: morph sign {} --key KEY",
        manifest.extension_id,
        manifest.version,
        sealed.files().len(),
        output.display(),
        sealed.digest(),
        output.display()
    );
    0
}
