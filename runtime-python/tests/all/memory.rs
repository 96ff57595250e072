//! Memory limits that hold in-process: every operation that allocates its
//! result in one native step is refused before it allocates when the result
//! would not fit what the call may still allocate (`max_memory_mb: 64`
//! here), the call ends with `memory_limit` and the interpreter answers the
//! next call; the same operations on small inputs give CPython's results
//! (3.11, computed with `python3`). Code objects never come from guest
//! parts: every route that would forge one, or hand one to a function of
//! another shape, is a `guest_error`, never an engine panic (`internal`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use morph_testkit::PackageSpec;

use crate::support::{Guest, load};

const GUEST: &str = r#"
def execute(action, params):
    if action == "echo":
        return params
    ns = {}
    if action == "hold":
        held = "h" * (params["mb"] << 20)
        exec(params["code"], ns)
        return len(held)
    exec(params["code"], ns)
    return repr(ns.get("out"))
"#;

const ACTIONS: &str = "actions:
  - {name: value, description: x, parameters: [{name: code, type: string}]}
  - {name: hold, description: x, parameters: [{name: code, type: string}, {name: mb, type: integer}]}
  - {name: echo, description: x, parameters: [{name: value, type: any}]}
";

async fn guest() -> Guest {
    load(
        PackageSpec::new("memory", "python", "main.py", GUEST, ACTIONS)
            .limits("max_execution_ms: 10000\nmax_memory_mb: 64"),
        None,
    )
    .await
}

impl Guest {
    /// What `code` leaves in `out`, as `repr`.
    async fn value(&self, code: &str) -> morph_runtime_core::Result<Value> {
        self.run("value", json!({ "code": code })).await
    }

    /// Asserts `code` leaves `expected` in `out` (as `repr`).
    async fn gives(&self, code: &str, expected: &str) {
        let got = self.value(code).await;
        assert_eq!(
            got.as_ref().ok().and_then(Value::as_str),
            Some(expected),
            "{code}: {got:?}"
        );
    }

    /// Asserts `code` is refused with `MemoryError` (before it allocated:
    /// a guard, not the allocator's ceiling) and the interpreter answers.
    async fn refused(&self, code: &str) {
        let started = Instant::now();
        failed(code, self.value(code).await, "memory_limit", "MemoryError");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{code}: {:?}",
            started.elapsed()
        );
        self.still_serves().await;
    }
}

/// Asserts `got`, what `code` gave, is an error of `kind` whose message
/// holds `text`.
fn failed(code: &str, got: morph_runtime_core::Result<Value>, kind: &str, text: &str) {
    let err = got.expect_err(code);
    assert_eq!(err.code().as_str(), kind, "{code}: {err}");
    assert!(err.to_string().contains(text), "{code}: {err}");
}

