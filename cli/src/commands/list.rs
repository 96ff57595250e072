//! `morph list`: the extensions installed in a data dir.

use std::io::Write;

use morph_package::InstallStore;
use serde_json::json;

use crate::args::DataDirArgs;
use crate::data_dir::default_data_dir;
use crate::output::{failure, success};

pub fn list(args: &DataDirArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    let records = match InstallStore::new(&data_dir).list() {
        Ok(r) => r,
        Err(e) => return failure(out, err, args.json, &e, &[]),
    };
    if args.json {
        return success(out, true, &json!({ "installed": records }), &[]);
    }
    if records.is_empty() {
        let _ = writeln!(out, "no extensions installed in {}", data_dir.display());
    }
    for r in records {
        let _ = writeln!(
            out,
            "{:<24} {:<10} {:<16} {}",
            r.id,
            r.version,
            r.publisher
                .as_deref()
                .unwrap_or(if r.publisher_key.is_some() {
                    "(untrusted)"
                } else {
                    "(unsigned)"
                }),
            r.permissions.join(",")
        );
    }
    0
}
