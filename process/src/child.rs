//! The host side of one worker process: spawning it bare, talking to it
//! under a deadline, and reading its death.
//!
//! **The host never waits on a worker without a deadline**: every
//! conversation runs under the call's deadline plus [`KILL_GRACE`], after
//! which the worker is killed (SIGKILL) and the call ends `timeout`; a call
//! cancelled meanwhile kills its worker the same way at once and ends
//! `cancelled` (a conversation whose future is dropped kills it too: the
//! child is killed on drop). A worker
//! that breaks the protocol (garbage, an oversized frame, a message out of
//! order, an early exit) is killed too, and its exit is read to name the
//! error: [`crate::confine::EXIT_OUT_OF_MEMORY`] is `memory_limit`, SIGXCPU is
//! `timeout`, a stack-overflow report is `stack_overflow`, anything else
//! `guest_crash`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use morph_capabilities::{Call, Error, ErrorCode, LimitKind, MAX_REQUEST_BYTES, Result};
use serde_json::Value;
use tokio::io::{AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::time::Instant;

use crate::confine::EXIT_OUT_OF_MEMORY;
use crate::protocol::{FromWorker, LoadSpec, PROTOCOL_VERSION, ToWorker, read_frame, write_frame};

/// How long past a call's deadline a worker may take to answer before it is
/// killed (the worker's own engine usually stops the guest first).
pub const KILL_GRACE: Duration = Duration::from_millis(50);
/// How long a killed worker may take to be reaped.
const REAP_WAIT: Duration = Duration::from_secs(5);
/// Bytes of a worker's stderr kept to explain its death.
const STDERR_TAIL: usize = 8 * 1024;

/// How to start a worker: the program (the `morph` binary), its arguments
/// (`worker`) and the only environment it gets.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// The worker's whole environment (by default only `MORPH_CACHE_DIR`,
    /// so the wasm engine finds its compiled-module cache).
    pub env: Vec<(OsString, OsString)>,
}

impl WorkerCommand {
    /// `morph worker` with this process's own executable.
    ///
    /// # Errors
    /// `runtime_unavailable` when the executable cannot be found.
    pub fn current_exe() -> Result<WorkerCommand> {
        let program = std::env::current_exe().map_err(|e| Error::RuntimeUnavailable {
            reason: format!("cannot find the morph executable for workers: {e}"),
        })?;
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let cache = var("MORPH_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|p| p.join("morph")))
            .or_else(|| var("HOME").map(|p| p.join(".cache/morph")));
        Ok(WorkerCommand {
            program,
            args: vec!["worker".into()],
            env: cache
                .map(|c| vec![("MORPH_CACHE_DIR".into(), c.into_os_string())])
                .unwrap_or_default(),
        })
    }
}

/// One live worker process holding one loaded extension.
pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<Vec<u8>>>,
    frame_cap: u64,
    /// Calls served so far.
    pub calls: u32,
    /// Whether the guest defines `on_event`.
    pub handles_events: bool,
    /// Counted in `/metrics` while it lives.
    _live: morph_runtime_core::workers::LiveWorker,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("pid", &self.child.id())
            .field("calls", &self.calls)
            .finish_non_exhaustive()
    }
}

/// How a conversation ended badly, before the worker's exit is read.
enum Broken {
    /// The deadline passed.
    Deadline,
    /// The call was cancelled.
    Cancelled,
    /// The worker broke the protocol or the pipe.
    Protocol(String),
}

