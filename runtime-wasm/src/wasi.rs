//! WASI preview 1 (`wasi_snapshot_preview1`) for `wasm32-wasip1` guests,
//! engine-neutral: the list of functions a module may import with their
//! signatures ([`Function`]), and what each one does ([`call`]).
//!
//! **No WASI function reaches the host directly** (ABI.md, "WASI preview
//! 1"): stdout and stderr become `log` records through the broker (audited,
//! counted in `max_output_kb`), stdin is empty, clocks and randomness come
//! from the host's own, and everything that would touch a file, a socket or
//! a process answers with an errno. An adapter links each imported function
//! to [`call`] with the guest's memory behind [`GuestMemory`]; every pointer
//! is checked there (`EFAULT`), and **a WASI call never calls back into the
//! guest**. A function that must end the call (`proc_exit`, a limit hit
//! while logging) returns the error already raised in the bridge
//! ([`Bridge::raise`]), and the adapter traps.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use morph_capabilities::{Error, GuestFault, Result};
use wasmparser::ValType::{self, I32, I64};

use crate::bridge::Bridge;

/// The import module of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// The WASI reactor's start-up export, called once per instance.
pub const INITIALIZE: &str = "_initialize";

/// The longest line of stdout or stderr kept in one `log` record.
pub const MAX_LINE: usize = 4096;

/// The most bytes a WASI call copies out of guest memory or fills at once.
const CHUNK: usize = 64 * 1024;

/// The most iovecs one `fd_write` or `fd_read` may pass.
const MAX_IOVECS: u32 = 1024;

/// The errno values Morph answers with (WASI preview 1's numbering).
pub mod errno {
    /// Success.
    pub const SUCCESS: i32 = 0;
    /// Bad file descriptor.
    pub const BADF: i32 = 8;
    /// A pointer or length outside guest memory.
    pub const FAULT: i32 = 21;
    /// Invalid argument.
    pub const INVAL: i32 = 28;
    /// I/O error (a `log` record the broker refused).
    pub const IO: i32 = 29;
    /// Function not supported.
    pub const NOSYS: i32 = 52;
    /// Invalid seek (the standard streams).
    pub const SPIPE: i32 = 70;
    /// The descriptor lacks the right (the standard streams).
    pub const NOTCAPABLE: i32 = 76;
}

macro_rules! functions {
    ($($variant:ident = $name:literal ($($param:ident),*) $(-> $result:ident)?;)*) => {
        /// Every function of WASI preview 1.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Function {
            $($variant,)*
        }

        impl Function {
            /// All of them, in the specification's order.
            pub const ALL: &'static [Function] = &[$(Function::$variant,)*];

            /// The import name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Function::$variant => $name,)*
                }
            }

            /// The parameter types.
            pub fn params(self) -> &'static [ValType] {
                match self {
                    $(Function::$variant => &[$($param),*],)*
                }
            }

            /// The result types (`proc_exit` has none; the others an errno).
            pub fn results(self) -> &'static [ValType] {
                match self {
                    $(Function::$variant => &[$($result)?],)*
                }
            }
        }
    };
}

