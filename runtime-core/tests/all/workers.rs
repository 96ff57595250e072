//! `WorkerPool`: warm sessions, recycling, violations, panics, stale jobs,
//! deadlines and lazy workers, with sessions that count what happens to them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use morph_runtime_core::allocation;
use morph_runtime_core::capabilities::audit::MemoryAuditSink;
use morph_runtime_core::capabilities::{
    CallContext, CallKind, CapabilityBroker, ExtensionIdentity, Grants, LimitKind, PermissionSet,
    Providers, ResourceLimits,
};
use morph_runtime_core::workers::{Session, WorkerPool, WorkerPoolConfig, is_violation};
use morph_runtime_core::{Call, Error, ErrorCode, Result};
use serde_json::{Value, json};

/// What a job asks a counting session to do.
enum Job {
    /// Answer with this session's number and its use count.
    Count,
    /// Fail with a guest error (not a violation).
    GuestError,
    /// Fail with a memory limit (a violation).
    Violate,
    /// Panic inside the session.
    Panic,
    /// Wait at the barrier (to prove jobs run in parallel).
    Meet(Arc<Barrier>),
    /// Sleep, then answer.
    Sleep(Duration),
    /// Under a budget of `budget` bytes, allocate `bytes` in one go.
    Allocate { budget: u64, bytes: usize },
}

struct Counting {
    number: usize,
    uses: usize,
}

impl Session for Counting {
    type Job = Job;

    fn run(&mut self, _call: Call, job: Job) -> Result<Value> {
        self.uses += 1;
        match job {
            Job::Count => Ok(json!([self.number, self.uses])),
            Job::GuestError => Err(Error::params("x", "the guest said no")),
            Job::Violate => Err(Error::limit(LimitKind::Memory, "too big")),
            Job::Panic => panic!("the engine fell over"),
            Job::Meet(barrier) => {
                barrier.wait();
                Ok(json!(thread_name()))
            }
            Job::Sleep(d) => {
                std::thread::sleep(d);
                Ok(json!("slept"))
            }
            Job::Allocate { budget, bytes } => {
                let _meter = allocation::meter_current_thread().expect("installed");
                let _budget = allocation::budget_call(budget);
                let before = allocation::remaining();
                let block = std::hint::black_box(vec![1u8; bytes]);
                let after = allocation::remaining();
                let hosted = allocation::unbudgeted(|| {
                    // Host work may pass the ceiling; it still counts.
                    std::hint::black_box(vec![2u8; 3 * bytes]).len()
                });
                Ok(json!([
                    block.len(),
                    before,
                    after,
                    hosted,
                    allocation::call_growth()
                ]))
            }
        }
    }
}

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("").to_owned()
}

struct Fixture {
    _dir: tempfile::TempDir,
    broker: Arc<CapabilityBroker>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let providers = Providers::open(dir.path()).unwrap();
        let broker = Arc::new(CapabilityBroker::new(
            providers,
            Arc::new(MemoryAuditSink::new()),
        ));
        Fixture { _dir: dir, broker }
    }

    fn call(&self, max_execution_ms: u64) -> Call {
        let limits = ResourceLimits {
            max_execution_ms,
            ..ResourceLimits::default()
        };
        let ctx = CallContext::new(
            Arc::new(ExtensionIdentity {
                id: "pool-test".into(),
                version: "1.0.0".into(),
                runtime: "test".into(),
                manifest_digest: "0".repeat(64),
            }),
            Arc::new(Grants {
                permissions: PermissionSet::default(),
                allowed_hosts: Vec::new(),
                limits,
            }),
            Arc::new(json!({})),
            CallKind::Execute,
            "job",
        );
        Call::new(self.broker.clone(), Arc::new(ctx))
    }
}

/// A pool whose factory numbers the sessions it creates.
fn pool(max_workers: usize, recycle_after: u32) -> (WorkerPool<Counting>, Arc<AtomicUsize>) {
    pool_with(max_workers, recycle_after, false)
}

/// [`pool`], building sessions ahead when `build_ahead`.
fn pool_with(
    max_workers: usize,
    recycle_after: u32,
    build_ahead: bool,
) -> (WorkerPool<Counting>, Arc<AtomicUsize>) {
    let created = Arc::new(AtomicUsize::new(0));
    let counter = created.clone();
    let pool = WorkerPool::new(
        WorkerPoolConfig {
            name: "morph-test".into(),
            max_workers,
            stack_size: 1 << 20,
            recycle_after,
            build_ahead,
        },
        move |_call: &Call| {
            Ok(Counting {
                number: counter.fetch_add(1, Ordering::SeqCst),
                uses: 0,
            })
        },
    );
    (pool, created)
}

