//! What a worker process does to itself before any guest code runs: the
//! operating-system limits that make every limit hard.
//!
//! | measure | what it stops |
//! | --- | --- |
//! | inherited descriptors above stderr closed | reaching anything the host had open |
//! | `RLIMIT_DATA` = `max_memory_mb` + the runtime's measured engine reserve ([`data_limit_bytes`]; soft = hard) | heap, anonymous mappings and thread stacks past the cap: the allocation fails, the worker exits with [`EXIT_OUT_OF_MEMORY`], the call ends `memory_limit` |
//! | `RLIMIT_CPU` sized to the calls the worker serves | a runaway the host failed to kill (SIGXCPU, then SIGKILL) |
//! | `RLIMIT_FSIZE` = [`MAX_FILE_BYTES`], `RLIMIT_CORE` = 0 | writing big files (the only file a worker writes is the wasm engine's compiled-module cache), dumping memory |
//! | `RLIMIT_NOFILE` = [`MAX_FILES`] | hoarding descriptors |
//! | `PR_SET_NO_NEW_PRIVS`, `PR_SET_DUMPABLE` = 0 | gaining privileges through exec, being traced by a sibling |
//!
//! The host adds the rest: an empty environment, only the three standard
//! descriptors (two pipes and a bounded stderr), and a kill at the deadline.
//! The worker then installs its first seccomp stage (`crate::syscalls`: no
//! sockets, no exec or fork, no signals to other processes, no tracing)
//! before reading the package, and its second (`crate::filesystem`: no file
//! opened or changed) once the package is loaded. **Not confined**
//! (documented in `process/README.md`): a path's metadata (`stat`,
//! `readlink`), and files during load, while the guest's `init` runs; a
//! guest that escapes its engine then holds no capability grant (the broker
//! stays in the host) and no socket to send a file anywhere.

use morph_capabilities::ResourceLimits;

/// Exit status of a worker whose allocation failed under its memory limit.
pub const EXIT_OUT_OF_MEMORY: i32 = 87;
/// Largest file a worker may write (the wasm engine's module cache entries).
pub const MAX_FILE_BYTES: u64 = 512 << 20;
/// Descriptors a worker may hold (its runtime needs a few for epoll and
/// wakeups).
pub const MAX_FILES: u64 = 64;

/// Closes every descriptor above stderr the worker inherited.
pub fn close_inherited_descriptors() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: close_range only closes descriptors; nothing of ours above
        // 2 is open this early in the worker.
        let rc = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
        if rc != 0 {
            // Kernels before 5.9: close them one by one.
            for fd in 3..1024 {
                // SAFETY: as above.
                unsafe { libc::close(fd) };
            }
        }
    }
}

/// The memory the worker may map, in bytes, for `limits`: the extension's
/// `max_memory_mb` plus `engine_reserve`, what its runtime measured it needs
/// at rest in a worker ([`morph_runtime_core::MorphRuntime::engine_reserve`]:
/// worker stacks, engine, code, interpreter heap).
pub fn data_limit_bytes(limits: &ResourceLimits, engine_reserve: u64) -> u64 {
    limits
        .max_memory_mb
        .saturating_mul(1 << 20)
        .saturating_add(engine_reserve)
}

/// CPU seconds a worker serving `calls` calls under `limits` may use.
pub fn cpu_limit_seconds(limits: &ResourceLimits, calls: u32) -> u64 {
    limits
        .max_execution_ms
        .saturating_mul(u64::from(calls.max(1)))
        .div_ceil(1000)
        .saturating_add(2)
}

/// Applies the limits to this process (soft = hard, so they cannot be
/// raised again).
///
/// # Errors
/// The first limit the kernel refused, as text.
pub fn apply_limits(
    limits: &ResourceLimits,
    engine_reserve: u64,
    calls: u32,
) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        let set = |resource, value: u64, name: &str| {
            let rl = libc::rlimit {
                rlim_cur: value,
                rlim_max: value,
            };
            // SAFETY: setrlimit reads the struct we pass.
            if unsafe { libc::setrlimit(resource, &rl) } != 0 {
                return Err(format!(
                    "setrlimit({name}) failed: {}",
                    std::io::Error::last_os_error()
                ));
            }
            Ok(())
        };
        set(
            libc::RLIMIT_DATA,
            data_limit_bytes(limits, engine_reserve),
            "RLIMIT_DATA",
        )?;
        set(
            libc::RLIMIT_CPU,
            cpu_limit_seconds(limits, calls),
            "RLIMIT_CPU",
        )?;
        set(libc::RLIMIT_FSIZE, MAX_FILE_BYTES, "RLIMIT_FSIZE")?;
        set(libc::RLIMIT_CORE, 0, "RLIMIT_CORE")?;
        set(libc::RLIMIT_NOFILE, MAX_FILES, "RLIMIT_NOFILE")?;
        // SAFETY: prctl with these options takes plain integers.
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err("prctl(PR_SET_NO_NEW_PRIVS) failed".into());
            }
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (limits, engine_reserve, calls);
        Err("process isolation needs Linux".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_sized_from_the_manifest() {
        let limits = ResourceLimits {
            max_memory_mb: 32,
            max_execution_ms: 1500,
            ..ResourceLimits::default()
        };
        assert_eq!(data_limit_bytes(&limits, 300 << 20), (32 + 300) << 20);
        assert_eq!(cpu_limit_seconds(&limits, 10), 15 + 2);
        assert_eq!(cpu_limit_seconds(&limits, 0), 2 + 2);
    }
}
