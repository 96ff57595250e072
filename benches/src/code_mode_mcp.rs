//! MCP on stdio against the `morph` binary's own `main`, driven by rmcp's
//! client, with every byte each way counted.
//!
//! The child is this bench binary run again with [`super::AS_MORPH`] set:
//! its `main` then hands over to `morph_cli::main_from_env` at once, as
//! `cli/src/main.rs` does (same metered allocator), so the child is `morph
//! mcp --data-dir D` in all but its file name. That spares the shared target
//! dir a second release binary of half a gigabyte.

use std::path::Path;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation,
    JsonObject, Tool,
};
use rmcp::service::{RoleClient, RunningService};
use rmcp::{ClientHandler, ServiceExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The client's name: calls are recorded as by `mcp:code-mode-bench`.
pub const CLIENT_NAME: &str = "code-mode-bench";

/// The bench's MCP client (no elicitation: every tool it calls is
/// `ai_access: execute`).
#[derive(Clone, Copy, Debug)]
pub struct BenchClient;

impl ClientHandler for BenchClient {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new(CLIENT_NAME, "1.0"),
        )
    }
}

/// A byte stream that counts what passes through it.
struct Counted<T> {
    inner: T,
    bytes: Arc<AtomicU64>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            self.bytes
                .fetch_add((buf.filled().len() - before) as u64, Ordering::Relaxed);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &polled {
            self.bytes.fetch_add(*n as u64, Ordering::Relaxed);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// One `tools/call` as the client saw it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The result.
    pub result: CallToolResult,
    /// From the request's send to its answer.
    pub elapsed: Duration,
    /// Bytes the server sent during the call (the JSON-RPC response).
    pub received: u64,
    /// Bytes the client sent (the request).
    pub sent: u64,
    /// Bytes of the result's text content: what a client gives the model.
    pub text: u64,
}

impl Answer {
    /// `structuredContent`, insisting the call succeeded.
    ///
    /// # Panics
    /// When the call was a tool error.
    pub fn ok(&self, what: &str) -> &Value {
        assert_ne!(
            self.result.is_error,
            Some(true),
            "{what}: {:?}",
            self.result
        );
        self.result
            .structured_content
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: no structuredContent"))
    }
}

/// `morph mcp` as a child on stdio, with an rmcp client on it.
pub struct Session {
    client: RunningService<RoleClient, BenchClient>,
    child: tokio::process::Child,
    received: Arc<AtomicU64>,
    sent: Arc<AtomicU64>,
    /// Bytes each way of the handshake (`initialize`).
    pub handshake: (u64, u64),
}

impl Session {
    /// Starts `exe` (this bench binary) as `morph mcp --data-dir data`, its
    /// audit key in `key` and its stderr (logs) in `log`, and says hello
    /// (`initialize`).
    ///
    /// # Panics
    /// When the child does not start or the handshake fails.
    pub async fn start(exe: &Path, data: &Path, key: &Path, log: &Path) -> Session {
        let stderr = std::fs::File::create(log).expect("the child's log");
        let mut child = tokio::process::Command::new(exe)
            .arg("mcp")
            .arg("--data-dir")
            .arg(data)
            .env(super::AS_MORPH, "1")
            .env("MORPH_AUDIT_KEY_FILE", key)
            .env_remove("MORPH_DATA_DIR")
            .env_remove("MORPH_TRUST_DIR")
            .env_remove("MORPH_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .kill_on_drop(true)
            .spawn()
            .expect("spawn morph mcp");
        let received = Arc::new(AtomicU64::new(0));
        let sent = Arc::new(AtomicU64::new(0));
        let read = Counted {
            inner: child.stdout.take().expect("the child's stdout"),
            bytes: received.clone(),
        };
        let write = Counted {
            inner: child.stdin.take().expect("the child's stdin"),
            bytes: sent.clone(),
        };
        let client = match BenchClient.serve((read, write)).await {
            Ok(client) => client,
            Err(e) => panic!(
                "MCP handshake with morph mcp: {e}\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            ),
        };
        let handshake = (
            received.load(Ordering::Relaxed),
            sent.load(Ordering::Relaxed),
        );
        Session {
            client,
            child,
            received,
            sent,
            handshake,
        }
    }

    fn counters(&self) -> (u64, u64) {
        (
            self.received.load(Ordering::Relaxed),
            self.sent.load(Ordering::Relaxed),
        )
    }

    /// `tools/list` (every page): the tools and the bytes received.
    ///
    /// # Panics
    /// When the request fails.
    pub async fn list_tools(&self) -> (Vec<Tool>, u64) {
        let before = self.counters();
        let tools = self.client.list_all_tools().await.expect("tools/list");
        (tools, self.counters().0 - before.0)
    }

    /// One `tools/call` of `name` with `arguments`.
    ///
    /// # Panics
    /// When the request fails at the protocol level (a tool error is an
    /// answer).
    pub async fn call(&self, name: &str, arguments: Value) -> Answer {
        let arguments: JsonObject = match arguments {
            Value::Object(map) => map,
            _ => JsonObject::new(),
        };
        let request = CallToolRequestParams::new(name.to_owned()).with_arguments(arguments);
        let before = self.counters();
        let started = Instant::now();
        let result = self
            .client
            .call_tool(request)
            .await
            .unwrap_or_else(|e| panic!("tools/call {name}: {e}"));
        let elapsed = started.elapsed();
        let after = self.counters();
        let text = result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.len() as u64))
            .sum();
        Answer {
            result,
            elapsed,
            received: after.0 - before.0,
            sent: after.1 - before.1,
            text,
        }
    }

    /// Hangs up (stdin closed) and waits for `morph mcp` to exit.
    ///
    /// # Panics
    /// When it does not exit cleanly.
    pub async fn close(mut self) {
        let _ = self.client.cancel().await;
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("morph mcp did not exit")
            .expect("wait for morph mcp");
        assert!(status.success(), "morph mcp exited with {status}");
    }
}
