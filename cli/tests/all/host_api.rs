//! One host API (issue 20, point 7), through the real `morph` binary: every
//! capability function answers the same in JavaScript and Python whether it
//! is called with the wire request (one object) or with its parameters
//! (positional, or Python keywords / a JS options object), and a malformed
//! request is the extension's failure in every language: the same
//! `invalid_request`, naming the capability and the field, exit code 1.
//!
//! The cases are data; one guest per language maps a wire name to its
//! function (`data.create_task` is `morph.data.createTask` in JS and
//! `morph.data.create_task` in Python) and calls it with the case's
//! arguments, so adding a case is one line and both languages run it.

use std::path::{Path, PathBuf};
use std::process::Command;

use morph_testkit::{PackageSpec, Reply, TestServer};
use serde_json::{Value, json};

/// The languages of the table: (runtime, entry file, guest source).
const LANGUAGES: [(&str, &str, &str); 2] = [("js", "index.js", JS), ("python", "main.py", PY)];

/// Stands in for a value JSON cannot carry (a function in JS, a set in Python).
const NOT_JSON: &str = "$not_json";

const JS: &str = r#"
const API = {
  "http.fetch": morph.http.fetch,
  "vault.get": morph.vault.get,
  "vault.set": morph.vault.set,
  "events.emit": morph.events.emit,
  "fs.read": morph.fs.read,
  "fs.write": morph.fs.write,
  "fs.list": morph.fs.list,
  "fs.delete": morph.fs.delete,
  "data.create_task": morph.data.createTask,
  "data.get_task": morph.data.getTask,
  "data.list_tasks": morph.data.listTasks,
  "data.update_task": morph.data.updateTask,
  "log": morph.log,
  "config": morph.config,
};

function call(c) {
  const args = c.args.map((a) => (a === "$not_json" ? () => 1 : a));
  if (c.named) args.push(c.named);
  const result = API[c.capability](...args);
  return result === undefined ? null : result;
}

export function execute(action, params) {
  if (action === "raise") return call(params);
  return params.cases.map((c) => {
    try {
      return { ok: call(c) };
    } catch (e) {
      return { error: { code: e.code ?? null, capability: e.capability ?? null, message: e.message } };
    }
  });
}
"#;

const PY: &str = r#"
import morph

API = {
    "http.fetch": morph.http.fetch,
    "vault.get": morph.vault.get,
    "vault.set": morph.vault.set,
    "events.emit": morph.events.emit,
    "fs.read": morph.fs.read,
    "fs.write": morph.fs.write,
    "fs.list": morph.fs.list,
    "fs.delete": morph.fs.delete,
    "data.create_task": morph.data.create_task,
    "data.get_task": morph.data.get_task,
    "data.list_tasks": morph.data.list_tasks,
    "data.update_task": morph.data.update_task,
    "log": morph.log,
    "config": morph.config,
}


def call(c):
    args = [{1, 2} if a == "$not_json" else a for a in c["args"]]
    return API[c["capability"]](*args, **(c.get("named") or {}))


def execute(action, params):
    if action == "raise":
        return call(params)
    out = []
    for c in params["cases"]:
        try:
            out.append({"ok": call(c)})
        except morph.MorphError as e:
            out.append({"error": {"code": e.code, "capability": e.capability,
                                  "message": e.message}})
    return out
"#;

const ACTIONS: &str = "actions:
  - {name: run, description: Calls every case and reports each outcome, parameters: [{name: cases, type: any, required: true}]}
  - {name: raise, description: Calls one case and lets a failure end the call, parameters: [{name: capability, type: string, required: true}, {name: args, type: any, required: true}, {name: named, type: any}]}
";

const PERMISSIONS: &[&str] = &[
    "http:read",
    "http:write",
    "vault:read",
    "vault:write",
    "event:emit",
    "fs:read",
    "fs:write",
    "data:read",
    "data:write",
];

/// A capability call that succeeds, in its spellings: the wire request, the
/// parameters (the same positional list in both languages, `null` for a
/// field left out), and optionally the first parameter with the rest by
/// name (Python keywords, a JS options object).
struct Case {
    capability: &'static str,
    wire: Value,
    args: Value,
    named: Option<(Value, Value)>,
}

