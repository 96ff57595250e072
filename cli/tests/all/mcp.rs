//! MCP through the real `morph` binary (issue 17, point 2), spoken as raw
//! JSON-RPC so that the bytes on the wire are what is checked: `morph mcp`
//! on stdio for a 2025-11-25 client (`initialize`) and a 2026-07-28 one
//! (`_meta` on each request, approvals in band through `input_required`),
//! and `/mcp` of `morph serve` with a bearer token. Extensions are
//! installed with `morph install`, approvals decided with `morph approve`,
//! and every run ends with `morph audit --verify` and the audit log naming
//! the client or the token as each call's `caller`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use morph_testkit::{PackageSpec, agent_extensions};
use serde_json::{Value, json};

use crate::serve_fixture::{Served, morph};

/// A data dir with `notes` and `spinner` installed by `morph install`.
fn installed() -> Served {
    let s = Served::new();
    s.install(&agent_extensions::notes());
    s.install(&agent_extensions::spinner());
    s
}

/// `morph approve ID` (or `--decline`) as `alice`.
fn approve(s: &Served, id: &str, decline: bool) -> std::process::Output {
    let mut args = vec!["approve", id, "--as", "alice", "--data-dir", s.d()];
    if decline {
        args.push("--decline");
    }
    morph(&args).output().unwrap()
}

/// `morph mcp` on a data dir, spoken to line by line.
struct McpProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Value>,
    next_id: u64,
    /// `_meta` for every request (2026-07-28); `None` after `initialize`.
    meta: Option<Value>,
    /// The result sent for each `elicitation/create` (none: the client
    /// declared no elicitation).
    answer: Option<Value>,
    /// How many `elicitation/create` requests came.
    asked: usize,
}

impl McpProcess {
    fn spawn(s: &Served, env: &[(&str, &str)]) -> McpProcess {
        let mut child = morph(&["mcp", "--data-dir", s.d()])
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn morph mcp");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let doc: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("stdout is not JSON-RPC ({e}): {line}"));
                if tx.send(doc).is_err() {
                    return;
                }
            }
        });
        McpProcess {
            stdin: child.stdin.take(),
            child,
            lines,
            next_id: 1,
            meta: None,
            answer: None,
            asked: 0,
        }
    }

    fn capabilities(elicitation: bool) -> Value {
        if elicitation {
            json!({"elicitation": {"form": {}}})
        } else {
            json!({})
        }
    }

    /// The 2025-11-25 handshake as client `name`; the `initialize` result.
    fn initialize(&mut self, name: &str, elicitation: bool) -> Value {
        let result = self
            .request(
                "initialize",
                json!({
                    "protocolVersion": "2025-11-25",
                    "capabilities": McpProcess::capabilities(elicitation),
                    "clientInfo": {"name": name, "version": "1.0"},
                }),
            )
            .expect("initialize");
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        result
    }

    /// From now on, 2026-07-28 requests as client `name`.
    fn modern(&mut self, name: &str, elicitation: bool) {
        self.meta = Some(json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": name, "version": "1.0"},
            "io.modelcontextprotocol/clientCapabilities": McpProcess::capabilities(elicitation),
        }));
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    /// Sends request `method` and returns its id.
    fn start(&mut self, method: &str, mut params: Value) -> u64 {
        if let Some(meta) = &self.meta {
            params["_meta"] = meta.clone();
        }
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// The answer to request `id`, answering the server's own requests on
    /// the way.
    fn finish(&mut self, id: u64) -> Result<Value, Value> {
        loop {
            let message = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .expect("an answer within 20 s");
            if message.get("method").is_some() {
                if let Some(server_id) = message.get("id") {
                    self.reply(server_id.clone(), &message);
                }
                continue;
            }
            if message["id"] != json!(id) {
                continue;
            }
            return match message.get("error") {
                Some(error) => Err(error.clone()),
                None => Ok(message["result"].clone()),
            };
        }
    }

    /// Waits for notification `method` from the server.
    fn notified(&mut self, method: &str) {
        loop {
            let message = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no {method} within 20 s"));
            if message["method"] == method && message.get("id").is_none() {
                return;
            }
        }
    }

    fn reply(&mut self, id: Value, request: &Value) {
        let reply = match (&request["method"], &self.answer) {
            (m, Some(answer)) if m == "elicitation/create" => {
                self.asked += 1;
                json!({"jsonrpc": "2.0", "id": id, "result": answer})
            }
            (m, _) if m == "ping" => json!({"jsonrpc": "2.0", "id": id, "result": {}}),
            _ => json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no"}}),
        };
        self.send(&reply);
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.start(method, params);
        self.finish(id)
    }

    fn call(&mut self, name: &str, arguments: Value) -> Result<Value, Value> {
        self.request("tools/call", json!({"name": name, "arguments": arguments}))
    }

    /// Closes stdin and insists `morph mcp` then exits 0.
    fn close(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "morph mcp exited with {status}");
    }
}

