//! Unit tests of the wasmi adapter: real modules (from WAT) on the real
//! interpreter, host calls through a real broker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use morph_capabilities::audit::MemoryAuditSink;
use morph_capabilities::{
    Call, CallContext, CallKind, CapabilityBroker, ErrorCode, ExtensionIdentity, Grants,
    PermissionSet, Providers, ResourceLimits, Result,
};
use serde_json::json;

use super::WasmiEngine;
use crate::bridge::Bridge;
use crate::engine::{CompiledModule, Engine, Entry, Input};

/// A broker over real providers in a temporary directory, and the tokio
/// runtime its host calls run on (the guest runs on a plain thread).
struct Harness {
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    broker: Arc<CapabilityBroker>,
}

impl Harness {
    fn new() -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let providers = {
            let _guard = rt.enter();
            Providers::open(dir.path()).unwrap()
        };
        let broker = Arc::new(CapabilityBroker::new(
            providers,
            Arc::new(MemoryAuditSink::new()),
        ));
        Harness {
            rt,
            _dir: dir,
            broker,
        }
    }

    /// A call starting now (its deadline is `limits.max_execution_ms` away).
    fn call(&self, limits: ResourceLimits) -> Call {
        let ext = Arc::new(ExtensionIdentity {
            id: "wasmi-test".into(),
            version: "1.0.0".into(),
            runtime: "wasm".into(),
            manifest_digest: "0".repeat(64),
        });
        let grants = Arc::new(Grants {
            permissions: PermissionSet::default(),
            allowed_hosts: Vec::new(),
            limits,
        });
        let ctx = CallContext::new(
            ext,
            grants,
            Arc::new(json!({"greeting": "hi"})),
            CallKind::Execute,
            "test_action",
        );
        Call::new(self.broker.clone(), Arc::new(ctx))
    }

    /// Runs `f` on a plain thread (host calls block on the runtime).
    fn on_guest_thread<T: Send>(&self, f: impl FnOnce(Bridge) -> T + Send) -> T {
        let bridge = Bridge::new(self.rt.handle().clone());
        std::thread::scope(|s| s.spawn(move || f(bridge)).join().unwrap())
    }

    /// Instantiates `wat`, then calls `morph_execute` once per input.
    fn run(&self, wat: &str, limits: ResourceLimits, inputs: &[&[u8]]) -> Result<Vec<Vec<u8>>> {
        let module = compile(wat, limits);
        self.on_guest_thread(|bridge| {
            let mut instance = module.instantiate(bridge)?;
            let mut outputs = Vec::new();
            for input in inputs {
                instance.bridge().begin(self.call(limits));
                let out = instance.call(Entry::Execute, &Input::json(input.to_vec()));
                instance.bridge().end();
                outputs.push(out?);
            }
            Ok(outputs)
        })
    }

    fn run_once(&self, wat: &str, limits: ResourceLimits) -> Result<Vec<u8>> {
        self.run(wat, limits, &[br#"{"action":"a","params":{}}"#])
            .map(|mut outputs| outputs.remove(0))
    }
}

fn limits(max_execution_ms: u64, max_memory_mb: u64) -> ResourceLimits {
    ResourceLimits {
        max_execution_ms,
        max_memory_mb,
        ..ResourceLimits::default()
    }
}

fn compile(wat: &str, limits: ResourceLimits) -> Arc<dyn CompiledModule> {
    let wasm = wat::parse_str(wat).unwrap();
    crate::validate::validate(&wasm).expect("the fixture follows the ABI");
    WasmiEngine::new().compile(&wasm, &limits).unwrap()
}

/// An ABI-conforming guest: a bump allocator (growing memory when
/// needed, `0` when it cannot), a no-op free, `$pack`, some strings in
/// data segments, and `morph_execute` running `body`.
fn guest_module(version: i32, pages: u32, body: &str, extra: &str) -> String {
    format!(
        r#"(module
  (import "morph" "call" (func $call (param i32 i32 i32 i32) (result i32)))
  (import "morph" "response" (func $response (param i32 i32) (result i32)))
  (import "morph" "panic" (func $panic (param i32 i32)))
  (memory (export "memory") {pages})
  (global $bump (mut i32) (i32.const 4096))
  (data (i32.const 16) "{{\"ok\":42}}")
  (data (i32.const 64) "config")
  (data (i32.const 80) "{{}}")
  (data (i32.const 96) "boom")
  (func (export "morph_abi_version") (result i32) (i32.const {version}))
  (func $alloc (export "morph_alloc") (param $size i32) (result i32)
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
{body})
  {extra}
)"#
    )
}

