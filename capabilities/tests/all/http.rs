//! `http.fetch` end to end: the broker, the allowlist, the address policy, the
//! redirect loop and the reqwest provider against a real HTTP server on
//! 127.0.0.1 (a small one on `std::net`, one thread per connection).
//!
//! Every test checks the audit record its calls leave behind.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine;
use morph_capabilities::HostPattern;
use morph_capabilities::audit::Decision;
use morph_capabilities::providers::{Resolver, SqliteStore};
use morph_capabilities::{CallContext, Permission, Providers, ResourceLimits};
use serde_json::{Value, json};

use crate::support::{Fixture, ctx_with};

const READ: Permission = Permission::HttpRead;
const WRITE: Permission = Permission::HttpWrite;

// ---------------------------------------------------------------- the server

/// A real HTTP/1.1 server on 127.0.0.1 with the routes the tests need.
struct Server {
    port: u16,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                thread::spawn(move || {
                    let _ = serve(stream);
                });
            }
        });
        Server { port }
    }

    /// `127.0.0.1:PORT`, the allowlist entry naming this server.
    fn entry(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let method = request_line.next().unwrap_or("").to_owned();
    let target = request_line.next().unwrap_or("/").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }

    let url = url::Url::parse(&format!("http://server{target}")).unwrap();
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let kb = |default: usize| query.get("kb").map_or(default, |v| v.parse().unwrap());
    match url.path() {
        "/ok" => respond(&mut stream, 200, &[("Content-Type", "text/plain")], b"ok"),
        "/echo" => {
            let echoed = json!({
                "method": method,
                "body": String::from_utf8_lossy(&body),
                "headers": headers.iter().cloned().collect::<HashMap<_, _>>(),
            });
            respond(&mut stream, 200, &[], echoed.to_string().as_bytes())
        }
        "/redirect" => {
            let status = query.get("status").map_or(302, |s| s.parse().unwrap());
            let to = query.get("to").cloned().unwrap_or_default();
            respond(&mut stream, status, &[("Location", &to)], b"")
        }
        "/loop" => respond(&mut stream, 302, &[("Location", "/loop")], b""),
        "/big" => respond(&mut stream, 200, &[], &vec![b'x'; kb(1024) * 1024]),
        "/stream" => {
            // No Content-Length: the body runs until the connection closes.
            stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")?;
            for _ in 0..kb(1024) {
                stream.write_all(&[b'y'; 1024])?;
            }
            Ok(())
        }
        "/slow" => {
            thread::sleep(Duration::from_secs(2));
            respond(&mut stream, 200, &[], b"slow")
        }
        "/binary" => respond(&mut stream, 200, &[], &[0xff, 0xfe, 0x00, 0x80]),
        "/auth" => {
            // 200 only when the request carried `Bearer <expect>`.
            let expected = format!("Bearer {}", query.get("expect").map_or("", String::as_str));
            let carried = headers
                .iter()
                .any(|(k, v)| k == "authorization" && *v == expected);
            respond(&mut stream, if carried { 200 } else { 401 }, &[], b"")
        }
        _ => respond(&mut stream, 404, &[], b"not found"),
    }
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

// ---------------------------------------------------------------- helpers

/// A resolver answering from a fixed map (and failing for other names).
struct MapResolver(HashMap<String, Vec<IpAddr>>);

#[async_trait::async_trait]
impl Resolver for MapResolver {
    async fn resolve(&self, host: &str) -> morph_capabilities::Result<Vec<IpAddr>> {
        self.0.get(host).cloned().ok_or_else(|| {
            morph_capabilities::Error::capability("http.fetch", format!("no such host {host}"))
        })
    }
}

/// A fixture whose resolver maps the given names.
fn fixture_resolving(names: &[(&str, &[&str])]) -> Fixture {
    fixture_with(|p| {
        let map = names
            .iter()
            .map(|(n, ips)| {
                (
                    (*n).to_owned(),
                    ips.iter().map(|i| i.parse().unwrap()).collect(),
                )
            })
            .collect();
        p.resolver = Arc::new(MapResolver(map));
    })
}

