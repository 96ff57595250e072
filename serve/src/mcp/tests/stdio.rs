//! The stdio server over a pipe: tools, calls, errors, cancellation, the
//! three ways to approval, and `list_changed`, on 2025-11-25 (initialize)
//! and 2026-07-28 (discover, MRTR).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rmcp::model::{CallToolResponse, ProtocolVersion, ServerNotification, SubscriptionFilter};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::{ClientLifecycleMode, ClientServiceExt, ServiceExt};
use serde_json::{Value, json};

use super::{Agent, Answer, Fixture, call, code, structured};
use crate::events::ServerEvent;
use crate::mcp::stdio::serve_on;

type Client = RunningService<RoleClient, Agent>;

/// A client on a pipe to a fresh stdio server of `f`: 2026-07-28 when
/// `modern`, else the `initialize` handshake.
async fn connect(f: &Fixture, agent: Agent, modern: bool) -> Client {
    let (server_end, client_end) = tokio::io::duplex(1 << 20);
    let service = f.service.clone();
    tokio::spawn(async move {
        let _ = serve_on(service, server_end).await;
    });
    if modern {
        let lifecycle = ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        };
        agent
            .serve_with_lifecycle(client_end, lifecycle)
            .await
            .unwrap()
    } else {
        agent.serve(client_end).await.unwrap()
    }
}

const ACCEPT: fn() -> BTreeMap<String, Value> = || {
    BTreeMap::from([(
        "approval".to_owned(),
        json!({"action": "accept", "content": {"approve": true}}),
    )])
};

