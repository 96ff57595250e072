//! The worker side: what `morph worker` runs in the child process.
//!
//! It confines itself ([`crate::confine`], then the first seccomp stage),
//! loads one extension with the runtime linked into the binary, closes the
//! filesystem (the second stage, `crate::filesystem`) before it answers
//! `loaded`, and serves one call at a time from its stdin. **Every capability request of the guest is relayed to the host**
//! (`PipeRelay`): the worker's calls carry no permission (their grants are
//! empty) and no provider, so whatever runs here can reach Morph's
//! capabilities only through the host's broker.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use morph_capabilities::{
    Call, CallContext, CallKind, CallRoute, CapabilityRelay, Error, ExtensionIdentity, Grants,
    Result, WireError,
};
use morph_runtime_core::{
    ExtensionPackage, InitCall, Isolation, LoadOptions, LoadRequest, LoadedExtension,
    RuntimeRegistry,
};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};

use crate::confine;
use crate::protocol::{
    FrameError, FromWorker, LoadSpec, PROTOCOL_VERSION, ToWorker, read_frame, write_frame,
};

/// The largest frame the worker accepts from the host (params and replies
/// are bounded by the host long before this).
pub const MAX_HOST_FRAME: u64 = 256 << 20;

/// Serves the host on stdin/stdout until the host closes the pipe. Returns
/// the process's exit code.
pub fn serve(registry: RuntimeRegistry) -> ExitCode {
    confine::close_inherited_descriptors();
    morph_runtime_core::allocation::exit_on_exhaustion(confine::EXIT_OUT_OF_MEMORY);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("morph worker: cannot start: {e}");
            return ExitCode::from(70);
        }
    };
    match rt.block_on(run(registry)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("morph worker: {e}");
            ExitCode::from(70)
        }
    }
}

type Pending = Mutex<HashMap<u64, oneshot::Sender<Result<Value, WireError>>>>;

/// The protocol's read end (stdin).
type In = Box<dyn AsyncRead + Send + Unpin>;
/// The protocol's write end (stdout).
type Out = Box<dyn AsyncWrite + Send + Unpin>;

/// Stdin and stdout as non-blocking pipes on the worker's event loop (tokio's
/// own stdin and stdout hop through its blocking pool on every read and
/// write, which costs more than the rest of a call).
fn protocol_pipes() -> std::io::Result<(In, Out)> {
    #[cfg(unix)]
    {
        use std::os::fd::{FromRawFd, OwnedFd};
        use tokio::net::unix::pipe;
        // SAFETY: descriptors 0 and 1 are the host's pipes; from here on
        // nothing else in the worker uses them.
        let (stdin, stdout) = unsafe { (OwnedFd::from_raw_fd(0), OwnedFd::from_raw_fd(1)) };
        let input = pipe::Receiver::from_owned_fd(stdin)?;
        let output = pipe::Sender::from_owned_fd(stdout)?;
        Ok((Box::new(input), Box::new(output)))
    }
    #[cfg(not(unix))]
    {
        Ok((Box::new(tokio::io::stdin()), Box::new(tokio::io::stdout())))
    }
}

/// Relays a call's capability requests to the host over the pipe.
struct PipeRelay {
    out: Arc<tokio::sync::Mutex<Out>>,
    pending: Pending,
    next: AtomicU64,
}

impl std::fmt::Debug for PipeRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeRelay")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl CapabilityRelay for PipeRelay {
    fn relay<'a>(
        &'a self,
        _ctx: &'a CallContext,
        capability: &'a str,
        request: Vec<u8>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Value>> + Send + 'a>> {
        Box::pin(async move {
            let seq = self.next.fetch_add(1, Ordering::Relaxed);
            let (tx, rx) = oneshot::channel();
            self.pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(seq, tx);
            let message = FromWorker::Capability {
                seq,
                capability: capability.to_owned(),
                request: String::from_utf8_lossy(&request).into_owned(),
            };
            let written = write_frame(&mut *self.out.lock().await, &message).await;
            if let Err(e) = written {
                return Err(Error::internal(format!("relaying to the host: {e}")));
            }
            match rx.await {
                Ok(result) => result.map_err(WireError::into_error),
                Err(_) => Err(Error::internal("the host stopped answering")),
            }
        })
    }
}

impl PipeRelay {
    fn answer(&self, seq: u64, result: Result<Value, WireError>) {
        let waiting = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&seq);
        if let Some(tx) = waiting {
            let _ = tx.send(result);
        }
    }
}

/// One extension, loaded in this worker.
struct Served {
    extension: Arc<dyn LoadedExtension>,
    identity: Arc<ExtensionIdentity>,
    grants: Arc<Grants>,
    config: Arc<Value>,
    route: CallRoute,
}

impl Served {
    fn call(&self, kind: CallKind, action: &str) -> Call {
        let ctx = CallContext::new(
            self.identity.clone(),
            self.grants.clone(),
            self.config.clone(),
            kind,
            action,
        );
        Call::routed(self.route.clone(), Arc::new(ctx))
    }
}

