//! `morph package DIR -o FILE.morph [--optimize]`: pack an extension
//! directory into an unsigned `.morph` archive (after validating it as a
//! package).
//!
//! With `--optimize`, the module of a `runtime: wasm` package goes through
//! `wasm-opt -Oz` ([`crate::wasm_opt`]) on its way into the archive; the
//! directory is never changed. Another runtime with `--optimize` is
//! `invalid_params`: there is nothing the flag could do, and a build that
//! asked for it should hear so. The SDK that built a wasm module (its
//! `morph_sdk` section) is shown when the module names one.

use std::io::Write;
use std::path::{Path, PathBuf};

use morph_package::{Limits, SealedPackage};
use morph_runtime_core::manifest::RuntimeKind;
use morph_runtime_core::{Error, ExtensionPackage, Manifest};
use serde_json::{Value, json};

use crate::args::PackageBuildArgs;
use crate::output::{failure, success};

/// What `--optimize` did to the module.
struct Shrunk {
    module: String,
    before: usize,
    after: usize,
}

impl Shrunk {
    /// `extension.wasm: 255127 -> 166054 bytes (-34.9%)`.
    fn line(&self) -> String {
        // Module sizes are far below 2^52: the conversions are exact.
        let change = (self.after as f64 - self.before as f64) * 100.0 / self.before.max(1) as f64;
        format!(
            "{}: {} -> {} bytes ({change:+.1}%)",
            self.module, self.before, self.after
        )
    }

    fn doc(&self) -> Value {
        json!({"module": self.module, "before": self.before, "after": self.after})
    }
}

pub fn package(args: &PackageBuildArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let built = ExtensionPackage::open_dir(&args.dir).and_then(|checked| {
        let manifest = checked.manifest().clone();
        let mut files = morph_package::source::collect(&args.dir, &Limits::default())?;
        let shrunk = if args.optimize {
            Some(optimize(&args.dir, &manifest, &mut files)?)
        } else {
            None
        };
        let sealed = SealedPackage::from_files(files)?;
        sealed.manifest()?;
        let output = args.output.clone().unwrap_or_else(|| {
            PathBuf::from(format!(
                "{}-{}.morph",
                manifest.extension_id, manifest.version
            ))
        });
        sealed.write_file(&output)?;
        Ok((sealed, output, manifest, shrunk))
    });
    let (sealed, output, manifest, shrunk) = match built {
        Ok(b) => b,
        Err(e) => return failure(out, err, args.json, &e, &[]),
    };
    let sdk = sdk_of(&sealed, &manifest);
    let doc = json!({
        "file": output,
        "id": manifest.extension_id,
        "version": manifest.version.to_string(),
        "files": sealed.files().len(),
        "digest": sealed.digest().to_string(),
        "signed": false,
        "sdk": sdk,
        "optimized": shrunk.as_ref().map(Shrunk::doc),
    });
    if args.json {
        return success(out, true, &doc, &[]);
    }
    if let Some(shrunk) = &shrunk {
        let _ = writeln!(out, "{}", shrunk.line());
    }
    if let Some(sdk) = &sdk {
        let _ = writeln!(out, "sdk: {sdk}");
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

/// The package file holding the entry (`./` dropped, as the archive names
/// it).
fn entry_path(manifest: &Manifest) -> &str {
    manifest.entry.trim_start_matches("./")
}

/// Replaces the wasm module in `files` with its `wasm-opt -Oz` form.
fn optimize(
    dir: &Path,
    manifest: &Manifest,
    files: &mut std::collections::BTreeMap<String, Vec<u8>>,
) -> morph_runtime_core::Result<Shrunk> {
    if manifest.runtime.as_str() != RuntimeKind::WASM {
        return Err(Error::params(
            "--optimize",
            format!(
                "applies to `runtime: wasm` packages only; {} is `runtime: {}` \
                 (package it without --optimize)",
                dir.display(),
                manifest.runtime
            ),
        ));
    }
    let module = entry_path(manifest).to_owned();
    let Some(wasm) = files.get_mut(&module) else {
        return Err(Error::InvalidPackage {
            reason: format!("the entry `{}` is not in the package", manifest.entry),
        });
    };
    let optimized = crate::wasm_opt::optimize(&module, wasm)?;
    let before = wasm.len();
    let after = optimized.len();
    *wasm = optimized;
    Ok(Shrunk {
        module,
        before,
        after,
    })
}

/// The `morph_sdk` name of a wasm package's module, if it has one.
fn sdk_of(sealed: &SealedPackage, manifest: &Manifest) -> Option<String> {
    if manifest.runtime.as_str() != RuntimeKind::WASM {
        return None;
    }
    sealed
        .files()
        .get(entry_path(manifest))
        .and_then(|wasm| morph_package::sdk_name(wasm))
}
