//! MCP through the real `morph` binary, driven by rmcp's own client (issue
//! 17): `morph mcp` spawned by rmcp's `TokioChildProcess`, and `/mcp` of
//! `morph serve` reached by rmcp's streamable HTTP client with a bearer
//! token from `morph token create`. Both speak protocol 2026-07-28
//! (`server/discover`, `_meta` on each request), so approvals come in band
//! as `input_required` rounds that rmcp's `call_tool` drives through the
//! client's `create_elicitation`. Each test ends with `morph audit --verify`
//! and the audit log naming the caller of every call. The raw JSON-RPC
//! side of the same binary is in `mcp.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use morph_testkit::agent_extensions;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, Implementation, JsonObject, ProtocolVersion,
};
use rmcp::service::{RequestContext, RoleClient, RunningService, ServiceError};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, ClientLifecycleMode, ClientServiceExt, ErrorData};
use serde_json::{Value, json};

use crate::serve_fixture::{Served, morph};

/// A data dir with `notes` and `spinner` (an endless loop, 300 ms at most)
/// installed by `morph install`.
fn installed() -> Served {
    let s = Served::new();
    s.install(&agent_extensions::notes());
    s.install(&agent_extensions::spinner());
    s
}

/// The test's MCP client: declares elicitation, accepts or declines every
/// approval form as told, and counts the forms.
#[derive(Clone)]
struct Agent {
    name: &'static str,
    accept: Arc<AtomicBool>,
    asked: Arc<AtomicUsize>,
}

impl Agent {
    fn new(name: &'static str, accept: bool) -> Agent {
        Agent {
            name,
            accept: Arc::new(AtomicBool::new(accept)),
            asked: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn asked(&self) -> usize {
        self.asked.load(Ordering::SeqCst)
    }
}

impl ClientHandler for Agent {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new(self.name, "1.0"),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _ctx: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if let ElicitRequestParams::FormElicitationParams { message, .. } = &request {
            assert!(message.contains("notes.publish"), "{message}");
        }
        Ok(if self.accept.load(Ordering::SeqCst) {
            ElicitResult::new(ElicitationAction::Accept).with_content(json!({"approve": true}))
        } else {
            ElicitResult::new(ElicitationAction::Decline)
        })
    }
}

type Client = RunningService<RoleClient, Agent>;

/// Protocol 2026-07-28 only: no `initialize`, no fallback.
fn modern() -> ClientLifecycleMode {
    ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    }
}

/// `morph mcp --data-dir D` as rmcp's child process, on 2026-07-28; the
/// client and the child's pid.
async fn spawn_stdio(s: &Served, agent: Agent) -> (Client, u32) {
    let command = tokio::process::Command::from(morph(&["mcp", "--data-dir", s.d()]));
    let transport = TokioChildProcess::new(command).expect("spawn morph mcp");
    let pid = transport.id().expect("a pid");
    let client = agent
        .serve_with_lifecycle(transport, modern())
        .await
        .expect("discover");
    let peer = client.peer_info().expect("server info");
    assert_eq!(peer.protocol_version, ProtocolVersion::V_2026_07_28);
    assert_eq!(peer.server_info.as_ref().unwrap().name, "morph");
    (client, pid)
}

/// Closes the client (stdin first) and insists `morph mcp` exited.
async fn close_stdio(client: Client, pid: u32) {
    client.cancel().await.expect("close");
    // rmcp closes stdin, then waits for the exit before signalling.
    // SAFETY: signal 0 only asks whether the (reaped) child still exists.
    let alive = unsafe { libc::kill(pid as libc::pid_t, 0) } == 0;
    assert!(!alive, "morph mcp did not exit");
}

/// An rmcp client on `/mcp` of a started `morph serve`, with `token` as
/// bearer, on 2026-07-28.
async fn connect_http(s: &Served, agent: Agent, token: Option<&str>) -> Result<Client, String> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(s.url("/mcp"));
    if let Some(token) = token {
        config = config.auth_header(token);
    }
    let transport = StreamableHttpClientTransport::from_config(config);
    agent
        .serve_with_lifecycle(transport, modern())
        .await
        .map_err(|e| e.to_string())
}