async fn run(registry: RuntimeRegistry) -> std::result::Result<(), String> {
    let (input, output) =
        protocol_pipes().map_err(|e| format!("opening the protocol pipes: {e}"))?;
    let out = Arc::new(tokio::sync::Mutex::new(output));
    let relay = Arc::new(PipeRelay {
        out: out.clone(),
        pending: Mutex::new(HashMap::new()),
        next: AtomicU64::new(1),
    });
    // The reader answers relayed requests while a call runs, and queues
    // the calls themselves.
    let (calls_tx, mut calls) = mpsc::unbounded_channel::<ToWorker>();
    let reader_relay = relay.clone();
    let reader = tokio::spawn(async move {
        // Buffered: a frame's length and body usually arrive in one read.
        let mut stdin = tokio::io::BufReader::with_capacity(64 * 1024, input);
        loop {
            match read_frame::<ToWorker, _>(&mut stdin, MAX_HOST_FRAME).await {
                Ok(ToWorker::Reply { seq, result }) => reader_relay.answer(seq, result),
                Ok(call) => {
                    if calls_tx.send(call).is_err() {
                        return Ok(());
                    }
                }
                Err(FrameError::Closed) => return Ok(()),
                Err(e) => return Err(e.to_string()),
            }
        }
    });

    let mut served: Option<Served> = None;
    while let Some(message) = calls.recv().await {
        let done = match (message, &served) {
            (ToWorker::Load(spec), None) => match load(&registry, *spec, &relay).await {
                Ok(s) => {
                    let handles_events = s.extension.handles_events();
                    served = Some(s);
                    FromWorker::Loaded {
                        version: PROTOCOL_VERSION,
                        handles_events,
                    }
                }
                Err(e) => FromWorker::Done {
                    result: Err(e.to_wire()),
                },
            },
            (ToWorker::Execute { action, params }, Some(s)) => {
                let call = s.call(CallKind::Execute, &action);
                let result = s.extension.execute(call, &action, params).await;
                FromWorker::Done {
                    result: result.map_err(|e| e.to_wire()),
                }
            }
            (ToWorker::Event { event }, Some(s)) => {
                let call = s.call(CallKind::Event, "on_event");
                let result = s.extension.on_event(call, event).await;
                FromWorker::Done {
                    result: result.map(|()| Value::Null).map_err(|e| e.to_wire()),
                }
            }
            _ => return Err("a message out of order".into()),
        };
        write_frame(&mut *out.lock().await, &done)
            .await
            .map_err(|e| format!("writing to the host: {e}"))?;
    }
    reader.abort();
    Ok(())
}

/// Loads the extension `spec` names, with the worker's limits applied first.
async fn load(
    registry: &RuntimeRegistry,
    spec: LoadSpec,
    relay: &Arc<PipeRelay>,
) -> Result<Served> {
    if spec.version != PROTOCOL_VERSION {
        return Err(Error::RuntimeUnavailable {
            reason: format!(
                "the host speaks worker protocol {}, this worker {PROTOCOL_VERSION}",
                spec.version
            ),
        });
    }
    // The runtime is chosen from what the host approved, before any file of
    // the package is read: its measured reserve sizes the data limit.
    let kind = spec.runtime_kind.clone();
    let runtime = registry
        .for_kind(&kind)
        .ok_or_else(|| Error::RuntimeUnavailable {
            reason: format!("the worker has no runtime for `runtime: {kind}`"),
        })?;
    confine::apply_limits(
        &spec.limits,
        runtime.engine_reserve(),
        spec.calls_per_worker,
    )
    .map_err(|reason| Error::RuntimeUnavailable { reason })?;
    #[cfg(target_os = "linux")]
    crate::syscalls::install().map_err(|e| Error::RuntimeUnavailable {
        reason: format!("cannot install the worker's seccomp filter: {e}"),
    })?;
    let package = ExtensionPackage::open_dir(&spec.package_root)?;
    if package.manifest_digest() != spec.identity.manifest_digest {
        return Err(Error::InvalidPackage {
            reason: "the package changed on disk since the host approved its manifest".into(),
        });
    }
    if package.manifest().runtime.as_str() != kind {
        return Err(Error::InvalidPackage {
            reason: "the package's runtime is not the one the host approved".into(),
        });
    }
    let identity = Arc::new(spec.identity);
    // No permission here: the host's broker decides every request.
    let grants = Arc::new(Grants {
        limits: spec.limits,
        ..Grants::default()
    });
    let config = Arc::new(spec.config);
    let route = CallRoute::Relay(relay.clone());
    let options = LoadOptions {
        isolation: Some(Isolation::Pooled),
        engine: spec.engine,
    };
    let extension = runtime
        .load(LoadRequest {
            package: &package,
            config: config.clone(),
            options: &options,
            init: InitCall::routed(
                route.clone(),
                identity.clone(),
                grants.clone(),
                config.clone(),
            ),
        })
        .await?;
    // Loaded: the package is read, compiled and initialised, so the worker
    // will never need to open a file again (`crate::filesystem`).
    #[cfg(target_os = "linux")]
    crate::filesystem::seal().map_err(|e| Error::RuntimeUnavailable {
        reason: format!("cannot close the worker's filesystem: {e}"),
    })?;
    Ok(Served {
        extension,
        identity,
        grants,
        config,
        route,
    })
}
