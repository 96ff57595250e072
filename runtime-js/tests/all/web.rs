//! The web platform globals (issue 29 point 1) through the real host: the
//! global object holds exactly the documented list, Annex B works, `console`
//! reaches the `log` capability, timers run inside the call's deadline,
//! `fetch` is one `http.fetch` capability call, `crypto` and `performance`
//! behave; and hostile uses end in a limit, never a host crash.

use std::time::{Duration, Instant};

use morph_runtime_core::capabilities::audit::Phase;
use morph_testkit::{PackageSpec, Reply, TestHost, TestServer};
use serde_json::{Value, json};

/// The manifest's `actions:` block of every snippet package.
const ACTIONS: &str = "actions:\n  - {name: run, description: Runs the snippet, parameters: [{name: n, type: any}]}\n";

/// A host with one package whose `execute` is `body` (an async function
/// body that sees `params`).
pub(crate) struct Snippet {
    pub th: TestHost,
    pub id: String,
}

#[derive(Default)]
pub(crate) struct SnippetOptions<'a> {
    pub limits: &'a str,
    pub permissions: &'a [&'a str],
    pub allowed_hosts: &'a [&'a str],
    pub top_level: &'a str,
}

pub(crate) async fn snippet(body: &str, opts: SnippetOptions<'_>) -> Snippet {
    let code = format!(
        "{}\nexport async function execute(action, params) {{\n{body}\n}}\n",
        opts.top_level
    );
    let th = crate::support::test_host(None);
    let spec = PackageSpec::new("web-snippet", "js", "index.js", code, ACTIONS)
        .permissions(opts.permissions)
        .allowed_hosts(opts.allowed_hosts)
        .limits(opts.limits);
    let id = th.load(&spec, json!({})).await.unwrap();
    Snippet { th, id }
}

impl Snippet {
    pub async fn run(&self) -> morph_runtime_core::Result<Value> {
        self.th.run(&self.id, "run", json!({})).await
    }

    pub async fn ok(&self) -> Value {
        match self.run().await {
            Ok(v) => v,
            Err(e) => panic!("the snippet failed ({}): {e}", e.code().as_str()),
        }
    }

    pub async fn code(&self) -> String {
        self.th.code(&self.id, "run", json!({})).await
    }

    /// The call's result and the (level, message) lines it logged.
    pub async fn traced(&self) -> (morph_runtime_core::Result<Value>, Vec<(String, String)>) {
        let ex = self
            .th
            .host
            .execute_traced(&self.id, "run", json!({}))
            .await;
        let logs = ex.logs.into_iter().map(|l| (l.level, l.message)).collect();
        (ex.result, logs)
    }
}

async fn eval(body: &str) -> Value {
    snippet(body, SnippetOptions::default()).await.ok().await
}

/// A snippet package with `limits` only.
async fn limited(body: &str, limits: &str) -> Snippet {
    snippet(
        body,
        SnippetOptions {
            limits,
            ..SnippetOptions::default()
        },
    )
    .await
}

