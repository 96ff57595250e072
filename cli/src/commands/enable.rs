//! `morph enable ID`: lift an extension's quarantine so that it runs again.
//!
//! The lifted quarantine is audited (`host.enable`) in the data dir's log,
//! and the extension's strikes are forgotten. Enabling an extension that is
//! not quarantined changes nothing and is not an error.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use morph_capabilities::audit::FileAuditLog;
use morph_capabilities::quarantine::{QUARANTINE_FILE, Transition};
use morph_capabilities::{Error, Quarantine, QuarantineConfig};
use serde_json::json;

use crate::args::EnableArgs;
use crate::data_dir::default_data_dir;
use crate::output::{EXIT_OK, failure, success};

pub fn enable(args: &EnableArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    let lifted = match lift(&data_dir, &args.id) {
        Ok(lifted) => lifted,
        Err(e) => return failure(out, err, args.json, &e, &[]),
    };
    let audit: Vec<_> = lifted.iter().map(|t| t.record.clone()).collect();
    if args.json {
        let doc = json!({
            "extension": args.id,
            "enabled": true,
            "lifted": lifted.as_ref().map(|t| &t.status),
        });
        return success(out, true, &doc, &audit);
    }
    match &lifted {
        Some(t) => {
            let _ = writeln!(
                out,
                "enabled {} (quarantined since {}: {})",
                args.id, t.status.since, t.status.reason
            );
        }
        None => {
            let _ = writeln!(
                out,
                "{} is not quarantined in {}",
                args.id,
                data_dir.display()
            );
        }
    }
    EXIT_OK
}

/// Lifts the quarantine of `id`, if the data dir has a quarantine at all.
fn lift(data_dir: &Path, id: &str) -> Result<Option<Transition>, Error> {
    let path = data_dir.join(QUARANTINE_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let audit = Arc::new(FileAuditLog::open_in(&data_dir.join("audit"))?);
    Quarantine::open(&path, QuarantineConfig::default(), audit)?.enable(id)
}
