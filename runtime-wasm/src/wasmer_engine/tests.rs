//! Unit tests of the wasmer adapter: real modules (from WAT) on the real
//! engine and host calls through a real broker.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use morph_capabilities::audit::MemoryAuditSink;
use morph_capabilities::{
    Call, CallContext, CallKind, CapabilityBroker, ErrorCode, ExtensionIdentity, Grants,
    PermissionSet, Providers,
};

use super::*;
use crate::bridge::Bridge;
use crate::engine::{Entry, Input};

/// A broker over real providers and a multi-thread runtime for host calls;
/// guests run on plain threads, as in the runtime.
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
        let providers = Providers::open(dir.path()).unwrap();
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

    fn call(&self, limits: ResourceLimits) -> Call {
        let ext = Arc::new(ExtensionIdentity {
            id: "wasmer-test".to_owned(),
            version: "1.0.0".to_owned(),
            runtime: "wasm".to_owned(),
            manifest_digest: "0".repeat(64),
        });
        let grants = Arc::new(Grants {
            permissions: PermissionSet::new(),
            allowed_hosts: Vec::new(),
            limits,
        });
        let ctx = CallContext::new(
            ext,
            grants,
            Arc::new(serde_json::json!({"greeting": "hi"})),
            CallKind::Execute,
            "test_action",
        );
        Call::new(self.broker.clone(), Arc::new(ctx))
    }

    /// Instantiates `module` and runs `morph_execute` under a call with
    /// `limits`, on a plain thread; fails the test if that thread hangs.
    fn run(&self, module: &Arc<WasmerModule>, limits: ResourceLimits) -> Result<Vec<u8>> {
        self.run_with(module, limits, br#"{"action":"a","params":{}}"#.to_vec())
    }

    fn run_with(
        &self,
        module: &Arc<WasmerModule>,
        limits: ResourceLimits,
        input: Vec<u8>,
    ) -> Result<Vec<u8>> {
        let (module, call, handle) = (module.clone(), self.call(limits), self.rt.handle().clone());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut bridge = Bridge::new(handle);
            bridge.begin(call.clone());
            let result = module.instantiate(bridge).and_then(|mut instance| {
                instance.bridge().end();
                instance.bridge().begin(call);
                let out = instance.call(Entry::Execute, &Input::json(input));
                instance.bridge().end();
                out
            });
            let _ = tx.send(result);
        });
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the guest thread is stuck")
    }
}

fn limits(max_execution_ms: u64, max_memory_mb: u64) -> ResourceLimits {
    ResourceLimits {
        max_execution_ms,
        max_memory_mb,
        ..ResourceLimits::default()
    }
}

/// An ABI-conforming guest (bump allocator; `{"ok":42}` at 16, the
/// strings `config` at 64 and `{}` at 80) whose `morph_execute` body is
/// `execute`, plus `extra` module fields.
fn guest_with(abi: i32, execute: &str, extra: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
          (import "morph" "call" (func $call (param i32 i32 i32 i32) (result i32)))
          (import "morph" "response" (func $response (param i32 i32) (result i32)))
          (import "morph" "panic" (func $panic (param i32 i32)))
          (memory (export "memory") 1)
          (global $bump (mut i32) (i32.const 4096))
          (data (i32.const 16) "{{\"ok\":42}}")
          (data (i32.const 64) "config")
          (data (i32.const 80) "{{}}")
          (func (export "morph_abi_version") (result i32) (i32.const {abi}))
          (func $alloc (export "morph_alloc") (param $n i32) (result i32)
            (local $p i32) (local $end i32)
            (local.set $p (global.get $bump))
            (local.set $end (i32.add (local.get $p) (local.get $n)))
            (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
              (then
                (if (i32.eq
                      (memory.grow (i32.shr_u
                        (i32.add (i32.sub (local.get $end) (i32.shl (memory.size) (i32.const 16)))
                                 (i32.const 65535))
                        (i32.const 16)))
                      (i32.const -1))
                  (then (return (i32.const 0))))))
            (global.set $bump (local.get $end))
            (local.get $p))
          (func (export "morph_free") (param i32 i32))
          (func (export "morph_execute") (param $ptr i32) (param $len i32) (result i64)
            {execute})
          {extra})"#
    ))
    .unwrap()
}

fn guest(execute: &str) -> Vec<u8> {
    guest_with(1, execute, "")
}

