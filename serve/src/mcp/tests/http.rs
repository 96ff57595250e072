//! The HTTP endpoint on 127.0.0.1, mounted as `morph serve` mounts it,
//! behind a stand-in for its token middleware: tokens, origins, calls and
//! approvals for both protocol generations.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue};
use rmcp::model::{ProtocolVersion, ServerNotification, SubscriptionFilter};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientLifecycleMode, ClientServiceExt, ServiceExt};
use serde_json::json;

use super::{Agent, Fixture, call, code, structured};
use crate::events::ServerEvent;
use crate::mcp::{HttpMcpConfig, http_router};
use crate::tokens::{Scope, TokenInfo};

/// Serves `/mcp` of `f` on 127.0.0.1; the stand-in middleware verifies
/// every request as token `token` when given. Returns the endpoint's URL.
async fn serve(f: &Fixture, token: Option<&'static str>) -> String {
    let config = HttpMcpConfig {
        allowed_origins: vec!["http://localhost:*".to_owned()],
        ..HttpMcpConfig::default()
    };
    let mut app = axum::Router::new().nest_service("/mcp", http_router(f.service.clone(), config));
    if let Some(name) = token {
        app = app.layer(axum::middleware::from_fn(
            move |mut request: axum::extract::Request, next: axum::middleware::Next| {
                request.extensions_mut().insert(TokenInfo {
                    name: name.to_owned(),
                    scope: Scope::Invoke,
                    created_ms: 0,
                    code_policy: Default::default(),
                });
                next.run(request)
            },
        ));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/mcp")
}

type Client = RunningService<RoleClient, Agent>;

async fn connect(
    url: &str,
    agent: Agent,
    modern: bool,
    origin: Option<&str>,
) -> Result<Client, String> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_owned());
    if let Some(origin) = origin {
        config = config.custom_headers(HashMap::from([(
            HeaderName::from_static("origin"),
            HeaderValue::from_str(origin).unwrap(),
        )]));
    }
    let transport = StreamableHttpClientTransport::from_config(config);
    let connected = if modern {
        let lifecycle = ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        };
        agent.serve_with_lifecycle(transport, lifecycle).await
    } else {
        agent.serve(transport).await
    };
    connected.map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn http_serves_only_verified_tokens_and_listed_origins() {
    let f = Fixture::start().await;
    let open = serve(&f, None).await;
    for modern in [false, true] {
        // Whatever the handshake did, nothing is listed or run.
        if let Ok(client) = connect(&open, Agent::new(false), modern, None).await {
            assert!(client.list_all_tools().await.is_err());
            let refused = client
                .call_tool(call("notes.add", json!({"title": "anonymous"})))
                .await;
            assert!(refused.is_err(), "{refused:?}");
            let _ = client.cancel().await;
        }
    }
    assert_eq!(f.count("anonymous").await, 0);

    let url = serve(&f, Some("ci")).await;
    let foreign = connect(&url, Agent::new(false), false, Some("https://evil.example")).await;
    assert!(foreign.is_err(), "a foreign Origin was served");
    let local = connect(
        &url,
        Agent::new(false),
        false,
        Some("http://localhost:5173"),
    )
    .await
    .unwrap();
    assert!(!local.list_all_tools().await.unwrap().is_empty());
    local.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn http_lists_runs_and_approves_as_the_token() {
    let f = Fixture::start().await;
    let url = serve(&f, Some("ci")).await;

    // 2026-07-28 with elicitation: tools, a call, an approval in band.
    let agent = Agent::new(true);
    let modern = connect(&url, agent.clone(), true, None).await.unwrap();
    let names: Vec<String> = modern
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    assert!(names.contains(&"notes.add".to_owned()), "{names:?}");
    assert!(!names.contains(&"notes.secret".to_owned()), "{names:?}");
    let added = modern
        .call_tool(call("notes.add", json!({"title": "over http"})))
        .await
        .unwrap();
    assert_eq!(structured(&added)["title"], "over http");
    let published = modern
        .call_tool(call("notes.publish", json!({"title": "mrtr"})))
        .await
        .unwrap();
    assert_eq!(published.is_error, Some(false), "{published:?}");
    assert_eq!((agent.asked(), f.count("published: mrtr").await), (1, 1));
    for r in f.audited("data.create_task") {
        assert_eq!(r.entry.caller.as_deref(), Some("token:ci"), "{r:?}");
    }

    // list_changed on a subscription stream.
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
    let _ = subscription.cancel().await;
    modern.cancel().await.unwrap();

    // 2025-11-25, even one that can elicit, approves out of band here.
    let agent = Agent::new(true);
    let legacy = connect(&url, agent.clone(), false, None).await.unwrap();
    let publish = || {
        tokio::time::timeout(
            Duration::from_secs(10),
            legacy.call_tool(call("notes.publish", json!({"title": "oob"}))),
        )
    };
    let asked = publish().await.expect("no hang").unwrap();
    assert_eq!(code(&asked), "approval_required");
    assert_eq!(agent.asked(), 0);
    let id = structured(&asked)["approval_id"]
        .as_str()
        .unwrap()
        .to_owned();
    f.service.approvals().decide(&id, true, "alice").unwrap();
    let ran = publish().await.unwrap().unwrap();
    assert_eq!(ran.is_error, Some(false), "{ran:?}");
    assert_eq!(f.count("published: oob").await, 1);
    let used = f.audited("host.approval.use");
    assert_eq!(
        used.last().unwrap().entry.caller.as_deref(),
        Some("token:ci")
    );
    legacy.cancel().await.unwrap();
}
