//! The capability round trip every runtime's bench measures (`capability`
//! group of `benches/wasm.rs`, `js.rs` and `python.rs`): the test guest's
//! `call` action invoking `log`, `vault.get` of a stored key and `http.fetch`
//! of a real HTTP server on 127.0.0.1, beside the same host's `echo`.

use criterion::BenchmarkId;
use criterion::measurement::WallTime;
use morph_testkit::TestServer;
use serde_json::{Value, json};
use tokio::runtime::Runtime;

use crate::drive::{execute_n, execute_once};
use crate::fixture::Loaded;
use crate::ids::{CALL_HTTP_FETCH, CALL_LOG, CALL_VAULT_GET, ECHO};

/// What the guest is granted: `vault:write` only seeds the key read.
pub const PERMISSIONS: [&str; 3] = ["vault:read", "vault:write", "http:read"];

/// The body the server answers.
const BODY: &str = "bench";

/// A server on 127.0.0.1 answering `BODY` to every request; its
/// [`TestServer::host`] goes in the guest's `allowed_hosts`.
pub fn server() -> TestServer {
    TestServer::text(BODY)
}

/// The `call` params that store the key `vault.get` reads.
pub fn seed() -> Value {
    json!({"capability": "vault.set", "request": {"key": "k", "value": "bench-secret"}})
}

/// Each figure: its name, the guest action, and its params.
pub fn cases(server: &TestServer) -> [(&'static str, &'static str, Value); 4] {
    [
        (ECHO, "echo", json!({"value": 1})),
        (
            CALL_LOG,
            "call",
            json!({"capability": "log", "request": {"message": "bench"}}),
        ),
        (
            CALL_VAULT_GET,
            "call",
            json!({"capability": "vault.get", "request": {"key": "k"}}),
        ),
        (
            CALL_HTTP_FETCH,
            "call",
            json!({"capability": "http.fetch", "request": {"url": server.url("/bench")}}),
        ),
    ]
}

/// Panics unless `out` is what the case `name` must answer.
///
/// # Panics
/// When the answer is wrong.
pub fn check(name: &str, out: &Value) {
    let text = out.to_string();
    match name {
        CALL_VAULT_GET => assert!(text.contains("bench-secret"), "vault.get: {out}"),
        CALL_HTTP_FETCH => assert!(
            text.contains(BODY) && text.contains("200"),
            "http.fetch: {out}"
        ),
        _ => {}
    }
}

/// Seeds the vault of `guest` (loaded with [`PERMISSIONS`], allowed to reach
/// `server`), checks every case once, then times each as
/// `capability/<case>/<engine>` in `group`.
///
/// # Panics
/// When a case answers wrong.
pub fn bench(
    group: &mut criterion::BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    guest: &Loaded,
    server: &TestServer,
    engine: &str,
) {
    execute_once(rt, guest, "call", &seed());
    for (name, action, params) in cases(server) {
        check(name, &execute_once(rt, guest, action, &params));
        group.bench_function(BenchmarkId::new(name, engine), |b| {
            b.iter_custom(|iters| execute_n(rt, guest, action, &params, iters));
        });
    }
}