impl Worker {
    /// Starts a worker and loads `spec` in it, running the guest's `init`
    /// under `init` (its capability requests go to the host's broker).
    ///
    /// # Errors
    /// `runtime_unavailable` when the worker cannot start; otherwise what
    /// loading ended with (`init_failed`, `invalid_package`, a limit).
    pub async fn start(
        command: &WorkerCommand,
        spec: &LoadSpec,
        init: &Call,
        load_allowance: Duration,
    ) -> Result<Worker> {
        let mut child = Command::new(&command.program)
            .args(&command.args)
            .env_clear()
            .envs(command.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Error::RuntimeUnavailable {
                reason: format!(
                    "cannot start the worker `{}`: {e}",
                    command.program.display()
                ),
            })?;
        let (Some(stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(Error::internal("the worker's pipes are missing"));
        };
        let tail = Arc::new(Mutex::new(Vec::new()));
        let sink = tail.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let mut kept = sink.lock().unwrap_or_else(PoisonError::into_inner);
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > STDERR_TAIL {
                    let cut = kept.len() - STDERR_TAIL;
                    kept.drain(..cut);
                }
            }
        });
        let frame_cap = spec
            .limits
            .output_bytes()
            .saturating_add(MAX_REQUEST_BYTES as u64)
            .saturating_add(1 << 20);
        let mut worker = Worker {
            child,
            stdin,
            stdout: BufReader::with_capacity(64 * 1024, stdout),
            stderr: tail,
            frame_cap,
            calls: 0,
            handles_events: false,
            _live: morph_runtime_core::workers::LiveWorker::process(),
        };
        let message = ToWorker::Load(Box::new(spec.clone()));
        match worker
            .converse(init, &message, Some(load_allowance))
            .await?
        {
            Reply::Loaded {
                version,
                handles_events,
            } if version == PROTOCOL_VERSION => {
                worker.handles_events = handles_events;
                Ok(worker)
            }
            Reply::Loaded { version, .. } => Err(worker
                .kill_for(
                    init,
                    Broken::Protocol(format!(
                        "the worker speaks protocol {version}, the host {PROTOCOL_VERSION}"
                    )),
                )
                .await),
            Reply::Done(Err(e)) => Err(e),
            Reply::Done(Ok(_)) => Err(worker
                .kill_for(init, Broken::Protocol("a result before `loaded`".into()))
                .await),
        }
    }

    /// Runs `message` (execute or event) under `call`.
    ///
    /// # Errors
    /// What the guest's call ended with; after a protocol break or the
    /// deadline the worker is dead and [`Worker::is_alive`] says so.
    pub async fn run(&mut self, call: &Call, message: &ToWorker) -> Result<Value> {
        self.calls = self.calls.saturating_add(1);
        match self.converse(call, message, None).await? {
            Reply::Done(result) => result,
            Reply::Loaded { .. } => Err(self
                .kill_for(
                    call,
                    Broken::Protocol("`loaded` in the middle of a call".into()),
                )
                .await),
        }
    }

    /// The worker's process id (while it runs).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Whether the worker process is still running.
    pub fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `message` and answers the worker's capability requests through
    /// `call` until it ends the call, all under the call's deadline.
    async fn converse(
        &mut self,
        call: &Call,
        message: &ToWorker,
        load_allowance: Option<Duration>,
    ) -> Result<Reply> {
        // Loading also starts the process and compiles, which is not charged
        // to the guest: its deadline starts over when the worker starts
        // `init`, so the host allows the init budget twice plus the load
        // allowance.
        let budget = call.context().remaining()
            + load_allowance.map_or(Duration::ZERO, |a| {
                call.context().limits().execution_time() + a
            });
        let deadline = Instant::now() + budget + KILL_GRACE;
        let outcome = tokio::select! {
            outcome = tokio::time::timeout_at(deadline, self.exchange(call, message)) => Some(outcome),
            () = call.context().cancelled() => None,
        };
        match outcome {
            Some(Ok(Ok(reply))) => Ok(reply),
            Some(Ok(Err(reason))) => Err(self.kill_for(call, Broken::Protocol(reason)).await),
            Some(Err(_)) => Err(self.kill_for(call, Broken::Deadline).await),
            None => Err(self.kill_for(call, Broken::Cancelled).await),
        }
    }

    async fn exchange(
        &mut self,
        call: &Call,
        message: &ToWorker,
    ) -> std::result::Result<Reply, String> {
        write_frame(&mut self.stdin, message)
            .await
            .map_err(|e| format!("writing to the worker: {e}"))?;
        loop {
            let frame = read_frame::<FromWorker, _>(&mut self.stdout, self.frame_cap)
                .await
                .map_err(|e| e.to_string())?;
            match frame {
                FromWorker::Capability {
                    seq,
                    capability,
                    request,
                } => {
                    let result = call
                        .invoke_bytes(&capability, request.as_bytes())
                        .await
                        .map_err(|e| e.to_wire());
                    write_frame(&mut self.stdin, &ToWorker::Reply { seq, result })
                        .await
                        .map_err(|e| format!("writing to the worker: {e}"))?;
                }
                FromWorker::Loaded {
                    version,
                    handles_events,
                } => {
                    return Ok(Reply::Loaded {
                        version,
                        handles_events,
                    });
                }
                FromWorker::Done { result } => {
                    return Ok(Reply::Done(result.map_err(|w| w.into_error())));
                }
            }
        }
    }

    /// Kills the worker and names the error its end means.
    async fn kill_for(&mut self, call: &Call, broken: Broken) -> Error {
        // An exit already under way (out of memory, a crash) is read first.
        let status = match tokio::time::timeout(Duration::from_millis(20), self.child.wait()).await
        {
            Ok(Ok(status)) => Some(status),
            _ => {
                let _ = self.child.start_kill();
                tokio::time::timeout(REAP_WAIT, self.child.wait())
                    .await
                    .ok()
                    .and_then(std::result::Result::ok)
            }
        };
        let stderr =
            String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(PoisonError::into_inner))
                .into_owned();
        classify(call, broken, status, &stderr)
    }
}

