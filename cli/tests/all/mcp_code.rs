//! Code mode over MCP through the real `morph` binary (issue 27), driven by
//! rmcp's own client: `morph mcp` spawned by rmcp's `TokioChildProcess`
//! (the 2025-11-25 `initialize` handshake, or 2026-07-28) and `/mcp` of
//! `morph serve` reached by rmcp's streamable HTTP client with a bearer
//! token (2026-07-28). Against a data dir with `notes` (JS) and `ledger`
//! (Python) installed by `morph install`, the `run_code` tool: its
//! description carries the typed API of both extensions and never a
//! `blocked` action; programs in JavaScript and Python call both; for a
//! client without elicitation, a `propose` tool stops the run with
//! `approval_required`, `morph approve` decides, and the run re-sent with
//! `resume` finishes without repeating the calls it completed; for one with
//! elicitation, the person is asked in band and the server resumes the run
//! itself; a direct capability is `permission_denied`; a runaway program
//! ends with `timeout`. Each test ends with `morph audit --verify` and
//! every record of a tool call naming its code run and the caller. The
//! official Python SDK's side of the same is `clients/mcp-python`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use morph_testkit::agent_extensions::{ledger, notes};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, Implementation, JsonObject, ProtocolVersion,
};
use rmcp::service::{RequestContext, RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, ClientLifecycleMode, ClientServiceExt, ErrorData};
use serde_json::{Value, json};

use crate::serve_fixture::{Served, morph};

/// A data dir with `notes` and `ledger` installed by `morph install`.
fn installed() -> Served {
    let s = Served::new();
    s.install(&notes());
    s.install(&ledger());
    s
}

/// The test's MCP client, named (its name is the caller over stdio).
/// Without `accept` it declares no elicitation, so approvals are asked out
/// of band; with it, it answers every approval form so and keeps the forms.
#[derive(Clone)]
struct Agent {
    name: &'static str,
    accept: Option<bool>,
    forms: Arc<Mutex<Vec<String>>>,
}

impl Agent {
    fn new(name: &'static str) -> Agent {
        Agent {
            name,
            accept: None,
            forms: Arc::default(),
        }
    }

    /// An agent that can ask its user, who answers `accept`.
    fn asking(name: &'static str, accept: bool) -> Agent {
        Agent {
            accept: Some(accept),
            ..Agent::new(name)
        }
    }

    fn forms(&self) -> Vec<String> {
        self.forms.lock().unwrap().clone()
    }
}

impl ClientHandler for Agent {
    fn get_info(&self) -> ClientConfig {
        let capabilities = match self.accept {
            Some(_) => ClientCapabilities::builder().enable_elicitation().build(),
            None => ClientCapabilities::default(),
        };
        ClientConfig::new(capabilities, Implementation::new(self.name, "1.0"))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _ctx: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = &request {
            self.forms.lock().unwrap().push(message.clone());
        }
        Ok(match self.accept {
            Some(true) => {
                ElicitResult::new(ElicitationAction::Accept).with_content(json!({"approve": true}))
            }
            _ => ElicitResult::new(ElicitationAction::Decline),
        })
    }
}

type Client = RunningService<RoleClient, Agent>;

/// The 2025-11-25 handshake.
fn legacy() -> ClientLifecycleMode {
    ClientLifecycleMode::Initialize
}

/// Protocol 2026-07-28 only.
fn modern() -> ClientLifecycleMode {
    ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    }
}

/// `morph mcp --data-dir D` with `env` as rmcp's child process, for
/// `agent` on `lifecycle`; the client and the child's pid.
async fn spawn_stdio(
    s: &Served,
    agent: Agent,
    lifecycle: ClientLifecycleMode,
    env: &[(&str, &str)],
) -> (Client, u32) {
    let mut command = morph(&["mcp", "--data-dir", s.d()]);
    command.envs(env.iter().copied());
    let transport =
        TokioChildProcess::new(tokio::process::Command::from(command)).expect("spawn morph mcp");
    let pid = transport.id().expect("a pid");
    let client = agent
        .serve_with_lifecycle(transport, lifecycle)
        .await
        .expect("connect");
    let peer = client.peer_info().expect("server info");
    assert_eq!(peer.server_info.as_ref().unwrap().name, "morph");
    (client, pid)
}

