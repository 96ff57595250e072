//! Memory limits that hold in-process (issue 24): builtins whose result
//! size comes from guest input end the call with `memory_limit` before they
//! allocate (never abort the host), weighed against what the call may
//! still allocate; the same builtins with ordinary inputs give their usual
//! results, and the extension answers the next call.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Guest, GuestOptions, load_guest};

/// The cap every case runs under.
const LIMITS: &str = "max_memory_mb: 64\nmax_execution_ms: 10000";

async fn guest() -> Guest {
    load_guest(GuestOptions {
        limits: LIMITS,
        ..Default::default()
    })
    .await
}

/// A 16 MiB Latin-1 string `s`, built by doubling (no guarded builtin).
const BIG: &str = "let s = 'x'; for (let i = 0; i < 24; i++) s += s;";

/// Runs `code` through indirect `eval` and asserts `memory_limit`, quickly,
/// with the extension still serving afterwards.
async fn refused(g: &Guest, code: &str) {
    let t = Instant::now();
    let got = g.run("eval", json!({ "code": code })).await;
    let took = t.elapsed();
    match got {
        Err(e) => {
            eprintln!("{code}: {} after {took:?}: {e}", e.code().as_str());
            assert_eq!(e.code().as_str(), "memory_limit", "{code}: {e}");
        }
        Ok(v) => panic!("{code} succeeded with {v}"),
    }
    assert!(took < Duration::from_secs(5), "{code} took {took:?}");
    g.still_serves().await;
}

/// [`refused`] for each of `codes`, in order.
async fn all_refused(g: &Guest, codes: &[&str]) {
    for code in codes {
        refused(g, code).await;
    }
}

async fn eval(g: &Guest, code: &str) -> Value {
    g.run("eval", json!({ "code": code }))
        .await
        .unwrap_or_else(|e| panic!("{code}: {e}"))
}

