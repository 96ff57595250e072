//! The MCP server in-process, against rmcp's own client: a real service on
//! a temporary data dir with real JS extensions, reached over a pipe (the
//! stdio server, both protocol generations) and over HTTP on 127.0.0.1.
//! The `morph` binary's end of it is in `cli/tests/all/mcp.rs`.

mod http;
mod stdio;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use morph_runtime_core::Host;
use morph_testkit::agent_extensions;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, Implementation, JsonObject,
};
use rmcp::service::{NotificationContext, RequestContext, RoleClient};
use rmcp::{ClientHandler, ErrorData};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::service::{Service, ServiceConfig};

/// The two test packages, written under `dir`.
pub(super) fn packages(dir: &std::path::Path) -> (PathBuf, PathBuf) {
    (
        agent_extensions::notes().write(dir),
        agent_extensions::spinner().write(dir),
    )
}

/// A service on a temporary data dir with both packages loaded.
pub(super) struct Fixture {
    pub service: Arc<Service>,
    pub _dir: tempfile::TempDir,
}

impl Fixture {
    pub(super) async fn start() -> Fixture {
        morph_runtime_js::ensure_linked();
        let dir = tempfile::tempdir().unwrap();
        let (notes, spinner) = packages(&dir.path().join("packages"));
        let service = Service::start(ServiceConfig::new(dir.path().join("data")), Host::builder())
            .await
            .unwrap();
        for package in [notes, spinner] {
            service.host().load(&package, json!({})).await.unwrap();
        }
        Fixture { service, _dir: dir }
    }

    /// How many notes titled `title` exist (how often `publish` ran).
    pub(super) async fn count(&self, title: &str) -> usize {
        let listed = self
            .service
            .host()
            .execute("notes", "list", json!({}))
            .await
            .unwrap();
        listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t.as_str() == Some(title))
            .count()
    }

    /// The audit records whose capability is `capability`.
    pub(super) fn audited(&self, capability: &str) -> Vec<morph_capabilities::audit::AuditRecord> {
        self.service
            .audit(10_000, |r| r.entry.capability == capability)
            .unwrap()
    }
}

/// How the test agent answers an approval form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    Accept,
    Decline,
}

/// The MCP client of the tests: declares elicitation or not, answers forms
/// as told, remembers what it was shown.
#[derive(Clone)]
pub(super) struct Agent {
    pub elicitation: bool,
    pub answer: Arc<Mutex<Answer>>,
    pub asked: Arc<AtomicUsize>,
    pub last_form: Arc<Mutex<String>>,
    pub list_changed: Arc<Notify>,
}

impl Agent {
    pub(super) fn new(elicitation: bool) -> Agent {
        Agent {
            elicitation,
            answer: Arc::new(Mutex::new(Answer::Accept)),
            asked: Arc::new(AtomicUsize::new(0)),
            last_form: Arc::new(Mutex::new(String::new())),
            list_changed: Arc::new(Notify::new()),
        }
    }

    pub(super) fn answer(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    pub(super) fn asked(&self) -> usize {
        self.asked.load(Ordering::SeqCst)
    }
}

impl ClientHandler for Agent {
    fn get_info(&self) -> ClientConfig {
        let capabilities = if self.elicitation {
            ClientCapabilities::builder().enable_elicitation().build()
        } else {
            ClientCapabilities::default()
        };
        ClientConfig::new(capabilities, Implementation::new("test agent", "1.0"))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _ctx: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if let ElicitRequestParams::FormElicitationParams { message, .. } = &request {
            *self.last_form.lock().unwrap() = message.clone();
        }
        let answer = *self.answer.lock().unwrap();
        Ok(match answer {
            Answer::Accept => {
                ElicitResult::new(ElicitationAction::Accept).with_content(json!({"approve": true}))
            }
            Answer::Decline => ElicitResult::new(ElicitationAction::Decline),
        })
    }

    async fn on_tool_list_changed(&self, _ctx: NotificationContext<RoleClient>) {
        self.list_changed.notify_one();
    }
}

/// A `tools/call` of `name` with `arguments`.
pub(super) fn call(name: &'static str, arguments: Value) -> CallToolRequestParams {
    let arguments: JsonObject = match arguments {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    };
    CallToolRequestParams::new(name).with_arguments(arguments)
}

/// A tool result's structured content.
pub(super) fn structured(result: &CallToolResult) -> Value {
    result.structured_content.clone().unwrap_or(Value::Null)
}

/// A tool error's code.
pub(super) fn code(result: &CallToolResult) -> String {
    assert_eq!(result.is_error, Some(true), "not an error: {result:?}");
    structured(result)["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
