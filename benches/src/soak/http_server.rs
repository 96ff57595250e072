//! The soak's HTTP server on 127.0.0.1: the target of every allowed
//! `http.fetch`, run on the host's own tokio runtime.
//!
//! `morph_testkit::TestServer` keeps every request it saw and starts a
//! thread per connection, which is right for a test and wrong here: it would
//! grow the very process whose memory and threads the soak watches. This one
//! keeps nothing: it reads a request's head (at most `MAX_HEAD` bytes),
//! answers [`BODY`] and closes the connection, so every fetch opens and
//! closes a socket on both sides and a leaked descriptor shows.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server answers to every request.
pub const BODY: &str = "soak";

/// The most bytes of a request head read before answering anyway.
const MAX_HEAD: usize = 16 * 1024;

/// A server accepting on 127.0.0.1 until the runtime ends.
#[derive(Debug, Clone, Copy)]
pub struct SoakServer {
    addr: SocketAddr,
}

impl SoakServer {
    /// Binds a free port on 127.0.0.1 and serves from a task of the current
    /// tokio runtime.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start() -> std::io::Result<SoakServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(answer(stream));
            }
        });
        Ok(SoakServer { addr })
    }

    /// `127.0.0.1:<port>`, as an `allowed_hosts` entry.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Reads one request head and answers [`BODY`], then closes.
async fn answer(mut stream: TcpStream) {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while head.len() < MAX_HEAD && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}