fn fixture_with(change: impl FnOnce(&mut Providers)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut providers = Providers::open(dir.path()).unwrap();
    change(&mut providers);
    Fixture::with_providers(dir, providers)
}

fn limits(max_http_requests: u32, max_execution_ms: u64) -> ResourceLimits {
    ResourceLimits {
        max_http_requests,
        max_execution_ms,
        ..ResourceLimits::default()
    }
}

fn ctx(perms: &[Permission], hosts: &[&str]) -> CallContext {
    ctx_with("http-test", perms, hosts, limits(100, 5_000))
}

async fn get(fx: &Fixture, ctx: &CallContext, url: &str) -> morph_capabilities::Result<Value> {
    fx.broker
        .invoke(ctx, "http.fetch", json!({ "url": url }))
        .await
}

/// Asserts the outcome of `result` and of the newest audit record.
fn expect_err(fx: &Fixture, result: morph_capabilities::Result<Value>, code: &str) -> String {
    let err = result.expect_err("the call should fail");
    assert_eq!(err.code().as_str(), code, "{err}");
    let denied = matches!(
        code,
        "invalid_request" | "permission_denied" | "host_not_allowed" | "rate_limited"
    );
    let expected = if denied {
        Decision::Denied
    } else {
        Decision::Allowed
    };
    expect_audit(fx, expected, code);
    err.to_string()
}

fn expect_ok(fx: &Fixture, result: morph_capabilities::Result<Value>) -> Value {
    let value = result.expect("the call should succeed");
    expect_audit(fx, Decision::Allowed, "ok");
    value
}

fn expect_audit(fx: &Fixture, decision: Decision, outcome: &str) {
    let records = fx.audit.records();
    let last = records.last().expect("an audit record");
    assert_eq!(last.entry.capability, "http.fetch");
    assert_eq!(last.entry.decision, decision, "{:?}", last.entry);
    assert_eq!(last.entry.outcome, outcome, "{:?}", last.entry);
}

fn redirect(server: &Server, to: &str, status: u16) -> String {
    let to: String = url::form_urlencoded::byte_serialize(to.as_bytes()).collect();
    server.url(&format!("/redirect?status={status}&to={to}"))
}

fn echoed(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
}

// ---------------------------------------------------------------- permissions

#[tokio::test]
async fn get_with_http_read_to_an_allowlisted_address_succeeds() {
    let server = Server::start();
    let fx = Fixture::new();
    let ctx = ctx(&[READ], &[&server.entry()]);
    let r = expect_ok(&fx, get(&fx, &ctx, &server.url("/ok")).await);
    assert_eq!(r["status"], 200);
    assert_eq!(r["body"], "ok");
    assert_eq!(r["headers"]["content-type"], "text/plain");
    assert!(r.get("body_encoding").is_none());
    assert_eq!(ctx.http_requests(), 1);
}

/// THREATS.md, "Bypassing the broker's checks": HTTP method and permission:
/// `http:read` allows `GET`/`HEAD` only.
#[tokio::test]
async fn post_without_http_write_is_permission_denied() {
    let server = Server::start();
    let fx = Fixture::new();
    let ctx = ctx(&[READ], &[&server.entry()]);
    let req = json!({"method": "post", "url": server.url("/echo"), "body": "x"});
    let msg = expect_err(
        &fx,
        fx.broker.invoke(&ctx, "http.fetch", req).await,
        "permission_denied",
    );
    assert!(msg.contains("http:write"), "{msg}");
    assert_eq!(ctx.http_requests(), 0);
}

#[tokio::test]
async fn get_without_http_read_is_permission_denied() {
    let server = Server::start();
    let fx = Fixture::new();
    let ctx = ctx(&[WRITE], &[&server.entry()]);
    let msg = expect_err(
        &fx,
        get(&fx, &ctx, &server.url("/ok")).await,
        "permission_denied",
    );
    assert!(msg.contains("http:read"), "{msg}");
}