impl Case {
    /// The guest's `{capability, args, named}` for `spelling`: `wire`,
    /// `parameters`, or `named` (the parameters where the case has no names).
    fn spelled(&self, spelling: &str) -> Value {
        match (spelling, &self.named) {
            ("wire", _) => json!({"capability": self.capability, "args": [self.wire]}),
            ("named", Some((first, named))) => {
                json!({"capability": self.capability, "args": [first], "named": named})
            }
            _ => json!({"capability": self.capability, "args": self.args}),
        }
    }
}

fn case(capability: &'static str, wire: Value, args: Value) -> Case {
    Case {
        capability,
        wire,
        args,
        named: None,
    }
}

/// The successful calls, in order (later ones read what earlier ones wrote).
fn cases(url: &str) -> Vec<Case> {
    let headers = json!({"x-test": "1"});
    vec![
        Case {
            named: Some((
                json!(url),
                json!({"method": "POST", "headers": headers, "body": "hi"}),
            )),
            ..case(
                "http.fetch",
                json!({"url": url, "method": "POST", "headers": headers, "body": "hi"}),
                json!([url, "POST", headers, "hi"]),
            )
        },
        case(
            "http.fetch",
            json!({"url": url, "body": "aGk=", "body_encoding": "base64", "method": "PUT"}),
            json!([url, "PUT", null, "aGk=", "base64"]),
        ),
        case("http.fetch", json!({"url": url}), json!([url])),
        case(
            "vault.set",
            json!({"key": "k", "value": "v"}),
            json!(["k", "v"]),
        ),
        case("vault.get", json!({"key": "k"}), json!(["k"])),
        case("vault.get", json!({"key": "unset"}), json!(["unset"])),
        case(
            "events.emit",
            json!({"message": "m", "level": "warn", "data": {"n": 1}}),
            json!(["m", "warn", {"n": 1}]),
        ),
        case(
            "log",
            json!({"message": "hello", "level": "debug"}),
            json!(["hello", "debug"]),
        ),
        case("config", json!({}), json!([])),
        case(
            "fs.write",
            json!({"path": "d/a.txt", "content": "aGk=", "encoding": "base64"}),
            json!(["d/a.txt", "aGk=", "base64"]),
        ),
        case("fs.read", json!({"path": "d/a.txt"}), json!(["d/a.txt"])),
        case("fs.list", json!({}), json!([])),
        case("fs.list", json!({"path": "d"}), json!(["d"])),
        case("fs.delete", json!({"path": "d/a.txt"}), json!(["d/a.txt"])),
        Case {
            named: Some((
                json!("t1"),
                json!({"description": "d", "status": "open", "data": {"n": 1}}),
            )),
            ..case(
                "data.create_task",
                json!({"title": "t1", "description": "d", "status": "open", "data": {"n": 1}}),
                json!(["t1", "d", "open", {"n": 1}]),
            )
        },
        case("data.create_task", json!({"title": "t2"}), json!(["t2"])),
        case("data.get_task", json!({"id": 1}), json!([1])),
        Case {
            named: Some((json!(2), json!({"status": "done"}))),
            ..case(
                "data.update_task",
                json!({"id": 2, "status": "done"}),
                json!([2, null, null, "done"]),
            )
        },
        case(
            "data.list_tasks",
            json!({"status": "done"}),
            json!(["done"]),
        ),
        case(
            "data.list_tasks",
            json!({"limit": 1, "offset": 1}),
            json!([null, 1, 1]),
        ),
    ]
}

/// A malformed call: its arguments (a lone object is the wire request) and
/// the field the refusal must name.
struct Malformed {
    capability: &'static str,
    args: Value,
    field: &'static str,
}

