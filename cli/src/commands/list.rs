//! `morph list`: the extensions installed in a data dir, each with its
//! state (`enabled` or `quarantined`, with when and why), and the
//! quarantined extensions that are not installed (development directories
//! run with `morph run`).

use std::io::Write;

use morph_capabilities::quarantine::QUARANTINE_FILE;
use morph_capabilities::{Quarantine, QuarantineStatus};
use morph_package::InstallStore;
use serde_json::{Value, json};

use crate::args::DataDirArgs;
use crate::data_dir::default_data_dir;
use crate::output::{failure, success};

pub fn list(args: &DataDirArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    let listed = InstallStore::new(&data_dir)
        .list()
        .and_then(|r| Ok((r, Quarantine::list_at(&data_dir.join(QUARANTINE_FILE))?)));
    let (records, quarantined) = match listed {
        Ok(l) => l,
        Err(e) => return failure(out, err, args.json, &e, &[]),
    };
    let held = |id: &str| quarantined.iter().find(|q| q.extension == id);
    if args.json {
        let installed: Vec<Value> = records
            .iter()
            .map(|r| {
                let mut doc = json!(r);
                doc["state"] = json!(state(held(&r.id)));
                doc["quarantine"] = json!(held(&r.id));
                doc
            })
            .collect();
        let doc = json!({ "installed": installed, "quarantined": quarantined });
        return success(out, true, &doc, &[]);
    }
    if records.is_empty() {
        let _ = writeln!(out, "no extensions installed in {}", data_dir.display());
    }
    for r in &records {
        let _ = writeln!(
            out,
            "{:<24} {:<10} {:<16} {:<12} {}",
            r.id,
            r.version,
            r.publisher
                .as_deref()
                .unwrap_or(if r.publisher_key.is_some() {
                    "(untrusted)"
                } else {
                    "(unsigned)"
                }),
            state(held(&r.id)),
            r.permissions.join(",")
        );
        if let Some(q) = held(&r.id) {
            let _ = writeln!(out, "  quarantined since {}: {}", q.since, q.reason);
        }
    }
    for q in quarantined
        .iter()
        .filter(|q| !records.iter().any(|r| r.id == q.extension))
    {
        let _ = writeln!(
            out,
            "{:<24} {:<10} {:<16} quarantined\n  quarantined since {}: {}",
            q.extension, q.version, "(not installed)", q.since, q.reason
        );
    }
    0
}

/// `enabled` or `quarantined`.
pub fn state(quarantine: Option<&QuarantineStatus>) -> &'static str {
    if quarantine.is_some() {
        "quarantined"
    } else {
        "enabled"
    }
}