#[tokio::test(flavor = "multi_thread")]
async fn tools_are_the_loaded_actions_and_a_blocked_one_is_no_tool() {
    let f = Fixture::start().await;
    let client = connect(&f, Agent::new(false), false).await;
    let info = client.peer_info().unwrap();
    assert_eq!(info.protocol_version, ProtocolVersion::V_2025_11_25);
    let server = info.server_info.clone().unwrap();
    assert_eq!(server.name, "morph");
    assert_eq!(server.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        info.capabilities.tools.as_ref().unwrap().list_changed,
        Some(true)
    );

    let tools = client.list_all_tools().await.unwrap();
    let names: BTreeSet<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "notes.add",
            "notes.churn",
            "notes.fetch",
            "notes.list",
            "notes.publish",
            "run_code",
            "spinner.spin"
        ])
    );
    let tool = |name: &str| tools.iter().find(|t| t.name == name).unwrap();
    let notes = tool("notes.add").annotations.clone().unwrap();
    assert_eq!(
        (
            notes.read_only_hint,
            notes.destructive_hint,
            notes.open_world_hint
        ),
        (Some(false), Some(true), Some(true))
    );
    let spin = tool("spinner.spin").annotations.clone().unwrap();
    assert_eq!(
        (
            spin.read_only_hint,
            spin.destructive_hint,
            spin.open_world_hint
        ),
        (Some(true), Some(false), Some(false))
    );
    let schema = Value::Object((*tool("notes.add").input_schema).clone());
    assert_eq!(schema["properties"]["title"]["type"], "string");
    assert_eq!(schema["required"], json!(["title"]));
    assert!(
        tool("notes.publish")
            .description
            .as_deref()
            .unwrap()
            .contains("A person approves each call")
    );

    // A blocked action is answered exactly as a tool that does not exist.
    let refusal = |e: ServiceError, name: &str| match e {
        ServiceError::McpError(e) => (e.code, e.message.replace(name, "NAME"), e.data),
        other => panic!("not a protocol error: {other}"),
    };
    let blocked = client
        .call_tool(call("notes.secret", json!({})))
        .await
        .unwrap_err();
    let unknown = client
        .call_tool(call("notes.unheard_of", json!({})))
        .await
        .unwrap_err();
    let blocked = refusal(blocked, "notes.secret");
    assert_eq!(blocked, refusal(unknown, "notes.unheard_of"));
    assert_eq!(blocked.1, "Unknown tool: NAME");
    assert_eq!(f.count("secret ran").await, 0);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn execute_runs_at_once_as_the_named_client() {
    let f = Fixture::start().await;
    let client = connect(&f, Agent::new(false), false).await;
    let added = client
        .call_tool(call("notes.add", json!({"title": "hello"})))
        .await
        .unwrap();
    assert_eq!(added.is_error, Some(false));
    assert_eq!(structured(&added)["title"], "hello");
    let text = &added.content[0].as_text().unwrap().text;
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap(),
        structured(&added)
    );
    let listed = client
        .call_tool(call("notes.list", json!({})))
        .await
        .unwrap();
    assert_eq!(structured(&listed), json!({"result": ["hello"]}));

    let records = f.audited("data.create_task");
    assert!(!records.is_empty());
    for r in &records {
        assert_eq!(r.entry.caller.as_deref(), Some("mcp:test_agent"), "{r:?}");
    }

    // Arguments are checked before the guest runs.
    let missing = client
        .call_tool(call("notes.add", json!({})))
        .await
        .unwrap();
    assert_eq!(code(&missing), "invalid_params");
    let huge = "x".repeat(crate::mcp::MAX_ARGUMENTS_BYTES + 1);
    let oversized = client
        .call_tool(call("notes.add", json!({"title": huge})))
        .await
        .unwrap();
    assert_eq!(code(&oversized), "invalid_params");
    assert_eq!(f.audited("data.create_task").len(), records.len());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn denials_and_limits_are_tool_errors_with_their_codes() {
    let f = Fixture::start().await;
    let client = connect(&f, Agent::new(false), false).await;
    let denied = client
        .call_tool(call(
            "notes.fetch",
            json!({"url": "http://not-allowed.example/x"}),
        ))
        .await
        .unwrap();
    assert_eq!(code(&denied), "host_not_allowed");
    let text = &denied.content[0].as_text().unwrap().text;
    assert!(text.starts_with("host_not_allowed: "), "{text}");
    let spun = client
        .call_tool(call("spinner.spin", json!({})))
        .await
        .unwrap();
    assert_eq!(code(&spun), "timeout");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_call_ends_cancelled_and_its_guest_stops() {
    let f = Fixture::start().await;
    let mut events = f.service.subscribe();
    let client = connect(&f, Agent::new(false), false).await;
    // Dropping the call's future sends `notifications/cancelled`.
    let abandoned = tokio::time::timeout(
        Duration::from_millis(700),
        client.call_tool(call("notes.churn", json!({}))),
    )
    .await;
    assert!(abandoned.is_err(), "churn never ends by itself");
    let (call_id, outcome, caller) = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(ServerEvent::Call {
                call_id,
                action,
                outcome,
                caller,
                ..
            }) = events.recv().await
                && action == "churn"
            {
                return (call_id, outcome, caller);
            }
        }
    })
    .await
    .expect("the call ended");
    assert_eq!(
        (outcome.as_str(), caller.as_str()),
        ("cancelled", "mcp:test_agent")
    );
    // The guest stopped: its capability calls (each audited, with the
    // caller) end at the cancel; one in flight or refused then says so.
    let records = |f: &Fixture| {
        f.service
            .audit(100_000, |r| r.entry.call_id == call_id)
            .unwrap()
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let at_cancel = records(&f);
    assert!(!at_cancel.is_empty());
    for r in &at_cancel {
        assert_eq!(r.entry.caller.as_deref(), Some("mcp:test_agent"));
        assert!(
            ["ok", "cancelled"].contains(&r.entry.outcome.as_str()),
            "{r:?}"
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        records(&f).len(),
        at_cancel.len(),
        "the guest went on after the cancel"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn on_2026_07_28_a_person_approves_in_band_once_per_call() {
    let f = Fixture::start().await;
    let agent = Agent::new(true);
    let client = connect(&f, agent.clone(), true).await;
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2026_07_28
    );

    // Accepted: it runs, once.
    let ran = client
        .call_tool(call("notes.publish", json!({"title": "a"})))
        .await
        .unwrap();
    assert_eq!(ran.is_error, Some(false), "{ran:?}");
    assert_eq!(f.count("published: a").await, 1);
    assert_eq!(agent.asked(), 1);
    let form = agent.last_form.lock().unwrap().clone();
    for shown in [
        "notes.publish",
        "mcp:test_agent",
        "\"title\": \"a\"",
        "data:write",
        "api.example.com",
    ] {
        assert!(form.contains(shown), "{shown} not in the form: {form}");
    }
    for step in ["request", "approve", "use"] {
        let records = f.audited(&format!("host.approval.{step}"));
        assert_eq!(records.len(), 1, "{step}");
        assert_eq!(records[0].entry.extension, "notes");
    }
    assert_eq!(
        f.audited("host.approval.approve")[0]
            .entry
            .caller
            .as_deref(),
        Some("mcp-elicitation:mcp:test_agent")
    );

    // Declined: nothing runs.
    agent.answer(Answer::Decline);
    let declined = client
        .call_tool(call("notes.publish", json!({"title": "b"})))
        .await
        .unwrap();
    assert_eq!(code(&declined), "approval_declined");
    assert_eq!(f.count("published: b").await, 0);
    assert_eq!(f.audited("host.approval.decline").len(), 1);

    // The rounds by hand: a state serves one call, whatever is sent again.
    let state = |response: CallToolResponse| match response {
        CallToolResponse::InputRequired(asked) => asked.request_state.unwrap(),
        other => panic!("not asked: {other:?}"),
    };
    let complete = |response: CallToolResponse| match response {
        CallToolResponse::Complete(result) => result,
        other => panic!("not complete: {other:?}"),
    };
    let once = |title: &str, state: Option<String>| {
        let mut params = call("notes.publish", json!({"title": title}));
        if let Some(state) = state {
            params = params
                .with_request_state(state)
                .with_input_responses(ACCEPT());
        }
        client.call_tool_once(params)
    };
    let sealed = state(once("c", None).await.unwrap());
    let first = complete(once("c", Some(sealed.clone())).await.unwrap());
    assert_eq!(first.is_error, Some(false), "{first:?}");
    let replayed = complete(once("c", Some(sealed)).await.unwrap());
    assert_eq!(code(&replayed), "approval_invalid");
    assert_eq!(f.count("published: c").await, 1);

    // Altered: a changed tag, or the state sent with other arguments.
    let sealed = state(once("d", None).await.unwrap());
    let mut tampered = sealed.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let refused = complete(once("d", Some(tampered)).await.unwrap());
    assert_eq!(code(&refused), "approval_invalid");
    let refused = complete(once("e", Some(sealed)).await.unwrap());
    assert_eq!(code(&refused), "approval_invalid");
    assert_eq!(
        f.count("published: d").await + f.count("published: e").await,
        0
    );

    // Expired: the approval's time ran out before the answer came.
    let sealed = state(once("g", None).await.unwrap());
    expire_pending(&f, "g");
    let refused = complete(once("g", Some(sealed)).await.unwrap());
    assert_eq!(code(&refused), "approval_invalid");
    assert_eq!(f.count("published: g").await, 0);
    client.cancel().await.unwrap();
}

/// Moves the pending approval for title `title` past its expiry.
fn expire_pending(f: &Fixture, title: &str) {
    let id = f
        .service
        .approvals()
        .pending()
        .unwrap()
        .into_iter()
        .find(|a| a.arguments["title"] == title)
        .unwrap()
        .id;
    let db = rusqlite::Connection::open(f.service.data_dir().join("approvals.db")).unwrap();
    db.execute(
        "UPDATE approvals SET expires_ms = 1 WHERE id = ?1",
        rusqlite::params![id],
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn on_2025_11_25_a_person_approves_through_an_elicitation_request() {
    let f = Fixture::start().await;
    let agent = Agent::new(true);
    let client = connect(&f, agent.clone(), false).await;
    let ran = client
        .call_tool(call("notes.publish", json!({"title": "a"})))
        .await
        .unwrap();
    assert_eq!(ran.is_error, Some(false), "{ran:?}");
    assert_eq!(f.count("published: a").await, 1);
    agent.answer(Answer::Decline);
    let declined = client
        .call_tool(call("notes.publish", json!({"title": "b"})))
        .await
        .unwrap();
    assert_eq!(code(&declined), "approval_declined");
    assert_eq!(f.count("published: b").await, 0);
    assert_eq!(agent.asked(), 2);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_elicitation_a_person_approves_out_of_band() {
    let f = Fixture::start().await;
    for modern in [false, true] {
        let title = if modern { "modern" } else { "legacy" };
        let client = connect(&f, Agent::new(false), modern).await;
        let publish = || client.call_tool(call("notes.publish", json!({"title": title})));
        let asked = publish().await.unwrap();
        assert_eq!(code(&asked), "approval_required");
        let id = structured(&asked)["approval_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let text = &asked.content[0].as_text().unwrap().text;
        assert!(
            text.contains(&format!("a person approves it with `morph approve {id}`, then call the tool again with the same arguments")),
            "{text}"
        );
        // Asked again before anyone decided: the same approval.
        let again = publish().await.unwrap();
        assert_eq!(structured(&again)["approval_id"], id.as_str());
        assert_eq!(f.count(&format!("published: {title}")).await, 0);

        f.service.approvals().decide(&id, true, "alice").unwrap();
        // Other arguments do not use it.
        let other = client
            .call_tool(call("notes.publish", json!({"title": "other"})))
            .await
            .unwrap();
        assert_eq!(code(&other), "approval_required");
        let ran = publish().await.unwrap();
        assert_eq!(ran.is_error, Some(false), "{ran:?}");
        assert_eq!(f.count(&format!("published: {title}")).await, 1);
        // Used: the next call needs a new approval.
        let next = publish().await.unwrap();
        assert_eq!(code(&next), "approval_required");
        assert_ne!(structured(&next)["approval_id"], id.as_str());
        client.cancel().await.unwrap();
    }
    let used = f.audited("host.approval.use");
    assert_eq!(used.len(), 2);
    assert_eq!(used[0].entry.caller.as_deref(), Some("mcp:test_agent"));
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_hear_when_the_tools_change() {
    let f = Fixture::start().await;
    let agent = Agent::new(false);
    let legacy = connect(&f, agent.clone(), false).await;
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            f.service.publish(ServerEvent::ToolsChanged);
            if tokio::time::timeout(Duration::from_millis(100), agent.list_changed.notified())
                .await
                .is_ok()
            {
                return;
            }
        }
    })
    .await;
    assert!(heard.is_ok(), "no tools/list_changed");
    legacy.cancel().await.unwrap();

    let modern = connect(&f, Agent::new(false), true).await;
    let mut subscription = modern
        .listen(SubscriptionFilter::builder().tools_list_changed().build())
        .await
        .unwrap();
    // `listen` subscribes to the events once the client has its answer:
    // say it again until the stream carries it.
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            f.service.publish(ServerEvent::ToolsChanged);
            let next = tokio::time::timeout(Duration::from_millis(100), subscription.next());
            if let Ok(next) = next.await {
                return next.unwrap();
            }
        }
    })
    .await
    .unwrap();
    assert!(
        matches!(
            heard,
            Some(ServerNotification::ToolListChangedNotification(_))
        ),
        "{heard:?}"
    );
    subscription.cancel().await.unwrap();
    modern.cancel().await.unwrap();
}
