//! The adversarial guests: each ends in its code and the host (and
//! the extension) answer afterwards.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Guest, guest, load};

async fn hostile(id: &str) -> Guest {
    load(
        guest(id).limits("max_execution_ms: 400\nmax_memory_mb: 32"),
        None,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catching_the_interrupt_in_a_loop_still_times_out() {
    let g = hostile("swallow").await;
    let started = Instant::now();
    assert_eq!(g.code("swallow_forever", json!({})).await, "timeout");
    assert!(
        started.elapsed() < Duration::from_millis(400 + 200),
        "{:?}",
        started.elapsed()
    );
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raising_the_recursion_limit_is_impossible() {
    let g = hostile("deep").await;
    assert_eq!(g.code("deep_recursion", json!({})).await, "stack_overflow");
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cyclic_result_is_refused() {
    let g = hostile("cyclic").await;
    let err = g.run("cyclic", json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error");
    assert!(err.to_string().contains("cycle"), "{err}");
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_grown_forever_is_stopped() {
    let g = hostile("list").await;
    // Growth in small steps is not measured in-process (README): the
    // deadline stops it.
    let code = g.code("list_forever", json!({})).await;
    assert!(
        ["timeout", "memory_limit"].contains(&code.as_str()),
        "{code}"
    );
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleeping_past_the_deadline_is_a_timeout() {
    let g = hostile("sleep").await;
    let started = Instant::now();
    assert_eq!(g.code("sleep", json!({})).await, "timeout");
    assert!(started.elapsed() < Duration::from_millis(400 + 200));
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_modules_and_files_are_out_of_reach() {
    let g = hostile("escape").await;
    let err = g.run("import_os", json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error");
    assert!(err.to_string().contains("ModuleNotFoundError"), "{err}");
    let err = g.run("open_passwd", json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error");
    assert!(err.to_string().contains("NameError"), "{err}");
    let walk = g.run("escape_walk", json!({})).await.unwrap();
    assert_eq!(walk["reached"], json!([]), "{walk}");
    let names = walk["sys"].to_string();
    for gone in ["marshal", "gc", "posix", "atexit", "_thread", "time\""] {
        assert!(!names.contains(gone), "{gone} in {names}");
    }
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_huge_allocation_is_memory_limit_before_it_happens() {
    // A generous deadline: a refusal must not depend on machine load.
    let g = load(
        guest("huge").limits("max_execution_ms: 5000\nmax_memory_mb: 32"),
        None,
    )
    .await;
    let started = Instant::now();
    assert_eq!(
        g.code("huge_repeat", json!({"n": 100_000_000})).await,
        "memory_limit"
    );
    assert_eq!(g.code("huge_repeat", json!({})).await, "memory_limit");
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    g.still_serves().await;
}

/// `10 ** (10 ** 8)` is one native computation with no interrupt check; the
/// int `**` guard estimates the result (about 50 MB) against max_memory_mb
/// (32) before it starts. A power that fits the cap but takes long is a native
/// stall (README): only the host's backstop and the process tier end it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_power_is_memory_limit_before_it_starts() {
    let g = hostile("pow").await;
    let started = Instant::now();
    let code = g.code("huge_pow", json!({})).await;
    assert_eq!(code, "memory_limit");
    assert!(
        started.elapsed() < Duration::from_millis(400 + 400),
        "{:?}",
        started.elapsed()
    );
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_ambient_route_to_the_host() {
    let g = hostile("ambient").await;
    let out = g.run("ambient", json!({"port": 9})).await.unwrap();
    assert_eq!(
        out,
        json!({"files": false, "env": false, "network": false, "process": false})
    );
}