/// What a conversation ended with.
enum Reply {
    Loaded { version: u32, handles_events: bool },
    Done(Result<Value>),
}

fn classify(call: &Call, broken: Broken, status: Option<ExitStatus>, stderr: &str) -> Error {
    #[cfg(unix)]
    use std::os::unix::process::ExitStatusExt;
    let code = status.and_then(|s| s.code());
    #[cfg(unix)]
    let signal = status.and_then(|s| s.signal());
    #[cfg(not(unix))]
    let signal: Option<i32> = None;
    if code == Some(EXIT_OUT_OF_MEMORY) {
        let cap = call.context().limits().max_memory_mb;
        return Error::limit(
            LimitKind::Memory,
            format!(
                "the worker ran out of memory (max_memory_mb = {cap} MiB plus what the engine needs at rest)"
            ),
        );
    }
    if stderr.contains("has overflowed its stack") {
        return Error::limit(LimitKind::Stack, "the worker's native stack overflowed");
    }
    #[cfg(unix)]
    if signal == Some(libc::SIGXCPU) {
        return Error::limit(LimitKind::Time, "the worker used up its CPU time limit");
    }
    match broken {
        Broken::Deadline => call.context().timeout_error(),
        Broken::Cancelled => call.context().cancelled_error(),
        Broken::Protocol(reason) => {
            let how = match (code, signal) {
                (Some(c), _) => format!("exited with status {c}"),
                (None, Some(s)) => format!("was killed by signal {s}"),
                (None, None) => "was killed".to_owned(),
            };
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
            Error::GuestCrash {
                reason: morph_capabilities::truncate_for_message(
                    &match last {
                        Some(line) => format!("the worker process {how} ({reason}): {line}"),
                        None => format!("the worker process {how} ({reason})"),
                    },
                    1024,
                ),
            }
        }
    }
}

/// Whether a worker may serve again after a call ended with `result`: not
/// after a limit, a cancellation, a crash or an internal error (its engine
/// may still be busy or damaged).
pub fn reusable(result: &Result<Value>) -> bool {
    match result {
        Ok(_) => true,
        Err(e) => !matches!(
            e.code(),
            ErrorCode::Timeout
                | ErrorCode::Cancelled
                | ErrorCode::MemoryLimit
                | ErrorCode::StackOverflow
                | ErrorCode::GuestCrash
                | ErrorCode::Internal
                | ErrorCode::OutputTooLarge
        ),
    }
}
