//! The worker's second seccomp stage (Linux): once its package is loaded, the
//! worker can no longer open a file, nor change one, so that code escaping
//! its engine cannot read the user's files.
//!
//! Installed on every thread (`TSYNC`) by [`seal`], after the runtime has
//! read the package, compiled it (writing the wasm module cache) and run the
//! guest's `init`, and before the host is told the worker is loaded: no call
//! ever runs in a worker whose filesystem is open. Threads started later
//! (the engine's worker pool, tokio's blocking pool) inherit it.
//!
//! Refused, each with [`REFUSED_ERRNO`] (`EACCES`, what a permission check
//! on a path answers):
//!
//! - **reading or writing a file's contents**: `open`, `openat`, `openat2`,
//!   `creat`, `name_to_handle_at` (stage one already refuses
//!   `open_by_handle_at`), `open_tree`, `uselib`, and the path forms of the
//!   extended attributes (`getxattr`, `listxattr`, `setxattr`,
//!   `removexattr` and their `l`/`at` variants: a `user.*` attribute holds
//!   arbitrary data);
//! - **changing the filesystem**: `mknod`, `link`, `symlink`, `unlink`,
//!   `rename`, `mkdir`, `rmdir`, `truncate`, `chmod`, `chown`, `utime`,
//!   `utimes`, `utimensat` (every `*at` variant too), `acct`, `swapon`,
//!   `swapoff`, `quotactl`;
//! - **watching or walking it**: `inotify_add_watch`, `fanotify_mark`,
//!   `chdir`.
//!
//! **Still allowed**, and why: the calls on descriptors the worker already
//! holds (its pipes, epoll, eventfds: a loaded worker holds no file or
//! directory; `read`, `write`, `fstat`, `mmap`), and the metadata of a path:
//! `stat`, `lstat`, `newfstatat`, `statx`, `access`, `faccessat`,
//! `readlink`, `statfs`. A guest that escapes its engine can learn that a
//! path exists, its size, owner, mode, times and a symbolic link's target,
//! never what a file holds. Refusing them is not possible without breaking
//! the engines: the C library's and Rust's `fstat` of a descriptor is
//! `newfstatat(fd, "", AT_EMPTY_PATH)` or `statx(fd, "", AT_EMPTY_PATH)`,
//! the same system call as a path lookup, and seccomp cannot read the path.
//!
//! What the runtimes need after load, and so may not open: nothing. The
//! wasm runtime compiles and writes its module cache at load; the JS and
//! Python runtimes read every module of the package at load (through
//! `ExtensionPackage`) and import the Python standard library from frozen
//! modules in the binary; JS `Date` is UTC (no `/etc/localtime`); new
//! threads read no file. The C library's time zone is read here, before the
//! stage, for any `localtime` after it. (Traced over the conformance suite
//! under `--isolation process`, the one open refused after load is glibc's
//! `/proc/sys/vm/overcommit_memory`, read once when it first shrinks a
//! thread's heap: refused, it assumes the usual overcommit modes and
//! returns the memory with `madvise`, which only differs under strict
//! accounting, `vm.overcommit_memory = 2`.)

use std::collections::BTreeMap;

use seccompiler::{SeccompRule, TargetArch};

/// The `errno` a refused call answers.
pub const REFUSED_ERRNO: i32 = libc::EACCES;

/// Filters [`seal`] adds to the process (`Seccomp_filters` in
/// `/proc/<pid>/status`).
pub const FILTERS: usize = 1;

/// System calls numbered alike on every architecture that are newer than the
/// `libc` crate's tables (Linux 6.13 and 6.15).
const SYS_SETXATTRAT: i64 = 463;
const SYS_GETXATTRAT: i64 = 464;
const SYS_LISTXATTRAT: i64 = 465;
const SYS_REMOVEXATTRAT: i64 = 466;
const SYS_OPEN_TREE_ATTR: i64 = 467;

/// The system calls the second stage refuses.
const REFUSED: &[i64] = &[
    // Contents.
    libc::SYS_openat,
    libc::SYS_openat2,
    libc::SYS_name_to_handle_at,
    libc::SYS_open_tree,
    SYS_OPEN_TREE_ATTR,
    libc::SYS_getxattr,
    libc::SYS_lgetxattr,
    SYS_GETXATTRAT,
    libc::SYS_listxattr,
    libc::SYS_llistxattr,
    SYS_LISTXATTRAT,
    libc::SYS_setxattr,
    libc::SYS_lsetxattr,
    SYS_SETXATTRAT,
    libc::SYS_removexattr,
    libc::SYS_lremovexattr,
    SYS_REMOVEXATTRAT,
    // Changes.
    libc::SYS_mknodat,
    libc::SYS_linkat,
    libc::SYS_symlinkat,
    libc::SYS_unlinkat,
    libc::SYS_renameat2,
    libc::SYS_mkdirat,
    libc::SYS_truncate,
    libc::SYS_fchmodat,
    libc::SYS_fchmodat2,
    libc::SYS_fchownat,
    libc::SYS_utimensat,
    libc::SYS_acct,
    libc::SYS_swapon,
    libc::SYS_swapoff,
    libc::SYS_quotactl,
    // Watching and walking.
    libc::SYS_inotify_add_watch,
    libc::SYS_fanotify_mark,
    libc::SYS_chdir,
    // The x86-64 forms without a directory descriptor.
    #[cfg(target_arch = "x86_64")]
    libc::SYS_open,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_creat,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_uselib,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_mknod,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_link,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_symlink,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_unlink,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_rename,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_renameat,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_mkdir,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_rmdir,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_chmod,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_chown,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_lchown,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_utime,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_utimes,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_futimesat,
];

/// Reads, while it still can, what the C library would otherwise open
/// later: the local time zone (`/etc/localtime`, for `localtime_r`).
fn read_ahead() {
    unsafe extern "C" {
        fn tzset();
    }
    // SAFETY: tzset only reads the environment and the zone file; no other
    // thread of the worker changes the environment.
    unsafe { tzset() };
}

/// Closes the filesystem to every thread of this process: installs the
/// second stage.
///
/// # Errors
/// What the kernel or the filter compiler refused, as text.
pub fn seal() -> Result<(), String> {
    read_ahead();
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|e| e.to_string())?;
    let refused: BTreeMap<i64, Vec<SeccompRule>> =
        REFUSED.iter().map(|&nr| (nr, Vec::new())).collect();
    let filter = crate::syscalls::program(refused, REFUSED_ERRNO, arch)?;
    seccompiler::apply_filter_all_threads(&filter).map_err(|e| e.to_string())
}