fn malformed(url: &str) -> Vec<Malformed> {
    let m = |capability, args, field| Malformed {
        capability,
        args,
        field,
    };
    vec![
        // The wire request with a field missing, unknown or of the wrong type.
        m("http.fetch", json!([{"method": "GET"}]), "url"),
        m("http.fetch", json!([{"url": url, "methd": "GET"}]), "methd"),
        m("http.fetch", json!([{"url": {"href": url}}]), "url"),
        m(
            "http.fetch",
            json!([{"url": url, "body_encoding": "hex"}]),
            "body_encoding",
        ),
        m("data.list_tasks", json!([{"limit": -1}]), "limit"),
        m("log", json!([{"message": "m", "level": "loud"}]), "level"),
        // A wire request beside another argument is not one: the object is
        // the first field, of the wrong type.
        m("http.fetch", json!([{"url": url}, "POST"]), "url"),
        // Parameters of the wrong type, missing, or refused by a field check.
        m("http.fetch", json!([url, "GET", {"x": 1}]), "headers"),
        m("vault.get", json!([5]), "key"),
        m("vault.set", json!(["k"]), "value"),
        m("events.emit", json!(["m", "shout"]), "level"),
        m("fs.read", json!([""]), "path"),
        m("fs.write", json!(["a.bin", "!!", "base64"]), "content"),
        m("data.get_task", json!(["1"]), "id"),
        // A value that is not JSON never reaches the broker.
        m("http.fetch", json!([NOT_JSON]), "url"),
    ]
}

/// Writes the package for `runtime` under `dir`.
fn package(dir: &Path, runtime: &str, entry: &str, code: &str, server: &TestServer) -> PathBuf {
    PackageSpec::new(
        &format!("host-api-{runtime}"),
        runtime,
        entry,
        code,
        ACTIONS,
    )
    .permissions(PERMISSIONS)
    .allowed_hosts(&[&server.host()])
    .write(dir)
}

/// `morph run <package> <action> --params <params> --json` on a fresh data
/// dir: the exit code and the envelope.
fn morph(package: &Path, action: &str, params: &Value) -> (i32, Value) {
    morph_isolated(package, action, params, "pooled")
}

/// [`morph`] under `--isolation <isolation>`.
fn morph_isolated(package: &Path, action: &str, params: &Value, isolation: &str) -> (i32, Value) {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_morph"))
        .arg("run")
        .arg(package)
        .arg(action)
        .arg("--params")
        .arg(params.to_string())
        .args(["--json", "--isolation", isolation, "--data-dir"])
        .arg(data.path())
        .env_remove("MORPH_DATA_DIR")
        .env_remove("MORPH_LOG")
        .output()
        .expect("run morph");
    let envelope = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no envelope ({e}): stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), envelope)
}

/// The outcomes of `run` over `cases`.
fn run(package: &Path, cases: Vec<Value>) -> Vec<Value> {
    let (status, envelope) = morph(package, "run", &json!({ "cases": cases }));
    assert_eq!(status, 0, "{}: {envelope}", package.display());
    envelope["result"].as_array().cloned().unwrap_or_default()
}

/// `value` without the timestamps a task carries (`created_ms`, `updated_ms`).
fn timeless(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !k.ends_with("_ms"))
                .map(|(k, v)| (k.clone(), timeless(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(timeless).collect()),
        other => other.clone(),
    }
}

/// An HTTP server that answers with what it received.
fn echo_server() -> TestServer {
    TestServer::start(|seen| {
        Reply::json(
            200,
            &json!({
                "method": seen.method,
                "path": seen.path,
                "body": seen.body,
                "x-test": seen.header("x-test"),
            }),
        )
    })
}