#[tokio::test]
async fn post_with_http_write_sends_method_and_body() {
    let server = Server::start();
    let fx = Fixture::new();
    let ctx = ctx(&[WRITE], &[&server.entry()]);
    let req = json!({
        "method": "post",
        "url": server.url("/echo"),
        "headers": {"X-Trace": "abc", "Content-Type": "text/plain"},
        "body": "aGVsbG8=",
        "body_encoding": "base64",
    });
    let r = expect_ok(&fx, fx.broker.invoke(&ctx, "http.fetch", req).await);
    let e = echoed(&r);
    assert_eq!(e["method"], "POST");
    assert_eq!(e["body"], "hello");
    assert_eq!(e["headers"]["x-trace"], "abc");
}

// ---------------------------------------------------------------- request validation

#[tokio::test]
async fn malformed_requests_are_the_guests_invalid_request() {
    let server = Server::start();
    let fx = Fixture::new();
    let ctx = ctx(&[READ, WRITE], &[&server.entry()]);
    let url = server.url("/ok");
    for req in [
        json!({"url": "not a url"}),
        json!({"url": url, "method": "TRACE"}),
        json!({"url": url, "headers": {"Host": "evil.com"}}),
        json!({"url": url, "headers": {"Transfer-Encoding": "chunked"}}),
        json!({"url": url, "headers": {"X-A": "a\r\nX-Injected: 1"}}),
        json!({"url": url, "headers": {"bad name": "v"}}),
        json!({"url": url, "method": "POST", "body": "!!", "body_encoding": "base64"}),
    ] {
        expect_err(
            &fx,
            fx.broker.invoke(&ctx, "http.fetch", req.clone()).await,
            "invalid_request",
        );
    }
    assert_eq!(ctx.http_requests(), 0);
}

// ---------------------------------------------------------------- allowlist

#[tokio::test]
async fn host_not_in_allowlist_is_refused() {
    let server = Server::start();
    let fx = Fixture::new();
    let ctx = ctx(&[READ], &["example.com"]);
    let msg = expect_err(
        &fx,
        get(&fx, &ctx, &server.url("/ok")).await,
        "host_not_allowed",
    );
    assert!(msg.contains("127.0.0.1"), "{msg}");
    assert_eq!(ctx.http_requests(), 0);
}

/// THREATS.md, "Bypassing the broker's checks": HTTP allowlist, a wrong port is
/// denied.
#[tokio::test]
async fn allowlisted_address_on_another_port_is_refused() {
    let server = Server::start();
    let fx = Fixture::new();
    let ctx = ctx(&[READ], &[&server.entry()]);
    let other = server.port.wrapping_add(1).max(1);
    let url = format!("http://127.0.0.1:{other}/ok");
    expect_err(&fx, get(&fx, &ctx, &url).await, "host_not_allowed");
}

/// THREATS.md, "Bypassing the broker's checks": HTTP allowlist, never matched
/// by substring: `a.com.evil.com`, `evila.com`, `a.com@evil.com`, backslashes,
/// look-alike Unicode, wrong scheme or port are denied.
#[tokio::test]
async fn allowlist_pitfalls_of_the_url_parser_are_refused() {
    let server = Server::start();
    let port = server.port;
    let fx = Fixture::new();
    let allowed_test = format!("allowed.test:{port}");
    let ctx = ctx(&[READ], &["allowed.com", &allowed_test]);
    for url in [
        "http://allowed.com.evil.com/".to_owned(),
        "http://evil-allowed.com/".to_owned(),
        "http://evilallowed.com/".to_owned(),
        "http://allowed.com@evil.com/".to_owned(),
        "http://user:pw@allowed.com/".to_owned(),
        "http://evil.com\\@allowed.com/".to_owned(),
        "http://evil.com\\allowed.com/".to_owned(),
        "http://\u{430}llowed.com/".to_owned(), // Cyrillic "а"
        "http://allowed.com:8080/".to_owned(),
        "https://allowed.com:80/".to_owned(),
        "ftp://allowed.com/".to_owned(),
        "file:///etc/passwd".to_owned(),
        format!("http://2130706433:{port}/ok"),
        format!("http://0x7f000001:{port}/ok"),
        format!("http://[::ffff:127.0.0.1]:{port}/ok"),
        format!("http://[::1]:{port}/ok"),
        format!("http://localhost:{port}/ok"),
    ] {
        let msg = expect_err(&fx, get(&fx, &ctx, &url).await, "host_not_allowed");
        assert!(!msg.is_empty(), "{url}");
    }
    assert_eq!(ctx.http_requests(), 0);
}

