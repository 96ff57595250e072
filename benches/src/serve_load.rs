//! The load generator of `benches/serve.rs`: what `morph serve`'s HTTP
//! layer adds to a call. For one runtime at a time it installs the test
//! guest into a fresh data dir (an unsigned `.morph`, committed through
//! `InstallStore` as `morph install --allow-unsigned --yes` does), starts a
//! [`Service`] on it the way the `morph serve` command does (linked
//! runtimes, `Pooled`, the real `FileAuditLog` in the data dir) and serves
//! it on 127.0.0.1 with [`morph_serve::serve`]. Then `echo` is called in
//! closed loops by 1, 8 and 64 clients at once, two ways:
//!
//! - **direct**: `Service::execute` from tasks on the server's own
//!   tokio runtime (what every face of the server calls);
//! - **HTTP**: `POST /v1/extensions/{id}/actions/echo` with a bearer
//!   token, one keep-alive HTTP/1.1 connection per client (hyper's client),
//!   from tasks on a separate single-thread runtime (the load generator).
//!
//! **Both ways are timed in the same run, alternating** (direct, HTTP, HTTP,
//! direct after a warm-up of each), so a machine that slows down during the
//! run slows both alike. A latency is one call from its start to its answer
//! as the client sees it; calls per second count the answers that arrived
//! inside the measured window.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use morph_package::{InstallStore, Limits, SealedPackage, TrustPolicy, TrustStore};
use morph_runtime_core::{Host, Isolation, LoadOptions};
use morph_serve::api::ApiConfig;
use morph_serve::{Scope, ServeOptions, Service, ServiceConfig};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use crate::scaling::Runner;
use crate::script_guest::{self, Language};
use crate::{audit_cost, fixture};

/// How many clients call at once.
pub const CLIENTS: [usize; 3] = [1, 8, 64];

/// The caller the bench's token records (and the direct calls claim).
pub const TOKEN_NAME: &str = "bench";

/// What the `morph serve` command gives `--audit-reserve-mb` by default.
const AUDIT_RESERVE_BYTES: u64 = 32 * 1024 * 1024;

/// The body of every call: `echo`'s params.
const ECHO_BODY: &[u8] = br#"{"value":1}"#;

/// How long each part of a cell runs.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Calls before anything is recorded, once per way.
    pub warm_up: Duration,
    /// Recorded time per way, in two halves (direct, HTTP, HTTP, direct).
    pub measure: Duration,
}

impl Timing {
    /// 0.5 s of warm-up and 2 s of measurement per way.
    pub const BENCH: Timing = Timing {
        warm_up: Duration::from_millis(500),
        measure: Duration::from_secs(2),
    };

    /// A few calls, to check that the bench works (`cargo test`).
    pub const SMOKE: Timing = Timing {
        warm_up: Duration::from_millis(20),
        measure: Duration::from_millis(40),
    };
}

/// The latencies of one way in one cell, sorted.
#[derive(Debug, Clone)]
pub struct Figures {
    /// Every recorded call's latency, sorted.
    latencies: Vec<Duration>,
    /// The time the calls were recorded over.
    window: Duration,
}

impl Figures {
    fn new(mut latencies: Vec<Duration>, window: Duration) -> Figures {
        latencies.sort_unstable();
        Figures { latencies, window }
    }

    /// Calls recorded.
    pub fn calls(&self) -> usize {
        self.latencies.len()
    }

    /// Calls answered per second of the window.
    pub fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.window.as_secs_f64().max(f64::EPSILON)
    }

    /// The latency at quantile `q` (0 to 1): the smallest that at least
    /// `q` of the calls did not exceed.
    pub fn quantile(&self, q: f64) -> Duration {
        let n = self.latencies.len();
        if n == 0 {
            return Duration::ZERO;
        }
        let rank = ((n as f64 * q).ceil() as usize).clamp(1, n);
        self.latencies[rank - 1]
    }

    /// The median latency.
    pub fn p50(&self) -> Duration {
        self.quantile(0.50)
    }

    /// The 99th percentile.
    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }

    /// The mean latency.
    pub fn mean(&self) -> Duration {
        let total: Duration = self.latencies.iter().sum();
        total / u32::try_from(self.latencies.len().max(1)).unwrap_or(u32::MAX)
    }
}

/// The result of one runtime at one number of clients.
#[derive(Debug, Clone)]
pub struct Cell {
    /// The runtime.
    pub runner: Runner,
    /// Clients calling at once.
    pub clients: usize,
    /// `Service::execute`.
    pub direct: Figures,
    /// Through the HTTP API.
    pub http: Figures,
    /// The mean time of `Service::execute` itself (the server's own
    /// `morph_call_duration_seconds`) during the direct phases...
    pub direct_inside: Duration,
    /// ...and during the HTTP phases: what the handler waited for.
    pub http_inside: Duration,
}