#[test]
fn every_capability_answers_the_same_in_both_spellings_and_both_languages() {
    let server = echo_server();
    let dir = tempfile::tempdir().unwrap();
    let table = cases(&server.url("/echo"));
    // (language, spelling) -> the outcome of every case.
    let mut outcomes: Vec<(String, Vec<Value>)> = Vec::new();
    for (runtime, entry, code) in LANGUAGES {
        let pkg = package(dir.path(), runtime, entry, code, &server);
        for spelling in ["wire", "parameters", "named"] {
            let got = run(&pkg, table.iter().map(|c| c.spelled(spelling)).collect());
            outcomes.push((format!("{runtime} {spelling}"), got));
        }
    }
    let (reference_name, reference) = &outcomes[0];
    assert_eq!(reference.len(), table.len());
    for (i, (c, outcome)) in table.iter().zip(reference).enumerate() {
        assert!(
            outcome.get("ok").is_some(),
            "case {i} ({}) failed in {reference_name}: {outcome}",
            c.capability
        );
    }
    for (name, got) in &outcomes[1..] {
        for (i, (c, (want, got))) in table.iter().zip(reference.iter().zip(got)).enumerate() {
            assert_eq!(
                timeless(got),
                timeless(want),
                "case {i} ({}): {name} differs from {reference_name}",
                c.capability
            );
        }
    }
    // What the calls did, checked once on the reference.
    let ok = |i: usize| timeless(&reference[i]["ok"]);
    assert_eq!(ok(0)["status"], 200);
    let echoed: Value = serde_json::from_str(ok(0)["body"].as_str().unwrap_or("")).unwrap();
    assert_eq!(
        echoed,
        json!({"method": "POST", "path": "/echo", "body": "hi", "x-test": "1"})
    );
    assert!(
        ok(1)["body"]
            .as_str()
            .unwrap_or("")
            .contains(r#""body":"hi""#)
    );
    assert_eq!(ok(4), json!("v"));
    assert_eq!(ok(5), Value::Null);
    assert_eq!(ok(10), json!({"content": "hi", "encoding": "utf8"}));
    assert_eq!(
        ok(12),
        json!([{"name": "a.txt", "kind": "file", "size": 2}])
    );
    assert_eq!(
        ok(14),
        json!({"id": 1, "title": "t1", "description": "d", "status": "open", "data": {"n": 1}})
    );
    assert_eq!(ok(17)["status"], "done");
    assert_eq!(ok(18).as_array().map(Vec::len), Some(1));
    assert_eq!(ok(19).as_array().map(Vec::len), Some(1));
}

#[test]
fn a_malformed_request_is_the_same_invalid_request_in_both_languages() {
    let server = echo_server();
    let dir = tempfile::tempdir().unwrap();
    let table = malformed(&server.url("/echo"));
    let mut caught = Vec::new();
    for (runtime, entry, code) in LANGUAGES {
        let pkg = package(dir.path(), runtime, entry, code, &server);
        let cases = table
            .iter()
            .map(|m| json!({"capability": m.capability, "args": m.args}))
            .collect();
        caught.push((runtime, run(&pkg, cases)));
    }
    for (runtime, outcomes) in &caught {
        for (m, outcome) in table.iter().zip(outcomes) {
            let error = &outcome["error"];
            let message = error["message"].as_str().unwrap_or("");
            assert_eq!(
                error["code"], "invalid_request",
                "{runtime} {}: {outcome}",
                m.args
            );
            assert_eq!(error["capability"], m.capability, "{runtime}: {outcome}");
            let prefix = format!("invalid request to `{}`: {}: ", m.capability, m.field);
            assert!(
                message.starts_with(&prefix),
                "{runtime} {}: `{message}` should start with `{prefix}`",
                m.args
            );
        }
    }
    // The broker words every refusal, so both languages say the same thing
    // (a value that is not JSON is worded by each language's converter).
    let (js, py) = (&caught[0].1, &caught[1].1);
    for (m, (js, py)) in table.iter().zip(js.iter().zip(py)) {
        if m.args.to_string().contains(NOT_JSON) {
            continue;
        }
        assert_eq!(js, py, "{} {}", m.capability, m.args);
    }
    // And wasm, whose one spelling is the wire request, says it too.
    let wire: Vec<(usize, &Malformed)> = table
        .iter()
        .enumerate()
        .filter(|(_, m)| is_wire(m))
        .collect();
    let calls: Vec<Value> = wire
        .iter()
        .map(|(_, m)| json!({"capability": m.capability, "request": m.args[0]}))
        .collect();
    let wasm = wasm_package(dir.path(), &server);
    let (status, envelope) = morph(&wasm, "call_sequence", &json!({ "calls": calls }));
    assert_eq!(status, 0, "{envelope}");
    let outcomes = envelope["result"].as_array().cloned().unwrap_or_default();
    assert_eq!(outcomes.len(), wire.len(), "{envelope}");
    for ((i, m), outcome) in wire.iter().zip(&outcomes) {
        assert_eq!(
            (&outcome["error"]["code"], &outcome["error"]["message"]),
            (&js[*i]["error"]["code"], &js[*i]["error"]["message"]),
            "wasm and js differ on {} {}",
            m.capability,
            m.args
        );
    }
}

/// Whether a malformed case is a wire request (one object argument).
fn is_wire(m: &Malformed) -> bool {
    m.args
        .as_array()
        .is_some_and(|a| a.len() == 1 && a[0].is_object())
}

#[test]
fn an_uncaught_malformed_request_ends_the_call_with_exit_code_1_in_every_language() {
    let server = echo_server();
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/echo");
    let table = malformed(&url);
    let wasm = wasm_package(dir.path(), &server);
    std::thread::scope(|scope| {
        for (runtime, entry, code) in LANGUAGES {
            let pkg = package(dir.path(), runtime, entry, code, &server);
            for m in &table {
                let pkg = pkg.clone();
                scope.spawn(move || {
                    let params = json!({"capability": m.capability, "args": m.args});
                    let (status, envelope) = morph(&pkg, "raise", &params);
                    let error = &envelope["error"];
                    assert_eq!(
                        (status, error["code"].as_str()),
                        (1, Some("invalid_request")),
                        "{runtime} {}: {envelope}",
                        m.args
                    );
                    let message = error["message"].as_str().unwrap_or("");
                    assert!(
                        message.contains(&format!("`{}`: {}: ", m.capability, m.field)),
                        "{runtime}: {message}"
                    );
                });
            }
        }
        // wasm has one spelling, the wire request (`morph_sdk::invoke`).
        for m in table.iter().filter(|m| is_wire(m)) {
            let wasm = wasm.clone();
            scope.spawn(move || {
                let params = json!({"capability": m.capability, "request": m.args[0]});
                let (status, envelope) = morph(&wasm, "call", &params);
                assert_eq!(
                    (status, envelope["error"]["code"].as_str()),
                    (1, Some("invalid_request")),
                    "wasm {}: {envelope}",
                    m.args
                );
            });
        }
    });
}

/// The regression behind point 7: Python refused the wire request JS
/// accepted, and a malformed request ended the call with exit code 2.
#[test]
fn python_takes_the_wire_request_js_takes_and_its_mistakes_are_exit_1() {
    let server = echo_server();
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/wire");
    for (runtime, entry, code) in LANGUAGES {
        let pkg = package(dir.path(), runtime, entry, code, &server);
        for isolation in ["pooled", "process"] {
            let wire = json!({"capability": "http.fetch", "args": [{"method": "GET", "url": url}]});
            let (status, envelope) = morph_isolated(&pkg, "raise", &wire, isolation);
            assert_eq!(
                (status, &envelope["result"]["status"]),
                (0, &json!(200)),
                "{runtime} {isolation}: {envelope}"
            );
            let bad = json!({"capability": "http.fetch", "args": [{"method": "GET", "uri": url}]});
            let (status, envelope) = morph_isolated(&pkg, "raise", &bad, isolation);
            assert_eq!(
                (status, envelope["error"]["code"].as_str()),
                (1, Some("invalid_request")),
                "{runtime} {isolation}: {envelope}"
            );
            let message = envelope["error"]["message"].as_str().unwrap_or("");
            assert!(
                message.contains("`http.fetch`: uri: unknown field `uri`"),
                "{runtime} {isolation}: {message}"
            );
        }
    }
}

/// The wasm test guest (`runtime-wasm/tests/guest`) as a package.
fn wasm_package(dir: &Path, server: &TestServer) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime-wasm/tests/guest");
    let wasm = std::fs::read(root.join("morph_test_guest.wasm")).expect("the wasm test guest");
    let actions = std::fs::read_to_string(root.join("actions.yaml")).expect("its actions");
    PackageSpec::new("host-api-wasm", "wasm", "guest.wasm", wasm, &actions)
        .permissions(PERMISSIONS)
        .allowed_hosts(&[&server.host()])
        .write(dir)
}