/// An array of length `2 ** 32 - 1` that stores nothing.
const SPARSE: &str = "const a = []; a.length = 2 ** 32 - 1;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_of_huge_sparse_arrays_are_memory_limit_not_an_abort() {
    // Boa reserves two list slots per index of SPARSE before reading one:
    // 64 GiB, which used to abort the host process.
    all_refused(
        &guest().await,
        &[
            &format!("{SPARSE} a.join('abc')"),
            &format!("{SPARSE} a.toString()"),
            &format!("{SPARSE} a.toLocaleString()"),
            &format!("{SPARSE} a.sort()"),
            &format!("{SPARSE} JSON.stringify(a)"),
            &format!("{SPARSE} Math.max.apply(null, a)"),
            &format!("{SPARSE} Reflect.apply(Math.max, null, a)"),
            "Reflect.construct(Array, { length: 2 ** 31 })",
            "String.fromCharCode.apply(null, new Uint8Array(2 ** 24)).length",
            // Many stored strings: the elements count too.
            "const s = 'x'.repeat(2 ** 20); Array(200).fill(s).join('')",
            "new Uint8Array(2 ** 24).join(',')",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn string_builders_are_memory_limit() {
    // One match, but each `$`` inserts the whole string before it.
    let prefixes = "$`".repeat(64);
    all_refused(
        &guest().await,
        &[
            "'x'.repeat(2 ** 28)",
            "'ab'.repeat(2 ** 27)",
            "'x'.padStart(2 ** 28)",
            "'x'.padEnd(2 ** 28, 'ab')",
            &format!("{BIG} 'abc'.concat(s, s, s)"),
            "let s = '\\uFB03'; for (let i = 0; i < 23; i++) s += s; s.normalize('NFKD')",
            &format!("{BIG} s.split('')"),
            &format!("{BIG} s.toUpperCase()"),
            "let s = 'x'; for (let i = 0; i < 20; i++) s += s; s.replaceAll('x', '$`')",
            &format!(
                "let s = 'x'; for (let i = 0; i < 20; i++) s += s; s.replace('x', '{prefixes}')"
            ),
            "let s = '\\u4e2d'; for (let i = 0; i < 22; i++) s += s; encodeURIComponent(s)",
            &format!("{BIG} Object.keys(s)"),
            "(1n << 100000000n).toString(2).length",
            "String(BigInt.asUintN(2 ** 29, -1n)).length",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn array_builders_are_memory_limit() {
    all_refused(
        &guest().await,
        &[
            "new Array(2 ** 26).fill(0)",
            "Array.from({ length: 2 ** 26 })",
            &format!("{BIG} Array.from(s)"),
            "const a = new Array(2 ** 20).fill(0); a.concat(a, a, a, a)",
            "new Array(2 ** 20).fill([1, 2, 3, 4, 5, 6, 7, 8]).flat()",
            "Array(2 ** 26).toSpliced(0, 0)",
            "Array(2 ** 26).with(0, 1)",
            "Array(2 ** 26).toReversed()",
            "Array(2 ** 26).toSorted()",
            "const s = 'x'.repeat(2 ** 20); JSON.stringify(Array(200).fill(s))",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffers_past_the_budget_are_memory_limit() {
    let g = guest().await;
    all_refused(
        &g,
        &[
            "new ArrayBuffer(2 ** 30).byteLength",
            "new SharedArrayBuffer(2 ** 30).byteLength",
            "new Float64Array(2 ** 27).length",
            "new ArrayBuffer(0, { maxByteLength: 2 ** 30 }).byteLength",
        ],
    )
    .await;
    // Boa's own RangeError, thrown before allocating: the guest may catch
    // it (it got nothing), and only an uncaught one ends the call.
    let caught = eval(
        &g,
        "let r; try { new ArrayBuffer(2 ** 30) } catch (e) { r = e.name } r",
    )
    .await;
    assert_eq!(caught, json!("RangeError"));
    // Garbage buffers are collected, not counted against the next one.
    let churn = eval(
        &g,
        "let n = 0; for (let i = 0; i < 300; i++) n += new Uint8Array(1 << 20).length; n",
    )
    .await;
    assert_eq!(churn, json!(300 << 20));
    g.still_serves().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_call_already_holds_counts() {
    let g = guest().await;
    // A call's growth is net of what it frees, garbage left by earlier
    // calls of a warm context included: these run first, each in a fresh
    // context (a limit discards the one it ended in).
    // 30 MiB does not fit after a live 40 MiB string...
    all_refused(
        &g,
        &[
            "const keep = 'x'.repeat(40 * 2 ** 20); const more = 'y'.repeat(30 * 2 ** 20); \
             keep.length + more.length",
            "const keep = 'x'.repeat(40 * 2 ** 20); new ArrayBuffer(30 * 2 ** 20).byteLength",
        ],
    )
    .await;
    // ...but fits a 64 MiB budget on its own.
    let alone = eval(&g, "'y'.repeat(30 * 2 ** 20).length").await;
    assert_eq!(alone, json!(30 << 20));
    // Strings that die each iteration do not add up.
    let churn = eval(
        &g,
        "let n = 0; for (let i = 0; i < 200; i++) n += ('y'.repeat(2 ** 20) + i).length; n",
    )
    .await;
    assert_eq!(churn, json!(200 * (1 << 20) + 10 + 90 * 2 + 100 * 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guarded_builtins_still_work() {
    let g = guest().await;
    let got = eval(
        &g,
        r#"JSON.stringify([
            [1, 2, 3].join("-"), [1, [2, 3]].toString(), [1, 2].toLocaleString(),
            "ab".repeat(3), "x".repeat(0), "5".padStart(3, "0"), "a".padEnd(4, "bc"),
            "a".concat("b", 1, null), "\uFB03".normalize("NFKD"), "a,b,,c".split(","),
            "abc".split(""), "a-b-c".split("-", 2), "a-b-a".replaceAll("a", "$&$&"),
            "xay".replace("a", "[$`|$']"), "abc".toUpperCase(), "ÀB".toLowerCase(),
            encodeURIComponent("a b/ä"), encodeURI("a b/ä"), escape("ä b"),
            Object.keys("ab"), Object.values([7, 8]), Object.entries({ a: 1 }),
            Reflect.ownKeys([5]), Array.from("ab"), Array.from({ length: 2 }),
            Array.from([1, 2]), new Array(3).fill(0), [1, 2, 3, 4].fill(9, 1, -1),
            [1].concat([2], 3), [[1], [2, [3]]].flat(), [[1], [2, [3]]].flat(Infinity),
            [1, 2, 3].toSpliced(1, 1, "x", "y"), [1, 2].with(0, 5), [1, 2].toReversed(),
            [2, 1].toSorted(), [3, 1, 2].sort(), [1, 2, 3].slice(1), [1, 2, 3].slice(-2, -1),
            Math.max.apply(null, [1, 5, 2]), Reflect.apply(Math.min, null, [4, 2]),
            Reflect.construct(Array, [1, 2]), new Uint8Array([1, 2]).join("+"),
            new Uint8Array([1, 2]).toLocaleString(), JSON.stringify({ a: [1, "x", null] }),
            JSON.stringify("q"), JSON.stringify(new Date(0)), JSON.stringify({ b: 1 }, null, 1),
            new ArrayBuffer(8).byteLength, (255n).toString(16), (255n).toString(),
            String(BigInt.asUintN(8, -1n)), String(BigInt.asIntN(8, 255n)),
            String.fromCharCode.apply(null, new Uint8Array([104, 105])), (12n).toLocaleString()
        ])"#,
    )
    .await;
    let got: Value = serde_json::from_str(got.as_str().unwrap()).unwrap();
    let want = json!([
        "1-2-3",
        "1,2,3",
        "1, 2",
        "ababab",
        "",
        "005",
        "abcb",
        "ab1null",
        "ffi",
        ["a", "b", "", "c"],
        ["a", "b", "c"],
        ["a", "b"],
        "aa-b-aa",
        "x[x|y]y",
        "ABC",
        "àb",
        "a%20b%2F%C3%A4",
        "a%20b/%C3%A4",
        "%E4%20b",
        ["0", "1"],
        [7, 8],
        [["a", 1]],
        ["0", "length"],
        ["a", "b"],
        [null, null],
        [1, 2],
        [0, 0, 0],
        [1, 9, 9, 4],
        [1, 2, 3],
        [1, 2, [3]],
        [1, 2, 3],
        [1, "x", "y", 3],
        [5, 2],
        [2, 1],
        [1, 2],
        [1, 2, 3],
        [2, 3],
        [2],
        5,
        2,
        [1, 2],
        "1+2",
        "1, 2",
        "{\"a\":[1,\"x\",null]}",
        "\"q\"",
        "\"1970-01-01T00:00:00.000Z\"",
        "{\n \"b\": 1\n}",
        8,
        "ff",
        "255",
        "255",
        "-1",
        "hi",
        "12"
    ]);
    assert_eq!(got, want);
    // Large but affordable: a 10 MiB repeat, a join and a JSON text of
    // a few MiB, a split into half a million strings.
    let sizes = eval(
        &g,
        "const s = 'x'.repeat(10 * 2 ** 20); \
         const a = Array.from({ length: 2 ** 18 }, (_, i) => i); \
         JSON.stringify([s.length, a.join(',').length, JSON.stringify(a).length, \
            'ab'.repeat(2 ** 18).split('').length, s.padEnd(s.length + 5, '-').length])",
    )
    .await;
    let sizes: Value = serde_json::from_str(sizes.as_str().unwrap()).unwrap();
    assert_eq!(
        sizes,
        json!([10 << 20, 1_723_897, 1_723_899, 1 << 19, (10 << 20) + 5])
    );
}