const OK_42: &str = "(i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 9))";
const SPIN: &str = "(loop $l (br $l)) unreachable";

/// Time enough for Cranelift to compile any module of these tests.
const COMPILE_TIME: Duration = Duration::from_secs(60);

fn compile(engine: &WasmerEngine, wasm: &[u8], limits: &ResourceLimits) -> Arc<WasmerModule> {
    crate::validate::validate(wasm).unwrap();
    engine.compile_module(wasm, limits).unwrap()
}

#[test]
fn a_conforming_module_round_trips() {
    let h = Harness::new();
    let l = limits(5_000, 16);
    let module = compile(&WasmerEngine::new(None), &guest(OK_42), &l);
    assert_eq!(module.cache_outcome(), CacheOutcome::Disabled);
    assert_eq!(h.run(&module, l).unwrap(), br#"{"ok":42}"#);
}

#[test]
fn features_outside_the_shared_set_are_refused() {
    let simd = wat::parse_str(r#"(module (func (drop (v128.const i64x2 0 0))))"#).unwrap();
    let e = WasmerEngine::new(None)
        .compile_module(&simd, &limits(5_000, 16))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidPackage, "{e}");
}

#[test]
fn an_endless_loop_times_out_at_the_deadline() {
    let h = Harness::new();
    let l = limits(100, 16);
    let module = compile(&WasmerEngine::new(None), &guest(SPIN), &l);
    let started = Instant::now();
    let e = h.run(&module, l).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout, "{e}");
    // The interrupt, not metering (calibrated for ~10x longer), stopped it.
    assert!(
        started.elapsed() < Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_endless_start_function_times_out() {
    let h = Harness::new();
    let l = limits(100, 16);
    let wasm = guest_with(1, OK_42, "(func $spin (loop $l (br $l))) (start $spin)");
    let module = compile(&WasmerEngine::new(None), &wasm, &l);
    let e = h.run(&module, l).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout, "{e}");
}

#[test]
fn metering_stops_a_loop_without_the_interrupt() {
    let h = Harness::new();
    let l = limits(20_000, 16);
    let engine = WasmerEngine::new(None);
    let config = CompileConfig {
        budget: 20_000_000,
        ..CompileConfig::for_limits(&l)
    };
    let module = engine
        .compile_with(&guest(SPIN), config, COMPILE_TIME)
        .unwrap();
    let started = Instant::now();
    let e = h.run(&module, l).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout, "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn unbounded_recursion_is_a_stack_overflow() {
    let h = Harness::new();
    let l = limits(5_000, 16);
    let wasm = guest_with(
        1,
        "(drop (call $rec (i32.const 0))) (i64.const 0)",
        "(func $rec (param i32) (result i32) (i32.add (call $rec (local.get 0)) (i32.const 1)))",
    );
    let module = compile(&WasmerEngine::new(None), &wasm, &l);
    let e = h.run(&module, l).unwrap_err();
    assert_eq!(e.code(), ErrorCode::StackOverflow, "{e}");
}

#[test]
fn growing_past_the_cap_fails_then_ends_with_memory_limit() {
    let h = Harness::new();
    // 1 MiB = 16 pages; the guest starts with 1 and asks for 1000 more.
    let l = limits(5_000, 1);
    let wasm = guest(&format!(
        "(if (i32.eq (memory.grow (i32.const 1000)) (i32.const -1)) (then unreachable)) {OK_42}"
    ));
    let module = compile(&WasmerEngine::new(None), &wasm, &l);
    let e = h.run(&module, l).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MemoryLimit, "{e}");

    // Within the cap the same grow succeeds.
    let l = limits(5_000, 128);
    let module = compile(&WasmerEngine::new(None), &wasm, &l);
    assert_eq!(h.run(&module, l).unwrap(), br#"{"ok":42}"#);
}

#[test]
fn an_input_that_does_not_fit_is_a_memory_limit() {
    let h = Harness::new();
    let l = limits(5_000, 1);
    let module = compile(&WasmerEngine::new(None), &guest(OK_42), &l);
    let input = vec![b' '; 2 << 20];
    let e = h.run_with(&module, l, input).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MemoryLimit, "{e}");
}