/// THREATS.md, "Guests reaching the host without the broker": JS, only
/// documented globals exist (`globalThis` against `GLOBALS`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_object_holds_exactly_the_documented_list() {
    let v = eval("return Object.getOwnPropertyNames(globalThis).sort();").await;
    let actual: Vec<String> = serde_json::from_value(v).unwrap();
    let mut expected: Vec<String> = morph_runtime_js::GLOBALS
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    expected.sort();
    let extra: Vec<&String> = actual.iter().filter(|n| !expected.contains(n)).collect();
    let missing: Vec<&String> = expected.iter().filter(|n| !actual.contains(n)).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "globalThis differs from web::GLOBALS\n  not documented: {extra:?}\n  missing: {missing:?}\n  actual: {actual:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annex_b_is_enabled() {
    let v = eval(
        r#"
        const o = { __proto__: { inherited: 1 } };
        /(a)(b)/.test('xab');
        return [escape('a b+ü'), unescape('%u00FC'), 'abcdef'.substr(1, 3),
                o.inherited, typeof RegExp.prototype.compile, 'x'.anchor('y'),
                typeof Object.prototype.__defineGetter__];
        "#,
    )
    .await;
    assert_eq!(
        v,
        json!([
            "a%20b+%FC",
            "ü",
            "bcd",
            1,
            "function",
            "<a name=\"y\">x</a>",
            "function"
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_lines_go_to_the_log_capability_with_their_level() {
    let s = snippet(
        r#"
        console.log('hello %s, %d items', 'world', 3, { a: [1, 2, { b: 'c' }] });
        console.info('info'); console.debug('debug');
        console.warn('warn'); console.error(new Map([['k', 1]]));
        console.assert(1 === 2, 'broken'); console.assert(true, 'fine');
        console.count(); console.count(); console.count('x');
        console.table([{ a: 1 }]);
        return 'done';
        "#,
        SnippetOptions {
            top_level: "console.log('at load');",
            ..SnippetOptions::default()
        },
    )
    .await;
    let (result, logs) = s.traced().await;
    assert_eq!(result.unwrap(), json!("done"));
    let expect = |l: &str, m: &str| (l.to_owned(), m.to_owned());
    assert_eq!(
        logs,
        vec![
            expect("info", "hello world, 3 items { a: [ 1, 2, { b: 'c' } ] }"),
            expect("info", "info"),
            expect("debug", "debug"),
            expect("warn", "warn"),
            expect("error", "Map(1) { 'k' => 1 }"),
            expect("error", "Assertion failed: broken"),
            expect("info", "default: 1"),
            expect("info", "default: 2"),
            expect("info", "x: 1"),
            expect(
                "info",
                "┌─────────┬───┐\n│ (index) │ a │\n├─────────┼───┤\n│ 0       │ 1 │\n└─────────┴───┘"
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_output_counts_against_max_output_kb() {
    let s = limited(
        "for (let i = 0; i < 1000; i++) console.log('x'.repeat(100)); return 1;",
        "max_output_kb: 8",
    )
    .await;
    assert_eq!(s.code().await, "output_too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reentrant_console_call_does_not_panic() {
    // boa_runtime's console borrows its state across guest `toString`.
    let v = eval(
        r#"
        const label = { toString() { console.count('inner'); console.time('t'); return 'outer'; } };
        console.count(label);
        console.log('%s', { toString() { console.timeEnd('t'); return 'x'; } });
        return 'ok';
        "#,
    )
    .await;
    assert_eq!(v, json!("ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_fire_in_order_after_their_delay() {
    let v = eval(
        r#"
        const order = [];
        const t0 = performance.now();
        const elapsed = await new Promise((resolve) => {
          setTimeout(() => order.push('b'), 20);
          setTimeout((x) => order.push(x), 5, 'a');
          const cancelled = setTimeout(() => order.push('never'), 1);
          clearTimeout(cancelled);
          queueMicrotask(() => order.push('micro'));
          let n = 0;
          const id = setInterval(() => { order.push('i' + ++n); if (n === 3) clearInterval(id); }, 10);
          setTimeout(() => resolve(performance.now() - t0), 50);
        });
        return { order, waited: elapsed >= 50 };
        "#,
    )
    .await;
    assert_eq!(
        v,
        json!({"order": ["micro", "a", "i1", "b", "i2", "i3"], "waited": true})
    );
}

/// THREATS.md, "Exhausting the host": work after return (timers) runs inside
/// the budget or not at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_pending_when_the_call_ends_are_dropped() {
    let s = snippet(
        r#"
        globalThis.fired ??= 0;
        if (globalThis.armed) {
          await new Promise((r) => setTimeout(r, 30));
          return globalThis.fired;
        }
        globalThis.armed = true;
        setTimeout(() => { globalThis.fired++; }, 1);
        return 'armed';
        "#,
        SnippetOptions::default(),
    )
    .await;
    assert_eq!(s.ok().await, json!("armed"));
    assert_eq!(s.ok().await, json!(0), "a timer of an ended call fired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_set_interval_forever_ends_in_timeout() {
    let s = limited(
        "await new Promise(() => setInterval(() => {}, 0));",
        "max_execution_ms: 300",
    )
    .await;
    let t = Instant::now();
    assert_eq!(s.code().await, "timeout");
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timer_past_the_deadline_ends_in_timeout_without_sleeping_past_it() {
    let s = limited(
        "await new Promise((r) => setTimeout(r, 60000)); return 'late';",
        "max_execution_ms: 300",
    )
    .await;
    let t = Instant::now();
    assert_eq!(s.code().await, "timeout");
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "slept past the deadline"
    );
}

/// THREATS.md, "Exhausting the host": work after return (promise jobs) runs
/// inside the budget or not at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microtasks_forever_end_in_timeout() {
    let s = limited(
        "await new Promise(() => { const again = () => queueMicrotask(again); again(); });",
        "max_execution_ms: 300",
    )
    .await;
    assert_eq!(s.code().await, "timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crypto_digests_and_random_values() {
    let v = eval(
        r#"
        const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
        const data = new TextEncoder().encode('abc');
        const out = {};
        for (const alg of ['SHA-1', 'SHA-256', 'sha-384', { name: 'SHA-512' }]) {
          out[alg.name ?? alg] = hex(await crypto.subtle.digest(alg, data)).slice(0, 16);
        }
        const r = crypto.getRandomValues(new Uint32Array(4));
        let quota, mismatch, unknown;
        try { crypto.getRandomValues(new Uint8Array(65537)); } catch (e) { quota = e.name; }
        try { crypto.getRandomValues(new Float64Array(1)); } catch (e) { mismatch = e.name; }
        try { await crypto.subtle.digest('MD5', data); } catch (e) { unknown = e.name; }
        const uuid = crypto.randomUUID();
        return { out, nonzero: r.some((x) => x !== 0), quota, mismatch, unknown,
                 uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid),
                 full: crypto.getRandomValues(new Uint8Array(65536)).length };
        "#,
    )
    .await;
    assert_eq!(
        v,
        json!({
            "out": {"SHA-1": "a9993e364706816a", "SHA-256": "ba7816bf8f01cfea",
                    "sha-384": "cb00753f45a35e8b", "SHA-512": "ddaf35a193617aba"},
            "nonzero": true, "quota": "QuotaExceededError", "mismatch": "TypeMismatchError",
            "unknown": "NotSupportedError", "uuid": true, "full": 65536
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deeply_nested_structured_clone_does_not_crash_the_host() {
    let s = snippet(
        r#"
        let v = [];
        for (let i = 0; i < 200000; i++) v = [v];
        try { structuredClone(v); return 'cloned'; } catch (e) { return 'caught ' + e.name; }
        "#,
        SnippetOptions::default(),
    )
    .await;
    match s.run().await {
        Ok(v) => assert!(v.as_str().is_some_and(|t| t.starts_with("caught")), "{v}"),
        Err(e) => assert_eq!(e.code().as_str(), "stack_overflow", "{e}"),
    }
    // The host still serves.
    let again = snippet(
        "return structuredClone({ a: [1, new Map([[1, 2]])] }).a[0];",
        SnippetOptions::default(),
    )
    .await;
    assert_eq!(again.ok().await, json!(1));
}

/// A limit, not a crash: each of `bodies` ends in one of `codes`.
async fn ends_in_a_limit(body: &str, codes: &[&str]) {
    let s = limited(body, "max_memory_mb: 64\n    max_execution_ms: 5000").await;
    let code = s.code().await;
    assert!(codes.contains(&code.as_str()), "{body}: ended in {code}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_inputs_to_clone_decode_and_atob_end_in_a_limit() {
    let limits = ["memory_limit", "output_too_large", "timeout"];
    ends_in_a_limit(
        "const a = []; for (let i = 0; i < 1e8; i++) a.push({ i }); return structuredClone(a).length;",
        &limits,
    )
    .await;
    ends_in_a_limit(
        "const parts = []; for (let i = 0; i < 1e6; i++) parts.push(new TextDecoder().decode(new Uint8Array(60000).fill(65))); return parts.length;",
        &limits,
    )
    .await;
    ends_in_a_limit(
        "const s = btoa('x'.repeat(3 << 20)); const out = []; for (;;) out.push(atob(s));",
        &limits,
    )
    .await;
    ends_in_a_limit(
        "const b = new Uint8Array(48 << 20).fill(97); const s = new TextDecoder().decode(b); return s + s;",
        &limits,
    )
    .await;
}

/// The test server: echoes the request (method, path, body as bytes, a
/// header) as JSON, or answers binary bytes on `/binary`.
pub(crate) fn echo_server() -> TestServer {
    TestServer::start(|seen| {
        if seen.path == "/binary" {
            return Reply {
                status: 200,
                headers: vec![("content-type".into(), "application/octet-stream".into())],
                body: vec![0, 1, 2, 254, 255],
            };
        }
        Reply::json(
            if seen.path == "/missing" { 404 } else { 200 },
            &json!({
                "method": seen.method,
                "path": seen.path,
                "body": seen.body,
                "x-test": seen.header("x-test"),
                "content-type": seen.header("content-type"),
            }),
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_is_one_http_fetch_capability_call() {
    let server = echo_server();
    let host = server.host();
    let body = format!(
        r#"
        const base = 'http://{host}';
        const r = await fetch(base + '/echo?q=1', {{ method: 'post', headers: {{ 'X-Test': 'yes' }}, body: 'hi' }});
        const j = await r.json();
        const bin = await fetch(new Request(base + '/binary'));
        const bytes = [...new Uint8Array(await bin.arrayBuffer())];
        const sent = await (await fetch(base + '/echo', {{ method: 'PUT', body: new Uint8Array([104, 105]) }})).json();
        const missing = await fetch(base + '/missing');
        return {{ status: r.status, ok: r.ok, type: r.headers.get('content-type'), j, bytes,
                 sent: sent.body, missing: [missing.status, missing.ok, missing.statusText] }};
        "#
    );
    let s = snippet(
        &body,
        SnippetOptions {
            permissions: &["http:read", "http:write"],
            allowed_hosts: &[host.as_str()],
            ..SnippetOptions::default()
        },
    )
    .await;
    let (result, _) = s.traced().await;
    assert_eq!(
        result.unwrap(),
        json!({
            "status": 200, "ok": true, "type": "application/json",
            "j": {"method": "POST", "path": "/echo?q=1", "body": "hi", "x-test": "yes",
                  "content-type": "text/plain;charset=UTF-8"},
            "bytes": [0, 1, 2, 254, 255],
            "sent": "hi",
            "missing": [404, false, "Not Found"]
        })
    );
    let fetches = s
        .th
        .audit_of(&s.id)
        .into_iter()
        .filter(|r| {
            r.entry.capability == "http.fetch" && r.entry.phase.is_none_or(|p| p == Phase::Outcome)
        })
        .count();
    assert_eq!(fetches, 4, "one outcome per request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_fetch_rejects_with_a_type_error_carrying_its_code() {
    let server = echo_server();
    let url = server.url("/echo");
    let s = snippet(
        &format!(
            r#"
            try {{ await fetch('{url}'); return 'fetched'; }}
            catch (e) {{ return [e instanceof TypeError, e.code, e.capability]; }}
            "#
        ),
        SnippetOptions::default(),
    )
    .await;
    assert_eq!(
        s.ok().await,
        json!([true, "permission_denied", "http.fetch"])
    );
    // Uncaught, the call ends with the capability's own code.
    let s = snippet(&format!("await fetch('{url}');"), SnippetOptions::default()).await;
    assert_eq!(s.code().await, "permission_denied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_counts_against_max_http_requests_and_honours_abort() {
    let server = echo_server();
    let host = server.host();
    let s = snippet(
        &format!(
            r#"
            const url = 'http://{host}/echo';
            const aborted = AbortSignal.abort();
            let abortName;
            try {{ await fetch(url, {{ signal: aborted }}); }} catch (e) {{ abortName = e.name; }}
            const codes = [];
            for (let i = 0; i < 3; i++) {{
              try {{ await fetch(url); codes.push('ok'); }} catch (e) {{ codes.push(e.code); }}
            }}
            return {{ abortName, codes }};
            "#
        ),
        SnippetOptions {
            permissions: &["http:read"],
            allowed_hosts: &[host.as_str()],
            limits: "max_http_requests: 2",
            ..SnippetOptions::default()
        },
    )
    .await;
    assert_eq!(
        s.ok().await,
        json!({"abortName": "AbortError", "codes": ["ok", "ok", "rate_limited"]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_abort_signals_and_url_search_params() {
    let v = eval(
        r#"
        const seen = [];
        const t = new EventTarget();
        const f = (e) => seen.push(e.type + ':' + (e.target === t));
        t.addEventListener('ping', f, { once: true });
        t.dispatchEvent(new Event('ping'));
        t.dispatchEvent(new Event('ping'));
        t.addEventListener('c', (e) => seen.push(e.detail));
        t.dispatchEvent(new CustomEvent('c', { detail: 42 }));
        const c = new AbortController();
        c.signal.onabort = () => seen.push('onabort');
        c.signal.addEventListener('abort', () => seen.push('listener'));
        c.abort();
        const timeout = await new Promise((r) => {
          const s = AbortSignal.timeout(5);
          s.addEventListener('abort', () => r(s.reason.name));
        });
        const u = new URL('https://example.com/a?b=1&c=x+y');
        u.searchParams.append('d', 'é&');
        const p = new URLSearchParams({ z: '1', a: '2' });
        p.sort();
        return { seen, reason: c.signal.reason.name, timeout, href: u.href,
                 c: u.searchParams.get('c'), p: p.toString(), size: p.size };
        "#,
    )
    .await;
    assert_eq!(
        v,
        json!({
            "seen": ["ping:true", 42, "onabort", "listener"],
            "reason": "AbortError", "timeout": "TimeoutError",
            "href": "https://example.com/a?b=1&c=x+y&d=%C3%A9%26",
            "c": "x y", "p": "a=2&z=1", "size": 2
        })
    );
}
