//! The issue's adversarial guests: each ends in its code and the host (and
//! the extension) answer afterwards.

use std::time::{Duration, Instant};

use serde_json::json;

use morph_testkit::PackageSpec;

use crate::support::{Guest, guest, load};

async fn hostile(id: &str) -> Guest {
    load(
        guest(id).limits("max_execution_ms: 400\nmax_memory_mb: 32"),
        None,
    )
    .await
}

/// THREATS.md, "Exhausting the host": termination cannot be caught by the guest
/// (`except BaseException` in a loop).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catching_the_interrupt_in_a_loop_still_times_out() {
    let g = hostile("swallow").await;
    let started = Instant::now();
    assert_eq!(g.code("swallow_forever", json!({})).await, "timeout");
    // Within the host's backstop (deadline + 250 ms): under load the tracer's
    // interrupt is sometimes caught by this loop and only the backstop
    // answers (runtime-python README, Known issues).
    assert!(
        started.elapsed() < Duration::from_millis(400 + 250 + 200),
        "{:?}",
        started.elapsed()
    );
    g.still_serves().await;
}

/// The deadline passes inside an `except` body whose loop is one instruction
/// with an argument: RustPython 0.5 would run the handler's cleanup with a
/// corrupted argument if the signal raised itself (a stack underflow).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn looping_inside_the_interrupt_handler_still_times_out() {
    let g = hostile("handler").await;
    for _ in 0..3 {
        assert_eq!(g.code("loop_in_handler", json!({})).await, "timeout");
    }
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raising_the_recursion_limit_is_impossible() {
    let g = hostile("deep").await;
    assert_eq!(g.code("deep_recursion", json!({})).await, "stack_overflow");
    g.still_serves().await;
}

/// Recursion through every native re-entry path we know of, and natively
/// recursive operations on deeply nested values.
const RECURSIVE: &str = r#"
import _functools as functools
class A:
    def __init__(self, n):
        self.n = n
    def __repr__(self):
        return repr(A(self.n - 1)) if self.n > 0 else "A"
    def __eq__(self, o):
        return A(self.n - 1) == o if self.n > 0 else True
    def __getattr__(self, name):
        return getattr(A(self.n - 1), name) if self.n > 0 else 1
    def __hash__(self):
        return hash(A(self.n - 1)) if self.n > 0 else 0
def plain(n):
    return plain(n - 1) if n > 0 else 0
def via_sorted(n):
    return sorted([n], key=lambda x: via_sorted(n - 1))[0] if n > 0 else 0
def via_map(n):
    return list(map(lambda x: via_map(n - 1), [n]))[0] if n > 0 else 0
def via_reduce(n):
    return functools.reduce(lambda a, b: via_reduce(n - 1), [1, 2]) if n > 0 else 0
def gen(n):
    if n > 0:
        yield from gen(n - 1)
    yield n
def via_str_format(n):
    class F:
        def __format__(self, spec):
            return via_str_format(n - 1) if n > 0 else ""
    return "{}".format(F())
def via_init(n):
    class B:
        def __init__(self):
            self.x = via_init(n - 1) if n > 0 else 0
    return B()
def execute(action, params):
    k = params["value"]
    n = 10 ** 6
    if k == "plain": return plain(n)
    if k == "repr": return repr(A(n))
    if k == "eq": return A(n) == 1
    if k == "getattr": return A(n).zzz
    if k == "hash": return hash(A(n))
    if k == "sorted": return via_sorted(n)
    if k == "map": return via_map(n)
    if k == "reduce": return via_reduce(n)
    if k == "gen": return sum(gen(n))
    if k == "format": return via_str_format(n)
    if k == "init": return via_init(n) and 1
    if k == "ok500": return plain(500)
    if k in ("nrepr", "neq", "nhash", "nstr", "ndict", "ncmp"):
        a = []
        b = []
        t = ()
        d = {}
        for i in range(50000):
            a = [a]
            b = [b]
            t = (t,)
            d = {"k": d}
        if k == "nrepr": return len(repr(a))
        if k == "neq": return a == b
        if k == "ncmp": return a < b
        if k == "nhash": return hash(t)
        if k == "nstr": return len(str(t))
        if k == "ndict": return len(repr(d))

"#;

/// THREATS.md, "Exhausting the host": recursion in the host on guest-shaped
/// data is bounded: never a native stack overflow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recursion_through_native_code_is_stack_overflow_not_a_crash() {
    let spec = PackageSpec::new(
        "recursive",
        "python",
        "main.py",
        RECURSIVE,
        "actions:\n  - {name: echo, description: x, parameters: [{name: value, type: any}]}\n",
    );
    let g = load(spec.limits("max_execution_ms: 30000"), None).await;
    // Within the limit (1000 frames), recursion works.
    assert_eq!(
        g.run("echo", json!({"value": "ok500"})).await.unwrap(),
        json!(0)
    );
    for form in [
        "plain", "repr", "eq", "getattr", "hash", "sorted", "map", "reduce", "gen", "format",
        "init", "nrepr", "neq", "ncmp", "nstr", "ndict",
    ] {
        assert_eq!(
            g.code("echo", json!({ "value": form })).await,
            "stack_overflow",
            "{form}"
        );
    }
    // Hashing a nested tuple is iterative in RustPython: no overflow at all.
    assert!(g.run("echo", json!({"value": "nhash"})).await.is_ok());
    assert_eq!(
        g.run("echo", json!({"value": "ok500"})).await.unwrap(),
        json!(0)
    );
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

/// THREATS.md, "Guests reaching the host without the broker": Python, host
/// modules compiled out, not hidden.
/// THREATS.md, "Guests reaching the host without the broker": Python,
/// `__subclasses__`, `__globals__`, frame, `gc` and code-object walks find
/// nothing that reaches the host (`escape_walk`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_modules_and_files_are_out_of_reach() {
    let g = hostile("escape").await;
    // `os` is the inert stand-in (cli/tests/all/python_sandbox.rs probes it).
    let os = g.run("import_os", json!({})).await.unwrap();
    assert!(os.as_str().unwrap_or("").contains("'os'"), "{os}");
    let err = g.run("open_passwd", json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error");
    assert!(err.to_string().contains("PermissionError"), "{err}");
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
/// THREATS.md, "Exhausting the host": every limit holds against one big native
/// operation too (`10**(10**8)`).
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
