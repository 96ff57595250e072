//! Code mode through the real binary: `morph code run` over a data dir with
//! `notes` (JS) and `ledger` (Python) installed, in both languages; what a
//! program may not do; its limits; and the approval design (a `propose` tool
//! stops the run, `morph approve`, `--resume` replays the completed calls
//! and never repeats them; declined, expired, replayed and altered runs run
//! nothing). Every test ends with the audit log verified and each tool
//! call's records tied to its run and caller.

use std::path::PathBuf;

use morph_testkit::agent_extensions::{ledger, notes};
use serde_json::Value;

use crate::serve_fixture::{Served, morph, ok};

/// A data dir with `notes` and `ledger` installed.
fn served() -> Served {
    let served = Served::new();
    served.install(&notes());
    served.install(&ledger());
    served
}

/// Writes `code` as `name` beside the data dir.
fn program(served: &Served, name: &str, code: &str) -> PathBuf {
    let path = served.tmp.path().join(name);
    std::fs::write(&path, code).expect("write the program");
    path
}

/// `morph code run FILE --json EXTRA`: the envelope and the exit code.
fn run(
    served: &Served,
    file: &std::path::Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Value, i32) {
    let mut cmd = morph(&[
        "code",
        "run",
        file.to_str().unwrap(),
        "--json",
        "--data-dir",
        served.d(),
    ]);
    cmd.args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run morph code");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (doc, out.status.code().unwrap_or(-1))
}

fn code(doc: &Value) -> &str {
    doc["error"]["code"].as_str().unwrap_or("")
}

/// Asserts the log verifies, and that every record of a tool's call names a
/// code run and the CLI caller; returns the run ids seen on tool records.
fn audited(served: &Served) -> Vec<String> {
    let verified = served.verify();
    assert_eq!(verified["problem"], Value::Null, "{verified}");
    let caller = format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned())
    );
    let mut runs = Vec::new();
    for r in served.audit() {
        let tool_record = (r["extension"] == "notes" || r["extension"] == "ledger")
            && !r["capability"].as_str().unwrap_or("").starts_with("host.");
        if tool_record {
            assert_eq!(r["caller"], caller, "{r}");
            let run = r["code_run"]
                .as_str()
                .unwrap_or_else(|| panic!("no code_run: {r}"));
            runs.push(run.to_owned());
        }
    }
    runs
}

#[test]
fn programs_in_both_languages_call_tools_of_two_extensions() {
    let served = served();
    let js = program(
        &served,
        "two.js",
        r#"await tools.notes.add({ title: "from js" });
await tools.ledger.record({ amount: 5 });
const notes = await tools.notes.list();
console.log("notes:", notes.length);
return { notes, total: await tools.ledger.total() };"#,
    );
    let (doc, exit) = run(&served, &js, &[], &[]);
    assert_eq!(exit, 0, "{doc}");
    assert_eq!(
        doc["result"]["notes"],
        serde_json::json!(["from js"]),
        "{doc}"
    );
    assert_eq!(doc["result"]["total"], 5, "{doc}");
    assert_eq!(doc["tool_calls"].as_array().unwrap().len(), 4, "{doc}");
    assert!(
        doc["logs"][0]["message"]
            .as_str()
            .unwrap()
            .contains("notes: 1"),
        "{doc}"
    );

    let py = program(
        &served,
        "two.py",
        r#"await tools.notes.add(title="from python")
await tools.ledger.record(amount=7)
notes = await tools.notes.list()
print("notes:", len(notes))
{"notes": notes, "total": await tools.ledger.total()}"#,
    );
    let (doc, exit) = run(&served, &py, &[], &[]);
    assert_eq!(exit, 0, "{doc}");
    assert_eq!(
        doc["result"]["notes"],
        serde_json::json!(["from js", "from python"]),
        "{doc}"
    );
    assert_eq!(doc["result"]["total"], 12, "{doc}");
    let runs = audited(&served);
    // Eight tool calls over two runs, every record tied to one of them.
    let mut distinct = runs.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 2, "{runs:?}");
}