/// Closes the client (stdin first) and insists `morph mcp` exited.
async fn close_stdio(client: Client, pid: u32) {
    client.cancel().await.expect("close");
    // SAFETY: signal 0 only asks whether the (reaped) child still exists.
    let alive = unsafe { libc::kill(pid as libc::pid_t, 0) } == 0;
    assert!(!alive, "morph mcp did not exit");
}

/// An rmcp client on `/mcp` of a started `morph serve` with `token` as
/// bearer, on 2026-07-28.
async fn connect_http(s: &Served, agent: Agent, token: &str) -> Client {
    let config = StreamableHttpClientTransportConfig::with_uri(s.url("/mcp")).auth_header(token);
    let client = agent
        .serve_with_lifecycle(StreamableHttpClientTransport::from_config(config), modern())
        .await
        .expect("discover with the token");
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2026_07_28
    );
    client
}

/// A `run_code` call.
fn run_code(language: &str, code: &str, resume: Option<&str>) -> CallToolRequestParams {
    let mut arguments = JsonObject::new();
    arguments.insert("language".into(), json!(language));
    arguments.insert("code".into(), json!(code));
    if let Some(run_id) = resume {
        arguments.insert("resume".into(), json!(run_id));
    }
    CallToolRequestParams::new("run_code").with_arguments(arguments)
}

async fn run(client: &Client, language: &str, code: &str, resume: Option<&str>) -> CallToolResult {
    client
        .call_tool(run_code(language, code, resume))
        .await
        .expect("run_code is answered with a tool result")
}

fn structured(result: &CallToolResult) -> Value {
    result.structured_content.clone().unwrap_or(Value::Null)
}

/// A run that finished: its envelope (`ok`, `run_id`, `result`, `logs`,
/// `tool_calls`).
fn finished(result: &CallToolResult) -> Value {
    let doc = structured(result);
    assert_eq!(result.is_error, Some(false), "{result:?}");
    assert_eq!(doc["ok"], true, "{doc}");
    assert!(doc["run_id"].is_string(), "{doc}");
    assert!(
        doc["logs"].is_array() && doc["tool_calls"].is_array(),
        "{doc}"
    );
    doc
}

/// A run that failed, as MCP shapes a tool error: the code first in the
/// text; `{code, message, run_id, logs, tool_calls}` as structured content.
fn failed(result: &CallToolResult) -> (String, Value) {
    let (code, doc) = tool_error(result);
    assert!(doc["run_id"].is_string(), "{doc}");
    assert!(
        doc["logs"].is_array() && doc["tool_calls"].is_array(),
        "{doc}"
    );
    (code, doc)
}

/// A tool error: its code (first in the text too) and structured content.
fn tool_error(result: &CallToolResult) -> (String, Value) {
    assert_eq!(result.is_error, Some(true), "not a tool error: {result:?}");
    let doc = structured(result);
    let code = doc["code"].as_str().expect("a code").to_owned();
    assert!(doc["message"].is_string(), "{doc}");
    let text = &result.content[0].as_text().unwrap().text;
    assert!(text.starts_with(&format!("{code}: ")), "{text}");
    (code, doc)
}

/// The tools a run called, in order.
fn called(doc: &Value) -> Vec<String> {
    doc["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tool"].as_str().unwrap().to_owned())
        .collect()
}

