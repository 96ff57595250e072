//! Rough timings (ignored by default; `cargo test -p morph-runtime-js --test
//! all perf -- --ignored --nocapture`). The criterion benchmarks belong in
//! `benches/benches/js.rs`; these give the same comparisons quickly.

use std::time::Instant;

use boa_engine::{Context, JsValue, Source, js_string};
use morph_runtime_core::Isolation;
use serde_json::json;

use crate::support::{GuestOptions, load_guest};

fn per_call(label: &str, n: u32, started: Instant) {
    eprintln!("{label}: {:?} per call", started.elapsed() / n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timings, run by hand"]
async fn timings() {
    // Bare Boa: a warm context calling a trivial function.
    let mut ctx = Context::default();
    ctx.eval(Source::from_bytes("function execute(a, p) { return p; }"))
        .unwrap();
    let f = ctx
        .global_object()
        .get(js_string!("execute"), &mut ctx)
        .unwrap()
        .as_object()
        .unwrap();
    let n = 20_000;
    let t = Instant::now();
    for _ in 0..n {
        let _ = f
            .call(
                &JsValue::undefined(),
                &[js_string!("echo").into(), JsValue::from(1)],
                &mut ctx,
            )
            .unwrap();
    }
    per_call("bare boa call", n, t);

    let pooled = load_guest(GuestOptions {
        isolation: Some(Isolation::Pooled),
        ..Default::default()
    })
    .await;
    for _ in 0..200 {
        pooled.run("echo", json!({"value": 1})).await.unwrap();
    }
    let n = 2_000;
    let t = Instant::now();
    for _ in 0..n {
        pooled.run("echo", json!({"value": 1})).await.unwrap();
    }
    per_call("pooled Host::execute echo", n, t);
    let t = Instant::now();
    for _ in 0..n {
        pooled
            .run("call", json!({"capability": "config", "request": {}}))
            .await
            .unwrap();
    }
    per_call("pooled capability round trip (config)", n, t);

    let fresh = load_guest(GuestOptions {
        isolation: Some(Isolation::PerCall),
        ..Default::default()
    })
    .await;
    let n = 50;
    let t = Instant::now();
    for _ in 0..n {
        fresh.run("echo", json!({"value": 1})).await.unwrap();
    }
    per_call("per-call Host::execute echo (context creation)", n, t);
}
