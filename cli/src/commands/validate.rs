//! `morph validate PACKAGE`: check a package and its manifest without running it.

use std::io::Write;

use morph_runtime_core::ExtensionPackage;
use serde_json::json;

use crate::args::PackageArgs;
use crate::output::{EXIT_OK, failure};

pub fn validate(args: &PackageArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match ExtensionPackage::open_dir(&args.package) {
        Err(e) => failure(out, err, args.json, &e, &[]),
        Ok(package) => {
            let m = package.manifest();
            if args.json {
                let doc = json!({
                    "ok": true,
                    "extension_id": m.extension_id,
                    "version": m.version.to_string(),
                    "runtime": m.runtime.as_str(),
                    "manifest_digest": package.manifest_digest(),
                });
                let _ = writeln!(out, "{doc}");
            } else {
                let _ = writeln!(
                    out,
                    "ok: {} {} (runtime {}, {} action{})",
                    m.extension_id,
                    m.version,
                    m.runtime.as_str(),
                    m.actions.len(),
                    if m.actions.len() == 1 { "" } else { "s" }
                );
            }
            EXIT_OK
        }
    }
}