/// The (run id, call id) of every tool call of a run that ran (not replayed).
fn ran(doc: &Value) -> Vec<(String, String)> {
    let run_id = doc["run_id"].as_str().unwrap();
    doc["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["call_id"].as_str())
        .map(|call| (run_id.to_owned(), call.to_owned()))
        .collect()
}

const TWO_JS: &str = r#"await tools.notes.add({ title: "from js" });
await tools.ledger.record({ amount: 5 });
const notes = await tools.notes.list();
console.log("notes:", notes.length);
return { notes, total: await tools.ledger.total() };"#;

const TWO_PY: &str = r#"await tools.notes.add(title="from python")
await tools.ledger.record(amount=7)
notes = await tools.notes.list()
print("notes:", len(notes))
{"notes": notes, "total": await tools.ledger.total()}"#;

const PUBLISHING: &str = r#"await tools.notes.add({ title: "draft" });
const published = await tools.notes.publish({ title: "draft" });
return published.title;"#;

const TITLES: &str = "return await tools.notes.list();";

/// Counts the runs that saw its global: always 1 when each run is fresh.
const FRESH_JS: &str = "globalThis.runs = (globalThis.runs ?? 0) + 1;\n\
    return globalThis.runs;";

const FRESH_PY: &str = "import builtins, json\n\
    builtins.runs = getattr(builtins, 'runs', 0) + 1\n\
    json.seen = getattr(json, 'seen', 0) + 1\n\
    max(builtins.runs, json.seen)";

/// The notes' titles, read by a program.
async fn titles(client: &Client) -> Vec<String> {
    let doc = finished(&run(client, "javascript", TITLES, None).await);
    serde_json::from_value(doc["result"].clone()).expect("titles")
}

/// `tools/list` has `run_code`, whose description is the TypeScript and
/// Python API of `notes` and `ledger` without the blocked `secret`.
async fn listed(client: &Client) {
    let tools = client.list_all_tools().await.expect("tools/list");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for name in ["run_code", "notes.add", "notes.publish", "ledger.record"] {
        assert!(names.contains(&name), "{names:?}");
    }
    let tool = tools.iter().find(|t| t.name == "run_code").unwrap();
    let description = tool.description.as_deref().unwrap();
    let (ts, py) = description
        .split_once("Python API:")
        .unwrap_or_else(|| panic!("no Python API: {description}"));
    assert!(ts.contains("TypeScript API:\n```ts"), "{description}");
    for signature in [
        "notes",
        "ledger",
        "add(args: { title: string })",
        "publish(args: { title: string })",
        "list(",
        "record(args: { amount: number })",
        "total(",
    ] {
        assert!(ts.contains(signature), "{signature}: {ts}");
    }
    for signature in [
        "notes",
        "ledger",
        "async def add(*, title: str)",
        "async def publish(*, title: str)",
        "async def list(",
        "async def record(*, amount: int)",
        "async def total(",
    ] {
        assert!(py.contains(signature), "{signature}: {py}");
    }
    // The prose says "no ... secrets of its own"; the API never names it.
    let (_, api) = description.split_once("TypeScript API:").unwrap();
    assert!(!api.contains("secret"), "{api}");
    let schema = Value::Object((*tool.input_schema).clone());
    assert_eq!(schema["required"], json!(["language", "code"]), "{schema}");
    assert_eq!(
        schema["properties"]["language"]["enum"],
        json!(["javascript", "typescript", "python"])
    );
}

/// What both transports go through on a fresh data dir; the (run id, call
/// id) of every tool call that ran.
async fn session(s: &Served, client: &Client) -> Vec<(String, String)> {
    let mut calls = Vec::new();
    listed(client).await;

    // Both languages, both extensions, one tool call at a time.
    let doc = finished(&run(client, "javascript", TWO_JS, None).await);
    assert_eq!(doc["result"], json!({"notes": ["from js"], "total": 5}));
    assert_eq!(
        called(&doc),
        ["notes.add", "ledger.record", "notes.list", "ledger.total"]
    );
    assert!(
        doc["tool_calls"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["outcome"] == "ok" && c["call_id"].is_string()),
        "{doc}"
    );
    assert!(
        doc["logs"][0]["message"]
            .as_str()
            .unwrap()
            .contains("notes: 1"),
        "{doc}"
    );
    calls.extend(ran(&doc));
    let doc = finished(&run(client, "python", TWO_PY, None).await);
    assert_eq!(
        doc["result"],
        json!({"notes": ["from js", "from python"], "total": 12})
    );
    assert_eq!(
        called(&doc),
        ["notes.add", "ledger.record", "notes.list", "ledger.total"]
    );
    assert!(
        doc["logs"][0]["message"]
            .as_str()
            .unwrap()
            .contains("notes: 2"),
        "{doc}"
    );
    calls.extend(ran(&doc));

    // Every run is fresh: what one leaves in its globals (or a built-in
    // module), the next does not see, though the server keeps sandboxes
    // loaded ahead.
    for (language, program) in [
        ("javascript", FRESH_JS),
        ("python", FRESH_PY),
        ("javascript", FRESH_JS),
        ("python", FRESH_PY),
    ] {
        let doc = finished(&run(client, language, program, None).await);
        assert_eq!(doc["result"], json!(1), "{language}: {doc}");
    }

    // propose: the run stops at `publish`, after `add` ran.
    let (code, first) = failed(&run(client, "javascript", PUBLISHING, None).await);
    assert_eq!(code, "approval_required", "{first}");
    let approval_id = first["approval_id"]
        .as_str()
        .expect("approval_id")
        .to_owned();
    let run_id = first["run_id"].as_str().unwrap().to_owned();
    // Only the calls that ran are listed; the message names the one waiting.
    assert_eq!(called(&first), ["notes.add"], "{first}");
    assert!(
        first["message"].as_str().unwrap().contains("notes.publish"),
        "{first}"
    );
    assert_eq!(first["tool_calls"][0]["outcome"], "ok", "{first}");
    calls.extend(ran(&first));
    // Re-sent before a person decided: the same approval is asked again,
    // and `add` is answered from the record.
    let (code, again) = failed(&run(client, "javascript", PUBLISHING, Some(&run_id)).await);
    assert_eq!(code, "approval_required", "{again}");
    assert_eq!(again["approval_id"], approval_id.as_str(), "{again}");
    assert_eq!(again["run_id"], run_id.as_str(), "{again}");
    assert_eq!(again["tool_calls"][0]["replayed"], true, "{again}");
    assert_eq!(
        titles(client).await,
        ["from js", "from python", "draft"],
        "publish ran unapproved, or add ran twice"
    );
    // A person approves with the real binary; the resumed run finishes.
    crate::serve_fixture::ok(&["approve", &approval_id, "--data-dir", s.d()]);
    let done = finished(&run(client, "javascript", PUBLISHING, Some(&run_id)).await);
    assert_eq!(done["run_id"], run_id.as_str(), "{done}");
    assert_eq!(done["result"], "published: draft", "{done}");
    assert_eq!(called(&done), ["notes.add", "notes.publish"], "{done}");
    assert_eq!(done["tool_calls"][0]["replayed"], true, "{done}");
    assert!(done["tool_calls"][0].get("call_id").is_none(), "{done}");
    assert_eq!(done["tool_calls"][1]["outcome"], "ok", "{done}");
    assert!(done["tool_calls"][1].get("replayed").is_none(), "{done}");
    calls.extend(ran(&done));
    // `add` ran once over three sends; `publish` once.
    assert_eq!(
        titles(client).await,
        ["from js", "from python", "draft", "published: draft"]
    );
    // A finished run cannot be sent again; nothing more runs.
    let (code, replayed) = failed(&run(client, "javascript", PUBLISHING, Some(&run_id)).await);
    assert_eq!(code, "invalid_params", "{replayed}");
    assert_eq!(
        titles(client).await,
        ["from js", "from python", "draft", "published: draft"]
    );

    // A direct capability: the program has none.
    let (code, denied) = failed(
        &run(
            client,
            "javascript",
            r#"await fetch("http://127.0.0.1:9/"); return "fetched";"#,
            None,
        )
        .await,
    );
    assert_eq!(code, "permission_denied", "{denied}");
    let (code, denied) = failed(
        &run(
            client,
            "python",
            "import morph\nmorph.http.fetch(\"http://127.0.0.1:9/\")\n",
            None,
        )
        .await,
    );
    assert_eq!(code, "permission_denied", "{denied}");
    // An unknown language is refused before a run exists.
    let (code, refused) = tool_error(&run(client, "ruby", "puts 1", None).await);
    assert_eq!(code, "invalid_params", "{refused}");
    assert!(refused.get("run_id").is_none(), "{refused}");
    calls
}

/// A `for (;;) {}` and a `while True: pass` under a 500 ms policy: `timeout`,
/// soon.
async fn runaway(client: &Client) {
    for (language, code) in [
        ("javascript", "for (;;) {}"),
        ("python", "while True:\n    pass\n"),
    ] {
        let started = Instant::now();
        let (error, doc) = failed(&run(client, language, code, None).await);
        assert_eq!(error, "timeout", "{language}: {doc}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{language}: {:?}",
            started.elapsed()
        );
    }
}

/// Asserts that the log verifies, that every record of a `notes` or
/// `ledger` call (not the host's own) names a code run and `caller`, and
/// that each tool call in `calls` has records under its run, and that
/// `notes.add` wrote a note `adds` times.
fn audited(s: &Served, caller: &str, calls: &[(String, String)], adds: usize) {
    let verified = s.verify();
    assert_eq!(verified["problem"], Value::Null, "{verified}");
    let records: Vec<Value> = s
        .audit()
        .into_iter()
        .filter(|r| {
            (r["extension"] == "notes" || r["extension"] == "ledger")
                && !r["capability"].as_str().unwrap_or("").starts_with("host.")
        })
        .collect();
    assert!(!records.is_empty());
    for r in &records {
        assert_eq!(r["caller"], caller, "{r}");
        assert!(r["code_run"].is_string(), "no code_run: {r}");
    }
    assert!(!calls.is_empty());
    for (run_id, call_id) in calls {
        assert!(
            records
                .iter()
                .any(|r| r["call_id"] == call_id.as_str() && r["code_run"] == run_id.as_str()),
            "no record of call {call_id} in run {run_id}"
        );
    }
    // `add` of a run wrote its note once, however often the run was sent.
    let drafts: Vec<&Value> = records
        .iter()
        .filter(|r| r["action"] == "add" && r["capability"] == "data.create_task")
        .collect();
    let mut distinct: Vec<&str> = drafts
        .iter()
        .map(|r| r["call_id"].as_str().unwrap())
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), adds, "{drafts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rmcp_on_stdio_runs_code_and_resumes_after_morph_approve() {
    let s = installed();
    let (client, pid) = spawn_stdio(&s, Agent::new("code agent"), legacy(), &[]).await;
    let calls = session(&s, &client).await;
    close_stdio(client, pid).await;

    // The server's policy from its environment.
    let (client, pid) = spawn_stdio(
        &s,
        Agent::new("code agent"),
        modern(),
        &[("MORPH_CODE_MAX_EXECUTION_MS", "500")],
    )
    .await;
    runaway(&client).await;
    close_stdio(client, pid).await;

    // Two programs and the draft.
    audited(&s, "mcp:code_agent", &calls, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn rmcp_over_http_runs_code_as_the_token() {
    let mut s = installed();
    let token = s.token("agent", "invoke");
    let other = s.token("other", "invoke");
    s.start(&[]);
    let client = connect_http(&s, Agent::new("http code agent"), &token).await;
    let calls = session(&s, &client).await;

    // A run is its caller's: another token cannot resume it.
    let (code, stopped) = failed(&run(&client, "javascript", PUBLISHING, None).await);
    assert_eq!(code, "approval_required", "{stopped}");
    let run_id = stopped["run_id"].as_str().unwrap();
    let stranger = connect_http(&s, Agent::new("http code agent"), &other).await;
    let (code, refused) = failed(&run(&stranger, "javascript", PUBLISHING, Some(run_id)).await);
    assert_eq!(code, "invalid_params", "{refused}");
    stranger.cancel().await.unwrap();
    client.cancel().await.unwrap();
    assert_eq!(s.stop(), Some(0));

    // The same limit as a flag of `morph serve`.
    s.start(&["--code-max-execution-ms", "500"]);
    let client = connect_http(&s, Agent::new("http code agent"), &token).await;
    runaway(&client).await;
    client.cancel().await.unwrap();
    assert_eq!(s.stop(), Some(0));

    // Two programs, the draft, and the draft of the stopped run.
    audited(&s, "token:agent", &calls, 4);
}

/// `PUBLISHING` for an agent that can ask its user: the server asks in band
/// (an `elicitation/create` request, or MRTR rounds that rmcp's `call_tool`
/// drives), records the answer, and resumes the run itself. Returns the
/// envelope of an accepted run, or the error document of a declined one.
async fn in_band(client: &Client, agent: &Agent) -> Value {
    let asked = agent.forms().len();
    let result = run(client, "javascript", PUBLISHING, None).await;
    let forms = agent.forms();
    assert_eq!(forms.len(), asked + 1, "{forms:?}");
    let form = forms.last().unwrap();
    assert!(form.contains("notes.publish"), "{form}");
    let doc = if agent.accept == Some(true) {
        let doc = finished(&result);
        assert_eq!(doc["result"], "published: draft", "{doc}");
        // The server resumed the run: `add` answered from the record.
        assert_eq!(called(&doc), ["notes.add", "notes.publish"], "{doc}");
        assert_eq!(doc["tool_calls"][0]["replayed"], true, "{doc}");
        doc
    } else {
        let (code, doc) = failed(&result);
        assert_eq!(code, "approval_declined", "{doc}");
        assert!(doc["approval_id"].is_string(), "{doc}");
        doc
    };
    let run_id = doc["run_id"].as_str().unwrap();
    assert!(form.contains(run_id), "{form}");
    doc
}

/// How many host records of approval step `step` the log has.
fn approval_steps(s: &Served, step: &str) -> usize {
    let capability = format!("host.approval.{step}");
    s.audit()
        .into_iter()
        .filter(|r| r["capability"] == capability.as_str())
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn rmcp_on_stdio_approves_a_code_run_in_band_and_the_server_resumes_it() {
    let s = installed();
    let mut calls = Vec::new();
    // 2025-11-25: an `elicitation/create` request while the call waits.
    let agent = Agent::asking("asking agent", true);
    let (client, pid) = spawn_stdio(&s, agent.clone(), legacy(), &[]).await;
    calls.extend(ran(&in_band(&client, &agent).await));
    close_stdio(client, pid).await;
    // 2026-07-28: `input_required` with a sealed state, accepted then declined.
    let (client, pid) = spawn_stdio(&s, agent.clone(), modern(), &[]).await;
    calls.extend(ran(&in_band(&client, &agent).await));
    let declining = Agent::asking("asking agent", false);
    close_stdio(client, pid).await;
    let (client, pid) = spawn_stdio(&s, declining.clone(), modern(), &[]).await;
    in_band(&client, &declining).await;
    // Each `add` ran once; the declined run published nothing.
    assert_eq!(
        titles(&client).await,
        [
            "draft",
            "published: draft",
            "draft",
            "published: draft",
            "draft"
        ]
    );
    close_stdio(client, pid).await;

    audited(&s, "mcp:asking_agent", &calls, 3);
    assert_eq!(approval_steps(&s, "approve"), 2);
    assert_eq!(approval_steps(&s, "decline"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn rmcp_over_http_approves_a_code_run_in_band_with_mrtr() {
    let mut s = installed();
    let token = s.token("agent", "invoke");
    s.start(&[]);
    let agent = Agent::asking("http asking agent", true);
    let client = connect_http(&s, agent.clone(), &token).await;
    let calls = ran(&in_band(&client, &agent).await);
    assert_eq!(titles(&client).await, ["draft", "published: draft"]);
    client.cancel().await.unwrap();
    assert_eq!(s.stop(), Some(0));
    audited(&s, "token:agent", &calls, 1);
    assert_eq!(approval_steps(&s, "approve"), 1);
}