impl Cell {
    /// What the HTTP layer adds to the median call, in µs (negative when
    /// the HTTP median came out lower).
    pub fn added_p50_us(&self) -> f64 {
        micros(self.http.p50()) - micros(self.direct.p50())
    }
}

/// `d` in microseconds.
pub fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A running server on one data dir with the test guest installed.
pub struct Served {
    /// The data dir, the package source, the audit key; removed on drop.
    pub dir: tempfile::TempDir,
    /// The service the server serves.
    pub service: Arc<Service>,
    /// Where the server listens.
    pub addr: SocketAddr,
    /// An `invoke` bearer token.
    pub token: String,
    /// The installed extension's id.
    pub id: String,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<morph_runtime_core::Result<()>>,
}

impl Served {
    /// Installs `runner`'s test guest into a fresh data dir, starts the
    /// service on it (linked runtimes, `Pooled`, `runner`'s engine, the
    /// `FileAuditLog` of the data dir) and serves it on 127.0.0.1. Must
    /// run inside the multi-thread runtime the service is to run on.
    ///
    /// # Panics
    /// When any step fails, or the extension did not load.
    pub async fn start(runner: Runner) -> Served {
        link_runtimes();
        let dir = tempfile::tempdir().expect("a temporary dir");
        let data = dir.path().join("data");
        let pkg = write_package(runner, &dir.path().join("src"));
        let id = install(&data, &pkg);
        // The log in `data/audit`, its signing key beside the data dir (as
        // `$XDG_CONFIG_HOME/morph/audit-keys/` keeps it, out of the user's).
        let audit = Arc::new(audit_cost::open_log(dir.path()));
        let builder = Host::builder()
            .with_audit_sink(audit)
            .with_audit_reserve(AUDIT_RESERVE_BYTES)
            .with_load_options(LoadOptions {
                isolation: Some(Isolation::Pooled),
                engine: match runner {
                    Runner::Wasm(engine) => Some(engine.to_owned()),
                    Runner::Js | Runner::Python => None,
                },
            });
        let service = Service::start(ServiceConfig::new(&data), builder)
            .await
            .expect("start the service");
        let state = &service.extensions()[0];
        assert_eq!(
            state["state"],
            "enabled",
            "{} did not load: {state}",
            runner.engine()
        );
        let token = service
            .tokens()
            .create(TOKEN_NAME, Scope::Invoke)
            .expect("a token");
        let options = ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            allow_remote: false,
            api: ApiConfig::default(),
            drain: Duration::from_secs(5),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let (bound, listening) = oneshot::channel();
        let server = tokio::spawn(morph_serve::serve(
            service.clone(),
            options,
            None,
            move |addr| {
                let _ = bound.send(addr);
            },
            async move {
                let _ = stopped.await;
            },
        ));
        let addr = listening.await.expect("the server's address");
        Served {
            dir,
            service,
            addr,
            token,
            id,
            stop,
            server,
        }
    }

    /// Stops the server (graceful: the audit log is synced) and waits for it.
    ///
    /// # Panics
    /// When the server failed.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.server
            .await
            .expect("the server task")
            .expect("the server");
        drop(self.dir);
    }
}

/// Links the runtimes the `morph` binary ships (each registers itself with
/// `inventory` once something refers to it).
pub fn link_runtimes() {
    morph_runtime_wasm::ensure_linked();
    morph_runtime_js::ensure_linked();
    morph_runtime_python::ensure_linked();
}

/// Writes `runner`'s test guest (no permissions, default limits) into
/// `dir` and returns the package's path.
///
/// # Panics
/// When the package cannot be written.
pub fn write_package(runner: Runner, dir: &Path) -> PathBuf {
    match runner {
        Runner::Wasm(_) => fixture::write_package(dir, &[]),
        Runner::Js => {
            script_guest::write_package(dir, &script_guest::test_guest(Language::Js), &[])
        }
        Runner::Python => {
            script_guest::write_package(dir, &script_guest::test_guest(Language::Python), &[])
        }
    }
}

/// Packs the package at `pkg` unsigned and installs it into `data` as
/// `morph install --allow-unsigned --yes` does; returns its id.
///
/// # Panics
/// When packing or installing fails.
pub fn install(data: &Path, pkg: &Path) -> String {
    let limits = Limits::default();
    let bytes = SealedPackage::from_dir(pkg, &limits)
        .and_then(|p| p.to_bytes())
        .expect("pack the package");
    let trust = TrustStore::open(data.join("trust")).expect("the trust store");
    let policy = TrustPolicy::new(trust).allow_unsigned(true);
    let plan = InstallStore::new(data)
        .plan(bytes, "bench", &policy, &limits, false)
        .expect("plan the install");
    plan.commit().expect("install").id
}

