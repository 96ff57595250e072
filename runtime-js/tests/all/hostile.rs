//! Adversarial guests: each ends with its exact code, quickly, and the host
//! answers afterwards. Measured stop times are printed (`--nocapture`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Guest, GuestOptions, load_guest};

async fn fast_guest() -> Guest {
    load_guest(GuestOptions {
        limits: "max_execution_ms: 300\nmax_memory_mb: 64",
        ..Default::default()
    })
    .await
}

/// Runs `action`, asserts the code and that it stopped within `within`.
async fn expect(g: &Guest, action: &str, params: Value, code: &str, within: Duration) {
    let t = Instant::now();
    let got = g.code(action, params).await;
    let took = t.elapsed();
    eprintln!("{action}: {got} after {took:?}");
    assert_eq!(got, code, "{action}");
    assert!(took < within, "{action} took {took:?}");
    g.still_serves().await;
}

const SOON: Duration = Duration::from_millis(1500);

/// THREATS.md, "Exhausting the host": termination cannot be caught by the guest
/// (`catch_timeout`, `finally_timeout`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runaway_code_is_stopped_at_the_deadline() {
    // Memory is generous here so that the deadline, not the heap, stops them.
    let g = load_guest(GuestOptions {
        limits: "max_execution_ms: 300\nmax_memory_mb: 4096",
        ..Default::default()
    })
    .await;
    expect(&g, "loop_forever", json!({}), "timeout", SOON).await;
    expect(&g, "callback_busy", json!({}), "timeout", SOON).await;
    expect(&g, "callback_spin", json!({}), "timeout", SOON).await;
    expect(&g, "sort_spin", json!({}), "timeout", SOON).await;
    // Boa drops the loop-limit error inside an async continuation; the
    // promise never settles and the call ends as a crash (context dropped).
    expect(&g, "async_loop", json!({}), "guest_crash", SOON).await;
    expect(&g, "catch_timeout", json!({}), "timeout", SOON).await;
    expect(&g, "finally_timeout", json!({}), "timeout", SOON).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_recursion_is_stack_overflow_never_a_crash() {
    let g = fast_guest().await;
    expect(
        &g,
        "recurse",
        json!({"depth": 1_000_000_000u64}),
        "stack_overflow",
        SOON,
    )
    .await;
    expect(&g, "getter_recursion", json!({}), "stack_overflow", SOON).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn string_doubling_is_memory_limit() {
    let g = fast_guest().await;
    // Boa concatenates without a yield point in between, so whether the
    // heap sample or the deadline notices first depends on timing: both
    // end the call and discard the context.
    let t = Instant::now();
    let code = g.code("string_doubling", json!({})).await;
    eprintln!("string_doubling: {code} after {:?}", t.elapsed());
    assert!(
        ["memory_limit", "timeout"].contains(&code.as_str()),
        "{code}"
    );
    assert!(t.elapsed() < Duration::from_secs(3));
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_results_are_refused_before_they_are_built() {
    let g = load_guest(GuestOptions {
        limits: "max_execution_ms: 10000\nmax_memory_mb: 4096",
        ..Default::default()
    })
    .await;
    expect(&g, "sparse_result", json!({}), "output_too_large", SOON).await;
    expect(&g, "huge_sparse", json!({}), "output_too_large", SOON).await;
    expect(
        &g,
        "big_output",
        json!({"bytes": 10 << 20}),
        "output_too_large",
        SOON,
    )
    .await;
    expect(
        &g,
        "deep_result",
        json!({}),
        "guest_error",
        Duration::from_secs(10),
    )
    .await;
    expect(&g, "cyclic_result", json!({}), "guest_error", SOON).await;
    expect(&g, "getter_result", json!({}), "guest_error", SOON).await;
    expect(&g, "function_result", json!({}), "guest_error", SOON).await;
    expect(&g, "bigint_result", json!({}), "guest_error", SOON).await;
}

/// THREATS.md, "Exhausting the host": recursion in the host on guest-shaped
/// data is bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn natively_recursive_builtins_refuse_deep_values() {
    let g = load_guest(GuestOptions {
        limits: "max_execution_ms: 10000\nmax_memory_mb: 4096",
        ..Default::default()
    })
    .await;
    let slow = Duration::from_secs(10);
    expect(&g, "deep_array_string", json!({}), "guest_error", slow).await;
    expect(&g, "deep_stringify", json!({}), "guest_error", slow).await;
    expect(&g, "deep_flat", json!({}), "guest_error", slow).await;
}

/// THREATS.md, "Guests reaching the host without the broker": JS, no module
/// loader reaches the disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_never_reach_the_disk() {
    let g = fast_guest().await;
    for specifier in [
        "/etc/passwd",
        "file:///etc/passwd",
        "../../../../../../etc/passwd",
        "node:fs",
    ] {
        let err = g
            .run("dynamic_import", json!({"specifier": specifier}))
            .await
            .unwrap_err();
        assert_eq!(err.code().as_str(), "guest_error", "{specifier}: {err}");
        assert!(err.to_string().contains("cannot import"), "{err}");
        assert!(!err.to_string().contains("root:"), "{err}");
    }
    // A static import out of the package fails the load (`modules.rs` has
    // the module graphs that stay inside it).
    let th = crate::support::test_host(None);
    let spec = morph_testkit::PackageSpec::new(
        "imports",
        "js",
        "index.js",
        "import { x } from '../lib.js';\nexport function execute() { return x; }\n",
        &crate::support::actions(),
    )
    .file("lib.js", "export const x = 1;\n");
    let err = th.load(&spec, json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_package", "{err}");
    assert!(err.to_string().contains("cannot import"), "{err}");
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_stays_inside_the_sandbox() {
    let g = fast_guest().await;
    let run = |code: &str| g.run("eval", json!({"code": code}));
    assert_eq!(run("1 + 1").await.unwrap(), json!(2));
    assert_eq!(
        run("typeof process + typeof require + typeof Deno + typeof print")
            .await
            .unwrap(),
        json!("undefinedundefinedundefinedundefined")
    );
    assert_eq!(
        run("this.constructor.constructor('return typeof morph')()")
            .await
            .unwrap(),
        json!("object")
    );
    let err = run("import('/etc/passwd')").await.unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error", "{err}");
    assert_eq!(
        g.code("eval", json!({"code": "while (true) {}"})).await,
        "timeout"
    );
    for nested in [
        "[".repeat(100_000),
        "(".repeat(100_000),
        format!("{}1", "!".repeat(100_000)),
    ] {
        let err = run(&nested).await.unwrap_err();
        assert_eq!(err.code().as_str(), "guest_error", "{err}");
        assert!(err.to_string().contains("nests too deeply"), "{err}");
        let err = g
            .run("function_ctor", json!({"code": nested}))
            .await
            .unwrap_err();
        assert_eq!(err.code().as_str(), "guest_error", "{err}");
    }
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deeply_nested_entry_is_refused_at_load() {
    let th = crate::support::test_host(None);
    let code = format!(
        "export function execute() {{ return {}1{}; }}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let spec = morph_testkit::PackageSpec::new(
        "nested",
        "js",
        "index.js",
        code,
        &crate::support::actions(),
    );
    let err = th.load(&spec, json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_package", "{err}");
}

/// THREATS.md, "Guests reaching the host without the broker": JS, host objects
/// frozen (the `morph` object).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_documented_globals_exist_and_morph_is_frozen() {
    let g = fast_guest().await;
    let globals = g.run("globals", json!({})).await.unwrap();
    let names: Vec<&str> = globals
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // `console`, timers and `fetch` exist (see `web.rs`); these do not.
    for forbidden in ["require", "process", "Deno", "print", "load"] {
        assert!(!names.contains(&forbidden), "{forbidden} is a global");
    }
    assert!(names.contains(&"morph"));
    let tampered = g.run("tamper_morph", json!({})).await.unwrap();
    assert!(
        tampered.as_array().unwrap().contains(&json!("frozen")),
        "{tampered}"
    );
    assert_eq!(g.run("date_now", json!({})).await.unwrap(), json!("number"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_ambient_route_reaches_the_host() {
    let g = fast_guest().await;
    let out = g.run("ambient", json!({"port": 9})).await.unwrap();
    assert_eq!(
        out,
        json!({"files": false, "env": false, "network": false, "process": false})
    );
}