#[test]
fn blocked_actions_are_nowhere_and_direct_capabilities_are_denied() {
    let served = served();
    let api = crate::serve_fixture::ok(&["code", "api", "--data-dir", served.d()]);
    assert!(api.contains("publish(args: { title: string })"), "{api}");
    assert!(!api.contains("secret"), "{api}");
    let py_api = crate::serve_fixture::ok(&[
        "code",
        "api",
        "--language",
        "python",
        "--data-dir",
        served.d(),
    ]);
    assert!(
        py_api.contains("async def record(*, amount: int)"),
        "{py_api}"
    );
    assert!(!py_api.contains("secret"), "{py_api}");

    let js = program(
        &served,
        "probe.js",
        r#"const codes = {};
codes.listed = typeof tools.notes.secret;
try { await morph.invoke("tools.call", { tool: "notes.secret" }); } catch (e) { codes.raw = e.code; }
try { await fetch("http://127.0.0.1:9/"); } catch (e) { codes.fetch = e.code; }
try { morph.fs.read("a.txt"); } catch (e) { codes.fs = e.code; }
try { morph.vault.get("token"); } catch (e) { codes.vault = e.code; }
try { morph.data.listTasks(); } catch (e) { codes.data = e.code; }
return codes;"#,
    );
    let (doc, exit) = run(&served, &js, &[], &[]);
    assert_eq!(exit, 0, "{doc}");
    assert_eq!(
        doc["result"],
        serde_json::json!({"listed": "undefined", "raw": "unknown_action", "fetch": "permission_denied",
            "fs": "permission_denied", "vault": "permission_denied", "data": "permission_denied"}),
        "{doc}"
    );
    let py = program(
        &served,
        "probe.py",
        r#"import morph
codes = {"listed": hasattr(tools.notes, "secret")}
for name, attempt in [("fs", lambda: morph.fs.read("a.txt")), ("vault", lambda: morph.vault.get("t")),
                      ("http", lambda: morph.http.fetch("http://127.0.0.1:9/"))]:
    try:
        attempt()
    except morph.MorphError as e:
        codes[name] = e.code
codes"#,
    );
    let (doc, exit) = run(&served, &py, &[], &[]);
    assert_eq!(exit, 0, "{doc}");
    assert_eq!(
        doc["result"],
        serde_json::json!({"listed": false, "fs": "permission_denied", "vault": "permission_denied", "http": "permission_denied"}),
        "{doc}"
    );
    // Uncaught, the denial is the run's outcome.
    let uncaught = program(&served, "uncaught.js", "morph.vault.get('token');");
    let (doc, exit) = run(&served, &uncaught, &[], &[]);
    assert_eq!((code(&doc), exit), ("permission_denied", 1), "{doc}");
    // Nothing of `secret` ran.
    let (doc, _) = run(
        &served,
        &program(
            &served,
            "count.js",
            "return (await tools.notes.list()).length;",
        ),
        &[],
        &[],
    );
    assert_eq!(doc["result"], 0, "{doc}");
    audited(&served);
}

#[test]
fn runaway_programs_end_with_their_limits() {
    let served = served();
    let spin = program(&served, "spin.js", "for (;;) {}");
    let (doc, exit) = run(&served, &spin, &["--code-max-execution-ms", "500"], &[]);
    assert_eq!((code(&doc), exit), ("timeout", 1), "{doc}");
    let spin = program(&served, "spin.py", "while True:\n    pass\n");
    let (doc, _) = run(&served, &spin, &["--code-max-execution-ms", "500"], &[]);
    assert_eq!(code(&doc), "timeout", "{doc}");
    let fill = program(
        &served,
        "fill.js",
        "const a = []; for (;;) a.push(new Array(100000).fill(1));",
    );
    let (doc, _) = run(&served, &fill, &["--code-max-memory-mb", "32"], &[]);
    assert_eq!(code(&doc), "memory_limit", "{doc}");
    let fill = program(
        &served,
        "fill.py",
        "a = []\nwhile True:\n    a.append([1] * 100000)\n",
    );
    let (doc, _) = run(&served, &fill, &["--code-max-memory-mb", "32"], &[]);
    assert_eq!(code(&doc), "memory_limit", "{doc}");
    // One call past max_tool_calls ends the run, even when the program
    // catches it; the calls before it ran.
    let many = program(
        &served,
        "many.js",
        r#"for (let i = 0; i < 5; i++) { try { await tools.notes.add({ title: "n" + i }); } catch (e) {} }
return "caught";"#,
    );
    let (doc, exit) = run(&served, &many, &["--code-max-tool-calls", "3"], &[]);
    assert_eq!((code(&doc), exit), ("tool_calls_exceeded", 1), "{doc}");
    let (doc, _) = run(
        &served,
        &program(&served, "count.py", "len(await tools.notes.list())"),
        &[],
        &[],
    );
    assert_eq!(doc["result"], 3, "{doc}");
    audited(&served);
}