/// A `tools/call` of `name` with `arguments`.
fn call(name: &'static str, arguments: Value) -> CallToolRequestParams {
    let arguments: JsonObject = match arguments {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    };
    CallToolRequestParams::new(name).with_arguments(arguments)
}

fn structured(result: &CallToolResult) -> Value {
    result.structured_content.clone().unwrap_or(Value::Null)
}

/// A tool error's code (and insists it is one, as MCP shapes it).
fn code(result: &CallToolResult) -> String {
    assert_eq!(result.is_error, Some(true), "not a tool error: {result:?}");
    let code = structured(result)["code"].as_str().unwrap().to_owned();
    let text = &result.content[0].as_text().unwrap().text;
    assert!(text.starts_with(&format!("{code}: ")), "{text}");
    code
}

async fn tool_names(client: &Client) -> Vec<String> {
    let tools = client.list_all_tools().await.expect("tools/list");
    tools.into_iter().map(|t| t.name.into_owned()).collect()
}

/// The titles of the notes.
async fn titles(client: &Client) -> Vec<String> {
    let listed = client.call_tool(call("notes.list", json!({}))).await;
    let listed = listed.expect("notes.list");
    assert_eq!(listed.is_error, Some(false), "{listed:?}");
    serde_json::from_value(structured(&listed)["result"].clone()).unwrap()
}