/// What an HTTP client asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /v1/extensions/{id}/actions/echo` with a bearer token: the call.
    Echo,
    /// `GET /healthz`: no token, no call; what HTTP alone costs (the
    /// client, the connection, hyper and axum's router).
    Healthz,
}

/// One keep-alive HTTP/1.1 connection to the server, as one client.
pub struct HttpClient {
    sender: SendRequest<Full<Bytes>>,
    echo_uri: String,
    host: String,
    bearer: String,
}

impl HttpClient {
    /// Connects to `served` (the connection is driven by a task on the
    /// current runtime).
    ///
    /// # Panics
    /// When the connection or the handshake fails.
    pub async fn connect(served: &Served) -> HttpClient {
        let stream = tokio::net::TcpStream::connect(served.addr)
            .await
            .expect("connect to the server");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("the HTTP handshake");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        HttpClient {
            sender,
            echo_uri: format!("/v1/extensions/{}/actions/echo", served.id),
            host: served.addr.to_string(),
            bearer: format!("Bearer {}", served.token),
        }
    }

    /// One request to `route`; its HTTP status and body.
    ///
    /// # Panics
    /// When the connection fails.
    pub async fn call(&mut self, route: Route) -> (StatusCode, Bytes) {
        let request = match route {
            Route::Echo => Request::builder()
                .method(Method::POST)
                .uri(self.echo_uri.as_str())
                .header(header::HOST, self.host.as_str())
                .header(header::AUTHORIZATION, self.bearer.as_str())
                .header(header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from_static(ECHO_BODY))),
            Route::Healthz => Request::builder()
                .method(Method::GET)
                .uri("/healthz")
                .header(header::HOST, self.host.as_str())
                .body(Full::new(Bytes::new())),
        }
        .expect("a request");
        self.sender.ready().await.expect("the connection");
        let response = self.sender.send_request(request).await.expect("an answer");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the body")
            .to_bytes();
        (status, body)
    }
}

/// The closed loop's clock: calls answered within `[start, end)` are
/// recorded; a client stops at its first answer at or after `end`.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    end: Instant,
}

impl Window {
    fn after(delay: Duration, length: Duration) -> Window {
        let start = Instant::now() + delay;
        Window {
            start,
            end: start + length,
        }
    }

    /// Records a call that started at `began` and was answered now;
    /// whether the client goes on.
    fn record(&self, began: Instant, out: &mut Vec<Duration>) -> bool {
        let now = Instant::now();
        if now >= self.end {
            return false;
        }
        if now >= self.start {
            out.push(now - began);
        }
        true
    }
}

/// Runs `clients` direct callers (`Service::execute`) on `rt` for
/// `window`; their latencies.
fn direct_phase(rt: &Runtime, served: &Served, clients: usize, length: Duration) -> Vec<Duration> {
    rt.block_on(async {
        let window = Window::after(Duration::ZERO, length);
        let caller = format!("token:{TOKEN_NAME}");
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let service = served.service.clone();
                let id = served.id.clone();
                let caller = caller.clone();
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    loop {
                        let began = Instant::now();
                        let execution = service
                            .execute(&id, "echo", json!({"value": 1}), &caller, None)
                            .await;
                        if let Err(e) = execution.result {
                            panic!("Service::execute echo: {e}");
                        }
                        if !window.record(began, &mut latencies) {
                            return latencies;
                        }
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("a direct caller"));
        }
        all
    })
}

/// Runs the HTTP `clients` (one connection each) asking for `route` on
/// the load generator's runtime `rt` for `window`; the clients back and
/// their latencies.
fn http_phase(
    rt: &Runtime,
    clients: Vec<HttpClient>,
    route: Route,
    length: Duration,
) -> (Vec<HttpClient>, Vec<Duration>) {
    rt.block_on(async {
        let window = Window::after(Duration::ZERO, length);
        let tasks: Vec<_> = clients
            .into_iter()
            .map(|mut client| {
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    loop {
                        let began = Instant::now();
                        let (status, body) = client.call(route).await;
                        assert_eq!(
                            status,
                            StatusCode::OK,
                            "{route:?}: {}",
                            String::from_utf8_lossy(&body)
                        );
                        if !window.record(began, &mut latencies) {
                            return (client, latencies);
                        }
                    }
                })
            })
            .collect();
        let mut back = Vec::new();
        let mut all = Vec::new();
        for task in tasks {
            let (client, latencies) = task.await.expect("an HTTP client");
            back.push(client);
            all.extend(latencies);
        }
        (back, all)
    })
}

