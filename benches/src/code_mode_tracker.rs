//! The workload of code mode's bench: a stand-in issue tracker on
//! 127.0.0.1 (`GET /issues`: 200 open issues with their `updated` dates;
//! `POST /issues/{id}/comments`), the JS extension `tracker` over it, and
//! the same job three ways: list the issues, pick the 20 not updated since
//! [`CUTOFF`], comment on each.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use morph_testkit::{PackageSpec, Reply, Seen, TestServer};
use serde_json::{Value, json};

/// Issues the tracker has.
pub const ISSUES: u64 = 200;

/// Issues not updated since [`CUTOFF`].
pub const STALE: usize = 20;

/// An issue updated before this is stale (ISO 8601 dates compare as text).
pub const CUTOFF: &str = "2024-01-01";

const TITLES: [&str; 8] = [
    "Crash when the config file is empty",
    "Add a dark theme to the settings page",
    "Search ignores accents in names",
    "Export to CSV drops the last row",
    "Document the retry policy of the sync client",
    "Login form keeps the old password after a reset",
    "Slow start-up with many plugins installed",
    "Support ARM64 builds in the release pipeline",
];

const PEOPLE: [&str; 5] = ["ada", "grace", "linus", "margaret", "ken"];

const LABELS: [&[&str]; 4] = [&["bug"], &["enhancement"], &["bug", "p1"], &["docs"]];

/// Issue `id` as the tracker lists it; every tenth (7, 17, ...) was last
/// updated in 2023, the others in 2024 or 2025.
pub fn issue(id: u64) -> Value {
    let i = usize::try_from(id).unwrap_or(0);
    let stale = id % 10 == 7;
    let updated = if stale {
        format!(
            "2023-{:02}-{:02}T09:{:02}:00Z",
            1 + i % 12,
            1 + i % 28,
            i % 60
        )
    } else {
        format!(
            "{}-{:02}-{:02}T14:{:02}:00Z",
            2024 + i % 2,
            1 + i % 12,
            1 + i % 28,
            i % 60
        )
    };
    json!({
        "id": id,
        "title": format!("{} (#{id})", TITLES[i % TITLES.len()]),
        "state": "open",
        "labels": LABELS[i % LABELS.len()],
        "assignee": PEOPLE[i % PEOPLE.len()],
        "author": PEOPLE[(i + 2) % PEOPLE.len()],
        "comments": i % 7,
        "created": format!("2023-{:02}-{:02}T08:00:00Z", 1 + i % 12, 1 + i % 28),
        "updated": updated,
        "url": format!("https://tracker.example.com/issues/{id}"),
    })
}

/// What the scripted client and both programs write on a stale issue
/// updated at `updated`.
pub fn comment_body(updated: &str) -> String {
    format!(
        "Is this still relevant? No update since {}.",
        &updated[..10.min(updated.len())]
    )
}

/// The stale issues of `issues` (as `list_issues` returns them): their ids
/// and the comment each should get, in order.
pub fn stale(issues: &[Value]) -> Vec<(u64, String)> {
    issues
        .iter()
        .filter_map(|i| {
            let updated = i["updated"].as_str()?;
            (updated < CUTOFF).then(|| (i["id"].as_u64().unwrap_or(0), comment_body(updated)))
        })
        .collect()
}

/// The program of a `run_code` doing the job in `language`.
pub fn program(language: morph_runtime_core::code::CodeLanguage) -> String {
    use morph_runtime_core::code::CodeLanguage;
    match language {
        CodeLanguage::Python => format!(
            "issues = await tools.tracker.list_issues()\n\
             stale = [i for i in issues if i[\"updated\"] < \"{CUTOFF}\"]\n\
             for i in stale:\n    \
             await tools.tracker.add_comment(id=i[\"id\"], body=f\"Is this still relevant? No update since {{i['updated'][:10]}}.\")\n\
             {{\"stale\": len(stale), \"commented\": [i[\"id\"] for i in stale]}}\n"
        ),
        CodeLanguage::Javascript | CodeLanguage::Typescript => format!(
            "const issues = await tools.tracker.list_issues();\n\
             const stale = issues.filter((i) => i.updated < \"{CUTOFF}\");\n\
             for (const i of stale) {{\n  \
             await tools.tracker.add_comment({{ id: i.id, body: `Is this still relevant? No update since ${{i.updated.slice(0, 10)}}.` }});\n\
             }}\n\
             return {{ stale: stale.length, commented: stale.map((i) => i.id) }};\n"
        ),
    }
}