fn guest(body: &str) -> String {
    guest_module(1, 1, body, "")
}

fn code(result: Result<impl std::fmt::Debug>) -> ErrorCode {
    result.unwrap_err().code()
}

#[test]
fn a_minimal_guest_round_trips_its_result() {
    let h = Harness::new();
    let out = h
        .run_once(
            &guest("(call $pack (i32.const 16) (i32.const 9))"),
            limits(5_000, 16),
        )
        .unwrap();
    assert_eq!(out, br#"{"ok":42}"#);
}

/// THREATS.md, "Guests reaching the host without the broker": wasm, the memory
/// view is re-fetched after anything that can grow memory (`morph_alloc` grows
/// it for the second input).
#[test]
fn the_input_reaches_the_guest_and_an_instance_serves_several_calls() {
    let h = Harness::new();
    let echo = guest("(call $pack (local.get $ptr) (local.get $len))");
    // The second input is larger than the first page: `morph_alloc` grows
    // memory, and the host must write into the grown memory.
    let big = format!(
        r#"{{"action":"a","params":{{"x":"{}"}}}}"#,
        "y".repeat(100_000)
    );
    let inputs: [&[u8]; 2] = [br#"{"action":"a"}"#, big.as_bytes()];
    let outputs = h.run(&echo, limits(5_000, 16), &inputs).unwrap();
    assert_eq!(outputs[0], inputs[0]);
    assert_eq!(outputs[1], inputs[1]);
}

#[test]
fn a_guest_looping_forever_times_out_near_its_deadline() {
    let h = Harness::new();
    let started = Instant::now();
    let result = h.run_once(&guest("(loop $l (br $l)) (unreachable)"), limits(100, 16));
    assert_eq!(code(result), ErrorCode::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_start_function_runs_under_the_deadline() {
    let h = Harness::new();
    let wat = guest_module(
        1,
        1,
        "(i64.const 0)",
        "(func $spin (loop $l (br $l))) (start $spin)",
    );
    let module = compile(&wat, limits(100, 16));
    let started = Instant::now();
    let result = h.on_guest_thread(|mut bridge| {
        bridge.begin(h.call(limits(100, 16)));
        module.instantiate(bridge).map(|_| ())
    });
    assert_eq!(code(result), ErrorCode::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn unbounded_recursion_is_a_stack_overflow() {
    let h = Harness::new();
    let wat = guest_module(
        1,
        1,
        "(i64.extend_i32_u (call $rec (i32.const 0)))",
        "(func $rec (param i32) (result i32) (call $rec (i32.add (local.get 0) (i32.const 1))))",
    );
    assert_eq!(
        code(h.run_once(&wat, limits(10_000, 16))),
        ErrorCode::StackOverflow
    );
}

#[test]
fn growing_memory_past_the_cap_is_a_memory_limit() {
    let h = Harness::new();
    // 1 MiB is 16 pages: growing by 4 fits, growing by 100 does not.
    let wat = guest(
        "(if (i32.eq (memory.grow (i32.const 4)) (i32.const -1)) (then unreachable))
         (if (i32.eq (memory.grow (i32.const 100)) (i32.const -1)) (then unreachable))
         (call $pack (i32.const 16) (i32.const 9))",
    );
    assert_eq!(
        code(h.run_once(&wat, limits(5_000, 1))),
        ErrorCode::MemoryLimit
    );
    let fits = guest(
        "(if (i32.eq (memory.grow (i32.const 4)) (i32.const -1)) (then unreachable))
         (call $pack (i32.const 16) (i32.const 9))",
    );
    assert_eq!(
        h.run_once(&fits, limits(5_000, 1)).unwrap(),
        br#"{"ok":42}"#
    );
}

#[test]
fn an_initial_memory_past_the_cap_is_a_memory_limit() {
    let h = Harness::new();
    let module = compile(&guest_module(1, 32, "(i64.const 0)", ""), limits(5_000, 1));
    let result = h.on_guest_thread(|bridge| module.instantiate(bridge).map(|_| ()));
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::MemoryLimit, "{err}");
}

#[test]
fn an_out_of_bounds_result_is_a_guest_crash() {
    let h = Harness::new();
    for body in [
        "(call $pack (i32.const 0xffff0000) (i32.const 16))",
        "(call $pack (i32.const 16) (i32.const 70000))",
        "(call $pack (i32.const 0xffffffff) (i32.const 16))",
    ] {
        assert_eq!(
            code(h.run_once(&guest(body), limits(5_000, 16))),
            ErrorCode::GuestCrash,
            "{body}"
        );
    }
}

#[test]
fn a_result_past_the_output_budget_is_output_too_large() {
    let h = Harness::new();
    let tiny = ResourceLimits {
        max_output_kb: 1,
        ..limits(5_000, 16)
    };
    let wat = guest("(call $pack (i32.const 0) (i32.const 4096))");
    assert_eq!(code(h.run_once(&wat, tiny)), ErrorCode::OutputTooLarge);
}

#[test]
fn a_capability_call_returns_the_config_through_the_broker() {
    let h = Harness::new();
    let wat = guest(
        "(local $n i32) (local $buf i32)
         (local.set $n (call $call (i32.const 64) (i32.const 6) (i32.const 80) (i32.const 2)))
         (local.set $buf (call $alloc (local.get $n)))
         ;; a wrong length is refused and leaves the response pending
         (if (i32.ne (call $response (local.get $buf) (i32.add (local.get $n) (i32.const 1)))
                     (i32.const -1))
           (then unreachable))
         (if (i32.ne (call $response (local.get $buf) (local.get $n)) (i32.const 0))
           (then unreachable))
         ;; nothing is pending any more
         (if (i32.ne (call $response (local.get $buf) (local.get $n)) (i32.const -1))
           (then unreachable))
         (call $pack (local.get $buf) (local.get $n))",
    );
    let out = h.run_once(&wat, limits(5_000, 16)).unwrap();
    let envelope: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(envelope, json!({"ok": {"greeting": "hi"}}));
}

#[test]
fn a_capability_call_with_a_bad_buffer_is_a_guest_crash() {
    let h = Harness::new();
    for args in [
        "(i32.const 0xffffff00) (i32.const 6) (i32.const 80) (i32.const 2)",
        "(i32.const 64) (i32.const 6) (i32.const 65530) (i32.const 100)",
        "(i32.const 64) (i32.const 65) (i32.const 80) (i32.const 2)",
        "(i32.const 64) (i32.const -1) (i32.const 80) (i32.const 2)",
    ] {
        let wat = guest(&format!("(drop (call $call {args})) (i64.const 0)"));
        let err = h.run_once(&wat, limits(5_000, 16)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::GuestCrash, "{args}: {err}");
    }
}

#[test]
fn a_reported_panic_is_a_guest_crash_with_its_message() {
    let h = Harness::new();
    let wat = guest("(call $panic (i32.const 96) (i32.const 4)) (unreachable)");
    let err = h.run_once(&wat, limits(5_000, 16)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::GuestCrash);
    assert!(err.to_string().contains("boom"), "{err}");
}

#[test]
fn an_unsupported_abi_version_is_an_invalid_package() {
    let h = Harness::new();
    let module = compile(&guest_module(2, 1, "(i64.const 0)", ""), limits(5_000, 16));
    let result = h.on_guest_thread(|bridge| module.instantiate(bridge).map(|_| ()));
    assert_eq!(code(result), ErrorCode::InvalidPackage);
}

#[test]
fn entries_are_reported_by_export() {
    let h = Harness::new();
    let wat = guest_module(
        1,
        1,
        "(i64.const 0)",
        r#"(func (export "morph_init") (param i32 i32) (result i64) (i64.const 0))"#,
    );
    let module = compile(&wat, limits(5_000, 16));
    h.on_guest_thread(|bridge| {
        let instance = module
            .instantiate(bridge)
            .map_err(|e| e.to_string())
            .unwrap();
        assert!(instance.has_entry(Entry::Execute));
        assert!(instance.has_entry(Entry::Init));
        assert!(!instance.has_entry(Entry::OnEvent));
    });
}
