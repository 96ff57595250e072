//! What a discarded JS session leaves on its worker's heap: nothing.
//!
//! Every session reads its entry's exports through the module's namespace
//! object; before `vendor/patches/boa_engine-namespace-trace.diff`, that
//! object's untraced cache of resolved exports rooted the module and, through
//! its realm, every object of the context, so each discarded context stayed
//! allocated (about 0.35 MiB for the smallest guest). These tests count the
//! worker thread's live heap bytes (the metered allocator, installed for this
//! test binary) across many sessions, and print how long a fresh context and
//! a fresh session take to create and to drop (figures, not assertions:
//! `cargo test -p morph-runtime-js --lib fresh_context -- --nocapture`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use morph_capabilities::{Call, CapabilityBroker};
use morph_runtime_core::ExtensionPackage;
use morph_runtime_core::allocation::{self, MeteredAllocator};
use morph_runtime_core::workers::Session;
use serde_json::json;

use crate::package_sources::PackageSources;
use crate::session::{Globals, Job, JsSession, Program, new_guest_context};

#[global_allocator]
static ALLOC: MeteredAllocator = MeteredAllocator::system();

/// A guest that uses what keeps objects alive across a module graph: a
/// namespace import, a dynamic import, closures, promises, classes, errors.
const ENTRY: &str = r#"
import * as lib from "./lib.js";
const kept = [];
class Box { constructor(v) { this.v = v; this.self = this; } }
export async function execute(action, params) {
  const other = await import("./lib.js");
  kept.push(new Box(params));
  try { throw new Error("x"); } catch (e) { kept.push(e); }
  const p = new Promise((resolve) => resolve(lib.twice(2) + other.twice(1)));
  return { value: await p, held: kept.length };
}
"#;

const LIB: &str =
    "export function twice(x) { return x * 2; }\nexport const table = { a: [1, 2, 3] };\n";

struct Fixture {
    _dir: tempfile::TempDir,
    /// Keeps the runtime the sessions' capability calls run on alive.
    _rt: tokio::runtime::Runtime,
    broker: Arc<CapabilityBroker>,
    program: Program,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let spec = morph_testkit::PackageSpec::new(
        "memory",
        "js",
        "index.js",
        ENTRY,
        "actions:\n  - {name: run, description: x, parameters: [{name: value, type: any}]}\n",
    )
    .file("lib.js", LIB);
    let package = ExtensionPackage::open_dir(spec.write(dir.path())).expect("the package");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let broker = morph_testkit::bare_broker(dir.path());
    let program = Program {
        sources: Arc::new(PackageSources::read(&package).expect("the sources")),
        entry: "index.js".into(),
        config: Arc::new(json!({})),
        limits: package.manifest().resource_limits,
        handle: rt.handle().clone(),
    };
    Fixture {
        _dir: dir,
        _rt: rt,
        broker,
        program,
    }
}

impl Fixture {
    fn call(&self) -> Call {
        morph_testkit::bare_call(&self.broker, "memory", "js")
    }

    /// Creates a session, runs `calls` calls on it, drops it; the time to
    /// create and to drop it.
    fn session(&self, calls: usize) -> (Duration, Duration) {
        let started = Instant::now();
        let mut session = JsSession::new(&self.program, &self.call()).expect("a session");
        let created = started.elapsed();
        for i in 0..calls {
            let job = Job::Execute {
                action: "run".into(),
                params: json!({ "value": i }),
            };
            let out = session.run(self.call(), job).expect("a call");
            assert_eq!(out["value"], 6, "{out}");
        }
        let started = Instant::now();
        drop(session);
        (created, started.elapsed())
    }
}

/// Runs `f` on a thread of its own (like a pool worker: its own Boa heap,
/// its own allocation count) and returns what it returns.
fn on_worker<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(crate::WORKER_STACK)
        .spawn(f)
        .expect("a worker thread")
        .join()
        .expect("the worker")
}

fn net_bytes(meter: &allocation::ThreadMeter) -> i64 {
    meter.meter().net_bytes()
}

#[test]
fn discarded_sessions_leave_nothing_on_the_worker_heap() {
    let fixture = Arc::new(fixture());
    let f = fixture.clone();
    let (grown, sessions) = on_worker(move || {
        let meter = allocation::meter_current_thread().expect("the metered allocator");
        // Warm up: what a thread keeps once (Boa's per-thread state).
        for _ in 0..3 {
            f.session(3);
        }
        let before = net_bytes(&meter);
        let sessions = 40;
        for _ in 0..sessions {
            f.session(3);
        }
        (net_bytes(&meter) - before, sessions)
    });
    // Before the fix, each session kept its whole context (several hundred
    // KiB); allow 8 KiB a session for allocator noise.
    assert!(
        grown < sessions * 8 * 1024,
        "{sessions} discarded sessions left {grown} bytes on the worker's heap"
    );
}

#[test]
fn a_warm_session_does_not_grow_per_call() {
    let fixture = Arc::new(fixture());
    let f = fixture.clone();
    let grown = on_worker(move || {
        let meter = allocation::meter_current_thread().expect("the metered allocator");
        f.session(3);
        let before = net_bytes(&meter);
        f.session(1000);
        net_bytes(&meter) - before
    });
    // The guest keeps two small objects a call (its `kept` array), dropped
    // with the session; nothing of the 1,000 calls may stay after it.
    assert!(grown < 64 * 1024, "1,000 calls left {grown} bytes");
}

/// Figures for RELIABILITY.md: a fresh guest context (what a new extension
/// in code mode pays per run) and a fresh session, created then dropped.
#[test]
fn fresh_context_create_and_drop_times() {
    let fixture = Arc::new(fixture());
    let f = fixture.clone();
    let lines = on_worker(move || {
        let rounds = 50u32;
        let mut lines = Vec::new();
        for globals in [Globals::Core, Globals::Web] {
            let _ = new_guest_context(globals).expect("a context");
            let (mut create, mut drop_time) = (Duration::ZERO, Duration::ZERO);
            for _ in 0..rounds {
                let started = Instant::now();
                let ctx = new_guest_context(globals).expect("a context");
                create += started.elapsed();
                let started = Instant::now();
                drop(ctx);
                boa_gc::force_collect();
                drop_time += started.elapsed();
            }
            lines.push(format!(
                "guest context ({globals:?}): create {:?}, drop and collect {:?} (mean of {rounds})",
                create / rounds,
                drop_time / rounds
            ));
        }
        f.session(0);
        let (mut create, mut drop_time) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..rounds {
            let (c, d) = f.session(1);
            create += c;
            drop_time += d;
        }
        lines.push(format!(
            "session (two modules, init, one call): create {:?}, drop {:?} (mean of {rounds})",
            create / rounds,
            drop_time / rounds
        ));
        lines
    });
    for line in lines {
        println!("{line}");
    }
}