impl Drop for McpProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tool error's code (and insists it is one, as MCP shapes it).
fn code(result: &Value) -> &str {
    assert_eq!(result["isError"], true, "not a tool error: {result}");
    let code = result["structuredContent"]["code"].as_str().unwrap();
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(text.starts_with(&format!("{code}: ")), "{text}");
    code
}

/// The titles of the notes.
fn titles(mcp: &mut McpProcess) -> Vec<String> {
    let listed = mcp.call("notes.list", json!({})).unwrap();
    serde_json::from_value(listed["structuredContent"]["result"].clone()).unwrap()
}

fn count(mcp: &mut McpProcess, title: &str) -> usize {
    titles(mcp).iter().filter(|t| *t == title).count()
}

#[test]
fn mcp_on_stdio_lists_runs_refuses_and_waits_for_morph_approve() {
    let s = installed();
    let mut mcp = McpProcess::spawn(&s, &[]);
    let hello = mcp.initialize("cli test", false);
    assert_eq!(hello["protocolVersion"], "2025-11-25");
    assert_eq!(hello["serverInfo"]["name"], "morph");
    assert_eq!(hello["capabilities"]["tools"]["listChanged"], true);

    let tools = mcp.request("tools/list", json!({})).unwrap();
    let tools = tools["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    for name in [
        "notes.add",
        "notes.list",
        "notes.publish",
        "spinner.spin",
        "run_code",
    ] {
        assert!(names.contains(&name), "{names:?}");
    }
    assert!(!names.contains(&"notes.secret"), "{names:?}");
    let add = tools.iter().find(|t| t["name"] == "notes.add").unwrap();
    assert_eq!(add["inputSchema"]["required"], json!(["title"]));
    assert_eq!(
        add["annotations"],
        json!({"readOnlyHint": false, "destructiveHint": true, "openWorldHint": true})
    );
    let spin = tools.iter().find(|t| t["name"] == "spinner.spin").unwrap();
    assert_eq!(spin["annotations"]["readOnlyHint"], true);

    // Blocked is answered exactly as unknown.
    let blocked = mcp.call("notes.secret", json!({})).unwrap_err();
    let unknown = mcp.call("notes.absent", json!({})).unwrap_err();
    let shape = |e: &Value, name: &str| {
        (
            e["code"].clone(),
            e["message"].as_str().unwrap().replace(name, "NAME"),
            e.get("data").cloned(),
        )
    };
    assert_eq!(
        shape(&blocked, "notes.secret"),
        shape(&unknown, "notes.absent")
    );

    // execute: at once, the result as structured content.
    let added = mcp.call("notes.add", json!({"title": "hello"})).unwrap();
    assert_eq!(added["isError"], false);
    assert_eq!(added["structuredContent"]["title"], "hello");
    // A denial and a limit: tool errors with their codes.
    let denied = mcp
        .call("notes.fetch", json!({"url": "http://elsewhere.example/"}))
        .unwrap();
    assert_eq!(code(&denied), "host_not_allowed");
    let spun = mcp.call("spinner.spin", json!({})).unwrap();
    assert_eq!(code(&spun), "timeout");

    // propose without elicitation: `morph approve`, then the same call.
    let asked = mcp.call("notes.publish", json!({"title": "x"})).unwrap();
    assert_eq!(code(&asked), "approval_required");
    let id = asked["structuredContent"]["approval_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        asked["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains(&format!("`morph approve {id}`")),
        "{asked}"
    );
    assert_eq!(count(&mut mcp, "published: x"), 0);
    let approved = approve(&s, &id, false);
    assert!(approved.status.success(), "{approved:?}");
    let ran = mcp.call("notes.publish", json!({"title": "x"})).unwrap();
    assert_eq!(ran["isError"], false, "{ran}");
    let again = mcp.call("notes.publish", json!({"title": "x"})).unwrap();
    assert_eq!(code(&again), "approval_required");
    assert_ne!(again["structuredContent"]["approval_id"], id.as_str());
    // Declined with `morph approve --decline`: the call stays refused.
    let declined_id = again["structuredContent"]["approval_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(approve(&s, &declined_id, true).status.success());
    let refused = mcp.call("notes.publish", json!({"title": "x"})).unwrap();
    assert_eq!(code(&refused), "approval_required");
    assert_eq!(count(&mut mcp, "published: x"), 1);

    // An install by another process: the client hears the tools changed.
    s.install(&PackageSpec::new(
        "later",
        "js",
        "index.js",
        "export function execute() { return 1; }\n",
        "actions:\n  - {name: one, description: Says one, ai_access: execute}\n",
    ));
    mcp.notified("notifications/tools/list_changed");
    let tools = mcp.request("tools/list", json!({})).unwrap();
    assert!(
        tools["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "later.one"),
        "{tools}"
    );
    let one = mcp.call("later.one", json!({})).unwrap();
    assert_eq!(one["structuredContent"], json!({"result": 1}));
    mcp.close();

    s.audited_as("mcp:cli_test");
    let steps: Vec<String> = s
        .audit()
        .into_iter()
        .filter_map(|r| r["capability"].as_str().map(str::to_owned))
        .filter(|c| c.starts_with("host.approval."))
        .collect();
    assert!(
        steps.contains(&"host.approval.request".to_owned()),
        "{steps:?}"
    );
    assert!(steps.contains(&"host.approval.use".to_owned()), "{steps:?}");
}

#[test]
fn mcp_on_stdio_approves_in_band_once_and_refuses_replays_and_expiry() {
    let s = installed();

    // 2025-11-25: an `elicitation/create` while the call waits.
    let mut mcp = McpProcess::spawn(&s, &[]);
    mcp.initialize("agent", true);
    mcp.answer = Some(json!({"action": "accept", "content": {"approve": true}}));
    let ran = mcp.call("notes.publish", json!({"title": "a"})).unwrap();
    assert_eq!(ran["isError"], false, "{ran}");
    mcp.answer = Some(json!({"action": "decline"}));
    let declined = mcp.call("notes.publish", json!({"title": "b"})).unwrap();
    assert_eq!(code(&declined), "approval_declined");
    assert_eq!(mcp.asked, 2);
    assert_eq!(
        (
            count(&mut mcp, "published: a"),
            count(&mut mcp, "published: b")
        ),
        (1, 0)
    );
    mcp.close();

    // 2026-07-28: `input_required` with a sealed state, sent back by hand.
    let mut mcp = McpProcess::spawn(&s, &[("MORPH_APPROVAL_TTL_SECS", "2")]);
    mcp.modern("agent", true);
    let accept = json!({"approval": {"action": "accept", "content": {"approve": true}}});
    let ask = |mcp: &mut McpProcess, title: &str| {
        let asked = mcp.call("notes.publish", json!({"title": title})).unwrap();
        assert_eq!(asked["resultType"], "input_required", "{asked}");
        let form = &asked["inputRequests"]["approval"];
        assert_eq!(form["method"], "elicitation/create");
        let message = form["params"]["message"].as_str().unwrap();
        assert!(message.contains("notes.publish") && message.contains("data:write"));
        asked["requestState"].as_str().unwrap().to_owned()
    };
    let answer = |mcp: &mut McpProcess, title: &str, state: &str, responses: &Value| {
        mcp.request(
            "tools/call",
            json!({
                "name": "notes.publish",
                "arguments": {"title": title},
                "inputResponses": responses,
                "requestState": state,
            }),
        )
        .unwrap()
    };
    let state = ask(&mut mcp, "c");
    let ran = answer(&mut mcp, "c", &state, &accept);
    assert_eq!(ran["isError"], false, "{ran}");
    let replayed = answer(&mut mcp, "c", &state, &accept);
    assert_eq!(code(&replayed), "approval_invalid");
    // Altered: one character of the state, or the state with other arguments.
    let state = ask(&mut mcp, "d");
    let mut tampered = state.clone();
    let swap = if &state[10..11] == "A" { "B" } else { "A" };
    tampered.replace_range(10..11, swap);
    let refused = answer(&mut mcp, "d", &tampered, &accept);
    assert_eq!(code(&refused), "approval_invalid");
    let refused = answer(&mut mcp, "other", &state, &accept);
    assert_eq!(code(&refused), "approval_invalid");
    let declined = answer(
        &mut mcp,
        "d",
        &state,
        &json!({"approval": {"action": "decline"}}),
    );
    assert_eq!(code(&declined), "approval_declined");
    // Expired: the approval (2 s here) ran out before the answer.
    let state = ask(&mut mcp, "e");
    std::thread::sleep(Duration::from_millis(2500));
    let expired = answer(&mut mcp, "e", &state, &accept);
    assert_eq!(code(&expired), "approval_invalid");
    let published: Vec<String> = titles(&mut mcp)
        .into_iter()
        .filter(|t| t.starts_with("published: "))
        .collect();
    assert_eq!(published, ["published: a", "published: c"]);
    mcp.close();
    s.audited_as("mcp:agent");
}

#[test]
fn a_cancelled_mcp_call_stops_its_guest() {
    let s = installed();
    let mut mcp = McpProcess::spawn(&s, &[]);
    mcp.initialize("canceller", false);
    let id = mcp.start(
        "tools/call",
        json!({"name": "notes.churn", "arguments": {}}),
    );
    std::thread::sleep(Duration::from_millis(800));
    mcp.send(&json!({
        "jsonrpc": "2.0",
        "method": "notifications/cancelled",
        "params": {"requestId": id, "reason": "the person pressed stop"},
    }));
    // The guest stops at the cancel: no capability call of it comes after,
    // and the server goes on answering.
    std::thread::sleep(Duration::from_millis(300));
    let churn = |s: &Served| {
        s.audit()
            .into_iter()
            .filter(|r| r["action"] == "churn")
            .collect::<Vec<Value>>()
    };
    let at_cancel = churn(&s);
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(churn(&s).len(), at_cancel.len(), "the guest went on");
    assert!(mcp.call("notes.list", json!({})).is_ok());
    mcp.close();
    s.audited_as("mcp:canceller");
    assert!(at_cancel.len() > 1, "{at_cancel:?}");
    for r in &at_cancel {
        assert_eq!(r["call_id"], at_cancel[0]["call_id"]);
        assert!(r["outcome"] == "ok" || r["outcome"] == "cancelled", "{r}");
    }
}

#[test]
fn mcp_over_http_serves_the_token_and_its_approvals() {
    let mut s = installed();
    let token = s.token("agent", "invoke");
    let base = s.start(&[]);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let url = format!("{base}/mcp");
    let post = |token: Option<&str>, origin: Option<&str>, id: u64, method: &str, params: Value| {
        let mut request = client
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25")
            .json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().unwrap();
        let status = response.status().as_u16();
        let text = response.text().unwrap();
        (
            status,
            serde_json::from_str::<Value>(&text).unwrap_or(json!({"text": text})),
        )
    };
    let hello = json!({
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "http agent", "version": "1.0"},
    });
    assert_eq!(post(None, None, 1, "initialize", hello.clone()).0, 401);
    assert_eq!(
        post(
            Some(&token),
            Some("https://evil.example"),
            1,
            "initialize",
            hello.clone()
        )
        .0,
        403
    );
    let (status, doc) = post(Some(&token), None, 1, "initialize", hello);
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["result"]["serverInfo"]["name"], "morph");

    let call = |id: u64, name: &str, arguments: Value| {
        let (status, doc) = post(
            Some(&token),
            None,
            id,
            "tools/call",
            json!({"name": name, "arguments": arguments}),
        );
        assert_eq!(status, 200, "{doc}");
        doc["result"].clone()
    };
    let (_, listed) = post(Some(&token), None, 2, "tools/list", json!({}));
    let names: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"notes.add")
            && names.contains(&"run_code")
            && !names.contains(&"notes.secret"),
        "{names:?}"
    );
    let added = call(3, "notes.add", json!({"title": "over http"}));
    assert_eq!(added["structuredContent"]["title"], "over http", "{added}");

    let asked = call(4, "notes.publish", json!({"title": "h"}));
    assert_eq!(code(&asked), "approval_required");
    let id = asked["structuredContent"]["approval_id"].as_str().unwrap();
    assert!(approve(&s, id, false).status.success());
    let ran = call(5, "notes.publish", json!({"title": "h"}));
    assert_eq!(ran["isError"], false, "{ran}");
    let listed = call(6, "notes.list", json!({}));
    assert_eq!(
        listed["structuredContent"]["result"],
        json!(["over http", "published: h"])
    );
    s.stop();
    s.audited_as("token:agent");
}