#[tokio::test]
async fn a_warm_session_serves_the_next_job() {
    let f = Fixture::new();
    let (pool, created) = pool(1, 100);
    assert_eq!(created.load(Ordering::SeqCst), 0, "no session before a job");
    assert_eq!(
        pool.run(f.call(1000), Job::Count).await.unwrap(),
        json!([0, 1])
    );
    assert_eq!(
        pool.run(f.call(1000), Job::Count).await.unwrap(),
        json!([0, 2])
    );
}

#[tokio::test]
async fn recycle_after_one_gives_every_job_a_fresh_session() {
    let f = Fixture::new();
    let (pool, _) = pool(1, 1);
    for n in 0..3 {
        assert_eq!(
            pool.run(f.call(1000), Job::Count).await.unwrap(),
            json!([n, 1])
        );
    }
}

#[tokio::test]
async fn build_ahead_gives_every_job_a_fresh_session_built_before_it() {
    let f = Fixture::new();
    let (pool, created) = pool_with(1, 1, true);
    for n in 0..3 {
        assert_eq!(
            pool.run(f.call(1000), Job::Count).await.unwrap(),
            json!([n, 1]),
            "a fresh session each job"
        );
        // The next session is built with no job waiting for it.
        let asked = std::time::Instant::now();
        while created.load(Ordering::SeqCst) < n + 2 {
            assert!(
                asked.elapsed() < std::time::Duration::from_secs(10),
                "the next session was not built ahead"
            );
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
    // Built ahead, used by the next job: never two sessions for one job.
    assert_eq!(created.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_session_is_replaced_after_its_uses() {
    let f = Fixture::new();
    let (pool, _) = pool(1, 2);
    assert_eq!(
        pool.run(f.call(1000), Job::Count).await.unwrap(),
        json!([0, 1])
    );
    assert_eq!(
        pool.run(f.call(1000), Job::Count).await.unwrap(),
        json!([0, 2])
    );
    assert_eq!(
        pool.run(f.call(1000), Job::Count).await.unwrap(),
        json!([1, 1])
    );
}

#[tokio::test]
async fn a_guest_error_keeps_the_session_and_a_violation_discards_it() {
    let f = Fixture::new();
    let (pool, _) = pool(1, 100);
    let e = pool.run(f.call(1000), Job::GuestError).await.unwrap_err();
    assert!(!is_violation(e.code()));
    assert_eq!(
        pool.run(f.call(1000), Job::Count).await.unwrap(),
        json!([0, 2])
    );
    let e = pool.run(f.call(1000), Job::Violate).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::MemoryLimit);
    assert_eq!(
        pool.run(f.call(1000), Job::Count).await.unwrap(),
        json!([1, 1])
    );
}

#[tokio::test]
async fn a_panic_fails_its_job_only_and_discards_the_session() {
    let f = Fixture::new();
    let (pool, _) = pool(1, 100);
    pool.run(f.call(1000), Job::Count).await.unwrap();
    let e = pool.run(f.call(1000), Job::Panic).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Internal);
    assert_eq!(
        pool.run(f.call(1000), Job::Count).await.unwrap(),
        json!([1, 1])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_start_on_demand_up_to_the_cap_and_run_in_parallel() {
    let f = Fixture::new();
    let (pool, created) = pool(3, 100);
    let pool = Arc::new(pool);
    let barrier = Arc::new(Barrier::new(3));
    let jobs: Vec<_> = (0..3)
        .map(|_| {
            let (pool, call, b) = (pool.clone(), f.call(5000), barrier.clone());
            tokio::spawn(async move { pool.run(call, Job::Meet(b)).await })
        })
        .collect();
    let mut threads = Vec::new();
    for j in jobs {
        threads.push(j.await.unwrap().unwrap().to_string());
    }
    threads.sort();
    threads.dedup();
    assert_eq!(threads.len(), 3, "three jobs met at once on {threads:?}");
    assert_eq!(created.load(Ordering::SeqCst), 3);
    // The cap holds: more jobs reuse the three workers.
    for _ in 0..5 {
        pool.run(f.call(1000), Job::Count).await.unwrap();
    }
    assert_eq!(created.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_waited_past_its_deadline_times_out_without_running() {
    let f = Fixture::new();
    let (pool, _) = pool(1, 100);
    let pool = Arc::new(pool);
    let busy = {
        let (pool, call) = (pool.clone(), f.call(5000));
        tokio::spawn(async move { pool.run(call, Job::Sleep(Duration::from_millis(300))).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let e = pool.run(f.call(100), Job::Count).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout);
    busy.await.unwrap().unwrap();
    // The timed-out job never reached the session: this is its second use.
    assert_eq!(
        pool.run(f.call(1000), Job::Count).await.unwrap(),
        json!([0, 2])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_caller_gave_up_is_skipped() {
    let f = Fixture::new();
    let (pool, _) = pool(1, 100);
    let pool = Arc::new(pool);
    let busy = {
        let (pool, call) = (pool.clone(), f.call(5000));
        tokio::spawn(async move { pool.run(call, Job::Sleep(Duration::from_millis(200))).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let abandoned = tokio::time::timeout(
        Duration::from_millis(10),
        pool.run(f.call(5000), Job::Count),
    )
    .await;
    assert!(abandoned.is_err(), "the job was still queued");
    busy.await.unwrap().unwrap();
    assert_eq!(
        pool.run(f.call(1000), Job::Count).await.unwrap(),
        json!([0, 2])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_one_after_another_reuse_one_worker() {
    let f = Fixture::new();
    let (pool, created) = pool(4, 100);
    for n in 1..=20 {
        assert_eq!(
            pool.run(f.call(1000), Job::Count).await.unwrap(),
            json!([0, n])
        );
    }
    assert_eq!(created.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_call_past_its_allocation_ceiling_is_memory_limit_and_the_worker_is_replaced() {
    const MIB: usize = 1 << 20;
    let f = Fixture::new();
    let (pool, created) = pool(1, 100);
    // Within the budget: it counts, and host work passes the ceiling.
    let fits = pool
        .run(
            f.call(5000),
            Job::Allocate {
                budget: 8 << 20,
                bytes: 4 * MIB,
            },
        )
        .await
        .unwrap();
    assert_eq!(fits[0], json!(4 * MIB));
    assert_eq!(fits[1], json!(8 << 20), "the whole budget at the start");
    let after = fits[2].as_u64().unwrap();
    assert!(after <= 4 << 20 && after > 3 << 20, "{fits}");
    assert_eq!(fits[3], json!(12 * MIB));
    // One allocation of 4x the budget never happens: the call is answered
    // with memory_limit at once (not at its deadline)...
    let started = std::time::Instant::now();
    let err = pool
        .run(
            f.call(30_000),
            Job::Allocate {
                budget: 8 << 20,
                bytes: 32 * MIB,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::MemoryLimit, "{err}");
    assert!(err.to_string().contains("retired"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20));
    // ...and the next job gets a new worker and a new session, although the
    // pool's cap is one worker (the parked one no longer counts).
    assert_eq!(
        pool.run(f.call(1000), Job::Count).await.unwrap(),
        json!([1, 1])
    );
    assert_eq!(created.load(Ordering::SeqCst), 2);
}

/// Threads of this process whose name starts with `prefix`.
#[cfg(target_os = "linux")]
fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.starts_with(prefix))
        .count()
}

/// THREATS.md, "The host itself": hours of mixed load keep memory, file
/// descriptors and threads flat (in part: workers stalled past their deadline
/// stay counted, so threads stay bounded).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_still_busy_after_their_caller_gave_up_count_against_the_cap() {
    let f = Fixture::new();
    let pool = Arc::new(WorkerPool::new(
        WorkerPoolConfig {
            name: "mq-cap".into(),
            max_workers: 2,
            stack_size: 1 << 20,
            recycle_after: 100,
            build_ahead: false,
        },
        |_call: &Call| Ok(Counting { number: 0, uses: 0 }),
    ));
    // Two calls stall in one native operation far past their deadline, and
    // their callers give up, as the host's deadline backstop does.
    for _ in 0..2 {
        let abandoned = tokio::time::timeout(
            Duration::from_millis(100),
            pool.run(f.call(50), Job::Sleep(Duration::from_millis(1500))),
        )
        .await;
        assert!(abandoned.is_err(), "the stall outlived its caller");
    }
    assert_eq!(threads_named("mq-cap"), 2);
    // Both workers are still busy: a burst of calls waits for them and
    // starts no third thread.
    let burst: Vec<_> = (0..6)
        .map(|_| {
            let (pool, call) = (pool.clone(), f.call(100));
            tokio::spawn(async move {
                tokio::time::timeout(Duration::from_millis(300), pool.run(call, Job::Count)).await
            })
        })
        .collect();
    for waiting in burst {
        assert!(waiting.await.unwrap().is_err(), "no worker was free");
    }
    assert_eq!(threads_named("mq-cap"), 2, "the cap counts busy workers");
    // Once the stalls end, the same two workers serve again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        pool.run(f.call(1000), Job::Count).await.unwrap()[0],
        json!(0)
    );
    assert_eq!(threads_named("mq-cap"), 2);
}