/// The approval id of an `approval_required` envelope.
fn approval_id(doc: &Value) -> String {
    assert_eq!(code(doc), "approval_required", "{doc}");
    doc["error"]["approval_id"]
        .as_str()
        .expect("an approval id")
        .to_owned()
}

fn approve(served: &Served, id: &str, decline: bool) {
    let mut args = vec!["approve", id, "--data-dir", served.d()];
    if decline {
        args.push("--decline");
    }
    crate::serve_fixture::ok(&args);
}

const PUBLISHING: &str = r#"await tools.notes.add({ title: "draft" });
const published = await tools.notes.publish({ title: "draft" });
return published.title;"#;

fn titles(served: &Served) -> Vec<String> {
    let (doc, _) = run(
        served,
        &program(served, "titles.js", "return await tools.notes.list();"),
        &[],
        &[],
    );
    serde_json::from_value(doc["result"].clone()).expect("titles")
}

#[test]
fn a_propose_tool_waits_for_approval_and_the_resumed_run_never_repeats_effects() {
    let served = served();
    let file = program(&served, "publish.js", PUBLISHING);
    let (first, exit) = run(&served, &file, &[], &[]);
    assert_eq!(exit, 1, "{first}");
    let id = approval_id(&first);
    let run_id = first["run_id"].as_str().unwrap().to_owned();
    // Resuming before a person decided asks again for the same approval.
    let (again, _) = run(&served, &file, &["--resume", &run_id], &[]);
    assert_eq!(approval_id(&again), id);
    approve(&served, &id, false);
    let (done, exit) = run(&served, &file, &["--resume", &run_id], &[]);
    assert_eq!(exit, 0, "{done}");
    assert_eq!(done["result"], "published: draft", "{done}");
    assert_eq!(done["tool_calls"][0]["replayed"], true, "{done}");
    // `add` ran once over three sends; `publish` once.
    assert_eq!(titles(&served), ["draft", "published: draft"]);
    // Replayed: a finished run cannot be sent again, and the approval was used.
    let (replayed, _) = run(&served, &file, &["--resume", &run_id], &[]);
    assert_eq!(code(&replayed), "invalid_params", "{replayed}");
    assert_eq!(titles(&served), ["draft", "published: draft"]);
    let runs = audited(&served);
    assert!(runs.iter().all(|r| *r == run_id || !r.is_empty()));
    let uses: Vec<Value> = served
        .audit()
        .into_iter()
        .filter(|r| r["capability"] == "host.approval.use")
        .collect();
    assert_eq!(uses.len(), 1, "{uses:?}");
}

#[test]
fn declined_expired_and_altered_runs_run_nothing() {
    let served = served();
    let file = program(&served, "publish.js", PUBLISHING);
    // Declined.
    let (first, _) = run(&served, &file, &[], &[]);
    let run_id = first["run_id"].as_str().unwrap().to_owned();
    approve(&served, &approval_id(&first), true);
    let (declined, exit) = run(&served, &file, &["--resume", &run_id], &[]);
    assert_eq!(
        (code(&declined), exit),
        ("approval_declined", 1),
        "{declined}"
    );
    assert_eq!(titles(&served), ["draft"]);
    // Expired: approved too late, the resumed run asks again and runs nothing.
    let ttl = [("MORPH_APPROVAL_TTL_SECS", "1")];
    let (second, _) = run(&served, &file, &[], &ttl);
    let run_id = second["run_id"].as_str().unwrap().to_owned();
    let id = approval_id(&second);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let late = morph(&["approve", &id, "--data-dir", served.d()])
        .output()
        .unwrap();
    assert!(!late.status.success(), "an expired approval was approved");
    let (asked, _) = run(&served, &file, &["--resume", &run_id], &ttl);
    assert_ne!(approval_id(&asked), id);
    // Altered: the same run with other code is refused before anything runs.
    let altered = program(&served, "altered.js", &PUBLISHING.replace("draft", "other"));
    approve(&served, &approval_id(&asked), false);
    let (refused, _) = run(&served, &altered, &["--resume", &run_id], &[]);
    assert_eq!(code(&refused), "invalid_params", "{refused}");
    // Another caller cannot take the run up either.
    let (stranger, _) = run(
        &served,
        &file,
        &["--resume", &run_id],
        &[("USER", "mallory")],
    );
    assert_eq!(code(&stranger), "invalid_params", "{stranger}");
    // Only the first run's and the expired run's `draft` notes exist.
    assert_eq!(titles(&served), ["draft", "draft"]);
    audited(&served);
}

