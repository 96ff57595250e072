//! `morph remove ID`: uninstall an extension (its vault, tasks and files
//! stay in the data dir, bound to the same publisher).

use std::io::Write;

use morph_package::InstallStore;
use serde_json::json;

use crate::args::RemoveArgs;
use crate::data_dir::default_data_dir;
use crate::output::{failure, success};

pub fn remove(args: &RemoveArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    match InstallStore::new(&data_dir).remove(&args.id) {
        Err(e) => failure(out, err, args.json, &e, &[]),
        Ok(record) => {
            if args.json {
                return success(out, true, &json!({ "removed": record }), &[]);
            }
            let _ = writeln!(out, "removed {} {}", record.id, record.version);
            0
        }
    }
}