/// One case of each class, far past 64 MiB.
const TOO_BIG: &[&str] = &[
    // Repetition, through the operator, the methods and subclasses.
    r#"out = "x" * 2**30"#,
    "out = [0] * 10**9",
    r#"out = "x".__mul__(2**30)"#,
    r#"out = "x".__rmul__(2**30)"#,
    "out = (0,).__mul__(10**9)",
    "out = [0]; out *= 10**9",
    r#"out = bytearray(b"x").__mul__(2**30)"#,
    r#"out = type("S", (str,), {})("x") * 2**30"#,
    "import sys; out = sys.flags * 10**9",
    // Big integers.
    "out = 2 ** (10**10)",
    "out = 3 ** (10**8)",
    "out = 1 << (10**10)",
    "out = True << (10**10)",
    "out = (2).__pow__(10**10)",
    "out = (10**10).__rpow__(2)",
    "out = (1).__lshift__(10**10)",
    // Joins.
    r#"out = "".join(["x" * 1000] * 1000000)"#,
    r#"out = b"".join([b"x" * 1000] * 1000000)"#,
    r#"out = bytearray(b",").join([b"x" * 1000] * 1000000)"#,
    r#"import itertools; out = "".join(itertools.repeat("x" * 1000, 10**6))"#,
    // Containers from an iterable of known length.
    "out = list(range(10**8))",
    "out = tuple(range(10**8))",
    "out = set(range(10**7))",
    "out = frozenset(range(10**7))",
    "out = sorted(range(10**8))",
    "out = dict.fromkeys(range(10**8))",
    "out = []; out.extend(range(10**8))",
    "out = []; out += range(10**8)",
    "out = []; out.__init__(range(10**8))",
    "out = set(); out.update(range(10**7))",
    "out = list(range(10**20))",
    r#"out = type("L", (list,), {})(range(10**8))"#,
    "import itertools; out = list(itertools.repeat(0, 10**9))",
    // Buffers from a size or an iterable.
    "out = bytes(2**30)",
    "out = bytearray(2**30)",
    "out = bytes(range(2**30))",
    "out = bytearray(); out.extend(range(2**30))",
    r#"out = (1).to_bytes(2**30, "big")"#,
    "out = list(bytes(2**27))",
    // Padding and rewriting.
    r#"out = "x".ljust(2**30)"#,
    r#"out = "x".rjust(2**30, "é")"#,
    r#"out = "x".center(2**30)"#,
    r#"out = "x".zfill(2**30)"#,
    r#"out = b"x".ljust(2**30)"#,
    r#"out = bytearray(b"1").zfill(2**30)"#,
    r#"out = ("\t" * 2**20).expandtabs(2**10)"#,
    r#"out = ("ab" * 2**20).replace("a", "x" * 2**10)"#,
    r#"out = ("a" * 2**20).replace("", "x" * 100)"#,
    r#"out = (b"ab" * 2**20).replace(b"a", b"x" * 2**10)"#,
    // Widths of format, f-strings, str.format and %.
    r#"out = "%0*d" % (2**30, 1)"#,
    r#"out = "%.*d" % (2**30, 1)"#,
    r#"out = "%1073741824s" % "x""#,
    r#"out = b"%0*d" % (2**30, 1)"#,
    r#"out = "%0*d".__mod__((2**30, 1))"#,
    r#"out = f"{1:>{2**30}}""#,
    r#"out = "{:>1073741824}".format(1)"#,
    r#"out = format(1.5, ">1073741824")"#,
    r#"out = format("x", "é<1073741824")"#,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_class_of_one_step_allocation_is_refused_before_it_allocates() {
    let g = guest().await;
    for code in TOO_BIG {
        g.refused(code).await;
    }
}