/// Checks that both ways answer `echo` as expected.
///
/// # Panics
/// When either does not.
pub fn check(server_rt: &Runtime, client_rt: &Runtime, served: &Served) {
    let execution = server_rt.block_on(served.service.execute(
        &served.id,
        "echo",
        json!({"value": 1}),
        &format!("token:{TOKEN_NAME}"),
        None,
    ));
    assert_eq!(
        execution.result.expect("Service::execute echo"),
        json!({"value": 1})
    );
    let (status, body) = client_rt.block_on(async {
        let mut client = HttpClient::connect(served).await;
        client.call(Route::Echo).await
    });
    let body: Value = serde_json::from_slice(&body).expect("a JSON answer");
    assert_eq!(status, StatusCode::OK, "POST echo: {body}");
    assert_eq!(body["ok"], true, "POST echo: {body}");
    assert_eq!(body["result"], json!({"value": 1}), "POST echo: {body}");
}

/// One cell: `clients` at once, both ways, warm-up then direct, HTTP, HTTP,
/// direct (each half of `timing.measure`).
///
/// # Panics
/// When a call fails.
pub fn cell(
    server_rt: &Runtime,
    client_rt: &Runtime,
    served: &Served,
    runner: Runner,
    clients: usize,
    timing: Timing,
) -> Cell {
    let mut connections = client_rt.block_on(async {
        let mut all = Vec::with_capacity(clients);
        for _ in 0..clients {
            all.push(HttpClient::connect(served).await);
        }
        all
    });
    let half = timing.measure / 2;
    direct_phase(server_rt, served, clients, timing.warm_up);
    (connections, _) = http_phase(client_rt, connections, Route::Echo, timing.warm_up);
    let mut direct_inside = Inside::default();
    let mut http_inside = Inside::default();
    let mut direct =
        direct_inside.during(served, || direct_phase(server_rt, served, clients, half));
    let (connections, mut http) = http_inside.during(served, || {
        http_phase(client_rt, connections, Route::Echo, half)
    });
    let (connections, second) = http_inside.during(served, || {
        http_phase(client_rt, connections, Route::Echo, half)
    });
    http.extend(second);
    direct.extend(direct_inside.during(served, || direct_phase(server_rt, served, clients, half)));
    drop(connections);
    let window = half * 2;
    Cell {
        runner,
        clients,
        direct: Figures::new(direct, window),
        http: Figures::new(http, window),
        direct_inside: direct_inside.mean(),
        http_inside: http_inside.mean(),
    }
}

/// `Service::execute`'s own time over some phases, from the server's
/// metrics (`morph_call_duration_seconds_sum` and `_count`, one extension).
#[derive(Debug, Default)]
struct Inside {
    seconds: f64,
    calls: f64,
}

impl Inside {
    /// Runs `phase`, adding the calls it made and their time.
    fn during<T>(&mut self, served: &Served, phase: impl FnOnce() -> T) -> T {
        let before = execute_totals(&served.service);
        let out = phase();
        let after = execute_totals(&served.service);
        self.seconds += after.0 - before.0;
        self.calls += after.1 - before.1;
        out
    }

    fn mean(&self) -> Duration {
        Duration::from_secs_f64((self.seconds / self.calls.max(1.0)).max(0.0))
    }
}

/// The sum (seconds) and count of `morph_call_duration_seconds` in
/// `service`'s metrics.
fn execute_totals(service: &Service) -> (f64, f64) {
    let text = service.metrics_text();
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    (
        value("morph_call_duration_seconds_sum{"),
        value("morph_call_duration_seconds_count{"),
    )
}

/// Where the HTTP layer's time goes, for one caller: `GET /healthz` over
/// one keep-alive connection (HTTP alone), and the token check every
/// authenticated request makes (`TokenStore::check`: SHA-256 of the token
/// and a query of `tokens.db`), timed in a loop on this thread.
#[derive(Debug, Clone)]
pub struct Breakdown {
    /// `GET /healthz`, one client.
    pub healthz: Figures,
    /// One `TokenStore::check` of a valid token, on average.
    pub token_check: Duration,
}

/// Measures the [`Breakdown`] on `served`, after a warm-up of each part.
///
/// # Panics
/// When a request fails or the token is refused.
pub fn breakdown(client_rt: &Runtime, served: &Served, timing: Timing) -> Breakdown {
    let client = client_rt.block_on(HttpClient::connect(served));
    let (clients, _) = http_phase(client_rt, vec![client], Route::Healthz, timing.warm_up);
    let (_, latencies) = http_phase(client_rt, clients, Route::Healthz, timing.measure);
    let tokens = served.service.tokens();
    let per_check = |length: Duration| {
        let started = Instant::now();
        let mut checks = 0u32;
        while started.elapsed() < length {
            let info = tokens.check(&served.token).expect("the token store");
            assert!(info.is_some(), "the bench token was refused");
            checks += 1;
        }
        started.elapsed() / checks.max(1)
    };
    per_check(timing.warm_up);
    Breakdown {
        healthz: Figures::new(latencies, timing.measure),
        token_check: per_check(timing.measure / 4),
    }
}