functions! {
    ArgsGet = "args_get"(I32, I32) -> I32;
    ArgsSizesGet = "args_sizes_get"(I32, I32) -> I32;
    EnvironGet = "environ_get"(I32, I32) -> I32;
    EnvironSizesGet = "environ_sizes_get"(I32, I32) -> I32;
    ClockResGet = "clock_res_get"(I32, I32) -> I32;
    ClockTimeGet = "clock_time_get"(I32, I64, I32) -> I32;
    FdAdvise = "fd_advise"(I32, I64, I64, I32) -> I32;
    FdAllocate = "fd_allocate"(I32, I64, I64) -> I32;
    FdClose = "fd_close"(I32) -> I32;
    FdDatasync = "fd_datasync"(I32) -> I32;
    FdFdstatGet = "fd_fdstat_get"(I32, I32) -> I32;
    FdFdstatSetFlags = "fd_fdstat_set_flags"(I32, I32) -> I32;
    FdFdstatSetRights = "fd_fdstat_set_rights"(I32, I64, I64) -> I32;
    FdFilestatGet = "fd_filestat_get"(I32, I32) -> I32;
    FdFilestatSetSize = "fd_filestat_set_size"(I32, I64) -> I32;
    FdFilestatSetTimes = "fd_filestat_set_times"(I32, I64, I64, I32) -> I32;
    FdPread = "fd_pread"(I32, I32, I32, I64, I32) -> I32;
    FdPrestatGet = "fd_prestat_get"(I32, I32) -> I32;
    FdPrestatDirName = "fd_prestat_dir_name"(I32, I32, I32) -> I32;
    FdPwrite = "fd_pwrite"(I32, I32, I32, I64, I32) -> I32;
    FdRead = "fd_read"(I32, I32, I32, I32) -> I32;
    FdReaddir = "fd_readdir"(I32, I32, I32, I64, I32) -> I32;
    FdRenumber = "fd_renumber"(I32, I32) -> I32;
    FdSeek = "fd_seek"(I32, I64, I32, I32) -> I32;
    FdSync = "fd_sync"(I32) -> I32;
    FdTell = "fd_tell"(I32, I32) -> I32;
    FdWrite = "fd_write"(I32, I32, I32, I32) -> I32;
    PathCreateDirectory = "path_create_directory"(I32, I32, I32) -> I32;
    PathFilestatGet = "path_filestat_get"(I32, I32, I32, I32, I32) -> I32;
    PathFilestatSetTimes = "path_filestat_set_times"(I32, I32, I32, I32, I64, I64, I32) -> I32;
    PathLink = "path_link"(I32, I32, I32, I32, I32, I32, I32) -> I32;
    PathOpen = "path_open"(I32, I32, I32, I32, I32, I64, I64, I32, I32) -> I32;
    PathReadlink = "path_readlink"(I32, I32, I32, I32, I32, I32) -> I32;
    PathRemoveDirectory = "path_remove_directory"(I32, I32, I32) -> I32;
    PathRename = "path_rename"(I32, I32, I32, I32, I32, I32) -> I32;
    PathSymlink = "path_symlink"(I32, I32, I32, I32, I32) -> I32;
    PathUnlinkFile = "path_unlink_file"(I32, I32, I32) -> I32;
    PollOneoff = "poll_oneoff"(I32, I32, I32, I32) -> I32;
    ProcExit = "proc_exit"(I32);
    ProcRaise = "proc_raise"(I32) -> I32;
    SchedYield = "sched_yield"() -> I32;
    RandomGet = "random_get"(I32, I32) -> I32;
    SockAccept = "sock_accept"(I32, I32, I32) -> I32;
    SockRecv = "sock_recv"(I32, I32, I32, I32, I32, I32) -> I32;
    SockSend = "sock_send"(I32, I32, I32, I32, I32) -> I32;
    SockShutdown = "sock_shutdown"(I32, I32) -> I32;
}

impl Function {
    /// The function imported as `name`, if WASI preview 1 has one.
    pub fn named(name: &str) -> Option<Function> {
        Function::ALL.iter().copied().find(|f| f.name() == name)
    }
}

/// Guest memory as a WASI function sees it; every access is bounds-checked.
pub trait GuestMemory {
    /// The memory's size in bytes.
    fn size(&self) -> usize;
    /// The bytes `[ptr, ptr + len)`, `None` when outside memory.
    fn read(&self, ptr: u32, len: u32) -> Option<Vec<u8>>;
    /// Writes `bytes` at `ptr`; `false` when outside memory.
    fn write(&mut self, ptr: u32, bytes: &[u8]) -> bool;
}

/// Guest memory the engine lends as one slice.
pub struct SliceMemory<'a>(pub &'a mut [u8]);

impl GuestMemory for SliceMemory<'_> {
    fn size(&self) -> usize {
        self.0.len()
    }

    fn read(&self, ptr: u32, len: u32) -> Option<Vec<u8>> {
        let start = ptr as usize;
        self.0
            .get(start..start.checked_add(len as usize)?)
            .map(<[u8]>::to_vec)
    }

    fn write(&mut self, ptr: u32, bytes: &[u8]) -> bool {
        let start = ptr as usize;
        let Some(end) = start.checked_add(bytes.len()) else {
            return false;
        };
        match self.0.get_mut(start..end) {
            Some(target) => {
                target.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }
}

/// One of the two output streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn level(self) -> &'static str {
        match self {
            Stream::Stdout => "info",
            Stream::Stderr => "warn",
        }
    }
}