#[tokio::test]
async fn numeric_ipv4_notations_match_the_literal_entry_and_mapped_v6_does_not() {
    let server = Server::start();
    let port = server.port;
    let fx = Fixture::new();
    let ctx = ctx(&[READ], &[&server.entry()]);
    for url in [
        format!("http://2130706433:{port}/ok"),
        format!("http://0x7f000001:{port}/ok"),
        format!("http://0177.0.0.1:{port}/ok"),
        format!("http://127.1:{port}/ok"),
    ] {
        let r = expect_ok(&fx, get(&fx, &ctx, &url).await);
        assert_eq!(r["body"], "ok", "{url}");
    }
    let url = format!("http://[::ffff:127.0.0.1]:{port}/ok");
    expect_err(&fx, get(&fx, &ctx, &url).await, "host_not_allowed");
    let url = format!("ftp://127.0.0.1:{port}/ok");
    expect_err(&fx, get(&fx, &ctx, &url).await, "host_not_allowed");
}

// ---------------------------------------------------------------- address policy

/// THREATS.md, "Bypassing the broker's checks": HTTP allowlist, DNS rebinding:
/// the check runs on the resolved address.
#[tokio::test]
async fn domain_resolving_to_loopback_is_refused_dns_rebinding() {
    let server = Server::start();
    let port = server.port;
    let fx = fixture_resolving(&[
        ("allowed.test", &["127.0.0.1"]),
        ("mixed.test", &["93.184.216.34", "10.0.0.7"]),
        ("mapped.test", &["::ffff:127.0.0.1"]),
    ]);
    let hosts = [
        format!("allowed.test:{port}"),
        format!("mixed.test:{port}"),
        format!("mapped.test:{port}"),
    ];
    let ctx = ctx(
        &[READ],
        &hosts.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let msg = expect_err(
        &fx,
        get(&fx, &ctx, &format!("http://allowed.test:{port}/ok")).await,
        "host_not_allowed",
    );
    assert!(msg.contains("resolves to 127.0.0.1"), "{msg}");
    let msg = expect_err(
        &fx,
        get(&fx, &ctx, &format!("http://mixed.test:{port}/ok")).await,
        "host_not_allowed",
    );
    assert!(msg.contains("10.0.0.7"), "{msg}");
    expect_err(
        &fx,
        get(&fx, &ctx, &format!("http://MAPPED.test.:{port}/ok")).await,
        "host_not_allowed",
    );
}

/// THREATS.md, "Bypassing the broker's checks": HTTP allowlist, DNS rebinding:
/// the connection uses the address that was checked.
#[tokio::test]
async fn domain_resolving_to_a_named_address_connects_to_exactly_that_address() {
    let server = Server::start();
    let port = server.port;
    // The system resolver does not know `allowed.test`: success proves the
    // connection used the address the broker resolved and checked.
    let fx = fixture_resolving(&[("allowed.test", &["127.0.0.1"])]);
    let allowed = format!("allowed.test:{port}");
    let ctx = ctx(&[READ], &[&allowed, &server.entry()]);
    let r = expect_ok(
        &fx,
        get(&fx, &ctx, &format!("http://allowed.test:{port}/echo")).await,
    );
    assert_eq!(
        echoed(&r)["headers"]["host"],
        format!("allowed.test:{port}")
    );
}

// ---------------------------------------------------------------- redirects

/// THREATS.md, "Bypassing the broker's checks": HTTP allowlist, every redirect
/// hop is re-checked and counted.
#[tokio::test]
async fn redirect_to_a_host_not_allowed_is_refused() {
    let server = Server::start();
    let fx = Fixture::new();
    let ctx = ctx(&[READ], &[&server.entry()]);
    let url = redirect(&server, "http://evil.example/", 302);
    let msg = expect_err(&fx, get(&fx, &ctx, &url).await, "host_not_allowed");
    assert!(msg.contains("evil.example"), "{msg}");
    assert_eq!(ctx.http_requests(), 1);
    // A redirect to the same address on another port is just as foreign.
    let other = format!("http://127.0.0.1:{}/ok", server.port.wrapping_add(1).max(1));
    let url = redirect(&server, &other, 307);
    expect_err(&fx, get(&fx, &ctx, &url).await, "host_not_allowed");
}

/// THREATS.md, "Bypassing the broker's checks": HTTP allowlist, every redirect
/// hop is re-checked and counted.
#[tokio::test]
async fn redirect_within_the_allowlist_is_followed_and_counted() {
    let server = Server::start();
    let fx = Fixture::new();
    let url = redirect(&server, "/ok", 302);

    let ctx2 = ctx_with("http-test", &[READ], &[&server.entry()], limits(2, 5_000));
    let r = expect_ok(&fx, get(&fx, &ctx2, &url).await);
    assert_eq!(
        (r["status"].as_u64(), r["body"].as_str()),
        (Some(200), Some("ok"))
    );
    assert_eq!(ctx2.http_requests(), 2);

    let ctx1 = ctx_with("http-test", &[READ], &[&server.entry()], limits(1, 5_000));
    expect_err(&fx, get(&fx, &ctx1, &url).await, "rate_limited");
    assert_eq!(ctx1.http_requests(), 1);
}

#[tokio::test]
async fn redirects_change_method_and_body_by_status() {
    let server = Server::start();
    let fx = Fixture::new();
    let ctx = ctx(&[READ, WRITE], &[&server.entry()]);
    for (status, method, body) in [
        (301, "GET", ""),
        (302, "GET", ""),
        (303, "GET", ""),
        (307, "POST", "hello"),
        (308, "POST", "hello"),
    ] {
        let req = json!({
            "method": "POST",
            "url": redirect(&server, "/echo", status),
            "headers": {"content-type": "text/plain"},
            "body": "hello",
        });
        let r = expect_ok(&fx, fx.broker.invoke(&ctx, "http.fetch", req).await);
        let e = echoed(&r);
        assert_eq!(
            (e["method"].as_str(), e["body"].as_str()),
            (Some(method), Some(body)),
            "{status}"
        );
        assert_eq!(
            e["headers"].get("content-type").is_some(),
            method == "POST",
            "{status}"
        );
    }
}

#[tokio::test]
async fn credentials_are_dropped_when_a_redirect_leaves_the_origin() {
    let server = Server::start();
    let port = server.port;
    let fx = fixture_resolving(&[("other.test", &["127.0.0.1"])]);
    let other = format!("other.test:{port}");
    let ctx = ctx(&[READ], &[&server.entry(), &other]);
    let headers = json!({"Authorization": "Bearer s3cret", "Cookie": "sid=1", "X-Keep": "1"});

    let cross = redirect(&server, &format!("http://other.test:{port}/echo"), 302);
    let r = expect_ok(
        &fx,
        fx.broker
            .invoke(
                &ctx,
                "http.fetch",
                json!({"url": cross, "headers": headers}),
            )
            .await,
    );
    let h = &echoed(&r)["headers"];
    assert!(
        h.get("authorization").is_none() && h.get("cookie").is_none(),
        "{h}"
    );
    assert_eq!(h["x-keep"], "1");

    let same = redirect(&server, "/echo", 302);
    let r = expect_ok(
        &fx,
        fx.broker
            .invoke(&ctx, "http.fetch", json!({"url": same, "headers": headers}))
            .await,
    );
    assert_eq!(echoed(&r)["headers"]["authorization"], "Bearer s3cret");
}

#[tokio::test]
async fn too_many_redirects_fail_after_ten() {
    let server = Server::start();
    let fx = Fixture::new();
    let ctx = ctx(&[READ], &[&server.entry()]);
    let msg = expect_err(
        &fx,
        get(&fx, &ctx, &server.url("/loop")).await,
        "capability_failed",
    );
    assert!(msg.contains("redirects"), "{msg}");
    assert_eq!(ctx.http_requests(), 11);
}

// ---------------------------------------------------------------- limits

#[tokio::test]
async fn request_budget_exhausted_is_rate_limited() {
    let server = Server::start();
    let fx = Fixture::new();
    let ctx = ctx_with("http-test", &[READ], &[&server.entry()], limits(2, 5_000));
    for _ in 0..2 {
        expect_ok(&fx, get(&fx, &ctx, &server.url("/ok")).await);
    }
    expect_err(
        &fx,
        get(&fx, &ctx, &server.url("/ok")).await,
        "rate_limited",
    );
    // Each request sent an intent and an outcome; the refused one a record.
    assert_eq!(fx.audit.records().len(), 2 * 2 + 1);
}

#[tokio::test]
async fn response_body_over_the_cap_fails() {
    let server = Server::start();
    let fx = fixture_with(|p| p.http_max_body_bytes = 4096);
    let ctx = ctx(&[READ], &[&server.entry()]);
    // Announced with Content-Length.
    let msg = expect_err(
        &fx,
        get(&fx, &ctx, &server.url("/big?kb=8")).await,
        "capability_failed",
    );
    assert!(msg.contains("4096"), "{msg}");
    // Streamed without a length.
    expect_err(
        &fx,
        get(&fx, &ctx, &server.url("/stream?kb=64")).await,
        "capability_failed",
    );
    // Exactly at the cap is fine.
    let r = expect_ok(&fx, get(&fx, &ctx, &server.url("/big?kb=4")).await);
    assert_eq!(r["body"].as_str().map(str::len), Some(4096));
    let r = expect_ok(&fx, get(&fx, &ctx, &server.url("/stream?kb=4")).await);
    assert_eq!(r["body"].as_str().map(str::len), Some(4096));
}

/// THREATS.md, "Exhausting the host": time spent inside host calls counts
/// toward the deadline.
#[tokio::test]
async fn deadline_during_a_slow_response_is_a_timeout() {
    let server = Server::start();
    let fx = Fixture::new();
    let ctx = ctx_with("http-test", &[READ], &[&server.entry()], limits(100, 300));
    let started = Instant::now();
    expect_err(&fx, get(&fx, &ctx, &server.url("/slow")).await, "timeout");
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn binary_body_comes_back_as_base64() {
    let server = Server::start();
    let fx = Fixture::new();
    let ctx = ctx(&[READ], &[&server.entry()]);
    let r = expect_ok(&fx, get(&fx, &ctx, &server.url("/binary")).await);
    assert_eq!(r["body"], "//4AgA==");
    assert_eq!(r["body_encoding"], "base64");
}

#[tokio::test]
async fn unreachable_allowed_host_fails_without_leaking_the_query() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let fx = Fixture::new();
    let entry = format!("127.0.0.1:{port}");
    let ctx = ctx(&[READ], &[&entry]);
    let url = format!("http://127.0.0.1:{port}/x?token=s3cret");
    let msg = expect_err(&fx, get(&fx, &ctx, &url).await, "capability_failed");
    assert!(!msg.contains("s3cret"), "{msg}");
    let reason = fx
        .audit
        .records()
        .last()
        .unwrap()
        .entry
        .reason
        .clone()
        .unwrap();
    assert!(!reason.contains("s3cret"), "{reason}");
}

// ---------------------------------------------------------------- vault values bound to hosts

const BOUND_VALUE: &str = "tok-7Hq2vX9pLm4Rz8Kw";

/// A fixture whose vault holds `token` = [`BOUND_VALUE`] bound to `bound_to`.
async fn fixture_with_bound_token(bound_to: &str) -> Fixture {
    let fx = fixture_with(|_| {});
    let store = SqliteStore::open_in(fx.dir.path()).unwrap();
    store
        .vault_set_bound(
            "http-test",
            "token",
            BOUND_VALUE,
            Some(vec![HostPattern::parse(bound_to).unwrap()]),
        )
        .await
        .unwrap();
    fx
}

/// THREATS.md, "Bypassing the broker's checks": secrets never reach another
/// host. A value bound to one host is refused for every other allowed host,
/// plain or encoded, in the URL, a header or the body; the refusal is
/// audited and never shows the value.
#[tokio::test]
async fn a_bound_secret_reaches_its_host_and_no_other_in_any_encoding() {
    let (bound, other) = (Server::start(), Server::start());
    let fx = fixture_with_bound_token(&bound.entry()).await;
    let ctx = ctx(&[READ, WRITE], &[&bound.entry(), &other.entry()]);
    let fetch = |url: String, headers: Value, body: Option<String>| {
        let mut request = json!({"method": "POST", "url": url, "headers": headers});
        if let Some(body) = body {
            request["body"] = json!(body);
        }
        fx.broker.invoke(&ctx, "http.fetch", request)
    };
    let bearer = json!({"Authorization": format!("Bearer {BOUND_VALUE}")});
    let r = expect_ok(&fx, fetch(bound.url("/echo"), bearer.clone(), None).await);
    assert_eq!(r["status"], 200);

    let percent: String = BOUND_VALUE.bytes().map(|b| format!("%{b:02X}")).collect();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("me:{BOUND_VALUE}"));
    let attempts = [
        (other.url("/echo"), bearer, None),
        (
            other.url(&format!("/echo?k={BOUND_VALUE}")),
            json!({}),
            None,
        ),
        (other.url(&format!("/echo?k={percent}")), json!({}), None),
        (
            other.url("/echo"),
            json!({"Authorization": format!("Basic {basic}")}),
            None,
        ),
        (
            other.url("/echo"),
            json!({}),
            Some(hex::encode(BOUND_VALUE)),
        ),
        (
            other.url("/echo"),
            json!({}),
            Some(format!("{{\"t\":\"{BOUND_VALUE}\"}}")),
        ),
    ];
    for (url, headers, body) in attempts {
        let message = expect_err(&fx, fetch(url, headers, body).await, "permission_denied");
        assert!(message.contains("`token` is bound to"), "{message}");
        assert!(!message.contains(BOUND_VALUE), "{message}");
        let last = fx.audit.records().last().unwrap().entry.clone();
        assert!(!format!("{last:?}").contains(BOUND_VALUE));
    }
    // A host name made of the value is refused before any DNS query, and
    // neither the message nor the audit names it.
    let fx_dns = fixture_resolving(&[]);
    let store = SqliteStore::open_in(fx_dns.dir.path()).unwrap();
    store
        .vault_set_bound(
            "http-test",
            "token",
            BOUND_VALUE,
            Some(vec![HostPattern::parse(&bound.entry()).unwrap()]),
        )
        .await
        .unwrap();
    let wildcard = ctx_with("http-test", &[READ], &["*.evil.test"], limits(10, 5_000));
    let url = format!("http://{}.evil.test/", BOUND_VALUE.to_ascii_lowercase());
    let message = expect_err(
        &fx_dns,
        get(&fx_dns, &wildcard, &url).await,
        "permission_denied",
    );
    assert!(
        !message
            .to_ascii_lowercase()
            .contains(&BOUND_VALUE.to_ascii_lowercase())
    );
}

