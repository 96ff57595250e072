//! The worker's first seccomp stage (Linux): system calls no engine needs are
//! refused with `EPERM` in every thread of the worker, before any guest code
//! or guest-supplied module is touched. The second stage, installed once the
//! package is loaded, closes the filesystem (`crate::filesystem`).
//!
//! Refused: creating sockets and connecting or listening, running programs
//! (`execve`, `execveat`) and new processes (`fork`, `vfork`, and `clone`
//! without `CLONE_THREAD`; `clone3` answers `ENOSYS` so the C library falls
//! back to `clone`, whose flags can be checked), signalling other processes
//! (`kill`, `tgkill` to another process, `pidfd_*`), tracing and reading
//! other processes' memory, namespaces and mounts, kernel modules, BPF,
//! `perf_event_open`, `userfaultfd`, keyrings, `io_uring`. Every x32 system
//! call (x86-64 numbers with bit 30 set, which a default-allow filter keyed
//! on numbers would otherwise let through on kernels built with x32) answers
//! `ENOSYS`, as on a kernel without x32; a 32-bit (`int 0x80`) call kills the
//! process (the architecture check of every filter).
//!
//! Still allowed at this stage: everything an engine uses (memory, threads,
//! futexes, epoll, reading and writing the pipes) and opening files, which
//! reading the package and the wasm module cache need; the second stage
//! refuses those after load.
//!
//! Filters stack: the kernel runs every one on each system call and the
//! strictest answer wins, so a stage can only take away.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// System calls refused outright.
const REFUSED: &[i64] = &[
    libc::SYS_socket,
    libc::SYS_socketpair,
    libc::SYS_connect,
    libc::SYS_bind,
    libc::SYS_listen,
    libc::SYS_accept,
    libc::SYS_accept4,
    libc::SYS_execve,
    libc::SYS_execveat,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_fork,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_vfork,
    libc::SYS_kill,
    libc::SYS_tkill,
    libc::SYS_pidfd_open,
    libc::SYS_pidfd_send_signal,
    libc::SYS_pidfd_getfd,
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_chroot,
    libc::SYS_setns,
    libc::SYS_unshare,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_kexec_load,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_userfaultfd,
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_io_uring_setup,
    libc::SYS_open_by_handle_at,
];

fn condition(arg: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, String> {
    SeccompCondition::new(arg, SeccompCmpArgLen::Qword, op, value).map_err(|e| e.to_string())
}

/// A default-allow filter answering `errno` to each system call of `rules`.
pub(crate) fn program(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    errno: i32,
    arch: TargetArch,
) -> Result<BpfProgram, String> {
    let errno = u32::try_from(errno).map_err(|e| e.to_string())?;
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(errno),
        arch,
    )
    .map_err(|e| e.to_string())?;
    filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| e.to_string())
}

/// Filters [`install`] adds to the process (`Seccomp_filters` in
/// `/proc/<pid>/status`).
pub const FILTERS: usize = if cfg!(target_arch = "x86_64") { 3 } else { 2 };

/// The x32 guard: every system call numbered with `__X32_SYSCALL_BIT`
/// answers `ENOSYS` (seccompiler's filters compare numbers only, and an x32
/// `socket` has the x86-64 audit architecture but another number).
#[cfg(target_arch = "x86_64")]
fn x32_guard() -> BpfProgram {
    use seccompiler::sock_filter;
    const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const JGE_K: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
    const RET_K: u16 = 0x06; // BPF_RET | BPF_K
    const AUDIT_ARCH_X86_64: u32 = 62 | 0x8000_0000 | 0x4000_0000;
    const X32_SYSCALL_BIT: u32 = 0x4000_0000;
    let op = |code, jt, jf, k| sock_filter { code, jt, jf, k };
    vec![
        // seccomp_data.arch; another architecture is the other filters' to
        // judge.
        op(LD_W_ABS, 0, 0, 4),
        op(JEQ_K, 0, 3, AUDIT_ARCH_X86_64),
        // seccomp_data.nr
        op(LD_W_ABS, 0, 0, 0),
        op(JGE_K, 0, 1, X32_SYSCALL_BIT),
        op(
            RET_K,
            0,
            0,
            libc::SECCOMP_RET_ERRNO | (libc::ENOSYS as u32 & libc::SECCOMP_RET_DATA),
        ),
        op(RET_K, 0, 0, libc::SECCOMP_RET_ALLOW),
    ]
}

/// Installs the first stage on every thread of this process.
///
/// # Errors
/// What the kernel or the filter compiler refused, as text.
pub fn install() -> Result<(), String> {
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|e| e.to_string())?;
    let pid = u64::from(std::process::id());

    let mut refused: BTreeMap<i64, Vec<SeccompRule>> =
        REFUSED.iter().map(|&nr| (nr, Vec::new())).collect();
    // A new process: `clone` without CLONE_THREAD.
    refused.insert(
        libc::SYS_clone,
        vec![
            SeccompRule::new(vec![condition(
                0,
                SeccompCmpOp::MaskedEq(libc::CLONE_THREAD as u64),
                0,
            )?])
            .map_err(|e| e.to_string())?,
        ],
    );
    // A signal to a thread of another process.
    refused.insert(
        libc::SYS_tgkill,
        vec![
            SeccompRule::new(vec![condition(0, SeccompCmpOp::Ne, pid)?])
                .map_err(|e| e.to_string())?,
        ],
    );
    let mut nosys: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    nosys.insert(libc::SYS_clone3, Vec::new());

    let refuse = program(refused, libc::EPERM, arch)?;
    let fall_back = program(nosys, libc::ENOSYS, arch)?;
    #[cfg(target_arch = "x86_64")]
    seccompiler::apply_filter_all_threads(&x32_guard()).map_err(|e| e.to_string())?;
    seccompiler::apply_filter_all_threads(&fall_back).map_err(|e| e.to_string())?;
    seccompiler::apply_filter_all_threads(&refuse).map_err(|e| e.to_string())?;
    Ok(())
}
