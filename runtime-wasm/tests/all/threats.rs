//! THREATS.md classes the other wasm suites do not name, on each engine
//! through the real `Host`: pooled instances never show one extension's
//! bytes to another ("Guests reaching the host without the broker"), and a
//! GiB `memory.fill` ends in a limit ("Exhausting the host").

use std::time::{Duration, Instant};

use morph_runtime_core::Isolation;
use serde_json::{Value, json};

use crate::on_every_engine;
use crate::support::{GuestOptions, host, write_package};

on_every_engine!(
    pooled_instances_never_show_one_extensions_bytes_to_another,
    a_gib_memory_fill_ends_in_a_limit_never_the_host,
);

/// The ABI with a growing bump allocator from 70000 (clear of the fixed
/// addresses below), and `morph_execute` running `body`.
fn module(body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
  (memory (export "memory") 2)
  (global $bump (mut i32) (i32.const 70000))
  (data (i32.const 16) "{{\"ok\":null}}")
  (data (i32.const 32) "{{\"ok\":")
  (func (export "morph_abi_version") (result i32) (i32.const 1))
  (func (export "morph_alloc") (param $size i32) (result i32)
    (local $p i32) (local $end i32) (local $have i32)
    (local.set $p (global.get $bump))
    (local.set $end (i32.add (local.get $p) (local.get $size)))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow (i32.add
                (i32.shr_u (i32.sub (local.get $end) (local.get $have)) (i32.const 16))
                (i32.const 1)))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $bump (local.get $end))
    (local.get $p))
  (func (export "morph_free") (param i32 i32))
  (func $pack (param $ptr i32) (param $len i32) (result i64)
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
      (i64.extend_i32_u (local.get $len))))
  (func (export "morph_execute") (param $ptr i32) (param $len i32) (result i64)
    (local $n i32)
    {body}))"#
    ))
    .unwrap()
}

/// `write` keeps its whole input at 60000 (its length at 59996); `peek`
/// answers `{"ok": <what was kept>}`, or `{"ok": null}` when nothing was.
/// The first letter of the action (`{"action":"w...`) tells them apart.
const KEEPER: &str = r#"
    (if (i32.eq (i32.load8_u (i32.add (local.get $ptr) (i32.const 11))) (i32.const 119))
      (then
        (i32.store (i32.const 59996) (local.get $len))
        (memory.copy (i32.const 60000) (local.get $ptr) (local.get $len))
        (return (call $pack (i32.const 16) (i32.const 11)))))
    (local.set $n (i32.load (i32.const 59996)))
    (if (i32.eqz (local.get $n))
      (then (return (call $pack (i32.const 16) (i32.const 11)))))
    (memory.copy (i32.const 40000) (i32.const 32) (i32.const 6))
    (memory.copy (i32.const 40006) (i32.const 60000) (local.get $n))
    (i32.store8 (i32.add (i32.const 40006) (local.get $n)) (i32.const 125))
    (call $pack (i32.const 40000) (i32.add (local.get $n) (i32.const 7)))"#;

const KEEPER_ACTIONS: &str = "  - name: write\n    description: keeps the input\n    parameters: [{name: secret, type: string}]\n  - name: peek\n    description: returns what was kept\n";

fn write_keeper(dir: &std::path::Path, id: &str, wasm: &[u8], actions: &str) -> std::path::PathBuf {
    let opts = GuestOptions {
        id,
        ..Default::default()
    };
    let pkg = write_package(dir, &opts, wasm);
    // Replace the test guest's actions with this module's.
    let manifest = std::fs::read_to_string(pkg.join("manifest.yaml")).unwrap();
    let head = manifest.split("actions:").next().unwrap();
    std::fs::write(
        pkg.join("manifest.yaml"),
        format!("{head}actions:\n{actions}"),
    )
    .unwrap();
    pkg
}

