//! Reading a JSON-lines audit log back: the latest records that match a
//! filter, each line bounded, lines that are not records (a torn tail)
//! skipped. What `morph audit` and `GET /v1/audit` show.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::audit::AuditRecord;
use crate::error::{Error, Result};

/// The longest line read as one record.
const MAX_LINE_BYTES: u64 = 64 * 1024;

/// The last `limit` records of the log at `path` for which `keep` holds,
/// oldest first; none when the log does not exist yet.
///
/// # Errors
/// `io` when the log cannot be read.
pub fn read_latest(
    path: &Path,
    limit: usize,
    keep: impl Fn(&AuditRecord) -> bool,
) -> Result<Vec<AuditRecord>> {
    let file = match std::fs::File::open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("opening {}", path.display()), e)),
        Ok(f) => f,
    };
    let mut reader = BufReader::new(file);
    let mut records = VecDeque::with_capacity(limit.min(1024));
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        // A longer line is read in pieces, none of which parses.
        if let Ok(record) = serde_json::from_slice::<AuditRecord>(&line)
            && keep(&record)
            && limit > 0
        {
            if records.len() == limit {
                records.pop_front();
            }
            records.push_back(record);
        }
    }
    Ok(records.into())
}