/// The broker fills `{{vault:KEY}}` in for the bound host: the guest holds no
/// `vault:read`, the server receives the value, the guest's response shows
/// the placeholder, and the value goes nowhere else.
/// THREATS.md, "Bypassing the broker's checks": secrets never reach another
/// host, nor the guest that uses them.
#[tokio::test]
async fn a_header_placeholder_is_filled_for_the_bound_host_only_and_never_shown() {
    let (bound, other) = (Server::start(), Server::start());
    let fx = fixture_with_bound_token(&bound.entry()).await;
    let ctx = ctx(&[READ], &[&bound.entry(), &other.entry()]);
    let with = |url: String, headers: Value| {
        fx.broker
            .invoke(&ctx, "http.fetch", json!({"url": url, "headers": headers}))
    };
    let placeholder = json!({"Authorization": "Bearer {{vault:token}}"});
    let r = expect_ok(
        &fx,
        with(
            bound.url(&format!("/auth?expect={BOUND_VALUE}")),
            placeholder.clone(),
        )
        .await,
    );
    assert_eq!(r["status"], 200, "the server received the value");
    let r = expect_ok(&fx, with(bound.url("/echo"), placeholder.clone()).await);
    assert_eq!(
        echoed(&r)["headers"]["authorization"],
        "Bearer {{vault:token}}"
    );
    assert!(!r.to_string().contains(BOUND_VALUE), "echoed back unseen");

    let message = expect_err(
        &fx,
        with(other.url("/echo"), placeholder).await,
        "permission_denied",
    );
    assert!(message.contains("`token` is bound to"), "{message}");
    let unbound = json!({"X-Key": "{{vault:missing}}"});
    let message = expect_err(
        &fx,
        with(bound.url("/echo"), unbound).await,
        "permission_denied",
    );
    assert!(message.contains("not set or not bound"), "{message}");

    // A redirect to another host drops the header it would have filled.
    let hop = redirect(&bound, &other.url("/echo"), 307);
    let r = expect_ok(&fx, with(hop, json!({"X-Key": "{{vault:token}}"})).await);
    assert!(echoed(&r)["headers"].get("x-key").is_none(), "{r}");
}