/// The distinct calls of `notes.ACTION` that wrote a note, from the log.
fn runs(s: &Served, action: &str) -> usize {
    let mut calls: Vec<String> = s
        .audit()
        .into_iter()
        .filter(|r| {
            r["extension"] == "notes"
                && r["action"] == action
                && r["capability"] == "data.create_task"
        })
        .map(|r| r["call_id"].as_str().unwrap().to_owned())
        .collect();
    calls.sort();
    calls.dedup();
    calls.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn rmcp_on_stdio_lists_runs_refuses_and_approves_in_band() {
    let s = installed();
    let agent = Agent::new("rmcp agent", true);
    let (client, pid) = spawn_stdio(&s, agent.clone()).await;

    // The blocked action is no tool, and calling it is calling no tool.
    let names = tool_names(&client).await;
    for name in [
        "notes.add",
        "notes.list",
        "notes.publish",
        "spinner.spin",
        "run_code",
    ] {
        assert!(names.contains(&name.to_owned()), "{names:?}");
    }
    assert!(!names.contains(&"notes.secret".to_owned()), "{names:?}");
    let refusal = |e: ServiceError, name: &str| match e {
        ServiceError::McpError(e) => (e.code, e.message.replace(name, "NAME"), e.data),
        other => panic!("not a protocol error: {other}"),
    };
    let blocked = client.call_tool(call("notes.secret", json!({}))).await;
    let unknown = client.call_tool(call("notes.absent", json!({}))).await;
    assert_eq!(
        refusal(blocked.unwrap_err(), "notes.secret"),
        refusal(unknown.unwrap_err(), "notes.absent")
    );

    // execute: at once, the result as structured content.
    let added = client
        .call_tool(call("notes.add", json!({"title": "hello"})))
        .await
        .unwrap();
    assert_eq!(added.is_error, Some(false), "{added:?}");
    assert_eq!(structured(&added)["title"], "hello");

    // A denial and a limit: tool errors with their codes.
    let denied = client
        .call_tool(call(
            "notes.fetch",
            json!({"url": "http://elsewhere.example/"}),
        ))
        .await
        .unwrap();
    assert_eq!(code(&denied), "host_not_allowed");
    let started = Instant::now();
    let spun = client
        .call_tool(call("spinner.spin", json!({})))
        .await
        .unwrap();
    assert_eq!(code(&spun), "timeout");
    assert!(started.elapsed() < Duration::from_secs(5));

    // propose, accepted in band: it runs, once.
    let ran = client
        .call_tool(call("notes.publish", json!({"title": "a"})))
        .await
        .unwrap();
    assert_eq!(ran.is_error, Some(false), "{ran:?}");
    assert_eq!(agent.asked(), 1);
    assert_eq!(runs(&s, "publish"), 1);

    // Declined in band: nothing runs.
    agent.accept.store(false, Ordering::SeqCst);
    let declined = client
        .call_tool(call("notes.publish", json!({"title": "b"})))
        .await
        .unwrap();
    assert_eq!(code(&declined), "approval_declined");
    assert_eq!(agent.asked(), 2);
    assert_eq!(runs(&s, "publish"), 1);
    assert_eq!(titles(&client).await, ["hello", "published: a"]);
    assert_eq!(runs(&s, "secret"), 0);
    close_stdio(client, pid).await;

    s.audited_as("mcp:rmcp_agent");
    let steps: Vec<String> = s
        .audit()
        .into_iter()
        .filter_map(|r| r["capability"].as_str().map(str::to_owned))
        .filter(|c| c.starts_with("host.approval."))
        .collect();
    // Asked twice: approved then used once, declined once.
    for (step, times) in [("request", 2), ("approve", 1), ("use", 1), ("decline", 1)] {
        let step = format!("host.approval.{step}");
        let seen = steps.iter().filter(|s| **s == step).count();
        assert_eq!(seen, times, "{step}: {steps:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rmcp_on_stdio_a_cancelled_call_stops_its_guest() {
    let s = installed();
    let (client, pid) = spawn_stdio(&s, Agent::new("canceller", false)).await;
    // Dropping the call's future sends `notifications/cancelled`.
    let abandoned = tokio::time::timeout(
        Duration::from_millis(800),
        client.call_tool(call("notes.churn", json!({}))),
    )
    .await;
    assert!(abandoned.is_err(), "churn never ends by itself");
    let churned = |s: &Served| {
        s.audit()
            .into_iter()
            .filter(|r| r["action"] == "churn")
            .collect::<Vec<Value>>()
    };
    // The guest stops at the cancel: no capability call of it comes
    // after, and the extension answers the next call at once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let at_cancel = churned(&s);
    let started = Instant::now();
    let listed = titles(&client).await;
    assert!(listed.is_empty(), "{listed:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the next call waited {:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(churned(&s).len(), at_cancel.len(), "the guest went on");
    close_stdio(client, pid).await;

    s.audited_as("mcp:canceller");
    assert!(at_cancel.len() > 1, "{at_cancel:?}");
    for r in &at_cancel {
        assert_eq!(r["call_id"], at_cancel[0]["call_id"]);
        assert!(r["outcome"] == "ok" || r["outcome"] == "cancelled", "{r}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rmcp_over_http_lists_runs_and_approves_as_the_token() {
    let mut s = installed();
    let token = s.token("agent", "invoke");
    s.start(&[]);

    // No token, or one `morph token create` never made: 401 at the first
    // request (`server/discover`), so nothing is listed or run.
    for bearer in [None, Some("mt_not_a_token")] {
        let refused = connect_http(&s, Agent::new("anonymous", true), bearer).await;
        let refused = refused.err().expect("served without a valid token");
        assert!(refused.contains("Auth required"), "{refused}");
    }

    let agent = Agent::new("http agent", true);
    let client = connect_http(&s, agent.clone(), Some(&token))
        .await
        .expect("connect with the token");
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2026_07_28
    );
    let names = tool_names(&client).await;
    assert!(names.contains(&"notes.add".to_owned()), "{names:?}");
    assert!(names.contains(&"run_code".to_owned()), "{names:?}");
    assert!(!names.contains(&"notes.secret".to_owned()), "{names:?}");
    let added = client
        .call_tool(call("notes.add", json!({"title": "over http"})))
        .await
        .unwrap();
    assert_eq!(structured(&added)["title"], "over http", "{added:?}");

    // propose: MRTR rounds over stateless HTTP, accepted by the agent.
    let published = client
        .call_tool(call("notes.publish", json!({"title": "mrtr"})))
        .await
        .unwrap();
    assert_eq!(published.is_error, Some(false), "{published:?}");
    assert_eq!(agent.asked(), 1);
    assert_eq!(runs(&s, "publish"), 1);
    assert_eq!(titles(&client).await, ["over http", "published: mrtr"]);
    client.cancel().await.unwrap();
    assert_eq!(s.stop(), Some(0));

    s.audited_as("token:agent");
}
