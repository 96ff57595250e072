//! The pipe protocol between the host and a `morph worker` process:
//! length-prefixed JSON frames, versioned by [`PROTOCOL_VERSION`].
//!
//! A frame is a big-endian `u32` length and that many bytes of JSON. **The
//! reader checks the length against its cap before allocating**, so a worker
//! that writes garbage or floods the pipe costs the host one bounded buffer
//! and then its worker.
//!
//! The conversation is strictly one call at a time per worker:
//!
//! ```text
//! host                          worker
//! Load ------------------------>            (the guest's init may relay
//! <------------ Capability ...              capability requests first)
//! Reply ----------------------->
//! <------------------ Loaded / Failed
//! Execute | Event ------------->
//! <------------ Capability      (any number, each answered by a Reply)
//! Reply ----------------------->
//! <------------------------ Done
//! ```

use std::io;
use std::path::PathBuf;

use morph_capabilities::providers::Event;
use morph_capabilities::{ExtensionIdentity, ResourceLimits, WireError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Version of this protocol; host and worker refuse to talk across versions.
pub const PROTOCOL_VERSION: u32 = 2;

/// What the host sends.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case", deny_unknown_fields)]
pub enum ToWorker {
    /// Load the extension and run its `init` (the first message).
    Load(Box<LoadSpec>),
    /// Run `execute(action, params)`.
    Execute {
        /// The action.
        action: String,
        /// Its parameters (already checked by the host).
        params: Value,
    },
    /// Run `on_event(event)`.
    Event {
        /// The event.
        event: Event,
    },
    /// The answer to a relayed capability request.
    Reply {
        /// The request's sequence number.
        seq: u64,
        /// What the host's broker answered.
        result: Result<Value, WireError>,
    },
}

/// Everything a worker needs to load one extension.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadSpec {
    /// [`PROTOCOL_VERSION`] of the host.
    pub version: u32,
    /// The package directory (the host's unpacked copy for archives).
    pub package_root: PathBuf,
    /// The validated config.
    pub config: Value,
    /// The identity the host stamped on the extension.
    pub identity: ExtensionIdentity,
    /// The manifest's `runtime:` kind the host approved (chooses the
    /// worker's runtime, and so its data limit, before the package is read).
    pub runtime_kind: String,
    /// The effective limits (after host policy).
    pub limits: ResourceLimits,
    /// The engine choice within the runtime (`wasmer`, `wasmi`), if any.
    pub engine: Option<String>,
    /// Calls this worker serves before it is replaced (sizes its CPU rlimit).
    pub calls_per_worker: u32,
}

/// What the worker sends.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromWorker {
    /// The extension is loaded and its `init` done.
    Loaded {
        /// [`PROTOCOL_VERSION`] of the worker.
        version: u32,
        /// Whether the guest defines `on_event`.
        handles_events: bool,
    },
    /// A capability request of the running call, for the host's broker.
    Capability {
        /// Sequence number, echoed by the [`ToWorker::Reply`].
        seq: u64,
        /// Wire name, as the guest gave it.
        capability: String,
        /// The request as the guest gave it (JSON text, checked by the broker).
        request: String,
    },
    /// The running call (load, execute or event) ended.
    Done {
        /// Its result.
        result: Result<Value, WireError>,
    },
}

/// Why a frame could not be read.
#[derive(Debug)]
pub enum FrameError {
    /// The pipe closed cleanly before a frame began.
    Closed,
    /// Reading failed or the pipe closed mid-frame.
    Io(io::Error),
    /// The frame announced more than the reader accepts.
    TooLarge {
        /// The announced length.
        len: u64,
        /// The reader's cap.
        cap: u64,
    },
    /// The frame is not a message of this protocol.
    Malformed(String),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Closed => f.write_str("the pipe closed"),
            FrameError::Io(e) => write!(f, "reading the pipe failed: {e}"),
            FrameError::TooLarge { len, cap } => {
                write!(f, "a frame of {len} bytes is over the {cap}-byte cap")
            }
            FrameError::Malformed(e) => write!(f, "a frame is not a protocol message: {e}"),
        }
    }
}

/// Reads one message, refusing frames over `cap` bytes before reading them.
///
/// # Errors
/// [`FrameError`].
pub async fn read_frame<T, R>(reader: &mut R, cap: u64) -> Result<T, FrameError>
where
    T: for<'de> Deserialize<'de>,
    R: AsyncRead + Unpin,
{
    let mut len = [0u8; 4];
    let mut filled = 0;
    while filled < 4 {
        match reader.read(&mut len[filled..]).await {
            Ok(0) if filled == 0 => return Err(FrameError::Closed),
            Ok(0) => return Err(FrameError::Io(io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => filled += n,
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    let len = u64::from(u32::from_be_bytes(len));
    if len > cap {
        return Err(FrameError::TooLarge { len, cap });
    }
    let mut body = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
    reader.read_exact(&mut body).await.map_err(FrameError::Io)?;
    serde_json::from_slice(&body).map_err(|e| FrameError::Malformed(e.to_string()))
}

/// Writes one message as a frame and flushes it.
///
/// # Errors
/// The pipe's error, or `InvalidData` for a message over `u32::MAX` bytes.
pub async fn write_frame<T, W>(writer: &mut W, message: &T) -> io::Result<()>
where
    T: Serialize,
    W: AsyncWrite + Unpin,
{
    let body = serde_json::to_vec(message).map_err(io::Error::other)?;
    let len = u32::try_from(body.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "frame over 4 GiB"))?;
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&body);
    writer.write_all(&frame).await?;
    writer.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_round_trip_and_caps_are_checked_before_reading() {
        let mut buf = Vec::new();
        write_frame(
            &mut buf,
            &FromWorker::Done {
                result: Ok(serde_json::json!({"a": 1})),
            },
        )
        .await
        .unwrap();
        let mut r = buf.as_slice();
        let msg: FromWorker = read_frame(&mut r, 1024).await.unwrap();
        assert!(matches!(msg, FromWorker::Done { result: Ok(_) }));
        let mut r = buf.as_slice();
        assert!(matches!(
            read_frame::<FromWorker, _>(&mut r, 4).await,
            Err(FrameError::TooLarge { .. })
        ));
        // A flood announcing 4 GiB is refused from its four length bytes.
        let mut r: &[u8] = &[0xff, 0xff, 0xff, 0xff, b'x'];
        assert!(matches!(
            read_frame::<FromWorker, _>(&mut r, 1 << 20).await,
            Err(FrameError::TooLarge { .. })
        ));
        let mut r: &[u8] = &[0, 0, 0, 3, b'x', b'y', b'z'];
        assert!(matches!(
            read_frame::<FromWorker, _>(&mut r, 1 << 20).await,
            Err(FrameError::Malformed(_))
        ));
        let mut r: &[u8] = &[];
        assert!(matches!(
            read_frame::<FromWorker, _>(&mut r, 1 << 20).await,
            Err(FrameError::Closed)
        ));
    }
}
