//! What the soak measures of its own process, from `/proc` (Linux): the
//! resident set, open descriptors, threads, the live heap
//! ([`super::heap`]), and the process-isolation workers (the tier's own
//! list, and the children the kernel sees, zombies apart).

use std::time::Duration;

/// One reading of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// `VmRSS` of `/proc/self/status`, KiB.
    pub rss_kib: u64,
    /// Heap bytes live ([`super::heap::live_bytes`]).
    pub heap_bytes: i64,
    /// Entries of `/proc/self/fd`.
    pub fds: u64,
    /// `Threads` of `/proc/self/status`.
    pub threads: u64,
    /// Workers the process tier lists as alive (`ProcessRuntime::worker_pids`).
    pub workers: u64,
    /// Child processes the kernel lists with this process as parent, not
    /// zombies.
    pub children: u64,
    /// Of those children, the ones dead and not yet reaped.
    pub zombies: u64,
    /// `VmRSS` of the live children together, KiB.
    pub children_rss_kib: u64,
}

/// One row of the soak's table: a [`Reading`] and when it was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Since the measured phase began (the warm-up ends at zero).
    pub at: Duration,
    /// Calls made since the measured phase began.
    pub calls: u64,
    /// The reading.
    pub reading: Reading,
}

/// Reads the process now; `workers` is the process tier's count. A field
/// `/proc` does not answer reads as zero.
pub fn read(workers: usize) -> Reading {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64);
    let (children, zombies, children_rss_kib) = children(std::process::id());
    Reading {
        rss_kib: status_field(&status, "VmRSS:"),
        heap_bytes: super::heap::live_bytes(),
        fds,
        threads: status_field(&status, "Threads:"),
        workers: workers as u64,
        children,
        zombies,
        children_rss_kib,
    }
}

/// The number after `name` in a `/proc/<pid>/status` text (0 when absent).
fn status_field(status: &str, name: &str) -> u64 {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Live children of `parent`, its zombie children, and the live ones' RSS
/// (KiB), from every `/proc/<pid>/stat`.
fn children(parent: u32) -> (u64, u64, u64) {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return (0, 0, 0);
    };
    let (mut live, mut zombies, mut rss) = (0, 0, 0);
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`: comm may hold spaces and parentheses,
        // so the fields are read after the last `)`.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().unwrap_or("");
        let ppid: u32 = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        if ppid != parent {
            continue;
        }
        if state == "Z" {
            zombies += 1;
        } else {
            live += 1;
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            rss += status_field(&status, "VmRSS:");
        }
    }
    (live, zombies, rss)
}