/// THREATS.md, "Bypassing the broker's checks" (issue 26, point 5):
/// `http:read` is read-only. A GET or HEAD that asks the server to treat it
/// as another method (override headers in any case, `_method` in a form body
/// or the query) needs `http:write`.
#[tokio::test]
async fn a_read_carrying_a_method_override_needs_http_write() {
    let server = Server::start();
    let fx = fixture_with(|_| {});
    let read_only = ctx(&[READ], &[&server.entry()]);
    let cases = [
        json!({"url": server.url("/echo"), "headers": {"X-HTTP-Method-Override": "DELETE"}}),
        json!({"url": server.url("/echo"), "headers": {"x-http-method": "DELETE"}}),
        json!({"url": server.url("/echo"), "method": "HEAD", "headers": {"X-Method-Override": "PUT"}}),
        json!({"url": server.url("/echo"), "body": "_method=DELETE"}),
        json!({"url": server.url("/echo?_method=DELETE")}),
    ];
    for request in &cases {
        let result = fx
            .broker
            .invoke(&read_only, "http.fetch", request.clone())
            .await;
        let message = expect_err(&fx, result, "permission_denied");
        assert!(message.contains("http:write"), "{message}");
    }
    let read_write = ctx(&[READ, WRITE], &[&server.entry()]);
    let r = expect_ok(
        &fx,
        fx.broker
            .invoke(&read_write, "http.fetch", cases[0].clone())
            .await,
    );
    assert_eq!(echoed(&r)["headers"]["x-http-method-override"], "DELETE");
    let plain = json!({"url": server.url("/echo?method=x"), "headers": {"X-Other": "1"}});
    expect_ok(&fx, fx.broker.invoke(&read_only, "http.fetch", plain).await);
}
