//! The process's peak resident set around a memory case, so a certificate
//! shows how far past its cap a runtime let one call grow (the overshoot),
//! not only the code it answered with.
//!
//! Linux only: writing `5` to `/proc/self/clear_refs` resets the peak
//! (`VmHWM`), which `/proc/self/status` reports. Elsewhere, and for a
//! runtime whose guest runs in another process, nothing is measured. Other
//! threads of the process (tests run in parallel) count too, so the figure
//! is an upper bound.

/// Resets the peak and returns the resident set now, in KiB.
pub(crate) fn reset() -> Option<u64> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    status_kib("VmRSS:")
}

/// How far the peak rose above `start` (KiB, from [`reset`]), in MiB.
pub(crate) fn rise_mib(start: u64) -> Option<u64> {
    Some(status_kib("VmHWM:")?.saturating_sub(start) >> 10)
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