#[test]
fn a_minimum_over_the_cap_is_a_memory_limit() {
    let h = Harness::new();
    let l = limits(5_000, 1);
    let big = wat::parse_str(
        r#"(module (memory (export "memory") 17)
             (func (export "morph_abi_version") (result i32) (i32.const 1))
             (func (export "morph_alloc") (param i32) (result i32) (i32.const 0))
             (func (export "morph_free") (param i32 i32))
             (func (export "morph_execute") (param i32 i32) (result i64) (i64.const 0)))"#,
    )
    .unwrap();
    let module = compile(&WasmerEngine::new(None), &big, &l);
    let e = h.run(&module, l).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MemoryLimit, "{e}");
}

#[test]
fn an_out_of_bounds_result_is_a_guest_crash() {
    let h = Harness::new();
    let l = limits(5_000, 16);
    let wasm = guest("(i64.or (i64.shl (i64.const 0xffff0000) (i64.const 32)) (i64.const 100))");
    let module = compile(&WasmerEngine::new(None), &wasm, &l);
    let e = h.run(&module, l).unwrap_err();
    assert_eq!(e.code(), ErrorCode::GuestCrash, "{e}");
}

#[test]
fn a_reported_panic_is_a_guest_crash_with_the_message() {
    let h = Harness::new();
    let l = limits(5_000, 16);
    let module = compile(
        &WasmerEngine::new(None),
        &guest("(call $panic (i32.const 64) (i32.const 6)) unreachable"),
        &l,
    );
    let e = h.run(&module, l).unwrap_err();
    assert_eq!(e.code(), ErrorCode::GuestCrash, "{e}");
    assert!(e.to_string().contains("guest panicked: config"), "{e}");
}

#[test]
fn a_wrong_abi_version_is_an_invalid_package() {
    let h = Harness::new();
    let l = limits(5_000, 16);
    let module = compile(&WasmerEngine::new(None), &guest_with(2, OK_42, ""), &l);
    let e = h.run(&module, l).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidPackage, "{e}");
}

#[test]
fn config_is_fetched_through_the_broker() {
    let h = Harness::new();
    let l = limits(5_000, 16);
    let wasm = guest(
        "(local $n i32) (local $p i32)
         (local.set $n (call $call (i32.const 64) (i32.const 6) (i32.const 80) (i32.const 2)))
         (local.set $p (call $alloc (local.get $n)))
         (if (i32.ne (call $response (local.get $p) (local.get $n)) (i32.const 0)) (then unreachable))
         (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
                 (i64.extend_i32_u (local.get $n)))",
    );
    let module = compile(&WasmerEngine::new(None), &wasm, &l);
    let out = h.run(&module, l).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"ok":{"greeting":"hi"}}"#
    );
}

/// THREATS.md, "Guests reaching the host without the broker": wasm, host reads
/// and writes of guest memory check `ptr + len` (a negative pointer is out of
/// bounds).
#[test]
fn a_host_call_with_a_bad_pointer_is_a_guest_crash() {
    let h = Harness::new();
    let l = limits(5_000, 16);
    let wasm = guest(
        "(drop (call $call (i32.const -8) (i32.const 6) (i32.const 80) (i32.const 2))) (i64.const 0)",
    );
    let module = compile(&WasmerEngine::new(None), &wasm, &l);
    let e = h.run(&module, l).unwrap_err();
    assert_eq!(e.code(), ErrorCode::GuestCrash, "{e}");
    assert!(e.to_string().contains("out-of-bounds"), "{e}");
}

fn cache_entry(dir: &std::path::Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries.into_iter().next().unwrap()
}