#[test]
fn post_v1_code_runs_as_the_token_and_resumes_after_approval() {
    let mut served = served();
    let token = served.token("agent", "invoke");
    let admin = served.token("person", "admin");
    // A token with its own limit, under the server's of 100 tool calls.
    let tight = served.token_with("tight", "invoke", &["--code-max-tool-calls", "1"]);
    let listed: Value =
        serde_json::from_str(&ok(&["token", "list", "--json", "--data-dir", served.d()]))
            .expect("JSON");
    let policies: Vec<(&str, &Value)> = listed["result"]["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .map(|t| (t["name"].as_str().unwrap_or(""), &t["code_policy"]))
        .collect();
    assert_eq!(
        policies,
        [
            ("agent", &Value::Null),
            ("person", &Value::Null),
            ("tight", &serde_json::json!({"max_tool_calls": 1}))
        ]
    );
    let refused = morph(&["token", "create", "zero", "--code-max-tool-calls", "0"])
        .args(["--data-dir", served.d()])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    served.start(&[]);
    let client = reqwest::blocking::Client::new();
    let post_as = |token: &str, body: Value| {
        let response = client
            .post(served.url("/v1/code"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .expect("POST /v1/code");
        let status = response.status().as_u16();
        (status, response.json::<Value>().expect("a JSON answer"))
    };
    let post = |body: Value| post_as(&token, body);
    let two_calls = serde_json::json!({"language": "python", "code": "await tools.ledger.record(amount=2)\n(await tools.ledger.total())"});
    let (status, doc) = post(two_calls.clone());
    assert_eq!(
        (status, &doc["result"]),
        (200, &serde_json::json!(2)),
        "{doc}"
    );
    let (status, doc) = post_as(&tight, two_calls);
    assert_eq!((status, code(&doc)), (429, "tool_calls_exceeded"), "{doc}");
    assert_eq!(doc["tool_calls"][0]["outcome"], "ok", "{doc}");
    let (status, doc) = post(serde_json::json!({"language": "ruby", "code": "1"}));
    assert_eq!((status, code(&doc)), (422, "invalid_params"), "{doc}");
    let (status, doc) = post(
        serde_json::json!({"language": "typescript", "code": PUBLISHING.replace("const published", "const published: {title: string}")}),
    );
    assert_eq!(status, 409, "{doc}");
    let id = approval_id(&doc);
    let run_id = doc["run_id"].as_str().unwrap().to_owned();
    let decided = client
        .post(served.url(&format!("/v1/approvals/{id}")))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"approve": true}))
        .send()
        .expect("approve");
    assert!(decided.status().is_success(), "{:?}", decided.text());
    let (status, doc) = post(
        serde_json::json!({"language": "typescript", "resume": run_id,
        "code": PUBLISHING.replace("const published", "const published: {title: string}")}),
    );
    assert_eq!(
        (status, &doc["result"]),
        (200, &serde_json::json!("published: draft")),
        "{doc}"
    );
    let api = client
        .get(served.url("/v1/code/api?language=python"))
        .bearer_auth(&token)
        .send()
        .expect("GET /v1/code/api")
        .text()
        .unwrap();
    assert!(
        api.contains("class ledger:") && !api.contains("secret"),
        "{api}"
    );
    served.stop();
    for r in served.audit() {
        if (r["extension"] == "notes" || r["extension"] == "ledger")
            && !r["capability"].as_str().unwrap_or("").starts_with("host.")
        {
            assert!(
                r["caller"] == "token:agent" || r["caller"] == "token:tight",
                "{r}"
            );
            assert!(r["code_run"].is_string(), "{r}");
        }
    }
    assert_eq!(served.verify()["problem"], Value::Null);
}