/// The guarded operations on small inputs, with CPython 3.11's `repr`.
const SMALL: &[(&str, &str)] = &[
    (r##"out = "ab" * 3"##, r##"'ababab'"##),
    (r##"out = [1] * 3"##, r##"[1, 1, 1]"##),
    (r##"out = (1,) * 2"##, r##"(1, 1)"##),
    (r##"out = b"x" * 2"##, r##"b'xx'"##),
    (r##"out = bytearray(b"x") * 2"##, r##"bytearray(b'xx')"##),
    (r##"out = "ab".__mul__(2)"##, r##"'abab'"##),
    (r##"out = "ab".__rmul__(2)"##, r##"'abab'"##),
    (r##"out = [1]; out *= 2"##, r##"[1, 1]"##),
    (r##"out = type("S", (str,), {})("ab") * 2"##, r##"'abab'"##),
    (
        r##"out = 2 ** 100"##,
        r##"1267650600228229401496703205376"##,
    ),
    (r##"out = pow(3, 50)"##, r##"717897987691852588770249"##),
    (r##"out = (2).__pow__(10)"##, r##"1024"##),
    (r##"out = (10).__rpow__(2)"##, r##"1024"##),
    (
        r##"out = 1 << 100"##,
        r##"1267650600228229401496703205376"##,
    ),
    (r##"out = True << 3"##, r##"8"##),
    (r##"out = (5).__rlshift__(1)"##, r##"32"##),
    (r##"out = pow(3, 100, 7)"##, r##"4"##),
    (r##"out = 2 ** -1"##, r##"0.5"##),
    (r##"out = ",".join(["a", "b"])"##, r##"'a,b'"##),
    (
        r##"out = b"-".join([b"a", bytearray(b"b"), memoryview(b"c")])"##,
        r##"b'a-b-c'"##,
    ),
    (r##"out = "".join(x for x in "abc")"##, r##"'abc'"##),
    (r##"out = "+".join(iter(["a"]))"##, r##"'a'"##),
    (
        r##"out = bytearray(b", ").join((b"x", b"y"))"##,
        r##"bytearray(b'x, y')"##,
    ),
    (r##"out = "".join({"k": 1})"##, r##"'k'"##),
    (r##"out = list(range(5))"##, r##"[0, 1, 2, 3, 4]"##),
    (r##"out = tuple(range(3))"##, r##"(0, 1, 2)"##),
    (r##"out = set(range(3))"##, r##"{0, 1, 2}"##),
    (r##"out = frozenset(range(2))"##, r##"frozenset({0, 1})"##),
    (
        r##"out = sorted([3, 1, 2], reverse=True)"##,
        r##"[3, 2, 1]"##,
    ),
    (
        r##"out = sorted("cBa", key=str.lower)"##,
        r##"['a', 'B', 'c']"##,
    ),
    (r##"out = dict.fromkeys("ab", 0)"##, r##"{'a': 0, 'b': 0}"##),
    (r##"out = [1]; out.extend(range(2))"##, r##"[1, 0, 1]"##),
    (r##"out = [1]; out += range(2)"##, r##"[1, 0, 1]"##),
    (
        r##"out = set(); out.update(range(3), [5])"##,
        r##"{0, 1, 2, 5}"##,
    ),
    (r##"out = bytes(3)"##, r##"b'\x00\x00\x00'"##),
    (r##"out = bytes(range(3))"##, r##"b'\x00\x01\x02'"##),
    (r##"out = bytearray(2)"##, r##"bytearray(b'\x00\x00')"##),
    (
        r##"out = bytearray(range(3))"##,
        r##"bytearray(b'\x00\x01\x02')"##,
    ),
    (
        r##"out = bytearray(); out.extend(range(3))"##,
        r##"bytearray(b'\x00\x01\x02')"##,
    ),
    (
        r##"out = (1).to_bytes(4, "big")"##,
        r##"b'\x00\x00\x00\x01'"##,
    ),
    (
        r##"out = (258).to_bytes(length=2, byteorder="little")"##,
        r##"b'\x02\x01'"##,
    ),
    (r##"out = bytes("hé", "utf-8")"##, r##"b'h\xc3\xa9'"##),
    (r##"out = list({"a": 1}.items())"##, r##"[('a', 1)]"##),
    (r##"out = type("L", (list,), {})(range(2))"##, r##"[0, 1]"##),
    (r##"out = []; out.__init__(range(2))"##, r##"[0, 1]"##),
    (r##"out = "ab".ljust(5, "*")"##, r##"'ab***'"##),
    (r##"out = "ab".rjust(5)"##, r##"'   ab'"##),
    (r##"out = "ab".center(6, "é")"##, r##"'ééabéé'"##),
    (r##"out = "42".zfill(5)"##, r##"'00042'"##),
    (r##"out = b"ab".center(6, b"-")"##, r##"b'--ab--'"##),
    (r##"out = "a\tb".expandtabs(4)"##, r##"'a   b'"##),
    (r##"out = "a\tb".expandtabs(tabsize=2)"##, r##"'a b'"##),
    (r##"out = "aaa".replace("a", "bb", 2)"##, r##"'bbbba'"##),
    (r##"out = "abc".replace("", "-")"##, r##"'-a-b-c-'"##),
    (r##"out = b"aa".replace(b"a", b"xy")"##, r##"b'xyxy'"##),
    (
        r##"out = bytearray(b"ab").replace(b"a", b"zz")"##,
        r##"bytearray(b'zzb')"##,
    ),
    (r##"out = "abc".replace("b", "")"##, r##"'ac'"##),
    (r##"out = format(42, ">6")"##, r##"'    42'"##),
    (r##"out = f"{3.14159:.2f}""##, r##"'3.14'"##),
    (r##"out = "{:*^9}".format("mid")"##, r##"'***mid***'"##),
    (
        r##"out = "%05d|%-4s|%.3f" % (42, "ab", 2.5)"##,
        r##"'00042|ab  |2.500'"##,
    ),
    (r##"out = "%*d" % (5, 7)"##, r##"'    7'"##),
    (r##"out = b"%5d" % 3"##, r##"b'    3'"##),
    (r##"out = format(1.5, ".3e")"##, r##"'1.500e+00'"##),
    (r##"out = "%(a)s %%" % {"a": 1}"##, r##"'1 %'"##),
    (r##"out = f"{1:>{5}}""##, r##"'    1'"##),
    (r##"out = format(255, "#x")"##, r##"'0xff'"##),
    (r##"out = format(1234567, ",")"##, r##"'1,234,567'"##),
    (r##"out = "%.*f" % (2, 1.0)"##, r##"'1.00'"##),
    (r##"out = format(2.5j, "^12.1f")"##, r##"'  0.0+2.5j  '"##),
    (r##"out = "%5s" % "ab""##, r##"'   ab'"##),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_inputs_give_cpythons_results() {
    let g = guest().await;
    for (code, expected) in SMALL {
        g.gives(code, expected).await;
    }
    // Argument errors stay Python's.
    let err = g.value("out = sorted()").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("sorted expected 1 argument, got 0"),
        "{err}"
    );
    let err = g.value(r#"out = "".join(5)"#).await.unwrap_err();
    assert!(err.to_string().contains("TypeError"), "{err}");
}

/// What the call already holds counts: 40 MiB live leave 24 of 64.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_past_what_is_left_of_the_call_is_refused() {
    let g = guest().await;
    for code in [
        r#"out = "y" * (30 << 20)"#,
        r#"out = "y".ljust(30 << 20)"#,
        r#"out = ",".join(["y" * (1 << 20)] * 30)"#,
        "out = bytes(30 << 20)",
    ] {
        // Alone, each fits.
        assert_eq!(
            g.run("hold", json!({"code": code, "mb": 1})).await.unwrap(),
            json!(1 << 20),
            "{code}"
        );
        let held = g.run("hold", json!({"code": code, "mb": 40})).await;
        failed(code, held, "memory_limit", "MemoryError");
        g.still_serves().await;
    }
}

/// A native path no guard sizes (unpacking a range is a loop inside the
/// engine) stops at the call's allocation ceiling, twice its budget: the
/// call is `memory_limit`, its worker retired, and the extension answers
/// from another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unguarded_native_path_stops_at_the_ceiling() {
    let g = guest().await;
    for code in ["out = [*range(10**8)]", "out = {*range(10**8)}"] {
        let started = Instant::now();
        failed(code, g.value(code).await, "memory_limit", "");
        assert!(started.elapsed() < Duration::from_secs(5), "{code}");
        g.still_serves().await;
    }
}

/// Float precisions Rust's formatter cannot take are a `ValueError`, not an
/// engine panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_float_precisions_are_a_guest_error() {
    let g = guest().await;
    for code in [
        r#"out = format(1.5, ".70000e")"#,
        r#"out = format(1.5, ".70000g")"#,
        r#"out = format(2j, ".70000e")"#,
        r#"out = format(1, ".70000e")"#,
        r#"out = f"{1.5:.{70000}}""#,
        r#"out = "%.70000g" % 1.5"#,
        r#"out = "%.*e" % (70000, 1.5)"#,
        r#"out = b"%.70000e" % 1.5"#,
    ] {
        failed(
            code,
            g.value(code).await,
            "guest_error",
            "precision too big",
        );
    }
    g.still_serves().await;
}

/// Every route to a code object made from guest parts, or to a function
/// whose shape its code does not have.
const FORGED: &[(&str, &str)] = &[
    (
        "import types; out = types.CodeType(*([0] * 18))",
        "PermissionError",
    ),
    (
        "import types; out = types.CodeType.__new__(types.CodeType)",
        "PermissionError",
    ),
    (
        "out = object.__new__(type((lambda: 0).__code__))",
        "TypeError",
    ),
    (
        "out = (lambda: 0).__code__.replace(co_consts=())",
        "PermissionError",
    ),
    (
        "out = (lambda: x).__code__.replace(co_names=())",
        "PermissionError",
    ),
    (
        r#"out = (lambda: 0).__code__.replace(co_code=b"\xff" * 8)"#,
        "PermissionError",
    ),
    (
        "out = (lambda: 0).__code__.__replace__(co_varnames=('a',))",
        "PermissionError",
    ),
    (
        "import copy; out = copy.replace((lambda: 0).__code__, co_consts=(None,))",
        "PermissionError",
    ),
    (
        "import copyreg; out = copyreg._reconstructor(type((lambda: 0).__code__), object, None)",
        "TypeError",
    ),
    (
        "import pickle; out = pickle.loads(pickle.dumps((lambda: 0).__code__))",
        "Error",
    ),
    (
        r#"import marshal; out = marshal.loads(b"\xe3" + bytes(64))"#,
        "PermissionError",
    ),
    (
        "import marshal; out = marshal.dumps((lambda: 0).__code__)",
        "PermissionError",
    ),
    // A compiler-made code object given to a function of another shape.
    (
        "f = lambda: 0; f.__code__ = (lambda x=1: (lambda: x))().__code__; out = f()",
        "ValueError: <lambda>() requires a code object with 0 free vars, not 1",
    ),
    (
        "f = lambda a=1: 0; f.__code__ = (lambda: 0).__code__; out = f(1)",
        "ValueError",
    ),
    (
        "f = lambda: 0; f.__defaults__ = (1, 2); out = f(1)",
        "ValueError",
    ),
    (
        "import types; out = types.FunctionType((lambda: 0).__code__, {}, None, (1, 2))()",
        "ValueError",
    ),
    (
        "import types; out = types.FunctionType((lambda x=1: (lambda: x))().__code__, {})()",
        "TypeError",
    ),
    (
        "out = exec((lambda x=1: (lambda: x))().__code__)",
        "TypeError",
    ),
    (
        "import sys; sys._getframe().f_lineno = 1",
        "ValueError: f_lineno can only be set by a trace function",
    ),
];

/// THREATS.md, "Guests reaching the host without the broker": Python, no way to
/// forge bytecode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_code_is_a_guest_error_on_every_route() {
    let g = guest().await;
    for (code, error) in FORGED {
        failed(code, g.value(code).await, "guest_error", error);
        g.still_serves().await;
    }
    // What the compiler made, in a function of its shape, still works.
    for (code, expected) in [
        (
            "f = lambda: 0; f.__code__ = (lambda: 7).__code__; out = f()",
            "7",
        ),
        ("f = lambda a: a; f.__defaults__ = (5,); out = f()", "5"),
        (
            "import types; out = types.FunctionType((lambda a: a * 2).__code__, {}, 'g', (4,))()",
            "8",
        ),
        (
            "out = (lambda: 0).__code__.replace(co_name='renamed').co_name",
            "'renamed'",
        ),
        ("import sys; out = sys._getframe().f_lineno", "1"),
    ] {
        g.gives(code, expected).await;
    }
}
