//! Every limit of the brief's section 6 ends the call with its code, and the
//! host (and the extension) carry on afterwards.

use serde_json::json;

use crate::on_every_engine;
use crate::support::{GuestOptions, load_guest};

on_every_engine!(
    an_infinite_loop_is_a_timeout,
    memory_growth_past_the_cap_is_memory_limit,
    unbounded_recursion_is_stack_overflow,
    a_huge_result_is_output_too_large,
    logs_count_toward_the_output_limit,
    tables_cannot_grow_past_their_cap,
);

async fn an_infinite_loop_is_a_timeout(engine: &str) {
    let g = load_guest(
        engine,
        GuestOptions {
            limits: "  max_execution_ms: 300\n",
            ..Default::default()
        },
    )
    .await;
    assert_eq!(g.code("loop_forever", json!({})).await, "timeout");
    g.still_serves().await;
}

async fn memory_growth_past_the_cap_is_memory_limit(engine: &str) {
    let g = load_guest(
        engine,
        GuestOptions {
            limits: "  max_memory_mb: 32\n",
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        g.code("grow_memory", json!({"mb": 256})).await,
        "memory_limit"
    );
    // Below the cap it works.
    let out = g.run("grow_memory", json!({"mb": 8})).await.unwrap();
    assert!(out.as_u64().unwrap_or(0) >= 8 || out.is_object(), "{out}");
    g.still_serves().await;
}

async fn unbounded_recursion_is_stack_overflow(engine: &str) {
    let g = load_guest(engine, GuestOptions::default()).await;
    assert_eq!(
        g.code("recurse", json!({"depth": 100_000_000})).await,
        "stack_overflow"
    );
    g.still_serves().await;
}

async fn a_huge_result_is_output_too_large(engine: &str) {
    let g = load_guest(
        engine,
        GuestOptions {
            limits: "  max_output_kb: 64\n",
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        g.code("big_output", json!({"bytes": 10 * 1024 * 1024}))
            .await,
        "output_too_large"
    );
    let ok = g.run("big_output", json!({"bytes": 1000})).await.unwrap();
    assert_eq!(ok.as_str().unwrap().len(), 1000);
}

async fn logs_count_toward_the_output_limit(engine: &str) {
    let g = load_guest(
        engine,
        GuestOptions {
            limits: "  max_output_kb: 4\n",
            ..Default::default()
        },
    )
    .await;
    let line = "x".repeat(1000);
    assert_eq!(
        g.code("log", json!({"message": line, "times": 10})).await,
        "output_too_large"
    );
    g.run("log", json!({"message": "short", "times": 2}))
        .await
        .unwrap();
}

/// A module whose `morph_execute` grows its table by `delta` elements and
/// returns `{"ok":N}` where N is what `table.grow` answered (-1 when refused).
fn table_grower(delta: u32, initial: u32) -> Vec<u8> {
    let alloc = crate::support::WAT_BUMP_ALLOCATOR;
    wat::parse_str(format!(
        r#"(module
            (memory (export "memory") 1)
            (table $t {initial} funcref)
            (data (i32.const 16) "{{\"ok\":-1}}")
            (data (i32.const 32) "{{\"ok\":0}} ")
            (func (export "morph_abi_version") (result i32) (i32.const 1))
            {alloc}
            (func (export "morph_execute") (param i32 i32) (result i64)
                (if (result i64) (i32.eq (table.grow $t (ref.null func) (i32.const {delta})) (i32.const -1))
                    (then (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 9)))
                    (else (i64.or (i64.shl (i64.const 32) (i64.const 32)) (i64.const 9))))))"#
    ))
    .unwrap()
}

async fn tables_cannot_grow_past_their_cap(engine: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (host, _) = crate::support::host(dir.path(), engine, None);
    let load = |id: &'static str, wasm: Vec<u8>| {
        let opts = GuestOptions {
            id,
            ..Default::default()
        };
        let pkg = crate::support::write_package(dir.path(), &opts, &wasm);
        let host = host.clone();
        async move { host.load(&pkg, json!({})).await }
    };
    // A huge table.grow is refused (or ends the call with memory_limit),
    // never allocated: 0x10000000 funcrefs would be 2 GiB of host memory.
    let id = load("table-grow", table_grower(0x1000_0000, 1))
        .await
        .unwrap();
    match host.execute(&id, "echo", json!({"value": 1})).await {
        Ok(v) => assert_eq!(v, json!(-1), "{engine}"),
        Err(e) => assert_eq!(e.code().as_str(), "memory_limit", "{engine}"),
    }
    // A huge initial table is refused at load.
    let err = load("table-min", table_grower(1, 100_000_000))
        .await
        .unwrap_err();
    assert!(
        ["memory_limit", "init_failed", "invalid_package"].contains(&err.code().as_str()),
        "{engine}: {err}"
    );
}