#[test]
fn cached_modules_load_and_keep_their_metering() {
    let h = Harness::new();
    let dir = tempfile::tempdir().unwrap();
    let engine = WasmerEngine::new(Some(dir.path().to_owned()));
    let l = limits(20_000, 16);
    let config = CompileConfig {
        budget: 20_000_000,
        ..CompileConfig::for_limits(&l)
    };
    let wasm = guest(SPIN);
    crate::validate::validate(&wasm).unwrap();
    let first = engine.compile_with(&wasm, config, COMPILE_TIME).unwrap();
    assert_eq!(first.cache_outcome(), CacheOutcome::Miss);
    let second = engine.compile_with(&wasm, config, COMPILE_TIME).unwrap();
    assert_eq!(second.cache_outcome(), CacheOutcome::Hit);

    // Metering alone (the deadline is 20 s away) stops the cached module.
    let started = Instant::now();
    let e = h.run(&second, l).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout, "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Another budget is another entry.
    let other = CompileConfig {
        budget: 30_000_000,
        ..config
    };
    assert_eq!(
        engine
            .compile_with(&wasm, other, COMPILE_TIME)
            .unwrap()
            .cache_outcome(),
        CacheOutcome::Miss
    );

    // And a working module still works from the cache.
    let ok = guest(OK_42);
    let l = limits(5_000, 16);
    assert_eq!(
        engine.compile_module(&ok, &l).unwrap().cache_outcome(),
        CacheOutcome::Miss
    );
    let cached = engine.compile_module(&ok, &l).unwrap();
    assert_eq!(cached.cache_outcome(), CacheOutcome::Hit);
    assert_eq!(h.run(&cached, l).unwrap(), br#"{"ok":42}"#);
}

#[test]
fn a_corrupted_cache_entry_is_recompiled_not_deserialized() {
    let h = Harness::new();
    let dir = tempfile::tempdir().unwrap();
    let engine = WasmerEngine::new(Some(dir.path().to_owned()));
    let l = limits(5_000, 16);
    let wasm = guest(OK_42);
    assert_eq!(
        engine.compile_module(&wasm, &l).unwrap().cache_outcome(),
        CacheOutcome::Miss
    );

    // Flip one byte inside the artifact (one the deserializer would
    // happily load as different code).
    let path = cache_entry(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();

    let module = engine.compile_module(&wasm, &l).unwrap();
    assert_eq!(module.cache_outcome(), CacheOutcome::Rejected);
    assert_eq!(h.run(&module, l).unwrap(), br#"{"ok":42}"#);
    // The entry was rewritten and is intact again.
    assert_ne!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(
        engine.compile_module(&wasm, &l).unwrap().cache_outcome(),
        CacheOutcome::Hit
    );
}

#[test]
fn a_compilation_past_its_deadline_is_refused_and_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let engine = WasmerEngine::new(Some(dir.path().to_owned()));
    let l = limits(5_000, 16);
    let wasm = guest(OK_42);
    let started = Instant::now();
    let e = engine
        .compile_with(&wasm, CompileConfig::for_limits(&l), Duration::ZERO)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidPackage, "{e}");
    assert!(
        e.to_string()
            .contains("did not compile within resource_limits.max_compile_ms = 0"),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // Nothing was stored: the next compilation, with time, is a miss.
    assert_eq!(
        engine.compile_module(&wasm, &l).unwrap().cache_outcome(),
        CacheOutcome::Miss
    );
}

#[test]
fn functions_translated_past_the_deadline_become_unreachable() {
    // Nested control flow of every kind, with results, for the middleware to
    // drop up to each function's own `end`.
    let wasm = wat::parse_str(
        r#"(module
          (func (export "f") (param i32) (result i32)
            (block (result i32)
              (loop $l (result i32)
                (if (result i32) (local.get 0)
                  (then (br_if $l (i32.eqz (local.get 0))) (i32.const 1))
                  (else (block (br_table 0 0 (local.get 0))) (i32.const 2))))))
          (func (export "g") (result i64) (i64.const 7)))"#,
    )
    .unwrap();
    let l = limits(5_000, 16);
    let run_g = |deadline: Arc<CompileDeadline>| {
        let engine = CompileConfig::for_limits(&l).engine(deadline);
        // Without the progress callback wasmer compiles every function.
        let module = Module::new(&engine, &wasm).unwrap();
        let mut store = wasmer::Store::new(engine);
        let instance = wasmer::Instance::new(&mut store, &module, &wasmer::imports! {}).unwrap();
        let g = instance.exports.get_function("g").unwrap();
        g.call(&mut store, &[]).map(|v| v.to_vec())
    };

    let in_time = Arc::new(CompileDeadline::starting_now(COMPILE_TIME));
    assert_eq!(run_g(in_time.clone()).unwrap(), vec![wasmer::Value::I64(7)]);
    assert!(!in_time.expired());

    // Past the deadline every body is `unreachable`: Cranelift accepts it,
    // the deadline says so, and a call traps.
    let late = Arc::new(CompileDeadline::starting_now(Duration::ZERO));
    assert!(run_g(late.clone()).is_err());
    assert!(late.expired());
}