/// An instance's WASI state: its monotonic clock's origin and the partial
/// lines of stdout and stderr of the running call.
#[derive(Debug)]
pub struct WasiState {
    started: Instant,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Default for WasiState {
    fn default() -> WasiState {
        WasiState {
            started: Instant::now(),
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }
}

impl WasiState {
    /// Forgets partial lines (a new call starts).
    pub fn clear(&mut self) {
        self.stdout.clear();
        self.stderr.clear();
    }

    fn buffer(&mut self, stream: Stream) -> &mut Vec<u8> {
        match stream {
            Stream::Stdout => &mut self.stdout,
            Stream::Stderr => &mut self.stderr,
        }
    }
}

/// Logs the partial lines the guest left on stdout and stderr (called when
/// an entry point returns).
///
/// # Errors
/// The limit a `log` record ran into (`output_too_large`, `timeout`,
/// `cancelled`).
pub fn flush(bridge: &mut Bridge) -> Result<()> {
    for stream in [Stream::Stdout, Stream::Stderr] {
        let line = std::mem::take(bridge.wasi().buffer(stream));
        if !line.is_empty() {
            bridge.log_line(stream.level(), &line)?;
        }
    }
    Ok(())
}

/// Runs WASI function `f` with `args` (each `i32` zero-extended, each `i64`
/// as its bits) and returns its errno.
///
/// # Errors
/// The error that ends the call, already raised in the bridge: `proc_exit`
/// (`guest_error`), or a limit hit while logging output.
pub fn call(
    f: Function,
    args: &[u64],
    memory: &mut dyn GuestMemory,
    bridge: &mut Bridge,
) -> Result<i32> {
    let arg = |i: usize| args.get(i).copied().unwrap_or(0) as u32;
    let fd = arg(0);
    let standard = fd <= 2;
    Ok(match f {
        Function::FdWrite => match fd {
            1 => write_stream(Stream::Stdout, arg(1), arg(2), arg(3), memory, bridge)?,
            2 => write_stream(Stream::Stderr, arg(1), arg(2), arg(3), memory, bridge)?,
            0 => errno::NOTCAPABLE,
            _ => errno::BADF,
        },
        Function::FdRead => match fd {
            // End of file: nothing is ever read from stdin.
            0 => put(memory, arg(3), &0u32.to_le_bytes()),
            1 | 2 => errno::NOTCAPABLE,
            _ => errno::BADF,
        },
        Function::FdFdstatGet if standard => put(memory, arg(1), &fdstat(fd)),
        Function::FdClose if standard => errno::SUCCESS,
        Function::FdSeek | Function::FdTell if standard => errno::SPIPE,
        Function::ClockTimeGet => {
            let now = match arg(0) {
                0 => SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default(),
                1..=3 => bridge.wasi().started.elapsed(),
                _ => return Ok(errno::INVAL),
            };
            let nanos = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
            put(memory, arg(2), &nanos.to_le_bytes())
        }
        Function::ClockResGet => match arg(0) {
            0..=3 => put(memory, arg(1), &1_000u64.to_le_bytes()),
            _ => errno::INVAL,
        },
        Function::RandomGet => random(memory, arg(0), arg(1), bridge)?,
        Function::ArgsSizesGet | Function::EnvironSizesGet => {
            match put(memory, arg(0), &0u32.to_le_bytes()) {
                errno::SUCCESS => put(memory, arg(1), &0u32.to_le_bytes()),
                fault => fault,
            }
        }
        Function::ArgsGet | Function::EnvironGet | Function::SchedYield => errno::SUCCESS,
        Function::ProcExit => {
            let message = match arg(0) {
                0 => "the guest exited without a result".to_owned(),
                status => format!("the guest exited with status {}", status as i32),
            };
            return Err(bridge.raise(Error::Guest(GuestFault {
                message,
                stack: None,
            })));
        }
        Function::PollOneoff
        | Function::ProcRaise
        | Function::SockAccept
        | Function::SockRecv
        | Function::SockSend
        | Function::SockShutdown => errno::NOSYS,
        // No directory is preopened: every path and other descriptor is bad.
        f if f.name().starts_with("fd_")
            && standard
            && !matches!(f, Function::FdPrestatGet | Function::FdPrestatDirName) =>
        {
            errno::NOTCAPABLE
        }
        _ => errno::BADF,
    })
}

/// Writes `bytes` at `ptr`: `SUCCESS`, or `FAULT` outside memory.
fn put(memory: &mut dyn GuestMemory, ptr: u32, bytes: &[u8]) -> i32 {
    if memory.write(ptr, bytes) {
        errno::SUCCESS
    } else {
        errno::FAULT
    }
}

/// The `fdstat` of a standard stream: a character device, no flags, the
/// right to read (stdin) or write (stdout, stderr).
fn fdstat(fd: u32) -> [u8; 24] {
    const CHARACTER_DEVICE: u8 = 2;
    const RIGHT_FD_READ: u64 = 1 << 1;
    const RIGHT_FD_WRITE: u64 = 1 << 6;
    let rights = if fd == 0 {
        RIGHT_FD_READ
    } else {
        RIGHT_FD_WRITE
    };
    let mut stat = [0u8; 24];
    stat[0] = CHARACTER_DEVICE;
    stat[8..16].copy_from_slice(&rights.to_le_bytes());
    stat
}

/// `random_get`: `len` bytes from the host's CSPRNG at `ptr`, filled in
/// chunks of [`CHUNK`] so the host never holds more than one chunk, with the
/// deadline checked between chunks.
fn random(memory: &mut dyn GuestMemory, ptr: u32, len: u32, bridge: &mut Bridge) -> Result<i32> {
    let fits = (ptr as usize)
        .checked_add(len as usize)
        .is_some_and(|end| end <= memory.size());
    if !fits {
        return Ok(errno::FAULT);
    }
    let mut chunk = vec![0u8; (len as usize).min(CHUNK)];
    let mut done: u32 = 0;
    while done < len {
        if bridge.out_of_time() {
            let e = bridge.trap_error(crate::bridge::TrapKind::OutOfTime, "random_get");
            return Err(bridge.raise(e));
        }
        let n = (len - done).min(CHUNK as u32);
        let part = &mut chunk[..n as usize];
        if getrandom::getrandom(part).is_err() {
            return Ok(errno::IO);
        }
        if !memory.write(ptr + done, part) {
            return Ok(errno::FAULT);
        }
        done += n;
    }
    Ok(errno::SUCCESS)
}

/// `fd_write` on stdout or stderr: gathers the iovecs, logs every complete
/// line (cut at [`MAX_LINE`]) and keeps the rest for the next write.
fn write_stream(
    stream: Stream,
    iovs: u32,
    iovs_len: u32,
    nwritten: u32,
    memory: &mut dyn GuestMemory,
    bridge: &mut Bridge,
) -> Result<i32> {
    if iovs_len > MAX_IOVECS {
        return Ok(errno::INVAL);
    }
    let Some(table) = memory.read(iovs, iovs_len * 8) else {
        return Ok(errno::FAULT);
    };
    let mut written: u32 = 0;
    let mut pending = std::mem::take(bridge.wasi().buffer(stream));
    let mut outcome = Ok(errno::SUCCESS);
    for iovec in table.chunks_exact(8) {
        let field = |at: usize| {
            u32::from_le_bytes([iovec[at], iovec[at + 1], iovec[at + 2], iovec[at + 3]])
        };
        // Copied in chunks: the host never holds more than one of them.
        let (base, len) = (field(0), field(4));
        let mut offset: u32 = 0;
        while offset < len && matches!(outcome, Ok(errno::SUCCESS)) {
            let n = (len - offset).min(CHUNK as u32);
            outcome = match base.checked_add(offset).and_then(|at| memory.read(at, n)) {
                Some(bytes) => append_lines(stream, &mut pending, &bytes, bridge),
                None => Ok(errno::FAULT),
            };
            offset += n;
        }
        written = written.saturating_add(offset);
        if !matches!(outcome, Ok(errno::SUCCESS)) {
            break;
        }
    }
    *bridge.wasi().buffer(stream) = pending;
    match outcome {
        Ok(errno::SUCCESS) => Ok(put(memory, nwritten, &written.to_le_bytes())),
        other => other,
    }
}

/// Appends `bytes` to the partial line `pending`, logging each line it
/// completes and each [`MAX_LINE`] piece of an over-long one.
fn append_lines(
    stream: Stream,
    pending: &mut Vec<u8>,
    mut bytes: &[u8],
    bridge: &mut Bridge,
) -> Result<i32> {
    loop {
        let room = MAX_LINE.saturating_sub(pending.len());
        let newline = bytes.iter().take(room + 1).position(|b| *b == b'\n');
        let (take, rest, complete) = match newline {
            Some(at) => (&bytes[..at], &bytes[at + 1..], true),
            None if bytes.len() > room => (&bytes[..room], &bytes[room..], true),
            None => (bytes, &[][..], false),
        };
        pending.extend_from_slice(take);
        bytes = rest;
        if !complete {
            return Ok(errno::SUCCESS);
        }
        let logged = bridge.log_line(stream.level(), pending);
        pending.clear();
        if !logged? {
            return Ok(errno::IO);
        }
        if bytes.is_empty() {
            return Ok(errno::SUCCESS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_function_once_with_an_errno_result() {
        assert_eq!(Function::ALL.len(), 46);
        for f in Function::ALL {
            assert_eq!(Function::named(f.name()), Some(*f));
            let expected: &[ValType] = if *f == Function::ProcExit {
                &[]
            } else {
                &[I32]
            };
            assert_eq!(f.results(), expected, "{}", f.name());
        }
        assert_eq!(Function::named("path_open").unwrap().params().len(), 9);
        assert_eq!(Function::named("fd_open"), None);
    }

    #[test]
    fn memory_accesses_are_bounds_checked() {
        let mut bytes = vec![0u8; 16];
        let mut memory = SliceMemory(&mut bytes);
        assert!(memory.write(12, &[1, 2, 3, 4]));
        assert!(!memory.write(13, &[1, 2, 3, 4]));
        assert!(!memory.write(u32::MAX, &[1]));
        assert_eq!(memory.read(12, 4), Some(vec![1, 2, 3, 4]));
        assert_eq!(memory.read(12, 5), None);
        assert_eq!(memory.read(u32::MAX, u32::MAX), None);
        assert_eq!(fdstat(1)[0], 2);
    }
}