/// The stand-in tracker: a [`TestServer`] (one thread per connection,
/// `connection: close`) and the comments it received.
#[derive(Clone)]
pub struct Tracker {
    server: TestServer,
    comments: Arc<Mutex<Vec<(u64, String)>>>,
}

impl Tracker {
    /// Starts it on a free port of 127.0.0.1.
    pub fn start() -> Tracker {
        let list = Value::Array((1..=ISSUES).map(issue).collect()).to_string();
        let comments: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
        let log = comments.clone();
        let server = TestServer::start(move |req: &Seen| answer(req, &list, &log));
        Tracker { server, comments }
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        self.server.host()
    }

    /// The comments received since the last [`Tracker::take`], in order;
    /// forgets them.
    pub fn take(&self) -> Vec<(u64, String)> {
        std::mem::take(&mut *self.comments.lock().unwrap())
    }

    /// The 20 comments the job must leave, in order.
    pub fn expected() -> Vec<(u64, String)> {
        let issues: Vec<Value> = (1..=ISSUES).map(issue).collect();
        stale(&issues)
    }
}

fn answer(req: &Seen, list: &str, comments: &Mutex<Vec<(u64, String)>>) -> Reply {
    let json = |status: u16, body: String| Reply {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.into_bytes(),
    };
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/issues") => json(200, list.to_owned()),
        ("POST", path) => {
            let id = path
                .strip_prefix("/issues/")
                .and_then(|rest| rest.strip_suffix("/comments"))
                .and_then(|id| id.parse::<u64>().ok());
            let body = serde_json::from_str::<Value>(&req.body)
                .ok()
                .and_then(|b| b["body"].as_str().map(str::to_owned));
            match (id, body) {
                (Some(id), Some(body)) if (1..=ISSUES).contains(&id) => {
                    let mut all = comments.lock().unwrap();
                    all.push((id, body.clone()));
                    let n = all.len();
                    json(
                        201,
                        json!({
                            "id": 9000 + n,
                            "issue": id,
                            "body": body,
                            "author": "morph-bot",
                            "created": "2025-06-01T12:00:00Z",
                            "url": format!("https://tracker.example.com/issues/{id}#comment-{}", 9000 + n),
                        })
                        .to_string(),
                    )
                }
                _ => json(400, json!({"error": "bad comment"}).to_string()),
            }
        }
        _ => json(404, json!({"error": "not found"}).to_string()),
    }
}

const TRACKER_ACTIONS: &str = r#"actions:
  - {name: list_issues, description: "Lists the open issues: id, title, labels, assignee, created and updated dates", ai_access: execute}
  - {name: add_comment, description: Adds a comment to an issue, ai_access: execute, parameters: [{name: id, type: integer, required: true}, {name: body, type: string, required: true}]}
  - {name: ping, description: "Answers 1 (no capability)", ai_access: execute}
"#;

/// The `tracker` extension (JS) for the tracker at `host`: `list_issues`
/// and `add_comment` through `fetch` (one `http.fetch` each), and `ping`,
/// which calls no capability.
pub fn extension(host: &str) -> PackageSpec {
    let code = format!(
        r#"const BASE = "http://{host}";

export async function execute(action, params) {{
  if (action === "list_issues") {{
    const r = await fetch(BASE + "/issues");
    if (!r.ok) throw new Error("GET /issues: HTTP " + r.status);
    return await r.json();
  }}
  if (action === "add_comment") {{
    const r = await fetch(BASE + "/issues/" + params.id + "/comments", {{
      method: "POST",
      headers: {{ "content-type": "application/json" }},
      body: JSON.stringify({{ body: params.body }}),
    }});
    if (!r.ok) throw new Error("POST comment: HTTP " + r.status);
    return await r.json();
  }}
  if (action === "ping") return 1;
  throw new Error("unknown action " + action);
}}
"#
    );
    PackageSpec::new("tracker", "js", "index.js", code, TRACKER_ACTIONS)
        .permissions(&["http:read", "http:write"])
        .allowed_hosts(&[host])
}

/// A data dir in `dir/data` with `tracker` (for `host`) and the MCP
/// suites' `notes` installed as `morph install --allow-unsigned --yes`
/// does; the data dir.
///
/// # Panics
/// When an install fails.
pub fn data_dir(dir: &Path, host: &str) -> PathBuf {
    let data = dir.join("data");
    for spec in [extension(host), morph_testkit::agent_extensions::notes()] {
        let pkg = spec.write(&dir.join("src"));
        crate::serve_load::install(&data, &pkg);
    }
    data
}