/// THREATS.md, "Guests reaching the host without the broker": wasm,
/// pooled instances never show one extension's bytes to another. Two
/// extensions of the same module, Pooled, in one host: what one keeps in its
/// linear memory stays visible to its own later calls and never to the
/// other's.
async fn pooled_instances_never_show_one_extensions_bytes_to_another(engine: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (host, _) = host(dir.path(), engine, Some(Isolation::Pooled));
    let wasm = module(KEEPER);
    let a = host
        .load(
            &write_keeper(dir.path(), "keeper-a", &wasm, KEEPER_ACTIONS),
            json!({}),
        )
        .await
        .unwrap();
    let b = host
        .load(
            &write_keeper(dir.path(), "keeper-b", &wasm, KEEPER_ACTIONS),
            json!({}),
        )
        .await
        .unwrap();

    for _ in 0..8 {
        host.execute(&a, "write", json!({"secret": "A-SECRET-BYTES"}))
            .await
            .unwrap();
    }
    let mut a_kept = false;
    for _ in 0..8 {
        let seen = host.execute(&b, "peek", json!({})).await.unwrap();
        assert_eq!(seen, Value::Null, "{engine}: b saw {seen}");
        let own = host.execute(&a, "peek", json!({})).await.unwrap();
        a_kept |= own.to_string().contains("A-SECRET-BYTES");
    }
    assert!(a_kept, "{engine}: a pooled instance of a kept its bytes");
    for _ in 0..8 {
        host.execute(&b, "write", json!({"secret": "B-OWN"}))
            .await
            .unwrap();
        let seen = host.execute(&b, "peek", json!({})).await.unwrap();
        assert!(!seen.to_string().contains("A-SECRET"), "{engine}: {seen}");
    }
}

/// `fill1g` fills a GiB from address 0 (memory holds 2 pages); `growgib`
/// grows by a GiB and, ignoring the answer, fills it; `fill_forever`
/// grows to 64 MiB and fills all of it, again and again.
const FILLER: &str = r#"
    (local.set $n (i32.load8_u (i32.add (local.get $ptr) (i32.const 15))))
    (if (i32.eq (local.get $n) (i32.const 49))
      (then (memory.fill (i32.const 0) (i32.const 171) (i32.const 0x40000000))))
    (if (i32.eq (local.get $n) (i32.const 103))
      (then
        (drop (memory.grow (i32.const 16384)))
        (memory.fill (i32.const 0) (i32.const 171) (i32.const 0x40000000))))
    (if (i32.eq (local.get $n) (i32.const 95))
      (then
        (drop (memory.grow (i32.const 1022)))
        (loop $l
          (memory.fill (i32.const 0) (i32.const 171) (i32.const 0x4000000))
          (br $l))))
    (call $pack (i32.const 16) (i32.const 11))"#;

const FILLER_ACTIONS: &str = "  - name: fill1g\n    description: one GiB fill\n  - name: growgib\n    description: grow a GiB then fill it\n  - name: fill_forever\n    description: 64 MiB fills forever\n  - name: nothing\n    description: answers null\n";

/// THREATS.md, "Exhausting the host": every limit holds against one big
/// native operation too (a GiB `memory.fill`). A GiB fill past the memory
/// is a trap for that call; growing a GiB past `max_memory_mb` is
/// `memory_limit`; 64 MiB fills back to back end at the deadline (the
/// overshoot is at most the fill in flight); the host serves the next call.
async fn a_gib_memory_fill_ends_in_a_limit_never_the_host(engine: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (host, _) = host(dir.path(), engine, None);
    let wasm = module(FILLER);
    let pkg = write_keeper(dir.path(), "filler", &wasm, FILLER_ACTIONS);
    let manifest = std::fs::read_to_string(pkg.join("manifest.yaml")).unwrap();
    std::fs::write(
        pkg.join("manifest.yaml"),
        manifest.replace(
            "actions:",
            "resource_limits:\n  max_memory_mb: 128\n  max_execution_ms: 300\nactions:",
        ),
    )
    .unwrap();
    let id = host.load(&pkg, json!({})).await.unwrap();
    let code = |r: morph_runtime_core::Result<Value>| match r {
        Ok(v) => panic!("{engine}: expected a limit, got {v}"),
        Err(e) => e.code().as_str().to_owned(),
    };

    let fill = code(host.execute(&id, "fill1g", json!({})).await);
    assert_eq!(fill, "guest_crash", "{engine}");
    let grow = code(host.execute(&id, "growgib", json!({})).await);
    assert!(
        grow == "memory_limit" || grow == "guest_crash",
        "{engine}: {grow}"
    );
    let started = Instant::now();
    let forever = code(host.execute(&id, "fill_forever", json!({})).await);
    let took = started.elapsed();
    assert_eq!(forever, "timeout", "{engine}");
    assert!(
        took < Duration::from_millis(300 + 1500),
        "{engine}: {took:?}"
    );
    assert_eq!(
        host.execute(&id, "nothing", json!({})).await.unwrap(),
        Value::Null
    );
}
